/*
 * The claims register tables of the store (migration 2 of migrations.c):
 * import in one transaction with the file-hash and per-line-key idempotence
 * rules of claims_store.h, and loading a stored register back. The module
 * keeps a store connection of its own (dms_store_open, either engine);
 * on PostgreSQL the lines stream in with COPY. Where a million-line import
 * spends its time, and why the code is shaped so: the lines go in in key
 * order, so the primary key's B-tree fills from left to right; SQLite inserts
 * through one statement bound without copying; the first import of an
 * employer's year cannot collide with a stored key and skips the upsert; a
 * PostgreSQL re-send deletes the lines it replaces in one join and copies all
 * its lines in (copy_lines); and the file's SHA-256 is computed beside the insert when no earlier
 * import of that year has the same number of lines (the same bytes always parse to the same lines,
 * so such a file cannot have been imported before). The lines have no index but their key
 * (migration 10): a load sorts them by service date.
 */
#include "dms/claims_store.h"
#include "dms/sha256.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms/sql.h"
#include "dms/store.h"
#include "store_internal.h"

struct dms_claims_store {
    dms_store *store;
};

/* ---- connection -------------------------------------------------------- */

void dms_claims_store_close(dms_claims_store *cs)
{
    if (cs == NULL)
        return;
    dms_store_close(cs->store);
    free(cs);
}

