/* Images (see image.h).
 *
 * Every parser appends "chunks": a run of bytes at one address with where it
 * came from (file, and the line or the byte offset of its first byte). A
 * HEX or S-record chunk is one record, so a conflict names the exact line.
 * lf_image_finish then translates aliases, checks regions chunk by chunk (so
 * an out-of-range address is named with its line), sorts the chunks by
 * address (stable), and merges them into segments. */
#include "flash/image.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* LOC_PATCH: bytes from lf_image_patch, laid over the files' data. */
enum { LOC_LINE, LOC_OFFSET, LOC_PATCH, LOC_BLOCK };

typedef struct chunk {
  uint32_t addr, len;
  size_t off;       /* bytes in im->pool */
  uint32_t src;     /* index in im->src */
  uint32_t loc;     /* line number, or file offset of the first byte */
  uint8_t loc_kind; /* LOC_* */
  size_t seq;       /* insertion order, keeps the sort stable */
  uint32_t uf2_family; /* UF2 block with a family ID: the ID; else 0 */
} chunk;

struct lf_image {
  chunk *ch;
  size_t nch, chcap;
  uint8_t *pool;
  size_t pool_len, pool_cap;
  char **src;
  size_t nsrc;
  lf_segment *seg;
  size_t nseg;
  uint64_t entry;
  uint64_t max_file; /* lf_image_set_max_file; 0 = LF_IMAGE_MAX_FILE */
};

void lf_image_set_max_file(lf_image *im, uint64_t bytes) { im->max_file = bytes; }

static uint64_t max_file(const lf_image *im) { return im->max_file ? im->max_file : LF_IMAGE_MAX_FILE; }

static int too_big(lf_session *s, const lf_image *im, const char *name)
{
  return lf_err_set(s, LF_EINVAL, "%s: larger than %llu MiB, the limit for an image file (raise it with the "
                    "setting image_max_mb)", name, (unsigned long long)(max_file(im) >> 20));
}

/* What a parser works on. */
typedef struct parse {
  lf_session *s;
  lf_image *im;
  const char *name;
  uint32_t src;
} parse;

lf_image *lf_image_new(void)
{
  lf_image *im = calloc(1, sizeof *im);
  if (im)
    im->entry = UINT64_MAX;
  return im;
}

static void free_segments(lf_image *im)
{
  for (size_t i = 0; i < im->nseg; i++)
    free(im->seg[i].data);
  free(im->seg);
  im->seg = NULL;
  im->nseg = 0;
}

void lf_image_free(lf_image *im)
{
  if (!im)
    return;
  free_segments(im);
  for (size_t i = 0; i < im->nsrc; i++)
    free(im->src[i]);
  free(im->src);
  free(im->ch);
  free(im->pool);
  free(im);
}

static const struct {
  const char *name;
  lf_image_format fmt;
} format_names[] = {
  {"auto", LF_IMAGE_AUTO}, {"bin", LF_IMAGE_BIN},   {"binary", LF_IMAGE_BIN}, {"hex", LF_IMAGE_IHEX},
  {"ihex", LF_IMAGE_IHEX}, {"elf", LF_IMAGE_ELF},   {"srec", LF_IMAGE_SREC},  {"s19", LF_IMAGE_SREC},
  {"s28", LF_IMAGE_SREC},  {"s37", LF_IMAGE_SREC},  {"mot", LF_IMAGE_SREC},  {"uf2", LF_IMAGE_UF2},
};

int lf_image_format_parse(const char *name)
{
  for (size_t i = 0; name && i < sizeof format_names / sizeof format_names[0]; i++)
    if (strcasecmp(name, format_names[i].name) == 0)
      return (int)format_names[i].fmt;
  return -1;
}

const char *lf_image_format_name(lf_image_format f)
{
  static const char *names[] = {"auto", "binary", "Intel HEX", "ELF", "S-record", "UF2"};
  return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "?";
}

size_t lf_image_count(const lf_image *im) { return im->nseg; }

const lf_segment *lf_image_segment(const lf_image *im, size_t i)
{
  return i < im->nseg ? &im->seg[i] : NULL;
}

uint64_t lf_image_bytes(const lf_image *im)
{
  uint64_t n = 0;
  for (size_t i = 0; i < im->nseg; i++)
    n += im->seg[i].len;
  return n;
}

uint64_t lf_image_entry(const lf_image *im) { return im->entry; }

/* ---- chunks ---- */

static int add_chunk(parse *p, uint64_t addr, const uint8_t *data, size_t len, uint32_t loc, int kind)
{
  lf_image *im = p->im;
  if (len == 0)
    return 0;
  if (addr + len > 0x100000000ull) {
    if (kind == LOC_LINE || kind == LOC_BLOCK)
      return lf_err_set(p->s, LF_EINVAL,
                        "%s %s %u: %zu bytes at 0x%08llX pass the end of the 32-bit address space",
                        p->name, kind == LOC_LINE ? "line" : "block", (unsigned)loc, len,
                        (unsigned long long)addr);
    return lf_err_set(p->s, LF_EINVAL,
                      "%s offset 0x%x: %zu bytes at 0x%08llX pass the end of the 32-bit address space",
                      p->name, (unsigned)loc, len, (unsigned long long)addr);
  }
  if (im->nch == im->chcap) {
    size_t cap = im->chcap ? 2 * im->chcap : 64;
    chunk *n = realloc(im->ch, cap * sizeof *n);
    if (!n)
      return lf_err_set(p->s, LF_ENOMEM, "%s: out of memory", p->name);
    im->ch = n;
    im->chcap = cap;
  }
  if (im->pool_len + len > im->pool_cap) {
    size_t cap = im->pool_cap ? im->pool_cap : 4096;
    while (cap < im->pool_len + len)
      cap *= 2;
    uint8_t *n = realloc(im->pool, cap);
    if (!n)
      return lf_err_set(p->s, LF_ENOMEM, "%s: out of memory", p->name);
    im->pool = n;
    im->pool_cap = cap;
  }
  memcpy(im->pool + im->pool_len, data, len);
  im->ch[im->nch] = (chunk){(uint32_t)addr, (uint32_t)len, im->pool_len, p->src, loc, (uint8_t)kind, im->nch, 0};
  im->nch++;
  im->pool_len += len;
  return 0;
}

