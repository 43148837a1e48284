# STM32H743ZI / NUCLEO-H743ZI (issue 14): the bench demo (flashed through
# the debug port by lf-bench-demo, the same LED counts as the F767/F429
# demo: LD1 every 100 ms, LD2 200, LD3 400 ms), also with the STLINK-V3 wired
# to the board (the NUCLEO-H743ZI2's probe).
foreach(probe v2-1 v3)
  set(name bench_demo_nucleo-h743zi_${probe})
  add_test(NAME ${name} COMMAND lf-bench-demo --board nucleo-h743zi --probe ${probe} --run 1)
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120
    PASS_REGULAR_EXPRESSION "board: nucleo-h743zi .*LED toggles in 1.0 s: LD1 10, LD2 5, LD3 2")
endforeach()

# OpenOCD 0.12 with board/st_nucleo_h743zi.cfg programs the model through the
# libusb stand-in (scripts/bench-peer): the demo and a 65 KB image (66560
# bytes: demo + filler from lf-bench-image); the flash must equal the image
# and the board must blink.
add_custom_command(OUTPUT ${LF_PEER_DIR}/image-h743-65k.bin
  COMMAND lf-bench-image --board nucleo-h743zi 66560 ${LF_PEER_DIR}/image-h743-65k.bin
  DEPENDS lf-bench-image)
add_custom_target(lfstandin_images_h7 ALL DEPENDS ${LF_PEER_DIR}/image-h743-65k.bin lfstandin lf-bench-check)
foreach(run "demo:${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-h743.bin" "65k:${LF_PEER_DIR}/image-h743-65k.bin")
  string(REPLACE ":" ";" parts "${run}")
  list(GET parts 0 tag)
  list(GET parts 1 file)
  add_test(NAME standin_openocd_h743_${tag}
           COMMAND ${CMAKE_SOURCE_DIR}/scripts/bench-peer openocd nucleo-h743zi ${file})
  set_tests_properties(standin_openocd_h743_${tag} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 180
    LABELS standin PASS_REGULAR_EXPRESSION "flash equals .*LED toggles in 1.000 s: LD1 9, LD2 4, LD3 2")
endforeach()
# the same with the STLINK-V3 wired to the board (the NUCLEO-H743ZI2's probe)
add_test(NAME standin_openocd_h743_v3_65k
         COMMAND ${CMAKE_SOURCE_DIR}/scripts/bench-peer openocd nucleo-h743zi@v3 ${LF_PEER_DIR}/image-h743-65k.bin)
set_tests_properties(standin_openocd_h743_v3_65k PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 180
  LABELS standin PASS_REGULAR_EXPRESSION "STLINK V3.*flash equals .*LED toggles in 1.000 s: LD1 9, LD2 4, LD3 2")

# The flash matrix (tests/flash/matrix_h743.lua runs through flashint.cmake's
# glob) and the command line under faults on the H743: both banks at once.
add_test(NAME flash_cli_faults_h7 COMMAND bash ${CMAKE_SOURCE_DIR}/tests/flash/cli_faults_h7.sh
         $<TARGET_FILE:luaflash>)
set_tests_properties(flash_cli_faults_h7 PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300)

# The Quick start demo on the H743 (scripts/demo --board nucleo-h743zi runs
# both): flashes and blinks, and the Lua API tour through its AXI SRAM.
if(TARGET luaflash)
  add_test(NAME lua_demo_project_h743 COMMAND $<TARGET_FILE:luaflash> --bench nucleo-h743zi
           ${CMAKE_SOURCE_DIR}/scripts/demo-project.lua board=nucleo_h743zi
           image=${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-h743.bin)
  set_tests_properties(lua_demo_project_h743 PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300
    PASS_REGULAR_EXPRESSION "LD1 toggled 1[01] times, LD2 5, LD3 2.*verified")
  add_test(NAME lua_demo_h743 COMMAND $<TARGET_FILE:luaflash> --bench nucleo-h743zi
           ${CMAKE_SOURCE_DIR}/scripts/demo.lua)
  set_tests_properties(lua_demo_h743 PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300
    PASS_REGULAR_EXPRESSION "STM32H74x/H75x .*crc32   0x12912136.*waited 100\\.[0-9] ms, not 5 s")
endif()

# The H743 benchmark targets (issue 14; tests/bench/check_h7.lua): two suite
# runs of the H743 scenarios, ~30 s.
if(TARGET luaflash)
  add_test(NAME bench_regression_h7
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/bench/bench_test_h7.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(bench_regression_h7 PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300
    LABELS "bench;slow")
endif()
