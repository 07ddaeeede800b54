/*
 * The socket side of `dmsrate serve`: a libmicrohttpd daemon with an
 * internal thread pool (epoll where available) that accumulates each request
 * body under a hard cap, hands the complete request to the router with the
 * catalog snapshot of the moment, and writes the response, the metrics and
 * one JSON access-log line. This is the only file that includes
 * microhttpd.h. Refusals that need no body (404, 405, 415, 413 by
 * Content-Length) are sent before the body is read.
 */
#include "dms/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "dms/api_static.h"
#include "dms/report.h"
#include "dms/store.h"

struct dms_api_server {
    struct MHD_Daemon *daemon;
    dms_api_config config;
    char *host, *tariffs_dir, *models_dir;
    char *web_dir; /* static pages, NULL if none (api_static.h) */
    unsigned port;
    pthread_mutex_t catalog_lock; /* guards catalog (the pointer, not the snapshot) */
    pthread_mutex_t reload_lock;  /* one reload at a time */
    dms_api_catalog *catalog;
    unsigned long generation;
    dms_api_metrics *metrics;
    atomic_ulong next_id;
    /* Requests with a complete request (or an early answer) whose response
     * is not yet sent: what a graceful stop waits for. A client stalled in
     * its upload is not counted, so it cannot hold the shutdown. */
    atomic_long answering;
    dms_api_hooks hooks;
    char *db_path;         /* NULL: no store */
    char today[11];        /* fixed "today" of --today, or "" for the clock */
    pthread_key_t store_key; /* each worker thread's own store connection */
    bool has_store_key;
};

/* One request, from its first callback to the completion notice. */
struct request {
    struct timespec start;
    unsigned long id;
    int route;
    bool allowed;
    bool responded; /* a response is queued: discard the rest of the body */
    bool answering; /* counted in the server's answering */
    bool overflow;  /* the body passed the cap while being received */
    unsigned status;
    size_t bytes;
    char method[16];
    char *path;
    char param[128];
    char *body;
    size_t len, cap;
    size_t discarded; /* bytes dropped after the cap was passed */
};

dms_api_config dms_api_config_default(void)
{
    return (dms_api_config){
        .host = "127.0.0.1",
        .port = 8080,
        .threads = DMS_API_DEFAULT_THREADS,
        .body_limit = DMS_API_DEFAULT_BODY_LIMIT,
        .connection_timeout = DMS_API_DEFAULT_CONNECTION_TIMEOUT,
        .request_timeout = DMS_API_DEFAULT_REQUEST_TIMEOUT,
        .tariffs_dir = NULL,
        .models_dir = NULL,
        .web_dir = NULL,
        .access_log = NULL,
        .limits = {DMS_API_DEFAULT_MAX_SIMS, DMS_API_DEFAULT_MAX_POINTS},
    };
}

int dms_api_parse_listen(const char *text, char *buf, size_t size, dms_api_config *config,
                         dms_error *err)
{
    const char *colon = text != NULL ? strrchr(text, ':') : NULL;
    if (colon == NULL || (size_t)(colon - text) >= size || colon == text)
        return dms_error_set(err, DMS_EINVAL, NULL, "--listen: '%.64s' must be HOST:PORT",
                             text != NULL ? text : "");
    memcpy(buf, text, (size_t)(colon - text));
    buf[colon - text] = '\0';
    struct in_addr addr;
    if (inet_pton(AF_INET, buf, &addr) != 1)
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "--listen: '%.64s' is not an IPv4 address such as 127.0.0.1", buf);
    char *end = NULL;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 || port > 65535)
        return dms_error_set(err, DMS_EINVAL, NULL, "--listen: port '%.16s' must be 0..65535",
                             colon + 1);
    config->host = buf;
    config->port = (unsigned)port;
    return DMS_OK;
}

/* ---- catalog swapping ------------------------------------------------------ */

static dms_api_catalog *acquire_catalog(dms_api_server *s)
{
    pthread_mutex_lock(&s->catalog_lock);
    dms_api_catalog *c = dms_api_catalog_ref(s->catalog);
    pthread_mutex_unlock(&s->catalog_lock);
    return c;
}

