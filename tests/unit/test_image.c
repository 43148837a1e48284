/* Images (src/flash/image.c): every format, every error with its exact
 * message, ITCM alias, region checks, merging and overlap rules. The files
 * in tests/data/images/ are made by gen_images.py (same bytes in four
 * formats) and by arm-none-eabi-gcc/objcopy (gcc/, an independent producer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/session.h"
#include "flash/family.h"
#include "flash/image.h"

static lf_session *S;
static lf_flash_geometry F767;

static int setup(void **state)
{
  S = lf_session_new();
  return lf_line_geometry(S, NULL, 0x451, 2048, false, &F767);
}

static int teardown(void **state)
{
  lf_session_free(S);
  return 0;
}

static int add_text(lf_image *im, const char *name, const char *text)
{
  return lf_image_add_buffer(S, im, name, (const uint8_t *)text, strlen(text), LF_IMAGE_AUTO, LF_IMAGE_NO_BASE);
}

#define EXPECT_ERR(rc, msg)                      \
  do {                                           \
    assert_int_equal((rc), LF_EINVAL);           \
    assert_string_equal(lf_err_msg(S), (msg));   \
  } while (0)

/* One text error case: parse must fail with exactly msg. */
static void text_error(const char *name, const char *text, const char *msg)
{
  lf_image *im = lf_image_new();
  EXPECT_ERR(add_text(im, name, text), msg);
  lf_image_free(im);
}

/* Appends a valid Intel HEX record (checksum computed here) to out. */
static void hexrec(char *out, unsigned type, unsigned addr, const uint8_t *d, unsigned n)
{
  uint8_t b[4 + 256] = {(uint8_t)n, (uint8_t)(addr >> 8), (uint8_t)addr, (uint8_t)type};
  memcpy(b + 4, d, n);
  unsigned sum = 0;
  char *p = out + strlen(out);
  *p++ = ':';
  for (unsigned i = 0; i < 4 + n; i++) {
    sum += b[i];
    p += sprintf(p, "%02X", b[i]);
  }
  sprintf(p, "%02X\n", (0x100 - (sum & 0xFF)) & 0xFF);
}

static void hex_ext(char *out, unsigned upper)
{
  uint8_t d[2] = {(uint8_t)(upper >> 8), (uint8_t)upper};
  hexrec(out, 4, 0, d, 2);
}

static const char *data_dir(void)
{
  static char dir[1024];
  const char *src = getenv("LF_SOURCE_DIR");
  snprintf(dir, sizeof dir, "%s/tests/data/images", src ? src : ".");
  return dir;
}

static lf_image *load(const char *file, lf_image_format fmt, uint64_t base)
{
  char path[1200];
  snprintf(path, sizeof path, "%s/%s", data_dir(), file);
  lf_image *im = lf_image_new();
  int rc = lf_image_add_file(S, im, path, fmt, base);
  if (rc < 0)
    fail_msg("%s", lf_err_msg(S));
  assert_int_equal(lf_image_finish(S, im, &F767, LF_REGION_MAIN), 0);
  return im;
}

/* ---- the four formats agree ---- */

static void check_app(const lf_image *im, bool with_second)
{
  assert_int_equal(lf_image_count(im), with_second ? 2 : 1);
  const lf_segment *a = lf_image_segment(im, 0);
  assert_int_equal(a->addr, 0x08000000);
  assert_int_equal(a->len, 256);
  for (unsigned i = 0; i < 256; i++)
    assert_int_equal(a->data[i], (i * 7 + 3) & 0xFF);
  if (!with_second)
    return;
  const lf_segment *b = lf_image_segment(im, 1);
  assert_int_equal(b->addr, 0x08008000);
  assert_int_equal(b->len, 40);
  for (unsigned i = 0; i < 40; i++)
    assert_int_equal(b->data[i], (i * 5 + 11) & 0xFF);
  assert_int_equal(lf_image_bytes(im), 296);
}

static void test_formats_from_files_agree(void **state)
{
  static const char *files[] = {"app.hex", "app.srec", "app.elf"};
  for (size_t i = 0; i < 3; i++) {
    lf_image *im = load(files[i], LF_IMAGE_AUTO, LF_IMAGE_NO_BASE);
    check_app(im, true);
    assert_int_equal(lf_image_entry(im), 0x08000101);
    lf_image_free(im);
  }
  lf_image *im = load("app.bin", LF_IMAGE_BIN, 0x08000000);
  check_app(im, false);
  assert_true(lf_image_entry(im) == UINT64_MAX);
  lf_image_free(im);
  /* a binary is also taken by AUTO when a base address is given */
  im = load("app.bin", LF_IMAGE_AUTO, 0x08000000);
  check_app(im, false);
  lf_image_free(im);
}

