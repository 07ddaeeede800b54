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
    {2, "claims register",
     "CREATE TABLE claims_import (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  employer TEXT NOT NULL,\n"
     "  policy_year INTEGER NOT NULL,\n"
     "  file_sha256 TEXT NOT NULL,\n"
     "  file_name TEXT NOT NULL DEFAULT '',\n"
     "  lines INTEGER NOT NULL,\n"
     "  inserted INTEGER NOT NULL,\n"
     "  imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),\n"
     "  UNIQUE (employer, policy_year, file_sha256)\n"
     ");\n"
     "CREATE TABLE claims_line (\n"
     "  employer TEXT NOT NULL,\n"
     "  policy_year INTEGER NOT NULL,\n"
     "  claim_id TEXT NOT NULL,\n"
     "  occurrence INTEGER NOT NULL,\n"
     "  policy_id TEXT NOT NULL,\n"
     "  employee_id TEXT NOT NULL,\n"
     "  relation INTEGER NOT NULL,\n"
     "  birth_day INTEGER,\n"
     "  visit_day INTEGER NOT NULL,\n"
     "  service_day INTEGER NOT NULL,\n"
     "  category TEXT NOT NULL,\n"
     "  module TEXT NOT NULL,\n"
     "  clinic TEXT NOT NULL,\n"
     "  billed INTEGER NOT NULL CHECK (billed >= 0),\n"
     "  paid INTEGER NOT NULL CHECK (paid >= 0),\n"
     "  copay INTEGER NOT NULL CHECK (copay >= 0 AND paid + copay <= billed),\n"
     "  status INTEGER NOT NULL,\n"
     "  import_id INTEGER NOT NULL REFERENCES claims_import (id),\n"
     "  PRIMARY KEY (employer, policy_year, claim_id, occurrence)\n"
     ") WITHOUT ROWID;\n"
     "CREATE INDEX claims_line_service ON claims_line (employer, policy_year, service_day);\n"},
};

const int dms_store_migration_count =
    (int)(sizeof dms_store_migrations / sizeof dms_store_migrations[0]);
