# What a person sees (issue 6): example projects and project files end to
# end on the virtual bench (tests/lua/project_test.sh: errors, --json against
# tests/lua/result_schema.lua, --trace), every example as its own test, the
# installed tree (tests/lua/install_test.sh) and the udev rules.
if(TARGET luaflash)
  find_program(LF_LUA_INTERP_UX NAMES lua5.4 REQUIRED)
  add_test(NAME lua_projects COMMAND bash ${CMAKE_SOURCE_DIR}/tests/lua/project_test.sh
           $<TARGET_FILE:luaflash> ${LF_LUA_INTERP_UX})
  set(LF_UX_TESTS lua_projects)
  foreach(ex minimal tuned bootloader_app erase_only pyocd_default steps)
    add_test(NAME example_${ex} COMMAND $<TARGET_FILE:luaflash> --bench nucleo-f767zi
             ${CMAKE_SOURCE_DIR}/scripts/examples/${ex}.lua --quiet)
    list(APPEND LF_UX_TESTS example_${ex})
  endforeach()
  add_test(NAME example_readout COMMAND $<TARGET_FILE:luaflash> --bench nucleo-f767zi
           ${CMAKE_SOURCE_DIR}/scripts/examples/readout.lua ${CMAKE_BINARY_DIR}/example_readout.bin)
  set_tests_properties(example_readout PROPERTIES PASS_REGULAR_EXPRESSION "readout: .*: 32768 bytes")
  list(APPEND LF_UX_TESTS example_readout)
  add_test(NAME lua_install COMMAND bash ${CMAKE_SOURCE_DIR}/tests/lua/install_test.sh
           ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
  add_test(NAME lua_udev_rules COMMAND bash ${CMAKE_SOURCE_DIR}/tests/lua/udev_test.sh ${CMAKE_SOURCE_DIR} $<TARGET_FILE:luaflash>)
  list(APPEND LF_UX_TESTS lua_install lua_udev_rules)
  set_tests_properties(${LF_UX_TESTS} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300)
endif()