int dms_api_server_reload(dms_api_server *s, dms_error *err)
{
    pthread_mutex_lock(&s->reload_lock);
    dms_api_catalog *fresh = NULL;
    int status =
        dms_api_catalog_load(s->tariffs_dir, s->models_dir, s->generation + 1, &fresh, err);
    if (status == DMS_OK) {
        s->generation++;
        pthread_mutex_lock(&s->catalog_lock);
        dms_api_catalog *old = s->catalog;
        s->catalog = fresh;
        pthread_mutex_unlock(&s->catalog_lock);
        dms_api_catalog_unref(old); /* freed when its last request ends */
    }
    pthread_mutex_unlock(&s->reload_lock);
    return status;
}

static int hook_reload(void *ctx, unsigned long *generation, dms_error *err)
{
    dms_api_server *s = ctx;
    int status = dms_api_server_reload(s, err);
    if (status == DMS_OK) {
        dms_api_catalog *c = acquire_catalog(s);
        *generation = dms_api_catalog_generation(c);
        dms_api_catalog_unref(c);
    }
    return status;
}

static int hook_metrics(void *ctx, char **text, size_t *len)
{
    dms_api_server *s = ctx;
    return dms_api_metrics_render(s->metrics, text, len);
}

/* Counts req among the requests a graceful stop waits for (once). */
static void mark_answering(dms_api_server *s, struct request *req)
{
    if (!req->answering) {
        req->answering = true;
        atomic_fetch_add(&s->answering, 1);
    }
}

/* ---- responses ---------------------------------------------------------------- */

static enum MHD_Result send_response(dms_api_server *s, struct MHD_Connection *conn,
                                     struct request *req, dms_api_response *resp, const char *allow,
                                     const dms_api_catalog *catalog)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(resp->body_len, resp->body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(resp->body);
        return MHD_NO;
    }
    resp->body = NULL;
    mark_answering(s, req);
    char id[32];
    snprintf(id, sizeof id, "%lu", req->id);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    MHD_add_response_header(r, "X-Request-Id", id);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (allow != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (catalog != NULL) {
        MHD_add_response_header(r, "X-Dms-Models", dms_api_catalog_models_version(catalog));
        MHD_add_response_header(r, "X-Dms-Tariffs", dms_api_catalog_tariffs_version(catalog));
        char generation[32];
        snprintf(generation, sizeof generation, "%lu", dms_api_catalog_generation(catalog));
        MHD_add_response_header(r, "X-Dms-Generation", generation);
    }
    enum MHD_Result ok = MHD_queue_response(conn, resp->status, r);
    MHD_destroy_response(r);
    if (ok == MHD_YES) {
        req->responded = true;
        req->status = resp->status;
        req->bytes = resp->body_len;
    }
    return ok;
}

__attribute__((format(printf, 7, 8))) static enum MHD_Result
send_error(dms_api_server *s, struct MHD_Connection *conn, struct request *req, unsigned status,
           const char *code, const char *allow, const char *fmt, ...)
{
    dms_error err;
    dms_error_clear(&err);
    va_list ap;
    va_start(ap, fmt);
    dms_error_vset(&err, DMS_EINVAL, NULL, fmt, ap);
    va_end(ap);
    dms_api_response resp = {0};
    dms_api_response_error(&resp, status, &err, code);
    return send_response(s, conn, req, &resp, allow, NULL);
}

/* This thread's connection to the store, opened on first use; NULL without --db. */
static dms_store *thread_store(dms_api_server *s)
{
    if (s->db_path == NULL || !s->has_store_key)
        return NULL;
    dms_store *store = pthread_getspecific(s->store_key);
    if (store == NULL) {
        dms_error err;
        dms_error_clear(&err);
        if (dms_store_open(s->db_path, &store, &err) != DMS_OK)
            return NULL;
        pthread_setspecific(s->store_key, store);
    }
    return store;
}

static void close_thread_store(void *store)
{
    dms_store_close(store);
}

