/* Databases for production records (db.h): SQLite and PostgreSQL. */
#define _DEFAULT_SOURCE /* syscall() */
#include "db/db.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct lf_db {
  bool pg;
  lf_session *log; /* PostgreSQL notices go to its logger (never to stderr) */
  sqlite3 *lite;
  PGconn *conn;
  char *url;   /* as given (PostgreSQL: reconnects with it) */
  char *where; /* for messages: no password */
};

typedef struct cell {
  lf_db_type type;
  int64_t i;
  char *s;
  size_t len;
} cell;

struct lf_db_result {
  size_t nrows, ncols, cap;
  char **names;
  cell *cells; /* nrows x ncols */
  int64_t changes;
};

/* PostgreSQL type OIDs of the integer types (pg_type.dat) */
enum { OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23 };

static char *dup_n(const char *s, size_t n)
{
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* "postgresql://user:secret@host/db" -> "postgresql://user:***@host/db";
 * key=value form: password=... -> password=*** */
static char *redact(const char *url)
{
  char *w = malloc(strlen(url) + 8);
  if (!w)
    return NULL;
  const char *scheme = strstr(url, "://");
  const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
  const char *colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
  if (colon) {
    size_t head = (size_t)(colon - url) + 1;
    memcpy(w, url, head);
    strcpy(w + head, "***");
    strcat(w, at);
    return w;
  }
  const char *pw = strstr(url, "password=");
  if (pw) {
    size_t head = (size_t)(pw - url) + 9;
    memcpy(w, url, head);
    strcpy(w + head, "***");
    const char *end = strchr(pw, ' ');
    if (end)
      strcat(w, end);
    return w;
  }
  strcpy(w, url);
  return w;
}

static bool is_pg(const char *url)
{
  return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0;
}

/* SQLite's busy handler: another connection holds the write lock (a gang
 * thread, another station's process) for the few milliseconds of its
 * transaction. Wait 1 ms and try again, up to 60000 times (at least a
 * minute). The wait is the kernel's, not libc's: under the bench's libusb
 * stand-in libc sleeps are virtual (they advance the calling thread's
 * modeled time and return at once), and a database lock must neither cost
 * a board modeled time nor time out without really waiting. */
static int lite_busy(void *arg, int count)
{
  (void)arg;
  if (count >= 60000)
    return 0;
  struct timespec ts = {0, 1000000};
  syscall(SYS_nanosleep, &ts, NULL);
  return 1;
}

static int lite_pragmas(lf_session *s, lf_db *db)
{
  static const char *const pragmas[] = {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                                        "PRAGMA foreign_keys=ON"};
  for (size_t i = 0; i < sizeof pragmas / sizeof *pragmas; i++) {
    char *msg = NULL;
    if (sqlite3_exec(db->lite, pragmas[i], NULL, NULL, &msg) != SQLITE_OK) {
      int rc = lf_err_set(s, LF_EIO, "database %s: %s: %s", db->where, pragmas[i],
                          msg ? msg : sqlite3_errmsg(db->lite));
      sqlite3_free(msg);
      return rc;
    }
  }
  return 0;
}

/* libpq's notices (server shutting down, warnings) through the logger */
static void pg_notice(void *arg, const char *message)
{
  lf_db *db = arg;
  size_t n = strlen(message);
  while (n && (message[n - 1] == '\n' || message[n - 1] == ' '))
    n--;
  if (db->log)
    lf_log(db->log, LF_LOG_INFO, "database %s: %.*s", db->where, (int)n, message);
}

static int pg_connect(lf_session *s, lf_db *db)
{
  /* connect_timeout first: a URL that sets its own wins (expand_dbname) */
  const char *const keys[] = {"connect_timeout", "dbname", NULL};
  const char *const vals[] = {"5", db->url, NULL};
  if (db->conn)
    PQfinish(db->conn);
  db->conn = PQconnectdbParams(keys, vals, 1);
  if (!db->conn)
    return lf_err_set(s, LF_ENOMEM, "database %s: out of memory", db->where);
  PQsetNoticeProcessor(db->conn, pg_notice, db);
  if (PQstatus(db->conn) != CONNECTION_OK) {
    const char *m = PQerrorMessage(db->conn);
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
      n--;
    return lf_err_set(s, LF_EIO, "database %s: cannot connect: %.*s", db->where, (int)n, m);
  }
  /* notices ("relation already exists, skipping") are not errors: quiet */
  PGresult *r = PQexec(db->conn, "SET client_min_messages = warning");
  PQclear(r);
  return 0;
}

int lf_db_open(lf_session *s, const char *url, lf_db **out)
{
  *out = NULL;
  if (!url || !*url)
    return lf_err_set(s, LF_EINVAL, "database: no URL or path given");
  lf_db *db = calloc(1, sizeof *db);
  if (!db)
    return lf_err_set(s, LF_ENOMEM, "database: out of memory");
  db->pg = is_pg(url);
  db->log = s;
  const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
  db->url = strdup(db->pg ? url : path);
  db->where = redact(url);
  if (!db->url || !db->where) {
    lf_db_close(db);
    return lf_err_set(s, LF_ENOMEM, "database: out of memory");
  }
  int rc;
  if (db->pg) {
    rc = pg_connect(s, db);
  } else if (!*path) {
    rc = lf_err_set(s, LF_EINVAL, "database %s: no file name after 'sqlite:'", db->where);
  } else if (sqlite3_open_v2(path, &db->lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL) != SQLITE_OK) {
    rc = lf_err_set(s, LF_EIO, "database %s: %s", db->where,
                    db->lite ? sqlite3_errmsg(db->lite) : "cannot open");
  } else {
    sqlite3_busy_handler(db->lite, lite_busy, db);
    rc = lite_pragmas(s, db);
  }
  if (rc < 0) {
    lf_db_close(db);
    return rc;
  }
  *out = db;
  return 0;
}

void lf_db_close(lf_db *db)
{
  if (!db)
    return;
  if (db->conn)
    PQfinish(db->conn);
  if (db->lite)
    sqlite3_close_v2(db->lite);
  free(db->url);
  free(db->where);
  free(db);
}

const char *lf_db_kind(const lf_db *db) { return db->pg ? "postgresql" : "sqlite"; }
const char *lf_db_where(const lf_db *db) { return db->where; }

bool lf_db_broken(const lf_db *db) { return db->pg && (!db->conn || PQstatus(db->conn) != CONNECTION_OK); }

int lf_db_reconnect(lf_session *s, lf_db *db)
{
  if (!db->pg)
    return 0;
  return pg_connect(s, db);
}

char *lf_db_pg_placeholders(const char *sql, size_t *count)
{
  size_t n = 0, len = strlen(sql);
  for (const char *p = sql; *p; p++)
    n += *p == '?';
  char *out = malloc(len + n * 10 + 1);
  if (!out)
    return NULL;
  char *w = out, quote = 0;
  size_t k = 0;
  for (const char *p = sql; *p; p++) {
    if (quote) {
      if (*p == quote)
        quote = 0;
      *w++ = *p;
    } else if (*p == '\'' || *p == '"') {
      quote = *p;
      *w++ = *p;
    } else if (*p == '?') {
      w += sprintf(w, "$%zu", ++k);
    } else {
      *w++ = *p;
    }
  }
  *w = '\0';
  *count = k;
  return out;
}

/* ---- results ---- */

static lf_db_result *result_new(size_t ncols)
{
  lf_db_result *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->ncols = ncols;
  if (ncols && !(r->names = calloc(ncols, sizeof *r->names))) {
    free(r);
    return NULL;
  }
  return r;
}

/* A new zeroed row; NULL when out of memory. */
static cell *result_row(lf_db_result *r)
{
  if (r->nrows == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 16;
    cell *c = realloc(r->cells, cap * (r->ncols ? r->ncols : 1) * sizeof *c);
    if (!c)
      return NULL;
    r->cells = c;
    r->cap = cap;
  }
  cell *row = &r->cells[r->nrows * r->ncols];
  memset(row, 0, r->ncols * sizeof *row);
  r->nrows++;
  return row;
}

void lf_db_result_free(lf_db_result *r)
{
  if (!r)
    return;
  for (size_t i = 0; i < r->nrows * r->ncols; i++)
    free(r->cells[i].s);
  for (size_t c = 0; c < r->ncols; c++)
    free(r->names[c]);
  free(r->names);
  free(r->cells);
  free(r);
}

size_t lf_db_nrows(const lf_db_result *r) { return r->nrows; }
size_t lf_db_ncols(const lf_db_result *r) { return r->ncols; }
const char *lf_db_colname(const lf_db_result *r, size_t col) { return col < r->ncols ? r->names[col] : NULL; }
int64_t lf_db_changes(const lf_db_result *r) { return r->changes; }

lf_db_value lf_db_get(const lf_db_result *r, size_t row, size_t col)
{
  lf_db_value v = {LF_DB_NULL, 0, NULL, 0};
  if (row < r->nrows && col < r->ncols) {
    const cell *c = &r->cells[row * r->ncols + col];
    v.type = c->type;
    v.i = c->i;
    v.s = c->s;
    v.len = c->len;
  }
  return v;
}

/* ---- SQLite ---- */

static int lite_exec(lf_session *s, lf_db *db, const char *sql, const lf_db_value *params, size_t n,
                     lf_db_result **res)
{
  sqlite3_stmt *st = NULL;
  const char *tail = NULL;
  if (sqlite3_prepare_v2(db->lite, sql, -1, &st, &tail) != SQLITE_OK)
    return lf_err_set(s, LF_EIO, "database %s: %s (in: %.80s)", db->where, sqlite3_errmsg(db->lite), sql);
  if ((size_t)sqlite3_bind_parameter_count(st) != n) {
    int rc = lf_err_set(s, LF_EINVAL, "database %s: the statement has %d placeholder(s), %zu value(s) given "
                        "(in: %.80s)", db->where, sqlite3_bind_parameter_count(st), n, sql);
    sqlite3_finalize(st);
    return rc;
  }
  for (size_t i = 0; i < n; i++) {
    int b = (int)i + 1, brc;
    if (params[i].type == LF_DB_INT)
      brc = sqlite3_bind_int64(st, b, params[i].i);
    else if (params[i].type == LF_DB_TEXT)
      brc = sqlite3_bind_text(st, b, params[i].s, (int)params[i].len, SQLITE_TRANSIENT);
    else
      brc = sqlite3_bind_null(st, b);
    if (brc != SQLITE_OK) {
      int rc = lf_err_set(s, LF_EIO, "database %s: %s", db->where, sqlite3_errmsg(db->lite));
      sqlite3_finalize(st);
      return rc;
    }
  }
  size_t ncols = (size_t)sqlite3_column_count(st);
  lf_db_result *r = result_new(ncols);
  int rc = r ? 0 : lf_err_set(s, LF_ENOMEM, "database: out of memory");
  for (size_t c = 0; rc == 0 && c < ncols; c++)
    if (!(r->names[c] = strdup(sqlite3_column_name(st, (int)c))))
      rc = lf_err_set(s, LF_ENOMEM, "database: out of memory");
  int tries = 0;
  while (rc == 0) {
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE)
      break;
    /* SQLITE_PROTOCOL: a WAL lock race lost repeatedly inside SQLite (busy
     * handlers are not called for it); the statement did nothing and is
     * tried again, as for SQLITE_BUSY, for up to about a minute */
    if (step == SQLITE_PROTOCOL && r->nrows == 0 && ++tries < 6000) {
      sqlite3_reset(st);
      struct timespec ts = {0, 10000000};
      syscall(SYS_nanosleep, &ts, NULL);
      continue;
    }
    if (step != SQLITE_ROW) {
      rc = lf_err_set(s, LF_EIO, "database %s: %s (in: %.80s)", db->where, sqlite3_errmsg(db->lite), sql);
      break;
    }
    cell *row = result_row(r);
    if (!row) {
      rc = lf_err_set(s, LF_ENOMEM, "database: out of memory");
      break;
    }
    for (size_t c = 0; c < ncols; c++) {
      int t = sqlite3_column_type(st, (int)c);
      if (t == SQLITE_INTEGER) {
        row[c].type = LF_DB_INT;
        row[c].i = sqlite3_column_int64(st, (int)c);
      } else if (t != SQLITE_NULL) {
        const unsigned char *txt = sqlite3_column_text(st, (int)c);
        size_t len = (size_t)sqlite3_column_bytes(st, (int)c);
        row[c].type = LF_DB_TEXT;
        row[c].len = len;
        if (!(row[c].s = dup_n(txt ? (const char *)txt : "", len))) {
          rc = lf_err_set(s, LF_ENOMEM, "database: out of memory");
          break;
        }
      }
    }
  }
  if (r)
    r->changes = sqlite3_changes(db->lite);
  sqlite3_finalize(st);
  if (rc < 0 || !res)
    lf_db_result_free(r);
  else
    *res = r;
  return rc;
}

