/* The stream engine (loader.h; the target ABI is loaders/lf_loader_abi.h).
 *
 * Decisions:
 *  - Commands are posted ahead (up to the queue size) so the target never
 *    waits for the host between commands; data of PROGRAM commands is
 *    streamed in command order into the ring while earlier commands (erases
 *    above all) run.
 *  - Uploads are 1 KiB-aligned pieces of up to cfg.chunk bytes (a probe moves
 *    at most one 1 KiB TAR block per memory command): a piece smaller than
 *    1 KiB is only sent when it is the rest of the data. With less free space
 *    than that the host reads the status block instead.
 *  - data_wr / cmd_wr are written after the bytes they publish (separate
 *    writes, in order), so the target never sees unwritten data.
 *  - On a probe that posts writes (lf_adi_posts: CMSIS-DAP) the blob, the
 *    commands, the data and the counters are posted: the upload never waits
 *    for a round trip, only status polls do (they also report a failed
 *    posted write). A publish then costs a few bytes, not a round trip, so
 *    the pieces shrink towards the end of the data (at most half of what
 *    is left, down to TAIL_PIECE): on a link slower than the flash the
 *    target programs each piece as it comes, and after the last byte only
 *    the last small piece is left to program.
 *  - Liveness: "no progress" means the status block did not change; after
 *    cfg.timeout_s of that, and every 32 idle polls, DHCSR is read too, so a
 *    loader that faulted is reported with its PC instead of a timeout.
 *  - Nothing here knows a flash controller: addresses go to the target, the
 *    family's adapter fills its control-block words and names its flags. */
#include "flash/loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "arm/adi.h"
#include "flash/plan.h"
#include "flash/zenc.h"
#include "flash/loaders/lf_inflate.h"
#include "flash/loaders/lf_bcj.h"

#define QUEUE 32u
#define STACK_BYTES 0x400u
#define PIECE 1024u
/* Posting: the smallest piece near the end of the data, a multiple of every
 * family's program unit (32-byte flash words at most). */
#define TAIL_PIECE 256u
#define ZTAIL_CHUNKS 3u   /* compressed: the stream's end in small pieces (execute) */



#define ZTAIL_PIECE 2048u
/* compressed, the routine inflating as the bytes come (zfine below): the
 * last ZFINE_TAIL bytes of the stream in halving pieces down to
 * ZFINE_MIN, so the target starts on the last bytes sooner (measured on
 * z-small: 350.7 -> 349.1 ms; from 4 KiB on, the first halves are 2 KiB
 * pieces, which keep the target waiting longer: 352.9 ms) */
#define ZFINE_TAIL 2048u
#define ZFINE_MIN 64u

typedef struct pcmd {
  struct lf_ldr_cmd c;
  const lf_loader_step *step; /* PROGRAM: the source; ERASE: the step */
  uint32_t pad_head;          /* PROGRAM: erased-value bytes before step data */
  uint32_t skip;              /* PROGRAM: bytes of the padded range before this piece (a
                                 range split for a pair): byte o is data[o + skip - pad_head] */
  uint8_t pair;               /* 1: first of a PROGRAM_PAIR (streams both), 2: its mate */
  const uint8_t *z;           /* PROGRAM_Z: its records (into the stream's z buffer) */
  uint32_t zlen;
} pcmd;

/* The PROGRAM_Z region at the end of the RAM window (lf_loader_abi.h): code,
 * workspace, one chunk's history and one chunk's output. */
#define ZREGION(chunk) (LF_LDR_Z_OUT + 2 * (chunk))
/* Inflate cost on the target, core cycles per output byte incl. the word
 * programming calls: measured on the bench (Unicorn, the stm32f4f7_z
 * routine at 16 MHz: 65 KB realistic image, 6.9 us/byte = 110 cycles),
 * rounded up [unconf: silicon has wait states and bus contention the bench
 * does not charge; the routine runs from SRAM] */
#define Z_CYC_PER_BYTE 120.0

struct lf_loader {
  lf_cm *cm;
  lf_adi *a;
  lf_session *s;
  lf_flash_geometry g;        /* a copy */
  const lf_loader_adapter *ad;
  uint64_t posted_max_ns;     /* the longest datasheet maximum of a command posted (fail fast) */
  lf_loader_cfg cfg;
  uint32_t ram_base;
  uint32_t ctrl, cmds, ring, ring_size, stack_top;
  bool running, dead, ready;
  bool link_failed;           /* a run stopped on a link error: stop aborts (see loader.h) */
  /* host mirrors of the counters */
  uint32_t cmd_wr, data_wr, woff;
  uint32_t st[LF_LDR_STATUS_BLOCK_SIZE / 4]; /* last status block */
  uint64_t prog_done;                        /* last progress reported (no repeats) */
  uint64_t prog_up;                          /* stats.data_bytes at that report */
  /* the CRC commands of the running stream (crc_n 0: none); a probe that
   * posts reads their results with each status poll once the data is
   * sent: crc_valid when that poll saw them all done */
  uint32_t crc_first;
  size_t crc_n;
  bool crc_watch, crc_valid;
  uint32_t crc_res[QUEUE];
  const char *prog_phase;
  lf_loader_stats stats;
  uint32_t z_region;          /* 0: no compressed upload (nor bits-only) */
  uint32_t z_size;            /* its bytes: ZREGION for the inflater, LF_LDR_B_REGION when only
                                 the PROGRAM_BITS routine goes there */
  uint32_t zchunk;            /* flash bytes per record at most (the adapter's z_chunk) */
  bool z_made_off;            /* made with compress OFF: no region reserved for the inflater */
  bool z_loaded;              /* the routine is in RAM and the control block points to it */
  bool b_loaded;              /* ... the PROGRAM_BITS routine instead (they take turns) */
  double start_bps;           /* upload rate seen at start (blob bytes / time) */
  uint32_t bits_seen[2];      /* the running loader's PROGRAM_BITS counters at the last read */
  /* a probe that posts: the start's upload is timed at the first status
   * read after it (bps_measured) */
  bool bps_pending;
  uint64_t bps_t0, bps_rtt;   /* when the upload was posted; one round trip before it */
  uint64_t bps_start;         /* time the start sequence (registers, resume) took to post */
  uint64_t bps_up;            /* time the upload took to post */
  uint32_t bps_bytes;
  void *direct;               /* the adapter's own state when it runs operations itself */
};

enum { S_CMD_RD, S_DATA_RD, S_STATUS, S_ERR_ADDR, S_ERR_SR, S_CYC_ERASE, S_CYC_PROG, S_CYC_STARVE,
       S_CYC_CRC, S_ERR_CMD };

void lf_loader_cfg_default(lf_loader_cfg *cfg)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->chunk = 8192;
}

int lf_loader_new(lf_cm *cm, const lf_flash_geometry *g, const lf_loader_cfg *cfg,
                  lf_loader **out)
{
  const lf_loader_adapter *ad = g->family && g->family->loader ? g->family->loader(g) : NULL;
  if (!ad) {
    *out = NULL;
    return lf_err_set(lf_adi_session(lf_cm_adi(cm)), LF_ENOTSUP, "loader: no flash loader for %s%s%s",
                      g->name, g->family ? " (family " : " (no family: described by a board or project",
                      g->family ? g->family->name : "");
  }
  return lf_loader_new_with(cm, g, ad, cfg, out);
}

int lf_loader_new_with(lf_cm *cm, const lf_flash_geometry *g, const lf_loader_adapter *ad,
                       const lf_loader_cfg *cfg, lf_loader **out)
{
  *out = NULL;
  lf_adi *a = lf_cm_adi(cm);
  lf_session *s = lf_adi_session(a);
  lf_loader_cfg c;
  if (cfg)
    c = *cfg;
  else
    lf_loader_cfg_default(&c);
  if (!c.prog_unit)
    c.prog_unit = g->prog_unit;
  if (lf_geometry_unit_log2(g, c.prog_unit) < 0)
    return lf_err_set(s, LF_EINVAL, "loader: %s cannot program %u-byte units", g->name, c.prog_unit);
  if (c.ram_size == 0)
    c.ram_size = ad->ram_size;
  if (c.chunk < PIECE)
    c.chunk = PIECE;
  c.chunk &= ~(PIECE - 1);
  if (c.core_hz <= 0)
    c.core_hz = ad->core_hz;
  if (c.timeout_s <= 0) {
    uint64_t worst = 0;
    for (unsigned i = 0; i < g->nsectors; i++) {
      uint64_t e = lf_geometry_erase_ns(g, &g->sector[i], c.prog_unit, true);
      if (e > worst)
        worst = e;
    }
    uint64_t m = lf_geometry_mass_ns(g, c.prog_unit, true);
    if (m > worst)
      worst = m;
    c.timeout_s = 2.0 * (double)worst / 1e9 + 1.0;
  }
  lf_loader *l = calloc(1, sizeof *l);
  if (!l)
    return lf_err_set(s, LF_ENOMEM, "loader: out of memory");
  int r = lf_geometry_copy(s, &l->g, g);
  if (r) {
    free(l);
    return r;
  }
  l->cm = cm;
  l->a = a;
  l->s = s;
  l->ad = ad;
  l->cfg = c;
  if (ad->direct) { /* no ring, no blob: the adapter calls its code from the host; its
                      * data buffers (load_addr + ram_size) stand for the ring */
    l->ring = ad->load_addr;
    l->ring_size = ad->ram_size;
    l->stats.core_hz = c.core_hz;
    if ((r = ad->direct->open(s, cm, &l->g, ad, &l->cfg, &l->stats, &l->direct))) {
      lf_loader_free(l);
      return r;
    }
    *out = l;
    return 0;
  }
  l->ram_base = ad->load_addr;
  l->ctrl = l->ram_base + ((*ad->blob_len + 63u) & ~63u);
  l->cmds = l->ctrl + LF_LDR_CTRL_SIZE;
  uint32_t cmds_end = l->cmds + QUEUE * (uint32_t)sizeof(struct lf_ldr_cmd);
  l->stack_top = (cmds_end + STACK_BYTES + PIECE - 1) & ~(PIECE - 1);
  l->ring = ad->ring_size ? ad->ring_addr : l->stack_top;
  uint32_t end = l->ram_base + c.ram_size;
  uint32_t need = ad->ring_size ? l->stack_top : l->ring + 4 * PIECE;
  if (end < need) {
    uint32_t base = l->ram_base;
    lf_loader_free(l);
    return lf_err_set(s, LF_EINVAL, "loader: ram_size 0x%x too small: needs at least 0x%x",
                      c.ram_size, need - base);
  }
  l->zchunk = ad->z_chunk && !ad->z_in_cmd ? ad->z_chunk : LF_LOADER_ZCHUNK;
  l->z_made_off = c.compress == LF_COMPRESS_OFF;
  bool zfits = ad->zblob && c.compress != LF_COMPRESS_OFF && *ad->zblob_len <= LF_LDR_Z_WORK;
  bool bfits = ad->bblob && *ad->bblob_len <= LF_LDR_B_COUNTERS;
  /* the end of the RAM window: the ring (when it is there) keeps this space
   * until a stream compresses or programs bits-only (region_load); the
   * inflater's region when it fits, else the bits-only routine's (small) */
  uint32_t lowest = ad->ring_size ? l->stack_top : l->ring + 4 * PIECE;
  /* an adapter's large records fall back to the default's in a small window */
  uint32_t zsmall = l->zchunk > LF_LOADER_ZCHUNK ? LF_LOADER_ZCHUNK : 0;
  const uint32_t sizes[3] = {zfits ? ZREGION(l->zchunk) : 0, zfits && zsmall ? ZREGION(zsmall) : 0,
                             bfits ? LF_LDR_B_REGION : 0};
  for (int i = 0; i < 3 && !l->z_region; i++) {
    if (sizes[i] && end >= sizes[i] && ((end - sizes[i]) & ~(PIECE - 1)) >= lowest) {
      l->z_region = (end - sizes[i]) & ~(PIECE - 1);
      l->z_size = sizes[i];
      if (i == 1)
        l->zchunk = zsmall;
    }
  }
  l->ring_size = ((ad->ring_size ? ad->ring_addr + ad->ring_size : end) - l->ring) & ~(PIECE - 1);
  l->stats.core_hz = c.core_hz;
  *out = l;
  return 0;
}

void lf_loader_free(lf_loader *l)
{
  if (!l)
    return;
  if (l->direct)
    l->ad->direct->close(l->direct);
  lf_geometry_free(&l->g);
  free(l);
}

const lf_loader_adapter *lf_loader_adapter_get(const lf_loader *l) { return l->ad; }
const lf_flash_geometry *lf_loader_geometry(const lf_loader *l) { return &l->g; }

const lf_loader_stats *lf_loader_stats_get(const lf_loader *l) { return &l->stats; }

void lf_loader_set_compress(lf_loader *l, lf_loader_compress c) { l->cfg.compress = c; }

void lf_loader_set_progress(lf_loader *l, lf_loader_progress_fn fn, void *ctx)
{
  l->cfg.progress = fn;
  l->cfg.progress_ctx = ctx;
}

/* The ring while a routine is in the PROGRAM_Z region. */
static uint32_t ring_with_region(const lf_loader *l)
{
  uint32_t n = l->z_region ? (l->z_region - l->ring) & ~(PIECE - 1) : l->ring_size;
  return n < l->ring_size ? n : l->ring_size;
}