int dms_claims_store_open(const char *path, dms_claims_store **out, dms_error *err)
{
    dms_error_clear(err);
    if (out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_claims_store_open: NULL output");
    *out = NULL;
    dms_claims_store *cs = calloc(1, sizeof *cs);
    if (cs == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    int status = dms_store_open(path, &cs->store, err); /* creates and migrates */
    if (status != DMS_OK) {
        free(cs);
        return status;
    }
    *out = cs;
    return DMS_OK;
}

/* The number of stored lines of employer's year; with any, only whether there is one (0 or 1),
 * which PostgreSQL answers without counting a million lines. */
static int count_lines(dms_store *store, const char *employer, int year, bool any, int64_t *n)
{
    dms_stmt *st = NULL;
    int rc = dms_sql_prepare(store,
                             any ? "SELECT count(*) FROM (SELECT 1 FROM claims_line WHERE employer "
                                   "= ?1 AND policy_year = ?2 LIMIT 1) AS one"
                                 : "SELECT count(*) FROM claims_line WHERE employer = ?1 AND "
                                   "policy_year = ?2",
                             &st);
    if (rc == DMS_SQL_OK) {
        dms_sql_bind_text(st, 1, employer);
        dms_sql_bind_int64(st, 2, year);
        rc = dms_sql_step(st);
        if (rc == DMS_SQL_ROW) {
            *n = dms_sql_column_int64(st, 0);
            rc = DMS_SQL_OK;
        }
    }
    dms_sql_finalize(st);
    return rc;
}

#define LINE_COLUMNS                                                                               \
    "employer, policy_year, claim_id, occurrence, policy_id, employee_id, relation, birth_day, "   \
    "visit_day, service_day, category, module, clinic, billed, paid, copay, status, import_id"

#define LINE_UPSERT                                                                                \
    " ON CONFLICT (employer, policy_year, claim_id, occurrence) DO UPDATE SET policy_id = "        \
    "excluded.policy_id, employee_id = excluded.employee_id, relation = excluded.relation, "       \
    "birth_day = excluded.birth_day, visit_day = excluded.visit_day, service_day = "               \
    "excluded.service_day, category = excluded.category, module = excluded.module, clinic = "      \
    "excluded.clinic, billed = excluded.billed, paid = excluded.paid, copay = excluded.copay, "    \
    "status = excluded.status, import_id = excluded.import_id"

#define LINE_VALUES                                                                                \
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"

/* Orders lines by their key within an employer's year: claim id (as SQLite's BINARY and
 * PostgreSQL's C collation compare, byte by byte), then occurrence. */
static int key_cmp(const dms_claim_line *x, const dms_claim_line *y)
{
    int c = strcmp(x->claim_id, y->claim_id);
    if (c != 0)
        return c;
    return (x->occurrence > y->occurrence) - (x->occurrence < y->occurrence);
}

static int key_cmp_ptr(const void *a, const void *b)
{
    return key_cmp(*(const dms_claim_line *const *)a, *(const dms_claim_line *const *)b);
}

/*
 * The order in which the lines go in: key order, so that the primary key's
 * B-tree fills from left to right instead of at random pages (a register
 * sorted by date touches a different leaf for nearly every line, and the
 * table outgrows the page cache). NULL when reg is already in key order, as
 * most registers are (insurers number claims as they come), or when there is
 * no memory for the order, in which case input order is used.
 */
static const dms_claim_line **key_order(const dms_register *reg)
{
    size_t i = 1;
    while (i < reg->count && key_cmp(&reg->lines[i - 1], &reg->lines[i]) < 0)
        i++;
    if (i >= reg->count)
        return NULL;
    const dms_claim_line **order = malloc(reg->count * sizeof *order);
    if (order == NULL)
        return NULL;
    for (i = 0; i < reg->count; i++)
        order[i] = &reg->lines[i];
    qsort(order, reg->count, sizeof *order, key_cmp_ptr);
    return order;
}

/*
 * SQLite: the lines one by one through one prepared statement on the
 * connection itself. The register's strings outlive the statement, so they are
 * bound without a copy. fresh: nothing is stored for the employer's year yet,
 * and the keys of one register are unique (the occurrence numbers them), so no
 * line can collide and the plain INSERT does what the upsert would, at about
 * two thirds of its cost.
 */
static int insert_lines(dms_store *store, const char *employer, int policy_year,
                        const dms_register *reg, const dms_claim_line **order, int64_t import_id,
                        bool fresh)
{
    sqlite3 *db = store->db;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                fresh ? "INSERT INTO claims_line (" LINE_COLUMNS ")" LINE_VALUES
                                      : "INSERT INTO claims_line (" LINE_COLUMNS
                                        ")" LINE_VALUES LINE_UPSERT,
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, employer, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, policy_year);
        sqlite3_bind_int64(st, 18, import_id);
    }
    for (size_t i = 0; i < reg->count && rc == SQLITE_OK; i++) {
        const dms_claim_line *l = order != NULL ? order[i] : &reg->lines[i];
        sqlite3_bind_text(st, 3, l->claim_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)l->occurrence);
        sqlite3_bind_text(st, 5, l->policy_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, l->employee_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)l->relation);
        if (l->birth_day == LONG_MIN)
            sqlite3_bind_null(st, 8);
        else
            sqlite3_bind_int64(st, 8, l->birth_day);
        sqlite3_bind_int64(st, 9, l->visit_day);
        sqlite3_bind_int64(st, 10, l->service_day);
        sqlite3_bind_text(st, 11, l->category, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 12, l->module, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 13, l->clinic, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 14, l->billed);
        sqlite3_bind_int64(st, 15, l->paid);
        sqlite3_bind_int64(st, 16, l->copay);
        sqlite3_bind_int64(st, 17, (sqlite3_int64)l->status);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? sqlite3_reset(st) : rc;
    }
    int result = DMS_SQL_OK;
    if (rc != SQLITE_OK) { /* mapped as sql.c maps it; finalize keeps the message */
        int code = rc & 0xff;
        result = code == SQLITE_CONSTRAINT ? DMS_SQL_CONSTRAINT
                 : code == SQLITE_NOMEM    ? DMS_SQL_NOMEM
                 : code == SQLITE_BUSY     ? DMS_SQL_BUSY
                                           : DMS_SQL_ERROR;
    }
    sqlite3_finalize(st);
    return result;
}

/* A text field of COPY's text format: backslash, tab, newline and carriage return escaped. */
static size_t copy_text(char *out, const char *s)
{
    size_t n = 0;
    for (; s != NULL && *s != '\0'; s++) {
        char c = *s;
        if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
            out[n++] = '\\';
            c = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
        }
        out[n++] = c;
    }
    return n;
}

/* Upper bound of one line of COPY text for l (every text byte may double). */
static size_t copy_line_max(const char *employer, const dms_claim_line *l)
{
    size_t text = strlen(employer) + strlen(l->claim_id) + strlen(l->policy_id) +
                  strlen(l->employee_id) + strlen(l->category) + strlen(l->module) +
                  strlen(l->clinic);
    return 2 * text + 18 * 24;
}

