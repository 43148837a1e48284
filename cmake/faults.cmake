# The fault matrix (issue 19): luaflash under every fault kind x phase x
# family board, one ctest per probe kind and one for the nRF52840 (label
# faults; ctest -j2 runs them side by side). Each writes its rows of the
# docs/hardening.md table to faults/NAME.md in the build; fault_matrix_doc checks the committed table
# against them (scripts/fault-matrix-doc --write regenerates it).
add_executable(lf-faultmatrix tests/faults/faultmatrix.c)
target_link_libraries(lf-faultmatrix PRIVATE lfscript)
target_compile_definitions(lf-faultmatrix PRIVATE LF_FM_LUA_DIR="${CMAKE_SOURCE_DIR}/lua")
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/faults)
# The nRF52840 costs most (its loader polls the NVMC through ~165 ms of
# page erases, every instruction emulated): it runs with its own probe (the
# DK's DAPLink, v2) in ctest, with every probe kind in --write runs.
# Normal build: about 12 s of CPU per probe kind, 40 s with the nRF52840.
# ASan/UBSan (about 4x slower): two boards per probe kind, every family once;
# the nRF52840 in erase and program only (such a run writes no table rows).
set(LF_FM_ALL nucleo-f767zi,nucleo-f429zi,nucleo-h743zi,nucleo-f103rb,nucleo-l476rg,pico)
# test name suffix : probe kind : lf-faultmatrix options
set(LF_FM_RUNS "v2-1:v2-1:--boards ${LF_FM_ALL}" "v3:v3:--boards ${LF_FM_ALL}"
    "daplink-hid:daplink-hid:--boards ${LF_FM_ALL}" "daplink:daplink:--boards ${LF_FM_ALL}"
    "daplink-nrf52:daplink:--boards nrf52840-dk")
if(LF_SANITIZE)
  set(LF_FM_RUNS "v2-1:v2-1:--boards nucleo-f103rb,nucleo-f767zi" "v3:v3:--boards nucleo-l476rg,nucleo-f429zi"
      "daplink-hid:daplink-hid:--boards nucleo-h743zi,pico"
      "daplink-nrf52:daplink:--boards nrf52840-dk --phases erase,program")
endif()
foreach(run ${LF_FM_RUNS})
  string(REPLACE ":" ";" kv "${run}")
  list(GET kv 0 name)
  list(GET kv 1 probe)
  list(GET kv 2 opts)
  separate_arguments(opts)
  add_test(NAME fault_matrix_${name}
           COMMAND lf-faultmatrix --probe ${probe} ${opts} --out ${CMAKE_BINARY_DIR}/faults/${name}.md)
  set_tests_properties(fault_matrix_${name} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 900
                       LABELS faults FIXTURES_SETUP fault_matrix)
endforeach()
add_test(NAME fault_matrix_doc
         COMMAND ${CMAKE_SOURCE_DIR}/scripts/fault-matrix-doc --check ${CMAKE_BINARY_DIR}/faults)
set_tests_properties(fault_matrix_doc PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" LABELS faults
                     FIXTURES_REQUIRED fault_matrix)