uint32_t lf_loader_bits_max(const lf_loader *l) { return l->ad->bblob && l->z_region ? ring_with_region(l) : 0; }

void lf_loader_layout(const lf_loader *l, uint32_t *ctrl, uint32_t *ring, uint32_t *ring_size)
{
  if (ctrl)
    *ctrl = l->ctrl;
  if (ring)
    *ring = l->ring;
  if (ring_size)
    *ring_size = l->ring_size;
}

static uint64_t now(const lf_loader *l) { return lf_adi_now_ns(l->a); }

/* The start's posted upload is complete (a waiting access returned): its
 * rate, the link's for compress AUTO. */
static void bps_measured(lf_loader *l)
{
  if (!l->bps_pending)
    return;
  l->bps_pending = false;
  uint64_t t = now(l) - l->bps_t0, other = l->bps_rtt + l->bps_start;
  if (t > 2 * other)
    t -= other;
  /* t: until the upload was done (a lower bound of the rate: the start's
   * transfers still overlap it); bps_up: the host held posting it (an upper
   * bound: the last transfers were still in flight). Their mean came within
   * 5 % of the bulk rate of the bench's DAPLink v2 and Debug Probe. */
  if (l->bps_up > 0 && l->bps_up < t)
    t = (t + l->bps_up) / 2;
  if (t > 0)
    l->start_bps = (double)l->bps_bytes * 1e9 / (double)t;
  lf_log(l->s, LF_LOG_DEBUG, "loader: link rate %.1f KB/s (the loader's posted upload: %u bytes in %.3f ms; "
         "round trip %.3f ms and start %.3f ms taken off, posting %.3f ms)", l->start_bps / 1e3, l->bps_bytes,
         (double)t / 1e6, (double)l->bps_rtt / 1e6, (double)l->bps_start / 1e6, (double)l->bps_up / 1e6);
}

int lf_loader_start(lf_loader *l)
{
  if (l->ad->direct)
    return l->ad->direct->start(l->direct);
  uint64_t t0 = now(l);
  uint32_t dhcsr = 0, demcr = 0;
  int r = lf_adi_read32_posted(l->a, LF_CM_DHCSR, &dhcsr); /* both in one round trip */
  if (r || (r = lf_adi_read32(l->a, LF_CM_DEMCR, &demcr)))
    return lf_err_wrap(l->s, r, "loader: start: read DHCSR, DEMCR");
  if (!(dhcsr & LF_DHCSR_S_HALT))
    return lf_err_set(l->s, LF_ETARGET, "loader: start: the core must be halted first");
  if (!(demcr & LF_DEMCR_TRCENA) && (r = lf_adi_write32_posted(l->a, LF_CM_DEMCR, demcr | LF_DEMCR_TRCENA)))
    return lf_err_wrap(l->s, r, "loader: start: DEMCR.TRCENA");
  /* blob, padding, control block: one write (queue entries are written
   * before they are posted) */
  uint32_t total = l->cmds - l->ram_base;
  uint8_t *img = calloc(1, total);
  if (!img)
    return lf_err_set(l->s, LF_ENOMEM, "loader: out of memory");
  memcpy(img, l->ad->blob, *l->ad->blob_len);
  struct lf_ldr_ctrl c;
  memset(&c, 0, sizeof c);
  c.ring_base = l->ring;
  c.ring_size = l->ring_size;
  c.cmd_base = l->cmds;
  c.cmd_count = QUEUE;
  if ((r = l->ad->configure(l->s, &l->g, &l->cfg, c.fam))) {
    free(img);
    return r;
  }
  memcpy(img + (l->ctrl - l->ram_base), &c, sizeof c); /* both sides little-endian */
  uint64_t t_w = now(l);
  r = lf_adi_write_posted(l->a, l->ram_base, img, total);
  free(img);
  if (r)
    return lf_err_wrap(l->s, r, "loader: upload to 0x%08x", l->ram_base);
  uint64_t t_up = now(l);
  l->start_bps = t_up > t_w && !lf_adi_posts(l->a) ? (double)total * 1e9 / (double)(t_up - t_w) : 0;
  /* posted (CMSIS-DAP): the upload is done when the next waiting access
   * returns; that one's round trip is about the one before the upload (the
   * DHCSR + DEMCR reads) and is taken off */
  l->bps_pending = lf_adi_posts(l->a) && !l->start_bps;
  l->bps_t0 = t_w;
  l->bps_rtt = t_w - t0;
  l->bps_bytes = total;
  l->bps_up = t_up - t_w;
  l->z_loaded = l->b_loaded = false;
  const uint32_t args[1] = {l->ctrl}; /* lf_ldr_main(ctl): r0 only (lf_loader_abi.h) */
  if ((r = lf_cm_set_return_bkpt(l->cm, l->ram_base + l->ad->exit_off)) ||
      (r = lf_cm_start_function_n(l->cm, l->ram_base + l->ad->entry_off, args, 1, l->stack_top,
                                      true))) /* DHCSR read above */
    return lf_err_wrap(l->s, r, "loader: start");
  l->bps_start = now(l) - t_up;
  l->running = true;
  l->dead = false;
  l->ready = false;
  l->link_failed = false;
  l->cmd_wr = l->data_wr = l->woff = 0;
  memset(l->st, 0, sizeof l->st);
  l->stats.start_ns += now(l) - t0;
  lf_log(l->s, LF_LOG_DEBUG, "loader: %s, %u bytes at 0x%08x, control 0x%08x, ring 0x%08x + %u KiB; "
         "upload %.2f ms, start %.2f ms", l->ad->name, *l->ad->blob_len, l->ram_base, l->ctrl, l->ring,
         l->ring_size / 1024, (double)(t_up - t0) / 1e6, (double)(now(l) - t_up) / 1e6);
  return 0;
}

static const char *op_name(uint32_t op)
{
  static const char *const n[] = {"?", "erase", "bank erase", "program", "crc32", "exit",
                                  "mass erase", "program", "sync", "program", "program"};
  return op < sizeof n / sizeof n[0] ? n[op] : "?";
}

/* The target reported an error at command index idx (its cmd_rd). */
static bool is_erase(uint32_t op)
{
  return op == LF_LDR_OP_ERASE || op == LF_LDR_OP_ERASE_BANK || op == LF_LDR_OP_ERASE_CHIP;
}

/* The target reported an error at command index idx (its cmd_rd). */
static int target_error(lf_loader *l, const pcmd *cmds, size_t ncmds, uint32_t first)
{
  uint32_t status = l->st[S_STATUS], addr = l->st[S_ERR_ADDR], sr = l->st[S_ERR_SR];
  uint32_t idx = l->st[S_ERR_CMD] ? l->st[S_ERR_CMD] - 1 : l->st[S_CMD_RD]; /* a deferred erase */
  const pcmd *k = idx >= first && idx - first < ncmds ? &cmds[idx - first] : NULL;
  const char *reg = l->ad->status_reg;
  char names[64];
  l->ad->status_names(&l->g, sr, names, sizeof names);
  l->dead = true;
  l->running = false;
  if (status == LF_LDR_ST_LOCKED)
    return lf_err_set(l->s, LF_ETARGET, "loader: the flash controller stays locked after the key "
                      "sequence (wrong key earlier? reset the chip)");
  if (status == LF_LDR_ST_BADCMD)
    return lf_err_set(l->s, LF_EPROTO, "loader: target rejected command %u (%s)", addr,
                      k ? op_name(k->c.op) : "?");
  if (status == LF_LDR_ST_DATA)
    return lf_err_set(l->s, LF_EPROTO, "loader: compressed data for 0x%08x did not inflate on the target "
                      "(code %d)", addr, (int)sr);
  if (status != LF_LDR_ST_FLASH)
    return lf_err_set(l->s, LF_EPROTO, "loader: unknown target status %u", status);
  if (k && is_erase(k->c.op)) {
    const lf_flash_sector *sec = k->c.op == LF_LDR_OP_ERASE ? lf_geometry_sector_at(&l->g, k->c.addr) : NULL;
    if (sec)
      return lf_err_set(l->s, LF_ETARGET, "flash: erase sector %u (0x%08x, %u KiB) failed: %s 0x%08x (%s)",
                        sec->index, sec->addr, sec->size / 1024, reg, sr, names);
    if (k->c.op == LF_LDR_OP_ERASE_BANK)
      return lf_err_set(l->s, LF_ETARGET, "flash: erase of bank %d failed: %s 0x%08x (%s)",
                        lf_geometry_bank_at(&l->g, k->c.addr) + 1, reg, sr, names);
    return lf_err_set(l->s, LF_ETARGET, "flash: mass erase failed: %s 0x%08x (%s)", reg, sr, names);
  }
  const lf_flash_sector *sec = lf_geometry_sector_at(&l->g, addr);
  return lf_err_set(l->s, LF_ETARGET, "flash: program 0x%08x (sector %d) failed: %s 0x%08x (%s)",
                    addr, sec ? (int)sec->index : -1, reg, sr, names);
}

/* One read of the status block; with crc_watch (posting) the CRC results
 * after it, in the same round trip (a result is final once cmd_rd passed
 * its command: the loader writes it first). */