/* Appends l's line of COPY text (the columns of LINE_COLUMNS) to buf at len. */
static size_t copy_line(char *buf, size_t len, const char *employer, int policy_year,
                        const dms_claim_line *l, int64_t import_id)
{
    len += copy_text(buf + len, employer);
    len += (size_t)sprintf(buf + len, "\t%d\t", policy_year);
    len += copy_text(buf + len, l->claim_id);
    len += (size_t)sprintf(buf + len, "\t%ld\t", (long)l->occurrence);
    len += copy_text(buf + len, l->policy_id);
    buf[len++] = '\t';
    len += copy_text(buf + len, l->employee_id);
    len += (size_t)sprintf(buf + len, "\t%d\t", (int)l->relation);
    if (l->birth_day == LONG_MIN)
        len += (size_t)sprintf(buf + len, "\\N");
    else
        len += (size_t)sprintf(buf + len, "%ld", l->birth_day);
    len += (size_t)sprintf(buf + len, "\t%ld\t%ld\t", l->visit_day, l->service_day);
    len += copy_text(buf + len, l->category);
    buf[len++] = '\t';
    len += copy_text(buf + len, l->module);
    buf[len++] = '\t';
    len += copy_text(buf + len, l->clinic);
    len += (size_t)sprintf(buf + len, "\t%lld\t%lld\t%lld\t%d\t%lld\n", (long long)l->billed,
                           (long long)l->paid, (long long)l->copay, (int)l->status,
                           (long long)import_id);
    return len;
}

/* Appends l's key (claim id, occurrence) as a line of COPY text to buf at len. */
static size_t copy_key(char *buf, size_t len, const dms_claim_line *l)
{
    len += copy_text(buf + len, l->claim_id);
    len += (size_t)sprintf(buf + len, "\t%ld\n", (long)l->occurrence);
    return len;
}

/* Streams reg's lines (keys_only: their keys) into the COPY that copy_sql starts. */
static int copy_stream(dms_store *store, const char *copy_sql, const char *employer,
                       int policy_year, const dms_register *reg, const dms_claim_line **order,
                       int64_t import_id, bool keys_only)
{
    int rc = dms_sql_copy_begin(store, copy_sql);
    if (rc != DMS_SQL_OK)
        return rc;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        dms_sql_copy_end(store, "no memory");
        return DMS_SQL_NOMEM;
    }
    for (size_t i = 0; i < reg->count && rc == DMS_SQL_OK; i++) {
        const dms_claim_line *l = order != NULL ? order[i] : &reg->lines[i];
        size_t need = keys_only ? 2 * strlen(l->claim_id) + 24 : copy_line_max(employer, l);
        if (len + need > cap) {
            rc = dms_sql_copy_put(store, buf, len);
            len = 0;
            if (need > cap) {
                char *grown = realloc(buf, need);
                if (grown == NULL) {
                    rc = DMS_SQL_NOMEM;
                    break;
                }
                buf = grown;
                cap = need;
            }
        }
        len = keys_only ? copy_key(buf, len, l)
                        : copy_line(buf, len, employer, policy_year, l, import_id);
    }
    if (rc == DMS_SQL_OK && len > 0)
        rc = dms_sql_copy_put(store, buf, len);
    free(buf);
    int end = dms_sql_copy_end(store, rc == DMS_SQL_OK ? NULL : "the import failed");
    return rc == DMS_SQL_OK ? end : rc;
}

/*
 * The stored lines of employer's year whose key is in the staging table claims_key
 * deleted; *deleted their number. The hash of a million keys takes about 70 MB: with
 * the default work_mem it would spill to disk in batches and visit the lines at random.
 */
static int delete_staged(dms_store *store, const char *employer, int policy_year, size_t *deleted)
{
    int rc = dms_sql_exec(store, "SET LOCAL work_mem = '64MB'");
    if (rc == DMS_SQL_OK)
        rc = dms_sql_exec(store, "ANALYZE claims_key");
    if (rc != DMS_SQL_OK)
        return rc;
    dms_stmt *st = NULL;
    rc = dms_sql_prepare(store,
                         "DELETE FROM claims_line l USING claims_key k WHERE l.employer = ?1 "
                         "AND l.policy_year = ?2 AND l.claim_id = k.claim_id AND "
                         "l.occurrence = k.occurrence",
                         &st);
    if (rc == DMS_SQL_OK) {
        dms_sql_bind_text(st, 1, employer);
        dms_sql_bind_int64(st, 2, policy_year);
        rc = dms_sql_step(st);
        if (rc == DMS_SQL_DONE) {
            *deleted = (size_t)dms_sql_changes(store);
            rc = DMS_SQL_OK;
        }
    }
    dms_sql_finalize(st);
    return rc;
}

