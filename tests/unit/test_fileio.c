/* Durable file operations: replace is all-or-nothing, append keeps records
 * whole and in order, errors name the path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fileio.h"

static char dir[64];

static int setup(void **st)
{
  (void)st;
  strcpy(dir, "/tmp/lf_fileio_XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
  (void)st;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void replace_writes_new_content_and_leaves_no_temp_file(void **st)
{
  (void)st;
  lf_session *s = lf_session_new();
  char path[128], *data;
  size_t len;
  snprintf(path, sizeof path, "%s/counter", dir);
  assert_int_equal(lf_file_replace(s, path, "41\n", 3), 0);
  assert_int_equal(lf_file_replace(s, path, "42\n", 3), 0);
  assert_int_equal(lf_file_read(s, path, &data, &len), 0);
  assert_int_equal(len, 3);
  assert_string_equal(data, "42\n");
  free(data);
  char tmp[160];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  struct stat sb;
  assert_int_not_equal(stat(tmp, &sb), 0);
  lf_session_free(s);
}

static void append_keeps_records_of_concurrent_processes_whole(void **st)
{
  (void)st;
  lf_session *s = lf_session_new();
  char path[128];
  snprintf(path, sizeof path, "%s/log.jsonl", dir);
  enum { PROCS = 4, RECS = 50 };
  for (int p = 0; p < PROCS; p++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      lf_session *cs = lf_session_new();
      char rec[200];
      for (int i = 0; i < RECS; i++) {
        int n = snprintf(rec, sizeof rec, "{\"proc\":%d,\"i\":%d,\"pad\":\"%0120d\"}\n", p, i, 0);
        if (lf_file_append(cs, path, rec, (size_t)n) != 0)
          _exit(1);
      }
      lf_session_free(cs);
      _exit(0);
    }
  }
  for (int p = 0; p < PROCS; p++) {
    int status;
    wait(&status);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  char *data;
  size_t len;
  assert_int_equal(lf_file_read(s, path, &data, &len), 0);
  int next[PROCS] = {0};
  size_t lines = 0;
  for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
    int p, i;
    assert_int_equal(sscanf(line, "{\"proc\":%d,\"i\":%d,", &p, &i), 2);
    assert_true(p >= 0 && p < PROCS);
    assert_int_equal(i, next[p]); /* each process's records in order, none torn */
    next[p]++;
    assert_int_equal(strlen(line), strlen("{\"proc\":0,\"i\":00,\"pad\":\"\"}") + 120 - (i < 10));
    lines++;
  }
  assert_int_equal(lines, PROCS * RECS);
  free(data);
  lf_session_free(s);
}

static void errors_name_the_path(void **st)
{
  (void)st;
  lf_session *s = lf_session_new();
  char *data;
  size_t len;
  assert_int_equal(lf_file_read(s, "/nonexistent/x", &data, &len), LF_ENODEV);
  assert_string_equal(lf_err_msg(s), "open /nonexistent/x: No such file or directory");
  assert_null(data);
  assert_int_equal(lf_file_replace(s, "/nonexistent/dir/x", "a", 1), LF_ENODEV);
  assert_non_null(strstr(lf_err_msg(s), "create /nonexistent/dir/x.tmp."));
  assert_int_equal(lf_file_append(s, "/nonexistent/dir/x", "a", 1), LF_ENODEV);
  assert_string_equal(lf_err_msg(s), "open for append /nonexistent/dir/x: No such file or directory");
  lf_session_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(replace_writes_new_content_and_leaves_no_temp_file),
    cmocka_unit_test(append_keeps_records_of_concurrent_processes_whole),
    cmocka_unit_test(errors_name_the_path),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
