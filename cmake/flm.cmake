# CMSIS-Pack flash algorithms (issue 16): test_flm (reader, bench jobs) is a
# unit test and tests/flash/flm.lua an end-to-end one (their loops build
# them); this adds the command line's pack/FLM cases.
if(TARGET luaflash)
  add_test(NAME flash_cli_flm COMMAND bash ${CMAKE_SOURCE_DIR}/tests/flash/cli_flm.sh $<TARGET_FILE:luaflash>)
  set_tests_properties(flash_cli_flm PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300)
endif()
