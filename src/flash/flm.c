/* FLM reader (flm.h): the ELF container, the sections, the entry points and
 * the FlashDevice description; the geometry of a part. Facts:
 * cmsis-pack-flm.md 1 (layout, sections, symbols, how hosts build the RAM
 * image), 2 (FlashDevice, sector ranges, page size), 8 (checklist).
 *
 * Decisions:
 *  - Every offset and size read from the file is checked against the file
 *    before use; nothing is allocated from a size the file gives before it
 *    is bounded (LF_FLM_MAX_IMAGE, the file size).
 *  - Sections are found by (name, type) like both reference hosts; a
 *    duplicate, a relocation section or a PrgCode that is not executable is
 *    an error. Entry points: the four the spec makes mandatory must exist,
 *    be Thumb (bit 0) and lie in PrgCode.
 *  - FlashDevice is read from the load segment's file bytes (a ZI section
 *    may share its addresses, 1.2), via its symbol, else the DevDscr
 *    section.
 *  - Sector terminator: either word 0xFFFFFFFF ends the list (target-gen);
 *    pyOCD needs both (2.1: harmless for valid files). */
#include "flash/flm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "core/fileio.h"

#define SHT_PROGBITS 1u
#define SHT_SYMTAB 2u
#define SHT_RELA 4u
#define SHT_NOBITS 8u
#define SHT_REL 9u
#define SHF_EXECINSTR 4u
#define PT_LOAD 1u
#define EM_ARM 40u
#define ET_EXEC 2u
#define DEV_FIXED 160u
#define LF_FLM_MAX_FILE (16u << 20) /* with debug info; the biggest checked is < 1 MiB */ /* FlashDevice bytes before the sectors (2.1) */

static const char *const func_names[LF_FLM_NFUNCS] = {"Init",      "UnInit", "EraseSector", "ProgramPage",
                                                     "EraseChip", "Verify", "BlankCheck"};

const char *lf_flm_func_name(int fn)
{
  return fn >= 0 && fn < LF_FLM_NFUNCS ? func_names[fn] : "?";
}

typedef struct rd {
  lf_session *s;
  const char *name;
  const uint8_t *d;
  size_t n;
} rd;

static uint16_t u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t u32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* [off, off + len) inside the file. */
static bool in_file(const rd *r, uint64_t off, uint64_t len) { return off <= r->n && len <= r->n - off; }

typedef struct sec {
  uint32_t name, type, flags, addr, off, size, link;
} sec;

/* "section 3: file bytes 0x1234.. pass the end of the file (truncated?)" */
static int past_end(const rd *r, const char *what, unsigned i, uint32_t off)
{
  return lf_err_set(r->s, LF_EINVAL, "%s: not a usable FLM: %s %u: file bytes from 0x%x pass the end of "
                    "the %zu-byte file (truncated?)", r->name, what, i, off, r->n);
}

/* A NUL-terminated name at off inside the string table t (bounded). Only
 * sections with file bytes were checked against the file's end: a table of
 * another type (NOBITS, NULL) has none here. */
static const char *str_at(const rd *r, const sec *t, uint32_t off)
{
  if (!t || t->type == SHT_NOBITS || t->type == 0 || off >= t->size || !in_file(r, t->off, t->size))
    return NULL;
  const char *p = (const char *)r->d + t->off + off;
  size_t max = t->size - off;
  return memchr(p, 0, max) ? p : NULL;
}

