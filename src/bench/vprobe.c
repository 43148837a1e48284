/* The probe-model registry and dispatch (vprobe.h). A new probe model is one
 * file exporting an lf_vprobe_model plus its line in `models` below. */
#include "bench/vprobe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const lf_vprobe_model lf_vprobe_model_stlink;
extern const lf_vprobe_model lf_vprobe_model_cmsisdap;

static const lf_vprobe_model *const models[] = {
  &lf_vprobe_model_stlink,
  &lf_vprobe_model_cmsisdap,
};
#define NMODELS (sizeof models / sizeof models[0])

/* The hostile layer (faults.h hostile@SEED[:PM]): between the host and the
 * model, it corrupts the transfers a seeded PRNG picks. A reply it spoils
 * was produced by the model first (the model's time and state moved as
 * for a good one), so what the host sees is what a probe with a bad cable,
 * a firmware bug or a lost packet would show; a command it loses never
 * reaches the model. */
#define HOSTILE_KEEP 1024 /* bytes of a reply kept for a stale or late one */

typedef enum hostile_in {
  H_RANDOM,    /* the reply's bytes overwritten with noise */
  H_SHORT,     /* fewer bytes than the probe sent */
  H_OVERSIZED, /* more bytes than the probe sent (noise after), or overflow */
  H_STALE,     /* the previous reply again, this one lost */
  H_LATE,      /* the previous reply now, this one on the next IN (out of order) */
  H_STATUS,    /* one of the first bytes (status, command echo) replaced */
  H_SIZE,      /* a zero-length packet, or a few bytes more or less */
  H_STALL,
  H_TIMEOUT,
  H_NIN
} hostile_in;

typedef struct hostile {
  bool on;
  unsigned permille;
  uint64_t rng;
  lf_clock *clk;
  uint8_t last[HOSTILE_KEEP]; /* the last reply the host was given */
  size_t last_len;
  bool have_last;
  uint8_t late[HOSTILE_KEEP]; /* a reply held back (H_LATE) */
  size_t late_len;
  bool have_late;
  uint64_t corrupted;
} hostile;

struct lf_vprobe {
  const lf_vprobe_model *model;
  const char *preset; /* the model's own copy of the name */
  void *m;
  hostile h;
};

static uint64_t h_next(hostile *h)
{ /* splitmix64 */
  uint64_t z = (h->rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static unsigned h_below(hostile *h, unsigned n) { return n ? (unsigned)(h_next(h) % n) : 0; }
static bool h_roll(hostile *h) { return h_below(h, 1000) < h->permille; }

static void h_noise(hostile *h, uint8_t *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    b[i] = (uint8_t)h_next(h);
}

static void h_keep(uint8_t *dst, size_t *dlen, const uint8_t *src, size_t n)
{
  *dlen = n < HOSTILE_KEEP ? n : HOSTILE_KEEP;
  memcpy(dst, src, *dlen);
}

static int h_in(hostile *h, uint8_t *buf, size_t len, size_t *actual, unsigned timeout_ms, int r)
{
  if (h->have_late && r == LF_VUSB_OK) { /* the held reply comes now, this one is lost */
    size_t n = h->late_len < len ? h->late_len : len;
    memcpy(buf, h->late, n);
    *actual = n;
    h->have_late = false;
  } else if (r == LF_VUSB_OK && h_roll(h)) {
    h->corrupted++;
    static const uint8_t status[] = {0x00, 0x01, 0x02, 0x04, 0x08, 0x7F, 0x80, 0x81, 0xFF};
    switch ((hostile_in)h_below(h, H_NIN)) {
    case H_RANDOM:
      h_noise(h, buf, *actual);
      break;
    case H_SHORT:
      *actual = h_below(h, (unsigned)*actual);
      break;
    case H_OVERSIZED:
      if (len > *actual) {
        size_t n = *actual + 1 + h_below(h, (unsigned)(len - *actual));
        h_noise(h, buf + *actual, n - *actual);
        *actual = n;
      } else {
        *actual = 0;
        return LF_VUSB_ERR_OVERFLOW;
      }
      break;
    case H_STALE:
      if (h->have_last) {
        size_t n = h->last_len < len ? h->last_len : len;
        memcpy(buf, h->last, n);
        *actual = n;
      }
      break;
    case H_LATE:
      if (h->have_last) {
        h_keep(h->late, &h->late_len, buf, *actual);
        h->have_late = true;
        size_t n = h->last_len < len ? h->last_len : len;
        memcpy(buf, h->last, n);
        *actual = n;
      }
      break;
    case H_STATUS:
      if (*actual)
        buf[h_below(h, *actual < 2 ? 1 : 2)] =
          h_below(h, 4) ? status[h_below(h, sizeof status)] : (uint8_t)h_next(h);
      break;
    case H_SIZE:
      if (h_below(h, 2) || !*actual) {
        *actual = 0;
      } else {
        size_t d = 1 + h_below(h, 3);
        *actual = h_below(h, 2) && *actual + d <= len ? *actual + d : (*actual > d ? *actual - d : 0);
      }
      break;
    case H_STALL:
      *actual = 0;
      return LF_VUSB_ERR_PIPE;
    case H_TIMEOUT:
      *actual = 0;
      lf_clock_advance(h->clk, LF_CLK_TIMEOUT, (uint64_t)timeout_ms * 1000000u);
      return LF_VUSB_ERR_TIMEOUT;
    default:
      break;
    }
  }
  if (r == LF_VUSB_OK) {
    h_keep(h->last, &h->last_len, buf, *actual);
    h->have_last = true;
  }
  return r;
}

uint64_t lf_vprobe_hostile_count(const lf_vprobe *p) { return p->h.corrupted; }

static const lf_vprobe_model *find(const char *preset, const char **name)
{
  for (size_t k = 0; preset && k < NMODELS; k++)
    for (size_t i = 0; models[k]->preset_name(i); i++)
      if (strcmp(models[k]->preset_name(i), preset) == 0) {
        *name = models[k]->preset_name(i);
        return models[k];
      }
  return NULL;
}

bool lf_vprobe_known(const char *preset)
{
  const char *name;
  return find(preset, &name) != NULL;
}

const char *lf_vprobe_list(char *buf, size_t len)
{
  size_t used = 0;
  if (len)
    buf[0] = 0;
  for (size_t k = 0; k < NMODELS; k++)
    for (size_t i = 0; models[k]->preset_name(i) && used < len; i++) {
      int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", models[k]->preset_name(i));
      if (n < 0)
        return buf;
      used += (size_t)n;
    }
  return buf;
}

lf_vprobe *lf_vprobe_new(const char *preset, const lf_vprobe_env *env, char *err, size_t errlen)
{
  const char *name = NULL;
  const lf_vprobe_model *model = find(preset, &name);
  if (!model) {
    char known[256];
    snprintf(err, errlen, "bench: unknown probe '%s' (known: %s)", preset ? preset : "",
             lf_vprobe_list(known, sizeof known));
    return NULL;
  }
  lf_vprobe *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errlen, "bench: out of memory");
    return NULL;
  }
  p->model = model;
  p->preset = name;
  p->m = model->create(name, env, err, errlen);
  if (!p->m) {
    free(p);
    return NULL;
  }
  const lf_fault *hf = lf_faults_hostile(env->faults);
  if (hf) {
    p->h.on = true;
    p->h.permille = hf->arg;
    p->h.rng = hf->at;
    p->h.clk = env->clk;
  }
  return p;
}

