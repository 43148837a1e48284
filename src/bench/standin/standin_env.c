/* The stand-in's boards and files, from the environment:
 *
 *   LF_BENCH_BOARDS  comma-separated boards, each NAME[@PROBE][:SERIAL]
 *                    (default "nucleo-f767zi"); PROBE: any probe preset
 *                    (v2, v2-1, v3, daplink, rpi-debugprobe), default the
 *                    board's own.
 *                    Boards without a serial get the board's default; a
 *                    repeated default gets its last two hex digits replaced
 *                    by the board's position, so every serial is unique.
 *   LF_BENCH_STATE   state file (flash, options) loaded at start and saved at
 *                    exit. One board: a file. Several boards: a pattern with
 *                    %s (replaced by the serial), or a directory (existing,
 *                    or ending in '/'; the file is DIR/SERIAL.state).
 *   LF_BENCH_PARAMS  name=value,... overrides of the bench parameters.
 *   LF_BENCH_FAULTS  fault spec (faults.h), applied to every board.
 *   LF_BENCH_FAULTS_<N>  fault spec for board N alone (1-based position in
 *                    LF_BENCH_BOARDS), after LF_BENCH_FAULTS' items.
 *   LF_BENCH_REPORT  report file written at exit (libusb_exit of the last
 *                    context, and again at process exit): per board the
 *                    bench report plus the stand-in's transfer counters.
 *   LF_BENCH_TRACE   log of every USB transfer (virtual time, board, kind,
 *                    endpoint, length, result, first bytes).
 */
#include "bench/standin/standin.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/vprobe.h"

