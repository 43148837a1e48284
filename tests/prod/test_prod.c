/* Production pieces in C: per-board data laid over an image
 * (lf_image_patch) and the file lock that serialises serial-number
 * reservations between threads and processes (lf_file_lock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fileio.h"
#include "flash/family.h"
#include "flash/image.h"

static lf_session *S;
static lf_flash_geometry F767;
static char dir[64];

static int setup(void **st)
{
  (void)st;
  S = lf_session_new();
  strcpy(dir, "/tmp/lf_prod_XXXXXX");
  if (!mkdtemp(dir))
    return -1;
  return lf_line_geometry(S, NULL, 0x451, 2048, false, &F767);
}

static int teardown(void **st)
{
  (void)st;
  lf_session_free(S);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* A 16-byte image at 0x08000000 (bytes 0..15) and 8 bytes at 0x08000100. */
static lf_image *two_segments(void)
{
  uint8_t a[16], b[8];
  for (int i = 0; i < 16; i++)
    a[i] = (uint8_t)i;
  memset(b, 0xB0, sizeof b);
  lf_image *im = lf_image_new();
  assert_int_equal(lf_image_add_buffer(S, im, "a.bin", a, sizeof a, LF_IMAGE_BIN, 0x08000000), 0);
  assert_int_equal(lf_image_add_buffer(S, im, "b.bin", b, sizeof b, LF_IMAGE_BIN, 0x08000100), 0);
  assert_int_equal(lf_image_finish(S, im, &F767, LF_REGION_MAIN), 0);
  return im;
}

static void patch_replaces_bytes_inside_a_segment(void **st)
{
  (void)st;
  lf_image *im = two_segments();
  assert_int_equal(lf_image_patch(S, im, "serial", 0x08000004, (const uint8_t *)"SN", 2, &F767,
                                  LF_REGION_MAIN), 0);
  assert_int_equal(lf_image_count(im), 2);
  const lf_segment *s0 = lf_image_segment(im, 0);
  assert_int_equal(s0->len, 16);
  assert_int_equal(s0->data[3], 3);
  assert_memory_equal(s0->data + 4, "SN", 2);
  assert_int_equal(s0->data[6], 6);
  lf_image_free(im);
}

static void patch_over_a_gap_joins_the_segments_and_outside_adds_one(void **st)
{
  (void)st;
  lf_image *im = two_segments();
  uint8_t bridge[0x100 - 8];
  memset(bridge, 0x5A, sizeof bridge);
  /* 0x08000008 .. 0x080000FF: overlaps the first segment's tail, fills the gap,
   * touches the second segment */
  assert_int_equal(lf_image_patch(S, im, "blob", 0x08000008, bridge, sizeof bridge, &F767,
                                  LF_REGION_MAIN), 0);
  assert_int_equal(lf_image_count(im), 1);
  const lf_segment *s0 = lf_image_segment(im, 0);
  assert_int_equal(s0->addr, 0x08000000);
  assert_int_equal(s0->len, 0x108);
  assert_int_equal(s0->data[7], 7);
  assert_int_equal(s0->data[8], 0x5A);
  assert_int_equal(s0->data[0xFF], 0x5A);
  assert_int_equal(s0->data[0x100], 0xB0);
  /* a MAC far away: a segment of its own, in address order */
  assert_int_equal(lf_image_patch(S, im, "mac", 0x08007F30, (const uint8_t *)"\x02\x80\xE1\x00\x03\xE8", 6,
                                  &F767, LF_REGION_MAIN), 0);
  assert_int_equal(lf_image_count(im), 2);
  assert_int_equal(lf_image_segment(im, 1)->addr, 0x08007F30);
  assert_int_equal(lf_image_bytes(im), 0x108 + 6);
  lf_image_free(im);
}

