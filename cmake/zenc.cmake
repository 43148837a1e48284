# Our deflate encoder (src/flash/zenc.c, in lfdriver): fuzz_zenc_replay
# replays the committed corpus tests/fuzz/corpus/zenc (a ctest, always
# built); fuzz_zenc is the libFuzzer build, only when the C compiler is
# clang and accepts -fsanitize=fuzzer (inflate.cmake made that check). The
# cmocka test is tests/unit/test_zenc.c (the generic loop).
add_executable(fuzz_zenc_replay tests/fuzz/fuzz_zenc.c src/flash/zenc.c)
target_compile_definitions(fuzz_zenc_replay PRIVATE LF_FUZZ_STANDALONE)
target_include_directories(fuzz_zenc_replay PRIVATE src)
target_link_libraries(fuzz_zenc_replay PRIVATE PkgConfig::ZLIB)
file(GLOB LF_FUZZ_ZENC_INPUTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/zenc/*)
add_test(NAME fuzz_zenc_replay COMMAND fuzz_zenc_replay ${LF_FUZZ_ZENC_INPUTS})
set_tests_properties(fuzz_zenc_replay PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300)

if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  include(CheckCSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer")
  check_c_source_compiles("#include <stdint.h>
#include <stddef.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }" LF_HAVE_LIBFUZZER_Z)
  unset(CMAKE_REQUIRED_FLAGS)
  if(LF_HAVE_LIBFUZZER_Z)
    add_executable(fuzz_zenc tests/fuzz/fuzz_zenc.c src/flash/zenc.c)
    target_include_directories(fuzz_zenc PRIVATE src)
    target_compile_options(fuzz_zenc PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(fuzz_zenc PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_zenc PRIVATE PkgConfig::ZLIB)
    # the short run of every fuzz target (fuzz.cmake's fuzz_NAME_run)
    set(new ${CMAKE_BINARY_DIR}/fuzz-new/zenc)
    set(corpus ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/zenc)
    add_test(NAME fuzz_zenc_run
             COMMAND sh -c "mkdir -p '${new}' && exec \"$0\" -max_total_time=${LF_FUZZ_SECONDS} -max_len=70000 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 '${new}' '${corpus}'"
                     $<TARGET_FILE:fuzz_zenc>)
    set_tests_properties(fuzz_zenc_run PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 600 LABELS fuzz)
  endif()
endif()