void lf_vprobe_free(lf_vprobe *p)
{
  if (!p)
    return;
  p->model->ops->free(p->m);
  free(p);
}

const char *lf_vprobe_kind(const lf_vprobe *p) { return p->model->kind; }
const char *lf_vprobe_preset(const lf_vprobe *p) { return p->preset; }

void *lf_vprobe_state(lf_vprobe *p, const char *kind)
{
  return p && strcmp(p->model->kind, kind) == 0 ? p->m : NULL;
}

int lf_vprobe_out(lf_vprobe *p, uint8_t ep, const void *data, size_t len, size_t *actual,
                  unsigned timeout_ms)
{
  hostile *h = &p->h;
  if (h->on && h_roll(h)) {
    h->corrupted++;
    switch (h_below(h, 3)) {
    case 0: /* lost on the way: stalled (a round trip of the probe's link) */
      *actual = 0;
      lf_clock_advance(h->clk, LF_CLK_USB, p->model->ops->usb_ns(p->m, 0));
      return LF_VUSB_ERR_PIPE;
    case 1: /* lost on the way: the host times out */
      *actual = 0;
      lf_clock_advance(h->clk, LF_CLK_TIMEOUT, (uint64_t)timeout_ms * 1000000u);
      return LF_VUSB_ERR_TIMEOUT;
    default: { /* delivered, but the host is told it timed out */
      int r = p->model->ops->out(p->m, ep, data, len, actual, timeout_ms);
      if (r == LF_VUSB_OK) {
        lf_clock_advance(h->clk, LF_CLK_TIMEOUT, (uint64_t)timeout_ms * 1000000u);
        r = LF_VUSB_ERR_TIMEOUT;
      }
      return r;
    }
    }
  }
  return p->model->ops->out(p->m, ep, data, len, actual, timeout_ms);
}

int lf_vprobe_in(lf_vprobe *p, uint8_t ep, void *buf, size_t len, size_t *actual,
                 unsigned timeout_ms, unsigned flags, uint64_t *done_ns)
{
  uint64_t t = 0;
  int r = p->model->ops->in(p->m, ep, buf, len, actual, timeout_ms, flags, done_ns ? done_ns : &t);
  return p->h.on ? h_in(&p->h, buf, len, actual, timeout_ms, r) : r;
}

bool lf_vprobe_in_pending(const lf_vprobe *p, uint8_t ep) { return p->model->ops->in_pending(p->m, ep); }
void lf_vprobe_batch_begin(lf_vprobe *p) { p->model->ops->batch_begin(p->m); }
void lf_vprobe_batch_end(lf_vprobe *p) { p->model->ops->batch_end(p->m); }
void lf_vprobe_batch_submit(lf_vprobe *p, uint64_t t_ns)
{
  if (p->model->ops->batch_submit)
    p->model->ops->batch_submit(p->m, t_ns);
}
void lf_vprobe_usb_reset(lf_vprobe *p) { p->model->ops->usb_reset(p->m); }

