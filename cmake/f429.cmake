# Bench tools on both boards: lf-bench-demo flashes and runs each board's demo
# (the LED counts are those of 1 s after the reset: LD1 every 100 ms, LD2 200,
# LD3 400 ms), and an unknown board name is refused with the list of boards.
foreach(board nucleo-f767zi nucleo-f429zi)
  set(name bench_demo_${board})
  add_test(NAME ${name} COMMAND lf-bench-demo --board ${board} --run 1)
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120
    PASS_REGULAR_EXPRESSION "board: ${board} .*LED toggles in 1.0 s: LD1 10, LD2 5, LD3 2")
endforeach()
add_test(NAME bench_demo_unknown_board COMMAND lf-bench-demo --board nucleo-f446re)
set_tests_properties(bench_demo_unknown_board PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 60
  PASS_REGULAR_EXPRESSION "unknown board \\(known: nucleo-f767zi, nucleo-f429zi, nucleo-h743zi, nucleo-f103rb, nucleo-f103rc, nucleo-l476rg, pico, nrf52840-dk\\)")
