# STM32F1 and STM32L4 families (issue 14): the command line under flash
# faults and read protection on their boards (the F767's cli_faults.sh and
# cli_rdp.sh cases), tests/flash/cli_pages.sh.
if(TARGET luaflash)
  foreach(board nucleo-f103rb nucleo-l476rg)
    string(REGEX REPLACE "nucleo-" "" tag ${board})
    add_test(NAME flash_cli_${tag} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/flash/cli_pages.sh
             $<TARGET_FILE:luaflash> ${board})
    set_tests_properties(flash_cli_${tag} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300
      PASS_REGULAR_EXPRESSION "\\[  PASSED  \\] [0-9]+ test\\(s\\)\\." FAIL_REGULAR_EXPRESSION "\\[  FAILED  \\]")
  endforeach()
endif()
# The demo on each new board: the blink firmware flashed by luaflash must
# blink LD2 (PA5) every 100 ms after the reset (the F767's lua_demo_project),
# and the API tour runs within the board's SRAM.
if(TARGET luaflash)
  add_test(NAME lua_demo_project_f103 COMMAND $<TARGET_FILE:luaflash> --bench nucleo-f103rb
           ${CMAKE_SOURCE_DIR}/scripts/demo-project.lua board=nucleo_f103rb
           image=${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-f103.bin)
  add_test(NAME lua_demo_f103 COMMAND $<TARGET_FILE:luaflash> --bench nucleo-f103rb
           ${CMAKE_SOURCE_DIR}/scripts/demo.lua sram=0x20000000 bytes=8192 stack=0x20005000)
  add_test(NAME lua_demo_project_l476 COMMAND $<TARGET_FILE:luaflash> --bench nucleo-l476rg
           ${CMAKE_SOURCE_DIR}/scripts/demo-project.lua board=nucleo_l476rg
           image=${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-l476.bin)
  add_test(NAME lua_demo_l476 COMMAND $<TARGET_FILE:luaflash> --bench nucleo-l476rg
           ${CMAKE_SOURCE_DIR}/scripts/demo.lua sram=0x20000000 bytes=65536 stack=0x20018000)
  set_tests_properties(lua_demo_project_f103 lua_demo_f103 lua_demo_project_l476 lua_demo_l476 PROPERTIES
    ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120)
  set_tests_properties(lua_demo_project_f103 lua_demo_project_l476 PROPERTIES PASS_REGULAR_EXPRESSION
    "LD1 toggled 0 times, LD2 1[01], LD3 0.*verified")
  set_tests_properties(lua_demo_f103 PROPERTIES PASS_REGULAR_EXPRESSION
    "STM32F10x medium density Cortex-M3 r1p1.*crc32   0x4d341dcf")
  set_tests_properties(lua_demo_l476 PROPERTIES PASS_REGULAR_EXPRESSION
    "STM32L47x/L48x Cortex-M4 r0p1.*crc32   0x12912136")
endif()