/*
 * PostgreSQL: the lines stream in with COPY, the bulk path of the server,
 * straight into claims_line; *replaced is the number of stored lines they
 * replace. On the first import of an employer's year no key can collide.
 * Otherwise the register's keys go first into a temporary table, the stored
 * lines with those keys are deleted in one join, and the lines then go in
 * as on a first import. The stored result is the upsert's (SQLite's path):
 * a line with a stored key replaces every column but the key, which is equal
 * byte for byte (C collation). Per line the upsert took an index probe, a
 * row lock, an update and a second unique check, each with its own WAL
 * record, about 14 s for a million lines; the join deletes them in
 * about 2 s and COPY inserts in batches.
 */
static int copy_lines(dms_store *store, const char *employer, int policy_year,
                      const dms_register *reg, const dms_claim_line **order, int64_t import_id,
                      bool direct, size_t *replaced)
{
    *replaced = 0;
    /* A register of millions of lines is one long statement: the import's own limit. */
    int rc = dms_sql_exec(store, "SET LOCAL statement_timeout = '10min'");
    if (rc == DMS_SQL_OK && !direct)
        rc = dms_sql_exec(store, "CREATE TEMP TABLE claims_key (claim_id text NOT NULL, "
                                 "occurrence bigint NOT NULL) ON COMMIT DROP");
    if (rc == DMS_SQL_OK && !direct)
        rc = copy_stream(store, "COPY claims_key (claim_id, occurrence) FROM STDIN", employer,
                         policy_year, reg, order, import_id, true);
    if (rc == DMS_SQL_OK && !direct)
        rc = delete_staged(store, employer, policy_year, replaced);
    if (rc == DMS_SQL_OK)
        rc = copy_stream(store, "COPY claims_line (" LINE_COLUMNS ") FROM STDIN", employer,
                         policy_year, reg, order, import_id, false);
    return rc;
}

/* The file's SHA-256, computed on a second thread while the lines go in. */
struct file_hash {
    const void *file;
    size_t len;
    char hex[DMS_SHA256_HEX];
    pthread_t thread;
    bool running;
};

static void *hash_thread(void *arg)
{
    struct file_hash *h = arg;
    dms_sha256_hex(h->file, h->len, h->hex);
    return NULL;
}

/* Starts hashing h on a thread; hashes at once when no thread can be started. */
static void hash_start(struct file_hash *h)
{
    h->running = pthread_create(&h->thread, NULL, hash_thread, h) == 0;
    if (!h->running)
        hash_thread(h);
}

static void hash_wait(struct file_hash *h)
{
    if (h->running)
        pthread_join(h->thread, NULL);
    h->running = false;
}

/*
 * Looks up an import of employer's year: with the file hash sha256 (*id, *found),
 * or, with sha256 NULL, any import of the same number of lines (*found only).
 */
static int find_import(dms_store *store, const char *employer, int policy_year, const char *sha256,
                       size_t lines, int64_t *id, bool *found)
{
    dms_stmt *st = NULL;
    *found = false;
    int rc =
        dms_sql_prepare(store,
                        sha256 != NULL ? "SELECT id FROM claims_import WHERE employer = ?1 AND "
                                         "policy_year = ?2 AND file_sha256 = ?3"
                                       : "SELECT id FROM claims_import WHERE employer = ?1 AND "
                                         "policy_year = ?2 AND lines = ?3 LIMIT 1",
                        &st);
    if (rc == DMS_SQL_OK) {
        dms_sql_bind_text(st, 1, employer);
        dms_sql_bind_int64(st, 2, policy_year);
        if (sha256 != NULL)
            dms_sql_bind_text(st, 3, sha256);
        else
            dms_sql_bind_int64(st, 3, (long long)lines);
        rc = dms_sql_step(st);
        if (rc == DMS_SQL_ROW) {
            if (id != NULL)
                *id = dms_sql_column_int64(st, 0);
            *found = true;
            rc = DMS_SQL_OK;
        } else if (rc == DMS_SQL_DONE) {
            rc = DMS_SQL_OK;
        }
    }
    dms_sql_finalize(st);
    return rc;
}