static int poll(lf_loader *l)
{
  int r;
  if (lf_adi_posts(l->a)) {
    r = lf_adi_read_words_posted(l->a, l->ctrl + LF_LDR_OFF_STATUS_BLOCK, l->st,
                                 LF_LDR_STATUS_BLOCK_SIZE / 4);
    for (size_t j = 0; !r && l->crc_watch && j < l->crc_n; j++)
      r = lf_adi_read32_posted(l->a, l->cmds + ((l->crc_first + (uint32_t)j) % QUEUE) * 16u + 12u,
                               &l->crc_res[j]);
    if (!r)
      r = lf_adi_flush(l->a);
    if (r)
      return lf_err_wrap(l->s, r, "loader: status");
    bps_measured(l);
    l->crc_valid = l->crc_watch && l->st[S_CMD_RD] - l->crc_first >= l->crc_n &&
                   l->st[S_CMD_RD] - l->crc_first <= QUEUE;
  } else {
    uint8_t b[LF_LDR_STATUS_BLOCK_SIZE];
    if ((r = lf_adi_read(l->a, l->ctrl + LF_LDR_OFF_STATUS_BLOCK, b, sizeof b)))
      return lf_err_wrap(l->s, r, "loader: status");
    for (size_t i = 0; i < sizeof b / 4; i++)
      l->st[i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 | (uint32_t)b[4 * i + 2] << 16 |
                 (uint32_t)b[4 * i + 3] << 24;
  }
  l->stats.polls++;
  l->stats.erase_cyc = l->st[S_CYC_ERASE];
  l->stats.prog_cyc = l->st[S_CYC_PROG];
  l->stats.starve_cyc = l->st[S_CYC_STARVE];
  l->stats.crc_cyc = l->st[S_CYC_CRC];
  return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* Before the first ring write after a start: the loader has finished its
 * init (D-cache cleaned and off on an M7 whose firmware had enabled it, so
 * no dirty line can later overwrite ring data in SRAM1). Usually the first
 * read already shows LF_LDR_READY. */
static int wait_ready(lf_loader *l, bool short_read)
{
  uint64_t t0 = now(l);
  unsigned polls = 0;
  bool posts = lf_adi_posts(l->a) || !short_read;
  for (;;) {
    /* short_read (not posting, a stream without erases: the link is the
     * bound, and a probe that reads word by word pays for every word): the
     * magic word alone, and every 8th time the status word too (an init
     * failure is seen a few polls later); else the control block in one
     * transfer (posting, its return times the posted upload: bps_measured) */
    uint32_t magic = 0, status = 0;
    uint8_t b[LF_LDR_CTRL_SIZE];
    int r;
    if (posts) {
      if (!(r = lf_adi_read(l->a, l->ctrl, b, sizeof b))) {
        const uint8_t *st = b + LF_LDR_OFF_STATUS_BLOCK + 4u * S_STATUS;
        magic = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        status = (uint32_t)st[0] | (uint32_t)st[1] << 8 | (uint32_t)st[2] << 16 | (uint32_t)st[3] << 24;
      }
    } else if (!(r = lf_adi_read32(l->a, l->ctrl, &magic)) && magic != LF_LDR_READY && polls % 8 == 7) {
      r = lf_adi_read32(l->a, l->ctrl + LF_LDR_OFF_STATUS_BLOCK + 4u * S_STATUS, &status);
    }
    if (r)
      return lf_err_wrap(l->s, r, "loader: status");
    bps_measured(l);
    l->stats.polls++;
    if (magic == LF_LDR_READY) {
      l->ready = true;
      return 0;
    }
    if (status)
      return 1; /* init failed: the caller's next status poll reports it */
    if (++polls % 32 == 0) {
      bool done = false;
      uint32_t r0 = 0;
      if ((r = lf_cm_poll_function(l->cm, &done, &r0)) || done) {
        l->running = false;
        l->dead = true;
        if (r)
          return lf_err_wrap(l->s, r, "loader: stopped during its init (flash keys refused? a wrong "
                             "key locks FLASH_CR until reset)");
        return 1;
      }
    }
    if ((double)(now(l) - t0) > l->cfg.timeout_s * 1e9)
      return lf_err_set(l->s, LF_ETIMEDOUT, "loader: not ready after %.1f s (init did not finish)",
                        l->cfg.timeout_s);
  }
}

/* The datasheet maximum of one command's flash work (an upper bound: a
 * block erase counted as its sectors, a program as its units one by one). */
static uint64_t cmd_max_ns(const lf_loader *l, const struct lf_ldr_cmd *c)
{
  unsigned unit = l->cfg.prog_unit;
  if (c->op == LF_LDR_OP_ERASE_BANK || c->op == LF_LDR_OP_ERASE_CHIP)
    return lf_geometry_mass_ns(&l->g, unit, true);
  if (c->op == LF_LDR_OP_ERASE) {
    const lf_flash_sector *sec = lf_geometry_sector_at(&l->g, c->addr);
    if (!sec || !sec->size)
      return lf_geometry_mass_ns(&l->g, unit, true);
    uint32_t bytes = (c->len & LF_LDR_ERASE_SIZE_MASK) ? (c->len & LF_LDR_ERASE_SIZE_MASK) : sec->size;
    return lf_geometry_erase_ns(&l->g, sec, unit, true) * ((bytes + sec->size - 1) / sec->size);
  }
  if (c->op == LF_LDR_OP_PROGRAM || c->op == LF_LDR_OP_PROGRAM_PAIR || c->op == LF_LDR_OP_PROGRAM_Z)
    return lf_geometry_prog_ns(&l->g, unit, true) * (((uint64_t)c->len + unit - 1) / (unit ? unit : 1));
  return 0;
}

/* Posts cmds[from..from+n) (n <= free queue slots). */
/* count: cmd_wr written after them; else the caller writes it (execute:
 * with the next piece's write). */
static int post(lf_loader *l, const pcmd *cmds, size_t n, bool count)
{
  for (size_t i = 0; i < n; i++) {
    uint64_t ns = cmd_max_ns(l, &cmds[i].c);
    if (ns > l->posted_max_ns)
      l->posted_max_ns = ns;
  }
  uint8_t buf[QUEUE * sizeof(struct lf_ldr_cmd)];
  size_t done = 0;
  while (done < n) {
    uint32_t slot = (l->cmd_wr + (uint32_t)done) % QUEUE;
    size_t k = n - done < QUEUE - slot ? n - done : QUEUE - slot;
    for (size_t i = 0; i < k; i++) {
      const struct lf_ldr_cmd *c = &cmds[done + i].c;
      put32(buf + 16 * i, c->op);
      put32(buf + 16 * i + 4, c->addr);
      put32(buf + 16 * i + 8, c->len);
      put32(buf + 16 * i + 12, c->op == LF_LDR_OP_PROGRAM_Z && l->ad->z_in_cmd ? l->z_region : 0);
    }
    int r = lf_adi_write_posted(l->a, l->cmds + slot * 16u, buf, 16 * k);
    if (r)
      return lf_err_wrap(l->s, r, "loader: post commands");
    done += k;
  }
  int r = count ? lf_adi_write32_posted(l->a, l->ctrl + LF_LDR_OFF_CMD_WR, l->cmd_wr + (uint32_t)n) : 0;
  if (r)
    return lf_err_wrap(l->s, r, "loader: post commands");
  l->cmd_wr += (uint32_t)n;
  l->stats.commands += n;
  return 0;
}

/* Byte o of the padded range of a PROGRAM command. */
static uint8_t range_byte(const lf_loader *l, const pcmd *k, uint64_t o)
{
  uint64_t at = o + k->skip;
  return at >= k->pad_head && at - k->pad_head < k->step->len ? k->step->data[at - k->pad_head]
                                                              : l->g.erased;
}

/* Bytes of the stream of a PROGRAM command, or of a pair (k[0] and k[1]
 * interleaved by program unit). */
static void fill(const lf_loader *l, const pcmd *k, uint32_t off, uint8_t *dst, uint32_t n)
{
  uint32_t u = l->cfg.prog_unit;
  if (k->z) {
    memcpy(dst, k->z + off, n);
    return;
  }
  for (uint32_t i = 0; i < n; i++) {
    uint64_t o = (uint64_t)off + i;
    if (k->pair == 1) {
      uint64_t unit = o / u;
      dst[i] = range_byte(l, &k[unit & 1], (unit >> 1) * u + o % u);
    } else {
      dst[i] = range_byte(l, k, o);
    }
  }
}

static bool is_program(const pcmd *k)
{
  return k->c.op == LF_LDR_OP_PROGRAM || k->c.op == LF_LDR_OP_PROGRAM_PAIR || k->c.op == LF_LDR_OP_PROGRAM_Z ||
         k->c.op == LF_LDR_OP_PROGRAM_BITS;
}

/* A command whose data the host streams (a PROGRAM, or the first of a pair
 * for both), and the bytes it streams. */
static bool streams(const pcmd *k) { return is_program(k) && k->pair != 2; }
static uint32_t stream_len(const pcmd *k)
{
  return k->z ? k->zlen : k->pair == 1 ? 2 * k->c.len : k->c.len;
}

/* Bytes of flash work of one command (progress units). */
static uint64_t cmd_weight(const lf_loader *l, const pcmd *k)
{
  if (k->c.op == LF_LDR_OP_ERASE && (k->c.len & LF_LDR_ERASE_SIZE_MASK))
    return k->c.len & LF_LDR_ERASE_SIZE_MASK;
  if (k->c.op == LF_LDR_OP_ERASE) {
    const lf_flash_sector *sec = lf_geometry_sector_at(&l->g, k->c.addr);
    return sec ? sec->size : 0;
  }
  if (k->c.op == LF_LDR_OP_ERASE_BANK) {
    int b = lf_geometry_bank_at(&l->g, k->c.addr);
    return b >= 0 ? l->g.bank_size[b] : 0;
  }
  if (k->c.op == LF_LDR_OP_ERASE_CHIP)
    return l->g.size;
  return k->c.len;
}

/* Reports progress from the last status block: commands the target finished
 * count whole, the running program command by the ring bytes consumed (at
 * least what was uploaded beyond the ring's size: the host knows that much
 * without reading the status, so progress moves with every upload). */
static void report(lf_loader *l, const pcmd *cmds, size_t n, uint32_t first, uint32_t data0,
                   uint64_t total)
{
  if (!l->cfg.progress)
    return;
  uint32_t fin = l->st[S_CMD_RD] - first;
  if (fin > n)
    fin = (uint32_t)n;
  uint32_t up = l->data_wr - data0, seen = l->st[S_DATA_RD] - data0;
  uint64_t done = 0, prog_done = 0, consumed = seen;
  if (up > l->ring_size && up - l->ring_size > seen)
    consumed = up - l->ring_size;
  for (size_t i = 0; i < n; i++) {
    if (is_program(&cmds[i])) {
      uint64_t w = cmds[i].c.len, ws = cmds[i].z ? cmds[i].zlen : w; /* flash bytes, stream bytes */
      uint64_t take = consumed - prog_done < ws ? consumed - prog_done : ws;
      prog_done += take;
      done += i < fin ? w : take * w / (ws ? ws : 1);
    } else if (i < fin) {
      done += cmd_weight(l, &cmds[i]);
    }
  }
  const char *phase = fin < n ? op_name(cmds[fin].c.op) : "done";
  if (done == l->prog_done && phase == l->prog_phase && l->stats.data_bytes == l->prog_up)
    return;
  l->prog_up = l->stats.data_bytes;
  l->prog_done = done;
  l->prog_phase = phase;
  l->cfg.progress(l->cfg.progress_ctx, done, total, phase);
}

/* What the target was doing at cmd_rd (for errors of the link, where the
 * target cannot tell): "erase sector 1 (0x08008000), command 2 of 7". */
static void where(const lf_loader *l, const pcmd *cmds, size_t n, uint32_t first, char *buf, size_t len)
{
  uint32_t i = l->st[S_CMD_RD] - first;
  if (i >= n) {
    snprintf(buf, len, "after the last of %zu commands", n);
    return;
  }
  const pcmd *k = &cmds[i];
  const lf_flash_sector *sec = NULL;
  if (k->c.op == LF_LDR_OP_ERASE || is_program(k) || k->c.op == LF_LDR_OP_CRC)
    sec = lf_geometry_sector_at(&l->g, k->c.addr);
  if (k->c.op == LF_LDR_OP_ERASE_CHIP || k->c.op == LF_LDR_OP_ERASE_BANK)
    snprintf(buf, len, "%s, command %u of %zu", op_name(k->c.op), i + 1, n);
  else if (k->c.op == LF_LDR_OP_ERASE)
    snprintf(buf, len, "erase sector %d (0x%08x), command %u of %zu", sec ? (int)sec->index : -1,
             sec ? sec->addr : 0u, i + 1, n);
  else
    snprintf(buf, len, "%s 0x%08x + %u (sector %d), command %u of %zu", op_name(k->c.op), k->c.addr,
             k->c.len, sec ? (int)sec->index : -1, i + 1, n);
}

/* Runs cmds to completion: posting, streaming, polling. */
static int execute(lf_loader *l, const pcmd *cmds, size_t n)
{
  if (!l->running)
    return lf_err_set(l->s, LF_ETARGET, l->dead ? "loader: stopped after an error; start it again"
                                                : "loader: not started");
  uint32_t first = l->cmd_wr, target = l->cmd_wr + (uint32_t)n;
  size_t posted = 0, sidx = 0;
  uint32_t soff = 0;
  while (sidx < n && !streams(&cmds[sidx]))
    sidx++;
  uint8_t *buf = malloc(l->cfg.chunk);
  if (!buf)
    return lf_err_set(l->s, LF_ENOMEM, "loader: out of memory");
  uint32_t data0 = l->data_wr; /* every earlier byte was consumed */
  l->stats.stream_bytes = 0;
  bool posts = lf_adi_posts(l->a);
  uint64_t prog_left = 0; /* program bytes not uploaded yet */
  bool erases = false;
  for (size_t i = 0; i < n; i++) {
    if (streams(&cmds[i]))
      prog_left += stream_len(&cmds[i]);
    else if (cmds[i].c.op == LF_LDR_OP_ERASE || cmds[i].c.op == LF_LDR_OP_ERASE_BANK ||
             cmds[i].c.op == LF_LDR_OP_ERASE_CHIP)
      erases = true;
  }
  /* Near the end of the data, pieces halve (down to `unit`) so the target
   * starts on the last bytes sooner: always when posting; otherwise in a
   * stream without erases (a blank board: the link is the bound, and the
   * target would wait for a whole last chunk) */
  l->stats.stream_total = prog_left;
  bool halve = posts || !erases;
  /* keep = 1 - r, r = the target's program time per byte over the link's
   * (measured at the loader's upload), within [1/2, 3/4]; 1/2: halving */
  double keep = 0.5;
  /* not posting: the last KiB's smallest piece, one whose programming
   * takes at least what one more piece costs on the link (its write and
   * its data_wr: about the start's two round trips, bps_rtt) */
  uint32_t tail_unit = PIECE;
  if (!posts && l->start_bps > 0 && l->cfg.prog_unit) {
    double ns_b = (double)lf_geometry_prog_ns(&l->g, l->cfg.prog_unit, false) / l->cfg.prog_unit;
    double r = ns_b * l->start_bps / 1e9;
    keep = 1.0 - (r < 0.5 ? 0.5 : r > 0.75 ? 0.75 : r);
    for (tail_unit = TAIL_PIECE; tail_unit < PIECE && ns_b * tail_unit < (double)l->bps_rtt;)
      tail_unit *= 2;
  }
  unsigned zpieces = 0; /* pieces of compressed data sent */
  /* compressed (adapter z_cont): when the target will have programmed what
   * is published (ns, the model's rates) */
  double zfree = 0, link_bns = l->stats.z_link_bps > 0 ? 1e9 / l->stats.z_link_bps : 0;
  double flash_bns = (double)lf_geometry_prog_ns(&l->g, l->cfg.prog_unit, false) / l->cfg.prog_unit;
  /* ... sized by it where the link and the flash take about as long (a
   * stream whose upload takes clearly longer keeps the target waiting
   * for every piece anyway: fewer, larger pieces) */
  double zraw = 0, zup = 0;
  for (size_t i = 0; i < n; i++)
    if (cmds[i].z) {
      zraw += cmds[i].c.len;
      zup += cmds[i].zlen;
    }
  bool zfine = l->ad->z_cont && zup * link_bns <= 1.25 * zraw * flash_bns;
  uint64_t t_exec = now(l);
  l->prog_done = UINT64_MAX;
  l->prog_phase = NULL;
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += cmd_weight(l, &cmds[i]);
  uint64_t last_change = now(l);
  uint32_t last_rd = l->st[S_CMD_RD], last_drd = l->st[S_DATA_RD];
  unsigned idle = 0;
  int r = 0;
  /* a compressed stream to a routine that inflates as the bytes come
   * (z_cont), not posting: a piece's data_wr (or the cmd_wr of commands
   * just posted) goes with the next piece's write (the word first, in the
   * same submission: lf_adi_write32_then), so a piece costs one round
   * trip, and a count is written only after the write of what it publishes
   * was seen to succeed. Written alone before anything else (more
   * commands, status reads, the end). Such a stream keeps the target
   * waiting for the link; elsewhere (the flash the bound) the counts go
   * alone as before: a saved round trip there only moves the status polls'
   * phase against the flash's end. */
  bool ride = !posts && l->ad->z_cont && zup > 0;
  bool pend = false;
  uint32_t pend_off = 0, pend_wr = 0;
#define FLUSH_PEND()                                                                              \
  if (pend) {                                                                                     \
    pend = false;                                                                                 \
    if ((r = lf_adi_write32_posted(l->a, l->ctrl + pend_off, pend_wr))) {                         \
      lf_err_wrap(l->s, r, "loader: %s 0x%08x", pend_off == LF_LDR_OFF_CMD_WR ? "post commands"   \
                                                                             : "data count", pend_wr); \
      break;                                                                                      \
    }                                                                                             \
  }
  for (;;) {
    uint32_t queued = l->cmd_wr - l->st[S_CMD_RD];
    if (posted < n && queued < QUEUE) {
      FLUSH_PEND();
      size_t k = n - posted < QUEUE - queued ? n - posted : QUEUE - queued;
      if ((r = post(l, cmds + posted, k, !ride)))
        break;
      pend = ride;
      pend_off = LF_LDR_OFF_CMD_WR;
      pend_wr = l->cmd_wr;
      posted += k;
      continue;
    }
    if (sidx < n && !l->ready) {
      FLUSH_PEND();
      int w = wait_ready(l, !erases);
      if (w < 0) {
        r = w;
        break;
      }
      if (w > 0) { /* init failed: report through the status block */
        if ((r = poll(l)) == 0)
          r = target_error(l, cmds, n, first);
        break;
      }
    }
    if (sidx < n && !(l->ad->post_ahead && sidx >= posted && posted < n)) {
      const pcmd *k = &cmds[sidx];
      /* a compressed stream is one run of bytes (every streaming command's
       * records, back to back): for a routine that inflates as they come
       * (z_cont), pieces run on across commands */
      uint32_t left = k->z && l->ad->z_cont ? (uint32_t)prog_left : stream_len(k) - soff;
      uint32_t free_b = l->ring_size - (l->data_wr - l->st[S_DATA_RD]);
      uint32_t m = left < free_b ? left : free_b;
      if (m > l->cfg.chunk)
        m = l->cfg.chunk;
      /* not posting: the last KiB of a shrinking stream in pieces down to
       * TAIL_PIECE too (nothing follows them, so a piece off the 1 KiB grid
       * splits no later probe block) */
      bool fine = !posts && halve && !k->z && prog_left <= PIECE;
      uint32_t unit = posts ? TAIL_PIECE : fine ? tail_unit : PIECE;
      if (halve && m > prog_left / 2 && prog_left / 2 >= unit)
        m = (uint32_t)(prog_left / 2);
      if (halve && !posts && !k->z && keep < 0.5) {
        /* the target programs a piece in r x its upload time (keep = 1 - r):
         * with r above 1/2 halving leaves it behind at the end, so each piece
         * is at most keep x what is left (the next one still covers it) */
        uint64_t x = (uint64_t)((double)prog_left * keep);
        if (m > x)
          m = x >= unit ? (uint32_t)x : m < unit ? m : unit;
      }
      if (k->z && zfine) {
        /* the routine inflates as the bytes come: a piece whose upload
         * takes at most half the target's (estimated) backlog, so it stays
         * busy while the piece travels, at least 1 KiB (each piece costs a
         * publish; measured on z-small: 1 KiB pieces throughout are as
         * good, 2 KiB ones 1 ms slower, 4 KiB ones 12 ms) */
        double backlog = zfree - (double)now(l);
        uint32_t cap = PIECE;
        while (2 * cap <= l->cfg.chunk && 4.0 * cap * link_bns <= backlog)
          cap *= 2;
        if (prog_left <= ZFINE_TAIL)
          cap = prog_left / 2 >= ZFINE_MIN ? (uint32_t)(prog_left / 2) : (uint32_t)prog_left;
        if (m > cap)
          m = cap;
      } else if (k->z && zpieces < 4 && m > (PIECE << zpieces)) { /* compressed: the first pieces */
        m = PIECE << zpieces;                                     /* ramp up, the target starts sooner */
      }
      /* compressed, the last ZTAIL_CHUNKS chunks: pieces of ZTAIL_PIECE. The
       * target's work per stream byte is about the link's time for it (it
       * programs 1.5x or more raw bytes), so with whole chunks it is still
       * programming the last ones long after the link is done; halving does
       * not help (it works off every piece after the last big one) */
      if (k->z && !zfine && prog_left <= (uint64_t)ZTAIL_CHUNKS * l->cfg.chunk && m > ZTAIL_PIECE)
        m = ZTAIL_PIECE;
      if (m > l->ring_size - l->woff)
        m = l->ring_size - l->woff;
      /* (the halving tail of a compressed stream: records, no probe block to
       * keep whole) */
      bool ztail = k->z && zfine && prog_left <= ZFINE_TAIL;
      if (m >= unit && !ztail) { /* ending on a `unit` boundary of the ring (after an odd range
                        * end): a 1 KiB probe block each, not two half ones */
        uint32_t e = (l->woff + m) & ~(unit - 1);
        m = e - l->woff >= unit ? e - l->woff : m & ~(unit - 1);
      }
      /* a piece shorter than `unit` only at the range's end or the ring's
       * (ranges need not be multiples of it: the ring offset may be odd,
       * and its last bytes before the wrap would never be filled) */
      if (m >= unit || (m > 0 && (ztail || m == left || m == l->ring_size - l->woff))) {
        fill(l, k, soff, buf, m);
        if (!ride)
          r = lf_adi_write_posted(l->a, l->ring + l->woff, buf, m);
        else if (pend)
          r = lf_adi_write32_then(l->a, l->ctrl + pend_off, pend_wr, l->ring + l->woff, buf, m);
        else
          r = lf_adi_write(l->a, l->ring + l->woff, buf, m);
        pend = ride;
        pend_off = LF_LDR_OFF_DATA_WR;
        pend_wr = l->data_wr + m;
        if (r || (!ride && (r = lf_adi_write32_posted(l->a, l->ctrl + LF_LDR_OFF_DATA_WR, pend_wr)))) {
          pend = false;
          lf_err_wrap(l->s, r, "loader: data for 0x%08x", k->c.addr + soff);
          break;
        }
        if (k->z && k->zlen) { /* the target's work for it (the piece's first command's ratio) */
          double t = (double)now(l);
          zfree = (zfree > t ? zfree : t) + (double)m * k->c.len / k->zlen * flash_bns;
        }
        prog_left -= m;
        l->data_wr += m;
        l->woff = (l->woff + m) % l->ring_size;
        l->stats.data_bytes += m;
        l->stats.stream_bytes += m;
        l->stats.uploads++;
        zpieces += k->z != NULL;
        soff += m;
        while (sidx < n && soff >= stream_len(&cmds[sidx])) {
          soff -= stream_len(&cmds[sidx]);
          for (sidx++; sidx < n && !streams(&cmds[sidx]); sidx++)
            ;
          if (sidx == n)
            lf_log(l->s, LF_LOG_DEBUG, "loader: stream data sent in %.1f ms (%llu uploads)",
                   (double)(now(l) - t_exec) / 1e6, (unsigned long long)l->stats.uploads);
        }
        report(l, cmds, n, first, data0, total);
        continue;
      }
      l->stats.full_polls++;
    } else if (posted < n) {
      l->stats.full_polls++;
    }
    FLUSH_PEND();
    if (l->st[S_CMD_RD] == target && posted == n && sidx == n) {
      /* it served commands: its init is done (no wait_ready later; a probe
       * that posts keeps that read: it times the posted upload) */
      l->ready = l->ready || (n > 0 && !posts);
      report(l, cmds, n, first, data0, total);
      break;
    }
    l->crc_watch = l->crc_n && posted == n && sidx == n;
    if ((r = poll(l)))
      break;
    if (l->st[S_STATUS]) {
      r = target_error(l, cmds, n, first);
      break;
    }
    uint64_t t = now(l);
    if (l->st[S_CMD_RD] != last_rd || l->st[S_DATA_RD] != last_drd) {
      last_rd = l->st[S_CMD_RD];
      last_drd = l->st[S_DATA_RD];
      last_change = t;
      idle = 0;
      report(l, cmds, n, first, data0, total);
      continue;
    }
    bool timed_out = (double)(t - last_change) > l->cfg.timeout_s * 1e9;
    if (++idle % 32 == 0 || timed_out) {
      bool done = false;
      uint32_t r0 = 0;
      if ((r = lf_cm_poll_function(l->cm, &done, &r0))) {
        l->running = false;
        l->dead = true;
        lf_err_wrap(l->s, r, "loader: stopped while running %s",
                    last_rd - first < n ? op_name(cmds[last_rd - first].c.op) : "commands");
        break;
      }
      if (done) {
        l->running = false;
        l->dead = true;
        if ((r = poll(l)) == 0)
          r = l->st[S_STATUS] ? target_error(l, cmds, n, first)
                              : lf_err_set(l->s, LF_EPROTO, "loader: returned (r0 %u) before the commands were done", r0);
        break;
      }
    }
    if (timed_out) {
      uint32_t i = last_rd - first;
      r = lf_err_set(l->s, LF_ETIMEDOUT, "loader: no progress for %.1f s in %s (command %u of %zu)",
                     l->cfg.timeout_s, i < n ? op_name(cmds[i].c.op) : "?", i + 1, n);
      break;
    }
  }
#undef FLUSH_PEND
  free(buf);
  if (!r && (r = lf_adi_flush(l->a)))
    lf_err_wrap(l->s, r, "loader");
  if (r && !l->st[S_STATUS]) { /* a link error: say what the target was doing */
    l->link_failed = l->running;
    char w[128];
    where(l, cmds, n, first, w, sizeof w);
    lf_err_wrap(l->s, r, "flash job stopped (target last seen at %s)", w);
  }
  if (r && l->ad->explain)
    l->ad->explain(l->s, l->a, &l->g, l->ctrl, r);
  return r;
}

/* execute() of a stream whose last nr commands are CRCs from index first
 * on (their results then come with the polls), then those results. */
static int execute_crcs(lf_loader *l, const pcmd *cmds, size_t n, uint32_t first, size_t nr,
                        uint32_t *crcs);

/* Reads the results of the CRC commands posted as the last nr commands
 * (the last poll's when it read them). */
static int crc_results(lf_loader *l, uint32_t first, size_t nr, uint32_t *crcs)
{
  if (l->crc_valid && l->crc_first == first && l->crc_n == nr) {
    memcpy(crcs, l->crc_res, nr * sizeof *crcs);
    return 0;
  }
  uint8_t q[QUEUE * sizeof(struct lf_ldr_cmd)];
  uint32_t slot = first % QUEUE;
  size_t k1 = nr < QUEUE - slot ? nr : QUEUE - slot;
  int r;
  if ((r = lf_adi_read(l->a, l->cmds + slot * 16u, q + slot * 16u, 16 * k1)) ||
      (nr > k1 && (r = lf_adi_read(l->a, l->cmds, q, 16 * (nr - k1)))))
    return lf_err_wrap(l->s, r, "loader: crc32 results");
  for (size_t j = 0; j < nr; j++) {
    const uint8_t *p = q + ((first + j) % QUEUE) * 16 + 12;
    crcs[j] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  }
  return 0;
}

static int execute_crcs(lf_loader *l, const pcmd *cmds, size_t n, uint32_t first, size_t nr,
                        uint32_t *crcs)
{
  l->crc_first = first;
  l->crc_n = nr;
  l->crc_valid = l->crc_watch = false;
  int r = execute(l, cmds, n);
  if (!r && nr)
    r = crc_results(l, first, nr, crcs);
  l->crc_n = 0;
  l->crc_valid = l->crc_watch = false;
  return r;
}

int lf_loader_run(lf_loader *l, const lf_loader_step *steps, size_t n)
{
  return lf_loader_run_crc32(l, steps, n, NULL, 0, NULL);
}

/* One MASS step (bank mask) as commands: a mask covering every bank is one
 * chip erase, else one bank erase per bit. Returns the commands written
 * (at most nbanks), 0 for a bad mask. */
static size_t mass_cmds(const lf_flash_geometry *g, uint32_t mask, pcmd *out)
{
  uint32_t all = (1u << g->nbanks) - 1u;
  if (!mask || (mask & ~all))
    return 0;
  if (mask == all) {
    out[0].c.op = LF_LDR_OP_ERASE_CHIP;
    out[0].c.addr = g->base;
    return 1;
  }
  size_t k = 0;
  for (unsigned b = 0; b < g->nbanks; b++)
    if (mask & (1u << b)) {
      out[k].c.op = LF_LDR_OP_ERASE_BANK;
      out[k++].c.addr = g->bank_base[b];
    }
  return k;
}

/* The bank a command works on; -1 for one that spans every bank (chip
 * erase). */
static int cmd_bank(const lf_flash_geometry *g, const pcmd *k)
{
  return k->c.op == LF_LDR_OP_ERASE_CHIP ? -1 : lf_geometry_bank_at(g, k->c.addr);
}

/* Moves the first len bytes of program command k into a piece of its own
 * (returned); k keeps the rest. */
static pcmd take_front(pcmd *k, uint32_t len)
{
  pcmd piece = *k;
  piece.c.len = len;
  k->c.addr += len;
  k->c.len -= len;
  k->skip += len;
  return piece;
}

/* Independent banks (loader.h "Order of steps"): merges the commands of
 * banks 0 (qa) and 1 (qb), each in its order, into out. Erases alternate
 * between the banks and go before the other bank's programming (they only
 * start: the controller works while the loader feeds the other bank); two
 * program ranges become a PROGRAM_PAIR of the shorter length, the rest of
 * the longer one waits for the next partner. Returns the commands written. */
static size_t merge_banks(pcmd *out, pcmd *qa, size_t na, pcmd *qb, size_t nb)
{
  size_t ia = 0, ib = 0, k = 0;
  bool b_turn = false;
  while (ia < na || ib < nb) {
    pcmd *a = ia < na ? &qa[ia] : NULL, *b = ib < nb ? &qb[ib] : NULL;
    bool pa = a && a->c.op == LF_LDR_OP_PROGRAM, pb = b && b->c.op == LF_LDR_OP_PROGRAM;
    if (pa && pb) {
      uint32_t len = a->c.len < b->c.len ? a->c.len : b->c.len;
      out[k] = take_front(a, len);
      out[k].c.op = LF_LDR_OP_PROGRAM_PAIR;
      out[k++].pair = 1;
      out[k] = take_front(b, len);
      out[k++].pair = 2;
      ia += a->c.len == 0;
      ib += b->c.len == 0;
    } else if (a && !pa && (!b_turn || !b || pb)) {
      out[k++] = *a;
      ia++;
      b_turn = true;
    } else if (b && !pb) {
      out[k++] = *b;
      ib++;
      b_turn = false;
    } else if (a) {
      out[k++] = *a;
      ia++;
    } else {
      out[k++] = *b;
      ib++;
    }
  }
  return k;
}

/* Independent banks: the commands in[0..n) interleaved by bank (a chip
 * erase stays where it is, between what comes before and after it), then
 * a SYNC. *out is allocated (free()); NULL when out of memory. */
static pcmd *schedule_banks(const lf_flash_geometry *g, const pcmd *in, size_t n, size_t *nout)
{
  pcmd *out = calloc(2 * n + 2, sizeof *out), *qa = calloc(n + 1, sizeof *qa),
       *qb = calloc(n + 1, sizeof *qb);
  size_t k = 0, na = 0, nb = 0;
  if (out && qa && qb) {
    for (size_t i = 0; i <= n; i++) {
      int bank = i < n ? cmd_bank(g, &in[i]) : -1;
      if (bank == 0 || bank == 1) {
        if (bank)
          qb[nb++] = in[i];
        else
          qa[na++] = in[i];
        continue;
      }
      k += merge_banks(out + k, qa, na, qb, nb);
      na = nb = 0;
      if (i < n)
        out[k++] = in[i];
    }
    out[k++].c.op = LF_LDR_OP_SYNC;
  } else {
    free(out);
    out = NULL;
  }
  free(qa);
  free(qb);
  *nout = k;
  return out;
}

/* Erase blocks (adapter erase_blocks): the ERASE commands of every sector of
 * an aligned block become one ERASE of the block where the block's first
 * sector erases, when no command programs the block before that point.
 * Returns the new command count (commands kept in order). */
static size_t merge_block(const lf_flash_geometry *g, pcmd *cmds, size_t nc, size_t i, unsigned kind)
{
  uint32_t bsize = g->timing.block_size[kind];
  {
    const lf_flash_sector *sec = lf_geometry_sector_at(g, cmds[i].c.addr);
    unsigned n = sec ? lf_geometry_block_at(g, (unsigned)(sec - g->sector), kind) : 0;
    if (!n)
      return nc;
    uint32_t lo = sec->addr, hi = sec->addr + bsize;
    bool ok = true;
    for (size_t j = 0; j < i && ok; j++)
      ok = !(is_program(&cmds[j]) && cmds[j].c.addr < hi && cmds[j].c.addr + cmds[j].c.len > lo);
    unsigned found = 0;
    for (size_t j = i; j < nc && ok; j++)
      if (cmds[j].c.op == LF_LDR_OP_ERASE && cmds[j].c.addr >= lo && cmds[j].c.addr < hi)
        found++;
    if (!ok || found != n)
      return nc;
    cmds[i].c.len = bsize;
    size_t m = i + 1;
    for (size_t j = i + 1; j < nc; j++)
      if (!(cmds[j].c.op == LF_LDR_OP_ERASE && cmds[j].c.addr >= lo && cmds[j].c.addr < hi))
        cmds[m++] = cmds[j];
    nc = m;
  }
  return nc;
}

/* Every block kind, largest first, at every sector erase not merged yet. */
static size_t merge_blocks(const lf_flash_geometry *g, pcmd *cmds, size_t nc)
{
  for (size_t i = 0; i < nc; i++)
    for (unsigned kind = 0; kind < LF_FLASH_MAX_BLOCKS && g->timing.block_size[kind]; kind++)
      if (cmds[i].c.op == LF_LDR_OP_ERASE && !(cmds[i].c.len & LF_LDR_ERASE_SIZE_MASK) &&
          !(cmds[i].c.len & ~LF_LDR_ERASE_SIZE_MASK))
        nc = merge_block(g, cmds, nc, i, kind);
  return nc;
}

/* Uploads a routine into the PROGRAM_Z region (the inflater or the
 * PROGRAM_BITS routine: whichever was there is gone) and points the control
 * block at it. */
static int region_load(lf_loader *l, const unsigned char *blob, unsigned len, const char *what)
{
  int r;
  uint8_t b[8]; /* the control block's z_region and z_out_size words */
  put32(b, l->z_region);
  put32(b + 4, l->zchunk);
  l->z_loaded = l->b_loaded = false;
  /* the ring gives up its end to the PROGRAM_Z region: every earlier byte
   * was consumed (the loader idles between streams and reads ring_size and
   * ring_roff at each command), so both sides restart at a common offset.
   * The loader looks at none of these words before the next command is
   * posted: each word goes first in the submission of a write
   * (lf_adi_write32_then: on the ST-LINK two round trips in all) */
  uint32_t nsize = (l->z_region - l->ring) & ~(PIECE - 1);
  if (!l->ad->ring_size && nsize < l->ring_size) {
    l->ring_size = nsize;
    if (l->woff >= nsize)
      l->woff = 0;
    if ((r = lf_adi_write32_then(l->a, l->ctrl + 0x0Cu, l->ring_size, l->z_region, blob, len)) ||
        (l->ad->z_in_cmd ? (r = lf_adi_write32_posted(l->a, l->ctrl + 0x18u, l->woff))
                         : (r = lf_adi_write32_then(l->a, l->ctrl + 0x18u, l->woff, l->ctrl + 0x78u, b,
                                                    sizeof b))))
      return lf_err_wrap(l->s, r, "loader: upload of %s", what);
    return 0;
  }
  if ((r = lf_adi_write_posted(l->a, l->z_region, blob, len)) ||
      (!l->ad->z_in_cmd && (r = lf_adi_write_posted(l->a, l->ctrl + 0x78u, b, sizeof b))))
    return lf_err_wrap(l->s, r, "loader: upload of %s", what);
  return 0;
}

/* A stream with PROGRAM_BITS commands: the routine in the region, its
 * counters zeroed (once per upload). */
static int b_prepare(lf_loader *l, const pcmd *cmds, size_t n)
{
  size_t k = 0;
  while (k < n && cmds[k].c.op != LF_LDR_OP_PROGRAM_BITS)
    k++;
  if (k == n || l->b_loaded)
    return 0;
  if (!l->z_region)
    return lf_err_set(l->s, LF_ENOTSUP, "loader: no room for the bits-only routine in the %s loader's RAM",
                      l->ad->name);
  static const uint8_t zero[LF_LDR_BITS_SIZE];
  int r = region_load(l, l->ad->bblob, *l->ad->bblob_len, "the bits-only routine");
  if (!r && (r = lf_adi_write_posted(l->a, l->z_region + LF_LDR_B_COUNTERS, zero, sizeof zero)))
    r = lf_err_wrap(l->s, r, "loader: bits-only counters");
  if (r)
    return r;
  l->bits_seen[0] = l->bits_seen[1] = 0;
  l->b_loaded = true;
  return 0;
}

/* zlib's inflate of the record z[0..zn) after the dictionary dict[0..dn):
 * whether it gives back raw[0..n) exactly (back: n bytes of scratch). */
static bool z_inflates_to(const uint8_t *dict, uint32_t dn, const uint8_t *z, uint32_t zn, const uint8_t *raw,
                          uint32_t n, uint8_t *back)
{
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, -15) != Z_OK)
    return false;
  bool ok = !dn || inflateSetDictionary(&zs, dict, dn) == Z_OK;
  if (ok) {
    uint8_t spare;
    zs.next_in = (Bytef *)z;
    zs.avail_in = zn;
    zs.next_out = n ? back : &spare;
    zs.avail_out = n ? n : 1;
    ok = inflate(&zs, Z_FINISH) == Z_STREAM_END && zs.total_out == n && zs.avail_in == 0 &&
         !memcmp(back, raw, n);
  }
  inflateEnd(&zs);
  return ok;
}

