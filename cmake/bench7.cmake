# Benchmark suite regression test (scripts/benchmark, tests/bench/): luaflash
# full program within 1.10 x the flash floor, unchanged re-flash under 10 %
# of it, luaflash faster than OpenOCD and st-flash on the same virtual board,
# identical virtual times on a rerun. Needs lua5.4, /usr/bin/time, openocd,
# st-flash (scripts/setup); a few seconds.
if(TARGET luaflash)
  add_test(NAME bench_regression
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/bench/bench_test.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(bench_regression PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120 LABELS bench)
  list(APPEND LF_CUSTOM_TESTS bench_regression)
endif()