/* The import's row in claims_import; sha256 may still be a placeholder. */
static int add_import(dms_store *store, const char *employer, int policy_year, const char *sha256,
                      const char *file_name, size_t lines, int64_t *id)
{
    dms_stmt *st = NULL;
    int rc = dms_sql_prepare(store,
                             "INSERT INTO claims_import (employer, policy_year, file_sha256, "
                             "file_name, lines, inserted) VALUES (?1, ?2, ?3, ?4, ?5, 0) "
                             "RETURNING id",
                             &st);
    if (rc == DMS_SQL_OK) {
        dms_sql_bind_text(st, 1, employer);
        dms_sql_bind_int64(st, 2, policy_year);
        dms_sql_bind_text(st, 3, sha256);
        dms_sql_bind_text(st, 4, file_name ? file_name : "");
        dms_sql_bind_int64(st, 5, (long long)lines);
        long long v = 0;
        rc = dms_sql_step_id(st, &v);
        *id = v;
        rc = rc == DMS_SQL_DONE ? DMS_SQL_OK : rc;
    }
    dms_sql_finalize(st);
    return rc;
}

int dms_claims_store_import(dms_claims_store *cs, const char *employer, int policy_year,
                            const char *file_name, const void *file, size_t file_len,
                            const dms_register *reg, dms_claims_import_result *res, dms_error *err)
{
    dms_error_clear(err);
    dms_stmt *st = NULL;
    int rc, status = DMS_OK;
    int64_t before = 0, after = 0;
    bool found = false;
    struct file_hash hash = {.file = file != NULL ? file : "", .len = file_len};
    if (cs == NULL || reg == NULL || res == NULL || (file == NULL && file_len > 0))
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_claims_store_import: NULL argument");
    if (employer == NULL || employer[0] == '\0')
        return dms_error_set(err, DMS_EINVAL, "/employer", "the employer is empty");
    if (policy_year < 2000 || policy_year > 2100)
        return dms_error_set(err, DMS_EINVAL, "/policy_year",
                             "the policy year must be 2000..2100, got %d", policy_year);
    memset(res, 0, sizeof *res);
    res->lines = reg->count;
    dms_store *store = cs->store;

    if ((rc = dms_sql_begin(store)) != DMS_SQL_OK)
        return dms_store_fail(store, rc, "starting the import", err);
    /* The same bytes parse to the same lines: with no earlier import of this many lines the
     * file is new, and its hash is needed only at the end (computed meanwhile). */
    if ((rc = find_import(store, employer, policy_year, NULL, reg->count, NULL, &found)) !=
        DMS_SQL_OK)
        goto out_db;
    if (found)
        hash_thread(&hash);
    else
        hash_start(&hash);
    bool threaded = hash.running;
    if (!threaded) {
        memcpy(res->sha256, hash.hex, sizeof res->sha256);
        if ((rc = find_import(store, employer, policy_year, res->sha256, 0, &res->import_id,
                              &found)) != DMS_SQL_OK)
            goto out_db;
        if (found) {
            res->already_imported = 1;
            dms_sql_rollback(store);
            return DMS_OK;
        }
    }
    /* PostgreSQL counts the replaced lines as it deletes them (copy_lines). */
    bool pg = dms_sql_is_pg(store);
    if ((rc = count_lines(store, employer, policy_year, pg, &before)) != DMS_SQL_OK)
        goto out_db;
    /* A placeholder until the hash is known, unique within the transaction, which holds the
     * store's write lock. */
    if ((rc = add_import(store, employer, policy_year, threaded ? "hashing" : hash.hex, file_name,
                         reg->count, &res->import_id)) != DMS_SQL_OK)
        goto out_db;
    const dms_claim_line **order = key_order(reg);
    size_t replaced = 0;
    rc = pg ? copy_lines(store, employer, policy_year, reg, order, res->import_id, before == 0,
                         &replaced)
            : insert_lines(store, employer, policy_year, reg, order, res->import_id, before == 0);
    free(order);
    if (rc != DMS_SQL_OK)
        goto out_db;
    /* A first import of the year cannot collide: every line is new. */
    if (pg || before == 0)
        after = before + (int64_t)(reg->count - replaced);
    else if ((rc = count_lines(store, employer, policy_year, false, &after)) != DMS_SQL_OK)
        goto out_db;
    res->inserted = (size_t)(after - before);
    res->replaced = reg->count - res->inserted;
    if (threaded) {
        hash_wait(&hash);
        memcpy(res->sha256, hash.hex, sizeof res->sha256);
        /* Only a file stored under another line count (an older parser) can match here. */
        int64_t earlier = 0;
        if ((rc = find_import(store, employer, policy_year, res->sha256, 0, &earlier, &found)) !=
            DMS_SQL_OK)
            goto out_db;
        if (found) {
            dms_sql_rollback(store);
            memset(res, 0, sizeof *res);
            res->lines = reg->count;
            memcpy(res->sha256, hash.hex, sizeof res->sha256);
            res->import_id = earlier;
            res->already_imported = 1;
            return DMS_OK;
        }
    }
    rc = dms_sql_prepare(
        store, "UPDATE claims_import SET inserted = ?1, file_sha256 = ?2 WHERE id = ?3", &st);
    if (rc == DMS_SQL_OK) {
        dms_sql_bind_int64(st, 1, (long long)res->inserted);
        dms_sql_bind_text(st, 2, res->sha256);
        dms_sql_bind_int64(st, 3, res->import_id);
        rc = dms_sql_step(st);
        rc = rc == DMS_SQL_DONE ? DMS_SQL_OK : rc;
    }
    dms_sql_finalize(st);
    st = NULL;
    if (rc != DMS_SQL_OK || (rc = dms_sql_commit(store)) != DMS_SQL_OK)
        goto out_db;
    return DMS_OK;
out_db:
    hash_wait(&hash);
    status = dms_store_fail(store, rc, "importing the claims register", err);
    dms_sql_finalize(st);
    dms_sql_rollback(store);
    return status;
}

