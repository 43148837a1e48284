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

# End to end: each tool programs the virtual NUCLEO-F767ZI through
# scripts/bench-peer (fails when the tool is not installed).
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/standin/image-65k.bin
  COMMAND lf-bench-image 66560 ${CMAKE_BINARY_DIR}/standin/image-65k.bin
  DEPENDS lf-bench-image)
add_custom_target(lfstandin_images ALL DEPENDS ${CMAKE_BINARY_DIR}/standin/image-65k.bin lfstandin
  lf-bench-check)
set(LF_PEER_IMAGES
  "demo=${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-f767.bin"
  "65k=${CMAKE_BINARY_DIR}/standin/image-65k.bin")
foreach(tool openocd st-flash)
  foreach(img ${LF_PEER_IMAGES})
    string(REGEX REPLACE "=.*" "" tag "${img}")
    string(REGEX REPLACE "^[^=]*=" "" file "${img}")
    set(name "standin_${tool}_${tag}")
    add_test(NAME ${name} COMMAND ${CMAKE_SOURCE_DIR}/scripts/bench-peer ${tool} nucleo-f767zi ${file})
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120)
  endforeach()
endforeach()