static void test_gcc_elf_matches_objcopy_hex_and_srec(void **state)
{
  lf_image *e = load("gcc/gcc.elf", LF_IMAGE_ELF, LF_IMAGE_NO_BASE);
  lf_image *h = load("gcc/gcc.hex", LF_IMAGE_IHEX, LF_IMAGE_NO_BASE);
  lf_image *r = load("gcc/gcc.srec", LF_IMAGE_SREC, LF_IMAGE_NO_BASE);
  /* .isr_vector+.text (0x44) and .data loaded right behind it (4): one segment; .bss not flashed */
  assert_int_equal(lf_image_count(e), 1);
  const lf_segment *se = lf_image_segment(e, 0);
  assert_int_equal(se->addr, 0x08000000);
  assert_int_equal(se->len, 0x48);
  assert_int_equal(se->data[0x44], 0x78); /* counter = 0x12345678, little-endian */
  assert_int_equal(se->data[0x47], 0x12);
  for (lf_image *o = h; o; o = o == h ? r : NULL) {
    assert_int_equal(lf_image_count(o), 1);
    const lf_segment *so = lf_image_segment(o, 0);
    assert_int_equal(so->addr, se->addr);
    assert_int_equal(so->len, se->len);
    assert_memory_equal(so->data, se->data, se->len);
    assert_int_equal(lf_image_entry(o), lf_image_entry(e));
  }
  assert_int_equal(lf_image_entry(e), 0x08000009);
  lf_image_free(e);
  lf_image_free(h);
  lf_image_free(r);
}

static void test_detection_and_format_names(void **state)
{
  assert_int_equal(lf_image_format_parse("hex"), LF_IMAGE_IHEX);
  assert_int_equal(lf_image_format_parse("S19"), LF_IMAGE_SREC);
  assert_int_equal(lf_image_format_parse("elf"), LF_IMAGE_ELF);
  assert_int_equal(lf_image_format_parse("bin"), LF_IMAGE_BIN);
  assert_int_equal(lf_image_format_parse("zip"), -1);
  assert_string_equal(lf_image_format_name(LF_IMAGE_SREC), "S-record");
  text_error("raw.dat", "hello", "raw.dat: format not recognised (not ELF, Intel HEX, S-record or UF2); a raw binary "
                                 "needs a base address");
  text_error("e.hex", "", "e.hex: empty file");
  lf_image *im = lf_image_new();
  EXPECT_ERR(lf_image_add_buffer(S, im, "r.bin", (const uint8_t *)"ab", 2, LF_IMAGE_BIN, LF_IMAGE_NO_BASE),
             "r.bin: a raw binary needs a base address");
  EXPECT_ERR(lf_image_add_file(S, im, "/nonexistent/nope.hex", LF_IMAGE_AUTO, LF_IMAGE_NO_BASE),
             "/nonexistent/nope.hex: cannot open: No such file or directory");
  EXPECT_ERR(lf_image_finish(S, im, NULL, 0), "image: no data to flash");
  /* leading blank lines do not hide a HEX file */
  assert_int_equal(add_text(im, "b.hex", "\r\n\n:0400000001020304F2\n\n:00000001FF\n"), 0);
  assert_int_equal(lf_image_finish(S, im, NULL, 0), 0);
  assert_int_equal(lf_image_segment(im, 0)->len, 4);
  lf_image_free(im);
}

/* ---- Intel HEX ---- */

static void test_ihex_errors(void **state)
{
  text_error("x.hex", ":0400000001020304F3\n:00000001FF\n", "x.hex line 1: bad checksum: expected 0xF2, found 0xF3");
  text_error("x.hex", ":04000000010G0304F2\n", "x.hex line 1 column 13: expected a hex digit, found 'G'");
  text_error("x.hex", ":0400000001020304\n:00000001FF\n",
             "x.hex line 1: truncated record: byte count 0x04 needs 18 hex digits, found 16");
  text_error("x.hex", ":0400000001020304F2AA\n", "x.hex line 1: overlong record: byte count 0x04 needs 18 hex "
                                                  "digits, found 20");
  text_error("x.hex", ":0000\n", "x.hex line 1: truncated record: 4 hex digits, a record has at least 10");
  text_error("x.hex", ":0400000001020304F\n", "x.hex line 1: truncated record: odd number of hex digits (17)");
  text_error("x.hex", ":00000006FA\n", "x.hex line 1: unknown record type 0x06 (expected 00-05)");
  text_error("x.hex", ":0400000001020304F2\n0400000001020304F2\n",
             "x.hex line 2: expected ':' at the start of a record, found '0'");
  text_error("x.hex", ":0400000001020304F2\n", "x.hex: no end-of-file record (:00000001FF) after line 1: the file "
                                              "is truncated");
  text_error("x.hex", ":00000001FF\n:0400000001020304F2\n", "x.hex line 2: data after the end-of-file record on line 1");
  text_error("x.hex", ":0100000408F3\n:00000001FF\n",
             "x.hex line 1: extended linear address record (04) needs byte count 2, found 1");
  text_error("x.hex", ":01000001AA54\n", "x.hex line 1: end-of-file record (01) needs byte count 0, found 1");
  text_error("x.hex", ":0400000001020304F2\n:00000001FF\x01\n",
             "x.hex line 2 column 12: expected a hex digit, found byte 0x01");
  /* the error names the failing file and nothing of it is kept */
  lf_image *im = lf_image_new();
  assert_int_equal(add_text(im, "good.hex", ":0400000001020304F2\n:00000001FF\n"), 0);
  assert_int_equal(add_text(im, "bad.hex", ":0400100001020304E2\n"), LF_EINVAL);
  assert_int_equal(lf_image_finish(S, im, NULL, 0), 0);
  assert_int_equal(lf_image_count(im), 1);
  assert_int_equal(lf_image_bytes(im), 4);
  lf_image_free(im);
}

