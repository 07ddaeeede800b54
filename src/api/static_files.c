/*
 * The static file side of `dmsrate serve`: maps a request path to a file of
 * the web folder, refusing anything that could leave it (dot segments, raw
 * or percent-encoded, encoded slashes and backslashes, NUL, hidden names,
 * symlinks whose target lies outside), and reads the file with its media
 * type and a weak ETag so that browsers revalidate instead of refetching.
 * The socket glue in server.c turns the result into a response.
 */
#include "dms/api_static.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

bool dms_api_static_wants(const char *method, const char *path)
{
    if (method == NULL || path == NULL)
        return false;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return false;
    if (strncmp(path, "/v1/", 4) == 0 || strcmp(path, "/v1") == 0)
        return false;
    return strcmp(path, "/healthz") != 0 && strcmp(path, "/metrics") != 0;
}

static const struct mime {
    const char *ext;
    const char *type;
} mimes[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"ico", "image/x-icon"},
    {"txt", "text/plain; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"woff2", "font/woff2"},
    {"webmanifest", "application/manifest+json"},
};

const char *dms_api_static_mime(const char *name)
{
    const char *dot = name != NULL ? strrchr(name, '.') : NULL;
    const char *slash = name != NULL ? strrchr(name, '/') : NULL;
    if (dot == NULL || (slash != NULL && slash > dot))
        return "application/octet-stream";
    for (size_t i = 0; i < sizeof mimes / sizeof mimes[0]; i++)
        if (strcasecmp(dot + 1, mimes[i].ext) == 0)
            return mimes[i].type;
    return "application/octet-stream";
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Percent-decodes url into out (size bytes) and checks every segment.
 * Returns DMS_OK, or the status of the refusal with err set.
 */
static int decode_path(const char *url, char *out, size_t size, dms_error *err)
{
    if (url[0] != '/')
        return dms_error_set(err, DMS_EINVAL, NULL, "the path must start with '/'");
    size_t n = 0;
    for (const char *p = url; *p != '\0'; p++) {
        char c = *p;
        if (c == '%') {
            int hi = hex_value(p[1]);
            int lo = hi >= 0 ? hex_value(p[2]) : -1;
            if (lo < 0)
                return dms_error_set(err, DMS_EINVAL, NULL, "malformed %%-escape in the path");
            c = (char)(hi * 16 + lo);
            p += 2;
            if (c == '\0' || c == '/' || c == '\\')
                return dms_error_set(err, DMS_EFORBIDDEN, NULL,
                                     "an encoded NUL, slash or backslash is not allowed");
        } else if (c == '\\') {
            return dms_error_set(err, DMS_EFORBIDDEN, NULL, "a backslash is not allowed");
        }
        if (n + 1 >= size)
            return dms_error_set(err, DMS_ETOOBIG, NULL, "the path is too long");
        out[n++] = c;
    }
    out[n] = '\0';
    /* Segments: none empty inside, none hidden (which covers "." and ".."). */
    for (const char *seg = out + 1; *seg != '\0';) {
        size_t len = strcspn(seg, "/");
        if (len == 0)
            return dms_error_set(err, DMS_EFORBIDDEN, NULL, "empty path segment");
        if (seg[0] == '.')
            return dms_error_set(err, DMS_EFORBIDDEN, NULL,
                                 "dot segments and hidden files are not served");
        seg += len;
        if (*seg == '/')
            seg++;
    }
    return DMS_OK;
}

int dms_api_static_resolve(const char *root, const char *url, char *out, size_t size,
                           dms_error *err)
{
    dms_error_clear(err);
    char decoded[DMS_API_STATIC_PATH_MAX];
    char real_root[PATH_MAX];
    char candidate[PATH_MAX + DMS_API_STATIC_PATH_MAX + 16];
    char real[PATH_MAX];
    if (size > 0)
        out[0] = '\0';
    if (root == NULL || root[0] == '\0' || url == NULL)
        return dms_error_set(err, DMS_ENOTFOUND, NULL, "no web folder is configured");
    int status = decode_path(url, decoded, sizeof decoded, err);
    if (status != DMS_OK)
        return status;
    if (realpath(root, real_root) == NULL)
        return dms_error_set(err, DMS_ENOTFOUND, NULL, "the web folder is missing");
    size_t dlen = strlen(decoded);
    snprintf(candidate, sizeof candidate, "%s%s%s", real_root, decoded,
             decoded[dlen - 1] == '/' ? "index.html" : "");
    if (realpath(candidate, real) == NULL)
        return dms_error_set(err, errno == ENAMETOOLONG ? DMS_ETOOBIG : DMS_ENOTFOUND, NULL,
                             "no file %.200s", url);
    size_t rlen = strlen(real_root);
    if (strncmp(real, real_root, rlen) != 0 || real[rlen] != '/')
        return dms_error_set(err, DMS_EFORBIDDEN, NULL, "%.200s leads outside the web folder", url);
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
        return dms_error_set(err, DMS_ENOTFOUND, NULL, "no file %.200s", url);
    if (strlen(real) + 1 > size)
        return dms_error_set(err, DMS_ETOOBIG, NULL, "the path is too long");
    memcpy(out, real, strlen(real) + 1);
    return DMS_OK;
}

void dms_api_static_file_clear(dms_api_static_file *f)
{
    if (f == NULL)
        return;
    free(f->body);
    memset(f, 0, sizeof *f);
}

int dms_api_static_load(const char *root, const char *url, bool head, const char *if_none_match,
                        dms_api_static_file *out, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    char path[PATH_MAX];
    int status = dms_api_static_resolve(root, url, path, sizeof path, err);
    if (status != DMS_OK)
        return status;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return dms_error_set(err, DMS_EIO, NULL, "cannot open %.200s", url);
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        status = dms_error_set(err, DMS_EIO, NULL, "cannot read %.200s", url);
        goto out_close;
    }
    if ((unsigned long long)st.st_size > DMS_API_STATIC_MAX_FILE) {
        status = dms_error_set(err, DMS_ETOOBIG, NULL, "%.200s is larger than %u bytes", url,
                               DMS_API_STATIC_MAX_FILE);
        goto out_close;
    }
    out->len = (size_t)st.st_size;
    out->content_type = dms_api_static_mime(path);
    /* Revalidate every time: pages and scripts change together on upgrade. */
    out->cache_control = "no-cache";
    snprintf(out->etag, sizeof out->etag, "W/\"%llx-%llx-%lx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec);
    out->status = 200;
    if (if_none_match != NULL && strcmp(if_none_match, out->etag) == 0) {
        out->status = 304;
        goto out_close;
    }
    if (head)
        goto out_close;
    out->body = malloc(out->len + 1);
    if (out->body == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for %.200s", url);
        goto out_close;
    }
    if (fread(out->body, 1, out->len, f) != out->len) {
        status = dms_error_set(err, DMS_EIO, NULL, "cannot read %.200s", url);
        goto out_close;
    }
    out->body[out->len] = '\0';
out_close:
    fclose(f);
    if (status != DMS_OK)
        dms_api_static_file_clear(out);
    return status;
}
