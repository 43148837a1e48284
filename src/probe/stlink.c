/* ST-LINK V2 / V2-1 / V3 driver (probe-protocols.md 1).
 *
 * Wire shape: every exchange is one lf_usb_batch (one USB round trip): the
 * 16-byte command, its data OUT phase or its reply IN, and for memory
 * commands GETLASTRWSTATUS2 (or GETLASTRWSTATUS before V2J15) with its reply,
 * all submitted back to back.
 *
 * Decisions:
 *  - open: GET_VERSION (+GET_VERSION_EX on V3), GET_CURRENT_MODE and the exit
 *    command of a DFU / debug / SWIM mode (1.5), so the probe is idle.
 *  - connect under reset: DRIVE_NRST low, ENTER SWD, READ_IDCODES. NRST is
 *    left asserted: releasing it is the arm layer's job (set_nrst(false))
 *    once it has armed reset vector catch / halt, so no code runs first.
 *  - INIT_AP 0 is part of connect; INIT_AP n (n > 0) is sent before the
 *    first access to AP n after connect (J28+/V3; 1.8 "must precede AP
 *    access").
 *  - Memory: 8-bit head to 4-byte alignment, 32-bit body, 8-bit tail (1.14
 *    Q3, pyOCD style); no command crosses a 1 KiB TAR block (Q1) or exceeds
 *    the firmware limit (1.7); length 0 sends nothing (Q6). CSW bytes are 0
 *    (firmware default CSW), valid on every firmware.
 *  - A memory fault (status 0x11/0x18/0x19/0x1A/0x01/0x81) is LF_EFAULT with
 *    the address GETLASTRWSTATUS2 reports; the driver then writes DP ABORT =
 *    0x1E (STKCMPCLR|STKERRCLR|WDERRCLR|ORUNERRCLR, 1.11) so the next access
 *    works. WAIT (0x10/0x14) is LF_ETIMEDOUT (the firmware already retried).
 *  - read32/write32 on AP 0 use READDEBUGREG/WRITEDEBUGREG (status in the
 *    reply, one round trip); other APs go through the memory commands.
 *  - The firmware selects APs and DP banks itself (port/addr fields of
 *    READ/WRITE_DAP_REG); callers need not write DP SELECT.
 *  - set_clock on V2 reports the nominal frequency of the chosen divisor
 *    (OpenOCD's table); the real SWCLK can be lower (divisor 0 measured at
 *    2.36 MHz, 1.10).
 *  - connect under reset releases NRST again only when ENTER fails.
 *  - Reads may be pipelined (lf_stlink_set_read_depth): several read
 *    commands with their statuses in one batch. Default 1 (what OpenOCD,
 *    pyOCD and stlink-org do): whether real firmware accepts the next
 *    command while the previous reply is still queued is unconfirmed.
 *  - Writes the caller orders go in one submission: write32_mem (a word,
 *    then every 1 KiB command of the bytes, each with its status) and
 *    write_core_regs_then (WRITEREG x n, then WRITEDEBUGREG x m: the
 *    function start's registers, DFSR and the run). The firmware sees the
 *    same commands in the same order; the host only does not stop between
 *    them, so every one is sent and the statuses are checked afterwards in
 *    order (the first failure is the error). Whether firmware takes a
 *    command while a reply is still queued is the unconfirmed point of
 *    pipelined reads too; for these writes it is taken as it was for the
 *    word before a memory write.
 *  - USB timeout per batch: STLINK_TIMEOUT_MS (pyOCD's 1000 ms, 1.2). */
#include "probe/stlink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STLINK_TIMEOUT_MS 1000u

#define CMD_GET_VERSION 0xF1
#define CMD_DEBUG 0xF2
#define CMD_DFU 0xF3
#define CMD_SWIM 0xF4
#define CMD_GET_MODE 0xF5
#define CMD_GET_VOLTAGE 0xF7
#define CMD_GET_VERSION_EX 0xFB

#define DBG_READMEM_32 0x07
#define DBG_WRITEMEM_32 0x08
#define DBG_READMEM_8 0x0C
#define DBG_WRITEMEM_8 0x0D
#define DBG_EXIT 0x21
#define DBG_ENTER 0x30
#define DBG_READ_IDCODES 0x31
#define DBG_WRITEREG 0x34
#define DBG_WRITEDEBUGREG 0x35
#define DBG_READDEBUGREG 0x36
#define DBG_GETLASTRWSTATUS 0x3B
#define DBG_DRIVE_NRST 0x3C
#define DBG_GETLASTRWSTATUS2 0x3E
#define DBG_SWD_SET_FREQ 0x43
#define DBG_READ_DAP_REG 0x45
#define DBG_WRITE_DAP_REG 0x46
#define DBG_READMEM_16 0x47
#define DBG_WRITEMEM_16 0x48
#define DBG_INIT_AP 0x4B
#define DBG_SET_COM_FREQ 0x61

#define ENTER_SWD 0xA3
#define DP_PORT 0xFFFFu
#define DP_ABORT 0x00
#define ABORT_CLEAR_ALL 0x1Eu
#define ST_OK 0x80

#define ST_PID(p) {.vid = 0x0483, .pid = (p), .iface = 0, .xfer = LF_USB_BULK}
const lf_usb_match lf_stlink_usb_ids[] = {
  ST_PID(0x3748), ST_PID(0x374A), ST_PID(0x374B), ST_PID(0x3752), ST_PID(0x374E),
  ST_PID(0x374F), ST_PID(0x3753), ST_PID(0x3754), ST_PID(0x3757),
};
const size_t lf_stlink_usb_nids = sizeof lf_stlink_usb_ids / sizeof lf_stlink_usb_ids[0];

/* probe-protocols.md 1.1 */
static const struct {
  uint16_t pid;
  const char *product;
} products[] = {
  {0x3748, "ST-LINK/V2"},  {0x374A, "ST-LINK/V2-1"}, {0x374B, "ST-LINK/V2-1"},
  {0x3752, "ST-LINK/V2-1"}, {0x374E, "STLINK-V3"},   {0x374F, "STLINK-V3"},
  {0x3753, "STLINK-V3"},   {0x3754, "STLINK-V3"},    {0x3757, "STLINK-V3PWR"},
};

static const char *product_of(uint16_t pid)
{
  for (size_t i = 0; i < sizeof products / sizeof products[0]; i++)
    if (products[i].pid == pid)
      return products[i].product;
  return "ST-LINK";
}

/* ---- versions and feature gates (1.4, 1.12) ---- */

