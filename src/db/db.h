/* Databases for production records: one small interface over SQLite
 * (embedded, one file) and PostgreSQL (a server shared by a line's
 * stations), through their Debian libraries (libsqlite3, libpq).
 *
 *     lf_db *db;
 *     lf_db_open(s, "production.db", &db);              // or "sqlite:PATH",
 *                                                       // "postgresql://user@host:port/name"
 *     lf_db_value p[] = {{LF_DB_TEXT, .s = "default"}};
 *     lf_db_result *r;
 *     lf_db_exec(s, db, "SELECT next FROM lf_range WHERE name = ?", p, 1, &r);
 *     int64_t next = lf_db_get(r, 0, 0).i;
 *     lf_db_result_free(r);
 *     lf_db_close(db);
 *
 * SQL uses `?` placeholders on both (turned into $1, $2 ... for PostgreSQL,
 * outside quoted text). Integer columns come back as LF_DB_INT (SQLite's
 * INTEGER values; PostgreSQL's int2/int4/int8), NULL as LF_DB_NULL, the rest
 * as text. One statement per call. A connection belongs to one thread.
 *
 * SQLite: opened with WAL and synchronous = FULL (a commit is on disk when it
 * returns) and a busy timeout, so connections of several threads and
 * processes queue for the write lock instead of failing. PostgreSQL: a
 * connect timeout of 5 s unless the URL sets one; lf_db_broken() tells a lost
 * connection, lf_db_reconnect() tries again.
 *
 * Errors: LF_EIO (or LF_EINVAL for a bad URL, LF_ENOMEM) with "database
 * WHERE: the library's message" in the session; WHERE is the URL without its
 * password. */
#ifndef LF_DB_DB_H
#define LF_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/session.h"

typedef struct lf_db lf_db;
typedef struct lf_db_result lf_db_result;

typedef enum lf_db_type { LF_DB_NULL = 0, LF_DB_INT, LF_DB_TEXT } lf_db_type;

typedef struct lf_db_value {
  lf_db_type type;
  int64_t i;      /* LF_DB_INT */
  const char *s;  /* LF_DB_TEXT: len bytes (a result's text is NUL-terminated too) */
  size_t len;
} lf_db_value;

/* "sqlite:PATH", "postgresql://..." / "postgres://...", or a plain path
 * (SQLite). SQLite creates the file when it is missing. */
int lf_db_open(lf_session *s, const char *url, lf_db **out);
void lf_db_close(lf_db *db);
const char *lf_db_kind(const lf_db *db);  /* "sqlite" | "postgresql" */
const char *lf_db_where(const lf_db *db); /* the URL without a password */
/* params: n values bound to the `?`s in order (text params: len bytes). res
 * may be NULL when the rows are not wanted. */
int lf_db_exec(lf_session *s, lf_db *db, const char *sql, const lf_db_value *params, size_t n,
               lf_db_result **res);
/* The connection is gone (PostgreSQL: server restart, network); SQLite never. */
bool lf_db_broken(const lf_db *db);
int lf_db_reconnect(lf_session *s, lf_db *db);

size_t lf_db_nrows(const lf_db_result *r);
size_t lf_db_ncols(const lf_db_result *r);
const char *lf_db_colname(const lf_db_result *r, size_t col);
lf_db_value lf_db_get(const lf_db_result *r, size_t row, size_t col);
/* Rows changed by the statement (INSERT/UPDATE/DELETE). */
int64_t lf_db_changes(const lf_db_result *r);
void lf_db_result_free(lf_db_result *r);

/* The SQL with `?` turned into $1..$n outside '...' and "..." (malloc'ed;
 * NULL when out of memory). *count = the number of placeholders. */
char *lf_db_pg_placeholders(const char *sql, size_t *count);

#endif