static const char *query_arg(const void *ctx, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- the access handler ------------------------------------------------------- */

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) * 1e-9;
}

static struct request *request_begin(dms_api_server *s, const char *method, const char *url)
{
    struct request *req = calloc(1, sizeof *req);
    if (req == NULL)
        return NULL;
    req->path = strdup(url);
    if (req->path == NULL) {
        free(req);
        return NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &req->start);
    req->id = atomic_fetch_add(&s->next_id, 1) + 1;
    snprintf(req->method, sizeof req->method, "%s", method);
    dms_api_metrics_begin(s->metrics);
    return req;
}

/* A file of the web folder (api_static.h), or the JSON error of its refusal. */
static enum MHD_Result send_static(dms_api_server *s, struct MHD_Connection *conn,
                                   struct request *req, const char *method, const char *url)
{
    dms_error err;
    dms_error_clear(&err);
    dms_api_static_file file;
    const char *etag = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
    int status =
        dms_api_static_load(s->web_dir, url, strcmp(method, "HEAD") == 0, etag, &file, &err);
    if (status != DMS_OK) {
        dms_api_response resp = {0};
        dms_api_response_error(&resp, dms_api_http_status(status), &err, NULL);
        return send_response(s, conn, req, &resp, NULL, NULL);
    }
    struct MHD_Response *r =
        file.body != NULL
            ? MHD_create_response_from_buffer(file.len, file.body, MHD_RESPMEM_MUST_FREE)
            : MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        dms_api_static_file_clear(&file);
        return MHD_NO;
    }
    file.body = NULL; /* owned by the response now */
    mark_answering(s, req);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, file.content_type);
    MHD_add_response_header(r, "Cache-Control", file.cache_control);
    MHD_add_response_header(r, "ETag", file.etag);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'");
    enum MHD_Result ok = MHD_queue_response(conn, file.status, r);
    MHD_destroy_response(r);
    if (ok == MHD_YES) {
        req->responded = true;
        req->status = file.status;
        req->bytes = file.status == 200 ? file.len : 0;
    }
    return ok;
}

/* First callback: route, method, media type and declared size. */
static enum MHD_Result on_headers(dms_api_server *s, struct MHD_Connection *conn,
                                  struct request *req, const char *method, const char *url)
{
    char allow[64];
    req->route = dms_api_route_find(method, url, &req->allowed, allow, sizeof allow, req->param,
                                    sizeof req->param);
    if (req->route == DMS_API_ROUTE_NONE && s->web_dir != NULL && dms_api_static_wants(method, url))
        return send_static(s, conn, req, method, url);
    if (req->route == DMS_API_ROUTE_NONE)
        return send_error(s, conn, req, 404, "not_found", NULL, "no route for %.200s", url);
    if (!req->allowed)
        return send_error(s, conn, req, 405, "method_not_allowed", allow,
                          "%.15s is not allowed on %.200s; allowed: %s", method, url, allow);
    if (!dms_api_route_has_body((size_t)req->route))
        return MHD_YES;
    const char *type =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!dms_api_route_accepts((size_t)req->route, type))
        return send_error(s, conn, req, 415, "unsupported_media_type", NULL,
                          "Content-Type '%.100s' is not accepted here; send application/json",
                          type != NULL ? type : "(none)");
    const char *length =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length != NULL) {
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(length, &end, 10);
        if (errno == 0 && end != length && n > s->config.body_limit)
            return send_error(s, conn, req, 413, "payload_too_large", NULL,
                              "the body has %llu bytes, more than the limit of %zu", n,
                              s->config.body_limit);
    }
    return MHD_YES;
}

