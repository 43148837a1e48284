# nRF52840 (issue 15): the command line on the nRF52840 DK bench
# (tests/flash/cli_nrf52.sh: 65 KB image read back, smart flash, UF2 of the
# right and a wrong family, UICR writes, APPROTECT at connect, recover with
# and without consent) and the demo: the blink firmware flashed by luaflash
# must toggle LED1 (P0.13) every 100 ms after the reset.
if(TARGET luaflash)
  add_test(NAME flash_cli_nrf52 COMMAND bash ${CMAKE_SOURCE_DIR}/tests/flash/cli_nrf52.sh
           $<TARGET_FILE:luaflash>)
  set_tests_properties(flash_cli_nrf52 PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300
    PASS_REGULAR_EXPRESSION "\\[  PASSED  \\] [0-9]+ test\\(s\\)\\." FAIL_REGULAR_EXPRESSION "\\[  FAILED  \\]")
  add_test(NAME lua_demo_project_nrf52 COMMAND $<TARGET_FILE:luaflash> --bench nrf52840-dk
           ${CMAKE_SOURCE_DIR}/scripts/demo-project.lua board=nrf52840_dk
           image=${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-nrf52840.bin)
  add_test(NAME lua_demo_nrf52 COMMAND $<TARGET_FILE:luaflash> --bench nrf52840-dk
           ${CMAKE_SOURCE_DIR}/scripts/demo.lua sram=0x20000000 bytes=65536 stack=0x20040000)
  set_tests_properties(lua_demo_project_nrf52 lua_demo_nrf52 PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120)
  set_tests_properties(lua_demo_project_nrf52 PROPERTIES PASS_REGULAR_EXPRESSION
    "LD1 toggled 1[01] times, LD2 [56], LD3 [23].*verified")
endif()
if(TARGET luaflash)
  set_tests_properties(lua_demo_nrf52 PROPERTIES PASS_REGULAR_EXPRESSION
    "nRF52840 AAD0 Cortex-M4 r0p1.*crc32   0x12912136")
endif()
# Peers through the stand-in (scripts/bench-peer): OpenOCD 0.12 with
# interface/cmsis-dap.cfg + target/nrf52.cfg over the DAPLink's v2 bulk
# interface, pyOCD 0.13.1 -t nrf52840 over its v1 HID interface; the demo
# and a 65 KB image (demo + filler): the flash equals the image byte for
# byte, the demo blinks.
set(LF_NRF_PEER_DIR ${CMAKE_BINARY_DIR}/standin)
add_custom_command(OUTPUT ${LF_NRF_PEER_DIR}/image-nrf52840-65k.bin
  COMMAND ${CMAKE_COMMAND} -E make_directory ${LF_NRF_PEER_DIR}
  COMMAND lf-bench-image --board nrf52840-dk 66560 ${LF_NRF_PEER_DIR}/image-nrf52840-65k.bin
  DEPENDS lf-bench-image)
add_custom_target(lfstandin_images_nrf52 ALL DEPENDS ${LF_NRF_PEER_DIR}/image-nrf52840-65k.bin)
foreach(run
    "openocd:nrf52_demo:${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-nrf52840.bin"
    "openocd:nrf52_65k:${LF_NRF_PEER_DIR}/image-nrf52840-65k.bin"
    "pyocd:nrf52_demo:${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-nrf52840.bin"
    "pyocd:nrf52_65k:${LF_NRF_PEER_DIR}/image-nrf52840-65k.bin")
  string(REPLACE ":" ";" parts "${run}")
  list(GET parts 0 tool)
  list(GET parts 1 tag)
  list(GET parts 2 file)
  add_test(NAME standin_${tool}_${tag} COMMAND ${CMAKE_SOURCE_DIR}/scripts/bench-peer ${tool}
           nrf52840-dk@daplink ${file})
  set_tests_properties(standin_${tool}_${tag} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300
    LABELS standin)
endforeach()
# Benchmark rows (group 10, tests/bench/nrf52_test.sh): luaflash within 1.10 x
# the floor, faster than OpenOCD, unchanged re-flash under 10 %, reruns identical.
if(TARGET luaflash)
  add_test(NAME bench_regression_nrf52
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/bench/nrf52_test.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(bench_regression_nrf52 PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300 LABELS bench)
endif()
# OpenOCD's lock check and nrf52_recover on the APPROTECT model
if(TARGET luaflash)
  add_test(NAME standin_openocd_nrf52_recover COMMAND bash ${CMAKE_SOURCE_DIR}/tests/flash/openocd_nrf52_recover.sh
           $<TARGET_FILE:luaflash> ${CMAKE_BINARY_DIR})
  set_tests_properties(standin_openocd_nrf52_recover PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300
    LABELS standin PASS_REGULAR_EXPRESSION "^PASSED")
endif()
