# libusb-1.0 stand-in: third-party tools (OpenOCD, st-flash, pyOCD) on the
# virtual bench. <build>/standin/libusb-1.0.so.0 exports only libusb_*; the
# bench (lfbench, PIC) is linked in statically with its symbols hidden.
file(GLOB LF_STANDIN_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/bench/standin/*.c)
add_library(lfstandin SHARED ${LF_STANDIN_SOURCES})
target_link_libraries(lfstandin PRIVATE lfbench)
target_compile_options(lfstandin PRIVATE -fvisibility=hidden)
target_link_options(lfstandin PRIVATE
  -Wl,--version-script=${CMAKE_SOURCE_DIR}/src/bench/standin/standin.map
  -Wl,--no-undefined -Wl,-soname,libusb-1.0.so.0)
set_target_properties(lfstandin PROPERTIES
  PREFIX "" OUTPUT_NAME "libusb-1.0" SUFFIX ".so.0" NO_SONAME ON
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/standin
  LINK_DEPENDS ${CMAKE_SOURCE_DIR}/src/bench/standin/standin.map)

# Unit test: ABI layouts against the real libusb.h (headers only, the real
# library is not linked) and the API driven through the stand-in itself.
add_executable(test_standin tests/unit/test_standin.c)
target_include_directories(test_standin PRIVATE ${LIBUSB_INCLUDE_DIRS})
target_link_libraries(test_standin PRIVATE lfstandin lfbench PkgConfig::CMOCKA)
add_test(NAME test_standin COMMAND test_standin)
set_tests_properties(test_standin PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120)
list(APPEND LF_CUSTOM_TESTS test_standin)

# End to end: each tool programs a virtual board through scripts/bench-peer
# (which fails when the tool is not installed): OpenOCD and st-flash the
# NUCLEO-F767ZI, pyOCD 0.13.1 (no STM32F7 target) the NUCLEO-F429ZI, each
# with its demo firmware and a 65 KB image (66560 bytes: demo + filler from
# lf-bench-image). The flash must equal the image and the board must blink.
# Through a CMSIS-DAP probe wired to the board (BOARD@PROBE): OpenOCD over
# the DAPLink's v2 bulk interface and the Debug Probe's, pyOCD over the
# DAPLink's v1 HID interface.
set(LF_PEER_DIR ${CMAKE_BINARY_DIR}/standin)
add_custom_command(OUTPUT ${LF_PEER_DIR}/image-f767-65k.bin ${LF_PEER_DIR}/image-f429-65k.bin
  ${LF_PEER_DIR}/image-f103-65k.bin ${LF_PEER_DIR}/image-f103rc-65k.bin ${LF_PEER_DIR}/image-l476-65k.bin
  COMMAND lf-bench-image --board nucleo-f767zi 66560 ${LF_PEER_DIR}/image-f767-65k.bin
  COMMAND lf-bench-image --board nucleo-f429zi 66560 ${LF_PEER_DIR}/image-f429-65k.bin
  COMMAND lf-bench-image --board nucleo-f103rb 66560 ${LF_PEER_DIR}/image-f103-65k.bin
  COMMAND lf-bench-image --board nucleo-f103rc 66560 ${LF_PEER_DIR}/image-f103rc-65k.bin
  COMMAND lf-bench-image --board nucleo-l476rg 66560 ${LF_PEER_DIR}/image-l476-65k.bin
  DEPENDS lf-bench-image)
add_custom_target(lfstandin_images ALL
  DEPENDS ${LF_PEER_DIR}/image-f767-65k.bin ${LF_PEER_DIR}/image-f429-65k.bin
  ${LF_PEER_DIR}/image-f103-65k.bin ${LF_PEER_DIR}/image-f103rc-65k.bin ${LF_PEER_DIR}/image-l476-65k.bin
  lfstandin lf-bench-check)
set(LF_PEER_RUNS
  "openocd:nucleo-f767zi:demo:${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-f767.bin"
  "openocd:nucleo-f767zi:65k:${LF_PEER_DIR}/image-f767-65k.bin"
  "st-flash:nucleo-f767zi:demo:${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-f767.bin"
  "st-flash:nucleo-f767zi:65k:${LF_PEER_DIR}/image-f767-65k.bin"
  "pyocd:nucleo-f429zi:demo:${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-f429.bin"
  "pyocd:nucleo-f429zi:65k:${LF_PEER_DIR}/image-f429-65k.bin"
  "openocd:nucleo-f767zi@daplink:daplink_demo:${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-f767.bin"
  "openocd:nucleo-f767zi@daplink:daplink_65k:${LF_PEER_DIR}/image-f767-65k.bin"
  "openocd:nucleo-f767zi@rpi-debugprobe:rpiprobe_demo:${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-f767.bin"
  "pyocd:nucleo-f429zi@daplink:daplink_demo:${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-f429.bin"
  "pyocd:nucleo-f429zi@daplink:daplink_65k:${LF_PEER_DIR}/image-f429-65k.bin"
  # STM32F103: OpenOCD with board/st_nucleo_f103rb.cfg on the NUCLEO-F103RB,
  # pyOCD's stm32f103rc target on the high-density F103RC variant
  "openocd:nucleo-f103rb:f103_demo:${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-f103.bin"
  "openocd:nucleo-f103rb:f103_65k:${LF_PEER_DIR}/image-f103-65k.bin"
  "pyocd:nucleo-f103rc:f103rc_demo:${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-f103.bin"
  "pyocd:nucleo-f103rc:f103rc_65k:${LF_PEER_DIR}/image-f103rc-65k.bin"
  # STM32L476RG: OpenOCD with board/st_nucleo_l4.cfg, pyOCD's stm32l475xg
  # (the 65 KB image stays below 0x08040000)
  "openocd:nucleo-l476rg:l476_demo:${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-l476.bin"
  "openocd:nucleo-l476rg:l476_65k:${LF_PEER_DIR}/image-l476-65k.bin"
  "pyocd:nucleo-l476rg:l476_demo:${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-l476.bin"
  "pyocd:nucleo-l476rg:l476_65k:${LF_PEER_DIR}/image-l476-65k.bin")
foreach(run ${LF_PEER_RUNS})
  string(REPLACE ":" ";" parts "${run}")
  list(GET parts 0 tool)
  list(GET parts 1 board)
  list(GET parts 2 tag)
  list(GET parts 3 file)
  set(name "standin_${tool}_${tag}")
  add_test(NAME ${name} COMMAND ${CMAKE_SOURCE_DIR}/scripts/bench-peer ${tool} ${board} ${file})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 180 LABELS standin)
endforeach()

# scripts/bench-ram (the benchmark's RAM rows): 64 KiB written, read back
# and compared by luaflash over the DAPLink's v1 HID interface, OpenOCD over
# its v2 bulk one, pyOCD over HID; each prints the modeled seconds of both.
foreach(run "luaflash:hid" "openocd:bulk" "pyocd:hid")
  string(REPLACE ":" ";" parts "${run}")
  list(GET parts 0 tool)
  list(GET parts 1 transport)
  set(name "standin_bench_ram_${tool}_${transport}")
  add_test(NAME ${name} COMMAND ${CMAKE_SOURCE_DIR}/scripts/bench-ram ${tool} nucleo-f429zi@daplink
    ${transport} 10000000)
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 180 LABELS standin
    PASS_REGULAR_EXPRESSION "^ram write_s [0-9.]+ read_s [0-9.]+ bytes 65536")
endforeach()