int lf_vprobe_control(lf_vprobe *p, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
                      uint8_t *data, size_t len)
{
  if (!p->model->ops->control)
    return LF_VUSB_ERR_PIPE;
  return p->model->ops->control(p->m, type, req, value, index, data, len);
}

uint64_t lf_vprobe_usb_ns(const lf_vprobe *p, size_t len) { return p->model->ops->usb_ns(p->m, len); }
uint64_t lf_vprobe_usb_wire_ns(const lf_vprobe *p, size_t len)
{
  return p->model->ops->usb_wire_ns(p->m, len);
}
const struct lf_bench_usb_info *lf_vprobe_usb_info(const lf_vprobe *p)
{
  return p->model->ops->usb_info(p->m);
}
const lf_vprobe_counters *lf_vprobe_counters_get(const lf_vprobe *p)
{
  return p->model->ops->counters(p->m);
}

void lf_vprobe_report(const lf_vprobe *p, FILE *out)
{
  if (p->model->ops->report)
    p->model->ops->report(p->m, out);
  if (p->h.on)
    fprintf(out, "hostile: %llu transfers corrupted (%u per mille asked)\n",
            (unsigned long long)p->h.corrupted, p->h.permille);
}

static uint64_t ns_of(double v) { return v > 0 ? (uint64_t)llround(v) : 0; }

unsigned lf_vusb_max_packet(const lf_vusb_link *l) { return l->high_speed ? 512 : 64; }

uint64_t lf_vusb_wire_ns(const lf_vusb_link *l, size_t len)
{
  unsigned mp = lf_vusb_max_packet(l);
  size_t npk = len ? (len + mp - 1) / mp : 1;
  double rate = l->high_speed ? l->p->usb_hs_bit_rate : l->p->usb_fs_bit_rate;
  double ovh = l->high_speed ? l->p->usb_hs_packet_overhead : l->p->usb_fs_packet_overhead;
  double wire = rate > 0 ? ((double)len + (double)npk * ovh) * 8.0 * 1e9 / rate : 0;
  return ns_of(wire);
}

uint64_t lf_vusb_latency_ns(const lf_vusb_link *l)
{
  return ns_of(l->high_speed ? l->p->usb_hs_transfer_latency_ns : l->p->usb_fs_transfer_latency_ns);
}

uint64_t lf_vusb_ns(const lf_vusb_link *l, size_t len)
{
  return lf_vusb_latency_ns(l) + lf_vusb_wire_ns(l, len);
}

void lf_vusb_batch_begin(lf_vusb_link *l)
{
  l->batch = true;
  l->batch_paid = false;
  l->batch_t0 = l->clk->now_ns;
}

void lf_vusb_batch_end(lf_vusb_link *l) { l->batch = l->batch_paid = false; }

void lf_vusb_batch_submit(lf_vusb_link *l, uint64_t t)
{
  if (l->batch && t >= l->batch_t0)
    l->batch_t0 = t;
}

void lf_vusb_charge(lf_vusb_link *l, lf_vprobe_counters *c, size_t len)
{
  uint64_t ns = lf_vusb_wire_ns(l, len);
  if (!l->batch || !l->batch_paid) {
    ns += lf_vusb_latency_ns(l);
    c->usb_round_trips++;
    l->batch_paid = l->batch;
  }
  lf_clock_advance(l->clk, LF_CLK_USB, ns);
}

int lf_vprobe_stall(lf_vusb_link *l, lf_vprobe_counters *c)
{
  c->usb_stalls++;
  lf_vusb_charge(l, c, 0);
  return LF_VUSB_ERR_PIPE;
}

int lf_vprobe_usb_fault(lf_faults *f, lf_vusb_link *l, lf_vprobe_counters *c, bool in,
                        unsigned timeout_ms, bool *short_pkt)
{
  lf_fault *ft = f ? lf_faults_usb_event(f, LF_FAULT_USB_TIMEOUT, in) : NULL;
  if (!ft)
    return LF_VUSB_OK;
  switch (ft->kind) {
  case LF_FAULT_USB_TIMEOUT:
    c->usb_timeouts++;
    lf_clock_advance(l->clk, LF_CLK_TIMEOUT, (uint64_t)timeout_ms * 1000000u);
    if (ft->fired == 1)
      ft->fired_ns = l->clk->now_ns; /* the fault is the host's timeout ending */
    return LF_VUSB_ERR_TIMEOUT;
  case LF_FAULT_USB_STALL:
    return lf_vprobe_stall(l, c);
  case LF_FAULT_USB_UNPLUG:
    /* gone: usbfs fails the submission at once (ENODEV), no bus time */
    return LF_VUSB_ERR_NO_DEVICE;
  default:
    *short_pkt = in;
    return LF_VUSB_OK;
  }
}
