/* The CMSIS-DAP driver (src/probe/cmsis_dap.c) against a fake probe
 * (tests/support/fakedap.h: firmware written from the reference, a bench
 * board's SW-DP as its target) behind a test USB backend: discovery and v2
 * over v1, DAP_Info, the command encodings, packing and Packet Count in
 * flight, DAP_TransferBlock for memory, WAIT/FAULT/ABORT, NRST, HID framing,
 * and every malformed reply. References: probe-protocols.md 3 and 4,
 * ../shared/reference/cmsis-dap.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arm/adi.h"
#include "bench/bench.h"
#include "core/session.h"
#include "probe/cmsis_dap.h"
#include "probe/probe.h"

#include "bench/usb_bench.h"
#include "fakedap.h"

#define SRAM 0x20020000u
#define UNMAPPED 0x30000000u
#define DPIDR_F767 0x5BA02477u

typedef struct fx {
  lf_session *s;
  lf_bench_board *b;
  lf_fake_dap *f;
  lf_usb_ctx *usb;
  lf_probe *p;
  lf_adi *a;
} fx;

static const lf_fake_dap_state *ST(const fx *x) { return lf_fake_dap_state_get(x->f); }

/* The fake of shape c (a board behind it when `board`); the probe opened
 * through the registry by kind, unless open_result says open must fail. */
static int fx_try(fx *x, lf_fake_dap_cfg *c, bool board)
{
  memset(x, 0, sizeof *x);
  x->s = lf_session_new();
  if (board) {
    lf_bench_board_cfg bc;
    lf_bench_board_cfg_default(&bc);
    char err[256];
    x->b = lf_bench_board_new(&bc, err, sizeof err);
    if (!x->b)
      fail_msg("bench: %s", err);
    c->board = x->b;
  }
  x->f = lf_fake_dap_new(c);
  assert_non_null(x->f);
  assert_int_equal(lf_fake_usb_new(x->s, &x->f, 1, &x->usb), 0);
  lf_probe_selector sel = {.index = -1, .kind = "cmsis-dap"};
  return lf_probe_open(x->s, x->usb, &sel, &x->p);
}

static void fx_open(fx *x, lf_fake_dap_cfg *c, bool board)
{
  if (fx_try(x, c, board))
    fail_msg("open: %s", lf_err_msg(x->s));
}

static void fx_connect(fx *x)
{
  if (x->p->ops->connect(x->p, LF_CONNECT_NORMAL))
    fail_msg("connect: %s", lf_err_msg(x->s));
}

static void fx_adi(fx *x)
{
  assert_int_equal(lf_adi_new(x->s, x->p, NULL, &x->a), 0);
  if (lf_adi_connect(x->a, LF_CONNECT_NORMAL))
    fail_msg("adi connect: %s", lf_err_msg(x->s));
}

static void fx_close(fx *x)
{
  if (x->a) {
    lf_adi_disconnect(x->a);
    lf_adi_free(x->a);
  }
  lf_probe_close(x->p);
  lf_usb_free(x->usb);
  lf_fake_dap_free(x->f);
  lf_bench_board_free(x->b);
  lf_session_free(x->s);
}

static void has(const fx *x, const char *text)
{
  if (!strstr(lf_err_msg(x->s), text))
    fail_msg("message lacks \"%s\": %s", text, lf_err_msg(x->s));
}

/* got (len bytes; NULL: none) starts with the n bytes of want; what and i
 * name it in the failure. */
static void starts_with(const char *what, size_t i, const uint8_t *got, size_t len,
                        const uint8_t *want, size_t n)
{
  if (got && len >= n && !memcmp(got, want, n))
    return;
  char g[160] = "", e[160] = "";
  for (size_t k = 0; k < n && k < 40; k++) {
    snprintf(e + strlen(e), sizeof e - strlen(e), "%02x ", want[k]);
    if (got && k < len)
      snprintf(g + strlen(g), sizeof g - strlen(g), "%02x ", got[k]);
  }
  fail_msg("%s %zu: got %s, expected %s", what, i, g, e);
}

/* The logged request i starts with the n bytes of want. */
static void req_is(const fx *x, size_t i, const uint8_t *want, size_t n)
{
  size_t len;
  const uint8_t *r = lf_fake_dap_log(x->f, i, &len);
  starts_with("request", i, r, len, want, n);
}
#define REQ(x, i, ...)                                                                             \
  do {                                                                                             \
    const uint8_t w_[] = {__VA_ARGS__};                                                            \
    req_is(x, i, w_, sizeof w_);                                                                   \
  } while (0)

/* Command n of the requests logged, counting each command of a
 * DAP_ExecuteCommands packet as its own. */
static const uint8_t *nth_cmd(const fx *x, size_t n, size_t *len)
{
  for (size_t i = 0; i < lf_fake_dap_nlog(x->f); i++) {
    const uint8_t *c;
    for (size_t j = 0; (c = lf_fake_dap_command(x->f, i, j, len)) != NULL; j++)
      if (n-- == 0)
        return c;
  }
  *len = 0;
  return NULL;
}

static size_t ncmds(const fx *x)
{
  size_t n = 0, len;
  while (nth_cmd(x, n, &len))
    n++;
  return n;
}

/* Command n (nth_cmd) starts with the bytes of want. */
static void cmd_is(const fx *x, size_t n, const uint8_t *want, size_t wn)
{
  size_t len;
  const uint8_t *r = nth_cmd(x, n, &len);
  starts_with("command", n, r, len, want, wn);
}
#define CMD(x, n, ...)                                                                             \
  do {                                                                                             \
    const uint8_t w_[] = {__VA_ARGS__};                                                            \
    cmd_is(x, n, w_, sizeof w_);                                                                   \
  } while (0)

/* ---- discovery ---- */

static void registry_finds_cmsis_dap_by_interface_name_bulk_before_hid(void **state)
{
  lf_probe_driver_info d;
  bool found = false;
  for (size_t i = 0; lf_probe_driver_get(i, &d); i++) {
    if (strcmp(d.kind, "cmsis-dap"))
      continue;
    found = true;
    assert_int_equal(d.nmatch, 2);
    for (size_t k = 0; k < 2; k++) {
      assert_string_equal(d.match[k].iface_name, "CMSIS-DAP");
      assert_int_equal(d.match[k].vid, 0);
      assert_int_equal(d.match[k].iface, -1);
    }
    assert_int_equal(d.match[0].iface_class, 0xFF);
    assert_int_equal(d.match[0].xfer, LF_USB_BULK);
    assert_int_equal(d.match[1].iface_class, 0x03);
    assert_int_equal(d.match[1].xfer, LF_USB_INTERRUPT);
  }
  assert_true(found);
}

static void composite_device_is_driven_as_v2_on_its_bulk_interface(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_daplink(&c);
  fx x;
  fx_open(&x, &c, false);
  const lf_cmsis_dap_info *in = lf_cmsis_dap_info_get(x.p);
  assert_true(lf_cmsis_dap_is(x.p));
  assert_false(in->v1);
  assert_int_equal(in->iface, 4);
  assert_int_equal(ST(&x)->iface, 4);
  assert_int_equal(in->ep_out, 0x04);
  assert_int_equal(in->ep_in, 0x85);
  assert_string_equal(x.p->info.kind, "cmsis-dap");
  assert_non_null(strstr(x.p->info.detail, "v2 bulk"));
  fx_close(&x);
}

