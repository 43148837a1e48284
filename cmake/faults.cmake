# The fault matrix (issue 19): luaflash under every fault kind x phase x
# family board, one ctest per probe kind (label faults; ctest -j2 runs them
# side by side). Each writes its rows of the docs/hardening.md table to
# faults/PROBE.md in the build; fault_matrix_doc checks the committed table
# against them (scripts/fault-matrix-doc --write regenerates it).
add_executable(lf-faultmatrix tests/faults/faultmatrix.c)
target_link_libraries(lf-faultmatrix PRIVATE lfscript)
target_compile_definitions(lf-faultmatrix PRIVATE LF_FM_LUA_DIR="${CMAKE_SOURCE_DIR}/lua")
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/faults)
set(LF_FM_TESTS "")
# Normal build: every board (about 40 s of CPU per probe kind). ASan/UBSan:
# two boards per probe kind, every family once or more (about 5x slower).
set(LF_FM_ASAN_BOARDS_v2-1 nucleo-f103rb,nucleo-f767zi)
set(LF_FM_ASAN_BOARDS_v3 nucleo-l476rg,nrf52840-dk)
set(LF_FM_ASAN_BOARDS_daplink-hid nucleo-f429zi,pico)
set(LF_FM_ASAN_BOARDS_daplink nucleo-h743zi,pico)
foreach(probe v2-1 v3 daplink-hid daplink)
  set(fm_boards "")
  if(LF_SANITIZE)
    set(fm_boards --boards ${LF_FM_ASAN_BOARDS_${probe}})
  endif()
  add_test(NAME fault_matrix_${probe}
           COMMAND lf-faultmatrix --probe ${probe} ${fm_boards} --out ${CMAKE_BINARY_DIR}/faults/${probe}.md)
  set_tests_properties(fault_matrix_${probe} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 900
                       LABELS faults FIXTURES_SETUP fault_matrix)
  list(APPEND LF_FM_TESTS fault_matrix_${probe})
endforeach()
add_test(NAME fault_matrix_doc
         COMMAND ${CMAKE_SOURCE_DIR}/scripts/fault-matrix-doc --check ${CMAKE_BINARY_DIR}/faults)
set_tests_properties(fault_matrix_doc PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" LABELS faults
                     FIXTURES_REQUIRED fault_matrix)
