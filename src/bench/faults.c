#include "bench/faults.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name;
  lf_fault_kind kind;
  bool timed;
} kinds[] = {
  {"usb_timeout", LF_FAULT_USB_TIMEOUT, false}, {"usb_stall", LF_FAULT_USB_STALL, false},
  {"usb_short", LF_FAULT_USB_SHORT, false},     {"swd_wait", LF_FAULT_SWD_WAIT, false},
  {"swd_fault", LF_FAULT_SWD_FAULT, false},     {"flash_error", LF_FAULT_FLASH_ERROR, false},
  {"power_loss", LF_FAULT_POWER_LOSS, true},    {"hostile", LF_FAULT_HOSTILE, false},
  {"unplug", LF_FAULT_USB_UNPLUG, false},
};

const char *lf_fault_kind_name(lf_fault_kind k)
{
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (kinds[i].kind == k)
      return kinds[i].name;
  return "?";
}

void lf_faults_init(lf_faults *f) { memset(f, 0, sizeof *f); }

/* Parses a time with unit suffix into ns; returns the end pointer or NULL. */
static const char *parse_time(const char *s, uint64_t *ns)
{
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno || v < 0)
    return NULL;
  double mul = 1;
  if (strncmp(end, "ns", 2) == 0) end += 2;
  else if (strncmp(end, "us", 2) == 0) { mul = 1e3; end += 2; }
  else if (strncmp(end, "ms", 2) == 0) { mul = 1e6; end += 2; }
  else if (*end == 's') { mul = 1e9; end += 1; }
  else return NULL;
  *ns = (uint64_t)(v * mul + 0.5);
  return end;
}

static const char *parse_u64(const char *s, int base, uint64_t *out)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, base);
  if (end == s || errno || *s == '-')
    return NULL;
  *out = v;
  return end;
}

int lf_faults_parse(lf_faults *f, const char *spec, char *err, size_t errlen)
{
  lf_faults_init(f);
  if (!spec)
    return 0;
  const char *p = spec;
  while (*p) {
    const char *item = p;
    const char *at = strchr(p, '@');
    size_t itemlen = strcspn(p, ",");
    if (!at || (size_t)(at - p) > itemlen) {
      snprintf(err, errlen, "fault spec '%s' at offset %zu: expected kind@when in '%.*s'", spec,
               (size_t)(item - spec), (int)itemlen, item);
      return -1;
    }
    size_t k;
    for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
      if (strlen(kinds[k].name) == (size_t)(at - p) && strncmp(kinds[k].name, p, (size_t)(at - p)) == 0)
        break;
    if (k == sizeof kinds / sizeof kinds[0]) {
      snprintf(err, errlen,
               "fault spec '%s' at offset %zu: unknown fault '%.*s' (usb_timeout usb_stall "
               "usb_short unplug swd_wait swd_fault flash_error power_loss hostile)",
               spec, (size_t)(item - spec), (int)(at - p), p);
      return -1;
    }
    if (f->n == LF_FAULTS_MAX) {
      snprintf(err, errlen, "fault spec '%s': more than %d faults", spec, LF_FAULTS_MAX);
      return -1;
    }
    lf_fault *ft = &f->items[f->n];
    memset(ft, 0, sizeof *ft);
    ft->kind = kinds[k].kind;
    ft->count = 1;
    const char *q = at + 1;
    /* PHASE+ (a name starting with a letter, then '+') */
    size_t pl = 0;
    while ((q[pl] >= 'a' && q[pl] <= 'z') || (q[pl] >= 'A' && q[pl] <= 'Z') || q[pl] == '_' ||
           (pl > 0 && q[pl] >= '0' && q[pl] <= '9'))
      pl++;
    if (pl > 0) {
      if (q[pl] != '+' || pl >= sizeof ft->phase || ft->kind == LF_FAULT_HOSTILE) {
        snprintf(err, errlen,
                 "fault spec '%s' at offset %zu: expected PHASE+N (a phase name of up to %zu characters, "
                 "then '+' and the %s after its entry; not for hostile) in '%.*s'",
                 spec, (size_t)(q - spec), sizeof ft->phase - 1, kinds[k].timed ? "time" : "event number",
                 (int)itemlen, item);
        return -1;
      }
      memcpy(ft->phase, q, pl);
      ft->phase[pl] = '\0';
      q += pl + 1;
    }
    q = kinds[k].timed ? parse_time(q, &ft->at) : parse_u64(q, 10, &ft->at);
    if (!q || (!kinds[k].timed && ft->at == 0 && ft->kind != LF_FAULT_HOSTILE)) {
      snprintf(err, errlen, "fault spec '%s' at offset %zu: %s after '@' in '%.*s'", spec,
               (size_t)(at + 1 - spec),
               kinds[k].timed ? "expected a time such as 1.5ms" : "expected an event number >= 1",
               (int)itemlen, item);
      return -1;
    }
    if (*q == 'x' && ft->kind == LF_FAULT_SWD_WAIT) {
      q = parse_u64(q + 1, 10, &ft->count);
      if (!q || ft->count == 0) {
        snprintf(err, errlen, "fault spec '%s': expected a count >= 1 after 'x' in '%.*s'", spec,
                 (int)itemlen, item);
        return -1;
      }
    }
    if (ft->kind == LF_FAULT_FLASH_ERROR) {
      uint64_t bits = 0;
      if (*q != ':' || !(q = parse_u64(q + 1, 16, &bits)) || bits == 0 || bits > 0xFFFFFFFFu) {
        snprintf(err, errlen, "fault spec '%s': flash_error needs ':SRBITS' (hex, e.g. 0x10) in '%.*s'",
                 spec, (int)itemlen, item);
        return -1;
      }
      ft->arg = (uint32_t)bits;
    }
    if (ft->kind == LF_FAULT_HOSTILE) {
      uint64_t pm = 10;
      if (*q == ':' && (!(q = parse_u64(q + 1, 10, &pm)) || pm > 1000)) {
        snprintf(err, errlen, "fault spec '%s': hostile needs ':PERMILLE' 0..1000 after the seed in '%.*s'",
                 spec, (int)itemlen, item);
        return -1;
      }
      ft->arg = (uint32_t)pm;
    }
    if (*q != ',' && *q != '\0') {
      snprintf(err, errlen, "fault spec '%s' at offset %zu: unexpected '%c'", spec,
               (size_t)(q - spec), *q);
      return -1;
    }
    f->n++;
    p = *q ? q + 1 : q;
  }
  return 0;
}