static void test_ihex_addressing_and_start_records(void **state)
{
  /* 02: segment base 0x1000 << 4; 03: CS:IP start */
  lf_image *im = lf_image_new();
  assert_int_equal(add_text(im, "seg.hex", ":020000021000EC\n:0400100001020304E2\n:0400000312340010A3\n:00000001FF\n"), 0);
  assert_int_equal(lf_image_finish(S, im, NULL, 0), 0);
  assert_int_equal(lf_image_segment(im, 0)->addr, 0x10010);
  assert_int_equal(lf_image_entry(im), 0x12350);
  lf_image_free(im);

  /* 04 + 05, and a record whose 16-bit offset wraps inside the 64 KiB window */
  char text[512] = "";
  static const uint8_t d[4] = {0xAA, 0xBB, 0xCC, 0xDD};
  hex_ext(text, 0x0800);
  hexrec(text, 0, 0xFFFE, d, 4);
  strcat(text, ":0400000508000101ED\n:00000001FF\n");
  im = lf_image_new();
  assert_int_equal(add_text(im, "wrap.hex", text), 0);
  assert_int_equal(lf_image_finish(S, im, NULL, 0), 0);
  assert_int_equal(lf_image_count(im), 2);
  assert_int_equal(lf_image_segment(im, 0)->addr, 0x08000000);
  assert_int_equal(lf_image_segment(im, 0)->data[0], 0xCC);
  assert_int_equal(lf_image_segment(im, 1)->addr, 0x0800FFFE);
  assert_int_equal(lf_image_segment(im, 1)->data[1], 0xBB);
  assert_int_equal(lf_image_entry(im), 0x08000101);
  lf_image_free(im);
}

/* ---- S-record ---- */

static void test_srec_records_and_errors(void **state)
{
  lf_image *im = lf_image_new();
  /* S0 header, S1 (16-bit), S2 (24-bit), S3 (32-bit), S5 and S6 counts, S7 start */
  assert_int_equal(add_text(im, "ok.srec",
                            "S0060000617070B8\nS107000001020304EE\nS205010000AA4F\nS5030002FA\n"
                            "S604000002F9\nS30608000000AA47\nS70508000101F0\n"),
                   0);
  assert_int_equal(lf_image_finish(S, im, NULL, 0), 0);
  assert_int_equal(lf_image_count(im), 3);
  assert_int_equal(lf_image_segment(im, 0)->addr, 0);
  assert_int_equal(lf_image_segment(im, 0)->len, 4);
  assert_int_equal(lf_image_segment(im, 1)->addr, 0x010000);
  assert_int_equal(lf_image_segment(im, 2)->addr, 0x08000000);
  assert_int_equal(lf_image_entry(im), 0x08000101);
  lf_image_free(im);

  text_error("x.srec", "S107000001020304EF\nS9030000FC\n", "x.srec line 1: bad checksum: expected 0xEE, found 0xEF");
  text_error("x.srec", "S107000001020304EE\nS5030002FA\nS9030000FC\n",
             "x.srec line 2: S5 record counts 2 data records, the file has 1 before it");
  text_error("x.srec", "S4030000FC\n", "x.srec line 1: unknown record type '4' (expected S0-S3, S5-S9)");
  text_error("x.srec", "S107000001020304EE\n",
             "x.srec: no termination record (S7, S8 or S9) after line 1: the file is truncated");
  text_error("x.srec", "S10700000102\n",
             "x.srec line 1: truncated record: byte count 0x07 needs 16 hex digits after S1, found 10");
  text_error("x.srec", "S1070000010Z0304EE\n", "x.srec line 1 column 12: expected a hex digit, found 'Z'");
  text_error("x.srec", "S9030000FC\nS107000001020304EE\n", "x.srec line 2: data after the termination record on line 1");
  text_error("x.srec", "S107000001020304EE\n:9030000FC\n", "x.srec line 2: expected 'S' at the start of a record, found ':'");
  text_error("x.srec", "S30200FD\n",
             "x.srec line 1: truncated record: byte count 0x02 is less than the 4 address bytes and checksum of S3");
}

/* ---- ELF ---- */

static uint8_t *read_data(const char *file, size_t *len)
{
  char path[1200];
  snprintf(path, sizeof path, "%s/%s", data_dir(), file);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  uint8_t *buf = malloc(65536);
  *len = fread(buf, 1, 65536, f);
  fclose(f);
  return buf;
}

static void elf_error(const uint8_t *buf, size_t len, const char *msg)
{
  lf_image *im = lf_image_new();
  EXPECT_ERR(lf_image_add_buffer(S, im, "x.elf", buf, len, LF_IMAGE_AUTO, LF_IMAGE_NO_BASE), msg);
  lf_image_free(im);
}

