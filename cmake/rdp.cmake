# Read protection (RDP level 1 with a debugger): luaflash refuses to flash a
# protected chip at connect and says how to regress (tests/flash/cli_rdp.sh;
# the unprotect example). The bench side is tested by test_flashctl and
# test_board. Owner: rdp.
if(TARGET luaflash)
  add_test(NAME flash_cli_rdp COMMAND bash ${CMAKE_SOURCE_DIR}/tests/flash/cli_rdp.sh
           $<TARGET_FILE:luaflash>)
  set_tests_properties(flash_cli_rdp PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300)
endif()
