/*
 * libFuzzer target for the URL path mapping of the static file server
 * (api_static.h) over the real web/ folder: whatever the path, the call
 * returns, and a path it accepts lies inside web/'s real path and names a
 * file whose media type is known. Also loads accepted files with and without
 * a matching ETag.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms/api_static.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    char *url = malloc(size + 1);
    if (url == NULL)
        return 0;
    memcpy(url, data, size);
    url[size] = '\0'; /* a NUL inside ends the path, as it does for the server */
    static char real_root[PATH_MAX];
    if (real_root[0] == '\0' && realpath("web", real_root) == NULL)
        snprintf(real_root, sizeof real_root, "/nonexistent");
    char out[PATH_MAX];
    dms_error err;
    dms_error_clear(&err);
    int status = dms_api_static_resolve("web", url, out, sizeof out, &err);
    if (status != DMS_OK) {
        if (err.code != status || out[0] != '\0')
            abort();
    } else {
        size_t n = strlen(real_root);
        if (strncmp(out, real_root, n) != 0 || out[n] != '/' || strstr(out, "/.") != NULL)
            abort();
        dms_api_static_file f;
        if (dms_api_static_load("web", url, false, NULL, &f, &err) == DMS_OK) {
            if (f.status != 200 || f.body == NULL || strlen(f.content_type) == 0)
                abort();
            char etag[sizeof f.etag];
            memcpy(etag, f.etag, sizeof etag);
            dms_api_static_file_clear(&f);
            if (dms_api_static_load("web", url, false, etag, &f, &err) == DMS_OK &&
                (f.status != 304 || f.body != NULL))
                abort();
            dms_api_static_file_clear(&f);
        }
    }
    free(url);
    return 0;
}
