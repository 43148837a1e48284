/* CMSIS-Pack reader (pack.h): the zip through libzip, the .pdsc through
 * libxml2 (no network, no entity expansion beyond the document, errors
 * collected, never printed), the device tree resolved once at open. */
#include "flash/pack.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <zip.h>

#define MAX_PDSC (32u << 20)  /* the biggest DFP pdsc files are a few MiB */
#define MAX_MEMBER (16u << 20) /* an FLM */

struct lf_pack {
  char *path, *pdsc;
  char name[128];
  zip_t *zip;
  lf_pack_device *dev;
  size_t ndev, cap;
};

const char *lf_pack_path(const lf_pack *k) { return k->path; }
const char *lf_pack_pdsc(const lf_pack *k) { return k->pdsc; }
const char *lf_pack_name(const lf_pack *k) { return k->name; }
size_t lf_pack_count(const lf_pack *k) { return k->ndev; }
const lf_pack_device *lf_pack_device_at(const lf_pack *k, size_t i) { return i < k->ndev ? &k->dev[i] : NULL; }

void lf_pack_free(lf_pack *k)
{
  if (!k)
    return;
  if (k->zip)
    zip_discard(k->zip);
  free(k->path);
  free(k->pdsc);
  free(k->dev);
  free(k);
}

/* A member of the zip, whole (bounded). */
static int read_member(lf_session *s, const lf_pack *k, const char *name, uint8_t **data, size_t *len,
                       size_t max)
{
  *data = NULL;
  if (!k->zip)
    return lf_err_set(s, LF_EINVAL, "%s: no file '%s': a .pdsc without its pack", k->path, name);
  zip_int64_t i = zip_name_locate(k->zip, name, 0);
  if (i < 0)
    i = zip_name_locate(k->zip, name, ZIP_FL_NOCASE);
  if (i < 0)
    return lf_err_set(s, LF_EINVAL, "%s: no file '%s' in the pack", k->path, name);
  zip_stat_t st;
  if (zip_stat_index(k->zip, (zip_uint64_t)i, 0, &st) || !(st.valid & ZIP_STAT_SIZE))
    return lf_err_set(s, LF_EINVAL, "%s: %s: %s", k->path, name, zip_strerror(k->zip));
  if (st.size > max)
    return lf_err_set(s, LF_EINVAL, "%s: %s: %llu bytes, more than %zu MiB", k->path, name,
                      (unsigned long long)st.size, max >> 20);
  zip_file_t *f = zip_fopen_index(k->zip, (zip_uint64_t)i, 0);
  uint8_t *buf = malloc(st.size + 1);
  if (!f || !buf) {
    free(buf);
    int r = f ? lf_err_set(s, LF_ENOMEM, "%s: out of memory", k->path)
              : lf_err_set(s, LF_EINVAL, "%s: %s: %s", k->path, name, zip_strerror(k->zip));
    if (f)
      zip_fclose(f);
    return r;
  }
  zip_int64_t n = zip_fread(f, buf, st.size);
  int r = 0;
  if (n < 0 || (zip_uint64_t)n != st.size)
    r = lf_err_set(s, LF_EINVAL, "%s: %s: %s (read %lld of %llu bytes: a damaged pack?)", k->path, name,
                   zip_file_strerror(f), (long long)n, (unsigned long long)st.size);
  zip_fclose(f);
  if (r) {
    free(buf);
    return r;
  }
  buf[st.size] = 0;
  *data = buf;
  *len = st.size;
  return 0;
}

/* ---- the device tree ---- */

typedef struct level {
  int depth;
  size_t nmem, nalgo;
  lf_pack_memory mem[LF_PACK_MAX_MEMS];
  lf_pack_algo algo[LF_PACK_MAX_ALGOS];
  char core[32];
} level;

typedef struct walk {
  lf_session *s;
  lf_pack *k;
  int rc;
} walk;