static void hid_only_device_is_driven_as_v1_with_full_zero_padded_reports(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_hid_only(&c);
  fx x;
  fx_open(&x, &c, true);
  const lf_cmsis_dap_info *in = lf_cmsis_dap_info_get(x.p);
  assert_true(in->v1);
  assert_int_equal(in->iface, 3);
  assert_int_equal(in->report, 64);
  assert_non_null(strstr(x.p->info.detail, "v1 HID"));
  fx_adi(&x);
  uint8_t out[300], back[300];
  for (size_t i = 0; i < sizeof out; i++)
    out[i] = (uint8_t)(i * 7 + 1);
  assert_int_equal(lf_adi_write(x.a, SRAM + 1, out, sizeof out), 0);
  assert_int_equal(lf_adi_read(x.a, SRAM + 1, back, sizeof back), 0);
  assert_memory_equal(back, out, sizeof out);
  assert_int_equal(ST(&x)->bad_frames, 0);
  assert_int_equal(ST(&x)->dropped, 0);
  size_t len;
  const uint8_t *r = lf_fake_dap_log(x.f, 0, &len); /* Info 0xFE, padded with zeros */
  assert_int_equal(len, 64);
  assert_int_equal(r[0], 0x00);
  assert_int_equal(r[1], 0xFE);
  for (size_t i = 2; i < len; i++)
    assert_int_equal(r[i], 0);
  for (size_t i = 0; i < lf_fake_dap_nlog(x.f); i++) {
    lf_fake_dap_log(x.f, i, &len);
    assert_int_equal(len, 64);
  }
  fx_close(&x);
}

static void an_interface_named_cmsis_dap_of_another_class_is_not_a_probe(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_daplink(&c);
  c.ifaces[2].cls = 0x08; /* the names stay, the classes are not HID / vendor */
  c.ifaces[3].cls = 0x0A;
  fx x;
  assert_int_equal(fx_try(&x, &c, false), LF_ENODEV);
  has(&x, "kind cmsis-dap");
  lf_probe_entry *es;
  size_t n;
  assert_int_equal(lf_probe_list(x.s, x.usb, &es, &n), 0);
  assert_int_equal(n, 0);
  free(es);
  fx_close(&x);
}

/* ---- DAP_Info ---- */

static void open_asks_packet_count_alone_then_size_and_caps_then_strings(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_daplink(&c);
  c.info_vendor = "ARM";
  c.info_product = "DAPLink CMSIS-DAP";
  fx x;
  fx_open(&x, &c, false);
  /* 0xFE; 0xFF, 0xF0; the 5 strings through a window of 4 (the fifth goes
   * out when the first reply is in: the pipe never empties) */
  assert_int_equal(ST(&x)->batches, 1 + 1 + 1);
  REQ(&x, 0, 0x00, 0xFE);
  REQ(&x, 1, 0x00, 0xFF);
  REQ(&x, 2, 0x00, 0xF0);
  REQ(&x, 3, 0x00, 0x04);
  REQ(&x, 4, 0x00, 0x01);
  REQ(&x, 5, 0x00, 0x02);
  REQ(&x, 6, 0x00, 0x03);
  REQ(&x, 7, 0x00, 0x09);
  assert_int_equal(lf_fake_dap_nlog(x.f), 8);
  const lf_cmsis_dap_info *in = lf_cmsis_dap_info_get(x.p);
  assert_int_equal(in->packet_size, 64);
  assert_int_equal(in->packet_count, 4);
  assert_int_equal(in->inflight, 4);
  assert_int_equal(in->caps, 0x11);
  assert_string_equal(in->protocol, "2.1.0");
  assert_string_equal(in->firmware, "0257");
  assert_string_equal(in->vendor, "ARM");
  assert_string_equal(in->product, "DAPLink CMSIS-DAP");
  assert_string_equal(in->serial, "");
  assert_string_equal(x.p->info.firmware, "0257");
  assert_string_equal(x.p->info.product, "DAPLink CMSIS-DAP");
  assert_string_equal(x.p->info.serial, c.serial);
  assert_string_equal(x.p->info.detail, "v2 bulk, 4 x 64-byte packets, DAP 2.1.0");
  assert_int_equal(x.p->info.vid, 0x0D28);
  assert_int_equal(ST(&x)->max_pending, 4);
  fx_close(&x);
}

static void listing_shows_kind_product_firmware_serial_and_packets(void **state)
{
  lf_session *s = lf_session_new();
  lf_fake_dap_cfg c1, c2;
  lf_fake_dap_cfg_daplink(&c1);
  lf_fake_dap_cfg_debugprobe(&c2);
  lf_fake_dap *fs[2] = {lf_fake_dap_new(&c1), lf_fake_dap_new(&c2)};
  lf_usb_ctx *usb;
  assert_int_equal(lf_fake_usb_new(s, fs, 2, &usb), 0);
  lf_probe_entry *es;
  size_t n;
  assert_int_equal(lf_probe_list(s, usb, &es, &n), 0);
  assert_int_equal(n, 2);
  assert_string_equal(es[0].info.kind, "cmsis-dap");
  assert_string_equal(es[0].info.firmware, "0257");
  assert_string_equal(es[1].info.product, "Debug Probe (CMSIS-DAP)");
  assert_string_equal(es[1].info.serial, "E6614C311B597D32");
  assert_string_equal(es[1].info.firmware, "2.0.0"); /* no Info 0x09: the protocol version */
  assert_string_equal(es[1].info.detail, "v2 bulk, 2 x 64-byte packets, DAP 2.0.0");
  assert_string_equal(es[1].info.location, "fake:2");
  assert_string_equal(es[0].note, "");
  free(es);
  /* selection by kind and index, then by serial */
  lf_probe *p;
  lf_probe_selector sel = {.index = 1, .kind = "cmsis-dap"};
  assert_int_equal(lf_probe_open(s, usb, &sel, &p), 0);
  assert_string_equal(p->info.serial, "E6614C311B597D32");
  lf_probe_close(p);
  lf_probe_selector ser = {.index = -1, .serial = "0240"};
  assert_int_equal(lf_probe_open(s, usb, &ser, &p), 0);
  assert_string_equal(p->info.product, "DAPLink CMSIS-DAP");
  lf_probe_close(p);
  lf_usb_free(usb);
  lf_fake_dap_free(fs[0]);
  lf_fake_dap_free(fs[1]);
  lf_session_free(s);
}

static void a_probe_without_swd_is_refused(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_debugprobe(&c);
  c.caps = 0x02; /* JTAG only */
  fx x;
  assert_int_equal(fx_try(&x, &c, false), LF_ENOTSUP);
  has(&x, "no SWD (capabilities 0x02)");
  fx_close(&x);
}

/* ---- commands ---- */

/* The connect's commands (reference encodings), in one DAP_ExecuteCommands
 * packet: one round trip; the DPIDR read last. */
