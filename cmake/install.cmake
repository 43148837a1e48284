# Installation and packaging: `cmake --install build [--prefix P]` puts
#   P/bin/luaflash
#   P/share/luaflash/lua/...        the Lua modules (found next to the binary:
#   P/share/luaflash/boards/...     src/main.c looks for ../share/luaflash/lua)
#   P/share/doc/luaflash/examples/  example projects
#   P/lib/udev/rules.d/49-luaflash.rules
# and `cpack -G DEB` (in the build dir) a Debian package of the same tree
# (prefix /usr, so the udev rules land where udev reads them).
#
# Installing and packaging never build: build first (cmake --build), then
# install or cpack. (A test runs cpack; a build started from inside ctest
# would relink binaries other tests are running.)
if(TARGET luaflash)
  set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
  include(GNUInstallDirs)
  install(TARGETS luaflash RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/lua/ DESTINATION ${CMAKE_INSTALL_DATADIR}/luaflash/lua
          FILES_MATCHING PATTERN "*.lua")
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/boards/ DESTINATION ${CMAKE_INSTALL_DATADIR}/luaflash/boards
          FILES_MATCHING PATTERN "*.lua")
  if(EXISTS ${CMAKE_SOURCE_DIR}/scripts/examples)
    install(DIRECTORY ${CMAKE_SOURCE_DIR}/scripts/examples/
            DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/luaflash/examples)
  endif()
  install(FILES ${CMAKE_SOURCE_DIR}/packaging/udev/49-luaflash.rules
          DESTINATION lib/udev/rules.d)
  install(FILES ${CMAKE_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/luaflash)

  set(CPACK_PACKAGE_NAME luaflash)
  set(CPACK_PACKAGE_VENDOR "luaflash developers")
  set(CPACK_PACKAGE_CONTACT "luaflash developers <luaflash@users.noreply.github.com>")
  set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
      "fast Lua-scriptable flash programmer for Cortex-M through ST-Link probes")
  set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
  set(CPACK_GENERATOR DEB)
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
  set(CPACK_DEBIAN_PACKAGE_SECTION electronics)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libusb-1.0-0, liblua5.4-0, zlib1g, libunicorn2, libzip4, libxml2")
  set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
  include(CPack)
endif()
