/*
 * What the store modules of src/store share beyond the public store.h: the
 * SQLite handle of an open store and the mapping of SQLite result codes to
 * dms statuses. Not installed, not included outside src/store.
 */
#ifndef DMS_STORE_INTERNAL_H
#define DMS_STORE_INTERNAL_H

#include <sqlite3.h>

#include "dms/store.h"

/* The connection of store (borrowed). */
sqlite3 *dms_store_handle(dms_store *store);

/*
 * Records an SQLite failure rc during `what` in err: BUSY/LOCKED become
 * DMS_ECONFLICT, NOMEM DMS_ENOMEM, CONSTRAINT DMS_EINVAL, the rest DMS_EIO.
 * Returns the status.
 */
int dms_store_fail(dms_store *store, int rc, const char *what, dms_error *err);

#endif