static void connect_is_one_execute_commands_packet_in_the_reference_encodings(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_daplink(&c);
  c.packet_count = 8;
  fx x;
  fx_open(&x, &c, true);
  uint32_t hz = 0;
  lf_fake_dap_clear_log(x.f);
  assert_int_equal(x.p->ops->set_clock(x.p, 4000000, &hz), 0);
  assert_int_equal(hz, 4000000);
  assert_int_equal(lf_fake_dap_nlog(x.f), 0); /* not connected: the clock goes with the connect */
  unsigned b0 = ST(&x)->batches;
  fx_connect(&x);
  assert_int_equal(ST(&x)->batches - b0, 1);
  assert_int_equal(lf_fake_dap_nlog(x.f), 1);
  REQ(&x, 0, 0x7F, 7);
  CMD(&x, 0, 0x02, 0x01);
  CMD(&x, 1, 0x11, 0x00, 0x09, 0x3D, 0x00);
  CMD(&x, 2, 0x04, 0x00, 0x64, 0x00, 0x00, 0x00);
  CMD(&x, 3, 0x13, 0x00);
  CMD(&x, 4, 0x01, 0x00, 0x01); /* HostStatus connect LED on */
  CMD(&x, 5, 0x12, 136, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x9E, 0xE7, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0x00);
  CMD(&x, 6, 0x05, 0x00, 0x01, 0x02); /* DP read DPIDR */
  assert_int_equal(ncmds(&x), 7);
  assert_int_equal(x.p->dpidr, DPIDR_F767);
  assert_int_equal(ST(&x)->port, 1);
  assert_int_equal(ST(&x)->clock_hz, 4000000);
  assert_int_equal(ST(&x)->wait_retry, 100);
  assert_int_equal(ST(&x)->swd_cfg, 0);
  assert_true(ST(&x)->led_connect);
  assert_int_equal(ST(&x)->dropped, 0);
  assert_int_equal(x.p->ops->set_clock(x.p, 0, &hz), LF_EINVAL);
  /* connected: a new clock goes at once; the same clock again costs nothing */
  lf_fake_dap_clear_log(x.f);
  assert_int_equal(x.p->ops->set_clock(x.p, 2000000, &hz), 0);
  REQ(&x, 0, 0x11, 0x80, 0x84, 0x1E, 0x00);
  assert_int_equal(ST(&x)->clock_hz, 2000000);
  assert_int_equal(x.p->ops->set_clock(x.p, 2000000, &hz), 0);
  assert_int_equal(lf_fake_dap_nlog(x.f), 1);
  /* connect again: the probe is set up, only the SWD line and DPIDR */
  lf_fake_dap_clear_log(x.f);
  fx_connect(&x);
  assert_int_equal(lf_fake_dap_nlog(x.f), 1);
  assert_int_equal(ncmds(&x), 2);
  CMD(&x, 0, 0x12, 136);
  CMD(&x, 1, 0x05, 0x00, 0x01, 0x02);
  /* disconnect: DAP_Disconnect, LED off, one packet; transfers then need a connect */
  lf_fake_dap_clear_log(x.f);
  assert_int_equal(x.p->ops->disconnect(x.p), 0);
  assert_int_equal(lf_fake_dap_nlog(x.f), 1);
  CMD(&x, 0, 0x03);
  CMD(&x, 1, 0x01, 0x00, 0x00);
  assert_int_equal(ST(&x)->port, 0);
  assert_false(ST(&x)->led_connect);
  uint32_t v;
  assert_int_equal(x.p->ops->dp_read(x.p, 0x04, &v), LF_ETARGET);
  has(&x, "not connected");
  fx_close(&x);
}

/* Firmware that advertises atomic commands but answers 0x7F with 0xFF
 * (debugprobe's HID build): nothing ran, the commands go one by one, and
 * never in a list again. */
static void connect_without_execute_commands_sends_them_one_by_one(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_daplink(&c);
  c.no_execute = true;
  fx x;
  fx_open(&x, &c, true);
  lf_fake_dap_clear_log(x.f);
  fx_connect(&x);
  REQ(&x, 0, 0x7F, 6); /* refused */
  REQ(&x, 1, 0x02, 0x01);
  REQ(&x, 2, 0x04, 0x00, 0x64, 0x00, 0x00, 0x00);
  REQ(&x, 3, 0x13, 0x00);
  REQ(&x, 4, 0x01, 0x00, 0x01);
  REQ(&x, 5, 0x12, 136);
  REQ(&x, 6, 0x05, 0x00, 0x01, 0x02);
  assert_int_equal(lf_fake_dap_nlog(x.f), 7);
  assert_int_equal(x.p->dpidr, DPIDR_F767);
  assert_int_equal(ST(&x)->dropped, 0);
  assert_int_equal(ST(&x)->port, 1);
  lf_fake_dap_clear_log(x.f);
  assert_int_equal(x.p->ops->disconnect(x.p), 0);
  REQ(&x, 0, 0x03);
  REQ(&x, 1, 0x01, 0x00, 0x00);
  assert_int_equal(lf_fake_dap_nlog(x.f), 2);
  fx_close(&x);
}

static void transfer_configure_carries_the_configured_retries(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_debugprobe(&c);
  fx x;
  fx_open(&x, &c, true);
  lf_cmsis_dap_cfg cfg = *lf_cmsis_dap_cfg_get(x.p);
  cfg.idle_cycles = 2;
  cfg.wait_retry = 0x1234;
  cfg.match_retry = 7;
  assert_int_equal(lf_cmsis_dap_configure(x.p, &cfg), 0);
  lf_fake_dap_clear_log(x.f);
  fx_connect(&x);
  CMD(&x, 1, 0x04, 0x02, 0x34, 0x12, 0x07, 0x00); /* no SWJ_Clock before one is set */
  assert_int_equal(ST(&x)->idle, 2);
  cfg.timeout_ms = 0;
  assert_int_equal(lf_cmsis_dap_configure(x.p, &cfg), LF_EINVAL);
  fx_close(&x);
}

static void connect_under_reset_holds_nreset_low_through_the_swd_sequence(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_debugprobe(&c);
  fx x;
  fx_open(&x, &c, true);
  lf_fake_dap_clear_log(x.f);
  assert_int_equal(x.p->ops->connect(x.p, LF_CONNECT_UNDER_RESET), 0);
  CMD(&x, 4, 0x10, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00); /* SWJ_Pins: nRESET low */
  CMD(&x, 5, 0x12, 136);                                 /* then the SWD sequence */
  assert_true(ST(&x)->nreset_low_at_sequence);
  assert_true(ST(&x)->nreset_low); /* released by the arm layer, not by connect */
  assert_int_equal(x.p->ops->set_nrst(x.p, false), 0);
  assert_false(ST(&x)->nreset_low);
  size_t n = lf_fake_dap_nlog(x.f);
  REQ(&x, n - 1, 0x10, 0x80, 0x80, 0x00, 0x00, 0x00, 0x00);
  assert_int_equal(x.p->ops->set_nrst(x.p, true), 0);
  assert_true(ST(&x)->nreset_low);
  fx_close(&x);
}

static void failed_connect_under_reset_releases_nreset_and_names_dpidr(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_debugprobe(&c);
  fx x;
  fx_open(&x, &c, false); /* no target: no ACK */
  assert_int_equal(x.p->ops->connect(x.p, LF_CONNECT_UNDER_RESET), LF_ETARGET);
  has(&x, "DAP_Transfer (DPIDR): DP read 0x00 DPIDR");
  has(&x, "no ACK");
  assert_false(ST(&x)->nreset_low);
  fx_close(&x);
}