/* ---- PostgreSQL ---- */

static int pg_exec(lf_session *s, lf_db *db, const char *sql, const lf_db_value *params, size_t n,
                   lf_db_result **res)
{
  size_t k;
  char *q = lf_db_pg_placeholders(sql, &k);
  if (!q)
    return lf_err_set(s, LF_ENOMEM, "database: out of memory");
  if (k != n) {
    free(q);
    return lf_err_set(s, LF_EINVAL, "database %s: the statement has %zu placeholder(s), %zu value(s) given "
                      "(in: %.80s)", db->where, k, n, sql);
  }
  const char **vals = calloc(n ? n : 1, sizeof *vals);
  char (*nums)[24] = calloc(n ? n : 1, sizeof *nums);
  char **texts = calloc(n ? n : 1, sizeof *texts);
  int rc = 0;
  if (!vals || !nums || !texts)
    rc = lf_err_set(s, LF_ENOMEM, "database: out of memory");
  for (size_t i = 0; rc == 0 && i < n; i++) {
    if (params[i].type == LF_DB_INT) {
      snprintf(nums[i], sizeof nums[i], "%lld", (long long)params[i].i);
      vals[i] = nums[i];
    } else if (params[i].type == LF_DB_TEXT) {
      /* libpq wants NUL-terminated text */
      if (!(texts[i] = dup_n(params[i].s, params[i].len)))
        rc = lf_err_set(s, LF_ENOMEM, "database: out of memory");
      vals[i] = texts[i];
    }
  }
  PGresult *pr = NULL;
  if (rc == 0) {
    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK)
      rc = lf_err_set(s, LF_EIO, "database %s: not connected", db->where);
    else
      pr = PQexecParams(db->conn, q, (int)n, NULL, vals, NULL, NULL, 0);
  }
  if (rc == 0) {
    ExecStatusType st = pr ? PQresultStatus(pr) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      const char *m = pr ? PQresultErrorMessage(pr) : PQerrorMessage(db->conn);
      size_t len = strlen(m);
      while (len && (m[len - 1] == '\n' || m[len - 1] == ' '))
        len--;
      rc = lf_err_set(s, LF_EIO, "database %s: %.*s (in: %.80s)", db->where, (int)len, m, sql);
    }
  }
  lf_db_result *r = NULL;
  if (rc == 0) {
    size_t ncols = (size_t)PQnfields(pr), nrows = (size_t)PQntuples(pr);
    r = result_new(ncols);
    if (!r)
      rc = lf_err_set(s, LF_ENOMEM, "database: out of memory");
    for (size_t c = 0; rc == 0 && c < ncols; c++)
      if (!(r->names[c] = strdup(PQfname(pr, (int)c))))
        rc = lf_err_set(s, LF_ENOMEM, "database: out of memory");
    for (size_t row = 0; rc == 0 && row < nrows; row++) {
      cell *cl = result_row(r);
      if (!cl) {
        rc = lf_err_set(s, LF_ENOMEM, "database: out of memory");
        break;
      }
      for (size_t c = 0; c < ncols; c++) {
        if (PQgetisnull(pr, (int)row, (int)c))
          continue;
        const char *v = PQgetvalue(pr, (int)row, (int)c);
        Oid t = PQftype(pr, (int)c);
        if (t == OID_INT8 || t == OID_INT2 || t == OID_INT4) {
          cl[c].type = LF_DB_INT;
          cl[c].i = strtoll(v, NULL, 10);
        } else {
          cl[c].type = LF_DB_TEXT;
          cl[c].len = (size_t)PQgetlength(pr, (int)row, (int)c);
          if (!(cl[c].s = dup_n(v, cl[c].len))) {
            rc = lf_err_set(s, LF_ENOMEM, "database: out of memory");
            break;
          }
        }
      }
    }
    if (r) {
      const char *ch = PQcmdTuples(pr);
      r->changes = ch && *ch ? strtoll(ch, NULL, 10) : 0;
    }
  }
  PQclear(pr);
  for (size_t i = 0; texts && i < n; i++)
    free(texts[i]);
  free(texts);
  free(nums);
  free(vals);
  free(q);
  if (rc < 0 || !res)
    lf_db_result_free(r);
  else
    *res = r;
  return rc;
}

int lf_db_exec(lf_session *s, lf_db *db, const char *sql, const lf_db_value *params, size_t n,
               lf_db_result **res)
{
  if (res)
    *res = NULL;
  return db->pg ? pg_exec(s, db, sql, params, n, res) : lite_exec(s, db, sql, params, n, res);
}
