/* The probe-driver fuzz sequences, shared by the fuzz targets
 * (fuzz_stlink.c, fuzz_cmsis_dap.c) and the seed recorder
 * (fuzz_probe_seed.c, which runs them against the bench).
 *
 * An input is a selector byte (which device, which path) and the reply
 * stream of fuzz_usb.h. A sequence opens the probe (or describes it), then
 * calls every op of the vtable the driver has, whatever the earlier ones
 * returned (a driver must survive calls after a failure), and closes it.
 * Besides crashes, leaks and hangs (the sanitizers, fuzz_usb.h) it aborts
 * when a driver breaks a contract it can check: a dap_run that succeeds
 * without every access done. */
#ifndef LF_TESTS_FUZZ_PROBE_H
#define LF_TESTS_FUZZ_PROBE_H

#include <stdint.h>

#include "fuzz_usb.h"

/* ST-Link: sel bits 0-3 the PID (index into lf_stlink_usb_ids), bit 4
 * describe instead of open, bit 5 connect under reset, bit 6 the arm layer
 * (src/arm: DP, MEM-AP, Cortex-M) on top instead of the bare vtable. */
void lf_fuzz_stlink_dev(uint8_t sel, lf_fuzz_usb_dev *dev);
void lf_fuzz_stlink_run(lf_session *s, lf_usb_ctx *usb, uint8_t sel);

/* CMSIS-DAP: sel bit 0 HID (v1) instead of bulk (v2), bit 1 high speed
 * (512-byte packets on bulk), bit 4 describe instead of open, bit 5
 * connect under reset, bit 6 the arm layer on top. */
void lf_fuzz_cmsis_dap_dev(uint8_t sel, lf_fuzz_usb_dev *dev);
void lf_fuzz_cmsis_dap_run(lf_session *s, lf_usb_ctx *usb, uint8_t sel);

/* One whole input (selector + replies) through the fuzz transport. */
int lf_fuzz_probe_input(const uint8_t *data, size_t size, int cmsis);

#endif