static void multidrop_connect_wakes_the_dp_from_dormant_and_writes_targetsel(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_debugprobe(&c);
  fx x;
  fx_open(&x, &c, true);
  lf_cmsis_dap_cfg cfg = *lf_cmsis_dap_cfg_get(x.p);
  cfg.multidrop = true;
  cfg.targetsel = 0x01002927u; /* RP2040 core 0 */
  assert_int_equal(lf_cmsis_dap_configure(x.p, &cfg), 0);
  lf_fake_dap_clear_log(x.f);
  fx_connect(&x);
  CMD(&x, 4, 0x12, 40, 0xFF, 0x75, 0x77, 0x77, 0x67); /* JTAG to dormant */
  CMD(&x, 5, 0x12, 224, 0xFF, 0x92, 0xF3, 0x09, 0x62, 0x95, 0x2D, 0x85, 0x86, 0xE9, 0xAF, 0xDD,
      0xE3, 0xA2, 0x0E, 0xBC, 0x19, 0xA0, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0x00); /* dormant to SWD, ending in a line reset */
  CMD(&x, 6, 0x1D, 0x03, 0x08, 0x99, 0x85, 0x21, 0x27, 0x29, 0x00, 0x01, 0x00);
  CMD(&x, 7, 0x05, 0x00, 0x01, 0x02);
  assert_int_equal(lf_fake_dap_nlog(x.f), 2); /* too long for one list: two */
  assert_true(ST(&x)->targetsel_seen);
  assert_true(ST(&x)->targetsel_parity_ok);
  assert_int_equal(ST(&x)->targetsel, 0x01002927u);
  assert_int_equal(x.p->dpidr, DPIDR_F767);
  uint8_t cmd[11];
  lf_cmsis_dap_targetsel_cmd(cmd, 0x11002927u); /* core 1: odd parity */
  assert_int_equal(cmd[10], 1);
  fx_close(&x);
}

/* probe.h set_targetsel: the vtable's way to the same multidrop connect
 * (the targetsel setting); the same value again changes nothing, 0 goes
 * back to a single-drop connect (JTAG-to-SWD). */
static void set_targetsel_makes_the_connect_multidrop(void **state)
{
  (void)state;
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_debugprobe(&c);
  fx x;
  fx_open(&x, &c, true);
  assert_non_null(x.p->ops->set_targetsel);
  assert_int_equal(x.p->ops->set_targetsel(x.p, 0x11002927u), 0);
  assert_true(lf_cmsis_dap_cfg_get(x.p)->multidrop);
  assert_int_equal(lf_cmsis_dap_cfg_get(x.p)->targetsel, 0x11002927u);
  assert_int_equal(x.p->ops->set_targetsel(x.p, 0x11002927u), 0);
  fx_connect(&x);
  assert_true(ST(&x)->targetsel_seen);
  assert_true(ST(&x)->targetsel_parity_ok);
  assert_int_equal(ST(&x)->targetsel, 0x11002927u);
  assert_int_equal(x.p->ops->set_targetsel(x.p, 0), 0);
  assert_false(lf_cmsis_dap_cfg_get(x.p)->multidrop);
  fx_close(&x);
}

static void reset_target_and_no_voltage(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_debugprobe(&c);
  c.reset_sequence = true;
  fx x;
  fx_open(&x, &c, false);
  bool ex = false;
  lf_fake_dap_clear_log(x.f);
  assert_int_equal(lf_cmsis_dap_reset_target(x.p, &ex), 0);
  REQ(&x, 0, 0x0A);
  assert_true(ex);
  double v;
  assert_int_equal(x.p->ops->target_voltage(x.p, &v), LF_ENOTSUP);
  has(&x, "no command for it");
  fx_close(&x);
}

/* ---- packing ---- */

static void single_accesses_fill_packets_with_packet_count_in_flight(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_daplink(&c); /* 64-byte packets, 4 in flight */
  fx x;
  fx_open(&x, &c, true);
  fx_connect(&x);
  /* 100 DP reads of CTRL/STAT: 15 per packet (3 + 4 x 15 = 63 reply bytes), 7 packets through a
   * window of 4 (each next one out when the oldest reply is in): one busy pipe */
  enum { N = 100 };
  lf_dap_op ops[N];
  uint32_t v[N];
  for (size_t i = 0; i < N; i++)
    ops[i] = (lf_dap_op){.read = true, .addr = 0x04, .count = 1, .data = &v[i]};
  unsigned b0 = ST(&x)->batches, t0 = ST(&x)->commands[0x05];
  lf_fake_dap_clear_log(x.f);
  assert_int_equal(x.p->ops->dap_run(x.p, ops, N), 0);
  assert_int_equal(ST(&x)->commands[0x05] - t0, 7);
  assert_int_equal(ST(&x)->batches - b0, 1);
  assert_int_equal(ST(&x)->max_pending, 4);
  REQ(&x, 0, 0x05, 0x00, 15, 0x06, 0x06, 0x06);
  for (size_t i = 0; i < N; i++)
    assert_int_equal(ops[i].done, 1);
  /* 30 SELECT writes: 12 per packet (3 + 5 x 12 = 63 bytes) */
  uint32_t z[30] = {0};
  lf_dap_op w = {.addr = 0x08, .count = 30, .data = z};
  t0 = ST(&x)->commands[0x05];
  unsigned k0 = ST(&x)->commands[0x06];
  lf_fake_dap_clear_log(x.f);
  assert_int_equal(x.p->ops->dap_run(x.p, &w, 1), 0);
  /* 30 > 12: a block that does not fit one DAP_Transfer goes out as TransferBlocks of 14,
   * the 2 left in a DAP_Transfer (where later ops could join them) */
  assert_int_equal(ST(&x)->commands[0x06] - k0, 2);
  assert_int_equal(ST(&x)->commands[0x05] - t0, 1);
  REQ(&x, 0, 0x06, 0x00, 14, 0x00, 0x08);
  REQ(&x, 2, 0x05, 0x00, 2, 0x08, 0, 0, 0, 0, 0x08, 0, 0, 0, 0);
  assert_int_equal(w.done, 30);
  assert_int_equal(ST(&x)->max_pending, 4);
  assert_int_equal(ST(&x)->dropped, 0);
  assert_int_equal(ST(&x)->bad_frames, 0);
  fx_close(&x);
}

/* 512 bytes read through the arm layer: one packet per round trip. */
static void read_is_lock_step(fx *x)
{
  uint8_t buf[512];
  unsigned b0 = ST(x)->batches;
  unsigned n0 = ST(x)->commands[0x05] + ST(x)->commands[0x06];
  assert_int_equal(lf_adi_read(x->a, SRAM, buf, sizeof buf), 0);
  assert_int_equal(ST(x)->batches - b0, ST(x)->commands[0x05] + ST(x)->commands[0x06] - n0);
  assert_int_equal(ST(x)->dropped, 0);
}

static void packet_count_one_and_read_depth_one_are_lock_step(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_debugprobe(&c);
  c.packet_count = 1;
  fx x;
  fx_open(&x, &c, true);
  fx_adi(&x);
  read_is_lock_step(&x);
  assert_int_equal(ST(&x)->max_pending, 1);
  fx_close(&x);

  lf_fake_dap_cfg_daplink(&c);
  fx_open(&x, &c, true);
  fx_adi(&x);
  x.p->ops->set_read_depth(x.p, 1);
  assert_int_equal(lf_cmsis_dap_info_get(x.p)->inflight, 1);
  read_is_lock_step(&x);
  x.p->ops->set_read_depth(x.p, 100);
  assert_int_equal(lf_cmsis_dap_info_get(x.p)->inflight, 4);
  fx_close(&x);
}