static uint16_t get16(const uint8_t *b) { return (uint16_t)(b[0] | b[1] << 8); }
static uint32_t get32(const uint8_t *b)
{
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static void put16(uint8_t *b, uint16_t v)
{
  b[0] = (uint8_t)v;
  b[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *b, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    b[i] = (uint8_t)(v >> (8 * i));
}

void lf_stlink_decode_version(const uint8_t r[6], lf_stlink_version *v, bool *need_ex)
{
  uint16_t w = (uint16_t)(r[0] << 8 | r[1]); /* big-endian (1.4) */
  memset(v, 0, sizeof *v);
  v->hw = (uint8_t)(w >> 12);
  unsigned x = (w >> 6) & 0x3F, y = w & 0x3F;
  v->vid = get16(r + 2);
  v->pid = get16(r + 4);
  v->jtag = (uint8_t)x;
  bool v21 = v->pid == 0x374B || v->pid == 0x3752 || v->pid == 0x374A;
  if (v21) {
    /* STM8 Nucleo SWIM-only firmware (1.4, [1src openocd]) */
    if ((x <= 22 && y == 7) || (x >= 25 && y >= 7 && y <= 12)) {
      v->msc = (uint8_t)x;
      v->swim = (uint8_t)y;
      v->jtag = 0;
    } else {
      v->msc = (uint8_t)y;
    }
  } else {
    v->swim = (uint8_t)y;
  }
  *need_ex = v->hw >= 3 && x == 0 && y == 0;
}

void lf_stlink_decode_version_ex(const uint8_t r[12], lf_stlink_version *v)
{
  v->hw = r[0];
  v->swim = r[1];
  v->jtag = r[2];
  v->msc = r[3];
  v->bridge = r[4];
  v->power = r[5];
  v->vid = get16(r + 8);
  v->pid = get16(r + 10);
}

void lf_stlink_version_string(const lf_stlink_version *v, char *buf, size_t len)
{
  int o = snprintf(buf, len, "V%uJ%u", v->hw, v->jtag);
  const struct { char tag; uint8_t val; } extra[] = {
    {'M', v->msc}, {'B', v->bridge}, {'S', v->swim}, {'P', v->power},
  };
  for (size_t i = 0; i < sizeof extra / sizeof extra[0] && o >= 0 && (size_t)o < len; i++)
    if (extra[i].val)
      o += snprintf(buf + o, len - (size_t)o, "%c%u", extra[i].tag, extra[i].val);
}

#define NA 0xFF
/* probe-protocols.md 1.12: minimum J per hardware (NA = never). V3PWR (hw 4)
 * follows the V3 column. */
static const struct {
  const char *name;
  uint8_t v2, v3;
} features[LF_STF_N] = {
  [LF_STF_VOLTAGE] = {"target voltage", 13, 0},
  [LF_STF_RWSTATUS2] = {"GETLASTRWSTATUS2", 15, 0},
  [LF_STF_SWD_FREQ] = {"SWD_SET_FREQ", 22, NA},
  [LF_STF_COM_FREQ] = {"SET_COM_FREQ", NA, 0},
  [LF_STF_DAP_REG] = {"DP/AP register access", 24, 0},
  [LF_STF_MEM16] = {"16-bit memory access", 26, 0},
  [LF_STF_INIT_AP] = {"INIT_AP / AP selection", 28, 0},
  [LF_STF_DP_BANK] = {"banked DP registers", 32, 2},
  [LF_STF_RW8_512] = {"8-bit transfers of 512 bytes", NA, 6},
};

static uint8_t feature_min(const lf_stlink_version *v, lf_stlink_feature f)
{
  return v->hw >= 3 ? features[f].v3 : features[f].v2;
}

bool lf_stlink_has(const lf_stlink_version *v, lf_stlink_feature f)
{
  uint8_t m = feature_min(v, f);
  return m != NA && v->jtag >= m;
}

void lf_stlink_needed(const lf_stlink_version *v, lf_stlink_feature f, char *buf, size_t len)
{
  uint8_t m = feature_min(v, f);
  if (m == NA)
    snprintf(buf, len, "no V%u firmware", v->hw);
  else
    snprintf(buf, len, "V%uJ%u", v->hw, m);
}

const char *lf_stlink_feature_name(lf_stlink_feature f) { return features[f].name; }

/* probe-protocols.md 1.10, V2 SWD divisor -> nominal kHz, fastest first.
 * Divisor 0 uses OpenOCD's 4000 (pyOCD says 4600, a scope 2360 [disagree]). */
static const struct {
  uint16_t div;
  uint32_t khz;
} v2_swd[] = {
  {0, 4000}, {1, 1800}, {2, 1200}, {3, 950}, {5, 650},  {7, 480},   {9, 400},   {10, 360},
  {15, 240}, {25, 150}, {31, 125}, {40, 100}, {79, 50}, {158, 25}, {265, 15}, {798, 5},
};

int lf_stlink_v2_swd_divisor(uint32_t hz, uint16_t *div, uint32_t *actual_hz)
{
  for (size_t i = 0; i < sizeof v2_swd / sizeof v2_swd[0]; i++)
    if ((uint64_t)v2_swd[i].khz * 1000 <= hz) {
      *div = v2_swd[i].div;
      *actual_hz = v2_swd[i].khz * 1000;
      return 0;
    }
  return -1;
}

/* ---- chunk planner ---- */

long lf_stlink_plan(uint32_t addr, size_t len, unsigned width, const lf_stlink_limits *lim,
                    lf_stlink_chunk *out, size_t max)
{
  if (width != 0 && width != 1 && width != 2 && width != 4)
    return -1;
  if (width == 2 && (!lim->has16 || (addr & 1) || (len & 1)))
    return -1;
  if (width == 4 && ((addr & 3) || (len & 3)))
    return -1;
  long k = 0;
  uint64_t a = addr;
  size_t rem = len;
  while (rem) {
    unsigned w = width ? width : ((a & 3) || rem < 4) ? 1 : 4;
    uint64_t n = rem;
    if (!width && w == 1 && (a & 3))
      n = 4 - (a & 3); /* head up to 4-byte alignment */
    else if (!width && w == 4)
      n = rem & ~(size_t)3; /* body; the <4-byte tail follows in 8-bit */
    if (n > rem)
      n = rem;
    uint64_t cap = w == 1 ? lim->max8 : lim->max32;
    uint64_t to_block = lim->block - (a % lim->block);
    if (n > cap)
      n = cap;
    if (n > to_block)
      n = to_block;
    if (w > 1)
      n &= ~(uint64_t)(w - 1);
    if (out && (size_t)k < max)
      out[k] = (lf_stlink_chunk){(uint32_t)a, (uint32_t)n, (uint8_t)w};
    k++;
    a += n;
    rem -= (size_t)n;
  }
  return k;
}

/* ---- the driver ---- */

typedef struct stlink {
  lf_probe base; /* first: lf_probe * <-> stlink * */
  lf_usb_dev *usb;
  lf_stlink_version ver;
  uint8_t ep_out, ep_in;
  bool in_debug;
  uint32_t ap_ready; /* INIT_AP sent since connect, bit per AP 0..31 */
  lf_stlink_limits lim;
  unsigned read_depth; /* read commands per batch */
} stlink;

static const lf_probe_ops stlink_ops;

static stlink *ST(lf_probe *p) { return (stlink *)p; }

/* probe-protocols.md 1.11 */
static const struct {
  uint8_t st;
  int code;
  const char *name;
} statuses[] = {
  {0x80, 0, "OK"},
  {0x81, LF_EFAULT, "debug fault"},
  {0x01, LF_EFAULT, "unknown error (old firmware's memory fault)"},
  {0x05, LF_ETARGET, "no device connected"},
  {0x07, LF_ETIMEDOUT, "command wait"},
  {0x08, LF_EPROTO, "command error"},
  {0x09, LF_ETARGET, "no IDCODE: the target does not answer (wiring, power, SWD disabled?)"},
  {0x0A, LF_EINVAL, "alignment error"},
  {0x0B, LF_ETARGET, "debug power-up failed"},
  {0x0C, LF_EIO, "write error"},
  {0x0D, 0, "write verify error (ignored, as OpenOCD does)"},
  {0x0E, LF_EBUSY, "already opened in another mode"},
  {0x10, LF_ETIMEDOUT, "AP WAIT (target busy)"},
  {0x11, LF_EFAULT, "AP FAULT"},
  {0x12, LF_ETARGET, "AP no answer"},
  {0x13, LF_EIO, "AP parity error"},
  {0x14, LF_ETIMEDOUT, "DP WAIT"},
  {0x15, LF_EFAULT, "DP FAULT"},
  {0x16, LF_ETARGET, "DP no answer"},
  {0x17, LF_EIO, "DP parity error"},
  {0x18, LF_EFAULT, "AP write data error"},
  {0x19, LF_EFAULT, "AP sticky error"},
  {0x1A, LF_EFAULT, "AP sticky overrun"},
  {0x1D, LF_EINVAL, "bad AP number"},
  {0x29, LF_EINVAL, "too many APs"},
  {0x41, LF_EINVAL, "frequency not supported"},
  {0x42, LF_ENOTSUP, "unknown command"},
};

static int status_code(uint8_t st, const char **name)
{
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
    if (statuses[i].st == st) {
      *name = statuses[i].name;
      return statuses[i].code;
    }
  *name = "unknown status";
  return LF_EPROTO;
}

static const char *sname(const stlink *st)
{
  const lf_usb_devinfo *i = lf_usb_dev_info(st->usb);
  return i->serial[0] ? i->serial : i->location;
}

static int st_fail(stlink *st, uint8_t status, const char *op)
{
  const char *name;
  int code = status_code(status, &name);
  if (!code)
    return 0;
  return lf_err_set(st->base.s, code, "stlink %s: %s: %s (status 0x%02x)", sname(st), op, name,
                    status);
}

static int need(stlink *st, lf_stlink_feature f, const char *op)
{
  if (lf_stlink_has(&st->ver, f))
    return 0;
  char fw[32], have[32];
  lf_stlink_needed(&st->ver, f, fw, sizeof fw);
  lf_stlink_version_string(&st->ver, have, sizeof have);
  return lf_err_set(st->base.s, LF_ENOTSUP, "stlink %s: %s needs %s (%s) or newer firmware; this probe has %s",
                    sname(st), op, features[f].name, fw, have);
}

/* One round trip: cmd [+ data out] [+ reply in of inlen] [+ rw status]. */
/* pre (optional): a command with a 2-byte reply (WRITEDEBUGREG) queued
 * before cmd in the same submission; its reply lands in pre_rep. */
static int exchange_pre(stlink *st, const uint8_t *pre, uint8_t *pre_rep, const uint8_t cmd[16],
                        const void *out, size_t outlen, void *in, size_t inlen, uint8_t *rwst,
                        size_t rwlen, const char *op)
{
  lf_usb_xfer xs[7];
  size_t n = 0;
  uint8_t stcmd[16] = {0};
  if (pre) {
    xs[n++] = (lf_usb_xfer){.ep = st->ep_out, .buf = (void *)pre, .len = 16};
    xs[n++] = (lf_usb_xfer){.ep = st->ep_in, .buf = pre_rep, .len = 2};
    st->base.st.commands++;
    if (lf_log_enabled(st->base.s, LF_LOG_TRACE))
      lf_log(st->base.s, LF_LOG_TRACE, "stlink > %02x %02x %02x%02x%02x%02x %02x%02x (write word, queued)",
             pre[0], pre[1], pre[5], pre[4], pre[3], pre[2], pre[7], pre[6]);
  }
  xs[n++] = (lf_usb_xfer){.ep = st->ep_out, .buf = (void *)cmd, .len = 16};
  if (outlen)
    xs[n++] = (lf_usb_xfer){.ep = st->ep_out, .buf = (void *)out, .len = outlen};
  if (inlen)
    xs[n++] = (lf_usb_xfer){.ep = st->ep_in, .buf = in, .len = inlen};
  st->base.st.commands++;
  if (rwlen) {
    stcmd[0] = CMD_DEBUG;
    stcmd[1] = rwlen == 12 ? DBG_GETLASTRWSTATUS2 : DBG_GETLASTRWSTATUS;
    xs[n++] = (lf_usb_xfer){.ep = st->ep_out, .buf = stcmd, .len = 16};
    xs[n++] = (lf_usb_xfer){.ep = st->ep_in, .buf = rwst, .len = rwlen};
    st->base.st.commands++;
  }
  st->base.st.round_trips++;
  if (lf_log_enabled(st->base.s, LF_LOG_TRACE))
    lf_log(st->base.s, LF_LOG_TRACE,
           "stlink > %02x %02x %02x%02x%02x%02x %02x%02x %02x (%s, out %zu, in %zu%s)", cmd[0],
           cmd[1], cmd[5], cmd[4], cmd[3], cmd[2], cmd[7], cmd[6], cmd[8], op, outlen, inlen,
           rwlen ? ", +rw status" : "");
  int r = lf_usb_batch(st->usb, xs, n, STLINK_TIMEOUT_MS, op);
  if (r)
    return r;
  for (size_t i = 0; i < n; i++)
    if ((xs[i].ep & 0x80) && xs[i].actual != xs[i].len)
      return lf_err_set(st->base.s, LF_EIO, "stlink %s: %s: short reply (%zu of %zu bytes)",
                        sname(st), op, xs[i].actual, xs[i].len);
  return 0;
}

static int exchange(stlink *st, const uint8_t cmd[16], const void *out, size_t outlen, void *in,
                    size_t inlen, uint8_t *rwst, size_t rwlen, const char *op)
{
  return exchange_pre(st, NULL, NULL, cmd, out, outlen, in, inlen, rwst, rwlen, op);
}

static int simple(stlink *st, uint8_t c0, uint8_t c1, void *reply, size_t rlen, const char *op)
{
  uint8_t cmd[16] = {c0, c1};
  return exchange(st, cmd, NULL, 0, reply, rlen, NULL, 0, op);
}

/* Status-returning DEBUG command with the reply's status in byte 0. */
static int dbg_status(stlink *st, const uint8_t cmd[16], uint8_t *reply, size_t rlen,
                      const char *op)
{
  int r = exchange(st, cmd, NULL, 0, reply, rlen, NULL, 0, op);
  return r ? r : st_fail(st, reply[0], op);
}

void lf_stlink_cmd_mem(uint8_t cmd[16], uint8_t sub, uint32_t addr, uint16_t len, uint8_t ap,
                       uint32_t csw_hi)
{
  memset(cmd, 0, 16);
  cmd[0] = CMD_DEBUG;
  cmd[1] = sub;
  put32(cmd + 2, addr);
  put16(cmd + 6, len);
  cmd[8] = ap;
  cmd[9] = (uint8_t)csw_hi;
  cmd[10] = (uint8_t)(csw_hi >> 8);
  cmd[11] = (uint8_t)(csw_hi >> 16);
}

void lf_stlink_cmd_dap(uint8_t cmd[16], bool write, uint16_t port, uint16_t addr, uint32_t val)
{
  memset(cmd, 0, 16);
  cmd[0] = CMD_DEBUG;
  cmd[1] = write ? DBG_WRITE_DAP_REG : DBG_READ_DAP_REG;
  put16(cmd + 2, port);
  put16(cmd + 4, addr);
  if (write)
    put32(cmd + 6, val);
}

static int dap_write_raw(stlink *st, uint16_t port, uint16_t addr, uint32_t val, const char *op)
{
  uint8_t cmd[16], r[2];
  lf_stlink_cmd_dap(cmd, true, port, addr, val);
  return dbg_status(st, cmd, r, sizeof r, op);
}

/* After a fault: DP ABORT clears STICKYERR & co (1.11, pyOCD's recovery). */
static void clear_sticky(stlink *st)
{
  if (!lf_stlink_has(&st->ver, LF_STF_DAP_REG))
    return;
  uint8_t cmd[16], r[2];
  lf_stlink_cmd_dap(cmd, true, DP_PORT, DP_ABORT, ABORT_CLEAR_ALL);
  (void)exchange(st, cmd, NULL, 0, r, sizeof r, NULL, 0, "clear sticky errors");
}

static int ensure_ap(stlink *st, uint8_t ap, const char *op)
{
  if (ap == 0 && !lf_stlink_has(&st->ver, LF_STF_INIT_AP))
    return 0;
  int r = need(st, LF_STF_INIT_AP, op);
  if (r)
    return r;
  if (ap < 32 && (st->ap_ready & (1u << ap)))
    return 0;
  uint8_t cmd[16] = {CMD_DEBUG, DBG_INIT_AP, ap}, rep[2];
  r = dbg_status(st, cmd, rep, sizeof rep, "INIT_AP");
  if (r)
    return r;
  if (ap < 32)
    st->ap_ready |= 1u << ap;
  return 0;
}

static int check_debug(stlink *st, const char *op)
{
  if (st->in_debug)
    return 0;
  return lf_err_set(st->base.s, LF_ETARGET, "stlink %s: %s: not connected (call connect first)",
                    sname(st), op);
}

/* ---- vtable ---- */

static int st_set_clock(lf_probe *p, uint32_t hz, uint32_t *actual_hz)
{
  stlink *st = ST(p);
  uint32_t dummy;
  if (!actual_hz)
    actual_hz = &dummy;
  if (st->ver.hw >= 3) {
    int r = need(st, LF_STF_COM_FREQ, "set clock");
    if (r)
      return r;
    uint8_t cmd[16] = {CMD_DEBUG, DBG_SET_COM_FREQ, 0 /* SWD */, 0}, rep[8];
    put32(cmd + 4, hz / 1000);
    r = exchange(st, cmd, NULL, 0, rep, sizeof rep, NULL, 0, "set clock");
    if (r)
      return r;
    if (rep[0] == 0x08)
      return lf_err_set(p->s, LF_EINVAL, "stlink %s: set clock %u Hz: below the slowest SWD clock",
                        sname(st), hz);
    if ((r = st_fail(st, rep[0], "set clock")))
      return r;
    *actual_hz = get32(rep + 4) * 1000;
    return 0;
  }
  int r = need(st, LF_STF_SWD_FREQ, "set clock");
  if (r)
    return r;
  uint16_t div;
  if (lf_stlink_v2_swd_divisor(hz, &div, actual_hz) != 0)
    return lf_err_set(p->s, LF_EINVAL, "stlink %s: set clock %u Hz: below the slowest (5 kHz)",
                      sname(st), hz);
  uint8_t cmd[16] = {CMD_DEBUG, DBG_SWD_SET_FREQ}, rep[2];
  put16(cmd + 2, div);
  return dbg_status(st, cmd, rep, sizeof rep, "set clock");
}

static int st_connect(lf_probe *p, lf_connect_mode mode)
{
  stlink *st = ST(p);
  int r;
  if (st->in_debug) {
    uint8_t cmd[16] = {CMD_DEBUG, DBG_EXIT};
    if ((r = exchange(st, cmd, NULL, 0, NULL, 0, NULL, 0, "leave debug mode")))
      return r;
    st->in_debug = false;
  }
  uint8_t rep[12];
  if (mode == LF_CONNECT_UNDER_RESET) {
    uint8_t cmd[16] = {CMD_DEBUG, DBG_DRIVE_NRST, 0 /* low */};
    if ((r = dbg_status(st, cmd, rep, 2, "assert NRST")))
      return r;
  }
  uint8_t enter[16] = {CMD_DEBUG, DBG_ENTER, ENTER_SWD};
  if ((r = dbg_status(st, enter, rep, 2, "enter SWD"))) {
    if (mode == LF_CONNECT_UNDER_RESET) { /* do not leave the target held in reset */
      uint8_t rel[16] = {CMD_DEBUG, DBG_DRIVE_NRST, 1}, rr[2];
      (void)exchange(st, rel, NULL, 0, rr, sizeof rr, NULL, 0, "release NRST");
    }
    return r;
  }
  st->in_debug = true;
  st->ap_ready = 0;
  uint8_t ids[16] = {CMD_DEBUG, DBG_READ_IDCODES};
  if ((r = dbg_status(st, ids, rep, 12, "read IDCODE")))
    return r;
  p->dpidr = get32(rep + 4);
  /* AP 0 (the system MEM-AP of most Cortex-M parts) is ready after connect, so the first
   * memory access is one round trip. */
  if ((r = ensure_ap(st, 0, "connect")))
    return r;
  lf_log(p->s, LF_LOG_DEBUG, "stlink %s: connected, DPIDR 0x%08x", sname(st), p->dpidr);
  return 0;
}

static int st_disconnect(lf_probe *p)
{
  stlink *st = ST(p);
  if (!st->in_debug)
    return 0;
  uint8_t cmd[16] = {CMD_DEBUG, DBG_EXIT};
  st->in_debug = false;
  return exchange(st, cmd, NULL, 0, NULL, 0, NULL, 0, "leave debug mode");
}

static int dap_read(stlink *st, uint16_t port, uint8_t addr, uint32_t *val, const char *op)
{
  uint8_t cmd[16], rep[8];
  lf_stlink_cmd_dap(cmd, false, port, addr, 0);
  int r = dbg_status(st, cmd, rep, sizeof rep, op);
  if (r)
    return r;
  *val = get32(rep + 4);
  return 0;
}

static int dp_check(stlink *st, uint8_t addr, const char *op)
{
  int r = check_debug(st, op);
  if (!r)
    r = need(st, LF_STF_DAP_REG, op);
  if (!r && (addr & 0xF0))
    r = need(st, LF_STF_DP_BANK, op);
  return r;
}

static int st_dp_read(lf_probe *p, uint8_t addr, uint32_t *val)
{
  stlink *st = ST(p);
  char op[40];
  snprintf(op, sizeof op, "DP read 0x%02x", addr);
  int r = dp_check(st, addr, op);
  return r ? r : dap_read(st, DP_PORT, addr, val, op);
}

static int st_dp_write(lf_probe *p, uint8_t addr, uint32_t val)
{
  stlink *st = ST(p);
  char op[40];
  snprintf(op, sizeof op, "DP write 0x%02x", addr);
  int r = dp_check(st, addr, op);
  return r ? r : dap_write_raw(st, DP_PORT, addr, val, op);
}

static int ap_check(stlink *st, uint8_t ap, const char *op)
{
  int r = check_debug(st, op);
  if (!r)
    r = need(st, LF_STF_DAP_REG, op);
  if (!r)
    r = ensure_ap(st, ap, op);
  return r;
}

static int st_ap_read(lf_probe *p, uint8_t ap, uint8_t addr, uint32_t *val)
{
  stlink *st = ST(p);
  char op[40];
  snprintf(op, sizeof op, "AP%u read 0x%02x", ap, addr);
  int r = ap_check(st, ap, op);
  return r ? r : dap_read(st, ap, addr, val, op);
}

static int st_ap_write(lf_probe *p, uint8_t ap, uint8_t addr, uint32_t val)
{
  stlink *st = ST(p);
  char op[40];
  snprintf(op, sizeof op, "AP%u write 0x%02x", ap, addr);
  int r = ap_check(st, ap, op);
  return r ? r : dap_write_raw(st, ap, addr, val, op);
}

static const uint8_t read_sub[5] = {[1] = DBG_READMEM_8, [2] = DBG_READMEM_16, [4] = DBG_READMEM_32};
static const uint8_t write_sub[5] = {[1] = DBG_WRITEMEM_8, [2] = DBG_WRITEMEM_16,
                                     [4] = DBG_WRITEMEM_32};

/* Memory status of the command just run (rw = GETLASTRWSTATUS[2] reply). */
static int mem_status(stlink *st, const uint8_t *rw, size_t rwlen, const lf_stlink_chunk *c,
                      bool write)
{
  uint8_t status = rw[0];
  const char *name;
  int code = status_code(status, &name);
  if (!code)
    return 0;
  uint32_t fault = rwlen == 12 ? get32(rw + 4) : c->addr;
  if (code == LF_EFAULT)
    clear_sticky(st);
  return lf_err_set(st->base.s, code,
                    "stlink %s: %s %u bytes (%u-bit) at 0x%08x: %s at address 0x%08x (status 0x%02x)",
                    sname(st), write ? "write" : "read", c->len, c->width * 8u, c->addr, name,
                    fault, status);
}

static int mem_common(stlink *st, uint8_t ap, uint32_t addr, size_t len, unsigned width,
                      bool write, lf_stlink_chunk **chunks, long *n)
{
  const char *op = write ? "memory write" : "memory read";
  *chunks = NULL;
  *n = 0;
  int r = check_debug(st, op);
  if (r)
    return r;
  if ((uint64_t)addr + len > 0x100000000ull)
    return lf_err_set(st->base.s, LF_EINVAL, "stlink %s: %s at 0x%08x: %zu bytes run past 4 GiB",
                      sname(st), op, addr, len);
  if (width == 2 && (r = need(st, LF_STF_MEM16, op)))
    return r;
  long k = lf_stlink_plan(addr, len, width, &st->lim, NULL, 0);
  if (k < 0)
    return lf_err_set(st->base.s, LF_EINVAL,
                      "stlink %s: %s at 0x%08x, %zu bytes: not aligned for %u-bit access",
                      sname(st), op, addr, len, width * 8);
  if (k == 0)
    return 0; /* 1.14 Q6: no zero-length commands */
  if ((r = ensure_ap(st, ap, op)))
    return r;
  *chunks = malloc((size_t)k * sizeof **chunks);
  if (!*chunks)
    return lf_err_set(st->base.s, LF_ENOMEM, "stlink: out of memory");
  lf_stlink_plan(addr, len, width, &st->lim, *chunks, (size_t)k);
  *n = k;
  return 0;
}

/* Up to read_depth read commands, each with its GETLASTRWSTATUS[2], in one
 * batch. Statuses are checked in order: the first failing command is the
 * error, data of later ones is discarded. */
static int read_group(stlink *st, uint8_t ap, const lf_stlink_chunk *cs, size_t k, uint8_t *dst,
                      size_t rwlen)
{
  uint8_t cmd[LF_STLINK_MAX_DEPTH][16], stc[16] = {CMD_DEBUG, 0}, rw[LF_STLINK_MAX_DEPTH][12];
  uint8_t two[LF_STLINK_MAX_DEPTH][2];
  lf_usb_xfer xs[4 * LF_STLINK_MAX_DEPTH];
  size_t n = 0, off = 0;
  stc[1] = rwlen == 12 ? DBG_GETLASTRWSTATUS2 : DBG_GETLASTRWSTATUS;
  for (size_t i = 0; i < k; i++) {
    const lf_stlink_chunk *c = &cs[i];
    /* 1.14 Q4: an 8-bit read of 1 byte answers 2 bytes */
    bool one = c->len == 1;
    lf_stlink_cmd_mem(cmd[i], read_sub[c->width], c->addr, (uint16_t)c->len, ap, 0);
    xs[n++] = (lf_usb_xfer){.ep = st->ep_out, .buf = cmd[i], .len = 16};
    xs[n++] = (lf_usb_xfer){.ep = st->ep_in, .buf = one ? two[i] : dst + off, .len = one ? 2 : c->len};
    xs[n++] = (lf_usb_xfer){.ep = st->ep_out, .buf = stc, .len = 16};
    xs[n++] = (lf_usb_xfer){.ep = st->ep_in, .buf = rw[i], .len = rwlen};
    off += c->len;
  }
  st->base.st.commands += 2 * k;
  st->base.st.mem_commands += k;
  st->base.st.mem_round_trips++;
  st->base.st.round_trips++;
  if (lf_log_enabled(st->base.s, LF_LOG_TRACE))
    lf_log(st->base.s, LF_LOG_TRACE, "stlink > %zu memory read(s) from 0x%08x, %zu bytes (+rw status)",
           k, cs[0].addr, off);
  int r = lf_usb_batch(st->usb, xs, n, STLINK_TIMEOUT_MS, "memory read");
  if (r)
    return r;
  off = 0;
  for (size_t i = 0; i < k; i++) {
    for (size_t j = 4 * i; j < 4 * i + 4; j++)
      if ((xs[j].ep & 0x80) && xs[j].actual != xs[j].len)
        return lf_err_set(st->base.s, LF_EIO, "stlink %s: memory read: short reply (%zu of %zu bytes)",
                          sname(st), xs[j].actual, xs[j].len);
    if (cs[i].len == 1)
      dst[off] = two[i][0];
    if ((r = mem_status(st, rw[i], rwlen, &cs[i], false)))
      return r;
    st->base.st.bytes_read += cs[i].len;
    off += cs[i].len;
  }
  return 0;
}

static int st_mem_read(lf_probe *p, uint8_t ap, uint32_t addr, void *buf, size_t len,
                       unsigned width)
{
  stlink *st = ST(p);
  lf_stlink_chunk *cs;
  long n;
  int r = mem_common(st, ap, addr, len, width, false, &cs, &n);
  uint8_t *dst = buf;
  size_t rwlen = lf_stlink_has(&st->ver, LF_STF_RWSTATUS2) ? 12 : 2;
  for (long i = 0; !r && i < n;) {
    size_t k = (size_t)(n - i) < st->read_depth ? (size_t)(n - i) : st->read_depth;
    r = read_group(st, ap, &cs[i], k, dst, rwlen);
    for (size_t j = 0; j < k; j++)
      dst += cs[i + (long)j].len;
    i += (long)k;
  }
  free(cs);
  return r;
}

static void st_set_read_depth(lf_probe *p, unsigned depth)
{
  stlink *st = ST(p);
  st->read_depth = depth < 1 ? 1 : depth > LF_STLINK_MAX_DEPTH ? LF_STLINK_MAX_DEPTH : depth;
}

static int word_fail(stlink *st, uint8_t status, uint32_t addr, bool write);

/* A word written first (WRITEDEBUGREG `pre`), then up to
 * LF_STLINK_MAX_DEPTH write commands, each with its GETLASTRWSTATUS[2], in
 * one batch (the firmware sees the same commands in the same order; the host
 * only does not stop between them). Statuses are checked in order: the word's
 * first, then the first failing command is the error. */
static int write_group(stlink *st, uint8_t ap, const uint8_t *pre, const lf_stlink_chunk *cs,
                       size_t k, const uint8_t *src, size_t rwlen)
{
  uint8_t cmd[LF_STLINK_MAX_DEPTH][16], stc[16] = {CMD_DEBUG, 0}, rw[LF_STLINK_MAX_DEPTH][12];
  uint8_t pre_rep[2];
  lf_usb_xfer xs[2 + 4 * LF_STLINK_MAX_DEPTH];
  size_t n = 0, off = 0;
  stc[1] = rwlen == 12 ? DBG_GETLASTRWSTATUS2 : DBG_GETLASTRWSTATUS;
  xs[n++] = (lf_usb_xfer){.ep = st->ep_out, .buf = (void *)pre, .len = 16};
  xs[n++] = (lf_usb_xfer){.ep = st->ep_in, .buf = pre_rep, .len = 2};
  for (size_t i = 0; i < k; i++) {
    const lf_stlink_chunk *c = &cs[i];
    lf_stlink_cmd_mem(cmd[i], write_sub[c->width], c->addr, (uint16_t)c->len, ap, 0);
    xs[n++] = (lf_usb_xfer){.ep = st->ep_out, .buf = cmd[i], .len = 16};
    xs[n++] = (lf_usb_xfer){.ep = st->ep_out, .buf = (void *)(src + off), .len = c->len};
    xs[n++] = (lf_usb_xfer){.ep = st->ep_out, .buf = stc, .len = 16};
    xs[n++] = (lf_usb_xfer){.ep = st->ep_in, .buf = rw[i], .len = rwlen};
    off += c->len;
  }
  st->base.st.commands += 1 + 2 * k;
  st->base.st.mem_commands += k;
  st->base.st.mem_round_trips++;
  st->base.st.round_trips++;
  if (lf_log_enabled(st->base.s, LF_LOG_TRACE))
    lf_log(st->base.s, LF_LOG_TRACE,
           "stlink > write word 0x%08x = 0x%08x, then %zu memory write(s) to 0x%08x, %zu bytes (+rw status)",
           get32(pre + 2), get32(pre + 6), k, cs[0].addr, off);
  int r = lf_usb_batch(st->usb, xs, n, STLINK_TIMEOUT_MS, "memory write");
  if (r)
    return r;
  for (size_t j = 0; j < n; j++)
    if ((xs[j].ep & 0x80) && xs[j].actual != xs[j].len)
      return lf_err_set(st->base.s, LF_EIO, "stlink %s: memory write: short reply (%zu of %zu bytes)",
                        sname(st), xs[j].actual, xs[j].len);
  if ((r = word_fail(st, pre_rep[0], get32(pre + 2), true)))
    return r;
  st->base.st.bytes_written += 4;
  for (size_t i = 0; i < k; i++) {
    if ((r = mem_status(st, rw[i], rwlen, &cs[i], true)))
      return r;
    st->base.st.bytes_written += cs[i].len;
  }
  return 0;
}

/* pre (optional): a WRITEDEBUGREG queued before the first memory command
 * (st_write32_mem); its status is checked first. */
static int mem_write_pre(stlink *st, uint8_t ap, const uint8_t *pre, uint32_t addr, const void *buf,
                         size_t len, unsigned width)
{
  lf_stlink_chunk *cs;
  long n;
  int r = mem_common(st, ap, addr, len, width, true, &cs, &n);
  const uint8_t *src = buf;
  size_t rwlen = lf_stlink_has(&st->ver, LF_STF_RWSTATUS2) ? 12 : 2;
  if (!r && pre && n > 0 && n <= LF_STLINK_MAX_DEPTH) {
    /* the word, then every command in one round trip */
    r = write_group(st, ap, pre, cs, (size_t)n, src, rwlen);
    free(cs);
    return r;
  }
  for (long i = 0; !r && i < n; i++) {
    const lf_stlink_chunk *c = &cs[i];
    uint8_t cmd[16], rw[12], pre_rep[2];
    lf_stlink_cmd_mem(cmd, write_sub[c->width], c->addr, (uint16_t)c->len, ap, 0);
    st->base.st.mem_commands++;
    st->base.st.mem_round_trips++;
    r = exchange_pre(st, i == 0 ? pre : NULL, pre_rep, cmd, src, c->len, NULL, 0, rw, rwlen,
                     "memory write");
    if (!r && i == 0 && pre) {
      if ((r = word_fail(st, pre_rep[0], get32(pre + 2), true)))
        break;
      st->base.st.bytes_written += 4;
    }
    if (!r)
      r = mem_status(st, rw, rwlen, c, true);
    if (!r) {
      st->base.st.bytes_written += c->len;
      src += c->len;
    }
  }
  free(cs);
  return r;
}

static int st_mem_write(lf_probe *p, uint8_t ap, uint32_t addr, const void *buf, size_t len,
                        unsigned width)
{
  return mem_write_pre(ST(p), ap, NULL, addr, buf, len, width);
}

static int word_fail(stlink *st, uint8_t status, uint32_t addr, bool write)
{
  const char *name;
  int code = status_code(status, &name);
  if (!code)
    return 0;
  if (code == LF_EFAULT)
    clear_sticky(st);
  return lf_err_set(st->base.s, code, "stlink %s: %s word at 0x%08x: %s (status 0x%02x)",
                    sname(st), write ? "write" : "read", addr, name, status);
}

static int st_read32(lf_probe *p, uint8_t ap, uint32_t addr, uint32_t *val)
{
  stlink *st = ST(p);
  if (ap != 0) {
    uint8_t b[4];
    int r = st_mem_read(p, ap, addr, b, 4, 4);
    if (!r)
      *val = get32(b);
    return r;
  }
  int r = check_debug(st, "read word");
  if (r)
    return r;
  if (addr & 3)
    return lf_err_set(p->s, LF_EINVAL, "stlink %s: read word at 0x%08x: not 4-byte aligned",
                      sname(st), addr);
  if ((r = ensure_ap(st, 0, "read word")))
    return r;
  uint8_t cmd[16] = {CMD_DEBUG, DBG_READDEBUGREG}, rep[8];
  put32(cmd + 2, addr);
  if ((r = exchange(st, cmd, NULL, 0, rep, sizeof rep, NULL, 0, "read word")))
    return r;
  if ((r = word_fail(st, rep[0], addr, false)))
    return r;
  *val = get32(rep + 4);
  st->base.st.bytes_read += 4;
  return 0;
}

/* WRITEDEBUGREG (a word on AP 0) and APIV2_WRITEREG (a core register):
 * the 16-byte commands; 2-byte status replies. */
static void cmd_write_word(uint8_t cmd[16], uint32_t addr, uint32_t val)
{
  memset(cmd, 0, 16);
  cmd[0] = CMD_DEBUG;
  cmd[1] = DBG_WRITEDEBUGREG;
  put32(cmd + 2, addr);
  put32(cmd + 6, val);
}

static void cmd_write_reg(uint8_t cmd[16], unsigned regsel, uint32_t val)
{
  memset(cmd, 0, 16);
  cmd[0] = CMD_DEBUG;
  cmd[1] = DBG_WRITEREG;
  cmd[2] = (uint8_t)regsel;
  put32(cmd + 3, val);
}

/* Before a word written on AP 0: the debug mode, the alignment, AP 0. */
static int word_ready(stlink *st, uint32_t addr)
{
  int r = check_debug(st, "write word");
  if (r)
    return r;
  if (addr & 3)
    return lf_err_set(st->base.s, LF_EINVAL, "stlink %s: write word at 0x%08x: not 4-byte aligned",
                      sname(st), addr);
  return ensure_ap(st, 0, "write word");
}

static int st_write32(lf_probe *p, uint8_t ap, uint32_t addr, uint32_t val)
{
  stlink *st = ST(p);
  if (ap != 0) {
    uint8_t b[4];
    put32(b, val);
    return st_mem_write(p, ap, addr, b, 4, 4);
  }
  int r = word_ready(st, addr);
  if (r)
    return r;
  uint8_t cmd[16], rep[2];
  cmd_write_word(cmd, addr, val);
  if ((r = exchange(st, cmd, NULL, 0, rep, sizeof rep, NULL, 0, "write word")))
    return r;
  if ((r = word_fail(st, rep[0], addr, true)))
    return r;
  st->base.st.bytes_written += 4;
  return 0;
}

/* WRITEDEBUGREG of the word, then the memory write, in one submission
 * (the firmware runs them in order: the word is written first whatever the
 * memory write does). AP 0 only: another AP's word goes through its own
 * memory command (st_write32), two submissions. */
static int st_write32_mem(lf_probe *p, uint8_t ap, uint32_t waddr, uint32_t wval, uint32_t addr,
                          const void *buf, size_t len, unsigned width)
{
  stlink *st = ST(p);
  if (ap != 0 || !len) {
    int r = st_write32(p, ap, waddr, wval);
    return r ? r : st_mem_write(p, ap, addr, buf, len, width);
  }
  int r = word_ready(st, waddr);
  if (r)
    return r;
  uint8_t pre[16];
  cmd_write_word(pre, waddr, wval);
  return mem_write_pre(st, ap, pre, addr, buf, len, width);
}

/* APIV2_WRITEREG (probe-protocols.md): regsel, value; 2-byte status. */
static int st_write_core_reg(lf_probe *p, unsigned regsel, uint32_t val)
{
  stlink *st = ST(p);
  int r = check_debug(st, "write core register");
  if (r)
    return r;
  uint8_t cmd[16], rep[2];
  cmd_write_reg(cmd, regsel, val);
  return dbg_status(st, cmd, rep, sizeof rep, "write core register");
}

/* WRITEREG x nregs, then WRITEDEBUGREG x nwords (AP 0), one submission;
 * the statuses checked in order. */
#define ST_REGS_MAX 12u
static int st_write_core_regs_then(lf_probe *p, const unsigned *regsel, const uint32_t *vals,
                                   size_t nregs, const uint32_t *waddr, const uint32_t *wvals,
                                   size_t nwords, size_t *failed)
{
  stlink *st = ST(p);
  size_t n = nregs + nwords;
  *failed = 0;
  if (n > ST_REGS_MAX)
    return lf_err_set(p->s, LF_EINVAL, "stlink %s: %zu register and word writes in one round trip (at most %u)",
                      sname(st), n, ST_REGS_MAX);
  int r = check_debug(st, "write core registers");
  if (r)
    return r;
  for (size_t i = 0; i < nwords; i++)
    if (waddr[i] & 3)
      return lf_err_set(p->s, LF_EINVAL, "stlink %s: write word at 0x%08x: not 4-byte aligned",
                        sname(st), waddr[i]);
  if (nwords && (r = ensure_ap(st, 0, "write word")))
    return r;
  uint8_t cmd[ST_REGS_MAX][16], rep[ST_REGS_MAX][2];
  lf_usb_xfer xs[2 * ST_REGS_MAX];
  for (size_t i = 0; i < n; i++) {
    if (i < nregs)
      cmd_write_reg(cmd[i], regsel[i], vals[i]);
    else
      cmd_write_word(cmd[i], waddr[i - nregs], wvals[i - nregs]);
    xs[2 * i] = (lf_usb_xfer){.ep = st->ep_out, .buf = cmd[i], .len = 16};
    xs[2 * i + 1] = (lf_usb_xfer){.ep = st->ep_in, .buf = rep[i], .len = 2};
  }
  st->base.st.commands += n;
  st->base.st.round_trips++;
  if (lf_log_enabled(st->base.s, LF_LOG_TRACE))
    lf_log(st->base.s, LF_LOG_TRACE, "stlink > %zu core register(s), then %zu word(s), one submission",
           nregs, nwords);
  if ((r = lf_usb_batch(st->usb, xs, 2 * n, STLINK_TIMEOUT_MS, "write core registers")))
    return r;
  for (size_t i = 0; i < n; i++) {
    *failed = i;
    if (xs[2 * i + 1].actual != 2)
      return lf_err_set(p->s, LF_EIO, "stlink %s: write core registers: short reply (%zu of 2 bytes)",
                        sname(st), xs[2 * i + 1].actual);
    if (i < nregs && (r = st_fail(st, rep[i][0], "write core register")))
      return r;
    if (i >= nregs) {
      if ((r = word_fail(st, rep[i][0], waddr[i - nregs], true)))
        return r;
      st->base.st.bytes_written += 4;
    }
  }
  return 0;
}

static int st_set_nrst(lf_probe *p, bool asserted)
{
  stlink *st = ST(p);
  uint8_t cmd[16] = {CMD_DEBUG, DBG_DRIVE_NRST, asserted ? 0 : 1}, rep[2];
  return dbg_status(st, cmd, rep, sizeof rep, asserted ? "assert NRST" : "release NRST");
}

static int read_voltage(stlink *st, double *volts)
{
  int r = need(st, LF_STF_VOLTAGE, "target voltage");
  if (r)
    return r;
  uint8_t rep[8];
  if ((r = simple(st, CMD_GET_VOLTAGE, 0, rep, sizeof rep, "target voltage")))
    return r;
  uint32_t a = get32(rep), b = get32(rep + 4);
  if (a == 0)
    return lf_err_set(st->base.s, LF_EPROTO, "stlink %s: target voltage: zero reference count",
                      sname(st));
  *volts = 2.0 * 1.2 * (double)b / (double)a; /* 1.4b */
  return 0;
}

static int st_target_voltage(lf_probe *p, double *volts) { return read_voltage(ST(p), volts); }

static void st_close(lf_probe *p)
{
  stlink *st = ST(p);
  if (st->in_debug) {
    uint8_t cmd[16] = {CMD_DEBUG, DBG_EXIT};
    (void)exchange(st, cmd, NULL, 0, NULL, 0, NULL, 0, "leave debug mode");
  }
  lf_usb_close(st->usb);
  free(st);
}

static const lf_probe_ops stlink_ops = {
  .set_clock = st_set_clock,
  .connect = st_connect,
  .disconnect = st_disconnect,
  .dp_read = st_dp_read,
  .dp_write = st_dp_write,
  .ap_read = st_ap_read,
  .ap_write = st_ap_write,
  .mem_read = st_mem_read,
  .mem_write = st_mem_write,
  .read32 = st_read32,
  .write32 = st_write32,
  .write32_mem = st_write32_mem,
  .set_nrst = st_set_nrst,
  .write_core_reg = st_write_core_reg,
  .write_core_regs_then = st_write_core_regs_then,
  .target_voltage = st_target_voltage,
  .close = st_close,
  .set_read_depth = st_set_read_depth,
};

/* ---- open ---- */

static int read_version(stlink *st)
{
  uint8_t r6[6];
  int r = simple(st, CMD_GET_VERSION, 0, r6, sizeof r6, "get version");
  if (r)
    return r;
  bool ex;
  lf_stlink_decode_version(r6, &st->ver, &ex);
  if (ex) {
    uint8_t r12[12];
    if ((r = simple(st, CMD_GET_VERSION_EX, 0, r12, sizeof r12, "get version (extended)")))
      return r;
    lf_stlink_decode_version_ex(r12, &st->ver);
  }
  return 0;
}

/* 1.5: how to leave each mode (no reply to any of them). */
static const struct {
  uint8_t mode;
  uint8_t c0, c1;
  const char *name;
} mode_exits[] = {
  {0x00, CMD_DFU, 0x07, "DFU"},
  {0x02, CMD_DEBUG, DBG_EXIT, "debug"},
  {0x03, CMD_SWIM, 0x01, "SWIM"},
};

static int leave_mode(stlink *st, uint8_t *mode_out)
{
  uint8_t m[2];
  int r = simple(st, CMD_GET_MODE, 0, m, sizeof m, "get mode");
  if (r)
    return r;
  if (mode_out)
    *mode_out = m[0];
  for (size_t i = 0; i < sizeof mode_exits / sizeof mode_exits[0]; i++)
    if (mode_exits[i].mode == m[0]) {
      uint8_t cmd[16] = {mode_exits[i].c0, mode_exits[i].c1};
      char op[32];
      snprintf(op, sizeof op, "leave %s mode", mode_exits[i].name);
      return exchange(st, cmd, NULL, 0, NULL, 0, NULL, 0, op);
    }
  return 0;
}

static stlink *alloc_st(lf_session *s, lf_usb_dev *usb)
{
  stlink *st = calloc(1, sizeof *st);
  if (!st)
    return NULL;
  const lf_usb_devinfo *di = lf_usb_dev_info(usb);
  st->base.ops = &stlink_ops;
  st->base.s = s;
  st->base.usb = usb;
  st->usb = usb;
  /* 1.1: PID 0x3748 uses OUT 0x02, every other PID OUT 0x01; reply IN 0x81 */
  st->ep_out = di->pid == 0x3748 ? 0x02 : 0x01;
  st->ep_in = 0x81;
  st->read_depth = 1;
  return st;
}

static void fill_info(stlink *st)
{
  const lf_usb_devinfo *di = lf_usb_dev_info(st->usb);
  lf_probe_info *i = &st->base.info;
  snprintf(i->kind, sizeof i->kind, "stlink");
  snprintf(i->product, sizeof i->product, "%s", product_of(di->pid));
  snprintf(i->serial, sizeof i->serial, "%s", di->serial);
  lf_stlink_version_string(&st->ver, i->firmware, sizeof i->firmware);
  i->vid = di->vid;
  i->pid = di->pid;
  snprintf(i->location, sizeof i->location, "%s", di->location);
  st->lim.block = 1024;           /* 1.14 Q1 */
  st->lim.max32 = 6144;           /* 1.7 */
  st->lim.max8 = lf_stlink_has(&st->ver, LF_STF_RW8_512) ? 512 : 64;
  st->lim.has16 = lf_stlink_has(&st->ver, LF_STF_MEM16);
}

int lf_stlink_open(lf_session *s, lf_usb_dev *usb, lf_probe **out)
{
  *out = NULL;
  stlink *st = alloc_st(s, usb);
  if (!st) {
    lf_usb_close(usb);
    return lf_err_set(s, LF_ENOMEM, "stlink: out of memory");
  }
  int r = read_version(st);
  if (!r)
    r = leave_mode(st, NULL);
  if (r) {
    lf_usb_close(usb);
    free(st);
    return r;
  }
  fill_info(st);
  *out = &st->base;
  return 0;
}

int lf_stlink_describe(lf_session *s, lf_usb_dev *usb, lf_probe_entry *e)
{
  stlink *st = alloc_st(s, usb);
  if (!st)
    return lf_err_set(s, LF_ENOMEM, "stlink: out of memory");
  int r = read_version(st);
  uint8_t mode = 0xFF;
  if (!r) {
    fill_info(st);
    e->info = st->base.info;
    uint8_t m[2];
    r = simple(st, CMD_GET_MODE, 0, m, sizeof m, "get mode");
    mode = m[0];
  }
  /* 1.4b: voltage in every mode except DFU */
  if (!r && mode != 0x00 && lf_stlink_has(&st->ver, LF_STF_VOLTAGE) &&
      read_voltage(st, &e->voltage) == 0)
    e->has_voltage = true;
  free(st);
  return r;
}

const lf_stlink_version *lf_stlink_version_get(const lf_probe *p)
{
  return &((const stlink *)p)->ver;
}