/* "app.hex line 12" / "app.bin offset 0x10" for the byte at addr of c. */
static void describe(const lf_image *im, const chunk *c, uint32_t addr, char *buf, size_t n)
{
  if (c->loc_kind == LOC_LINE)
    snprintf(buf, n, "%s line %u", im->src[c->src], (unsigned)c->loc);
  else if (c->loc_kind == LOC_PATCH)
    snprintf(buf, n, "%s", im->src[c->src]);
  else if (c->loc_kind == LOC_BLOCK)
    snprintf(buf, n, "%s block %u", im->src[c->src], (unsigned)c->loc);
  else
    snprintf(buf, n, "%s offset 0x%x", im->src[c->src], (unsigned)(c->loc + (addr - c->addr)));
}

/* ---- text helpers (HEX, S-record) ---- */

typedef struct line_iter {
  const uint8_t *buf;
  size_t len, pos;
  unsigned no;
} line_iter;

/* Next line without its end-of-line characters and trailing blanks. */
static bool next_line(line_iter *it, const uint8_t **line, size_t *n)
{
  if (it->pos >= it->len)
    return false;
  const uint8_t *start = it->buf + it->pos;
  const uint8_t *nl = memchr(start, '\n', it->len - it->pos);
  size_t l = nl ? (size_t)(nl - start) : it->len - it->pos;
  it->pos += l + (nl ? 1 : 0);
  it->no++;
  while (l > 0 && (start[l - 1] == '\r' || start[l - 1] == ' ' || start[l - 1] == '\t'))
    l--;
  *line = start;
  *n = l;
  return true;
}