/* One record's raw deflate of raw[0..n) after the dictionary dict[0..dn)
 * into out[0..cap) (cap >= lf_zenc_bound(n)), *got bytes: with settings zo
 * our encoder (zenc.h), its stream checked by zlib's inflate (cheap next
 * to the encode); zlib -9 (or stored blocks when that does not shrink)
 * without zo, or when ours fails or does not check out. */
static int z_record(lf_loader *l, const lf_zenc_opt *zo, const uint8_t *dict, uint32_t dn, const uint8_t *raw,
                    uint32_t n, uint8_t *out, uint32_t cap, uint8_t *back, uint32_t *got)
{
  long zn = zo ? lf_zenc(dict, dn, raw, n, out, cap, zo) : -3;
  if (zn >= 0 && z_inflates_to(dict, dn, out, (uint32_t)zn, raw, n, back)) {
    *got = (uint32_t)zn;
    return 0;
  }
  if (zn >= 0 || zn == -2)
    lf_log(l->s, LF_LOG_WARN, "loader: our deflate encoder failed on a %u-byte record; zlib's instead", n);
  for (int level = 9;; level = 0) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK ||
        (dn && deflateSetDictionary(&zs, dict, dn) != Z_OK)) {
      deflateEnd(&zs);
      return lf_err_set(l->s, LF_ENOMEM, "loader: deflate init");
    }
    zs.next_in = (Bytef *)raw;
    zs.avail_in = n;
    zs.next_out = out;
    zs.avail_out = cap;
    int zr = deflate(&zs, Z_FINISH);
    *got = (uint32_t)zs.total_out;
    deflateEnd(&zs);
    if (zr != Z_STREAM_END)
      return lf_err_set(l->s, LF_EIO, "loader: deflate failed (%d)", zr);
    if (*got < n || level == 0) /* else: stored blocks (level 0) */
      return 0;
  }
}