/* Memory through the arm layer: DRW runs as DAP_TransferBlock, TAR once
 * per 1 KiB, several packets per round trip; the data lands in the target. */
static void memory_goes_out_as_transfer_blocks_and_lands_in_the_target(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_daplink(&c);
  fx x;
  fx_open(&x, &c, true);
  fx_adi(&x);
  enum { N = 4096 };
  uint8_t *out = malloc(N), *back = malloc(N), *bd = malloc(N);
  for (size_t i = 0; i < N; i++)
    out[i] = (uint8_t)(i * 13 + 5);
  const lf_adi_stats *as = lf_adi_stats_get(x.a);
  uint64_t tar0 = as->tar_writes;
  unsigned b0 = ST(&x)->batches, k0 = ST(&x)->commands[0x06];
  assert_int_equal(lf_adi_write(x.a, SRAM, out, N), 0);
  unsigned wb = ST(&x)->batches - b0;
  b0 = ST(&x)->batches;
  assert_int_equal(lf_adi_read(x.a, SRAM, back, N), 0);
  unsigned rb = ST(&x)->batches - b0;
  assert_int_equal(lf_bench_peek(x.b, SRAM, bd, N), 0);
  assert_memory_equal(back, out, N);
  assert_memory_equal(bd, out, N);
  assert_true(ST(&x)->commands[0x06] - k0 > 0);
  assert_int_equal(as->tar_writes - tar0, 8); /* 4 KiB written, then read: once per 1 KiB each */
  /* 1024 words: 14 per write block, 15 per read block; 4 packets per round trip */
  print_message("4 KiB write: %u round trips, read: %u round trips\n", wb, rb);
  assert_true(wb <= (1024 / 14 + 8) / 4 + 1);
  assert_true(rb <= (1024 / 15 + 8) / 4 + 1);
  assert_int_equal(ST(&x)->bad_frames, 0);
  assert_int_equal(ST(&x)->zlp_needed, 0);
  assert_int_equal(ST(&x)->dropped, 0);
  free(out);
  free(back);
  free(bd);
  fx_close(&x);
}

/* 512-byte DAP packets on a full-speed (64-byte) bulk endpoint: no request
 * or reply is a whole number of USB packets below the packet size, so no
 * transfer needs a zero-length packet to end. */
static void big_packets_on_a_small_endpoint_never_need_a_zero_length_packet(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_debugprobe(&c);
  c.packet_size = 512;
  c.packet_count = 8;
  fx x;
  fx_open(&x, &c, true);
  fx_adi(&x);
  enum { N = 8192 };
  uint8_t *out = malloc(N), *back = malloc(N);
  for (size_t i = 0; i < N; i++)
    out[i] = (uint8_t)(i * 3 + 1);
  for (size_t len = 1; len < 700; len += 61) /* many request and reply lengths */
    assert_int_equal(lf_adi_write(x.a, SRAM + 2, out, len), 0);
  assert_int_equal(lf_adi_write(x.a, SRAM, out, N), 0);
  for (size_t len = 4; len < 1100; len += 60)
    assert_int_equal(lf_adi_read(x.a, SRAM, back, len), 0);
  assert_int_equal(lf_adi_read(x.a, SRAM, back, N), 0);
  assert_memory_equal(back, out, N);
  assert_int_equal(ST(&x)->zlp_needed, 0);
  assert_int_equal(ST(&x)->bad_frames, 0);
  assert_int_equal(ST(&x)->dropped, 0);
  free(out);
  free(back);
  fx_close(&x);
}

/* Posted runs (dap_post): a write goes out with the next run's requests,
 * in the same DAP_Transfer when they fit (one round trip for both); a read
 * posted lands by the flush; nothing is sent before it is asked for. */
static void posted_runs_share_the_next_packet_and_land_by_the_flush(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_daplink(&c);
  fx x;
  fx_open(&x, &c, true);
  fx_adi(&x);
  uint32_t sel = 0, csw = 0x23000012u, tar = SRAM, val = 0xCAFEF00Du, back = 0, cs = 0;
  lf_dap_op w[4] = {{.addr = 0x08, .count = 1, .data = &sel},               /* SELECT */
                    {.ap = true, .addr = 0x00, .count = 1, .data = &csw},   /* CSW: words */
                    {.ap = true, .addr = 0x04, .count = 1, .data = &tar},   /* TAR */
                    {.ap = true, .addr = 0x0C, .count = 1, .data = &val}};  /* DRW */
  lf_fake_dap_clear_log(x.f);
  unsigned b0 = ST(&x)->batches;
  assert_int_equal(x.p->ops->dap_post(x.p, w, 4), 0);
  assert_int_equal(lf_fake_dap_nlog(x.f), 0); /* kept for what comes next */
  lf_dap_op r[2] = {{.ap = true, .addr = 0x04, .count = 1, .data = &tar},
                    {.ap = true, .read = true, .addr = 0x0C, .count = 1, .data = &back}};
  tar = SRAM;
  assert_int_equal(x.p->ops->dap_post(x.p, r, 2), 0);
  lf_dap_op q = {.ap = true, .read = true, .addr = 0x00, .count = 1, .data = &cs};
  assert_int_equal(x.p->ops->dap_run(x.p, &q, 1), 0);
  assert_int_equal(q.done, 1);
  assert_int_equal(lf_fake_dap_nlog(x.f), 1); /* all seven accesses in one DAP_Transfer */
  REQ(&x, 0, 0x05, 0x00, 7, 0x08, 0, 0, 0, 0, 0x01, 0x12, 0x00, 0x00, 0x23, 0x05, 0x00, 0x00, 0x02,
      0x20, 0x0D, 0x0D, 0xF0, 0xFE, 0xCA, 0x05, 0x00, 0x00, 0x02, 0x20, 0x0F, 0x03);
  assert_int_equal(ST(&x)->batches - b0, 1);
  assert_int_equal(back, 0xCAFEF00Du);
  assert_int_equal(cs & 0x3Fu, 0x12u); /* CSW as written (Size, AddrInc) */
  /* a DP access does not join a posted AP write (it would hide the write's
   * bus error): the write's packet goes alone, ending in its RDBUFF check */
  lf_fake_dap_clear_log(x.f);
  assert_int_equal(x.p->ops->dap_post(x.p, w, 4), 0);
  lf_dap_op dp = {.read = true, .addr = 0x04, .count = 1, .data = &cs};
  assert_int_equal(x.p->ops->dap_run(x.p, &dp, 1), 0);
  assert_int_equal(lf_fake_dap_nlog(x.f), 2);
  REQ(&x, 1, 0x05, 0x00, 1, 0x06);
  /* a posted read alone lands by the flush */
  back = 0;
  tar = SRAM;
  assert_int_equal(x.p->ops->dap_post(x.p, r, 2), 0);
  assert_int_equal(x.p->ops->dap_flush(x.p), 0);
  assert_int_equal(back, 0xCAFEF00Du);
  assert_int_equal(x.p->ops->dap_flush(x.p), 0); /* nothing in flight: nothing sent */
  assert_int_equal(ST(&x)->dropped, 0);
  fx_close(&x);
}