static void test_elf_errors(void **state)
{
  size_t len;
  uint8_t *b = read_data("app.elf", &len);
  assert_int_equal(len, 476);
  uint8_t *m = malloc(len);
  memcpy(m, b, len);
  m[4] = 2;
  elf_error(m, len, "x.elf offset 0x4: not a 32-bit ELF (EI_CLASS 2, expected 1 = ELFCLASS32)");
  memcpy(m, b, len);
  m[5] = 2;
  elf_error(m, len, "x.elf offset 0x5: not a little-endian ELF (EI_DATA 2, expected 1 = ELFDATA2LSB)");
  memcpy(m, b, len);
  m[18] = 62; /* EM_X86_64 */
  elf_error(m, len, "x.elf offset 0x12: not an ARM ELF (e_machine 62, expected 40 = EM_ARM)");
  memcpy(m, b, len);
  m[44] = 0;
  elf_error(m, len, "x.elf offset 0x2c: no program headers (e_phnum 0): nothing to flash");
  elf_error(b, 470, "x.elf offset 0x94: program header 3: segment data at offset 0x1b4 (0x28 bytes) passes the "
                    "end of the file (470 bytes)");
  elf_error(b, 100, "x.elf offset 0x34: program header table (4 x 32 bytes) passes the end of the file (100 bytes)");
  elf_error(b, 40, "x.elf: truncated ELF header: 40 bytes, expected at least 52");
  memcpy(m, b, len);
  for (unsigned i = 0; i < 4; i++)
    m[52 + 32 * i] = 6; /* PT_PHDR: nothing loadable */
  elf_error(m, len, "x.elf: no PT_LOAD program header with file data: nothing to flash");
  lf_image *im = lf_image_new();
  EXPECT_ERR(lf_image_add_buffer(S, im, "x.elf", (const uint8_t *)":00000001FF", 11, LF_IMAGE_ELF, LF_IMAGE_NO_BASE),
             "x.elf offset 0x0: not an ELF file (expected 7f 45 4c 46)");
  lf_image_free(im);
  free(m);
  free(b);
}

/* Resource limits (issue 19): an ELF whose PT_LOAD claims 3 GiB of memory
 * (p_memsz) for 16 bytes of file data costs 16 bytes: only file bytes are
 * flashed (the rest is .bss-like), so no allocation follows the claim. */
static void test_elf_sparse_claim_costs_its_file_bytes(void **state)
{
  (void)state;
  uint8_t b[100];
  memset(b, 0, sizeof b);
  const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 1, 1, 1};
  memcpy(b, ident, 16);
  const uint16_t eh[] = {2, 40};             /* e_type EXEC, e_machine ARM */
  memcpy(b + 16, eh, sizeof eh);
  const uint32_t ver_entry_ph[] = {1, 0x08000001u, 52, 0, 0x05000000u};
  memcpy(b + 20, ver_entry_ph, sizeof ver_entry_ph);
  const uint16_t sizes[] = {52, 32, 1, 0, 0, 0}; /* ehsize, phentsize, phnum, sh* */
  memcpy(b + 40, sizes, sizeof sizes);
  const uint32_t ph[] = {1, 84, 0x08000000u, 0x08000000u, 16, 0xC0000000u, 5, 4}; /* PT_LOAD */
  memcpy(b + 52, ph, sizeof ph);
  for (unsigned i = 0; i < 16; i++)
    b[84 + i] = (uint8_t)i;
  lf_image *im = lf_image_new();
  assert_int_equal(lf_image_add_buffer(S, im, "sparse.elf", b, sizeof b, LF_IMAGE_ELF, LF_IMAGE_NO_BASE), 0);
  assert_int_equal(lf_image_finish(S, im, &F767, LF_REGION_MAIN), 0);
  assert_int_equal(lf_image_bytes(im), 16);
  assert_int_equal(lf_image_segment(im, 0)->addr, 0x08000000u);
  lf_image_free(im);
}

/* ---- merging, overlaps, several images ---- */

