# tests/unit/test_usb.c: the USB transport. libusb_open is wrapped so the
# test sees which devices enumeration opens (strings are read only of
# candidates). The binary runs twice: test_usb on this machine's libusb (its
# libusb checks skip, saying why, when libusb cannot initialise) and
# test_usb_standin on the bench's libusb stand-in, whose devices are known:
# an ST-LINK/V2-1 and an STLINK-V3 (the serials test_usb.c expects).
add_executable(test_usb ${CMAKE_SOURCE_DIR}/tests/unit/test_usb.c)
target_link_libraries(test_usb PRIVATE lfbenchtools lfscript PkgConfig::CMOCKA)
target_link_options(test_usb PRIVATE -Wl,--wrap=libusb_open)
add_test(NAME test_usb COMMAND test_usb)
add_test(NAME test_usb_standin COMMAND test_usb)
set_tests_properties(test_usb PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300)
set_tests_properties(test_usb_standin PROPERTIES TIMEOUT 300 LABELS standin ENVIRONMENT
  "${LF_TEST_ENV};LD_LIBRARY_PATH=${CMAKE_BINARY_DIR}/standin;LF_BENCH_BOARDS=nucleo-f767zi@v2-1:USBTESTV21,nucleo-f767zi@v3:USBTESTV3")
list(APPEND LF_CUSTOM_TESTS test_usb)