/* A piece of the body: append under the cap. */
static enum MHD_Result on_data(dms_api_server *s, struct request *req, const char *data,
                               size_t size)
{
    if (req->overflow || !dms_api_route_has_body((size_t)req->route)) {
        /* Discarded; the final call answers 413, unless the client goes on
         * sending far past the cap, when the connection is simply closed. */
        req->discarded += size;
        return req->discarded / 4 > s->config.body_limit ? MHD_NO : MHD_YES;
    }
    if (s->config.request_timeout > 0 && seconds_since(&req->start) > s->config.request_timeout)
        return MHD_NO; /* a trickling client: close the connection */
    if (size > s->config.body_limit - req->len) {
        req->overflow = true;
        req->discarded = req->len + size;
        return MHD_YES;
    }
    if (req->len + size + 1 > req->cap) {
        size_t cap = req->cap > 0 ? req->cap : 16384;
        while (cap < req->len + size + 1)
            cap *= 2;
        char *grown = realloc(req->body, cap);
        if (grown == NULL)
            return MHD_NO;
        req->body = grown;
        req->cap = cap;
    }
    memcpy(req->body + req->len, data, size);
    req->len += size;
    req->body[req->len] = '\0';
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    dms_api_server *s = cls;
    struct request *req = *con_cls;
    if (req == NULL) {
        if ((req = request_begin(s, method, url)) == NULL)
            return MHD_NO;
        *con_cls = req;
        return on_headers(s, conn, req, method, url);
    }
    if (*upload_data_size > 0) {
        size_t size = *upload_data_size;
        *upload_data_size = 0;
        if (req->responded)
            return MHD_YES;
        return on_data(s, req, upload_data, size);
    }
    if (req->responded)
        return MHD_YES;
    if (req->overflow)
        return send_error(s, conn, req, 413, "payload_too_large", NULL,
                          "the body is larger than the limit of %zu bytes", s->config.body_limit);
    mark_answering(s, req);
    char today[11];
    if (s->today[0] != '\0') {
        memcpy(today, s->today, sizeof today);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(today, sizeof today, "%Y-%m-%d", &tm);
    }
    dms_api_catalog *catalog = acquire_catalog(s);
    dms_api_request in = {
        .method = req->method,
        .path = req->path,
        .param = req->param,
        .content_type =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .body = req->body != NULL ? req->body : "",
        .body_len = req->len,
        .catalog = catalog,
        .limits = &s->config.limits,
        .authorization =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        .api_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Api-Key"),
        .accept_language = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"),
        .store = thread_store(s),
        .store_configured = s->db_path != NULL,
        .today = today,
        .arg = query_arg,
        .arg_ctx = conn,
    };
    dms_api_response resp;
    dms_api_dispatch((size_t)req->route, &in, &s->hooks, &resp);
    enum MHD_Result ok = send_response(s, conn, req, &resp, NULL, catalog);
    dms_api_catalog_unref(catalog);
    return ok;
}

/* ---- access log and completion --------------------------------------------------- */

static void log_access(dms_api_server *s, const struct request *req, double seconds)
{
    if (s->config.access_log == NULL)
        return;
    char when[40];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03ldZ", now.tv_nsec / 1000000);
    /* The path is client data: jansson escapes it, or it is logged as its
     * length when it is not valid UTF-8. */
    json_t *path = json_string(req->path);
    if (path == NULL)
        path = json_string("(invalid UTF-8)");
    json_t *line = json_pack("{s:s, s:I, s:s, s:o, s:s, s:i, s:I, s:f}", "time", when, "id",
                             (json_int_t)req->id, "method", req->method, "path", path, "route",
                             dms_api_route_pattern((size_t)req->route), "status", (int)req->status,
                             "bytes", (json_int_t)req->bytes, "duration_ms", seconds * 1000.0);
    char *text = line != NULL
                     ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6))
                     : NULL;
    json_decref(line);
    if (text == NULL)
        return;
    flockfile(s->config.access_log);
    fputs(text, s->config.access_log);
    fputc('\n', s->config.access_log);
    fflush(s->config.access_log);
    funlockfile(s->config.access_log);
    free(text);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    dms_api_server *s = cls;
    struct request *req = *con_cls;
    if (req == NULL)
        return;
    *con_cls = NULL;
    if (!req->responded)
        req->status = 499; /* the client went away before an answer */
    double seconds = seconds_since(&req->start);
    dms_api_metrics_end(s->metrics, req->route, req->status, seconds);
    log_access(s, req, seconds);
    if (req->answering)
        atomic_fetch_sub(&s->answering, 1);
    free(req->body);
    free(req->path);
    free(req);
}

