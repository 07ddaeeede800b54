/*
 * Static files of `dmsrate serve`: the web pages (web/ by default) are served
 * by the service itself, with no separate web server. A URL path is mapped
 * to a regular file under the root folder or refused: percent-escapes are
 * decoded once and then "." and ".." segments, hidden names, backslashes,
 * NUL bytes and encoded slashes are rejected, and the file's real path
 * (symlinks resolved) must still lie inside the root's real path. The file
 * comes back with its media type, a validator (ETag) and the caching and
 * security headers the server adds. Nothing here knows about sockets.
 */
#ifndef DMS_API_STATIC_H
#define DMS_API_STATIC_H

#include <stdbool.h>
#include <stddef.h>

#include "dms/error.h"

#define DMS_API_STATIC_MAX_FILE (16u * 1024u * 1024u) /* larger files are refused */
#define DMS_API_STATIC_PATH_MAX 4096

/* One file ready to send. */
typedef struct dms_api_static_file {
    unsigned status;           /* 200, or 304 when the client's ETag still holds */
    char *body;                /* malloc'd (NULL for 304 and HEAD); the caller frees */
    size_t len;                /* bytes of the file (also for HEAD and 304) */
    const char *content_type;  /* static string */
    const char *cache_control; /* static string */
    char etag[64];             /* "W/\"<size>-<mtime>\"" */
} dms_api_static_file;

/*
 * True if path is one the static server may answer: GET or HEAD, and not
 * under the API (/v1/...) nor /healthz or /metrics. Does not look at disk.
 */
bool dms_api_static_wants(const char *method, const char *path);

/* The media type for a file name by its extension ("text/html;
 * charset=utf-8", "image/svg+xml", ...; "application/octet-stream" if
 * unknown). Never NULL. */
const char *dms_api_static_mime(const char *name);

/*
 * Maps url (the path of the request, without query) to a file under root:
 * "/" and any path ending in "/" mean that folder's index.html. Writes the
 * real path of the file into out (size bytes). Errors: DMS_EFORBIDDEN for a
 * path that tries to leave root or names a hidden file (.., %2e%2e, a
 * backslash, an encoded slash or NUL, a symlink pointing outside),
 * DMS_EINVAL for a malformed escape or a path not starting with '/',
 * DMS_ENOTFOUND if there is no such regular file, DMS_ETOOBIG if a path
 * is too long. err->path is left empty; the message names the URL.
 */
int dms_api_static_resolve(const char *root, const char *url, char *out, size_t size,
                           dms_error *err);

/*
 * Resolves url under root and reads the file into *out (cleared first).
 * head: HEAD request, no body read. if_none_match (may be NULL): the
 * request's If-None-Match; when it equals the file's ETag the answer is 304
 * without a body. Errors as dms_api_static_resolve, plus DMS_ETOOBIG over
 * DMS_API_STATIC_MAX_FILE and DMS_EIO if the file cannot be read.
 */
int dms_api_static_load(const char *root, const char *url, bool head, const char *if_none_match,
                        dms_api_static_file *out, dms_error *err);

/* Frees the body of f and clears it. f may be NULL. */
void dms_api_static_file_clear(dms_api_static_file *f);

#endif
