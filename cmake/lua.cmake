# The luaflash command's own tests: the built binary on tests/lua/*.lua with
# the virtual NUCLEO-F767ZI (exit codes 0/1/2 and output text), and the Lua
# demo (scripts/demo.lua) on the bench. test_lua (cmocka, in-process) is
# built by the generic unit-test loop.
if(TARGET luaflash)
  add_test(NAME lua_cli COMMAND bash ${CMAKE_SOURCE_DIR}/tests/lua/cli_test.sh $<TARGET_FILE:luaflash>)
  add_test(NAME lua_demo COMMAND $<TARGET_FILE:luaflash> --bench nucleo-f767zi
           ${CMAKE_SOURCE_DIR}/scripts/demo.lua)
  set_tests_properties(lua_cli lua_demo PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300)
  set_tests_properties(lua_demo PROPERTIES PASS_REGULAR_EXPRESSION
    "crc32   0x12912136.*waited 100\\.[0-9] ms, not 5 s")
endif()
