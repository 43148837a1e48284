/* Probe-driver fuzz sequences (fuzz_probe.h). */
#include "fuzz_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm/adi.h"
#include "arm/cortex_m.h"
#include "probe/cmsis_dap.h"
#include "probe/probe.h"
#include "probe/stlink.h"

void lf_fuzz_stlink_dev(uint8_t sel, lf_fuzz_usb_dev *dev)
{
  const lf_usb_match *m = &lf_stlink_usb_ids[(sel & 0x0F) % lf_stlink_usb_nids];
  *dev = (lf_fuzz_usb_dev){.vid = m->vid, .pid = m->pid, .xfer = LF_USB_BULK, .ep_out = 0x01,
                           .ep_in = 0x81, .max_packet = 64};
}

void lf_fuzz_cmsis_dap_dev(uint8_t sel, lf_fuzz_usb_dev *dev)
{
  bool hid = sel & 1, hs = (sel & 2) && !hid;
  *dev = (lf_fuzz_usb_dev){.vid = 0x0D28, .pid = 0x0204,
                           .iface_name = hid ? "CMSIS-DAP v1" : "CMSIS-DAP v2",
                           .iface_class = hid ? 0x03 : 0xFF,
                           .xfer = hid ? LF_USB_INTERRUPT : LF_USB_BULK, .ep_out = 0x01,
                           .ep_in = 0x81, .max_packet = hs ? 512 : 64, .high_speed = hs};
}

/* Every op of the vtable, in a plausible order; results are ignored except
 * for contract checks. */
static void exercise(lf_probe *p, uint8_t sel)
{
  const lf_probe_ops *o = p->ops;
  uint32_t hz = 0, v = 0;
  static uint8_t buf[8192];
  o->set_clock(p, 4000000, &hz);
  o->connect(p, (sel & 0x20) ? LF_CONNECT_UNDER_RESET : LF_CONNECT_NORMAL);
  if (o->set_nrst)
    o->set_nrst(p, false);
  if (o->dp_read) {
    o->dp_read(p, 0x0, &v);
    o->dp_read(p, 0x4, &v);
  }
  if (o->dp_write) {
    o->dp_write(p, 0x4, 0x50000000);
    o->dp_write(p, 0x8, 0x000000F0);
  }
  o->ap_read(p, 0, 0xC, &v);
  o->ap_write(p, 0, 0x0, 0x23000052);
  if (o->mem_read) {
    o->mem_read(p, 0, 0x08000001, buf, 301, 0);
    o->mem_read(p, 0, 0x20000000, buf, 7000, 4);
    o->mem_read(p, 0, 0x20000002, buf, 10, 2);
  }
  if (o->mem_write) {
    memset(buf, 0xA5, 2100);
    o->mem_write(p, 0, 0x20000003, buf, 130, 0);
    o->mem_write(p, 0, 0x20000000, buf, 2100, 4);
    o->mem_write(p, 0, 0x20000000, buf, 64, 1);
  }
  if (o->read32)
    o->read32(p, 0, 0xE000EDF0, &v);
  if (o->write32)
    o->write32(p, 0, 0xE000EDF0, 0xA05F0003);
  if (o->dap_run) {
    static uint32_t words[300];
    uint32_t csw = 0x23000052, tar = 0x20000000, dpidr = 0, ctrl = 0;
    for (int pass = 0; pass < 2; pass++) {
      lf_dap_op ops[] = {
        {.ap = false, .read = true, .addr = 0x0, .count = 1, .data = &dpidr},
        {.ap = true, .read = false, .addr = 0x0, .count = 1, .data = &csw},
        {.ap = true, .read = false, .addr = 0x4, .count = 1, .data = &tar},
        {.ap = true, .read = true, .addr = 0xC, .count = 256, .data = words},
        {.ap = true, .read = false, .addr = 0xC, .count = 20, .data = words},
        {.ap = false, .read = true, .addr = 0x4, .count = 1, .data = &ctrl},
      };
      size_t n = sizeof ops / sizeof ops[0];
      if (pass == 1 && o->dap_post) {
        o->dap_post(p, ops, n);
        o->dap_post(p, ops, 3);
        o->dap_flush(p);
        continue;
      }
      if (o->dap_run(p, ops, n) == 0)
        for (size_t i = 0; i < n; i++)
          if (ops[i].done != ops[i].count)
            abort(); /* success without every access done */
    }
  }
  if (o->set_read_depth)
    o->set_read_depth(p, 4);
  double volts;
  if (o->target_voltage)
    o->target_voltage(p, &volts);
  if (o->set_nrst) {
    o->set_nrst(p, true);
    o->set_nrst(p, false);
  }
  o->disconnect(p);
}