static bool is(const xmlNode *n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

/* Attribute value copied into buf ("" when absent); false when absent. */
static bool attr(const xmlNode *n, const char *name, char *buf, size_t len)
{
  xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
  buf[0] = 0;
  if (!v)
    return false;
  snprintf(buf, len, "%s", (const char *)v);
  xmlFree(v);
  return true;
}

static int number(walk *w, const xmlNode *n, const char *name, uint32_t *out, bool required)
{
  char v[64];
  *out = 0;
  if (!attr(n, name, v, sizeof v))
    return required ? lf_err_set(w->s, LF_EINVAL, "%s: %s line %ld: <%s> has no %s", w->k->path, w->k->pdsc,
                                 xmlGetLineNo(n), (const char *)n->name, name)
                    : 0;
  char *end;
  unsigned long long x = strtoull(v, &end, 0);
  while (isspace((unsigned char)*end))
    end++;
  if (end == v || *end || x > 0xFFFFFFFFull)
    return lf_err_set(w->s, LF_EINVAL, "%s: %s line %ld: <%s %s=\"%s\">: expected a 32-bit number",
                      w->k->path, w->k->pdsc, xmlGetLineNo(n), (const char *)n->name, name, v);
  *out = (uint32_t)x;
  return 0;
}

static bool truthy(const xmlNode *n, const char *name)
{
  char v[16];
  return attr(n, name, v, sizeof v) && (!strcmp(v, "1") || !strcasecmp(v, "true"));
}

/* Adds the <memory>, <algorithm>, <processor> children of n to the level. */
static int collect(walk *w, const xmlNode *n, level *lv)
{
  for (const xmlNode *c = n->children; c && !w->rc; c = c->next) {
    if (is(c, "memory")) {
      lf_pack_memory m = {0};
      if (!attr(c, "name", m.name, sizeof m.name))
        attr(c, "id", m.name, sizeof m.name);
      if (!attr(c, "access", m.access, sizeof m.access)) {
        /* only an id: IRAMn/RAMn read-write-execute, IROMn/ROMn read-execute (pyOCD's rule, 5.3) */
        snprintf(m.access, sizeof m.access, "%s", strstr(m.name, "RAM") ? "rwx" : "rx");
      }
      if ((w->rc = number(w, c, "start", &m.start, true)) || (w->rc = number(w, c, "size", &m.size, true)))
        return w->rc;
      m.is_default = truthy(c, "default");
      m.startup = truthy(c, "startup");
      size_t i = 0;
      while (i < lv->nmem && strcmp(lv->mem[i].name, m.name))
        i++;
      if (i == LF_PACK_MAX_MEMS)
        return w->rc = lf_err_set(w->s, LF_EINVAL, "%s: %s line %ld: more than %d memories", w->k->path,
                                  w->k->pdsc, xmlGetLineNo(c), LF_PACK_MAX_MEMS);
      lv->mem[i] = m;
      if (i == lv->nmem)
        lv->nmem++;
    } else if (is(c, "algorithm")) {
      char style[32];
      if (attr(c, "style", style, sizeof style) && strcasecmp(style, "Keil"))
        continue; /* IAR / CMSIS styles: not an FLM of this kind (5.4) */
      lf_pack_algo a = {0};
      if (!attr(c, "name", a.path, sizeof a.path))
        return w->rc = lf_err_set(w->s, LF_EINVAL, "%s: %s line %ld: <algorithm> has no name", w->k->path,
                                  w->k->pdsc, xmlGetLineNo(c));
      for (char *p = a.path; *p; p++)
        if (*p == '\\')
          *p = '/';
      if ((w->rc = number(w, c, "start", &a.start, true)) || (w->rc = number(w, c, "size", &a.size, true)) ||
          (w->rc = number(w, c, "RAMstart", &a.ram_start, false)) ||
          (w->rc = number(w, c, "RAMsize", &a.ram_size, false)))
        return w->rc;
      a.is_default = truthy(c, "default");
      a.depth = lv->depth;
      size_t i = 0; /* the same range again: the inner level wins (5.2) */
      while (i < lv->nalgo && !(lv->algo[i].start == a.start && lv->algo[i].size == a.size))
        i++;
      if (i == LF_PACK_MAX_ALGOS)
        return w->rc = lf_err_set(w->s, LF_EINVAL, "%s: %s line %ld: more than %d algorithms", w->k->path,
                                  w->k->pdsc, xmlGetLineNo(c), LF_PACK_MAX_ALGOS);
      lv->algo[i] = a;
      if (i == lv->nalgo)
        lv->nalgo++;
    } else if (is(c, "processor")) {
      attr(c, "Dcore", lv->core, sizeof lv->core);
    }
  }
  return w->rc;
}

static int add_device(walk *w, const xmlNode *n, const level *lv, const char *name, const char *family,
                      const char *sub, const char *device)
{
  lf_pack *k = w->k;
  if (k->ndev == k->cap) {
    size_t cap = k->cap ? 2 * k->cap : 16;
    lf_pack_device *d = realloc(k->dev, cap * sizeof *d);
    if (!d)
      return w->rc = lf_err_set(w->s, LF_ENOMEM, "%s: out of memory", k->path);
    k->dev = d;
    k->cap = cap;
  }
  lf_pack_device *d = &k->dev[k->ndev++];
  memset(d, 0, sizeof *d);
  snprintf(d->name, sizeof d->name, "%s", name);
  snprintf(d->family, sizeof d->family, "%s", family);
  snprintf(d->subfamily, sizeof d->subfamily, "%s", sub);
  snprintf(d->device, sizeof d->device, "%s", device);
  snprintf(d->core, sizeof d->core, "%s", lv->core);
  d->nmem = lv->nmem;
  memcpy(d->mem, lv->mem, sizeof d->mem);
  d->nalgo = lv->nalgo;
  memcpy(d->algo, lv->algo, sizeof d->algo);
  d->line = (int)xmlGetLineNo(n);
  return 0;
}

/* One <device>: itself, or its variants. */
static int device(walk *w, const xmlNode *n, level lv, const char *family, const char *sub)
{
  char name[64];
  if (!attr(n, "Dname", name, sizeof name))
    return w->rc = lf_err_set(w->s, LF_EINVAL, "%s: %s line %ld: <device> has no Dname", w->k->path,
                              w->k->pdsc, xmlGetLineNo(n));
  lv.depth = 2;
  if (collect(w, n, &lv))
    return w->rc;
  bool variants = false;
  for (const xmlNode *c = n->children; c && !w->rc; c = c->next) {
    if (!is(c, "variant"))
      continue;
    variants = true;
    char vn[64];
    if (!attr(c, "Dvariant", vn, sizeof vn))
      return w->rc = lf_err_set(w->s, LF_EINVAL, "%s: %s line %ld: <variant> has no Dvariant", w->k->path,
                                w->k->pdsc, xmlGetLineNo(c));
    level v = lv;
    v.depth = 3;
    if (!collect(w, c, &v))
      add_device(w, c, &v, vn, family, sub, name);
  }
  if (!variants && !w->rc)
    add_device(w, n, &lv, name, family, sub, "");
  return w->rc;
}

static int family(walk *w, const xmlNode *n)
{
  char fam[64], sub[64];
  attr(n, "Dfamily", fam, sizeof fam);
  level lv;
  memset(&lv, 0, sizeof lv);
  if (collect(w, n, &lv))
    return w->rc;
  for (const xmlNode *c = n->children; c && !w->rc; c = c->next) {
    if (is(c, "device")) {
      device(w, c, lv, fam, "");
    } else if (is(c, "subFamily")) {
      attr(c, "DsubFamily", sub, sizeof sub);
      level sl = lv;
      sl.depth = 1;
      if (collect(w, c, &sl))
        break;
      for (const xmlNode *d = c->children; d && !w->rc; d = d->next)
        if (is(d, "device"))
          device(w, d, sl, fam, sub);
    }
  }
  return w->rc;
}

static int parse_pdsc(lf_session *s, lf_pack *k, const uint8_t *xml, size_t len)
{
  xmlParserCtxtPtr ctx = xmlNewParserCtxt();
  if (!ctx)
    return lf_err_set(s, LF_ENOMEM, "%s: out of memory", k->path);
  xmlDocPtr doc = xmlCtxtReadMemory(ctx, (const char *)xml, (int)len, k->pdsc, NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  int rc = 0;
  if (!doc) {
    const xmlError *e = xmlCtxtGetLastError(ctx);
    char msg[160] = "not XML";
    if (e && e->message) {
      snprintf(msg, sizeof msg, "%s", e->message);
      size_t m = strlen(msg);
      while (m && (msg[m - 1] == '\n' || msg[m - 1] == ' '))
        msg[--m] = 0;
    }
    rc = lf_err_set(s, LF_EINVAL, "%s: %s line %d: %s", k->path, k->pdsc, e ? e->line : 0, msg);
    xmlFreeParserCtxt(ctx);
    return rc;
  }
  xmlNodePtr root = xmlDocGetRootElement(doc);
  if (!root || !is(root, "package")) {
    rc = lf_err_set(s, LF_EINVAL, "%s: %s: the root element is not <package>", k->path, k->pdsc);
  } else {
    char vendor[64] = "", name[64] = "";
    walk w = {s, k, 0};
    for (const xmlNode *c = root->children; c && !w.rc; c = c->next) {
      if (is(c, "vendor") || is(c, "name")) {
        xmlChar *t = xmlNodeGetContent(c);
        snprintf(is(c, "vendor") ? vendor : name, 64, "%s", t ? (const char *)t : "");
        xmlFree(t);
      } else if (is(c, "devices")) {
        for (const xmlNode *f = c->children; f && !w.rc; f = f->next)
          if (is(f, "family"))
            family(&w, f);
      }
    }
    snprintf(k->name, sizeof k->name, "%s.%s", vendor, name);
    rc = w.rc;
    if (!rc && !k->ndev)
      rc = lf_err_set(s, LF_EINVAL, "%s: %s describes no devices", k->path, k->pdsc);
  }
  xmlFreeDoc(doc);
  xmlFreeParserCtxt(ctx);
  return rc;
}

/* The pack's zip is open in k: finds its .pdsc and reads it. */
static int read_pack(lf_session *s, lf_pack *k)
{
  const char *path = k->path;
  int rc = 0;
  /* the one .pdsc at the root (5.1); one folder deep is accepted too */
  zip_int64_t n = zip_get_num_entries(k->zip, 0);
  const char *found = NULL;
  int depth_found = 3;
  for (zip_int64_t i = 0; i < n; i++) {
    const char *nm = zip_get_name(k->zip, (zip_uint64_t)i, 0);
    size_t l = nm ? strlen(nm) : 0;
    if (l < 6 || strcasecmp(nm + l - 5, ".pdsc"))
      continue;
    int depth = 0;
    for (const char *p = nm; *p; p++)
      depth += *p == '/';
    if (depth > 1)
      continue;
    if (depth == depth_found) {
      rc = lf_err_set(s, LF_EINVAL, "%s: two .pdsc files (%s, %s): a pack has one", path, found, nm);
      break;
    }
    if (depth < depth_found) {
      found = nm;
      depth_found = depth;
    }
  }
  if (!rc && !found)
    rc = lf_err_set(s, LF_EINVAL, "%s: no .pdsc file at the root: not a CMSIS pack", path);
  if (!rc && !(k->pdsc = strdup(found)))
    rc = lf_err_set(s, LF_ENOMEM, "pack: out of memory");
  uint8_t *xml = NULL;
  size_t len = 0;
  if (!rc)
    rc = read_member(s, k, k->pdsc, &xml, &len, MAX_PDSC);
  if (!rc)
    rc = parse_pdsc(s, k, xml, len);
  free(xml);
  return rc;
}

static lf_pack *new_pack(lf_session *s, const char *path)
{
  lf_pack *k = calloc(1, sizeof *k);
  if (!k || !(k->path = strdup(path))) {
    free(k);
    lf_err_set(s, LF_ENOMEM, "pack: out of memory");
    return NULL;
  }
  return k;
}

static int zip_failed(lf_session *s, lf_pack *k, zip_error_t *ze)
{
  int rc = lf_err_set(s, LF_EINVAL, "%s: not a readable pack (zip): %s", k->path, zip_error_strerror(ze));
  zip_error_fini(ze);
  lf_pack_free(k);
  return rc;
}

static int finish(lf_pack *k, int rc, lf_pack **out)
{
  if (rc) {
    lf_pack_free(k);
    return rc;
  }
  *out = k;
  return 0;
}

int lf_pack_open(lf_session *s, const char *path, lf_pack **out)
{
  *out = NULL;
  lf_pack *k = new_pack(s, path);
  if (!k)
    return LF_ENOMEM;
  int err = 0;
  k->zip = zip_open(path, ZIP_RDONLY, &err);
  if (!k->zip) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    return zip_failed(s, k, &ze);
  }
  return finish(k, read_pack(s, k), out);
}

int lf_pack_open_buffer(lf_session *s, const char *name, const uint8_t *data, size_t len, lf_pack **out)
{
  *out = NULL;
  lf_pack *k = new_pack(s, name);
  if (!k)
    return LF_ENOMEM;
  if (!len) {
    int rc = lf_err_set(s, LF_EINVAL, "%s: not a readable pack (zip): empty", name);
    lf_pack_free(k);
    return rc;
  }
  uint8_t *copy = malloc(len);
  if (!copy) {
    lf_pack_free(k);
    return lf_err_set(s, LF_ENOMEM, "pack: out of memory");
  }
  memcpy(copy, data, len);
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *src = zip_source_buffer_create(copy, len, 1, &ze);
  if (!src) {
    free(copy);
    return zip_failed(s, k, &ze);
  }
  k->zip = zip_open_from_source(src, ZIP_RDONLY, &ze);
  if (!k->zip) {
    zip_source_free(src); /* frees copy */
    return zip_failed(s, k, &ze);
  }
  zip_error_fini(&ze);
  return finish(k, read_pack(s, k), out);
}

int lf_pack_open_pdsc(lf_session *s, const char *name, const uint8_t *xml, size_t len, lf_pack **out)
{
  *out = NULL;
  lf_pack *k = new_pack(s, name);
  if (!k)
    return LF_ENOMEM;
  if (!(k->pdsc = strdup(name))) {
    lf_pack_free(k);
    return lf_err_set(s, LF_ENOMEM, "pack: out of memory");
  }
  return finish(k, parse_pdsc(s, k, xml, len), out);
}

int lf_pack_find(lf_session *s, const lf_pack *k, const char *name, const lf_pack_device **out)
{
  *out = NULL;
  for (size_t i = 0; i < k->ndev; i++)
    if (!strcasecmp(k->dev[i].name, name)) {
      *out = &k->dev[i];
      return 0;
    }
  char list[512] = "";
  size_t o = 0;
  bool parent = false;
  for (size_t i = 0; i < k->ndev; i++)
    if (!strcasecmp(k->dev[i].device, name)) {
      parent = true;
      o += (size_t)snprintf(list + o, o < sizeof list ? sizeof list - o : 0, "%s%s", o ? ", " : "", k->dev[i].name);
    }
  if (parent)
    return lf_err_set(s, LF_EINVAL, "%s: %s has variants: name one of %s", k->path, name, list);
  for (size_t i = 0; i < k->ndev && i < 8; i++)
    o += (size_t)snprintf(list + o, o < sizeof list ? sizeof list - o : 0, "%s%s", o ? ", " : "", k->dev[i].name);
  return lf_err_set(s, LF_EINVAL, "%s (%s): no device '%s' in the pack (it has %zu: %s%s; luaflash chips "
                    "--pack FILE lists them)", k->path, k->name, name, k->ndev, list, k->ndev > 8 ? ", ..." : "");
}

int lf_pack_device_algo(lf_session *s, const lf_pack *k, const lf_pack_device *d, const lf_pack_algo **algo,
                        const lf_pack_memory **flash)
{
  *algo = NULL;
  *flash = NULL;
  const lf_pack_memory *boot = NULL;
  for (size_t i = 0; i < d->nmem && !boot; i++)
    if (d->mem[i].startup)
      boot = &d->mem[i];
  for (size_t i = 0; i < d->nmem && !boot; i++)
    if (strchr(d->mem[i].access, 'x') && !strchr(d->mem[i].access, 'w'))
      boot = &d->mem[i];
  if (!boot)
    return lf_err_set(s, LF_EINVAL, "%s: %s (%s line %d) has no boot flash memory (startup=\"1\" or a "
                      "read-only executable <memory>)", k->path, d->name, k->pdsc, d->line);
  const lf_pack_algo *best = NULL;
  for (size_t i = 0; i < d->nalgo; i++) {
    const lf_pack_algo *a = &d->algo[i];
    if (!a->is_default || a->start > boot->start || (uint64_t)a->start + a->size <= boot->start)
      continue;
    if (!best || a->depth > best->depth)
      best = a;
  }
  if (!best)
    return lf_err_set(s, LF_EINVAL, "%s: %s (%s line %d): no default flash algorithm covers its flash at "
                      "0x%08x", k->path, d->name, k->pdsc, d->line, boot->start);
  *algo = best;
  *flash = boot;
  return 0;
}

int lf_pack_part(lf_session *s, const lf_pack *k, const lf_pack_device *d, const lf_flm_part_cfg *cfg,
                 lf_flm_part **out)
{
  *out = NULL;
  const lf_pack_algo *a;
  const lf_pack_memory *m;
  int r = lf_pack_device_algo(s, k, d, &a, &m);
  if (r)
    return r;
  uint8_t *data = NULL;
  size_t len = 0;
  if ((r = read_member(s, k, a->path, &data, &len, MAX_MEMBER)))
    return r;
  char name[600];
  snprintf(name, sizeof name, "%s:%s", k->path, a->path);
  lf_flm *f = NULL;
  r = lf_flm_parse(s, name, data, len, &f);
  free(data);
  if (r)
    return r;
  lf_flm_part_cfg c = *cfg;
  c.name = d->name;
  /* the dispatcher is ARMv7-M code: an ARMv6-M / ARMv8-M baseline core runs
   * the algorithm classic */
  static const char *const baseline[] = {"Cortex-M0", "Cortex-M0+", "Cortex-M1", "Cortex-M23", NULL};
  for (int i = 0; baseline[i]; i++)
    if (!strcasecmp(d->core, baseline[i]) && c.mode == LF_FLM_AUTO) {
      c.mode = LF_FLM_CLASSIC;
      lf_log(s, LF_LOG_INFO, "%s: %s core: the algorithm runs classic (luaflash's dispatcher needs "
             "ARMv7-M)", d->name, d->core);
    }
  /* the algorithm's range clipped to the boot memory (pyOCD clips to <memory>, 2.2) */
  uint64_t lo = a->start > m->start ? a->start : m->start;
  uint64_t hi = (uint64_t)a->start + a->size, mh = (uint64_t)m->start + m->size;
  if (mh < hi)
    hi = mh;
  c.flash_start = (uint32_t)lo;
  c.flash_size = (uint32_t)(hi - lo);
  if (!c.ram_size) {
    if (a->ram_size) {
      c.ram_start = a->ram_start;
      c.ram_size = a->ram_size;
    } else {
      for (size_t i = 0; i < d->nmem && !c.ram_size; i++)
        if (d->mem[i].is_default && strchr(d->mem[i].access, 'r') && strchr(d->mem[i].access, 'w') &&
            strchr(d->mem[i].access, 'x')) {
          c.ram_start = d->mem[i].start;
          c.ram_size = d->mem[i].size;
        }
      if (!c.ram_size) {
        lf_flm_free(f);
        return lf_err_set(s, LF_EINVAL, "%s: %s: no RAM for the algorithm (no RAMstart/RAMsize and no "
                          "default rwx <memory>)", k->path, d->name);
      }
    }
  }
  return lf_flm_part_new(s, f, &c, out);
}
