# The driver library stands alone: a program linked with lfdriver only
# (no bench, no Unicorn), checked by tests/driver/driver_no_bench.sh.
add_executable(lf-driver-only tests/driver/driver_only.c)
target_link_libraries(lf-driver-only PRIVATE lfdriver)
add_test(NAME driver_no_bench COMMAND bash ${CMAKE_SOURCE_DIR}/tests/driver/driver_no_bench.sh
         ${CMAKE_SOURCE_DIR} $<TARGET_FILE:lf-driver-only>)
set_tests_properties(driver_no_bench PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 60)