static int parse_device(const rd *r, const uint8_t *p, size_t avail, uint32_t at, lf_flm *f)
{
  if (avail < DEV_FIXED + 8)
    return lf_err_set(r->s, LF_EINVAL, "%s: FlashDevice at 0x%x: only %zu bytes in the file, "
                      "expected at least %u (the fixed part and one sector entry)", r->name, at, avail,
                      DEV_FIXED + 8);
  f->version = u16(p);
  memcpy(f->dev_name, p + 2, 128);
  f->dev_name[128] = 0;
  if (!memchr(p + 2, 0, 128))
    return lf_err_set(r->s, LF_EINVAL, "%s: FlashDevice.DevName (file offset 0x%x) is not "
                      "NUL-terminated within its 128 bytes", r->name, at + 2);
  f->dev_type = u16(p + 130);
  f->dev_addr = u32(p + 132);
  f->dev_size = u32(p + 136);
  f->page_size = u32(p + 140);
  f->erased = p[148];
  f->prog_timeout_ms = u32(p + 152);
  f->erase_timeout_ms = u32(p + 156);
  if (f->dev_size == 0 || (uint64_t)f->dev_addr + f->dev_size > 0x100000000ull)
    return lf_err_set(r->s, LF_EINVAL, "%s: FlashDevice \"%s\": device 0x%08x + 0x%x passes the end of "
                      "the address space or is empty", r->name, f->dev_name, f->dev_addr, f->dev_size);
  if (f->page_size == 0 || f->page_size > LF_FLM_MAX_PAGE)
    return lf_err_set(r->s, LF_EINVAL, "%s: FlashDevice \"%s\": page size %u bytes (expected 1 .. %u)",
                      r->name, f->dev_name, f->page_size, LF_FLM_MAX_PAGE);
  size_t n = 0;
  for (;; n++) {
    size_t o = DEV_FIXED + 8 * n;
    if (n == LF_FLM_MAX_RANGES || o + 8 > avail)
      return lf_err_set(r->s, LF_EINVAL, "%s: FlashDevice \"%s\": sector list (file offset 0x%x) has no "
                        "end marker 0xFFFFFFFF within %zu entries", r->name, f->dev_name, at + DEV_FIXED, n);
    uint32_t size = u32(p + o), off = u32(p + o + 4);
    if (size == 0xFFFFFFFFu || off == 0xFFFFFFFFu)
      break;
  }
  if (n == 0)
    return lf_err_set(r->s, LF_EINVAL, "%s: FlashDevice \"%s\": no sectors", r->name, f->dev_name);
  f->ranges = calloc(n, sizeof *f->ranges);
  if (!f->ranges)
    return lf_err_set(r->s, LF_ENOMEM, "%s: out of memory", r->name);
  for (size_t i = 0; i < n; i++) {
    uint32_t size = u32(p + DEV_FIXED + 8 * i), off = u32(p + DEV_FIXED + 8 * i + 4);
    unsigned ent = (unsigned)(at + DEV_FIXED + 8 * i);
    if (size == 0 || off >= f->dev_size)
      return lf_err_set(r->s, LF_EINVAL, "%s: FlashDevice \"%s\": sector entry %zu (file offset 0x%x): "
                        "size 0x%x at offset 0x%x (expected a size > 0 inside the 0x%x-byte device)",
                        r->name, f->dev_name, i, ent, size, off, f->dev_size);
    if ((i == 0 && off != 0) || (i > 0 && off <= f->ranges[i - 1].offset))
      return lf_err_set(r->s, LF_EINVAL, "%s: FlashDevice \"%s\": sector entry %zu (file offset 0x%x): "
                        "offset 0x%x (expected %s)", r->name, f->dev_name, i, ent, off,
                        i == 0 ? "0: the first range starts the device" : "offsets ascending");
    uint32_t end = i + 1 < n ? u32(p + DEV_FIXED + 8 * (i + 1) + 4) : f->dev_size;
    if (end > f->dev_size)
      end = f->dev_size;
    if (end > off && (end - off) % size)
      return lf_err_set(r->s, LF_EINVAL, "%s: FlashDevice \"%s\": sector entry %zu: 0x%x bytes from offset "
                        "0x%x are not whole sectors of 0x%x", r->name, f->dev_name, i, end - off, off, size);
    f->ranges[i] = (lf_flm_range){size, off};
  }
  f->nranges = n;
  uint32_t smallest = f->ranges[0].size;
  for (size_t i = 1; i < n; i++)
    if (f->ranges[i].size < smallest)
      smallest = f->ranges[i].size;
  if (f->page_size > smallest) {
    /* pyOCD clamps the same way (2.3): a page never crosses a sector */
    lf_log(r->s, LF_LOG_WARN, "%s: page size %u is larger than the smallest sector (%u): using %u",
           r->name, f->page_size, smallest, smallest);
    f->page_size = smallest;
  }
  return 0;
}