/* ---- life cycle ------------------------------------------------------------------- */

static char *dup_or_null(const char *text)
{
    return text != NULL && text[0] != '\0' ? strdup(text) : NULL;
}

static void server_free(dms_api_server *s)
{
    dms_api_catalog_unref(s->catalog);
    dms_api_metrics_free(s->metrics);
    pthread_mutex_destroy(&s->catalog_lock);
    pthread_mutex_destroy(&s->reload_lock);
    free(s->host);
    free(s->tariffs_dir);
    free(s->models_dir);
    free(s->web_dir);
    free(s->db_path);
    if (s->has_store_key)
        pthread_key_delete(s->store_key);
    free(s);
}

int dms_api_server_start(const dms_api_config *config, dms_api_server **out, dms_error *err)
{
    *out = NULL;
    if (config->threads < 1 || config->threads > 256)
        return dms_error_set(err, DMS_EINVAL, NULL, "--threads must be 1..256, got %u",
                             config->threads);
    if (config->body_limit < 1024)
        return dms_error_set(err, DMS_EINVAL, NULL, "the body limit must be at least 1024 bytes");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)config->port)};
    if (config->host == NULL || inet_pton(AF_INET, config->host, &addr.sin_addr) != 1)
        return dms_error_set(err, DMS_EINVAL, NULL, "'%.64s' is not an IPv4 address",
                             config->host != NULL ? config->host : "");
    dms_api_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the server");
    s->config = *config;
    pthread_mutex_init(&s->catalog_lock, NULL);
    pthread_mutex_init(&s->reload_lock, NULL);
    atomic_init(&s->next_id, 0);
    atomic_init(&s->answering, 0);
    s->host = strdup(config->host);
    s->tariffs_dir = dup_or_null(config->tariffs_dir);
    s->models_dir = dup_or_null(config->models_dir);
    s->web_dir = dup_or_null(config->web_dir);
    s->config.host = s->host;
    s->config.tariffs_dir = s->tariffs_dir;
    s->config.models_dir = s->models_dir;
    s->config.web_dir = s->web_dir;
    s->db_path = dup_or_null(config->db_path);
    s->config.db_path = s->db_path;
    if (config->today != NULL)
        snprintf(s->today, sizeof s->today, "%s", config->today);
    s->config.today = NULL;
    s->has_store_key = pthread_key_create(&s->store_key, close_thread_store) == 0;
    s->hooks = (dms_api_hooks){hook_metrics, hook_reload, s};
    int status;
    if (s->host == NULL || dms_api_metrics_alloc(&s->metrics) != DMS_OK) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the server");
        goto out_free;
    }
    s->generation = 1;
    if ((status = dms_api_catalog_load(s->tariffs_dir, s->models_dir, s->generation, &s->catalog,
                                       err)) != DMS_OK)
        goto out_free;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC;
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL : MHD_USE_POLL;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)config->threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)config->connection_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(128 * 1024), MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        s, MHD_OPTION_END);
    if (s->daemon == NULL) {
        status = dms_error_set(err, DMS_EIO, NULL,
                               "cannot listen on %s:%u (address in use or not available)",
                               config->host, config->port);
        goto out_free;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info != NULL && info->port != 0 ? info->port : config->port;
    *out = s;
    return DMS_OK;
out_free:
    server_free(s);
    return status;
}

unsigned dms_api_server_port(const dms_api_server *server)
{
    return server->port;
}

unsigned dms_api_server_stop(dms_api_server *server, unsigned grace_ms)
{
    if (server == NULL)
        return 0;
    MHD_socket listener = MHD_quiesce_daemon(server->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    unsigned waited = 0;
    while (atomic_load(&server->answering) > 0 && waited < grace_ms) {
        struct timespec tick = {0, 10 * 1000 * 1000};
        nanosleep(&tick, NULL);
        waited += 10;
    }
    unsigned left = (unsigned)atomic_load(&server->answering);
    MHD_stop_daemon(server->daemon);
    server_free(server);
    return left;
}