static void test_merge_adjacent_and_identical_overlap(void **state)
{
  lf_image *im = lf_image_new();
  char a[256] = "", b[256] = "";
  static const uint8_t d1[4] = {1, 2, 3, 4}, d2[4] = {3, 4, 5, 6}, d3[2] = {7, 8};
  hexrec(a, 0, 0x0000, d1, 4);
  hexrec(a, 0, 0x0006, d3, 2); /* adjacent to b's record */
  strcat(a, ":00000001FF\n");
  hexrec(b, 0, 0x0002, d2, 4); /* overlaps a at 2..3 with the same bytes */
  strcat(b, ":00000001FF\n");
  assert_int_equal(add_text(im, "a.hex", a), 0);
  assert_int_equal(add_text(im, "b.hex", b), 0);
  assert_int_equal(lf_image_finish(S, im, NULL, 0), 0);
  assert_int_equal(lf_image_count(im), 1);
  static const uint8_t want[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  assert_int_equal(lf_image_segment(im, 0)->len, 8);
  assert_memory_equal(lf_image_segment(im, 0)->data, want, 8);
  lf_image_free(im);
}

static void test_overlap_with_different_data_names_both(void **state)
{
  lf_image *im = lf_image_new();
  char a[256] = "", b[256] = "";
  static const uint8_t d1[4] = {1, 2, 3, 4}, d2[4] = {3, 0xFF, 5, 6};
  hexrec(a, 0, 0x0000, d1, 4);
  strcat(a, ":00000001FF\n");
  strcat(b, "\n");
  hexrec(b, 0, 0x0002, d2, 4);
  strcat(b, ":00000001FF\n");
  assert_int_equal(add_text(im, "a.hex", a), 0);
  assert_int_equal(add_text(im, "b.hex", b), 0);
  EXPECT_ERR(lf_image_finish(S, im, NULL, 0),
             "image: overlapping data differs at 0x00000003: a.hex line 1 has 0x04, b.hex line 2 has 0xff");
  assert_int_equal(lf_image_count(im), 0);
  lf_image_free(im);

  /* a binary and a HEX file: the binary is named by offset */
  im = lf_image_new();
  uint8_t bin[32];
  memset(bin, 0x11, sizeof bin);
  assert_int_equal(lf_image_add_buffer(S, im, "app.bin", bin, sizeof bin, LF_IMAGE_BIN, 0x08000000), 0);
  char h[256] = "";
  static const uint8_t d3[2] = {0x11, 0x22};
  hex_ext(h, 0x0800);
  hexrec(h, 0, 0x000F, d3, 2);
  strcat(h, ":00000001FF\n");
  assert_int_equal(add_text(im, "patch.hex", h), 0);
  EXPECT_ERR(lf_image_finish(S, im, &F767, LF_REGION_MAIN),
             "image: overlapping data differs at 0x08000010: app.bin offset 0x10 has 0x11, patch.hex line 2 has 0x22");
  lf_image_free(im);
}

static void test_bootloader_plus_app_combined(void **state)
{
  lf_image *im = lf_image_new();
  char boot[512] = "";
  static const uint8_t v[8] = {0x00, 0x10, 0x00, 0x20, 0x09, 0x00, 0x00, 0x08};
  hex_ext(boot, 0x0800);
  hexrec(boot, 0, 0x0000, v, 8);
  strcat(boot, ":00000001FF\n");
  uint8_t app[100];
  for (unsigned i = 0; i < sizeof app; i++)
    app[i] = (uint8_t)i;
  /* added app first: the result is sorted by address anyway */
  assert_int_equal(lf_image_add_buffer(S, im, "app.bin", app, sizeof app, LF_IMAGE_BIN, 0x08008000), 0);
  assert_int_equal(add_text(im, "boot.hex", boot), 0);
  assert_int_equal(lf_image_finish(S, im, &F767, LF_REGION_MAIN), 0);
  assert_int_equal(lf_image_count(im), 2);
  assert_int_equal(lf_image_segment(im, 0)->addr, 0x08000000);
  assert_int_equal(lf_image_segment(im, 0)->len, 8);
  assert_int_equal(lf_image_segment(im, 1)->addr, 0x08008000);
  assert_int_equal(lf_image_segment(im, 1)->len, 100);
  /* an app directly behind the bootloader merges into one segment */
  assert_int_equal(lf_image_add_buffer(S, im, "app2.bin", app, 4, LF_IMAGE_BIN, 0x08000008), 0);
  assert_int_equal(lf_image_finish(S, im, &F767, LF_REGION_MAIN), 0);
  assert_int_equal(lf_image_count(im), 2);
  assert_int_equal(lf_image_segment(im, 0)->len, 12);
  assert_int_equal(lf_image_segment(im, 0)->data[9], 1);
  lf_image_free(im);
}

/* ---- alias and region checks ---- */

static void test_itcm_alias_translated_by_target_table(void **state)
{
  char h[512] = "";
  static const uint8_t d[4] = {1, 2, 3, 4};
  hex_ext(h, 0x0020);
  hexrec(h, 0, 0x0000, d, 4);
  strcat(h, ":00000001FF\n");
  lf_image *im = lf_image_new();
  assert_int_equal(add_text(im, "itcm.hex", h), 0);
  assert_int_equal(lf_image_finish(S, im, &F767, LF_REGION_MAIN), 0);
  assert_int_equal(lf_image_segment(im, 0)->addr, 0x08000000);
  /* no target: no alias table, the address stays */
  assert_int_equal(lf_image_finish(S, im, NULL, 0), 0);
  assert_int_equal(lf_image_segment(im, 0)->addr, 0x00200000);
  lf_image_free(im);

  /* the F4 table has no ITCM alias: 0x00200000 is not writable there */
  lf_flash_geometry f429;
  assert_int_equal(lf_line_geometry(S, NULL, 0x419, 2048, false, &f429), 0);
  im = lf_image_new();
  assert_int_equal(add_text(im, "itcm.hex", h), 0);
  EXPECT_ERR(lf_image_finish(S, im, &f429, LF_REGION_MAIN),
             "itcm.hex line 2: 0x00200000 is outside the writable regions of STM32F42x/F43x 2048 KiB dual bank "
             "(flash 0x08000000-0x081FFFFF)");
  lf_image_free(im);

  /* data running past the end of the alias */
  uint8_t b[4] = {0};
  im = lf_image_new();
  assert_int_equal(lf_image_add_buffer(S, im, "c.bin", b, 4, LF_IMAGE_BIN, 0x003FFFFE), 0);
  EXPECT_ERR(lf_image_finish(S, im, &F767, LF_REGION_MAIN),
             "c.bin offset 0x2: 0x00400000 is past the end of the ITCM flash alias (0x00200000-0x003FFFFF)");
  lf_image_free(im);
  lf_geometry_free(&f429);
}

static void test_regions_and_image_larger_than_flash(void **state)
{
  char h[512] = "";
  static const uint8_t d[4] = {1, 2, 3, 4};
  hex_ext(h, 0x081F);
  hexrec(h, 0, 0xFFFE, d, 2);
  hex_ext(h, 0x0820);
  hexrec(h, 0, 0x0000, d + 2, 2);
  strcat(h, ":00000001FF\n");
  lf_image *im = lf_image_new();
  assert_int_equal(add_text(im, "t.hex", h), 0);
  EXPECT_ERR(lf_image_finish(S, im, &F767, LF_REGION_MAIN),
             "t.hex line 4: 0x08200000 is past the end of the 2048 KiB flash of STM32F76x/F77x 2048 KiB single "
             "bank (0x08000000-0x081FFFFF): the image is larger than the flash");
  lf_image_free(im);

  /* a binary bigger than the flash */
  size_t n = 2048 * 1024 + 16;
  uint8_t *big = calloc(1, n);
  im = lf_image_new();
  assert_int_equal(lf_image_add_buffer(S, im, "big.bin", big, n, LF_IMAGE_BIN, 0x08000000), 0);
  EXPECT_ERR(lf_image_finish(S, im, &F767, LF_REGION_MAIN),
             "big.bin offset 0x200000: 0x08200000 is past the end of the 2048 KiB flash of STM32F76x/F77x 2048 KiB "
             "single bank (0x08000000-0x081FFFFF): the image is larger than the flash");
  lf_image_free(im);
  /* exactly the flash: fine */
  im = lf_image_new();
  assert_int_equal(lf_image_add_buffer(S, im, "full.bin", big, 2048 * 1024, LF_IMAGE_BIN, 0x08000000), 0);
  assert_int_equal(lf_image_finish(S, im, &F767, LF_REGION_MAIN), 0);
  assert_int_equal(lf_image_bytes(im), 2048 * 1024);
  lf_image_free(im);

  /* RAM is not writable; OTP only when allowed */
  im = lf_image_new();
  assert_int_equal(lf_image_add_buffer(S, im, "r.bin", big, 8, LF_IMAGE_BIN, 0x20000000), 0);
  EXPECT_ERR(lf_image_finish(S, im, &F767, LF_REGION_MAIN),
             "r.bin offset 0x0: 0x20000000 is outside the writable regions of STM32F76x/F77x 2048 KiB single bank "
             "(flash 0x08000000-0x081FFFFF)");
  EXPECT_ERR(lf_image_finish(S, im, &F767, LF_REGION_MAIN | LF_REGION_OTP),
             "r.bin offset 0x0: 0x20000000 is outside the writable regions of STM32F76x/F77x 2048 KiB single bank "
             "(flash 0x08000000-0x081FFFFF, OTP 0x1FF0F000-0x1FF0F3FF, OTP lock bytes 0x1FF0F400-0x1FF0F40F)");
  lf_image_free(im);
  im = lf_image_new();
  assert_int_equal(lf_image_add_buffer(S, im, "otp.bin", big, 1040, LF_IMAGE_BIN, 0x1FF0F000), 0);
  assert_int_equal(lf_image_finish(S, im, &F767, LF_REGION_MAIN | LF_REGION_OTP), 0);
  EXPECT_ERR(lf_image_finish(S, im, &F767, LF_REGION_MAIN),
             "otp.bin offset 0x0: 0x1FF0F000 is outside the writable regions of STM32F76x/F77x 2048 KiB single "
             "bank (flash 0x08000000-0x081FFFFF)");
  assert_int_equal(lf_image_add_buffer(S, im, "otp2.bin", big, 1, LF_IMAGE_BIN, 0x1FF0F410), 0);
  EXPECT_ERR(lf_image_finish(S, im, &F767, LF_REGION_MAIN | LF_REGION_OTP),
             "otp2.bin offset 0x0: 0x1FF0F410 is outside the writable regions of STM32F76x/F77x 2048 KiB single "
             "bank (flash 0x08000000-0x081FFFFF, OTP 0x1FF0F000-0x1FF0F3FF, OTP lock bytes 0x1FF0F400-0x1FF0F40F)");
  lf_image_free(im);
  free(big);

  /* the 32-bit address space ends */
  im = lf_image_new();
  EXPECT_ERR(lf_image_add_buffer(S, im, "w.bin", (const uint8_t *)"abcd", 4, LF_IMAGE_BIN, 0xFFFFFFFE),
             "w.bin offset 0x0: 4 bytes at 0xFFFFFFFE pass the end of the 32-bit address space");
  lf_image_free(im);
}

/* ---- UF2 ---- */

/* rc is LF_EINVAL and the message starts with msg */
#define EXPECT_PREFIX(rc, msg)                                                                    \
  do {                                                                                           \
    assert_int_equal((rc), LF_EINVAL);                                                           \
    if (strncmp(lf_err_msg(S), (msg), strlen(msg)) != 0)                                         \
      fail_msg("message '%s' does not start with '%s'", lf_err_msg(S), (msg));                   \
  } while (0)

static void put32(uint8_t *b, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    b[i] = (uint8_t)(v >> (8 * i));
}

/* One 512-byte block: payload len bytes of fill at addr. */
static void uf2_block(uint8_t *b, uint32_t flags, uint32_t addr, uint32_t len, uint32_t no, uint32_t num,
                      uint32_t fam, uint8_t fill)
{
  memset(b, 0, 512);
  put32(b, 0x0A324655u);
  put32(b + 4, 0x9E5D5157u);
  put32(b + 8, flags);
  put32(b + 12, addr);
  put32(b + 16, len);
  put32(b + 20, no);
  put32(b + 24, num);
  put32(b + 28, fam);
  memset(b + 32, fill, len <= 476 ? len : 476);
  put32(b + 508, 0x0AB16F30u);
}

#define FAM_F7 0x53B80F00u
#define FAM_RP 0xE48BFF56u

static void uf2_error(const uint8_t *buf, size_t len, const char *msg)
{
  lf_image *im = lf_image_new();
  EXPECT_PREFIX(lf_image_add_buffer(S, im, "x.uf2", buf, len, LF_IMAGE_AUTO, LF_IMAGE_NO_BASE), msg);
  lf_image_free(im);
}

static void test_uf2_blocks_families_and_gaps(void **state)
{
  uint8_t f[512 * 6];
  /* an F7 image of 3 blocks (a gap, a 100-byte payload), a comment block,
   * and 2 blocks of an RP2040 image in the same file */
  uf2_block(f, 0x2000, 0x08000000, 256, 0, 4, FAM_F7, 0x11);
  uf2_block(f + 512, 0x2000, 0x08000100, 256, 1, 4, FAM_F7, 0x22);
  uf2_block(f + 1024, 0x2000, 0x08001000, 100, 2, 4, FAM_F7, 0x33); /* a gap before it */
  uf2_block(f + 1536, 0x2001, 0x08002000, 256, 3, 4, FAM_F7, 0x44); /* not main flash: skipped */
  uf2_block(f + 2048, 0x2000, 0x10000000, 256, 0, 2, FAM_RP, 0x55);
  uf2_block(f + 2560, 0x2000, 0x10000100, 256, 1, 2, FAM_RP, 0x66);
  lf_image *im = lf_image_new();
  assert_int_equal(lf_image_add_buffer(S, im, "two.uf2", f, sizeof f, LF_IMAGE_AUTO, LF_IMAGE_NO_BASE), 0);
  /* for the F767: its blocks only (the RP2040's are ignored, as the format says) */
  assert_int_equal(lf_image_finish(S, im, &F767, LF_REGION_MAIN), 0);
  assert_int_equal(lf_image_count(im), 2);
  const lf_segment *s0 = lf_image_segment(im, 0), *s1 = lf_image_segment(im, 1);
  assert_int_equal(s0->addr, 0x08000000);
  assert_int_equal(s0->len, 512);
  assert_int_equal(s0->data[0], 0x11);
  assert_int_equal(s0->data[511], 0x22);
  assert_int_equal(s1->addr, 0x08001000);
  assert_int_equal(s1->len, 100);
  char where[128];
  assert_true(lf_image_source(im, &F767, 0x08001010, where, sizeof where));
  assert_string_equal(where, "two.uf2 block 2");
  lf_image_free(im);

  /* only the RP2040's blocks: refused, both families named */
  im = lf_image_new();
  assert_int_equal(lf_image_add_buffer(S, im, "rp.uf2", f + 2048, 1024, LF_IMAGE_AUTO, LF_IMAGE_NO_BASE), 0);
  EXPECT_ERR(lf_image_finish(S, im, &F767, LF_REGION_MAIN),
             "rp.uf2: a UF2 image for RP2040 (0xE48BFF56); the target (STM32F76x/F77x 2048 KiB single bank) "
             "takes UF2 family STM32F7 (0x53B80F00)");
  /* without a geometry (nothing to check against): one family is taken */
  assert_int_equal(lf_image_finish(S, im, NULL, LF_REGION_MAIN), 0);
  assert_int_equal(lf_image_segment(im, 0)->addr, 0x10000000);
  lf_image_free(im);
  /* two families and no chip to choose: an error */
  im = lf_image_new();
  assert_int_equal(lf_image_add_buffer(S, im, "two.uf2", f, sizeof f, LF_IMAGE_UF2, LF_IMAGE_NO_BASE), 0);
  EXPECT_PREFIX(lf_image_finish(S, im, NULL, LF_REGION_MAIN), "two.uf2: UF2 blocks of several families (STM32F7 "
                "(0x53B80F00), RP2040 (0xE48BFF56)) and the chip's UF2 family is not known");
  lf_image_free(im);

  /* blocks without a family ID are taken by any chip; a file container is not flash */
  uf2_block(f, 0, 0x08000000, 476, 0, 2, 0, 0x77);
  uf2_block(f + 512, 0x1000, 0, 10, 1, 2, 1234, 0x78);
  im = lf_image_new();
  assert_int_equal(lf_image_add_buffer(S, im, "plain.uf2", f, 1024, LF_IMAGE_AUTO, LF_IMAGE_NO_BASE), 0);
  assert_int_equal(lf_image_finish(S, im, &F767, LF_REGION_MAIN), 0);
  assert_int_equal(lf_image_bytes(im), 476);
  lf_image_free(im);
  assert_string_equal(lf_uf2_family_name(FAM_F7), "STM32F7");
  assert_null(lf_uf2_family_name(0x12345678));
  assert_int_equal(lf_image_format_parse("uf2"), LF_IMAGE_UF2);
  assert_string_equal(lf_image_format_name(LF_IMAGE_UF2), "UF2");
}

static void test_uf2_errors_name_the_block(void **state)
{
  uint8_t f[512 * 3];
  uf2_block(f, 0x2000, 0x08000000, 256, 0, 2, FAM_F7, 1);
  uf2_block(f + 512, 0x2000, 0x08000100, 256, 1, 2, FAM_F7, 2);
  uf2_error(f, 1000, "x.uf2: 1000 bytes is not a whole number of 512-byte UF2 blocks (the block at offset "
                     "0x200 is cut after 488 bytes)");
  uf2_error(f, 512, "x.uf2 block 0: block count 2, but the file holds 1 block(s)");
  uf2_block(f, 0x2000, 0x08000000, 256, 0, 3, FAM_F7, 1);
  uf2_block(f + 512, 0x2000, 0x08000100, 256, 2, 3, FAM_F7, 2);
  uf2_block(f + 1024, 0x2000, 0x10000000, 256, 0, 1, FAM_RP, 3);
  uf2_error(f, 1536, "x.uf2: 2 of 3 blocks of family STM32F7 (0x53B80F00): block number 1 is missing");
  uf2_block(f, 0x2000, 0x08000000, 256, 0, 2, FAM_F7, 1);
  uf2_block(f + 512, 0x2000, 0x08000100, 256, 1, 2, FAM_F7, 2);
  put32(f + 512 + 508, 0xDEADBEEF);
  uf2_error(f, 1024, "x.uf2 block 1 (offset 0x200): end magic 0xDEADBEEF, expected 0x0AB16F30 (a damaged block)");
  uf2_block(f + 512, 0x2000, 0x08000100, 256, 2, 2, FAM_F7, 2);
  uf2_error(f, 1024, "x.uf2 block 1: block number 2 is not below the block count 2");
  uf2_block(f + 512, 0x2000, 0x08000100, 256, 0, 2, FAM_F7, 2);
  uf2_error(f, 1024, "x.uf2 block 1: block number 0 appears twice");
  uf2_block(f + 512, 0x2000, 0x08000100, 256, 1, 3, FAM_F7, 2);
  uf2_block(f + 1024, 0x2000, 0x10000000, 256, 0, 1, FAM_RP, 3);
  uf2_error(f, 1536, "x.uf2 block 1: block count 3, but block 0 of the same family said 2");
  uf2_block(f + 512, 0x2000, 0x08000100, 477, 1, 2, FAM_F7, 2);
  uf2_error(f, 1024, "x.uf2 block 1: payload of 477 bytes, at most 476 fit");
  uf2_block(f + 512, 0x6000, 0x08000100, 460, 1, 2, FAM_F7, 2);
  uf2_error(f, 1024, "x.uf2 block 1: payload of 460 bytes, at most 452 fit (the last 24 bytes hold the MD5)");
  uf2_block(f + 512, 0xA000, 0x08000100, 256, 1, 2, FAM_F7, 2);
  f[512 + 32 + 256] = 250; /* a tag claiming 250 bytes after a 256-byte payload */
  uf2_error(f, 1024, "x.uf2 block 1: extension tag at data offset 256 claims 250 bytes");
  uf2_block(f + 512, 0x2000, 0xFFFFFF80u, 256, 1, 2, FAM_F7, 2);
  uf2_error(f, 1024, "x.uf2 block 1: 256 bytes at 0xFFFFFF80 pass the end of the 32-bit address space");
  memcpy(f + 512, "UF2\n", 4); /* magic 0 kept, magic 1 broken */
  put32(f + 516, 0);
  uf2_error(f, 1024, "x.uf2 block 1 (offset 0x200): magic numbers 0x0A324655 0x00000000, expected");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_formats_from_files_agree),
    cmocka_unit_test(test_gcc_elf_matches_objcopy_hex_and_srec),
    cmocka_unit_test(test_detection_and_format_names),
    cmocka_unit_test(test_ihex_errors),
    cmocka_unit_test(test_ihex_addressing_and_start_records),
    cmocka_unit_test(test_srec_records_and_errors),
    cmocka_unit_test(test_elf_errors),
    cmocka_unit_test(test_elf_sparse_claim_costs_its_file_bytes),
    cmocka_unit_test(test_merge_adjacent_and_identical_overlap),
    cmocka_unit_test(test_overlap_with_different_data_names_both),
    cmocka_unit_test(test_bootloader_plus_app_combined),
    cmocka_unit_test(test_itcm_alias_translated_by_target_table),
    cmocka_unit_test(test_regions_and_image_larger_than_flash),
    cmocka_unit_test(test_uf2_blocks_families_and_gaps),
    cmocka_unit_test(test_uf2_errors_name_the_block),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
