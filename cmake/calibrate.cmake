# Calibration points (scripts/calibrate, issue 18): the fast public
# measurements (OpenOCD reads through ST-LINK/V2 and V3 models, a CMSIS-DAP
# round trip, OpenOCD's 512 KiB F746 programming, st-flash's F469 write, F4
# sector and mass erase) rerun on the bench; fails when fewer than seven are
# within +-25 % of the published figures (docs/calibration.md). Needs
# lua5.4, openocd, st-flash (scripts/setup); under a minute.
if(TARGET luaflash)
  add_test(NAME calibration_points
           COMMAND ${CMAKE_SOURCE_DIR}/scripts/calibrate --out ${CMAKE_BINARY_DIR}/calibrate-test --no-doc
                   --no-sensitivity --only P5,P5b,P6,P7,P8,P9,P12,P13 --check 7)
  set_tests_properties(calibration_points PROPERTIES
    ENVIRONMENT "${LF_TEST_ENV};LF_BUILD_DIR=${CMAKE_BINARY_DIR}" TIMEOUT 300 LABELS bench)
  list(APPEND LF_CUSTOM_TESTS calibration_points)
endif()
