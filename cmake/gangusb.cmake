# The production gang over libusb (issue 8), through the bench's libusb
# stand-in: the code path real probes take (one libusb context per thread).
# Owner: gangusb.
#  - gang_usb_standin: the stand-in from 4 threads at once (a context each):
#    replies, callbacks in their own thread, each thread's virtual time
#    exactly as computed by hand, the report per board.
#  - prod_gang_usb: scripts/production.lua on 4 stand-in boards, 20 runs:
#    all pass with each board's serial in its own flash, or one board with a
#    flash error fails alone; modeled times equal in every run.
find_package(Threads REQUIRED)
add_executable(gang_usb_standin ${CMAKE_SOURCE_DIR}/tests/prod/gang_usb_standin.c)
target_include_directories(gang_usb_standin PRIVATE ${LIBUSB_INCLUDE_DIRS})
target_link_libraries(gang_usb_standin PRIVATE lfstandin PkgConfig::CMOCKA Threads::Threads)
add_test(NAME gang_usb_standin COMMAND gang_usb_standin)
set_tests_properties(gang_usb_standin PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120)
list(APPEND LF_CUSTOM_TESTS gang_usb_standin)

if(TARGET luaflash)
  add_test(NAME prod_gang_usb COMMAND bash ${CMAKE_SOURCE_DIR}/tests/prod/gang_usb_test.sh
           ${CMAKE_BINARY_DIR} 20)
  set_tests_properties(prod_gang_usb PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120
    PASS_REGULAR_EXPRESSION "gang over libusb: 20 of 20 runs passed, 0 failed"
    FAIL_REGULAR_EXPRESSION "FAIL run")
endif()