/* The layers above the driver on its replies: DP power-up, MEM-AP, core
 * connect and identification, halt, registers, memory, a function run,
 * reset, disconnect. */
static void exercise_arm(lf_session *s, lf_probe *p, uint8_t sel)
{
  lf_adi *a;
  lf_adi_cfg ac;
  lf_adi_cfg_default(&ac);
  if (lf_adi_new(s, p, &ac, &a) != 0)
    return;
  lf_cm *t;
  if (lf_cm_new(a, NULL, &t) == 0) {
    static uint8_t buf[3000];
    uint32_t v;
    bool halted;
    lf_cm_connect(t, (sel & 0x20) ? LF_CM_UNDER_RESET : LF_CM_ATTACH_HALT);
    lf_cm_identify(t);
    lf_cm_halt(t);
    lf_cm_is_halted(t, &halted);
    lf_cm_read_reg(t, 15, &v);
    lf_cm_write_reg(t, 0, 0x12345678);
    lf_adi_read(a, 0x08000002, buf, 1030);
    lf_adi_write(a, 0x20000001, buf, 2100);
    lf_adi_write_posted(a, 0x20000000, buf, 64);
    lf_adi_read32_posted(a, 0x20000000, &v);
    lf_adi_flush(a);
    lf_cm_reset(t, (lf_cm_reset_kind)((sel >> 2) % 3), true);
    /* last: its polling follows the clock, which the fuzz transport keeps
     * only roughly like the bench (a recorded seed replays up to here) */
    static const uint32_t args[4] = {1, 2, 3, 4};
    lf_cm_run_function(t, 0x20000001, args, 0x20001000, 0.01, &v);
    lf_cm_disconnect(t, true);
    lf_cm_free(t);
  }
  lf_adi_disconnect(a);
  lf_adi_free(a);
}

static void run(lf_session *s, lf_usb_ctx *usb, uint8_t sel, const lf_usb_match *filter, size_t nf,
                int (*open)(lf_session *, lf_usb_dev *, lf_probe **),
                int (*describe)(lf_session *, lf_usb_dev *, lf_probe_entry *))
{
  lf_usb_dev *dev;
  if (lf_usb_open(usb, filter, nf, NULL, &dev, NULL) != 0)
    return;
  if (sel & 0x10) {
    lf_probe_entry e;
    memset(&e, 0, sizeof e);
    describe(s, dev, &e);
    lf_usb_close(dev);
    return;
  }
  lf_probe *p;
  if (open(s, dev, &p) != 0)
    return; /* open closes the device on failure */
  if (sel & 0x40)
    exercise_arm(s, p, sel);
  else
    exercise(p, sel);
  lf_probe_close(p);
}

void lf_fuzz_stlink_run(lf_session *s, lf_usb_ctx *usb, uint8_t sel)
{
  run(s, usb, sel, lf_stlink_usb_ids, lf_stlink_usb_nids, lf_stlink_open, lf_stlink_describe);
}

void lf_fuzz_cmsis_dap_run(lf_session *s, lf_usb_ctx *usb, uint8_t sel)
{
  run(s, usb, sel, &lf_cmsis_dap_usb_match[(sel & 1) ? 1 : 0], 1, lf_cmsis_dap_open,
      lf_cmsis_dap_describe);
}

int lf_fuzz_probe_input(const uint8_t *data, size_t size, int cmsis)
{
  if (size < 1)
    return 0;
  lf_session *s = lf_session_new();
  lf_fuzz_usb_dev dev;
  if (cmsis)
    lf_fuzz_cmsis_dap_dev(data[0], &dev);
  else
    lf_fuzz_stlink_dev(data[0], &dev);
  lf_usb_ctx *usb;
  if (lf_fuzz_usb_new(s, &dev, data + 1, size - 1, &usb) == 0) {
    if (cmsis)
      lf_fuzz_cmsis_dap_run(s, usb, data[0]);
    else
      lf_fuzz_stlink_run(s, usb, data[0]);
    if (getenv("LF_FUZZ_VERBOSE"))
      fprintf(stderr, "%llu transfers, %zu of %zu reply bytes used; last error: %s\n",
              (unsigned long long)lf_fuzz_usb_transfers(usb), lf_fuzz_usb_used(usb), size - 1,
              lf_err_msg(s));
    lf_usb_free(usb);
  }
  lf_session_free(s);
  return 0;
}