static const char *col_text(dms_stmt *st, int i)
{
    const char *s = dms_sql_column_text(st, i);
    return s != NULL ? s : "";
}

int dms_claims_store_load(dms_claims_store *cs, const char *employer, int policy_year,
                          dms_register **out, dms_error *err)
{
    dms_error_clear(err);
    dms_stmt *st = NULL;
    dms_register *reg = NULL;
    int status = DMS_OK;
    if (out == NULL || cs == NULL || employer == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_claims_store_load: NULL argument");
    *out = NULL;
    if (dms_register_alloc(&reg) != DMS_OK)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    int rc = dms_sql_prepare(
        cs->store,
        "SELECT claim_id, policy_id, employee_id, relation, birth_day, visit_day, service_day, "
        "category, module, clinic, billed, paid, copay, status FROM claims_line WHERE employer "
        "= ?1 AND policy_year = ?2 ORDER BY service_day, claim_id, occurrence",
        &st);
    if (rc == DMS_SQL_OK) {
        dms_sql_bind_text(st, 1, employer);
        dms_sql_bind_int64(st, 2, policy_year);
        while ((rc = dms_sql_step(st)) == DMS_SQL_ROW) {
            dms_claim_line l;
            memset(&l, 0, sizeof l);
            l.claim_id = col_text(st, 0);
            l.policy_id = col_text(st, 1);
            l.employee_id = col_text(st, 2);
            l.relation = (enum dms_relation)dms_sql_column_int(st, 3);
            l.birth_day = dms_sql_column_null(st, 4) ? LONG_MIN : (long)dms_sql_column_int64(st, 4);
            l.visit_day = (long)dms_sql_column_int64(st, 5);
            l.service_day = (long)dms_sql_column_int64(st, 6);
            l.category = col_text(st, 7);
            l.module = col_text(st, 8);
            l.clinic = col_text(st, 9);
            l.billed = dms_sql_column_int64(st, 10);
            l.paid = dms_sql_column_int64(st, 11);
            l.copay = dms_sql_column_int64(st, 12);
            l.status = (enum dms_claim_status)dms_sql_column_int(st, 13);
            if ((status = dms_register_append(reg, &l)) != DMS_OK) {
                status = dms_error_set(err, status, NULL, "a stored claim line is invalid");
                goto out_free;
            }
        }
        rc = rc == DMS_SQL_DONE ? DMS_SQL_OK : rc;
    }
    if (rc != DMS_SQL_OK) {
        status = dms_store_fail(cs->store, rc, "loading the claims register", err);
        goto out_free;
    }
    dms_sql_finalize(st);
    *out = reg;
    return DMS_OK;
out_free:
    dms_sql_finalize(st);
    dms_register_free(reg);
    return status;
}
