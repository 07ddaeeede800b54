/*
 * Reading a whole file into memory, the one way every loader does it
 * (issue 17): the JSON and CSV loaders of the core, the XLSX writer's read
 * back and the CLI's input files. Errors carry the file name as source, so
 * that they read "FILE: cannot open FILE: No such file or directory".
 */
#ifndef DMS_FILE_H
#define DMS_FILE_H

#include <stddef.h>

#include "dms/diag.h"
#include "dms/error.h"

/*
 * Reads all of path into *data (malloc'd, with a NUL after the last byte so
 * that text can be used as a string; free() it) and its size into *len.
 * DMS_EIO if it cannot be opened or read, DMS_ETOOBIG when it is larger
 * than max bytes (0: no limit), DMS_ENOMEM. what names the file in
 * messages ("the register"); NULL for "the file". On failure *data is NULL.
 */
int dms_file_read(const char *path, size_t max, const char *what, char **data /* OUT */,
                  size_t *len /* OUT */, dms_error *err);

/* The same, for loaders that collect errors in a dms_diag: the error is
 * appended to diag (may be NULL) and its code returned. */
int dms_file_read_diag(const char *path, size_t max, const char *what, char **data /* OUT */,
                       size_t *len /* OUT */, dms_diag *diag);

#endif
