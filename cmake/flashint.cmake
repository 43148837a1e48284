# End-to-end flash tests (issue 5, integration): tests/flash/*.lua run by
# the luaflash binary on in-process virtual boards (lf.bench), each printing
# a cmocka-like summary; a failed test makes the script (and ctest) fail.
# flashtest.lua, forge.lua and bits.lua are helpers, not tests. cli_faults.sh checks
# the command line's exit status and messages under injected faults.
if(TARGET luaflash)
  file(GLOB LF_FLASH_E2E CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/flash/*.lua)
  foreach(src ${LF_FLASH_E2E})
    get_filename_component(name ${src} NAME_WE)
    if(NOT name STREQUAL "flashtest" AND NOT name STREQUAL "forge" AND NOT name STREQUAL "bits")
      add_test(NAME flash_${name} COMMAND $<TARGET_FILE:luaflash> ${src})
      set_tests_properties(flash_${name} PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 900
        PASS_REGULAR_EXPRESSION "\\[  PASSED  \\] [0-9]+ test\\(s\\)\\."
        FAIL_REGULAR_EXPRESSION "\\[  FAILED  \\]")
    endif()
  endforeach()
  if(EXISTS ${CMAKE_SOURCE_DIR}/tests/flash/cli_faults.sh)
    add_test(NAME flash_cli_faults COMMAND bash ${CMAKE_SOURCE_DIR}/tests/flash/cli_faults.sh
             $<TARGET_FILE:luaflash>)
    set_tests_properties(flash_cli_faults PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300)
  endif()
  # erase avoidance (issue 17): blank, ECC, collision, power loss
  add_test(NAME flash_cli_erase_avoid COMMAND bash ${CMAKE_SOURCE_DIR}/tests/flash/cli_erase_avoid.sh
           $<TARGET_FILE:luaflash>)
  set_tests_properties(flash_cli_erase_avoid PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300
                       FAIL_REGULAR_EXPRESSION "\\[  FAILED  \\]")
  # bits-only programming (issue 17): only clears bits, mixed, loader fallback, ECC, power loss
  add_test(NAME flash_cli_bits COMMAND bash ${CMAKE_SOURCE_DIR}/tests/flash/cli_bits.sh
           $<TARGET_FILE:luaflash>)
  set_tests_properties(flash_cli_bits PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300
                       FAIL_REGULAR_EXPRESSION "\\[  FAILED  \\]")
  # compressed upload (issue 17): realistic images, auto/on/off, faults, other families
  add_test(NAME flash_cli_compress COMMAND bash ${CMAKE_SOURCE_DIR}/tests/flash/cli_compress.sh
           $<TARGET_FILE:luaflash>)
  set_tests_properties(flash_cli_compress PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 600
                       FAIL_REGULAR_EXPRESSION "\\[  FAILED  \\]")
endif()