static int hexval(uint8_t c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static void show_char(uint8_t c, char *buf, size_t n)
{
  if (c >= 0x20 && c < 0x7F)
    snprintf(buf, n, "'%c'", c);
  else
    snprintf(buf, n, "byte 0x%02x", c);
}

/* Decodes the hex digits line[from..n) into out (n - from must be even);
 * the column of a bad character is reported 1-based. */
static int decode_hex(parse *p, unsigned lineno, const uint8_t *line, size_t from, size_t n, uint8_t *out)
{
  for (size_t i = from; i < n; i++)
    if (hexval(line[i]) < 0) {
      char ch[16];
      show_char(line[i], ch, sizeof ch);
      return lf_err_set(p->s, LF_EINVAL, "%s line %u column %zu: expected a hex digit, found %s", p->name,
                        lineno, i + 1, ch);
    }
  if ((n - from) % 2)
    return lf_err_set(p->s, LF_EINVAL, "%s line %u: truncated record: odd number of hex digits (%zu)",
                      p->name, lineno, n - from);
  for (size_t i = from, k = 0; i < n; i += 2, k++)
    out[k] = (uint8_t)(hexval(line[i]) << 4 | hexval(line[i + 1]));
  return 0;
}

static bool blank(const uint8_t *line, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
      return false;
  return true;
}

/* ---- Intel HEX ---- */

static int parse_ihex(parse *p, const uint8_t *buf, size_t len)
{
  static const char *type_names[] = {"data", "end-of-file", "extended segment address",
                                     "start segment address", "extended linear address",
                                     "start linear address"};
  static const uint8_t type_len[] = {0xFF, 0, 2, 4, 2, 4}; /* 0xFF: any */
  line_iter it = {buf, len, 0, 0};
  const uint8_t *line;
  size_t n;
  uint8_t rec[300];
  uint32_t base = 0;
  unsigned eof_line = 0;
  while (next_line(&it, &line, &n)) {
    if (blank(line, n))
      continue;
    if (eof_line)
      return lf_err_set(p->s, LF_EINVAL, "%s line %u: data after the end-of-file record on line %u",
                        p->name, it.no, eof_line);
    if (line[0] != ':') {
      char ch[16];
      show_char(line[0], ch, sizeof ch);
      return lf_err_set(p->s, LF_EINVAL, "%s line %u: expected ':' at the start of a record, found %s",
                        p->name, it.no, ch);
    }
    if (n - 1 > 2 * sizeof rec)
      return lf_err_set(p->s, LF_EINVAL, "%s line %u: record of %zu hex digits is longer than any record (520)",
                        p->name, it.no, n - 1);
    int rc = decode_hex(p, it.no, line, 1, n, rec);
    if (rc < 0)
      return rc;
    size_t nb = (n - 1) / 2;
    if (nb < 5)
      return lf_err_set(p->s, LF_EINVAL,
                        "%s line %u: truncated record: %zu hex digits, a record has at least 10", p->name,
                        it.no, n - 1);
    unsigned count = rec[0];
    if (nb != 5 + count)
      return lf_err_set(p->s, LF_EINVAL,
                        "%s line %u: %s record: byte count 0x%02X needs %u hex digits, found %zu", p->name,
                        it.no, nb < 5 + count ? "truncated" : "overlong", count, 10 + 2 * count, n - 1);
    uint8_t sum = 0;
    for (size_t i = 0; i + 1 < nb; i++)
      sum = (uint8_t)(sum + rec[i]);
    uint8_t want = (uint8_t)(0x100 - sum);
    if (rec[nb - 1] != want)
      return lf_err_set(p->s, LF_EINVAL, "%s line %u: bad checksum: expected 0x%02X, found 0x%02X", p->name,
                        it.no, want, rec[nb - 1]);
    unsigned type = rec[3];
    if (type > 5)
      return lf_err_set(p->s, LF_EINVAL, "%s line %u: unknown record type 0x%02X (expected 00-05)", p->name,
                        it.no, type);
    if (type_len[type] != 0xFF && count != type_len[type])
      return lf_err_set(p->s, LF_EINVAL, "%s line %u: %s record (%02X) needs byte count %u, found %u",
                        p->name, it.no, type_names[type], type, type_len[type], count);
    uint32_t off = (uint32_t)rec[1] << 8 | rec[2];
    const uint8_t *d = rec + 4;
    uint32_t v16 = (uint32_t)d[0] << 8 | d[1];
    uint32_t v32 = v16 << 16 | (uint32_t)d[2] << 8 | d[3];
    switch (type) {
    case 0: {
      /* the 16-bit offset wraps inside its 64 KiB window */
      uint32_t first = count < 0x10000u - off ? count : 0x10000u - off;
      if ((rc = add_chunk(p, (uint64_t)base + off, d, first, it.no, LOC_LINE)) < 0 ||
          (rc = add_chunk(p, base, d + first, count - first, it.no, LOC_LINE)) < 0)
        return rc;
      break;
    }
    case 1: eof_line = it.no; break;
    case 2: base = v16 << 4; break;
    case 3: p->im->entry = (uint64_t)(v32 >> 16) * 16 + (v32 & 0xFFFF); break;
    case 4: base = v16 << 16; break;
    case 5: p->im->entry = v32; break;
    }
  }
  if (!eof_line)
    return lf_err_set(p->s, LF_EINVAL,
                      "%s: no end-of-file record (:00000001FF) after line %u: the file is truncated", p->name,
                      it.no);
  return 0;
}

/* ---- Motorola S-record ---- */

static int parse_srec(parse *p, const uint8_t *buf, size_t len)
{
  /* address bytes per type S0..S9; 0 = reserved (S4) */
  static const uint8_t addr_len[10] = {2, 2, 3, 4, 0, 2, 3, 4, 3, 2};
  line_iter it = {buf, len, 0, 0};
  const uint8_t *line;
  size_t n;
  uint8_t rec[300];
  unsigned end_line = 0, data_records = 0;
  while (next_line(&it, &line, &n)) {
    if (blank(line, n))
      continue;
    if (end_line)
      return lf_err_set(p->s, LF_EINVAL, "%s line %u: data after the termination record on line %u", p->name,
                        it.no, end_line);
    if (line[0] != 'S') {
      char ch[16];
      show_char(line[0], ch, sizeof ch);
      return lf_err_set(p->s, LF_EINVAL, "%s line %u: expected 'S' at the start of a record, found %s",
                        p->name, it.no, ch);
    }
    if (n < 2)
      return lf_err_set(p->s, LF_EINVAL, "%s line %u: truncated record: no record type after 'S'", p->name,
                        it.no);
    int type = line[1] >= '0' && line[1] <= '9' ? line[1] - '0' : -1;
    if (type < 0 || addr_len[type] == 0) {
      char ch[16];
      show_char(line[1], ch, sizeof ch);
      return lf_err_set(p->s, LF_EINVAL, "%s line %u: unknown record type %s (expected S0-S3, S5-S9)",
                        p->name, it.no, ch);
    }
    if (n - 2 > 2 * sizeof rec)
      return lf_err_set(p->s, LF_EINVAL, "%s line %u: record of %zu hex digits is longer than any record (512)",
                        p->name, it.no, n - 2);
    int rc = decode_hex(p, it.no, line, 2, n, rec);
    if (rc < 0)
      return rc;
    size_t nb = (n - 2) / 2;
    unsigned al = addr_len[type];
    if (nb < 1)
      return lf_err_set(p->s, LF_EINVAL, "%s line %u: truncated record: no byte count", p->name, it.no);
    unsigned count = rec[0];
    if (nb != 1 + (size_t)count)
      return lf_err_set(p->s, LF_EINVAL,
                        "%s line %u: %s record: byte count 0x%02X needs %u hex digits after S%d, found %zu",
                        p->name, it.no, nb < 1 + (size_t)count ? "truncated" : "overlong", count,
                        2 + 2 * count, type, n - 2);
    if (count < al + 1)
      return lf_err_set(p->s, LF_EINVAL,
                        "%s line %u: truncated record: byte count 0x%02X is less than the %u address bytes "
                        "and checksum of S%d",
                        p->name, it.no, count, al, type);
    uint8_t sum = 0;
    for (size_t i = 0; i + 1 < nb; i++)
      sum = (uint8_t)(sum + rec[i]);
    uint8_t want = (uint8_t)~sum;
    if (rec[nb - 1] != want)
      return lf_err_set(p->s, LF_EINVAL, "%s line %u: bad checksum: expected 0x%02X, found 0x%02X", p->name,
                        it.no, want, rec[nb - 1]);
    uint32_t addr = 0;
    for (unsigned i = 0; i < al; i++)
      addr = addr << 8 | rec[1 + i];
    const uint8_t *d = rec + 1 + al;
    unsigned dlen = count - al - 1;
    switch (type) {
    case 0: break; /* header */
    case 1:
    case 2:
    case 3:
      data_records++;
      if ((rc = add_chunk(p, addr, d, dlen, it.no, LOC_LINE)) < 0)
        return rc;
      break;
    case 5:
    case 6:
      if (addr != data_records)
        return lf_err_set(p->s, LF_EINVAL,
                          "%s line %u: S%d record counts %u data records, the file has %u before it",
                          p->name, it.no, type, (unsigned)addr, data_records);
      break;
    default: /* S7, S8, S9 */
      p->im->entry = addr;
      end_line = it.no;
      break;
    }
  }
  if (!end_line)
    return lf_err_set(p->s, LF_EINVAL,
                      "%s: no termination record (S7, S8 or S9) after line %u: the file is truncated", p->name,
                      it.no);
  return 0;
}

/* ---- ELF32 little-endian ARM ---- */

static uint32_t le32(const uint8_t *b) { return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24; }
static uint16_t le16(const uint8_t *b) { return (uint16_t)(b[0] | b[1] << 8); }

static int parse_elf(parse *p, const uint8_t *b, size_t len)
{
  static const uint8_t magic[4] = {0x7F, 'E', 'L', 'F'};
  if (len < 4 || memcmp(b, magic, 4) != 0)
    return lf_err_set(p->s, LF_EINVAL, "%s offset 0x0: not an ELF file (expected 7f 45 4c 46)", p->name);
  if (len < 52)
    return lf_err_set(p->s, LF_EINVAL, "%s: truncated ELF header: %zu bytes, expected at least 52", p->name,
                      len);
  if (b[4] != 1)
    return lf_err_set(p->s, LF_EINVAL, "%s offset 0x4: not a 32-bit ELF (EI_CLASS %u, expected 1 = ELFCLASS32)",
                      p->name, b[4]);
  if (b[5] != 1)
    return lf_err_set(p->s, LF_EINVAL,
                      "%s offset 0x5: not a little-endian ELF (EI_DATA %u, expected 1 = ELFDATA2LSB)", p->name,
                      b[5]);
  uint16_t machine = le16(b + 18);
  if (machine != 40)
    return lf_err_set(p->s, LF_EINVAL, "%s offset 0x12: not an ARM ELF (e_machine %u, expected 40 = EM_ARM)",
                      p->name, machine);
  uint32_t phoff = le32(b + 28);
  uint16_t phentsize = le16(b + 42), phnum = le16(b + 44);
  if (phnum == 0)
    return lf_err_set(p->s, LF_EINVAL, "%s offset 0x2c: no program headers (e_phnum 0): nothing to flash",
                      p->name);
  if (phentsize < 32)
    return lf_err_set(p->s, LF_EINVAL, "%s offset 0x2a: program header size %u, expected at least 32",
                      p->name, phentsize);
  if ((uint64_t)phoff + (uint64_t)phnum * phentsize > len)
    return lf_err_set(p->s, LF_EINVAL,
                      "%s offset 0x%x: program header table (%u x %u bytes) passes the end of the file "
                      "(%zu bytes)",
                      p->name, (unsigned)phoff, phnum, phentsize, len);
  unsigned loaded = 0;
  for (unsigned i = 0; i < phnum; i++) {
    const uint8_t *ph = b + phoff + (size_t)i * phentsize;
    uint32_t type = le32(ph), off = le32(ph + 4), paddr = le32(ph + 12), filesz = le32(ph + 16);
    if (type != 1 || filesz == 0) /* PT_LOAD with file bytes only; .bss is not flashed */
      continue;
    if ((uint64_t)off + filesz > len)
      return lf_err_set(p->s, LF_EINVAL,
                        "%s offset 0x%x: program header %u: segment data at offset 0x%x (0x%x bytes) passes "
                        "the end of the file (%zu bytes)",
                        p->name, (unsigned)(phoff + i * phentsize), i, (unsigned)off, (unsigned)filesz, len);
    int rc = add_chunk(p, paddr, b + off, filesz, off, LOC_OFFSET);
    if (rc < 0)
      return rc;
    loaded++;
  }
  if (!loaded)
    return lf_err_set(p->s, LF_EINVAL, "%s: no PT_LOAD program header with file data: nothing to flash",
                      p->name);
  p->im->entry = le32(b + 24);
  return 0;
}

/* ---- UF2 ---- */

#define UF2_MAGIC0 0x0A324655u /* "UF2\n" */
#define UF2_MAGIC1 0x9E5D5157u
#define UF2_MAGIC_END 0x0AB16F30u
#define UF2_NOT_MAIN_FLASH 0x00000001u
#define UF2_FILE_CONTAINER 0x00001000u
#define UF2_FAMILY 0x00002000u
#define UF2_MD5 0x00004000u
#define UF2_TAGS 0x00008000u
#define UF2_DATA 476u

/* Family IDs (microsoft/uf2 utils/uf2families.json, nrf52-rp2040-targets.md 17.2). */
static const struct {
  uint32_t id;
  const char *name;
} uf2_names[] = {
  {0xE48BFF56u, "RP2040"},         {0xE48BFF57u, "RP2XXX absolute"}, {0xE48BFF58u, "RP2XXX data"},
  {0xE48BFF59u, "RP2350 Arm-S"},   {0xE48BFF5Au, "RP2350 RISC-V"},  {0xE48BFF5Bu, "RP2350 Arm-NS"},
  {0xADA52840u, "nRF52840"},       {0x1B57745Fu, "nRF52"},           {0x621E937Au, "nRF52833"},
  {0x72721D4Eu, "nRF52832xxAA"},   {0x6F752678u, "nRF52832xxAB"},    {0x57755A57u, "STM32F4"},
  {0x6D0922FAu, "STM32F407"},      {0x8FB060FEu, "STM32F407VG"},     {0x2DC309C5u, "STM32F411xE"},
  {0x06D1097Bu, "STM32F411xC"},    {0x53B80F00u, "STM32F7"},         {0x00FF6919u, "STM32L4"},
  {0x6DB66082u, "STM32H7"},        {0x5EE21072u, "STM32F103"},       {0x4C71240Au, "STM32G4"},
  {0x70D16653u, "STM32WB"},        {0x647824B6u, "STM32F0"},         {0x6B846188u, "STM32F3"},
  {0x5D1A0A2Eu, "STM32F2"},        {0x202E3A91u, "STM32L0"},         {0x68ED2B88u, "SAMD21"},
  {0x55114460u, "SAMD51"},         {0x1C5F21B0u, "ESP32"},           {0xBFDD4EEEu, "ESP32-S2"},
  {0xC47E5767u, "ESP32-S3"},       {0xD42BA06Cu, "ESP32-C3"},        {0x4FB2D5BDu, "i.MX RT10xx"},
  {0x2ABC77ECu, "LPC55"},
};

const char *lf_uf2_family_name(uint32_t id)
{
  for (size_t i = 0; i < sizeof uf2_names / sizeof uf2_names[0]; i++)
    if (uf2_names[i].id == id)
      return uf2_names[i].name;
  return NULL;
}

static const char *uf2_label(uint32_t id, char *buf, size_t n)
{
  const char *name = lf_uf2_family_name(id);
  snprintf(buf, n, "%s%s0x%08X%s", name ? name : "", name ? " (" : "", id, name ? ")" : "");
  return buf;
}

static uint32_t rd32(const uint8_t *b)
{
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Per family (0 = blocks without one): numBlocks and which numbers came. */
typedef struct uf2_group {
  uint32_t family, num_blocks, seen, first_block;
  uint8_t *have; /* num_blocks bits */
} uf2_group;

static int parse_uf2(parse *p, const uint8_t *b, size_t len)
{
  lf_session *s = p->s;
  if (len % 512)
    return lf_err_set(s, LF_EINVAL, "%s: %zu bytes is not a whole number of 512-byte UF2 blocks (the block at "
                      "offset 0x%zx is cut after %zu bytes)", p->name, len, len - len % 512, len % 512);
  size_t nblocks = len / 512;
  uf2_group *g = NULL;
  size_t ng = 0;
  int rc = 0;
  for (size_t k = 0; k < nblocks && rc == 0; k++) {
    const uint8_t *blk = b + 512 * k;
    uint32_t m0 = rd32(blk), m1 = rd32(blk + 4), flags = rd32(blk + 8), addr = rd32(blk + 12);
    uint32_t size = rd32(blk + 16), no = rd32(blk + 20), num = rd32(blk + 24), fam = rd32(blk + 28);
    uint32_t mend = rd32(blk + 508);
    unsigned bn = (unsigned)k;
    if (m0 != UF2_MAGIC0 || m1 != UF2_MAGIC1) {
      rc = lf_err_set(s, LF_EINVAL, "%s block %u (offset 0x%zx): magic numbers 0x%08X 0x%08X, expected 0x%08X "
                      "0x%08X (not a UF2 block)", p->name, bn, 512 * k, m0, m1, UF2_MAGIC0, UF2_MAGIC1);
      break;
    }
    if (mend != UF2_MAGIC_END) {
      rc = lf_err_set(s, LF_EINVAL, "%s block %u (offset 0x%zx): end magic 0x%08X, expected 0x%08X (a damaged "
                      "block)", p->name, bn, 512 * k, mend, UF2_MAGIC_END);
      break;
    }
    if (num == 0 || no >= num) {
      rc = lf_err_set(s, LF_EINVAL, "%s block %u: block number %u is not below the block count %u", p->name, bn,
                      no, num);
      break;
    }
    if (num > nblocks) { /* every block of a family must be in the file: a count beyond it is wrong */
      rc = lf_err_set(s, LF_EINVAL, "%s block %u: block count %u, but the file holds %zu block(s)", p->name, bn,
                      num, nblocks);
      break;
    }
    uint32_t room = UF2_DATA - ((flags & UF2_MD5) ? 24u : 0u);
    if (size > room) {
      rc = lf_err_set(s, LF_EINVAL, "%s block %u: payload of %u bytes, at most %u fit%s", p->name, bn, size, room,
                      (flags & UF2_MD5) ? " (the last 24 bytes hold the MD5)" : "");
      break;
    }
    if (flags & UF2_TAGS) { /* tags after the payload, 4-aligned: size byte, 3-byte type; size 0 ends */
      uint32_t t = (size + 3u) & ~3u;
      while (t + 4 <= room) {
        uint32_t tsz = blk[32 + t];
        if (tsz == 0)
          break;
        if (tsz < 4 || t + tsz > room) {
          rc = lf_err_set(s, LF_EINVAL, "%s block %u: extension tag at data offset %u claims %u bytes, past the "
                          "block's data", p->name, bn, t, tsz);
          break;
        }
        t += (tsz + 3u) & ~3u;
      }
      if (rc)
        break;
    }
    /* the group of its family: numBlocks consistent, every number once */
    uint32_t key = (flags & UF2_FAMILY) ? fam : 0;
    uf2_group *gr = NULL;
    for (size_t i = 0; i < ng; i++)
      if (g[i].family == key)
        gr = &g[i];
    if (!gr) {
      uf2_group *ngp = realloc(g, (ng + 1) * sizeof *g);
      if (!ngp) {
        rc = lf_err_set(s, LF_ENOMEM, "%s: out of memory", p->name);
        break;
      }
      g = ngp;
      gr = &g[ng++];
      *gr = (uf2_group){key, num, 0, bn, calloc((num + 7u) / 8u, 1)};
      if (!gr->have) {
        rc = lf_err_set(s, LF_ENOMEM, "%s: out of memory (%u blocks claimed)", p->name, num);
        break;
      }
    }
    if (num != gr->num_blocks) {
      rc = lf_err_set(s, LF_EINVAL, "%s block %u: block count %u, but block %u of the same family said %u", p->name,
                      bn, num, gr->first_block, gr->num_blocks);
      break;
    }
    if (gr->have[no / 8] & (1u << (no % 8))) {
      rc = lf_err_set(s, LF_EINVAL, "%s block %u: block number %u appears twice", p->name, bn, no);
      break;
    }
    gr->have[no / 8] |= (uint8_t)(1u << (no % 8));
    gr->seen++;
    if (flags & (UF2_NOT_MAIN_FLASH | UF2_FILE_CONTAINER))
      continue; /* comments, sources, embedded files: not for the flash */
    size_t before = p->im->nch;
    rc = add_chunk(p, addr, blk + 32, size, bn, LOC_BLOCK);
    if (rc == 0 && p->im->nch > before)
      p->im->ch[p->im->nch - 1].uf2_family = key;
  }
  for (size_t i = 0; rc == 0 && i < ng; i++)
    if (g[i].seen != g[i].num_blocks) {
      uint32_t miss = 0;
      while (g[i].have[miss / 8] & (1u << (miss % 8)))
        miss++;
      char fam[64] = "";
      if (g[i].family)
        snprintf(fam, sizeof fam, " of family %s", uf2_label(g[i].family, (char[48]){0}, 48));
      rc = lf_err_set(s, LF_EINVAL, "%s: %u of %u blocks%s: block number %u is missing (a cut or incomplete "
                      "file)", p->name, g[i].seen, g[i].num_blocks, fam, miss);
    }
  for (size_t i = 0; i < ng; i++)
    free(g[i].have);
  free(g);
  return rc;
}

/* ---- entry points ---- */

static lf_image_format detect(const uint8_t *b, size_t len)
{
  if (len >= 8 && rd32(b) == UF2_MAGIC0 && rd32(b + 4) == UF2_MAGIC1)
    return LF_IMAGE_UF2;
  if (len >= 4 && b[0] == 0x7F && b[1] == 'E' && b[2] == 'L' && b[3] == 'F')
    return LF_IMAGE_ELF;
  size_t i = 0;
  while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
    i++;
  if (i < len && b[i] == ':')
    return LF_IMAGE_IHEX;
  if (i + 1 < len && b[i] == 'S' && b[i + 1] >= '0' && b[i + 1] <= '9')
    return LF_IMAGE_SREC;
  return LF_IMAGE_AUTO;
}

int lf_image_add_buffer(lf_session *s, lf_image *im, const char *name, const uint8_t *buf, size_t len,
                        lf_image_format fmt, uint64_t base)
{
  if (len > max_file(im))
    return too_big(s, im, name);
  size_t nch = im->nch, pool_len = im->pool_len;
  uint64_t entry = im->entry;
  char **srcs = realloc(im->src, (im->nsrc + 1) * sizeof *srcs);
  if (!srcs)
    return lf_err_set(s, LF_ENOMEM, "%s: out of memory", name);
  im->src = srcs;
  if (!(im->src[im->nsrc] = strdup(name)))
    return lf_err_set(s, LF_ENOMEM, "%s: out of memory", name);
  parse p = {s, im, im->src[im->nsrc], (uint32_t)im->nsrc};
  im->nsrc++;

  int rc;
  if (len == 0) {
    rc = lf_err_set(s, LF_EINVAL, "%s: empty file", name);
    goto out;
  }
  if (fmt == LF_IMAGE_AUTO) {
    fmt = detect(buf, len);
    if (fmt == LF_IMAGE_AUTO) {
      if (base == LF_IMAGE_NO_BASE) {
        rc = lf_err_set(s, LF_EINVAL,
                        "%s: format not recognised (not ELF, Intel HEX, S-record or UF2); a raw binary needs "
                        "a base address",
                        name);
        goto out;
      }
      fmt = LF_IMAGE_BIN;
    }
  }
  switch (fmt) {
  case LF_IMAGE_BIN:
    if (base == LF_IMAGE_NO_BASE)
      rc = lf_err_set(s, LF_EINVAL, "%s: a raw binary needs a base address", name);
    else if (base > UINT32_MAX)
      rc = lf_err_set(s, LF_EINVAL, "%s: base address 0x%llx is not a 32-bit address", name,
                      (unsigned long long)base);
    else
      rc = add_chunk(&p, base, buf, len, 0, LOC_OFFSET);
    break;
  case LF_IMAGE_IHEX: rc = parse_ihex(&p, buf, len); break;
  case LF_IMAGE_ELF: rc = parse_elf(&p, buf, len); break;
  case LF_IMAGE_SREC: rc = parse_srec(&p, buf, len); break;
  case LF_IMAGE_UF2: rc = parse_uf2(&p, buf, len); break;
  default: rc = lf_err_set(s, LF_EINVAL, "%s: unknown image format %d", name, (int)fmt); break;
  }
out:
  if (rc < 0) { /* keep nothing of this file */
    im->nch = nch;
    im->pool_len = pool_len;
    im->entry = entry;
    free(im->src[--im->nsrc]);
  }
  return rc;
}

int lf_image_add_file(lf_session *s, lf_image *im, const char *path, lf_image_format fmt, uint64_t base)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return lf_err_set(s, LF_EINVAL, "%s: cannot open: %s", path, strerror(errno));
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0;
  int rc = 0;
  for (;;) {
    if (len == cap) {
      size_t ncap = cap ? 2 * cap : 65536;
      if (ncap > max_file(im) + 1) /* one byte more than allowed tells a file too big */
        ncap = (size_t)max_file(im) + 1;
      uint8_t *n = realloc(buf, ncap);
      if (!n) {
        rc = lf_err_set(s, LF_ENOMEM, "%s: out of memory", path);
        break;
      }
      buf = n;
      cap = ncap;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (len > max_file(im)) {
      rc = too_big(s, im, path);
      break;
    }
    if (got == 0) {
      if (ferror(f))
        rc = lf_err_set(s, LF_EIO, "%s: read error at offset 0x%zx", path, len);
      break;
    }
  }
  fclose(f);
  if (rc == 0)
    rc = lf_image_add_buffer(s, im, path, buf, len, fmt, base);
  free(buf);
  return rc;
}

static int cmp_chunk(const void *a, const void *b)
{
  const chunk *x = a, *y = b;
  if (x->addr != y->addr)
    return x->addr < y->addr ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const lf_mem_region *region_at(const lf_flash_geometry *g, unsigned kinds, uint32_t a)
{
  for (unsigned i = 0; i < g->nregions; i++)
    if ((g->region[i].kind & kinds) && a >= g->region[i].start && a - g->region[i].start < g->region[i].size)
      return &g->region[i];
  return NULL;
}

static int check_chunk(lf_session *s, const lf_image *im, chunk *c, const lf_flash_geometry *g, unsigned kinds)
{
  char where[300];
  for (unsigned i = 0; i < g->naliases; i++) {
    const lf_addr_alias *al = &g->alias[i];
    if (c->addr < al->from || c->addr - al->from >= al->size)
      continue;
    if ((uint64_t)c->addr + c->len > (uint64_t)al->from + al->size) {
      uint32_t a = al->from + al->size;
      describe(im, c, a, where, sizeof where);
      return lf_err_set(s, LF_EINVAL, "%s: 0x%08X is past the end of the %s (0x%08X-0x%08X)", where,
                        (unsigned)a, al->name, (unsigned)al->from, (unsigned)(al->from + al->size - 1));
    }
    c->addr = al->to + (c->addr - al->from);
    break;
  }
  uint64_t pos = c->addr, end = (uint64_t)c->addr + c->len;
  while (pos < end) {
    const lf_mem_region *r = region_at(g, kinds, (uint32_t)pos);
    if (!r) {
      const lf_mem_region *m = &g->region[0];
      describe(im, c, (uint32_t)pos, where, sizeof where);
      if (pos == (uint64_t)m->start + m->size && c->addr >= m->start)
        return lf_err_set(s, LF_EINVAL,
                          "%s: 0x%08X is past the end of the %u KiB flash of %s (0x%08X-0x%08X): the image "
                          "is larger than the flash",
                          where, (unsigned)pos, (unsigned)(m->size / 1024), g->name, (unsigned)m->start,
                          (unsigned)(m->start + m->size - 1));
      char list[200] = "";
      size_t used = 0;
      for (unsigned i = 0; i < g->nregions && used < sizeof list; i++)
        if (g->region[i].kind & kinds)
          used += (size_t)snprintf(list + used, sizeof list - used, "%s%s 0x%08X-0x%08X", used ? ", " : "",
                                   g->region[i].name, (unsigned)g->region[i].start,
                                   (unsigned)(g->region[i].start + g->region[i].size - 1));
      return lf_err_set(s, LF_EINVAL, "%s: 0x%08X is outside the writable regions of %s (%s)", where,
                        (unsigned)pos, g->name, list);
    }
    pos = (uint64_t)r->start + r->size;
  }
  return 0;
}

bool lf_image_source(const lf_image *im, const lf_flash_geometry *g, uint32_t addr, char *buf, size_t n)
{
  const chunk *best = NULL;
  uint32_t best_addr = 0;
  for (size_t i = 0; i < im->nch; i++) {
    chunk c = im->ch[i];
    for (unsigned k = 0; g && k < g->naliases; k++) {
      const lf_addr_alias *al = &g->alias[k];
      if (c.addr >= al->from && c.addr - al->from < al->size) {
        c.addr = al->to + (c.addr - al->from);
        break;
      }
    }
    if (addr < c.addr || addr - c.addr >= c.len)
      continue;
    /* a patch covers the files' bytes; of two patches the later one */
    bool better = !best || (c.loc_kind == LOC_PATCH &&
                            (best->loc_kind != LOC_PATCH || c.seq > best->seq));
    if (better) {
      best = &im->ch[i];
      best_addr = c.addr;
    }
  }
  if (!best)
    return false;
  chunk c = *best;
  c.addr = best_addr;
  describe(im, &c, addr, buf, n);
  return true;
}

/* The chunk (sorted before index `before`) that holds addr. */
static const chunk *chunk_holding(const lf_image *im, size_t before, uint32_t addr)
{
  for (size_t i = before; i-- > 0;)
    if (im->ch[i].addr <= addr && addr - im->ch[i].addr < im->ch[i].len)
      return &im->ch[i];
  return NULL;
}

/* Lays [addr, addr+len) over the segments: bytes inside a segment are
 * replaced, bytes outside join (or become) a segment. */
static int seg_write(lf_session *s, lf_image *im, uint32_t addr, const uint8_t *data, uint32_t len)
{
  uint64_t a = addr, e = (uint64_t)addr + len;
  size_t i0 = 0;
  while (i0 < im->nseg && (uint64_t)im->seg[i0].addr + im->seg[i0].len < a)
    i0++;
  size_t i1 = i0; /* first segment after the touched ones */
  while (i1 < im->nseg && im->seg[i1].addr <= e)
    i1++;
  uint64_t lo = a, hi = e;
  if (i1 > i0) {
    lo = im->seg[i0].addr < a ? im->seg[i0].addr : a;
    uint64_t last = (uint64_t)im->seg[i1 - 1].addr + im->seg[i1 - 1].len;
    hi = last > e ? last : e;
  }
  uint8_t *buf = malloc((size_t)(hi - lo));
  if (!buf)
    return lf_err_set(s, LF_ENOMEM, "image: out of memory");
  for (size_t k = i0; k < i1; k++) {
    memcpy(buf + (im->seg[k].addr - lo), im->seg[k].data, im->seg[k].len);
    free(im->seg[k].data);
  }
  memcpy(buf + (a - lo), data, len);
  if (i1 == i0) { /* a new segment at i0 */
    lf_segment *n = realloc(im->seg, (im->nseg + 1) * sizeof *n);
    if (!n) {
      free(buf);
      return lf_err_set(s, LF_ENOMEM, "image: out of memory");
    }
    im->seg = n;
    memmove(&im->seg[i0 + 1], &im->seg[i0], (im->nseg - i0) * sizeof *n);
    im->nseg++;
  } else { /* segments i0..i1-1 become one */
    memmove(&im->seg[i0 + 1], &im->seg[i1], (im->nseg - i1) * sizeof *im->seg);
    im->nseg -= i1 - i0 - 1;
  }
  im->seg[i0] = (lf_segment){(uint32_t)lo, (uint32_t)(hi - lo), buf};
  return 0;
}

static int cmp_seq(const void *a, const void *b)
{
  const chunk *x = *(const chunk *const *)a, *y = *(const chunk *const *)b;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Patches in the order they were made (a later one wins where they overlap). */
static int apply_patches(lf_session *s, lf_image *im, const chunk *ch)
{
  size_t n = 0;
  for (size_t i = 0; i < im->nch; i++)
    n += ch[i].loc_kind == LOC_PATCH;
  if (n == 0)
    return 0;
  const chunk **list = malloc(n * sizeof *list);
  if (!list)
    return lf_err_set(s, LF_ENOMEM, "image: out of memory");
  n = 0;
  for (size_t i = 0; i < im->nch; i++)
    if (ch[i].loc_kind == LOC_PATCH)
      list[n++] = &ch[i];
  qsort(list, n, sizeof *list, cmp_seq);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++)
    rc = seg_write(s, im, list[i]->addr, im->pool + list[i]->off, list[i]->len);
  free(list);
  return rc;
}

/* UF2 blocks of other families are ignored (the format's rule): keeps, in
 * ch[0..*n), the chunks without a family and those of a family the
 * geometry's chip takes (lf_family.uf2_family); a file whose blocks are all
 * of other families is refused naming both. Without the chip's IDs (no
 * geometry, a family without the hook) a single family is taken, several
 * are an error. */
static int uf2_select(lf_session *s, const lf_image *im, chunk *ch, size_t *n, const lf_flash_geometry *g)
{
  uint32_t fams[8];
  size_t nf = 0;
  const chunk *first = NULL;
  for (size_t i = 0; i < *n; i++) {
    uint32_t f = ch[i].uf2_family;
    if (!f)
      continue;
    if (!first)
      first = &ch[i];
    bool known = false;
    for (size_t k = 0; k < nf; k++)
      known = known || fams[k] == f;
    if (!known && nf < sizeof fams / sizeof fams[0])
      fams[nf++] = f;
  }
  if (nf == 0)
    return 0;
  uint32_t want[16];
  size_t nw = 0;
  if (g && g->family && g->family->uf2_family)
    for (uint32_t id; nw < 16 && (id = g->family->uf2_family(g->line, nw)) != 0;)
      want[nw++] = id;
  char a[64], b[64];
  const char *file = im->src[first->src];
  if (nw == 0) {
    if (nf == 1)
      return 0;
    return lf_err_set(s, LF_EINVAL, "%s: UF2 blocks of several families (%s, %s%s) and the chip's UF2 family is "
                      "not known: convert the file for one chip", file, uf2_label(fams[0], a, sizeof a),
                      uf2_label(fams[1], b, sizeof b), nf > 2 ? ", ..." : "");
  }
  size_t k = 0, kept_fam = 0;
  for (size_t i = 0; i < *n; i++) {
    bool ok = ch[i].uf2_family == 0;
    for (size_t w = 0; !ok && w < nw; w++)
      ok = ch[i].uf2_family == want[w];
    if (ok) {
      kept_fam += ch[i].uf2_family != 0;
      ch[k++] = ch[i];
    }
  }
  if (kept_fam == 0)
    return lf_err_set(s, LF_EINVAL, "%s: a UF2 image for %s%s; the target (%s) takes UF2 family %s", file,
                      uf2_label(fams[0], a, sizeof a), nf > 1 ? " and others" : "", g->name,
                      uf2_label(want[0], b, sizeof b));
  *n = k;
  return 0;
}

int lf_image_finish(lf_session *s, lf_image *im, const lf_flash_geometry *g, unsigned regions)
{
  free_segments(im);
  if (im->nch == 0)
    return lf_err_set(s, LF_EINVAL, "image: no data to flash");
  /* chunks are re-derived from the pool each time, so keep the originals */
  chunk *ch = malloc(im->nch * sizeof *ch);
  if (!ch)
    return lf_err_set(s, LF_ENOMEM, "image: out of memory");
  memcpy(ch, im->ch, im->nch * sizeof *ch);
  chunk *orig = im->ch;
  size_t orig_n = im->nch;
  im->ch = ch;
  int rc = uf2_select(s, im, ch, &im->nch, g);
  for (size_t i = 0; g && i < im->nch && rc == 0; i++)
    rc = check_chunk(s, im, &ch[i], g, regions);
  if (rc == 0 && im->nch == 0)
    rc = lf_err_set(s, LF_EINVAL, "image: no data to flash");
  if (rc == 0)
    qsort(ch, im->nch, sizeof *ch, cmp_chunk);

  size_t cap = 0;
  uint32_t seg_cap = 0;
  for (size_t i = 0; i < im->nch && rc == 0; i++) {
    const chunk *c = &ch[i];
    const uint8_t *d = im->pool + c->off;
    if (c->loc_kind == LOC_PATCH)
      continue; /* laid over the merged data below */
    lf_segment *cur = im->nseg ? &im->seg[im->nseg - 1] : NULL;
    uint64_t cur_end = cur ? (uint64_t)cur->addr + cur->len : 0;
    if (!cur || c->addr > cur_end) {
      if (im->nseg == cap) {
        size_t ncap = cap ? 2 * cap : 16;
        lf_segment *n = realloc(im->seg, ncap * sizeof *n);
        if (!n) {
          rc = lf_err_set(s, LF_ENOMEM, "image: out of memory");
          break;
        }
        im->seg = n;
        cap = ncap;
      }
      cur = &im->seg[im->nseg++];
      *cur = (lf_segment){c->addr, 0, NULL};
      seg_cap = 0;
      cur_end = c->addr;
    }
    /* bytes already present must agree */
    uint64_t ov_end = (uint64_t)c->addr + c->len < cur_end ? (uint64_t)c->addr + c->len : cur_end;
    for (uint64_t a = c->addr; a < ov_end; a++) {
      uint8_t old = cur->data[a - cur->addr], now = d[a - c->addr];
      if (old != now) {
        char w1[300], w2[300];
        const chunk *prev = chunk_holding(im, i, (uint32_t)a);
        if (prev)
          describe(im, prev, (uint32_t)a, w1, sizeof w1);
        else
          snprintf(w1, sizeof w1, "an earlier record");
        describe(im, c, (uint32_t)a, w2, sizeof w2);
        rc = lf_err_set(s, LF_EINVAL, "image: overlapping data differs at 0x%08X: %s has 0x%02x, %s has 0x%02x",
                        (unsigned)a, w1, old, w2, now);
        break;
      }
    }
    if (rc < 0)
      break;
    uint64_t end = (uint64_t)c->addr + c->len;
    if (end > cur_end) {
      uint32_t need = (uint32_t)(end - cur->addr);
      if (need > seg_cap) {
        uint32_t ncap = seg_cap ? seg_cap : 4096;
        while (ncap < need)
          ncap = ncap > UINT32_MAX / 2 ? need : ncap * 2;
        uint8_t *n = realloc(cur->data, ncap);
        if (!n) {
          rc = lf_err_set(s, LF_ENOMEM, "image: out of memory");
          break;
        }
        cur->data = n;
        seg_cap = ncap;
      }
      memcpy(cur->data + cur->len, d + (cur_end - c->addr), (size_t)(end - cur_end));
      cur->len = need;
    }
  }
  if (rc == 0)
    rc = apply_patches(s, im, ch);
  im->ch = orig;
  im->nch = orig_n;
  free(ch);
  if (rc < 0)
    free_segments(im);
  return rc;
}

int lf_image_patch(lf_session *s, lf_image *im, const char *name, uint32_t addr, const uint8_t *data,
                   size_t len, const lf_flash_geometry *g, unsigned regions)
{
  if (len == 0)
    return lf_err_set(s, LF_EINVAL, "%s: no bytes to patch at 0x%08X", name, (unsigned)addr);
  size_t nch = im->nch, pool_len = im->pool_len;
  char **srcs = realloc(im->src, (im->nsrc + 1) * sizeof *srcs);
  if (!srcs)
    return lf_err_set(s, LF_ENOMEM, "%s: out of memory", name);
  im->src = srcs;
  if (!(im->src[im->nsrc] = strdup(name)))
    return lf_err_set(s, LF_ENOMEM, "%s: out of memory", name);
  parse p = {s, im, im->src[im->nsrc], (uint32_t)im->nsrc};
  im->nsrc++;
  int rc = add_chunk(&p, addr, data, len, 0, LOC_OFFSET);
  if (rc == 0) {
    im->ch[im->nch - 1].loc_kind = LOC_PATCH;
    rc = lf_image_finish(s, im, g, regions);
  }
  if (rc < 0) { /* the image stays as it was */
    im->nch = nch;
    im->pool_len = pool_len;
    free(im->src[--im->nsrc]);
    int keep = lf_err_code(s);
    char msg[512];
    snprintf(msg, sizeof msg, "%s", lf_err_msg(s));
    if (im->nch)
      lf_image_finish(s, im, g, regions);
    lf_err_set(s, keep, "%s", msg);
  }
  return rc;
}
