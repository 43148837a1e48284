/* The production database layer (src/db/db.c) on SQLite: parameters of
 * every type, results, NULLs, changes, errors naming the database and the
 * statement; the PostgreSQL placeholder rewrite and password redaction; a
 * PostgreSQL server that is not there. (A real PostgreSQL server:
 * tests/prod/pg_test.sh.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/session.h"
#include "db/db.h"

static lf_session *S;
static char dir[64];

static int setup(void **state)
{
  S = lf_session_new();
  snprintf(dir, sizeof dir, "/tmp/lf_test_db_XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    return -1;
  lf_session_free(S);
  return 0;
}

static lf_db *open_lite(const char *name)
{
  char url[128];
  snprintf(url, sizeof url, "sqlite:%s/%s", dir, name);
  lf_db *db = NULL;
  if (lf_db_open(S, url, &db))
    fail_msg("%s", lf_err_msg(S));
  assert_string_equal(lf_db_kind(db), "sqlite");
  return db;
}

static void exec_ok(lf_db *db, const char *sql, const lf_db_value *p, size_t n, lf_db_result **r)
{
  if (lf_db_exec(S, db, sql, p, n, r))
    fail_msg("%s", lf_err_msg(S));
}

static void test_sqlite_values_rows_and_changes(void **state)
{
  lf_db *db = open_lite("a.db");
  exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, n BIGINT, s TEXT)", NULL, 0, NULL);
  const char blob[] = {'a', 0, 'b'}; /* text with a NUL inside keeps its length */
  lf_db_value p[] = {{LF_DB_INT, .i = INT64_C(-5000000000)}, {LF_DB_TEXT, .s = blob, .len = 3}};
  lf_db_result *r = NULL;
  exec_ok(db, "INSERT INTO t (n, s) VALUES (?, ?)", p, 2, &r);
  assert_int_equal(lf_db_changes(r), 1);
  lf_db_result_free(r);
  lf_db_value q[] = {{LF_DB_NULL}, {LF_DB_TEXT, .s = "x", .len = 1}};
  exec_ok(db, "INSERT INTO t (n, s) VALUES (?, ?)", q, 2, NULL);
  exec_ok(db, "SELECT id, n, s, 7 AS k FROM t ORDER BY id", NULL, 0, &r);
  assert_int_equal(lf_db_nrows(r), 2);
  assert_int_equal(lf_db_ncols(r), 4);
  assert_string_equal(lf_db_colname(r, 3), "k");
  assert_null(lf_db_colname(r, 4));
  lf_db_value v = lf_db_get(r, 0, 1);
  assert_int_equal(v.type, LF_DB_INT);
  assert_true(v.i == INT64_C(-5000000000));
  v = lf_db_get(r, 0, 2);
  assert_int_equal(v.type, LF_DB_TEXT);
  assert_int_equal(v.len, 3);
  assert_memory_equal(v.s, blob, 3);
  assert_int_equal(lf_db_get(r, 1, 1).type, LF_DB_NULL);
  assert_int_equal(lf_db_get(r, 5, 0).type, LF_DB_NULL); /* out of range: NULL */
  lf_db_result_free(r);
  /* UPDATE ... RETURNING (how a serial number is taken) */
  exec_ok(db, "UPDATE t SET n = 41 WHERE id = 2 RETURNING n + 1 AS m", NULL, 0, &r);
  assert_int_equal(lf_db_get(r, 0, 0).i, 42);
  lf_db_result_free(r);
  assert_false(lf_db_broken(db));
  assert_int_equal(lf_db_reconnect(S, db), 0);
  lf_db_close(db);
  /* the same file again: the rows are there (WAL, synchronous commits) */
  db = open_lite("a.db");
  exec_ok(db, "SELECT COUNT(*) AS c FROM t", NULL, 0, &r);
  assert_int_equal(lf_db_get(r, 0, 0).i, 2);
  lf_db_result_free(r);
  exec_ok(db, "PRAGMA journal_mode", NULL, 0, &r);
  assert_string_equal(lf_db_get(r, 0, 0).s, "wal");
  lf_db_result_free(r);
  lf_db_close(db);
}

static void test_errors_name_the_database_and_the_statement(void **state)
{
  lf_db *db = open_lite("b.db");
  lf_db_result *r = (lf_db_result *)1;
  assert_int_equal(lf_db_exec(S, db, "SELEC 1", NULL, 0, &r), LF_EIO);
  assert_null(r);
  assert_non_null(strstr(lf_err_msg(S), "database "));
  assert_non_null(strstr(lf_err_msg(S), "b.db: near \"SELEC\": syntax error (in: SELEC 1)"));
  lf_db_value one = {LF_DB_INT, .i = 1};
  assert_int_equal(lf_db_exec(S, db, "SELECT ?, ?", &one, 1, NULL), LF_EINVAL);
  assert_non_null(strstr(lf_err_msg(S), "the statement has 2 placeholder(s), 1 value(s) given"));
  exec_ok(db, "CREATE TABLE u (k TEXT PRIMARY KEY)", NULL, 0, NULL);
  lf_db_value k = {LF_DB_TEXT, .s = "a", .len = 1};
  exec_ok(db, "INSERT INTO u VALUES (?)", &k, 1, NULL);
  assert_int_equal(lf_db_exec(S, db, "INSERT INTO u VALUES (?)", &k, 1, NULL), LF_EIO);
  assert_non_null(strstr(lf_err_msg(S), "UNIQUE constraint failed: u.k"));
  lf_db_close(db);
  lf_db *none = (lf_db *)1;
  assert_int_equal(lf_db_open(S, "sqlite:", &none), LF_EINVAL);
  assert_null(none);
  assert_int_equal(lf_db_open(S, "", &none), LF_EINVAL);
  assert_int_equal(lf_db_open(S, "sqlite:/nonexistent-dir/x/y.db", &none), LF_EIO);
}

static void test_postgresql_placeholders_and_redaction(void **state)
{
  size_t n;
  char *q = lf_db_pg_placeholders("SELECT ? , '?', \"a?\" FROM t WHERE x = ? AND y = ?", &n);
  assert_string_equal(q, "SELECT $1 , '?', \"a?\" FROM t WHERE x = $2 AND y = $3");
  assert_int_equal(n, 3);
  free(q);
  q = lf_db_pg_placeholders("SELECT 1", &n);
  assert_int_equal(n, 0);
  free(q);
  /* nothing listens there: a clear error at once, the password not shown */
  lf_db *db = (lf_db *)1;
  int rc = lf_db_open(S, "postgresql://user:secret@127.0.0.1:1/prod", &db);
  assert_int_equal(rc, LF_EIO);
  assert_null(db);
  assert_non_null(strstr(lf_err_msg(S), "database postgresql://user:***@127.0.0.1:1/prod: cannot connect"));
  assert_null(strstr(lf_err_msg(S), "secret"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sqlite_values_rows_and_changes),
    cmocka_unit_test(test_errors_name_the_database_and_the_statement),
    cmocka_unit_test(test_postgresql_placeholders_and_redaction),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