/* A posted write that fails is reported by the next run, named as posted
 * earlier; that run did nothing (done 0), and the link works after. */
static void a_posted_failure_comes_with_the_next_run(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_daplink(&c);
  fx x;
  fx_open(&x, &c, true);
  fx_adi(&x);
  uint32_t tar = UNMAPPED, val = 1, cs = 0;
  lf_dap_op w[2] = {{.ap = true, .addr = 0x04, .count = 1, .data = &tar},
                    {.ap = true, .addr = 0x0C, .count = 1, .data = &val}};
  assert_int_equal(x.p->ops->dap_post(x.p, w, 2), 0);
  lf_dap_op q = {.read = true, .addr = 0x04, .count = 1, .data = &cs};
  assert_int_equal(x.p->ops->dap_run(x.p, &q, 1), LF_EFAULT);
  has(&x, "AP write 0x0c DRW, posted earlier");
  has(&x, "FAULT");
  assert_int_equal(q.done, 0);
  uint32_t abort = 0x1E;
  assert_int_equal(x.p->ops->dp_write(x.p, 0x00, abort), 0);
  assert_int_equal(x.p->ops->dap_run(x.p, &q, 1), 0);
  assert_int_equal(q.done, 1);
  /* the same through dap_flush */
  assert_int_equal(x.p->ops->dap_post(x.p, w, 2), 0);
  assert_int_equal(x.p->ops->dap_flush(x.p), LF_EFAULT);
  has(&x, "posted earlier");
  assert_int_equal(x.p->ops->dp_write(x.p, 0x00, abort), 0);
  assert_int_equal(x.p->ops->dap_run(x.p, &q, 1), 0);
  fx_close(&x);
}

/* Through the arm layer (adi.h posted accesses): a posted write and the
 * read after it cost one round trip; posted words land by the flush; a
 * posted write's bus error comes with the next access, named, the sticky
 * error cleared so the access after works. */
static void arm_layer_posts_and_reports_posted_failures(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_daplink(&c);
  fx x;
  fx_open(&x, &c, true);
  fx_adi(&x);
  assert_true(lf_adi_posts(x.a));
  uint8_t data[64];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i + 1);
  unsigned b0 = ST(&x)->batches;
  assert_int_equal(lf_adi_write_posted(x.a, SRAM, data, sizeof data), 0);
  uint32_t v = 0;
  assert_int_equal(lf_adi_read32(x.a, SRAM + 60, &v), 0);
  assert_int_equal(ST(&x)->batches - b0, 1);
  assert_int_equal(v, 0x403F3E3Du);
  uint32_t w[16] = {0};
  assert_int_equal(lf_adi_read_words_posted(x.a, SRAM, w, 16), 0);
  assert_int_equal(lf_adi_flush(x.a), 0);
  assert_int_equal(w[0], 0x04030201u);
  assert_int_equal(w[15], 0x403F3E3Du);
  assert_int_equal(lf_adi_write32_posted(x.a, UNMAPPED, 1), 0);
  assert_int_equal(lf_adi_read32(x.a, SRAM, &v), LF_EFAULT);
  has(&x, "posted earlier");
  assert_int_equal(lf_adi_read32(x.a, SRAM, &v), 0);
  assert_int_equal(v, 0x04030201u);
  assert_int_equal(lf_adi_write32_posted(x.a, UNMAPPED, 1), 0);
  assert_int_equal(lf_adi_flush(x.a), LF_EFAULT);
  has(&x, "adi: posted accesses");
  assert_int_equal(lf_adi_read32(x.a, SRAM, &v), 0);
  fx_close(&x);
}

/* The driver over the DAPLink model's v1 HID interface on the bench
 * transport (one 64-byte report per frame and direction): a 64 KiB write
 * posted keeps Packet Count reports in flight across its runs, one report
 * per frame, the last reply one frame after the last report; with one
 * packet in flight (read depth 1) every report waits for the last reply:
 * two frames each. */
static void hid_streams_one_report_per_frame_on_the_bench(void **state)
{
  lf_bench_board_cfg bc;
  lf_bench_board_cfg_default(&bc);
  bc.board = "nucleo-f767zi@daplink";
  char err[256];
  lf_bench_board *b = lf_bench_board_new(&bc, err, sizeof err);
  assert_non_null(b);
  lf_session *s = lf_session_new();
  lf_usb_ctx *usb;
  assert_int_equal(lf_usb_new_bench(s, &b, 1, &usb), 0);
  lf_probe_selector sel = {.index = -1, .kind = "cmsis-dap", .transport = "hid"};
  lf_probe *p;
  assert_int_equal(lf_probe_open(s, usb, &sel, &p), 0);
  assert_true(lf_cmsis_dap_info_get(p)->v1);
  assert_int_equal(lf_cmsis_dap_info_get(p)->inflight, 5);
  lf_adi *a;
  assert_int_equal(lf_adi_new(s, p, NULL, &a), 0);
  assert_int_equal(lf_adi_connect(a, LF_CONNECT_NORMAL), 0);
  const uint64_t f = (uint64_t)lf_bench_params_get(b)->usb_fs_frame_ns;
  enum { N = 65536 };
  uint8_t *out = malloc(N), *back = malloc(N);
  for (size_t i = 0; i < N; i++)
    out[i] = (uint8_t)(i * 7 + 3);
  for (int depth = 5; depth >= 1; depth -= 4) {
    p->ops->set_read_depth(p, (unsigned)depth);
    uint64_t c0 = p->st.commands, t0 = lf_bench_clock(b)->now_ns;
    assert_int_equal(lf_adi_write_posted(a, SRAM, out, N), 0);
    assert_int_equal(lf_adi_flush(a), 0);
    uint64_t pk = p->st.commands - c0, dt = lf_bench_clock(b)->now_ns - t0;
    print_message("64 KiB posted write over HID, %d in flight: %llu reports, %.1f ms\n", depth,
                  (unsigned long long)pk, dt / 1e6);
    /* 1024 data bytes and a TAR write per KiB: 18.5 reports (56 data bytes at most each) */
    assert_true(pk >= 64 * 18 && pk <= 64 * 19 + 2);
    if (depth > 1) { /* the reports back to back, the last reply in the frame after */
      assert_true(dt >= pk * f);
      assert_true(dt <= (pk + 2) * f);
    } else {
      assert_true(dt >= 2 * pk * f - f);
      assert_true(dt <= 2 * pk * f + f);
    }
    assert_int_equal(lf_bench_peek(b, SRAM, back, N), 0);
    assert_memory_equal(back, out, N);
    out[0]++;
  }
  free(out);
  free(back);
  lf_adi_disconnect(a);
  lf_adi_free(a);
  lf_probe_close(p);
  lf_usb_free(usb);
  lf_session_free(s);
  lf_bench_board_free(b);
}

/* ---- WAIT, FAULT, ABORT ---- */

