# The luaflash command's own tests: the built binary on tests/lua/*.lua with
# the virtual NUCLEO-F767ZI (exit codes 0/1/2 and output text), and the Lua
# demo (scripts/demo.lua) on the bench. test_lua (cmocka, in-process) is
# built by the generic unit-test loop.
if(TARGET luaflash)
  add_test(NAME lua_cli COMMAND bash ${CMAKE_SOURCE_DIR}/tests/lua/cli_test.sh $<TARGET_FILE:luaflash>)
  add_test(NAME lua_demo COMMAND $<TARGET_FILE:luaflash> --bench nucleo-f767zi
           ${CMAKE_SOURCE_DIR}/scripts/demo.lua)
  add_test(NAME lua_demo_project COMMAND $<TARGET_FILE:luaflash> --bench nucleo-f767zi
           ${CMAKE_SOURCE_DIR}/scripts/demo-project.lua)
  add_test(NAME lua_demo_project_f429 COMMAND $<TARGET_FILE:luaflash> --bench nucleo-f429zi
           ${CMAKE_SOURCE_DIR}/scripts/demo-project.lua board=nucleo_f429zi
           image=${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-f429.bin)
  set_tests_properties(lua_cli lua_demo lua_demo_project lua_demo_project_f429 PROPERTIES
    ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300)
  set_tests_properties(lua_demo_project lua_demo_project_f429 PROPERTIES PASS_REGULAR_EXPRESSION
    "LD1 toggled 1[01] times, LD2 5, LD3 2.*verified")
  set_tests_properties(lua_demo PROPERTIES PASS_REGULAR_EXPRESSION
    "crc32   0x12912136.*waited 100\\.[0-9] ms, not 5 s")
endif()