/* Which encoder makes the records: zlib -9 unless the compress_effort
 * setting (cfg.z_effort) asks for ours. Ours costs the host 3-7x zlib's
 * time (effort 3: ~10 ms per 66 KiB pass, ~0.3 s per MB; the stream is
 * encoded up to three times: the decision, the split, the final order) for
 * 0.3-1 % fewer bytes: on the bench's z rows 0.3-0.6 % of modeled time on
 * the F2/F4/F7, less than the host time it adds on a real probe, so it is
 * not the default (README "compress_effort"). With it:
 *  - a routine that inflates as the bytes arrive while the flash programs
 *    behind it (z_cont: F4/F7) is bound by its core's decoding where the
 *    link is not: one block per record (each block costs the routine its
 *    code tables with the flash idle; zlib makes one per record too) and
 *    codes that fit the inflater's first table lookup (LFZ_FAST bits: no
 *    bit-by-bit decoding), ~0.7 % more bytes than ours unlimited, still
 *    ~1 % fewer than zlib's;
 *  - the other routines (F1, L4, H7, nRF52, RP2040, FLM): codes of up to
 *    15 bits. Measured: their rows moved by -0.4 to +0.1 % (their time
 *    follows the target's decoding more than the bytes; z-xl-pico and
 *    z-small-h743-on got slower in every setting tried).
 * NULL: zlib. */
static const lf_zenc_opt *z_options(const lf_loader *l, lf_zenc_opt *o)
{
  if (l->cfg.z_effort <= 0)
    return NULL;
  memset(o, 0, sizeof *o);
  o->effort = l->cfg.z_effort > LF_ZENC_EFFORT_MAX ? LF_ZENC_EFFORT_MAX : l->cfg.z_effort;
  o->max_bits = l->ad->z_cont ? LFZ_FAST : 15;
  return o;
}

/* The records of cmds' PROGRAM commands (see z_prepare): *zout (malloc'ed), *zlen
 * bytes; each command's zlen set. An adapter with z_cont: every record but
 * the stream's first has the stream's last zchunk bytes before it as its
 * dictionary (flag CONT); else the previous record of its command. With
 * z_bcj every record is Thumb-branch filtered first (flag BCJ). */