static void wait_is_retried_by_the_probe_then_reported_and_aborted(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_debugprobe(&c);
  fx x;
  fx_open(&x, &c, true);
  lf_cmsis_dap_cfg cfg = *lf_cmsis_dap_cfg_get(x.p);
  cfg.wait_retry = 5;
  assert_int_equal(lf_cmsis_dap_configure(x.p, &cfg), 0);
  fx_adi(&x);
  uint32_t v;
  unsigned w0 = ST(&x)->wire;
  lf_fake_dap_force_ack(x.f, 0, 2, 6); /* the first try and its 5 retries */
  assert_int_equal(x.p->ops->dp_read(x.p, 0x04, &v), LF_ETIMEDOUT);
  has(&x, "DAP_Transfer: DP read 0x04 CTRL/STAT (request 1 of 1): WAIT after 5 retries");
  has(&x, "ABORT written (DAPABORT)");
  assert_int_equal(ST(&x)->wire - w0, 6 + 1);
  assert_int_equal(ST(&x)->aborts, 1);
  assert_int_equal(ST(&x)->last_abort, 0x1F);
  assert_int_equal(lf_adi_read32(x.a, SRAM, &v), 0);
  /* a WAIT that clears within the retries is no error */
  lf_fake_dap_force_ack(x.f, 0, 2, 3);
  assert_int_equal(x.p->ops->dp_read(x.p, 0x00, &v), 0);
  assert_int_equal(v, DPIDR_F767);
  fx_close(&x);
}

static void fault_is_efault_naming_the_address_and_the_next_access_works(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_daplink(&c);
  fx x;
  fx_open(&x, &c, true);
  fx_adi(&x);
  uint32_t v;
  unsigned a0 = ST(&x)->aborts;
  assert_int_equal(lf_adi_read32(x.a, UNMAPPED, &v), LF_EFAULT);
  has(&x, "adi: read 0x30000000");
  has(&x, "FAULT");
  assert_int_equal(ST(&x)->aborts - a0, 1); /* the arm layer's ABORT, as DAP_WriteABORT */
  assert_int_equal(ST(&x)->last_abort, 0x1E);
  uint8_t buf[256];
  assert_int_equal(lf_adi_read(x.a, UNMAPPED + 0x40, buf, sizeof buf), LF_EFAULT);
  has(&x, "adi: read 0x30000040: "); /* the posted read whose bus error the next one reported */
  assert_int_equal(lf_adi_write(x.a, UNMAPPED + 0x80, buf, sizeof buf), LF_EFAULT);
  has(&x, "adi: write 0x30000080: ");
  assert_int_equal(lf_adi_write32(x.a, SRAM, 0x11223344u), 0);
  assert_int_equal(lf_adi_read32(x.a, SRAM, &v), 0);
  assert_int_equal(v, 0x11223344u);
  fx_close(&x);
}

static void done_counts_say_how_far_a_failed_run_got(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_daplink(&c);
  fx x;
  fx_open(&x, &c, true);
  fx_adi(&x); /* powered up; SELECT 0 */
  uint32_t v[5];
  lf_dap_op ops[5];
  for (size_t i = 0; i < 5; i++)
    ops[i] = (lf_dap_op){.read = true, .addr = 0x04, .count = 1, .data = &v[i]};
  lf_fake_dap_force_ack(x.f, 2, 4, 1);
  assert_int_equal(x.p->ops->dap_run(x.p, ops, 5), LF_EFAULT);
  has(&x, "(request 3 of 5)");
  assert_int_equal(ops[0].done + ops[1].done, 2);
  assert_int_equal(ops[2].done + ops[3].done + ops[4].done, 0);
  uint32_t abort = 0x1E;
  assert_int_equal(x.p->ops->dp_write(x.p, 0x00, abort), 0);
  /* TAR, then 32 DRW reads: DAP_Transfer [TAR, 15 reads] (17 wire accesses
   * with the post and the final RDBUFF), DAP_TransferBlock of 15 (post, 15
   * reads), DAP_Transfer of 2 */
  uint32_t tar = SRAM, words[32];
  lf_dap_op blk[2] = {{.ap = true, .addr = 0x04, .count = 1, .data = &tar},
                      {.ap = true, .read = true, .addr = 0x0C, .count = 32, .data = words}};
  lf_fake_dap_force_ack(x.f, 12, 4, 1); /* packet 1: DRW 11 collects DRW 10 and faults */
  assert_int_equal(x.p->ops->dap_run(x.p, blk, 2), LF_EFAULT);
  has(&x, "DAP_Transfer: AP read 0x0c DRW (request 12 of 16): FAULT"); /* DRW 10's */
  assert_int_equal(blk[0].done, 1);
  assert_int_equal(blk[1].done, 10); /* DRW 10's bus access is the faulting one */
  assert_int_equal(x.p->ops->dp_write(x.p, 0x00, abort), 0);
  lf_fake_dap_force_ack(x.f, 17 + 1 + 5, 4, 1); /* the block: post, words 0..4, then FAULT */
  assert_int_equal(x.p->ops->dap_run(x.p, blk, 2), LF_EFAULT);
  has(&x, "DAP_TransferBlock: AP read 0x0c DRW, 5 of 15 words done: FAULT");
  assert_int_equal(blk[1].done, 15 + 5);
  fx_close(&x);
}

/* ---- malformed replies ---- */

typedef struct bad_case {
  lf_fake_mangle how;
  int code;
  const char *text;
} bad_case;

static const bad_case bad_cases[] = {
  {LF_FAKE_GARBAGE, LF_EPROTO, "165 of 5 requests done with ack 0xa5"},
  {LF_FAKE_SHORT, LF_EIO, "short reply, expected 3 bytes (reply 1 bytes: 05)"},
  {LF_FAKE_WRONG_ID, LF_EPROTO, "reply is for command 0x85, expected 0x05"},
  {LF_FAKE_SILENT, LF_ETIMEDOUT, "timeout"},
  {LF_FAKE_NOT_IMPL, LF_ENOTSUP, "not implemented by the probe firmware"},
  {LF_FAKE_LONG, LF_EIO, "longer than expected"},
};

/* Each malformed DAP_Transfer reply is an error naming the command and what
 * came back, within the timeout; the next exchange works (stale replies
 * drained). v2 and v1. */
static void malformed_transfer_replies_are_clear_errors_and_the_link_recovers(void **state)
{
  for (int hid = 0; hid < 2; hid++)
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
      const bad_case *bc = &bad_cases[i];
      if (hid && bc->how == LF_FAKE_LONG)
        continue; /* a HID report cannot be longer */
      lf_fake_dap_cfg c;
      if (hid)
        lf_fake_dap_cfg_hid_only(&c);
      else
        lf_fake_dap_cfg_daplink(&c);
      fx x;
      fx_open(&x, &c, true);
      lf_cmsis_dap_cfg cfg = *lf_cmsis_dap_cfg_get(x.p);
      cfg.timeout_ms = 250;
      assert_int_equal(lf_cmsis_dap_configure(x.p, &cfg), 0);
      fx_connect(&x);
      lf_fake_dap_clear_log(x.f);
      uint32_t v = 0;
      /* the second of two pipelined DAP_Transfers is the bad one */
      lf_dap_op ops[20];
      uint32_t vs[20];
      for (size_t k = 0; k < 20; k++)
        ops[k] = (lf_dap_op){.read = true, .addr = 0x00, .count = 1, .data = &vs[k]};
      lf_fake_dap_mangle(x.f, 0x05, 1, bc->how);
      int r = x.p->ops->dap_run(x.p, ops, 20);
      if (r != bc->code)
        fail_msg("%s case %zu: %s (code %d)", hid ? "v1" : "v2", i, lf_err_msg(x.s), r);
      has(&x, "cmsis-dap ");
      has(&x, "DAP_Transfer");
      if (!(hid && bc->how == LF_FAKE_GARBAGE))
        has(&x, bc->text);
      assert_int_equal(ST(&x)->max_timeout_ms, 250);
      /* out of step: stale replies drained with short reads */
      assert_int_equal(ST(&x)->last_timeout_ms, bc->how == LF_FAKE_NOT_IMPL ? 250 : 10);
      if (r == LF_EFAULT)
        fail_msg("no fault expected");
      if (x.p->ops->dp_read(x.p, 0x00, &v))
        fail_msg("%s case %zu: after the error: %s", hid ? "v1" : "v2", i, lf_err_msg(x.s));
      assert_int_equal(v, DPIDR_F767);
      fx_close(&x);
    }
}