int lf_flm_parse(lf_session *s, const char *name, const uint8_t *d, size_t n, lf_flm **out)
{
  *out = NULL;
  rd r = {s, name, d, n};
  if (n < 52 || memcmp(d, "\177ELF", 4) != 0)
    return lf_err_set(s, LF_EINVAL, "%s: not an FLM: %s", name,
                      n < 52 ? "shorter than an ELF header (truncated?)" : "no ELF magic at offset 0");
  if (d[4] != 1 || d[5] != 1)
    return lf_err_set(s, LF_EINVAL, "%s: not an FLM: ELF class %u / data %u at offset 4 (expected 32-bit "
                      "little-endian, 1/1)", name, d[4], d[5]);
  if (u16(d + 18) != EM_ARM || u16(d + 16) != ET_EXEC)
    return lf_err_set(s, LF_EINVAL, "%s: not an FLM: ELF type %u machine %u (expected an executable (2) for "
                      "ARM (40))", name, u16(d + 16), u16(d + 18));
  uint32_t shoff = u32(d + 32), phoff = u32(d + 28);
  unsigned shentsize = u16(d + 46), shnum = u16(d + 48), shstrndx = u16(d + 50);
  unsigned phentsize = u16(d + 42), phnum = u16(d + 44);
  if (shentsize < 40 || shnum == 0 || shstrndx >= shnum || !in_file(&r, shoff, (uint64_t)shnum * shentsize))
    return lf_err_set(s, LF_EINVAL, "%s: not a usable FLM: section table at 0x%x (%u x %u bytes, names in "
                      "%u) is outside the %zu-byte file (truncated?)", name, shoff, shnum, shentsize,
                      shstrndx, n);
  if (phnum && (phentsize < 32 || !in_file(&r, phoff, (uint64_t)phnum * phentsize)))
    return lf_err_set(s, LF_EINVAL, "%s: not a usable FLM: program headers at 0x%x (%u x %u bytes) are "
                      "outside the %zu-byte file (truncated?)", name, phoff, phnum, phentsize, n);
  sec *sh = calloc(shnum, sizeof *sh);
  lf_flm *f = calloc(1, sizeof *f);
  int rc = 0;
  if (!sh || !f || !(f->path = strdup(name))) {
    rc = lf_err_set(s, LF_ENOMEM, "%s: out of memory", name);
    goto out;
  }
  for (unsigned i = 0; i < shnum; i++) {
    const uint8_t *e = d + shoff + (size_t)i * shentsize;
    sh[i] = (sec){u32(e), u32(e + 4), u32(e + 8), u32(e + 12), u32(e + 16), u32(e + 20), u32(e + 24)};
    if (sh[i].type != SHT_NOBITS && sh[i].type != 0 && !in_file(&r, sh[i].off, sh[i].size)) {
      rc = past_end(&r, "section", i, sh[i].off);
      goto out;
    }
  }
  const sec *names = &sh[shstrndx];
  int code = -1, data = -1, zi = -1, dscr = -1, symtab = -1;
  for (unsigned i = 1; i < shnum; i++) {
    const char *nm = str_at(&r, names, sh[i].name);
    if (!nm) {
      rc = lf_err_set(s, LF_EINVAL, "%s: not a usable FLM: section %u: name offset 0x%x is outside the "
                      "section names", name, i, sh[i].name);
      goto out;
    }
    if (sh[i].type == SHT_REL || sh[i].type == SHT_RELA) {
      rc = lf_err_set(s, LF_EINVAL, "%s: relocation section '%s': FLMs are position independent and "
                      "carry none (cmsis-pack-flm.md 1.2); this file needs a linker that luaflash is not",
                      name, nm);
      goto out;
    }
    int *slot = NULL;
    if (!strcmp(nm, "PrgCode") && sh[i].type == SHT_PROGBITS)
      slot = &code;
    else if (!strcmp(nm, "PrgData") && sh[i].type == SHT_PROGBITS)
      slot = &data;
    else if (!strcmp(nm, "PrgData") && sh[i].type == SHT_NOBITS)
      slot = &zi;
    else if (!strcmp(nm, "DevDscr"))
      slot = &dscr;
    else if (sh[i].type == SHT_SYMTAB)
      slot = &symtab;
    if (slot && *slot >= 0) {
      rc = lf_err_set(s, LF_EINVAL, "%s: two sections '%s' of the same kind (sections %d and %u)", name, nm,
                      *slot, i);
      goto out;
    }
    if (slot)
      *slot = (int)i;
  }
  if (code < 0 || !(sh[code].flags & SHF_EXECINSTR) || sh[code].size == 0) {
    rc = lf_err_set(s, LF_EINVAL, "%s: no PrgCode section with code (expected an executable PROGBITS "
                    "section named PrgCode, cmsis-pack-flm.md 1.2)", name);
    goto out;
  }
  if (symtab < 0 || sh[symtab].link >= shnum || sh[symtab].type != SHT_SYMTAB) {
    rc = lf_err_set(s, LF_EINVAL, "%s: no symbol table: the entry points (Init, ProgramPage ...) cannot "
                    "be found", name);
    goto out;
  }
  /* the RAM image: PrgCode at 0, PrgData (RW, ZI) at their offsets from it */
  uint32_t base = sh[code].addr;
  uint64_t code_end = (uint64_t)sh[code].size;
  uint64_t data_off = data >= 0 ? (uint64_t)sh[data].addr - base : code_end;
  uint64_t data_size = data >= 0 ? sh[data].size : 0;
  uint64_t zi_off = zi >= 0 ? (uint64_t)sh[zi].addr - base : data_off + data_size;
  uint64_t zi_size = zi >= 0 ? sh[zi].size : 0;
  if ((data >= 0 && sh[data].addr < base) || (zi >= 0 && sh[zi].addr < base) || data_off < code_end ||
      zi_off < data_off + data_size || zi_off + zi_size > LF_FLM_MAX_IMAGE) {
    rc = lf_err_set(s, LF_EINVAL, "%s: sections PrgCode 0x%x + 0x%x, PrgData 0x%llx + 0x%llx, ZI 0x%llx + "
                    "0x%llx: expected them in this order without overlap, at most %u KiB in all", name, base,
                    sh[code].size, (unsigned long long)(data_off + base), (unsigned long long)data_size,
                    (unsigned long long)(zi_off + base), (unsigned long long)zi_size,
                    LF_FLM_MAX_IMAGE / 1024);
    goto out;
  }
  f->link_addr = base;
  f->code_size = (uint32_t)code_end;
  f->data_off = (uint32_t)data_off;
  f->data_size = (uint32_t)data_size;
  f->zi_size = (uint32_t)zi_size;
  f->image_size = (uint32_t)(zi_off + zi_size);
  f->image = calloc(1, f->image_size);
  if (!f->image) {
    rc = lf_err_set(s, LF_ENOMEM, "%s: out of memory", name);
    goto out;
  }
  memcpy(f->image, d + sh[code].off, sh[code].size);
  if (data >= 0)
    memcpy(f->image + data_off, d + sh[data].off, sh[data].size);
  /* symbols */
  const sec *st = &sh[symtab], *strs = &sh[sh[symtab].link];
  uint32_t dev_sym = 0;
  bool have_dev = false;
  for (uint32_t o = 16; o + 16 <= st->size; o += 16) {
    const uint8_t *e = d + st->off + o;
    const char *nm = str_at(&r, strs, u32(e));
    if (!nm || !*nm)
      continue;
    uint32_t v = u32(e + 4);
    if (!strcmp(nm, "FlashDevice")) {
      dev_sym = v;
      have_dev = true;
      continue;
    }
    for (int k = 0; k < LF_FLM_NFUNCS; k++) {
      if (strcmp(nm, func_names[k]))
        continue;
      uint64_t off = (uint64_t)(v & ~1u) - base;
      if (v < base || off >= f->code_size) {
        rc = lf_err_set(s, LF_EINVAL, "%s: entry point %s at 0x%08x is outside PrgCode (0x%08x + 0x%x)",
                        name, nm, v, base, f->code_size);
        goto out;
      }
      if (!(v & 1u)) {
        rc = lf_err_set(s, LF_EINVAL, "%s: entry point %s at 0x%08x is ARM code (bit 0 clear): a "
                        "Cortex-M runs Thumb only", name, nm, v);
        goto out;
      }
      f->entry[k] = (uint32_t)off | 1u;
      f->has[k] = true;
    }
  }
  for (int k = 0; k <= LF_FLM_PROGRAM_PAGE; k++)
    if (!f->has[k]) {
      rc = lf_err_set(s, LF_EINVAL, "%s: entry point %s is missing (Init, UnInit, EraseSector and "
                      "ProgramPage are mandatory, cmsis-pack-flm.md 1.3)", name, func_names[k]);
      goto out;
    }
  /* FlashDevice from the file bytes of the load segment that holds it */
  uint32_t dev_at = have_dev ? dev_sym : dscr >= 0 ? sh[dscr].addr : 0;
  if (!have_dev && dscr < 0) {
    rc = lf_err_set(s, LF_EINVAL, "%s: no FlashDevice (neither the symbol nor a DevDscr section)", name);
    goto out;
  }
  const uint8_t *dp = NULL;
  size_t avail = 0;
  uint32_t dev_file = 0;
  for (unsigned i = 0; i < phnum && !dp; i++) {
    const uint8_t *ph = d + phoff + (size_t)i * phentsize;
    uint32_t type = u32(ph), off = u32(ph + 4), va = u32(ph + 8), filesz = u32(ph + 16), memsz = u32(ph + 20);
    uint32_t fsz = filesz < memsz ? filesz : memsz;
    if (type != PT_LOAD || dev_at < va || dev_at - va >= fsz)
      continue;
    if (!in_file(&r, off, fsz)) {
      rc = past_end(&r, "segment", i, off);
      goto out;
    }
    dev_file = off + (dev_at - va);
    dp = d + dev_file;
    avail = fsz - (dev_at - va);
  }
  if (!dp && dscr >= 0 && dev_at >= sh[dscr].addr && dev_at - sh[dscr].addr < sh[dscr].size &&
      sh[dscr].type == SHT_PROGBITS) {
    dev_file = sh[dscr].off + (dev_at - sh[dscr].addr);
    dp = d + dev_file;
    avail = sh[dscr].size - (dev_at - sh[dscr].addr);
  }
  if (!dp) {
    rc = lf_err_set(s, LF_EINVAL, "%s: FlashDevice at 0x%08x is in no loadable part of the file", name,
                    dev_at);
    goto out;
  }
  rc = parse_device(&r, dp, avail, dev_file, f);
out:
  free(sh);
  if (rc) {
    lf_flm_free(f);
    return rc;
  }
  *out = f;
  return 0;
}

int lf_flm_load(lf_session *s, const char *path, lf_flm **out)
{
  *out = NULL;
  struct stat st;
  /* bounded memory: a real FLM is some KiB (DevDscr alone 4256 bytes) */
  if (stat(path, &st) == 0 && st.st_size > (off_t)LF_FLM_MAX_FILE)
    return lf_err_set(s, LF_EINVAL, "%s: %lld bytes: too large for an FLM (at most %u MiB)", path,
                      (long long)st.st_size, LF_FLM_MAX_FILE >> 20);
  char *buf = NULL;
  size_t len = 0;
  int r = lf_file_read(s, path, &buf, &len);
  if (r)
    return r == LF_ENODEV ? lf_err_set(s, LF_EINVAL, "%s: no such FLM file", path) : r;
  r = lf_flm_parse(s, path, (const uint8_t *)buf, len, out);
  free(buf);
  return r;
}

void lf_flm_free(lf_flm *f)
{
  if (!f)
    return;
  free(f->path);
  free(f->ranges);
  free(f->image);
  free(f);
}
