# The target-side inflater (src/flash/loaders/lf_inflate.h, header only):
# fuzz_inflate_replay replays the committed corpus tests/fuzz/corpus/inflate
# (a ctest, always built); fuzz_inflate is the libFuzzer build, only when
# the C compiler is clang and accepts -fsanitize=fuzzer. The cmocka test
# against zlib is tests/unit/test_inflate.c (the generic loop). Both are
# built again with each routine's options of lf_inflate.h (_compact: the
# F2/F4/F7 routine's; _m0: the RP2040 routine's).
add_executable(fuzz_inflate_replay tests/fuzz/fuzz_inflate.c)
target_compile_definitions(fuzz_inflate_replay PRIVATE LF_FUZZ_STANDALONE)
target_include_directories(fuzz_inflate_replay PRIVATE src)
target_link_libraries(fuzz_inflate_replay PRIVATE PkgConfig::ZLIB)
file(GLOB LF_FUZZ_INFLATE_INPUTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/inflate/*)
add_test(NAME fuzz_inflate_replay COMMAND fuzz_inflate_replay ${LF_FUZZ_INFLATE_INPUTS})
set_tests_properties(fuzz_inflate_replay PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300)
# the same with the F2/F4/F7 routine's options (LFZ_COMPACT, LFZ_RBIT: a
# portable bit reversal stands in for the instruction)
set(LF_INFLATE_COMPACT LFZ_COMPACT=1 LFZ_RBIT=lfz_host_rbit LF_INFLATE_HOST_RBIT=1)
add_executable(fuzz_inflate_replay_compact tests/fuzz/fuzz_inflate.c)
target_compile_definitions(fuzz_inflate_replay_compact PRIVATE LF_FUZZ_STANDALONE ${LF_INFLATE_COMPACT})
target_include_directories(fuzz_inflate_replay_compact PRIVATE src)
target_link_libraries(fuzz_inflate_replay_compact PRIVATE PkgConfig::ZLIB)
add_test(NAME fuzz_inflate_replay_compact COMMAND fuzz_inflate_replay_compact ${LF_FUZZ_INFLATE_INPUTS})
set_tests_properties(fuzz_inflate_replay_compact PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300)
add_executable(test_inflate_compact tests/unit/test_inflate.c)
target_compile_definitions(test_inflate_compact PRIVATE ${LF_INFLATE_COMPACT})
target_include_directories(test_inflate_compact PRIVATE src)
target_link_libraries(test_inflate_compact PRIVATE PkgConfig::ZLIB PkgConfig::CMOCKA)
add_test(NAME test_inflate_compact COMMAND test_inflate_compact)
set_tests_properties(test_inflate_compact PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300)
# the same with the RP2040 routine's (LFZ_M0: the Cortex-M0+ variations,
# lf_inflate.h's head comment)
add_executable(fuzz_inflate_m0_replay tests/fuzz/fuzz_inflate.c)
target_compile_definitions(fuzz_inflate_m0_replay PRIVATE LF_FUZZ_STANDALONE LFZ_M0=1)
target_include_directories(fuzz_inflate_m0_replay PRIVATE src)
target_link_libraries(fuzz_inflate_m0_replay PRIVATE PkgConfig::ZLIB)
add_test(NAME fuzz_inflate_m0_replay COMMAND fuzz_inflate_m0_replay ${LF_FUZZ_INFLATE_INPUTS})
set_tests_properties(fuzz_inflate_m0_replay PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300 LABELS fuzz-replay)
add_executable(test_inflate_m0 tests/unit/test_inflate.c)
target_compile_definitions(test_inflate_m0 PRIVATE LFZ_M0=1)
target_include_directories(test_inflate_m0 PRIVATE src)
target_link_libraries(test_inflate_m0 PRIVATE PkgConfig::ZLIB PkgConfig::CMOCKA)
add_test(NAME test_inflate_m0 COMMAND test_inflate_m0)
set_tests_properties(test_inflate_m0 PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300)

if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  include(CheckCSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer")
  check_c_source_compiles("#include <stdint.h>
#include <stddef.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }" LF_HAVE_LIBFUZZER_Z)
  unset(CMAKE_REQUIRED_FLAGS)
  if(LF_HAVE_LIBFUZZER_Z)
    add_executable(fuzz_inflate tests/fuzz/fuzz_inflate.c)
    target_include_directories(fuzz_inflate PRIVATE src)
    target_compile_options(fuzz_inflate PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(fuzz_inflate PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_inflate PRIVATE PkgConfig::ZLIB)
    # the short run of every fuzz target (fuzz.cmake's fuzz_NAME_run)
    set(new ${CMAKE_BINARY_DIR}/fuzz-new/inflate)
    set(corpus ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/inflate)
    add_test(NAME fuzz_inflate_run
             COMMAND sh -c "mkdir -p '${new}' && exec \"$0\" -max_total_time=${LF_FUZZ_SECONDS} -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 '${new}' '${corpus}'"
                     $<TARGET_FILE:fuzz_inflate>)
    set_tests_properties(fuzz_inflate_run PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 600 LABELS fuzz)
  endif()
endif()