static void malformed_info_replies_fail_open_with_the_reason(void **state)
{
  static const struct {
    uint8_t nth; /* DAP_Info number: 0 = Packet Count, 1 = Packet Size */
    lf_fake_mangle how;
    int code;
    const char *text;
  } cases[] = {
    {0, LF_FAKE_SILENT, LF_ETIMEDOUT, "DAP_Info (reply)"},
    {0, LF_FAKE_WRONG_ID, LF_EPROTO, "reply is for command 0x80, expected 0x00"},
    {0, LF_FAKE_GARBAGE, LF_EIO, "DAP_Info 0xfe: length byte 165, only 1 bytes follow"},
    {0, LF_FAKE_SHORT, LF_EIO, "short reply"},
    {1, LF_FAKE_GARBAGE, LF_EIO, "DAP_Info 0xff: length byte 165"},
    {1, LF_FAKE_NOT_IMPL, LF_ENOTSUP, "DAP_Info: not implemented"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    lf_fake_dap_cfg c;
    lf_fake_dap_cfg_debugprobe(&c);
    fx x;
    memset(&x, 0, sizeof x);
    x.s = lf_session_new();
    x.f = lf_fake_dap_new(&c);
    lf_fake_dap_mangle(x.f, 0x00, cases[i].nth, cases[i].how);
    assert_int_equal(lf_fake_usb_new(x.s, &x.f, 1, &x.usb), 0);
    lf_probe_selector sel = {.index = -1};
    int r = lf_probe_open(x.s, x.usb, &sel, &x.p);
    if (r != cases[i].code)
      fail_msg("case %zu: %s (code %d)", i, lf_err_msg(x.s), r);
    has(&x, cases[i].text);
    has(&x, "cmsis-dap E6614C311B597D32");
    assert_null(x.p);
    fx_close(&x);
  }
}

static void a_wrong_packet_size_is_refused(void **state)
{
  static const unsigned sizes[] = {0, 7, 63, 40000};
  for (size_t i = 0; i < 4; i++) {
    lf_fake_dap_cfg c;
    lf_fake_dap_cfg_debugprobe(&c);
    c.packet_size = sizes[i];
    fx x;
    int r = fx_try(&x, &c, false);
    if (r != LF_EPROTO)
      fail_msg("size %u: %s", sizes[i], lf_err_msg(x.s));
    has(&x, "packet size");
    has(&x, "expected 64..32768");
    fx_close(&x);
  }
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_hid_only(&c);
  c.packet_size = 128;
  fx x;
  assert_int_equal(fx_try(&x, &c, false), LF_EPROTO);
  has(&x, "packet size 128 exceeds the 64-byte HID report");
  fx_close(&x);
  /* Packet Count 0 */
  lf_fake_dap_cfg_debugprobe(&c);
  c.packet_count = 0;
  assert_int_equal(fx_try(&x, &c, false), LF_EPROTO);
  has(&x, "packet count");
  fx_close(&x);
}

static void a_failed_command_status_names_the_command(void **state)
{
  lf_fake_dap_cfg c;
  lf_fake_dap_cfg_debugprobe(&c);
  fx x;
  fx_open(&x, &c, true);
  lf_fake_dap_mangle(x.f, 0x02, 0, LF_FAKE_GARBAGE); /* DAP_Connect answers port 0xA5 */
  assert_int_equal(x.p->ops->connect(x.p, LF_CONNECT_NORMAL), LF_ENOTSUP);
  has(&x, "DAP_Connect: port 1 (SWD) not initialised, reply port 165");
  fx_connect(&x);
  lf_fake_dap_mangle(x.f, 0x11, 0, LF_FAKE_GARBAGE);
  uint32_t hz;
  assert_int_equal(x.p->ops->set_clock(x.p, 1000000, &hz), LF_EPROTO); /* connected: sent now */
  has(&x, "DAP_SWJ_Clock: status 0xa5");
  fx_connect(&x);
  fx_close(&x);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(registry_finds_cmsis_dap_by_interface_name_bulk_before_hid),
    cmocka_unit_test(composite_device_is_driven_as_v2_on_its_bulk_interface),
    cmocka_unit_test(hid_only_device_is_driven_as_v1_with_full_zero_padded_reports),
    cmocka_unit_test(an_interface_named_cmsis_dap_of_another_class_is_not_a_probe),
    cmocka_unit_test(open_asks_packet_count_alone_then_size_and_caps_then_strings),
    cmocka_unit_test(listing_shows_kind_product_firmware_serial_and_packets),
    cmocka_unit_test(a_probe_without_swd_is_refused),
    cmocka_unit_test(connect_is_one_execute_commands_packet_in_the_reference_encodings),
    cmocka_unit_test(connect_without_execute_commands_sends_them_one_by_one),
    cmocka_unit_test(transfer_configure_carries_the_configured_retries),
    cmocka_unit_test(connect_under_reset_holds_nreset_low_through_the_swd_sequence),
    cmocka_unit_test(failed_connect_under_reset_releases_nreset_and_names_dpidr),
    cmocka_unit_test(multidrop_connect_wakes_the_dp_from_dormant_and_writes_targetsel),
    cmocka_unit_test(set_targetsel_makes_the_connect_multidrop),
    cmocka_unit_test(reset_target_and_no_voltage),
    cmocka_unit_test(single_accesses_fill_packets_with_packet_count_in_flight),
    cmocka_unit_test(packet_count_one_and_read_depth_one_are_lock_step),
    cmocka_unit_test(memory_goes_out_as_transfer_blocks_and_lands_in_the_target),
    cmocka_unit_test(big_packets_on_a_small_endpoint_never_need_a_zero_length_packet),
    cmocka_unit_test(posted_runs_share_the_next_packet_and_land_by_the_flush),
    cmocka_unit_test(a_posted_failure_comes_with_the_next_run),
    cmocka_unit_test(arm_layer_posts_and_reports_posted_failures),
    cmocka_unit_test(hid_streams_one_report_per_frame_on_the_bench),
    cmocka_unit_test(wait_is_retried_by_the_probe_then_reported_and_aborted),
    cmocka_unit_test(fault_is_efault_naming_the_address_and_the_next_access_works),
    cmocka_unit_test(done_counts_say_how_far_a_failed_run_got),
    cmocka_unit_test(malformed_transfer_replies_are_clear_errors_and_the_link_recovers),
    cmocka_unit_test(malformed_info_replies_fail_open_with_the_reason),
    cmocka_unit_test(a_wrong_packet_size_is_refused),
    cmocka_unit_test(a_failed_command_status_names_the_command),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
