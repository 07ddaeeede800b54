/*
 * The schema history of the dmsrate store, as numbered SQL steps applied in
 * order by dms_store_open. A released step is never edited: a change to the
 * schema is a new step appended at the end, so that every database, however
 * old, reaches the same schema by the same path.
 */
#include "dms/store.h"

const dms_store_migration dms_store_migrations[] = {
    {1, "audit log",
     "CREATE TABLE audit_log (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),\n"
     "  actor TEXT NOT NULL,\n"
     "  action TEXT NOT NULL,\n"
     "  object TEXT NOT NULL DEFAULT '',\n"
     "  detail TEXT CHECK (detail IS NULL OR json_valid(detail))\n"
     ");\n"
     "CREATE INDEX audit_log_at ON audit_log (at);\n"},
};

const int dms_store_migration_count =
    (int)(sizeof dms_store_migrations / sizeof dms_store_migrations[0]);
