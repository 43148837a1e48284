# Fuzz targets beyond the image one (image.cmake): probe replies (ST-Link,
# CMSIS-DAP), settings, bench state file, FLM loader, pack reader
# (tests/fuzz/, docs/hardening.md).
#
# Each target NAME is built twice:
#  - fuzz_NAME_replay (always): the driver with tests/fuzz/replay_main.c,
#    ctest fuzz_NAME_replay replays tests/fuzz/corpus/NAME (label fuzz-replay);
#  - fuzz_NAME (C compiler clang with -fsanitize=fuzzer): the libFuzzer
#    build, the code under test compiled in with coverage; ctest
#    fuzz_NAME_run fuzzes for LF_FUZZ_SECONDS (default 20) from the corpus,
#    new units going to the build folder (label fuzz). scripts/test runs
#    these in a clang build (build-fuzz) when clang is installed.
set(LF_FUZZ_SECONDS 20 CACHE STRING "seconds of each short fuzzing run (ctest -L fuzz)")

if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  include(CheckCSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer")
  check_c_source_compiles("#include <stdint.h>
#include <stddef.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }" LF_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
endif()

# lf_fuzz(NAME MAXLEN n [DICT file] SOURCES driver... CODE instrumented-sources... LIBS libs...)
function(lf_fuzz name)
  cmake_parse_arguments(F "" "MAXLEN;DICT" "SOURCES;CODE;LIBS;DEFS" ${ARGN})
  set(dict "")
  if(F_DICT)
    set(dict "-dict=${CMAKE_SOURCE_DIR}/${F_DICT}")
  endif()
  set(corpus ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name})
  add_executable(fuzz_${name}_replay ${F_SOURCES} tests/fuzz/replay_main.c)
  target_include_directories(fuzz_${name}_replay PRIVATE src tests/fuzz)
  target_compile_definitions(fuzz_${name}_replay PRIVATE ${F_DEFS})
  target_link_libraries(fuzz_${name}_replay PRIVATE ${F_LIBS})
  add_test(NAME fuzz_${name}_replay COMMAND fuzz_${name}_replay ${corpus})
  set_tests_properties(fuzz_${name}_replay PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300
                       LABELS fuzz-replay)
  if(LF_HAVE_LIBFUZZER)
    add_executable(fuzz_${name} ${F_SOURCES} ${F_CODE})
    target_include_directories(fuzz_${name} PRIVATE src tests/fuzz)
    target_compile_definitions(fuzz_${name} PRIVATE ${F_DEFS})
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_${name} PRIVATE ${F_LIBS})
    set(new ${CMAKE_BINARY_DIR}/fuzz-new/${name})
    add_test(NAME fuzz_${name}_run
             COMMAND sh -c "mkdir -p '${new}' && exec \"$0\" -max_total_time=${LF_FUZZ_SECONDS} -max_len=${F_MAXLEN} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 ${dict} '${new}' '${corpus}'"
                     $<TARGET_FILE:fuzz_${name}>)
    set_tests_properties(fuzz_${name}_run PROPERTIES ENVIRONMENT "${LF_TEST_ENV}"
                         TIMEOUT 600 LABELS fuzz)
  endif()
endfunction()

lf_fuzz(stlink MAXLEN 12000
  SOURCES tests/fuzz/fuzz_stlink.c tests/fuzz/fuzz_probe.c tests/fuzz/fuzz_usb.c
  CODE src/probe/stlink.c src/usb/usb.c src/arm/adi.c src/arm/cortex_m.c
  LIBS lfdriver)
lf_fuzz(cmsis_dap MAXLEN 12000
  SOURCES tests/fuzz/fuzz_cmsis_dap.c tests/fuzz/fuzz_probe.c tests/fuzz/fuzz_usb.c
  CODE src/probe/cmsis_dap.c src/usb/usb.c src/arm/adi.c src/arm/cortex_m.c
  LIBS lfdriver)
lf_fuzz(settings MAXLEN 1024 DICT tests/fuzz/settings.dict
  SOURCES tests/fuzz/fuzz_settings.c
  LIBS lfscript
  DEFS LF_FUZZ_LUA_DIR="${CMAKE_SOURCE_DIR}/lua")
lf_fuzz(state MAXLEN 140000
  SOURCES tests/fuzz/fuzz_state.c
  CODE src/bench/soc_util.c src/bench/soc.c
  LIBS lfbench)
lf_fuzz(flm MAXLEN 16384
  SOURCES tests/fuzz/fuzz_flm.c
  CODE src/flash/flm.c src/flash/flm_loader.c
  LIBS lfdriver)
lf_fuzz(pack MAXLEN 65536
  SOURCES tests/fuzz/fuzz_pack.c
  CODE src/flash/pack.c src/flash/flm.c
  LIBS lfdriver)

# Seeds of the probe targets: recorded bench sessions (fuzz_probe.h).
add_executable(fuzz_probe_seed tests/fuzz/fuzz_probe_seed.c tests/fuzz/fuzz_probe.c tests/fuzz/fuzz_usb.c)
target_include_directories(fuzz_probe_seed PRIVATE src tests/fuzz)
target_link_libraries(fuzz_probe_seed PRIVATE lfbenchusb)

# The hostile probe (faults.h hostile@SEED): luaflash over a probe that
# corrupts its USB traffic, 1000 seeds per probe kind (label hostile;
# docs/hardening.md has the longer runs and how to rerun them).
add_executable(lf-hostile tests/hostile/hostile.c)
target_link_libraries(lf-hostile PRIVATE lfscript)
target_compile_definitions(lf-hostile PRIVATE LF_HOSTILE_LUA_DIR="${CMAKE_SOURCE_DIR}/lua")
foreach(kind stlink:v2-1 cmsis_dap:daplink)
  string(REPLACE ":" ";" kv ${kind})
  list(GET kv 0 name)
  list(GET kv 1 preset)
  add_test(NAME hostile_probe_${name} COMMAND lf-hostile --probe ${preset} --seeds 0:1000)
  # about 15 s of CPU in the normal build, some 90 s under ASan
  set_tests_properties(hostile_probe_${name} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 900
                       LABELS hostile)
endforeach()
