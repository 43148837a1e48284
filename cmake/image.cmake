# Images and plan (src/flash/image.c, plan.c): the fuzz driver.
# fuzz_image_replay runs the driver once over the test images and the
# minimized corpus (always built, a ctest); fuzz_image is the libFuzzer
# build, only when the C compiler is clang and accepts -fsanitize=fuzzer.
add_executable(fuzz_image_replay tests/fuzz/fuzz_image.c)
target_compile_definitions(fuzz_image_replay PRIVATE LF_FUZZ_STANDALONE)
target_link_libraries(fuzz_image_replay PRIVATE lfdriver)
file(GLOB LF_FUZZ_IMAGE_INPUTS CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/image/*
  ${CMAKE_SOURCE_DIR}/tests/data/images/app.*
  ${CMAKE_SOURCE_DIR}/tests/data/images/gcc/gcc.*)
add_test(NAME fuzz_image_replay COMMAND fuzz_image_replay ${LF_FUZZ_IMAGE_INPUTS})
set_tests_properties(fuzz_image_replay PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300 LABELS fuzz-replay)

if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  include(CheckCSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer")
  check_c_source_compiles("#include <stdint.h>
#include <stddef.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }" LF_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
  if(LF_HAVE_LIBFUZZER)
    # the code under test is compiled into the target so it gets coverage;
    # the rest comes from the driver library (its image.o/plan.o are not pulled)
    add_executable(fuzz_image tests/fuzz/fuzz_image.c src/flash/image.c src/flash/plan.c)
    target_include_directories(fuzz_image PRIVATE src)
    target_compile_options(fuzz_image PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(fuzz_image PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_image PRIVATE lfdriver)
    # the short fuzzing run of scripts/test (ctest -L '^fuzz$', cmake/fuzz.cmake)
    set(new ${CMAKE_BINARY_DIR}/fuzz-new/image)
    add_test(NAME fuzz_image_run
             COMMAND sh -c "mkdir -p '${new}' && exec \"$0\" -max_total_time=${LF_FUZZ_SECONDS} -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 '${new}' '${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/image'"
                     $<TARGET_FILE:fuzz_image>)
    set_tests_properties(fuzz_image_run PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 600 LABELS fuzz)
  endif()
endif()
