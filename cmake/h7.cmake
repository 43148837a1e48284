# STM32H743ZI / NUCLEO-H743ZI (issue 14): the bench demo (flashed through
# the debug port by lf-bench-demo, the same LED counts as the F767/F429
# demo: LD1 every 100 ms, LD2 200, LD3 400 ms), also with the STLINK-V3 wired
# to the board (the NUCLEO-H743ZI2's probe).
foreach(probe v2-1 v3)
  set(name bench_demo_nucleo-h743zi_${probe})
  add_test(NAME ${name} COMMAND lf-bench-demo --board nucleo-h743zi --probe ${probe} --run 1)
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120
    PASS_REGULAR_EXPRESSION "board: nucleo-h743zi .*LED toggles in 1.0 s: LD1 10, LD2 5, LD3 2")
endforeach()
