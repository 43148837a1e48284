# RP2040 / Raspberry Pi Pico with the Raspberry Pi Debug Probe (issue 15):
# OpenOCD 0.12 with interface/cmsis-dap.cfg + target/rp2040.cfg (both cores
# over multidrop SWD; its rp2040_flash driver calls the boot ROM's flash
# functions itself) programs the model through the libusb stand-in
# (scripts/bench-peer): the demo and a 65 KB image (66560 bytes: demo +
# filler from lf-bench-image); the flash must equal the image and the LED on
# GPIO25 must blink after the reset (boot2 CRC, XIP).
# (this file is included before standin.cmake, which sets the same folder)
set(LF_PEER_DIR ${CMAKE_BINARY_DIR}/standin)
add_custom_command(OUTPUT ${LF_PEER_DIR}/image-pico-65k.bin
  COMMAND lf-bench-image --board pico 66560 ${LF_PEER_DIR}/image-pico-65k.bin
  DEPENDS lf-bench-image)
add_custom_target(lfstandin_images_pico ALL DEPENDS ${LF_PEER_DIR}/image-pico-65k.bin lfstandin lf-bench-check)
foreach(run "demo:${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-pico.bin" "65k:${LF_PEER_DIR}/image-pico-65k.bin")
  string(REPLACE ":" ";" parts "${run}")
  list(GET parts 0 tag)
  list(GET parts 1 file)
  add_test(NAME standin_openocd_pico_${tag}
           COMMAND ${CMAKE_SOURCE_DIR}/scripts/bench-peer openocd pico ${file})
  set_tests_properties(standin_openocd_pico_${tag} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300
    LABELS standin PASS_REGULAR_EXPRESSION
    "Found flash device 'win w25q16jv'.*Verified OK.*flash equals .*at 0x10000000.*LED toggles in 1.000 s: LD1 9, LD2 0, LD3 0")
endforeach()

# The Quick start demo on the Pico (scripts/demo --board pico runs both):
# luaflash flashes the blink and it blinks; the Lua API tour through SRAM
# with core 0's TARGETSEL.
if(TARGET luaflash)
  add_test(NAME lua_demo_project_pico COMMAND $<TARGET_FILE:luaflash> --bench pico
           ${CMAKE_SOURCE_DIR}/scripts/demo-project.lua board=pico
           image=${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-pico.bin)
  set_tests_properties(lua_demo_project_pico PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120
    PASS_REGULAR_EXPRESSION "LD1 toggled 1[01] times, LD2 0, LD3 0.*verified")
  add_test(NAME lua_demo_pico COMMAND $<TARGET_FILE:luaflash> --bench pico
           ${CMAKE_SOURCE_DIR}/scripts/demo.lua sram=0x20000000 stack=0x20040000 targetsel=0x01002927)
  set_tests_properties(lua_demo_pico PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120
    PASS_REGULAR_EXPRESSION "RP2040 B1 Cortex-M0\\+ r0p1, DPIDR 0x0bc12477.*crc32   0x12912136")
endif()

# A probe without TARGETSEL (the ST-LINK) on the Pico: refused before
# anything is written, naming the probe and the TARGETSEL.
if(TARGET luaflash)
  add_test(NAME lua_pico_stlink_refused COMMAND $<TARGET_FILE:luaflash> --bench pico@v2-1
           ${CMAKE_SOURCE_DIR}/scripts/demo-project.lua board=pico
           image=${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-pico.bin)
  set_tests_properties(lua_pico_stlink_refused PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 60
    PASS_REGULAR_EXPRESSION "ST-LINK/V2-1 cannot select a DP of a multidrop SWD target \\(TARGETSEL 0x01002927")
endif()

# The Pico's benchmark targets (issue 15; tests/bench/check_rp2040.lua): two
# suite runs of group 11, ~15 s.
if(TARGET luaflash)
  add_test(NAME bench_regression_rp2040
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/bench/bench_test_rp2040.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(bench_regression_rp2040 PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300
    LABELS "bench;slow")
endif()
