# Production flashing (issue 8): the gang runner needs threads; tests of the
# gang, serial numbers, option bytes and the board log on the bench
# (tests/prod/). Owner: production.
find_package(Threads REQUIRED)
target_link_libraries(lfscript PUBLIC Threads::Threads)

if(TARGET luaflash)
  # 4 virtual boards: all pass; flash error / unplug fail alone; option
  # bytes (RDP 1 read back and enforced, nDBANK / RDP 0 refused).
  add_test(NAME prod_gang COMMAND $<TARGET_FILE:luaflash> ${CMAKE_SOURCE_DIR}/tests/prod/gang_test.lua)
  # kill -9 at random moments of 20-board runs on the SQLite database: no
  # serial twice, no outcome lost or doubled.
  add_test(NAME prod_crash COMMAND bash ${CMAKE_SOURCE_DIR}/tests/prod/crash_test.sh
           $<TARGET_FILE:luaflash> 25)
  # The example script on 4 boards, and its CSV export.
  add_test(NAME prod_example COMMAND bash -c
    "d=$(mktemp -d) && LUAFLASH_PROD_DIR=$d $0 --bench nucleo-f767zi,nucleo-f767zi,nucleo-f767zi,nucleo-f767zi ${CMAKE_SOURCE_DIR}/scripts/production.lua && LUAFLASH_PROD_DIR=$d $0 ${CMAKE_SOURCE_DIR}/scripts/production.lua --csv; r=$?; rm -rf $d; exit $r"
    $<TARGET_FILE:luaflash>)
  set_tests_properties(prod_example PROPERTIES PASS_REGULAR_EXPRESSION
    "4 board\\(s\\): 4 passed, 0 failed, 0 skipped; modeled wall time.*\ntime,station,result,probe,uid,serial")
  set_tests_properties(prod_gang PROPERTIES ENVIRONMENT
    "${LF_TEST_ENV};LUAFLASH_PROD_DIR=${CMAKE_BINARY_DIR}/prod_gang.d" TIMEOUT 120)
  set_tests_properties(prod_crash prod_example PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120)
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/prod_gang.d)
endif()

# C unit tests of the production pieces (image patch, file lock).
add_executable(test_prod ${CMAKE_SOURCE_DIR}/tests/prod/test_prod.c)
target_link_libraries(test_prod PRIVATE lfscript PkgConfig::CMOCKA Threads::Threads)
add_test(NAME test_prod COMMAND test_prod)
set_tests_properties(test_prod PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120)

if(TARGET luaflash)
  # --all-probes on a plain project and on `luaflash flash`; a failing gang
  # exits 1 and names how many boards failed.
  add_test(NAME prod_all_probes_project COMMAND $<TARGET_FILE:luaflash>
           --bench nucleo-f767zi,nucleo-f767zi,nucleo-f767zi ${CMAKE_SOURCE_DIR}/scripts/demo-project.lua --all-probes)
  set_tests_properties(prod_all_probes_project PROPERTIES PASS_REGULAR_EXPRESSION
    "3 board\\(s\\): 3 passed, 0 failed, 0 skipped; modeled wall time 1\\.234 s")
  add_test(NAME prod_all_probes_flash COMMAND $<TARGET_FILE:luaflash> --bench nucleo-f767zi,nucleo-f767zi
           flash ${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-f767.bin --board nucleo_f767zi --all-probes)
  set_tests_properties(prod_all_probes_flash PROPERTIES PASS_REGULAR_EXPRESSION
    "2 board\\(s\\): 2 passed, 0 failed")
  add_test(NAME prod_all_probes_fail COMMAND bash -c
    "out=$($0 --bench nucleo-f767zi,nucleo-f767zi --bench-faults flash_error@2:0x10 flash $1 --board nucleo_f767zi --all-probes 2>&1); r=$?; echo \"$out\"; [ $r -eq 1 ] && echo \"$out\" | grep -q 'luaflash: 2 of 2 board(s) failed' && echo \"$out\" | grep -q 'WRPERR'"
    $<TARGET_FILE:luaflash> ${CMAKE_SOURCE_DIR}/scripts/demo-fw/demo-f767.bin)
  set_tests_properties(prod_all_probes_project prod_all_probes_flash prod_all_probes_fail PROPERTIES
    ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120)
endif()

if(TARGET luaflash)
  # A line on PostgreSQL: a throwaway server (tests/prod/pgserver.sh), three
  # stations with random kill -9, a server restart, a station without its
  # database; the audit finds 0 numbers twice, 0 outcomes lost or doubled.
  # Skips (77) only when no PostgreSQL server can start on this machine.
  add_test(NAME prod_postgresql COMMAND bash ${CMAKE_SOURCE_DIR}/tests/prod/pg_test.sh $<TARGET_FILE:luaflash>)
  set_tests_properties(prod_postgresql PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 300 SKIP_RETURN_CODE 77
                       LABELS prod)
  # `luaflash report` on a database the gang test leaves: text, CSV, SVG.
  add_test(NAME prod_report COMMAND bash ${CMAKE_SOURCE_DIR}/tests/prod/report_test.sh $<TARGET_FILE:luaflash>)
  set_tests_properties(prod_report PROPERTIES ENVIRONMENT "${LF_TEST_ENV}" TIMEOUT 120)
endif()
