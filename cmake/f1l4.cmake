# STM32F1 and STM32L4 families (issue 14): the command line under flash
# faults and read protection on their boards (the F767's cli_faults.sh and
# cli_rdp.sh cases), tests/flash/cli_f1.sh.
if(TARGET luaflash)
  add_test(NAME flash_cli_f1 COMMAND bash ${CMAKE_SOURCE_DIR}/tests/flash/cli_f1.sh $<TARGET_FILE:luaflash>)
  set_tests_properties(flash_cli_f1 PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300
    PASS_REGULAR_EXPRESSION "\\[  PASSED  \\] [0-9]+ test\\(s\\)\\." FAIL_REGULAR_EXPRESSION "\\[  FAILED  \\]")
endif()