static int z_compress(lf_loader *l, pcmd *cmds, size_t n, uint64_t raw, uint8_t **zout, size_t *zlen)
{
  /* worst case per record: stored blocks (5 bytes per 64 KiB) + its header */
  size_t cap = (size_t)raw + (raw / 1024 + n + 1) * 16; /* records >= 1 KiB but a range's last */
  const uint32_t zc = l->zchunk, ZTMP = zc + zc / 8 + 64; /* > lf_zenc_bound, zlib's deflateBound */
  const bool cont = l->ad->z_cont, bcj = l->ad->z_bcj;
  lf_zenc_opt zopt;
  const lf_zenc_opt *zo = z_options(l, &zopt);
  uint8_t *z = malloc(cap), *chunk = malloc(zc), *ztmp = malloc(ZTMP);
  uint8_t *prev = malloc(2 * (size_t)zc); /* the dictionary: the stream's last bytes */
  uint8_t *zback = zo ? malloc(zc) : NULL; /* the check of our encoder's record */
  if (!z || !chunk || !ztmp || !prev || (zo && !zback)) {
    free(z);
    free(chunk);
    free(ztmp);
    free(prev);
    free(zback);
    return lf_err_set(l->s, LF_ENOMEM, "loader: out of memory");
  }
  size_t zl = 0, first_prog = 0;
  uint64_t left = raw; /* program bytes not in a record yet */
  while (cmds[first_prog].c.op != LF_LDR_OP_PROGRAM)
    first_prog++;
  int r = 0;
  uint32_t plen = 0; /* dictionary bytes in prev */
  for (size_t i = 0; i < n && !r; i++) {
    pcmd *k = &cmds[i];
    if (k->c.op != LF_LDR_OP_PROGRAM)
      continue;
    size_t start = zl;
    /* the stream's first records are short (1, 2, 4 KiB, then full chunks):
     * the target starts programming as soon as the first one is in */
    /* ... and so are its last ones (at most half of what is left, down to
     * 1 KiB) where the routine inflates a record before it programs it
     * (z_serial): after the last byte arrives only a short record is left
     * to program. A routine that programs as it inflates needs no short
     * records at the end (execute's short pieces do that), and each
     * record costs it a restart */
    uint32_t step = i == first_prog && !cont ? 1024 : zc;
    if (!cont)
      plen = 0;
    for (uint32_t off = 0, olen; off < k->c.len && !r; off += olen, step *= 2, left -= olen) {
      if (step > zc || step < l->cfg.prog_unit)
        step = zc;
      uint32_t cut = step;
      if (l->ad->z_serial && left / 2 < cut)
        cut = (uint32_t)(left / 2) & ~1023u;
      if (cut < 1024)
        cut = 1024;
      if (cut < l->cfg.prog_unit)
        cut = l->cfg.prog_unit;
      olen = k->c.len - off < cut ? k->c.len - off : cut;
      fill(l, k, off, chunk, olen);
      if (bcj)
        lfb_filter(chunk, olen, k->c.addr + off, 1);
      uint32_t flags = (bcj ? LF_LDR_ZREC_BCJ : 0) | (cont && plen ? LF_LDR_ZREC_CONT : 0);
      uint32_t got = 0;
      if ((r = z_record(l, zo, plen ? prev : NULL, plen, chunk, olen, ztmp, ZTMP, zback, &got)))
        break;
      if (zl + 8 + got > cap) {
        r = lf_err_set(l->s, LF_EIO, "loader: compressed data larger than its bound");
        break;
      }
      put32(z + zl, got);
      put32(z + zl + 4, olen | flags);
      memcpy(z + zl + 8, ztmp, got);
      zl += 8 + got;
      if (cont) { /* the last zc bytes of the stream so far */
        if (plen + olen > zc) {
          uint32_t keep = olen >= zc ? 0 : zc - olen;
          memmove(prev, prev + plen - keep, keep);
          plen = keep;
        }
        memcpy(prev + plen, olen > zc ? chunk + olen - zc : chunk, olen > zc ? zc : olen);
        plen += olen > zc ? zc : olen;
      } else {
        memcpy(prev, chunk, olen);
        plen = olen;
      }
    }
    k->zlen = (uint32_t)(zl - start);
  }
  free(chunk);
  free(ztmp);
  free(prev);
  free(zback);
  if (r) {
    free(z);
    return r;
  }
  *zout = z;
  *zlen = zl;
  return 0;
}

/* A compressed stream on a blank (or erased-first) flash: the PROGRAM
 * commands are reordered, most compressible first. The target programs the
 * raw bytes of a well-compressing command faster than the link brings the
 * next ones, so with those first its backlog builds while the link is the
 * bound and is gone when the last (least compressible) bytes arrive: after
 * them only the last piece is left to program (in address order a
 * well-compressing end of the image, e.g. initialised data and padding,
 * would be programmed after the link has finished). Only when every erase
 * comes before the first program and nothing but SYNC follows the
 * programs: the flash content is the same in any order. Returns whether
 * the order changed. */
/* Whether a goes before b: a routine that inflates as the bytes come
 * (z_cont, link_ns > 0): Johnson's rule for two machines in a row (the
 * link, then the flash): when the pair's makespan is shorter that way;
 * else the more compressible first. */
static bool z_before(const pcmd *a, const pcmd *b, double link_ns, double flash_ns)
{
  if (link_ns <= 0) /* zlen / len < zlen' / len', without division */
    return (uint64_t)a->zlen * b->c.len < (uint64_t)b->zlen * a->c.len;
  double a1 = a->zlen * link_ns, a2 = a->c.len * flash_ns, b1 = b->zlen * link_ns, b2 = b->c.len * flash_ns;
  double x = a1 < b2 ? a1 : b2, y = b1 < a2 ? b1 : a2; /* min(a1, b2) < min(b1, a2) */
  if (x != y)
    return x < y;
  return a1 < b1; /* a tie: the upload-heavier one later (less left to program after it) */
}

/* Whether cmds are erases, then programs, then SYNCs only (the programs
 * may go in any order): the first program's index in *fp, their count in *np. */
static bool z_movable(const pcmd *cmds, size_t n, size_t *fp, size_t *np)
{
  *fp = 0;
  while (*fp < n && (cmds[*fp].c.op == LF_LDR_OP_ERASE || cmds[*fp].c.op == LF_LDR_OP_ERASE_BANK ||
                     cmds[*fp].c.op == LF_LDR_OP_ERASE_CHIP))
    (*fp)++;
  *np = 0;
  while (*fp + *np < n && cmds[*fp + *np].c.op == LF_LDR_OP_PROGRAM && cmds[*fp + *np].c.len)
    (*np)++;
  for (size_t i = *fp + *np; i < n; i++)
    if (cmds[i].c.op != LF_LDR_OP_SYNC)
      return false;
  return true;
}

static bool z_reorder(pcmd *cmds, size_t n, double link_ns, double flash_ns)
{
  size_t fp, np;
  if (!z_movable(cmds, n, &fp, &np))
    return false;
  bool moved = false;
  for (size_t i = fp + 1; i < fp + np; i++) { /* insertion sort: stable, a few commands */
    pcmd k = cmds[i];
    size_t j = i;
    while (j > fp && z_before(&k, &cmds[j - 1], link_ns, flash_ns)) {
      cmds[j] = cmds[j - 1];
      j--;
    }
    if (j != i) {
      cmds[j] = k;
      moved = true;
    }
  }
  return moved;
}

/* Compressed upload of one stream (loader.h lf_loader_compress): deflates
 * every PROGRAM command's data into records (lf_ldr_zrec + raw deflate, one
 * per l->zchunk of flash bytes; a chunk that does not shrink goes as
 * stored blocks), decides (AUTO: the model), and when compressing makes
 * them PROGRAM_Z commands, uploading the routine first. *zbuf holds the
 * records (free() it after the stream). Pairs (independent banks) stay
 * uncompressed. */
/* The PROGRAM commands of a movable stream (z_movable) in pieces of at most
 * ZSPLIT bytes (*cmds reallocated; the ntail commands after the n move
 * along), so the order can follow the data's compressibility more finely
 * than by sectors; as many commands as the queue holds at most (the host
 * posts more only when it polls, and it does not while the ring has room). */
#define ZSPLIT 8192u
static int z_split(lf_loader *l, pcmd **cmds, size_t *n, size_t ntail)
{
  size_t fp, np, m = *n;
  if (!z_movable(*cmds, *n, &fp, &np))
    return 0;
  for (size_t i = fp; i < fp + np; i++)
    m += ((*cmds)[i].c.len - 1) / ZSPLIT;
  if (m == *n || m + ntail > QUEUE)
    return 0;
  pcmd *nw = calloc(m + ntail + 1, sizeof *nw);
  if (!nw)
    return lf_err_set(l->s, LF_ENOMEM, "loader: out of memory");
  size_t j = 0;
  for (size_t i = 0; i < *n + ntail; i++) {
    const pcmd *k = &(*cmds)[i];
    if (i < fp || i >= fp + np) {
      nw[j++] = *k;
      continue;
    }
    for (uint32_t q = 0; q < k->c.len; q += ZSPLIT) {
      nw[j] = *k;
      nw[j].c.addr += q;
      nw[j].c.len = k->c.len - q < ZSPLIT ? k->c.len - q : ZSPLIT;
      nw[j].skip += q;
      j++;
    }
  }
  free(*cmds);
  *cmds = nw;
  *n = m;
  return 0;
}

static int z_prepare(lf_loader *l, pcmd **pcmds, size_t *pn, size_t ntail, uint8_t **zbuf)
{
  pcmd *cmds = *pcmds;
  size_t n = *pn;
  lf_loader_stats *st = &l->stats;
  *zbuf = NULL;
  uint64_t raw = 0, erase_ns = 0, prog_ns = 0;
  uint64_t unit_ns = lf_geometry_prog_ns(&l->g, l->cfg.prog_unit, false);
  for (size_t i = 0; i < n; i++) {
    if (cmds[i].c.op == LF_LDR_OP_PROGRAM) {
      raw += cmds[i].c.len;
      prog_ns += (uint64_t)(cmds[i].c.len / l->cfg.prog_unit) * unit_ns;
    } else if (cmds[i].c.op == LF_LDR_OP_PROGRAM_PAIR) {
      return 0;
    } else if (cmds[i].c.op == LF_LDR_OP_PROGRAM_BITS) {
      /* the PROGRAM_BITS routine takes the region; it compares the plain
       * bytes in the ring with the flash */
      st->z_used = false;
      st->z_why = "bits-only stream";
      st->z_raw = st->z_bytes = 0;
      return 0;
    } else if (cmds[i].c.op == LF_LDR_OP_ERASE) {
      const lf_flash_sector *sec = lf_geometry_sector_at(&l->g, cmds[i].c.addr);
      if (sec && !(cmds[i].c.len & LF_LDR_ERASE_STARTED))
        erase_ns += lf_geometry_erase_ns(&l->g, sec, l->cfg.prog_unit, false);
    } else if (cmds[i].c.op == LF_LDR_OP_ERASE_CHIP || cmds[i].c.op == LF_LDR_OP_ERASE_BANK) {
      erase_ns += lf_geometry_mass_ns(&l->g, l->cfg.prog_unit, false);
    }
  }
  if (!raw)
    return 0;
  st->z_used = false;
  st->z_raw = raw;
  st->z_bytes = 0;
  st->z_link_bps = 0;
  st->z_pred_off_ns = st->z_pred_on_ns = 0;
  st->z_up_ns = st->z_up_z_ns = st->z_flash_ns = st->z_inflate_ns = 0;
  if (l->cfg.compress == LF_COMPRESS_OFF) {
    st->z_why = "off";
    return 0;
  }
  if (!l->z_region || !l->ad->zblob || l->z_size < ZREGION(l->zchunk)) {
    st->z_why = !l->ad->zblob ? "no inflater in this loader"
                : l->z_made_off ? "the loader was made with compress off"
                                : "no room for the inflater in the loader's RAM";
    return 0;
  }
  uint8_t *z = NULL;
  size_t zl = 0;
  int r = z_compress(l, cmds, n, raw, &z, &zl);
  if (r)
    return r;
  st->z_bytes = zl;
  /* the model; a posted start not timed yet (no status read since: no
   * wait is added for it) counts the time the host was held posting the
   * upload, an upper bound of the rate */
  double bps = l->cfg.link_bps ? (double)l->cfg.link_bps : l->start_bps;
  if (!bps && l->bps_pending && l->bps_up > 0)
    bps = (double)l->bps_bytes * 1e9 / (double)l->bps_up;
  st->z_link_bps = bps;
  bool use = l->cfg.compress == LF_COMPRESS_ON;
  if (bps > 0) { /* the model (also when forced on: its figures go into the stats) */
    double flash = (double)(erase_ns + prog_ns) / 1e9;
    double zhz = l->ad->z_core_hz > 0 ? l->ad->z_core_hz : l->cfg.core_hz > 0 ? l->cfg.core_hz : 16e6;
    double cpb = l->ad->z_cyc_per_byte > 0 ? l->ad->z_cyc_per_byte : Z_CYC_PER_BYTE;
    double inflate = (double)raw * cpb / zhz;
    double up_raw = (double)raw / bps, up_z = (double)(zl + (l->z_loaded ? 0 : *l->ad->zblob_len)) / bps;
    double off = up_raw > flash ? up_raw : flash;
    /* the routine programs while it inflates: the slower of the two (one
     * after the other: adapter z_serial), after the routine and the first
     * (1 KiB) record arrived */
    double p = (double)prog_ns / 1e9;
    double work = (double)erase_ns / 1e9 + (l->ad->z_serial ? p + inflate : p > inflate ? p : inflate);
    double first = (double)(*l->ad->zblob_len + 1024) / bps;
    double on = up_z > work + first ? up_z : work + first;
    st->z_pred_off_ns = (uint64_t)(off * 1e9);
    st->z_pred_on_ns = (uint64_t)(on * 1e9);
    st->z_up_ns = (uint64_t)(up_raw * 1e9);
    st->z_up_z_ns = (uint64_t)(up_z * 1e9);
    st->z_flash_ns = erase_ns + prog_ns;
    st->z_inflate_ns = (uint64_t)(inflate * 1e9);
    if (l->cfg.compress == LF_COMPRESS_ON) {
      st->z_why = "on";
    } else {
      use = on < 0.97 * off;
      st->z_why = use ? "link bound" : up_raw <= flash ? "flash bound" : "does not pay";
    }
  } else {
    st->z_why = use ? "on" : "link rate unknown";
  }
  lf_log(l->s, LF_LOG_DEBUG, "loader: compress %s (%s): %llu bytes -> %llu (%.0f %%), link %.1f KB/s, "
         "predicted %.1f ms plain, %.1f ms compressed", use ? "on" : "off", st->z_why,
         (unsigned long long)raw, (unsigned long long)zl, 100.0 * (double)zl / (double)raw, bps / 1e3,
         (double)st->z_pred_off_ns / 1e6, (double)st->z_pred_on_ns / 1e6);
  if (!use) {
    free(z);
    for (size_t i = 0; i < n; i++)
      cmds[i].zlen = 0;
    return 0;
  }
  if (l->ad->z_cont) { /* finer pieces to order (their records: one history, no restart cost) */
    size_t n0 = n;
    if ((r = z_split(l, pcmds, pn, ntail))) {
      free(z);
      return r;
    }
    cmds = *pcmds;
    n = *pn;
    if (n != n0) {
      free(z);
      if ((r = z_compress(l, cmds, n, raw, &z, &zl)))
        return r;
    }
  }
  if (z_reorder(cmds, n, l->ad->z_cont && bps > 0 ? 1e9 / bps : 0, (double)unit_ns / l->cfg.prog_unit)) { /* the records again: the first command's first ones are short */
    free(z);
    if ((r = z_compress(l, cmds, n, raw, &z, &zl)))
      return r;
    st->z_bytes = zl;
  }
  if (!l->z_loaded && (r = region_load(l, l->ad->zblob, *l->ad->zblob_len, "the inflater"))) {
    free(z);
    return r;
  }
  l->z_loaded = true;
  size_t at = 0;
  for (size_t i = 0; i < n; i++)
    if (cmds[i].c.op == LF_LDR_OP_PROGRAM) {
      cmds[i].c.op = LF_LDR_OP_PROGRAM_Z;
      cmds[i].z = z + at;
      at += cmds[i].zlen;
    }
  st->z_used = true;
  st->z_total_raw += raw;
  st->z_total_bytes += zl;
  *zbuf = z;
  return 0;
}

