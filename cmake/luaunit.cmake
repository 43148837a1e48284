# Pure-Lua unit tests of lua/luaflash/*.lua, run by the stand-alone lua5.4
# interpreter (Debian package lua5.4, installed by scripts/setup).
find_program(LF_LUA_INTERP NAMES lua5.4 REQUIRED)
file(GLOB LF_LUA_UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/luaunit/test_*.lua)
foreach(src ${LF_LUA_UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME lua_${name} COMMAND ${LF_LUA_INTERP} ${src})
  set_tests_properties(lua_${name} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 60)
endforeach()
