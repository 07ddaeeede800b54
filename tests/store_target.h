/*
 * Which store a test talks to. run-tests.sh runs the store tests twice: as
 * they are (a SQLite file in the test's directory) and with
 * DMS_TEST_STORE=postgresql, when each test gets a fresh database of its own
 * on the throwaway cluster of tests/pg/cluster.sh (DMS_TEST_PG_URI is its
 * admin URI). The test code is otherwise the same: it passes the target to
 * --db and dms_store_open as it would a file name.
 */
#ifndef DMS_TEST_STORE_TARGET_H
#define DMS_TEST_STORE_TARGET_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

static inline int store_target_is_pg(void)
{
    const char *backend = getenv("DMS_TEST_STORE");
    return backend != NULL && strcmp(backend, "postgresql") == 0;
}

/* admin with its database name replaced by name (URI form postgresql://auth/db?params). */
static inline int store_target_uri(const char *admin, const char *name, char *out, size_t size)
{
    const char *auth = strstr(admin, "://");
    if (auth == NULL)
        return -1;
    const char *slash = strchr(auth + 3, '/');
    const char *query = strchr(auth + 3, '?');
    size_t head = slash != NULL && (query == NULL || slash < query)
                      ? (size_t)(slash - admin)
                      : (size_t)(query != NULL ? query - admin : (long)strlen(admin));
    int n = snprintf(out, size, "%.*s/%s%s", (int)head, admin, name, query != NULL ? query : "");
    return n > 0 && (size_t)n < size ? 0 : -1;
}

/* A new empty database on the test cluster; its URI in out. */
static inline int store_target_fresh_pg(char *out, size_t size)
{
    const char *admin = getenv("DMS_TEST_PG_URI");
    if (admin == NULL || admin[0] == '\0') {
        fprintf(stderr, "DMS_TEST_STORE=postgresql needs DMS_TEST_PG_URI (tests/pg/cluster.sh)\n");
        return -1;
    }
    static unsigned counter;
    char name[64];
    snprintf(name, sizeof name, "dms_t%ld_%u_%ld", (long)getpid(), ++counter,
             (long)(random() % 100000));
    PGconn *conn = PQconnectdb(admin);
    int ok = PQstatus(conn) == CONNECTION_OK;
    if (ok) {
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
        PGresult *res = PQexec(conn, sql);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
            fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(res));
        PQclear(res);
    } else {
        fprintf(stderr, "cannot connect to %s: %s", admin, PQerrorMessage(conn));
    }
    PQfinish(conn);
    return ok ? store_target_uri(admin, name, out, size) : -1;
}

/* The store of a test: dir/file (SQLite) or a fresh PostgreSQL database. */
static inline int store_target(const char *dir, const char *file, char *out, size_t size)
{
    if (store_target_is_pg())
        return store_target_fresh_pg(out, size);
    int n = snprintf(out, size, "%s/%s", dir, file);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

#endif
