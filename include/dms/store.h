/*
 * The store, on one of two engines behind the same functions: the embedded
 * SQLite file (a path: WAL journal, foreign keys, a busy timeout, synchronous
 * NORMAL) or a PostgreSQL server shared by several replicas of the service
 * (a postgresql:// or postgres:// URI, any libpq connection URI). Opening
 * brings the schema up to date with the numbered migrations of
 * src/store/migrations.c (SQLite) or migrations_pg.c (PostgreSQL, under an
 * advisory lock so replicas starting together do not race). Each migration
 * runs in its own transaction and is recorded in the schema_migrations
 * table, so opening is idempotent and a crash mid-migration leaves the
 * previous version intact. A store is one connection; use one per thread.
 * A PostgreSQL connection that breaks (server restart) reconnects by itself
 * at the next statement; meanwhile calls fail with DMS_EUNAVAILABLE.
 */
#ifndef DMS_STORE_H
#define DMS_STORE_H

#include <stdbool.h>

#include "dms/error.h"

typedef struct dms_store dms_store;

/* A numbered schema step; the list is only ever appended to. */
typedef struct dms_store_migration {
    int version;      /* 1, 2, 3, ... in order, no gaps */
    const char *name; /* short description, recorded with the version */
    const char *sql;  /* one or more statements */
} dms_store_migration;

/* The migrations compiled into this build, in order. */
extern const dms_store_migration dms_store_migrations[];
extern const int dms_store_migration_count;
/* The same steps for PostgreSQL (version N is the same schema on both). */
extern const dms_store_migration dms_store_pg_migrations[];
extern const int dms_store_pg_migration_count;

/* True when db names a PostgreSQL database (postgresql:// or postgres://). */
bool dms_store_is_uri(const char *db);

/* Milliseconds a statement waits on a locked database before DMS_ECONFLICT. */
#define DMS_STORE_BUSY_TIMEOUT_MS 5000

/*
 * Opens (creating if needed) the database at path, sets the connection
 * pragmas and applies every migration newer than the recorded version.
 * *out is set on success and NULL on failure. Errors: DMS_EINVAL (NULL
 * arguments, a database newer than this build), DMS_EIO (cannot open or
 * write the file, not a database), DMS_ECONFLICT (locked), DMS_EUNAVAILABLE
 * (PostgreSQL cannot be reached); the message starts with the file name or
 * the URI without its password.
 */
int dms_store_open(const char *path, dms_store **out, dms_error *err);

/* Closes the connection. NULL is a no-op. */
void dms_store_close(dms_store *store);

/* The schema version recorded in the database (0 for none). */
int dms_store_version(dms_store *store, int *version, dms_error *err);

/*
 * Runs PRAGMA integrity_check; DMS_OK when SQLite answers "ok", DMS_EIO with
 * its first complaint otherwise. On PostgreSQL (which checksums its own
 * pages) whether the server answers a query on the schema.
 */
int dms_store_check(dms_store *store, dms_error *err);

/*
 * Whether the store answers a query now (for /healthz): DMS_OK, or
 * DMS_EUNAVAILABLE (server down), DMS_EIO (not a database) with the reason.
 */
int dms_store_ping(dms_store *store, dms_error *err);

/*
 * Checkpoints of the write-ahead log off the request path (SQLite; no-ops on
 * PostgreSQL). dms_store_defer_checkpoints leaves this connection's commits
 * to checkpoint only when the log has grown far (a safety net), because a
 * commit that triggers SQLite's automatic checkpoint copies the log into the
 * database and syncs both while it holds the write lock, which every other
 * writer then waits for; dms_store_checkpoint then copies what it can in
 * PASSIVE mode (never waiting for, nor blocking, readers and writers), from a
 * connection of its own, and once the log is over 1000 pages copies what
 * was logged meanwhile (PASSIVE again) and restarts it (RESTART mode; the
 * writers of this process queue at their gate meanwhile and the restart
 * waits for the one in progress there, then at most 20 ms for another
 * process's writer and for the readers), so
 * that under sustained writes the log file stays bounded: a deferring
 * connection restarts it itself from 1500 pages, and from 3000 waits up to
 * 200 ms for a checkpoint in progress to do so. Durability is unchanged: a
 * commit is the log record it was before, and a checkpoint syncs the log
 * before copying it.
 */
void dms_store_defer_checkpoints(dms_store *store);
int dms_store_checkpoint(dms_store *store, dms_error *err);

/*
 * The tenant of a connection. Every employer-scoped table (policy and
 * census, employees, elections, the register) is read and written for the
 * employer set here and no other: the HTTP layer sets it from the caller's
 * key before a handler runs, the CLI from --employer. 0 means none, and
 * scoped reads then find nothing (fail closed). Not a security boundary by
 * itself: it is the one place the employer id enters the SQL.
 */
void dms_store_tenant_set(dms_store *store, long employer);
long dms_store_tenant(const dms_store *store);

/*
 * Appends a row to audit_log: who did what to which object, with an optional
 * JSON detail (may be NULL), under the connection's tenant (none if 0). Returns DMS_OK or DMS_EIO /
 * DMS_ECONFLICT.
 */
int dms_store_audit(dms_store *store, const char *actor, const char *action, const char *object,
                    const char *detail_json, dms_error *err);

#endif
