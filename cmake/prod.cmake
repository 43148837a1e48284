# Production flashing (issue 8): the gang runner needs threads; tests of the
# gang, serial numbers, option bytes and the board log on the bench
# (tests/prod/). Owner: production.
find_package(Threads REQUIRED)
target_link_libraries(lfscript PUBLIC Threads::Threads)