/* After a stream with PROGRAM_BITS commands: the loader's counters (one read). */
static int bits_outcome(lf_loader *l, const pcmd *cmds, size_t n)
{
  size_t k = 0;
  while (k < n && cmds[k].c.op != LF_LDR_OP_PROGRAM_BITS)
    k++;
  if (k == n)
    return 0;
  uint8_t b[LF_LDR_BITS_SIZE];
  int r = lf_adi_read(l->a, l->z_region + LF_LDR_B_COUNTERS, b, sizeof b);
  if (r)
    return lf_err_wrap(l->s, r, "loader: bits-only counters");
  for (int j = 0; j < 2; j++) { /* the target counts since its start; the stats since ours */
    uint32_t v = (uint32_t)b[4 * j] | (uint32_t)b[4 * j + 1] << 8 | (uint32_t)b[4 * j + 2] << 16 |
                 (uint32_t)b[4 * j + 3] << 24;
    *(j ? &l->stats.bits_erased : &l->stats.bits_kept) += v - l->bits_seen[j];
    l->bits_seen[j] = v;
  }
  return 0;
}

int lf_loader_run_crc32(lf_loader *l, const lf_loader_step *steps, size_t n,
                        const lf_loader_range *rg, size_t nr, uint32_t *crcs)
{
  if (l->ad->direct) {
    uint64_t t0 = now(l);
    int r = l->ad->direct->run(l->direct, steps, n, rg, nr, crcs);
    l->stats.run_ns += now(l) - t0;
    return r;
  }
  const lf_flash_geometry *g = &l->g;
  uint32_t unit = l->cfg.prog_unit;
  size_t nr1 = nr > QUEUE ? QUEUE : nr; /* CRCs in this stream; the rest follow in batches */
  size_t cap = n * LF_FLASH_MAX_BANKS + nr1;
  pcmd *cmds = calloc(cap ? cap : 1, sizeof *cmds);
  if (!cmds)
    return lf_err_set(l->s, LF_ENOMEM, "loader: out of memory");
  int r = 0;
  size_t nc = 0;
  for (size_t i = 0; i < n && !r; i++) {
    const lf_loader_step *s = &steps[i];
    pcmd *k = &cmds[nc];
    k->step = s;
    if (s->kind == LF_LOADER_ERASE) {
      const lf_flash_sector *sec = lf_geometry_sector_at(g, s->addr);
      if (!sec)
        r = lf_err_set(l->s, LF_EINVAL, "loader: step %zu: erase 0x%08x: not in the flash (0x%08x + %u KiB)",
                       i + 1, s->addr, g->base, g->size / 1024);
      k->c.op = LF_LDR_OP_ERASE;
      k->c.addr = sec ? sec->addr : 0;
      nc++;
    } else if (s->kind == LF_LOADER_MASS) {
      size_t m = mass_cmds(g, s->addr, k);
      if (!m)
        r = lf_err_set(l->s, LF_EINVAL, "loader: step %zu: mass erase bank mask 0x%x: expected 1%s",
                       i + 1, s->addr, g->nbanks > 1 ? ", 2 or 3" : " (single bank)");
      for (size_t j = 0; j < m; j++)
        k[j].step = s;
      nc += m;
    } else if (s->kind == LF_LOADER_PROGRAM) {
      uint64_t end = (uint64_t)s->addr + s->len;
      if (!s->len || !s->data || s->addr < g->base || end > (uint64_t)g->base + g->size)
        r = lf_err_set(l->s, LF_EINVAL, "loader: step %zu: program 0x%08x + %zu: %s", i + 1, s->addr,
                       s->len, !s->len || !s->data ? "no data" : "outside the flash");
      uint32_t a0 = s->addr & ~(unit - 1);
      uint64_t e1 = (end + unit - 1) & ~(uint64_t)(unit - 1);
      k->c.op = LF_LDR_OP_PROGRAM;
      k->c.addr = a0;
      k->c.len = (uint32_t)(e1 - a0);
      k->pad_head = s->addr - a0;
      nc++;
    } else if (s->kind == LF_LOADER_PROGRAM_BITS) {
      const lf_flash_sector *sec = lf_geometry_sector_at(g, s->addr);
      if (!l->ad->bblob)
        r = lf_err_set(l->s, LF_ENOTSUP, "loader: step %zu: the %s loader cannot program without erase",
                       i + 1, l->ad->name);
      else if (!sec || sec->addr != s->addr || !s->len || s->len > sec->size || (s->len & (unit - 1)) || !s->data)
        r = lf_err_set(l->s, LF_EINVAL, "loader: step %zu: bits-only 0x%08x + %zu: not the head of a sector in "
                       "program units", i + 1, s->addr, s->len);
      else if (s->len > lf_loader_bits_max(l))
        r = lf_err_set(l->s, LF_EINVAL, "loader: step %zu: bits-only sector 0x%08x (%zu KiB) is larger than "
                       "the ring (%u KiB)", i + 1, s->addr, s->len / 1024, lf_loader_bits_max(l) / 1024);
      k->c.op = LF_LDR_OP_PROGRAM_BITS;
      k->c.addr = s->addr;
      k->c.len = (uint32_t)s->len;
      nc++;
    } else {
      r = lf_err_set(l->s, LF_EINVAL, "loader: step %zu: unknown kind %d", i + 1, (int)s->kind);
    }
  }
  if (!r && l->ad->erase_blocks && g->timing.block_size[0])
    nc = merge_blocks(g, cmds, nc);
  if (!r && l->ad->banks && g->parallel_banks && g->nbanks == 2) {
    size_t m = 0;
    pcmd *sched = schedule_banks(g, cmds, nc, &m);
    if (!sched) {
      free(cmds);
      return lf_err_set(l->s, LF_ENOMEM, "loader: out of memory");
    }
    free(cmds);
    pcmd *grown = realloc(sched, (m + nr1 + 1) * sizeof *sched);
    if (!grown) {
      free(sched);
      return lf_err_set(l->s, LF_ENOMEM, "loader: out of memory");
    }
    cmds = grown;
    memset(cmds + m, 0, (nr1 + 1) * sizeof *cmds);
    nc = m;
    cap = m + nr1;
  }
  /* All program data fits in the ring: erases first, so the whole upload
   * overlaps the erases (erasing earlier never changes what ends in flash:
   * every program step still follows the erase of its sector). */
  uint64_t prog_bytes = 0;
  for (size_t i = 0; i < nc; i++)
    if (is_program(&cmds[i]))
      prog_bytes += cmds[i].c.len;
  if (!r && prog_bytes <= l->ring_size) {
    pcmd *sorted = calloc(cap ? cap : 1, sizeof *sorted);
    if (!sorted) {
      free(cmds);
      return lf_err_set(l->s, LF_ENOMEM, "loader: out of memory");
    }
    size_t m = 0;
    for (int pass = 0; pass < 3; pass++) /* erases, programs, then SYNC */
      for (size_t i = 0; i < nc; i++)
        if ((cmds[i].c.op == LF_LDR_OP_SYNC ? 2 : is_program(&cmds[i]) ? 1 : 0) == pass)
          sorted[m++] = cmds[i];
    free(cmds);
    cmds = sorted;
  }
  for (size_t j = 0; j < nr1; j++) {
    cmds[nc + j].c.op = LF_LDR_OP_CRC;
    cmds[nc + j].c.addr = rg[j].addr;
    cmds[nc + j].c.len = rg[j].len;
  }
  if (!r) {
    uint64_t t0 = now(l);
    if (!l->running && !l->dead && nc > 0 && cmds[0].c.op == LF_LDR_OP_ERASE && l->ad->erase_start) {
      /* not started yet: the first sector erases while the loader uploads */
      const lf_flash_sector *sec = lf_geometry_sector_at(g, cmds[0].c.addr);
      if (!(r = l->ad->erase_start(l->s, lf_adi_default_memap(l->a), g, sec, &l->cfg))) {
        cmds[0].c.len = LF_LDR_ERASE_STARTED;
        uint64_t s0 = now(l);
        r = lf_loader_start(l);
        t0 += now(l) - s0; /* counted in start_ns, not twice */
      }
    } else if (!l->running && !l->dead) {
      r = lf_loader_start(l);
    }
    uint8_t *zbuf = NULL;
    if (!r)
      r = z_prepare(l, &cmds, &nc, nr1, &zbuf);
    if (!r)
      r = b_prepare(l, cmds, nc);
    uint64_t pc0 = l->stats.prog_cyc, sc0 = l->stats.starve_cyc;
    if (!r)
      r = execute_crcs(l, cmds, nc + nr1, l->cmd_wr + (uint32_t)nc, nr1, crcs);
    if (!r)
      r = bits_outcome(l, cmds, nc);
    if (!r && zbuf)
      lf_log(l->s, LF_LOG_DEBUG, "loader: compressed stream: program %.1f ms on the target, of which "
             "%.1f ms waiting for data", (double)(l->stats.prog_cyc - pc0) / l->stats.core_hz * 1e3,
             (double)(l->stats.starve_cyc - sc0) / l->stats.core_hz * 1e3);
    free(zbuf);
    l->stats.run_ns += now(l) - t0;
  }
  free(cmds);
  if (!r && nr > nr1)
    r = lf_loader_crc32(l, rg + nr1, nr - nr1, crcs + nr1);
  return r;
}

int lf_loader_crc32(lf_loader *l, const lf_loader_range *rg, size_t n, uint32_t *crcs)
{
  uint64_t t0 = now(l);
  if (l->ad->direct) {
    int r = l->ad->direct->run(l->direct, NULL, 0, rg, n, crcs);
    l->stats.crc_ns += now(l) - t0;
    return r;
  }
  pcmd cmds[QUEUE];
  int r = 0;
  if (!l->running && !l->dead && n > 0 && (r = lf_loader_start(l)))
    return r;
  for (size_t i = 0; i < n && !r; i += QUEUE) {
    size_t k = n - i < QUEUE ? n - i : QUEUE;
    memset(cmds, 0, sizeof cmds);
    for (size_t j = 0; j < k; j++) {
      cmds[j].c.op = LF_LDR_OP_CRC;
      cmds[j].c.addr = rg[i + j].addr;
      cmds[j].c.len = rg[i + j].len;
    }
    if ((r = execute_crcs(l, cmds, k, l->cmd_wr, k, crcs + i)))
      break;
  }
  l->stats.crc_ns += now(l) - t0;
  return r;
}

