# Every test runs with a LeakSanitizer suppression of one libunicorn leak
# (scripts/lsan-unicorn.supp: its self-modifying-code bitmap, hit when an
# emulated CMSIS-Pack algorithm writes its PrgData next to its code). Named
# to be included before the parts that define tests with LF_TEST_ENV.
set(LF_TEST_ENV "${LF_TEST_ENV};LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/scripts/lsan-unicorn.supp")
