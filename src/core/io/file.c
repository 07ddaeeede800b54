/*
 * Whole-file reading (include/dms/file.h). The buffer doubles as it fills,
 * so a file of unknown size (a pipe, /dev/stdin) reads as well as a regular
 * one, and the limit is checked as the bytes arrive rather than trusting a
 * size taken before the read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms/file.h"

int dms_file_read(const char *path, size_t max, const char *what, char **data, size_t *len,
                  dms_error *err)
{
    dms_error_clear(err);
    if (data != NULL)
        *data = NULL;
    if (len != NULL)
        *len = 0;
    if (path == NULL || data == NULL || len == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_file_read: NULL argument");
    if (what == NULL)
        what = "the file";
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return dms_error_set_at(err, DMS_EIO, path, 0, 0, "cannot open %s: %s", what,
                                strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int status = DMS_OK;
    for (;;) {
        if (cap - n < 2) { /* room for at least one byte and the NUL */
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                status =
                    dms_error_set_at(err, DMS_ENOMEM, path, 0, 0, "out of memory reading %s", what);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (max > 0 && n > max) {
            status = dms_error_set_at(err, DMS_ETOOBIG, path, 0, 0, "%s is larger than %zu bytes",
                                      what, max);
            break;
        }
        if (got == 0)
            break;
    }
    if (status == DMS_OK && ferror(f))
        status =
            dms_error_set_at(err, DMS_EIO, path, 0, 0, "cannot read %s: %s", what, strerror(errno));
    fclose(f);
    if (status != DMS_OK) {
        free(buf);
        return status;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return DMS_OK;
}

int dms_file_read_diag(const char *path, size_t max, const char *what, char **data, size_t *len,
                       dms_diag *diag)
{
    dms_error err;
    int status = dms_file_read(path, max, what, data, len, &err);
    if (status != DMS_OK)
        dms_diag_add(diag, &err);
    return status;
}
