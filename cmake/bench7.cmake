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

# CMSIS-DAP rows (tests/bench/dap_test.sh): through the DAPLink's v2 bulk
# interface and the Debug Probe within 1.10 x the floor and at least 2 x
# faster than OpenOCD's cmsis-dap driver, through the DAPLink's v1 HID
# interface within 1.10 x max(floor, the HID link's time for the image),
# luaflash's HID RAM rows at the link rate, identical virtual times on a rerun.
if(TARGET luaflash)
  add_test(NAME bench_regression_dap
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/bench/dap_test.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(bench_regression_dap PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300 LABELS bench)
  list(APPEND LF_CUSTOM_TESTS bench_regression_dap)
endif()

# CMSIS-Pack algorithms (tests/bench/flm_test.sh, issue 16): luaflash's own
# F767 FLM streamed within 1.15 x the floor; pyOCD's F439 algorithm through
# luaflash at least 2 x faster than pyOCD running it on the same bench.
if(TARGET luaflash)
  add_test(NAME bench_regression_flm
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/bench/flm_test.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(bench_regression_flm PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300 LABELS "bench;slow")
  list(APPEND LF_CUSTOM_TESTS bench_regression_flm)
endif()
