# Pure-Lua unit tests of lua/luaflash/*.lua, run by the stand-alone lua5.4
# interpreter (Debian package lua5.4, installed by scripts/setup).
# A test of a module that needs luaflash's C primitives (require("luaflash"),
# e.g. boards.lua and lf.listdir) is listed in LF_LUA_UNIT_WITH_MODULE and
# runs under the built luaflash binary instead, which runs a plain Lua script
# with the same standard library plus that module: the test exercises the
# real primitive, not a stand-in.
find_program(LF_LUA_INTERP NAMES lua5.4 REQUIRED)
set(LF_LUA_UNIT_WITH_MODULE test_boards test_chips test_geometry test_store)
file(GLOB LF_LUA_UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/luaunit/test_*.lua)
foreach(src ${LF_LUA_UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  if(name IN_LIST LF_LUA_UNIT_WITH_MODULE)
    if(NOT TARGET luaflash)
      continue()
    endif()
    add_test(NAME lua_${name} COMMAND $<TARGET_FILE:luaflash> ${src})
  else()
    add_test(NAME lua_${name} COMMAND ${LF_LUA_INTERP} ${src})
  endif()
  set_tests_properties(lua_${name} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 60)
endforeach()