su_process su_proc = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int fail(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("libusb stand-in: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return -1;
}

static int parse_params(lf_bench_params *p)
{
  const char *spec = getenv("LF_BENCH_PARAMS");
  if (!spec || !*spec)
    return 0;
  char *copy = strdup(spec);
  if (!copy)
    return fail("out of memory");
  int rc = 0;
  char *save = NULL;
  for (char *item = strtok_r(copy, ",", &save); item && rc == 0; item = strtok_r(NULL, ",", &save)) {
    char err[256];
    if (lf_bench_params_set(p, item, err, sizeof err) != 0)
      rc = fail("LF_BENCH_PARAMS: %s", err);
  }
  free(copy);
  return rc;
}

static bool is_dir(const char *path)
{
  struct stat st;
  size_t n = strlen(path);
  return (n > 0 && path[n - 1] == '/') || (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

/* State file of board `i` from LF_BENCH_STATE. */
static int state_path(su_board *sb, const char *spec, size_t nboards)
{
  size_t cap = sizeof sb->state_path;
  int n;
  if (!spec || !*spec) {
    sb->state_path[0] = 0;
    return 0;
  }
  const char *pct = strstr(spec, "%s");
  if (pct) {
    if (strchr(pct + 2, '%') || strchr(spec, '%') != pct)
      return fail("LF_BENCH_STATE '%s': only one %%s (the serial) is allowed", spec);
    n = snprintf(sb->state_path, cap, "%.*s%s%s", (int)(pct - spec), spec, sb->serial, pct + 2);
  } else if (is_dir(spec)) {
    size_t l = strlen(spec);
    n = snprintf(sb->state_path, cap, "%s%s%s.state", spec, spec[l - 1] == '/' ? "" : "/", sb->serial);
  } else if (nboards > 1) {
    return fail("LF_BENCH_STATE '%s': %zu boards need one file each: give a directory or a "
                "pattern with %%s (the serial)", spec, nboards);
  } else {
    n = snprintf(sb->state_path, cap, "%s", spec);
  }
  if (n < 0 || (size_t)n >= cap)
    return fail("LF_BENCH_STATE '%s': path too long", spec);
  return 0;
}

/* NAME[@PROBE][:SERIAL] */
static int parse_board(const char *item, su_board *sb, const char **serial)
{
  const char *colon = strchr(item, ':');
  size_t head = colon ? (size_t)(colon - item) : strlen(item);
  const char *at = memchr(item, '@', head);
  size_t nlen = at ? (size_t)(at - item) : head;
  if (nlen == 0 || nlen >= sizeof sb->name)
    return fail("LF_BENCH_BOARDS entry '%s': expected NAME[@PROBE][:SERIAL], e.g. nucleo-f767zi@v2-1:SERIAL",
                item);
  memcpy(sb->name, item, nlen);
  sb->name[nlen] = 0;
  sb->probe[0] = 0;
  if (at) {
    size_t plen = head - nlen - 1;
    char known[256];
    if (plen == 0 || plen >= sizeof sb->probe)
      return fail("LF_BENCH_BOARDS entry '%s': a probe must follow '@' (%s)", item,
                  lf_bench_probe_list(known, sizeof known));
    memcpy(sb->probe, at + 1, plen);
    sb->probe[plen] = 0;
  }
  *serial = NULL;
  if (colon) {
    size_t slen = strlen(colon + 1);
    if (slen == 0 || slen >= sizeof sb->serial)
      return fail("LF_BENCH_BOARDS entry '%s': serial after ':' must be 1..%zu characters", item,
                  sizeof sb->serial - 1);
    *serial = colon + 1;
  }
  return 0;
}

/* The fault spec of board `i` (0-based): LF_BENCH_FAULTS, then
 * LF_BENCH_FAULTS_<i+1>. Returns 0 or -1 (too long). */
static int board_faults(size_t i, char *out, size_t cap)
{
  char name[32];
  snprintf(name, sizeof name, "LF_BENCH_FAULTS_%zu", i + 1);
  const char *all = getenv("LF_BENCH_FAULTS"), *one = getenv(name);
  all = all ? all : "";
  one = one ? one : "";
  int n = snprintf(out, cap, "%s%s%s", all, *all && *one ? "," : "", one);
  if (n < 0 || (size_t)n >= cap)
    return fail("%s: fault spec too long", *one ? name : "LF_BENCH_FAULTS");
  return 0;
}

/* String descriptor index of interface i's name (1-3: manufacturer,
 * product, serial); standin.c serves them from the same rule. */
#define IFACE_STRING(i) (4 + (i))

static size_t put_ep(uint8_t *e, uint8_t addr, const lf_bench_usb_iface *f, bool interrupt)
{
  e[0] = 7;
  e[1] = SU_DT_ENDPOINT;
  e[2] = addr;
  e[3] = interrupt ? SU_TRANSFER_TYPE_INTERRUPT : SU_TRANSFER_TYPE_BULK;
  e[4] = (uint8_t)f->max_packet;
  e[5] = (uint8_t)(f->max_packet >> 8);
  e[6] = interrupt ? f->interval : 0;
  return 7;
}

/* The device and configuration descriptors from the probe's USB identity
 * and its interfaces (bench.h lf_bench_usb_iface): per interface its
 * descriptor, for HID the HID class descriptor (HID 1.11, one report
 * descriptor), then its endpoints in the probe's order. */
static int build_descriptors(su_board *sb)
{
  const lf_bench_usb_info *u = lf_bench_usb_info_get(sb->b);
  su_device *d = &sb->dev;
  d->board = sb;
  d->desc = (su_device_descriptor){
    .bLength = 18, .bDescriptorType = SU_DT_DEVICE,
    .bcdUSB = u->high_speed ? 0x0210 : 0x0200,
    .bDeviceClass = 0, .bDeviceSubClass = 0, .bDeviceProtocol = 0,
    .bMaxPacketSize0 = 64,
    .idVendor = u->vid, .idProduct = u->pid, .bcdDevice = u->bcd_device,
    .iManufacturer = 1, .iProduct = 2, .iSerialNumber = 3, .bNumConfigurations = 1,
  };
  uint8_t *r = d->config_raw;
  size_t len = 9;
  for (unsigned i = 0; i < u->nifaces; i++) {
    const lf_bench_usb_iface *f = &u->ifaces[i];
    uint8_t neps = (uint8_t)((f->ep_out != 0) + (f->ep_in != 0) + (f->ep_extra != 0));
    if (len + 9 + 9 + 7u * neps > sizeof d->config_raw)
      return fail("board %s: configuration descriptor too long", sb->name);
    uint8_t itf[9] = {9, SU_DT_INTERFACE, f->number, 0, neps, f->cls, f->subclass, f->protocol,
                      f->name ? (uint8_t)IFACE_STRING(i) : 0};
    memcpy(r + len, itf, 9);
    len += 9;
    if (f->cls == 0x03) {
      uint8_t hid[9] = {9, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, (uint8_t)f->hid_report_len,
                        (uint8_t)(f->hid_report_len >> 8)};
      memcpy(r + len, hid, 9);
      len += 9;
    }
    uint8_t first = f->in_first ? f->ep_in : f->ep_out, second = f->in_first ? f->ep_out : f->ep_in;
    if (first)
      len += put_ep(r + len, first, f, f->interrupt);
    if (second)
      len += put_ep(r + len, second, f, f->interrupt);
    if (f->ep_extra)
      len += put_ep(r + len, f->ep_extra, f, false);
  }
  uint8_t cfg[9] = {9, SU_DT_CONFIG, (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)u->nifaces, 1, 0,
                    0x80, 50};
  memcpy(r, cfg, 9);
  d->config_len = len;
  return 0;
}

/* Called under su_proc.lock. */
int su_env_setup(void)
{
  if (atomic_load(&su_proc.ready))
    return 0;
  const char *spec = getenv("LF_BENCH_BOARDS");
  if (!spec || !*spec)
    spec = "nucleo-f767zi";
  char *copy = strdup(spec);
  if (!copy)
    return fail("out of memory");
  size_t n = 0;
  int rc = 0;
  lf_bench_params params;
  lf_bench_params_default(&params);
  rc = parse_params(&params);
  char *save = NULL;
  for (char *item = strtok_r(copy, ",", &save); item && rc == 0; item = strtok_r(NULL, ",", &save)) {
    if (n == SU_MAX_BOARDS) {
      rc = fail("LF_BENCH_BOARDS: at most %d boards", SU_MAX_BOARDS);
      break;
    }
    su_board *sb = &su_proc.boards[n];
    memset(sb, 0, sizeof *sb);
    const char *serial;
    if ((rc = parse_board(item, sb, &serial)) != 0)
      break;
    char faults[2048];
    if ((rc = board_faults(n, faults, sizeof faults)) != 0)
      break;
    lf_bench_board_cfg cfg;
    lf_bench_board_cfg_default(&cfg);
    cfg.board = sb->name;
    cfg.probe = sb->probe[0] ? sb->probe : NULL;
    cfg.serial = serial;
    cfg.faults = faults[0] ? faults : NULL;
    cfg.params = params;
    char err[512];
    /* First build without the state file to learn the serial, then load. */
    sb->b = lf_bench_board_new(&cfg, err, sizeof err);
    if (!sb->b) {
      rc = fail("LF_BENCH_BOARDS entry '%s': %s", item, err);
      break;
    }
    snprintf(sb->serial, sizeof sb->serial, "%s", lf_bench_usb_info_get(sb->b)->serial);
    bool clash = false;
    for (size_t k = 0; k < n; k++)
      clash |= strcmp(su_proc.boards[k].serial, sb->serial) == 0;
    if (clash && serial) {
      rc = fail("LF_BENCH_BOARDS: serial %s given twice", serial);
      n++;
      break;
    }
    if (clash) {
      size_t l = strlen(sb->serial);
      char fixed[64];
      snprintf(fixed, sizeof fixed, "%.*s%02zX", (int)(l >= 2 ? l - 2 : 0), sb->serial, n);
      lf_bench_board_free(sb->b);
      cfg.serial = fixed;
      sb->b = lf_bench_board_new(&cfg, err, sizeof err);
      if (!sb->b) {
        rc = fail("LF_BENCH_BOARDS entry '%s': %s", item, err);
        break;
      }
      snprintf(sb->serial, sizeof sb->serial, "%s", fixed);
    }
    n++;
  }
  su_proc.nboards = n;
  free(copy);
  /* With a state file the board is built again from it, so the saved flash
   * and option bytes are in place before its power-on reset. */
  const char *state = getenv("LF_BENCH_STATE");
  for (size_t i = 0; rc == 0 && i < n; i++) {
    su_board *sb = &su_proc.boards[i];
    char err[512];
    if ((rc = state_path(sb, state, n)) != 0)
      break;
    if (sb->state_path[0]) {
      char faults[2048];
      if ((rc = board_faults(i, faults, sizeof faults)) != 0)
        break;
      lf_bench_board_cfg cfg;
      lf_bench_board_cfg_default(&cfg);
      cfg.board = sb->name;
      cfg.probe = sb->probe[0] ? sb->probe : NULL;
      cfg.serial = sb->serial;
      cfg.faults = faults[0] ? faults : NULL;
      cfg.params = params;
      cfg.state_file = sb->state_path;
      lf_bench_board_free(sb->b);
      sb->b = lf_bench_board_new(&cfg, err, sizeof err);
      if (!sb->b) {
        rc = fail("%s", err);
        break;
      }
    }
    pthread_mutex_init(&sb->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&sb->data_cond, &ca);
    pthread_condattr_destroy(&ca);
    const lf_bench_usb_info *u = lf_bench_usb_info_get(sb->b);
    for (unsigned k = 0; k < u->nifaces; k++)
      if (u->ifaces[k].cls == 0x03 && u->ifaces[k].number < 32)
        sb->kernel_bound |= 1u << u->ifaces[k].number; /* usbhid */
    sb->bus = 1;
    sb->port = (uint8_t)(i + 1);
    sb->address = (uint8_t)(i + 2);
    if ((rc = build_descriptors(sb)) != 0)
      break;
  }
  const char *report = getenv("LF_BENCH_REPORT");
  if (rc == 0 && report && *report &&
      snprintf(su_proc.report_path, sizeof su_proc.report_path, "%s", report) >= (int)sizeof su_proc.report_path)
    rc = fail("LF_BENCH_REPORT: path too long");
  const char *trace = getenv("LF_BENCH_TRACE");
  if (rc == 0 && trace && *trace) {
    su_proc.trace = fopen(trace, "w");
    if (!su_proc.trace)
      rc = fail("LF_BENCH_TRACE %s: %s", trace, strerror(errno));
  }
  if (rc != 0) {
    for (size_t i = 0; i < n; i++) {
      lf_bench_board_free(su_proc.boards[i].b);
      su_proc.boards[i].b = NULL;
      if (su_proc.boards[i].bus) { /* its lock was made */
        pthread_mutex_destroy(&su_proc.boards[i].lock);
        pthread_cond_destroy(&su_proc.boards[i].data_cond);
      }
    }
    su_proc.nboards = 0;
    su_proc.report_path[0] = 0;
    return -1;
  }
  su_time_start();
  atomic_store_explicit(&su_proc.ready, true, memory_order_release);
  return 0;
}

static void write_report(FILE *f)
{
  unsigned long long threads = (unsigned long long)atomic_load(&su_proc.timelines);
  fprintf(f, "host: %.6f s of tool time; %llu sleeps (%.6f s), %llu clock reads",
          (double)atomic_load(&su_proc.max_ns) / 1e9, (unsigned long long)atomic_load(&su_proc.sleeps),
          (double)atomic_load(&su_proc.sleep_ns) / 1e9,
          (unsigned long long)atomic_load(&su_proc.clock_reads));
  if (threads > 1)
    fprintf(f, "; %llu threads (timelines), the latest time shown", threads);
  fputc('\n', f);
  for (size_t i = 0; i < su_proc.nboards; i++) {
    su_board *sb = &su_proc.boards[i];
    pthread_mutex_lock(&sb->lock);
    const lf_vprobe_counters *v = lf_bench_probe_counters(sb->b);
    fprintf(f, "== board %zu: %s, probe %s, serial %s (bus %u address %u)\n", i + 1, sb->name,
            sb->probe[0] ? sb->probe : "default", sb->serial, sb->bus, sb->address);
    lf_bench_report(sb->b, f);
    fprintf(f, "standin: %llu round trips; %llu sync, %llu async transfers in %llu batches, "
               "%llu cancelled; %llu control transfers\n",
            (unsigned long long)v->usb_round_trips, (unsigned long long)sb->c.sync,
            (unsigned long long)sb->c.async, (unsigned long long)sb->c.async_batches,
            (unsigned long long)sb->c.cancelled, (unsigned long long)sb->c.control);
    pthread_mutex_unlock(&sb->lock);
  }
}

/* Called under su_proc.lock (or at process exit). The calling thread's
 * boards are brought up to its time; the others stay at their own. */
void su_env_save(void)
{
  if (!atomic_load(&su_proc.ready))
    return;
  su_time_sync_owned();
  for (size_t i = 0; i < su_proc.nboards; i++) {
    su_board *sb = &su_proc.boards[i];
    char err[512];
    pthread_mutex_lock(&sb->lock);
    if (sb->state_path[0] && lf_bench_save_state(sb->b, sb->state_path, err, sizeof err) != 0)
      fail("%s", err);
    pthread_mutex_unlock(&sb->lock);
  }
  if (su_proc.report_path[0]) {
    FILE *f = fopen(su_proc.report_path, "w");
    if (!f) {
      fail("LF_BENCH_REPORT %s: %s", su_proc.report_path, strerror(errno));
      return;
    }
    write_report(f);
    if (fclose(f) != 0)
      fail("LF_BENCH_REPORT %s: write failed", su_proc.report_path);
  }
  if (su_proc.trace)
    fflush(su_proc.trace);
}

void su_trace(const su_board *sb, const char *how, uint8_t ep, const uint8_t *data, size_t len,
              size_t actual, int rc)
{
  if (!su_proc.trace)
    return;
  FILE *f = su_proc.trace;
  flockfile(f);
  fprintf(f, "%.9f %s %s %s ep 0x%02x len %zu -> %d actual %zu", 
          (double)lf_bench_clock(sb->b)->now_ns / 1e9, sb->serial, how, (ep & 0x80) ? "IN " : "OUT",
          ep, len, rc, actual);
  size_t show = (ep & 0x80) ? actual : len;
  if (data && show) {
    fputs(" :", f);
    for (size_t i = 0; i < show && i < 24; i++)
      fprintf(f, " %02x", data[i]);
    if (show > 24)
      fputs(" ...", f);
  }
  fputc('\n', f);
  funlockfile(f);
}

__attribute__((destructor)) static void su_env_fini(void)
{
  pthread_mutex_lock(&su_proc.lock);
  if (!atomic_load(&su_proc.ready)) {
    pthread_mutex_unlock(&su_proc.lock);
    return;
  }
  su_env_save();
  atomic_store(&su_proc.ready, false);
  for (size_t i = 0; i < su_proc.nboards; i++) {
    lf_bench_board_free(su_proc.boards[i].b);
    pthread_mutex_destroy(&su_proc.boards[i].lock);
    pthread_cond_destroy(&su_proc.boards[i].data_cond);
  }
  su_proc.nboards = 0;
  if (su_proc.trace)
    fclose(su_proc.trace);
  su_proc.trace = NULL;
  pthread_mutex_unlock(&su_proc.lock);
}