static void patches_survive_a_new_finish_and_the_later_one_wins(void **st)
{
  (void)st;
  lf_image *im = two_segments();
  assert_int_equal(lf_image_patch(S, im, "first", 0x08000002, (const uint8_t *)"AAAA", 4, NULL, 0), 0);
  assert_int_equal(lf_image_patch(S, im, "second", 0x08000004, (const uint8_t *)"BB", 2, NULL, 0), 0);
  /* the alias 0x00200000 + x is 0x08000000 + x (F7): translated like file data */
  assert_int_equal(lf_image_patch(S, im, "alias", 0x00200000, (const uint8_t *)"Z", 1, &F767,
                                  LF_REGION_MAIN), 0);
  assert_int_equal(lf_image_finish(S, im, &F767, LF_REGION_MAIN), 0);
  const lf_segment *s0 = lf_image_segment(im, 0);
  assert_memory_equal(s0->data, "Z\x01" "AABB", 6);
  lf_image_free(im);
}

static void patch_outside_the_flash_is_refused_and_the_image_kept(void **st)
{
  (void)st;
  lf_image *im = two_segments();
  int rc = lf_image_patch(S, im, "serial number", 0x08200000, (const uint8_t *)"SN", 2, &F767,
                          LF_REGION_MAIN);
  assert_int_equal(rc, LF_EINVAL);
  assert_non_null(strstr(lf_err_msg(S), "serial number"));
  assert_non_null(strstr(lf_err_msg(S), "0x08200000"));
  assert_int_equal(lf_image_count(im), 2);
  assert_int_equal(lf_image_bytes(im), 24);
  /* and it does not come back at the next finish */
  assert_int_equal(lf_image_finish(S, im, &F767, LF_REGION_MAIN), 0);
  assert_int_equal(lf_image_bytes(im), 24);
  assert_int_equal(lf_image_patch(S, im, "empty", 0x08000000, (const uint8_t *)"", 0, &F767,
                                  LF_REGION_MAIN), LF_EINVAL);
  lf_image_free(im);
}

/* Read-modify-replace of a counter under the lock, N times per worker. */
#define ROUNDS 100
static char counter_path[128];

static void bump(void)
{
  lf_session *s = lf_session_new();
  for (int i = 0; i < ROUNDS; i++) {
    int fd;
    assert_int_equal(lf_file_lock(s, counter_path, &fd), 0);
    char *d;
    size_t len;
    long v = 0;
    if (lf_file_read(s, counter_path, &d, &len) == 0) {
      v = strtol(d, NULL, 10);
      free(d);
    }
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", v + 1);
    assert_int_equal(lf_file_replace(s, counter_path, buf, (size_t)n), 0);
    lf_file_unlock(fd);
  }
  lf_session_free(s);
}

static void *bump_thread(void *arg)
{
  (void)arg;
  bump();
  return NULL;
}

static void lock_serialises_threads_and_processes(void **st)
{
  (void)st;
  snprintf(counter_path, sizeof counter_path, "%s/counter", dir);
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    bump();
    _exit(0);
  }
  pthread_t th[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&th[i], NULL, bump_thread, NULL), 0);
  bump();
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  int status;
  assert_int_equal(waitpid(child, &status, 0), child);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  char *d;
  size_t len;
  assert_int_equal(lf_file_read(S, counter_path, &d, &len), 0);
  assert_int_equal(strtol(d, NULL, 10), 4 * ROUNDS); /* no increment lost */
  free(d);
}

static void lock_error_names_the_path(void **st)
{
  (void)st;
  int fd;
  assert_int_equal(lf_file_lock(S, "/nonexistent-dir/counter", &fd), LF_ENODEV);
  assert_int_equal(fd, -1);
  assert_non_null(strstr(lf_err_msg(S), "/nonexistent-dir/counter.lock"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(patch_replaces_bytes_inside_a_segment),
    cmocka_unit_test(patch_over_a_gap_joins_the_segments_and_outside_adds_one),
    cmocka_unit_test(patches_survive_a_new_finish_and_the_later_one_wins),
    cmocka_unit_test(patch_outside_the_flash_is_refused_and_the_image_kept),
    cmocka_unit_test(lock_serialises_threads_and_processes),
    cmocka_unit_test(lock_error_names_the_path),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