static bool is_usb(lf_fault_kind k)
{
  return k == LF_FAULT_USB_TIMEOUT || k == LF_FAULT_USB_STALL || k == LF_FAULT_USB_SHORT ||
         k == LF_FAULT_USB_UNPLUG;
}

static lf_fault_kind counter_of(lf_fault_kind k) { return is_usb(k) ? LF_FAULT_USB_TIMEOUT : k; }

static void fire(lf_faults *f, lf_fault *ft)
{
  if (!ft->fired && f->now_ns)
    ft->fired_ns = *f->now_ns;
  if (!ft->fired)
    memcpy(ft->fired_in, f->phase, sizeof ft->fired_in);
  ft->fired++;
}

size_t lf_faults_phase(lf_faults *f, const char *name, uint64_t now_ns)
{
  size_t n = 0;
  if (f && name)
    snprintf(f->phase, sizeof f->phase, "%s", name);
  for (size_t i = 0; f && name && i < f->n; i++) {
    lf_fault *ft = &f->items[i];
    if (!ft->phase[0] || ft->armed || strcmp(ft->phase, name) != 0)
      continue;
    ft->armed = true;
    /* the offset counts from the entry: the next event is +1 */
    ft->at += ft->kind == LF_FAULT_POWER_LOSS ? now_ns : f->events[counter_of(ft->kind)];
    n++;
  }
  return n;
}

/* An item that may fire: absolute, or its phase was entered. */
static bool live(const lf_fault *ft) { return !ft->phase[0] || ft->armed; }

bool lf_faults_unplugged(const lf_faults *f)
{
  for (size_t i = 0; f && i < f->n; i++)
    if (f->items[i].kind == LF_FAULT_USB_UNPLUG && f->items[i].fired)
      return true;
  return false;
}

lf_fault *lf_faults_event(lf_faults *f, lf_fault_kind kind) { return lf_faults_usb_event(f, kind, true); }

lf_fault *lf_faults_usb_event(lf_faults *f, lf_fault_kind kind, bool in)
{
  uint64_t n = ++f->events[counter_of(kind)];
  for (size_t i = 0; i < f->n; i++) {
    lf_fault *ft = &f->items[i];
    bool match = is_usb(kind) ? is_usb(ft->kind) : ft->kind == kind;
    if (!match || !live(ft))
      continue;
    bool due;
    if (ft->kind == LF_FAULT_USB_UNPLUG)
      due = n >= ft->at; /* gone: every transfer from the Nth on */
    else if (ft->kind == LF_FAULT_USB_SHORT)
      due = in && n >= ft->at && !ft->fired; /* the first IN from the Nth on */
    else
      due = n >= ft->at && n < ft->at + ft->count;
    if (due) {
      fire(f, ft);
      return ft;
    }
  }
  return NULL;
}

const lf_fault *lf_faults_hostile(const lf_faults *f)
{
  for (size_t i = 0; f && i < f->n; i++)
    if (f->items[i].kind == LF_FAULT_HOSTILE)
      return &f->items[i];
  return NULL;
}

lf_fault *lf_faults_due(lf_faults *f, lf_fault_kind kind, uint64_t t)
{
  for (size_t i = 0; i < f->n; i++) {
    lf_fault *ft = &f->items[i];
    if (ft->kind == kind && !ft->fired && live(ft) && ft->at <= t)
      return ft;
  }
  return NULL;
}