/* Fail fast after a link error (loader.h, lf_loader_stop). */
static int abort_after_link_error(lf_loader *l)
{
  uint64_t t0 = now(l);
  l->running = false;
  l->dead = true;
  l->link_failed = false;
  int r = lf_cm_abort_function(l->cm);
  if (r)
    return lf_err_wrap(l->s, r, "loader: halting it after the link error");
  /* the operation the controller runs now completes on its own (a halted
   * core does not stop it): wait for it, or for the slowest one's maximum */
  uint64_t limit = lf_geometry_mass_ns(&l->g, l->cfg.prog_unit, true);
  /* no more than the longest command posted can be in flight (a stream
   * that posted no mass erase does not wait a mass erase's maximum) */
  if (l->posted_max_ns && l->posted_max_ns < limit)
    limit = l->posted_max_ns;
  if (!l->ad->flash_busy) {
    lf_log(l->s, LF_LOG_INFO, "loader: halted after the link error; no busy flag known: the reset "
           "follows the slowest flash operation's maximum (%.3f s)", (double)limit / 1e9);
    while (r == 0 && now(l) - t0 < limit) {
      bool halted;
      r = lf_cm_is_halted(l->cm, &halted); /* (the bench's time moves with the link) */
    }
  } else {
    lf_memap *m = lf_adi_default_memap(l->a);
    unsigned polls = 0;
    for (;;) {
      bool busy = false;
      if ((r = l->ad->flash_busy(l->s, m, &l->g, &busy)))
        break;
      polls++;
      if (!busy)
        break;
      if (now(l) - t0 > limit) {
        r = lf_err_set(l->s, LF_ETIMEDOUT, "loader: the flash controller is still busy %.3f s after the "
                       "link error (longer than any operation's datasheet maximum)", (double)limit / 1e9);
        break;
      }
    }
    lf_log(l->s, LF_LOG_INFO, "loader: halted after the link error; flash idle after %.3f ms (%u polls)",
           (double)(now(l) - t0) / 1e6, polls);
  }
  l->stats.stop_ns += now(l) - t0;
  return r;
}

int lf_loader_stop(lf_loader *l)
{
  if (l->ad->direct)
    return l->ad->direct->stop(l->direct);
  if (!l->running)
    return 0;
  if (l->link_failed)
    return abort_after_link_error(l);
  uint64_t t0 = now(l);
  pcmd k;
  memset(&k, 0, sizeof k);
  k.c.op = LF_LDR_OP_EXIT;
  int r = post(l, &k, 1, true);
  uint32_t r0 = 0;
  /* r0 where it comes in the same round trip (a probe that posts); else
   * cmd_rd, one word, not a register read (three round trips on an
   * ST-LINK): every loader moves it past EXIT exactly when it returns 0 */
  bool posts = lf_adi_posts(l->a);
  if (!r)
    r = lf_cm_wait_function(l->cm, l->cfg.timeout_s, posts ? &r0 : NULL);
  uint32_t rd = l->cmd_wr;
  if (!r && !posts && (r = lf_adi_read32(l->a, l->ctrl + LF_LDR_OFF_STATUS_BLOCK, &rd)))
    lf_err_wrap(l->s, r, "loader: exit: read cmd_rd");
  if (!r && rd != l->cmd_wr)
    r = lf_err_set(l->s, LF_EPROTO, "loader: returned without taking EXIT (command %u of %u)", rd + 1,
                   l->cmd_wr);
  l->running = false;
  if (!r && r0 != 0)
    r = lf_err_set(l->s, LF_EPROTO, "loader: exit status %u", r0);
  l->stats.stop_ns += now(l) - t0;
  return r;
}

/* ---- plans ---- */

/* Ranges of the plan's sectors selected by `pick` (want_crc or verify):
 * malloc'ed arrays of ranges, sector indices and CRCs; *n may be 0. */
static int sector_ranges(lf_loader *l, const lf_plan *p, bool verify, lf_loader_range **rg,
                         unsigned **idx, uint32_t **crcs, size_t *n)
{
  size_t cap = p->nsectors ? p->nsectors : 1;
  *rg = malloc(cap * sizeof **rg);
  *idx = malloc(cap * sizeof **idx);
  *crcs = malloc(cap * sizeof **crcs);
  *n = 0;
  if (!*rg || !*idx || !*crcs)
    return lf_err_set(l->s, LF_ENOMEM, "loader: out of memory");
  for (unsigned i = 0; i < p->nsectors; i++)
    if (verify ? p->sector[i].verify : p->sector[i].want_crc) {
      (*rg)[*n] = (lf_loader_range){p->sector[i].sector->addr, p->sector[i].sector->size};
      (*idx)[(*n)++] = i;
    }
  return 0;
}

static void free_ranges(lf_loader_range *rg, unsigned *idx, uint32_t *crcs)
{
  free(rg);
  free(idx);
  free(crcs);
}

int lf_loader_plan_crcs(lf_loader *l, lf_plan *p)
{
  lf_loader_range *rg;
  unsigned *idx;
  uint32_t *crcs;
  size_t n;
  int r = sector_ranges(l, p, false, &rg, &idx, &crcs, &n);
  if (!r && n && !l->running)
    r = lf_loader_start(l);
  if (!r && n)
    r = lf_loader_crc32(l, rg, n, crcs);
  for (size_t j = 0; !r && j < n; j++)
    r = lf_plan_set_target_crc(l->s, p, idx[j], crcs[j]);
  free_ranges(rg, idx, crcs);
  return r;
}

int lf_loader_plan_steps(lf_session *s, const lf_plan *p, lf_loader_step **out, size_t *n)
{
  *out = NULL;
  *n = 0;
  if (!p->final)
    return lf_err_set(s, LF_EINVAL, "loader: the plan is not finalized");
  size_t cap = 1;
  for (unsigned i = 0; i < p->nsectors; i++)
    cap += 1 + p->sector[i].nprog;
  lf_loader_step *st = calloc(cap, sizeof *st);
  if (!st)
    return lf_err_set(s, LF_ENOMEM, "loader: out of memory");
  size_t k = 0;
  if (p->sum.erase_used == LF_ERASE_CHIP)
    st[k++] = (lf_loader_step){LF_LOADER_MASS, (1u << p->g->nbanks) - 1u, NULL, 0};
  for (unsigned i = 0; i < p->nsectors; i++) {
    const lf_plan_sector *ps = &p->sector[i];
    if (ps->action == LF_SECTOR_SKIP)
      continue;
    if (ps->bits) { /* the loader decides: bits-only, or erase first; the sector's content up
                       to its last program range (the rest must read erased) */
      const lf_plan_range *last = &ps->prog[ps->nprog - 1];
      st[k++] = (lf_loader_step){LF_LOADER_PROGRAM_BITS, ps->sector->addr, ps->content,
                                 last->addr + last->len - ps->sector->addr};
      continue;
    }
    if (!ps->by_chip_erase && !ps->erase_skipped && p->sum.erase_used != LF_ERASE_CHIP)
      st[k++] = (lf_loader_step){LF_LOADER_ERASE, ps->sector->addr, NULL, 0};
    if (ps->action != LF_SECTOR_PROGRAM)
      continue;
    for (size_t j = 0; j < ps->nprog; j++) {
      const lf_plan_range *pr = &ps->prog[j];
      if (!ps->content) {
        free(st);
        return lf_err_set(s, LF_EINVAL, "loader: plan sector %u has program ranges but no content",
                          ps->sector->index);
      }
      st[k++] = (lf_loader_step){LF_LOADER_PROGRAM, pr->addr, ps->content + (pr->addr - ps->sector->addr),
                                 pr->len};
    }
  }
  if (!k) {
    free(st);
    return 0;
  }
  *out = st;
  *n = k;
  return 0;
}

static int compare_verify(lf_loader *l, const lf_plan *p, const unsigned *idx, const uint32_t *crcs,
                          size_t n)
{
  for (size_t j = 0; j < n; j++) {
    const lf_plan_sector *ps = &p->sector[idx[j]];
    if (crcs[j] != ps->crc)
      return lf_err_set(l->s, LF_EIO, "verify: sector %u (0x%08x, %u KiB): target CRC32 0x%08x, expected 0x%08x",
                        ps->sector->index, ps->sector->addr, ps->sector->size / 1024, crcs[j], ps->crc);
  }
  return 0;
}

/* The verify ranges of adjacent sectors as one range each (the CRC32 of a
 * concatenation is crc32_combine of its parts): fewer commands to post and
 * results to read, the same bytes checked; that matters on a probe that
 * reads and writes word by word (not posting: ST-LINK). A posting probe
 * (its CRC results come with the polls) and a direct adapter (FLM) keep
 * one range per sector. */
typedef struct vgroup {
  lf_loader_range rg;
  uint32_t want;       /* the plan's would-be CRC32 of the range */
  size_t first, n;     /* its sectors: idx[first .. first + n) */
} vgroup;

static size_t verify_groups(const lf_loader *l, const lf_plan *p, const lf_loader_range *rg,
                            const unsigned *idx, size_t nr, vgroup *gr)
{
  size_t ng = 0;
  for (size_t j = 0; j < nr; j++) {
    uint32_t want = p->sector[idx[j]].crc;
    vgroup *g = ng ? &gr[ng - 1] : NULL;
    if (g && !l->ad->direct && !lf_adi_posts(l->a) && g->rg.addr + g->rg.len == rg[j].addr && rg[j].len &&
        (uint64_t)g->rg.len + rg[j].len <= UINT32_MAX) {
      g->want = (uint32_t)crc32_combine(g->want, want, (z_off_t)rg[j].len);
      g->rg.len += rg[j].len;
      g->n++;
    } else {
      gr[ng++] = (vgroup){rg[j], want, j, 1};
    }
  }
  return ng;
}

/* The groups' CRCs against the plan; a group that differs is checked
 * sector by sector, so the error names the sector (as compare_verify). */
static int compare_groups(lf_loader *l, const lf_plan *p, const lf_loader_range *rg, const unsigned *idx,
                          const vgroup *gr, size_t ng, const uint32_t *gcrc, uint32_t *crcs)
{
  for (size_t j = 0; j < ng; j++) {
    if (gcrc[j] == gr[j].want)
      continue;
    if (gr[j].n == 1)
      return compare_verify(l, p, idx + gr[j].first, gcrc + j, 1);
    int r = lf_loader_crc32(l, rg + gr[j].first, gr[j].n, crcs + gr[j].first);
    if (!r)
      r = compare_verify(l, p, idx + gr[j].first, crcs + gr[j].first, gr[j].n);
    if (r)
      return r;
  }
  return 0;
}

/* The verify of a plan: the written sectors' ranges, their groups of
 * adjacent sectors (one CRC each) and room for the groups' CRCs. */
typedef struct vset {
  lf_loader_range *rg;
  unsigned *idx;
  uint32_t *crcs;
  size_t n, ng;
  vgroup *gr;
  lf_loader_range *grg;
  uint32_t *gcrc;
} vset;

static void vset_free(vset *v)
{
  free(v->gr);
  free(v->grg);
  free(v->gcrc);
  free_ranges(v->rg, v->idx, v->crcs);
}

static int vset_make(lf_loader *l, const lf_plan *p, vset *v)
{
  memset(v, 0, sizeof *v);
  int r = sector_ranges(l, p, true, &v->rg, &v->idx, &v->crcs, &v->n);
  if (r || !v->n)
    return r;
  v->gr = malloc(v->n * sizeof *v->gr);
  v->grg = malloc(v->n * sizeof *v->grg);
  v->gcrc = malloc(v->n * sizeof *v->gcrc);
  if (!v->gr || !v->grg || !v->gcrc)
    return lf_err_set(l->s, LF_ENOMEM, "loader: out of memory");
  v->ng = verify_groups(l, p, v->rg, v->idx, v->n, v->gr);
  for (size_t j = 0; j < v->ng; j++)
    v->grg[j] = v->gr[j].rg;
  return 0;
}

int lf_loader_plan_program(lf_loader *l, const lf_plan *p, unsigned *verified)
{
  if (verified)
    *verified = 0;
  vset v;
  lf_loader_step *st = NULL;
  size_t n = 0;
  int r = vset_make(l, p, &v);
  if (!r)
    r = lf_loader_plan_steps(l->s, p, &st, &n);
  if (!r && (n || v.ng))
    r = lf_loader_run_crc32(l, st, n, v.grg, v.ng, v.gcrc);
  free(st);
  if (!r && (r = compare_groups(l, p, v.rg, v.idx, v.gr, v.ng, v.gcrc, v.crcs)) == 0 && verified)
    *verified = (unsigned)v.n;
  vset_free(&v);
  return r;
}

int lf_loader_plan_verify(lf_loader *l, const lf_plan *p, unsigned *verified)
{
  if (verified)
    *verified = 0;
  vset v;
  int r = vset_make(l, p, &v);
  if (!r && v.n && (r = lf_loader_crc32(l, v.grg, v.ng, v.gcrc)))
    r = lf_err_wrap(l->s, r, "verify");
  if (!r && v.n && (r = compare_groups(l, p, v.rg, v.idx, v.gr, v.ng, v.gcrc, v.crcs)) == 0 && verified)
    *verified = (unsigned)v.n;
  vset_free(&v);
  return r;
}
