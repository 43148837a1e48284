# Protected regions (issue 21): the plan's side is in test_plan; the whole
# run on the bench (regions mid-sector, own sector, spanning, end of flash;
# erase modes; power loss and restore; overlap; production consent) is
# tests/flash/cli_protect.sh. Owner: protect.
if(TARGET luaflash)
  add_test(NAME flash_cli_protect COMMAND bash ${CMAKE_SOURCE_DIR}/tests/flash/cli_protect.sh
           $<TARGET_FILE:luaflash>)
  set_tests_properties(flash_cli_protect PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300)
endif()
