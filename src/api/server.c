/*
 * The socket side of `dmsrate serve`: a libmicrohttpd daemon with an
 * internal thread pool (epoll where available) that accumulates each request
 * body under a hard cap, hands the complete request to the router with the
 * catalog snapshot of the moment, and writes the response, the metrics and
 * one JSON access-log line. This is the only file that includes
 * microhttpd.h.
 *
 * The service faces clients that are slow or hostile, so a request passes
 * three gates before it costs anything. Our own accept thread holds each new
 * connection until its headers are complete (peeking, not reading), under a
 * header deadline and a per-address share of the waiting room, and answers
 * framing faults itself in JSON (conflicting Content-Length, chunked bodies,
 * oversized or malformed headers), so libmicrohttpd never writes one of its
 * HTML errors and a slow sender never holds a worker. Then, on the headers,
 * the key, the role, the per-key rate and a global budget of buffered body
 * bytes are checked, and refusals go out before the body is read. Last,
 * long computations poll a cancel hook that fires at the compute deadline,
 * when the client has gone, or when a stop runs out of grace.
 *
 * A connection may carry several requests (HTTP/1.1 keep-alive, up to
 * config.keep_alive), and a later request passes the same gates as the
 * first: its headers must be complete within header_timeout of the previous
 * answer (the sweep of the accept thread shuts a late connection down, so a
 * trickle of bytes does not hold it), its framing is checked again on the
 * parsed headers, and key, role, rate, body limits, budget and deadlines are
 * per request anyway. Only a 2xx or 304 keeps its connection: every refusal,
 * every answer of the light lane, the last request allowed and every answer
 * given while connections are scarce (over three quarters of the total or of
 * the client address's share) close it, so a refused or crowding client
 * comes back through the accept gate.
 */
#define _GNU_SOURCE /* accept4 and POLLRDHUP (Linux) */
#include "dms/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "dms/api_static.h"
#include "dms/enrol_store.h"
#include "dms/report.h"
#include "dms/store.h"

#include "jobs.h"

/* The largest header block the accept thread waits for (431 beyond). */
#define HEADER_MAX (32 * 1024)
/* libmicrohttpd's memory per connection (see MHD_start_daemon below). */
#define CONNECTION_POOL (64 * 1024)
/* Connections of the light lane (/healthz, /metrics) at once. */
#define LIGHT_CONNECTIONS 64
/* Per-key token buckets of the rate limit; the least recently used is reused. */
#define RATE_SLOTS 1024

/* A connection libmicrohttpd serves: what keep-alive needs to know of it. */
struct conn_state {
    struct conn_state *prev, *next; /* the server's list, under keep_lock */
    int fd;
    uint32_t addr;   /* IPv4 address of the client, network order */
    bool light;      /* on the light lane */
    unsigned served; /* requests begun on it */
    bool idle;       /* answered and kept: waiting for the next headers */
    bool expired;    /* shut down by the sweep (keep_expire) */
    struct timespec idle_since;
};

/* A connection in the waiting room: accepted, headers not yet complete. */
struct pending {
    int fd;
    size_t index;   /* in the server's pending array */
    size_t scanned; /* bytes already searched for the end of the headers */
    struct sockaddr_in addr;
    struct timespec since;
};

struct rate_slot {
    uint64_t key; /* hash of the API key, 0: free */
    double tokens;
    struct timespec last;
};

struct dms_api_server {
    struct MHD_Daemon *daemon;
    struct MHD_Daemon *light; /* the light lane: /healthz and /metrics */
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
    char *db_path;           /* NULL: no store */
    char today[11];          /* fixed "today" of --today, or "" for the clock */
    pthread_key_t store_key; /* each worker thread's own store connection */
    bool has_store_key;
    int db_fd; /* the database file, held open for /healthz (see hook_store_health) */
    /* the accept thread and its waiting room */
    int listen_fd, epoll_fd, wake_fd;
    pthread_t acceptor;
    bool has_acceptor;
    atomic_bool stopping; /* the accept thread ends */
    /* the checkpointer (SQLite): the log is copied into the database here,
     * not by the commit that crosses SQLite's threshold (checkpoint_run) */
    pthread_t checkpointer;
    bool has_checkpointer;
    atomic_bool checkpoint_stop;
    struct pending **pending; /* max_pending slots */
    size_t npending, max_pending;
    atomic_long connections; /* handed to libmicrohttpd and not yet closed */
    /* budgets */
    atomic_size_t buffered;  /* bytes reserved for request bodies */
    atomic_bool trim_wanted; /* a large body was freed: return memory */
    atomic_bool abandon;     /* cancel every computation (stop out of grace) */
    pthread_mutex_t rate_lock;
    struct rate_slot *rates; /* RATE_SLOTS */
    /* the connections libmicrohttpd serves (keep-alive and its sweep) */
    pthread_mutex_t keep_lock;
    struct conn_state *conns;
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
    size_t reserved;  /* bytes of the server's body budget held */
    dms_api_server *server;
    int fd;                        /* the client socket, to see whether the client left */
    int cancel;                    /* why the computation was given up (enum cancel_reason) */
    unsigned retry_after;          /* seconds, for a 429 or 503 */
    struct conn_state *conn_state; /* its connection; NULL if unknown */
    unsigned sequence;             /* 1 for the first request of its connection */
    bool keep;                     /* its answer keeps the connection open */
    bool body_read;                /* the final callback came: the body is read whole */
    bool authenticated;            /* who holds the key's principal (on_headers) */
    dms_enrol_principal who;
    char log_detail[DMS_ERROR_MESSAGE_MAX]; /* an internal error, for the log only */
};

enum cancel_reason { CANCEL_NONE, CANCEL_DEADLINE, CANCEL_GONE, CANCEL_STOP };

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
        .limits = {DMS_API_DEFAULT_MAX_SIMS, DMS_API_DEFAULT_MAX_POINTS, DMS_API_DEFAULT_MAX_DRAWS,
                   DMS_API_DEFAULT_MAX_GRID_OPS, DMS_API_DEFAULT_MAX_QUOTE_CELLS},
        .header_timeout = DMS_API_DEFAULT_HEADER_TIMEOUT,
        .max_connections = DMS_API_DEFAULT_MAX_CONNECTIONS,
        .max_per_ip = DMS_API_DEFAULT_MAX_PER_IP,
        .body_budget = DMS_API_DEFAULT_BODY_BUDGET,
        .compute_timeout = DMS_API_DEFAULT_COMPUTE_TIMEOUT,
        .rate_limit = DMS_API_DEFAULT_RATE_LIMIT,
        .keep_alive = DMS_API_DEFAULT_KEEP_ALIVE,
    };
}

int dms_api_parse_listen(const char *text, char *buf, size_t size, dms_api_config *config,
                         dms_error *err)
{
    dms_error_clear(err);
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
    dms_error_clear(err);
    pthread_mutex_lock(&s->reload_lock);
    dms_api_catalog *fresh = NULL;
    int status =
        dms_api_catalog_load(s->tariffs_dir, s->models_dir, s->generation + 1, &fresh, err);
    if (status == DMS_OK && s->config.require_catalog &&
        (status = dms_api_catalog_check(fresh, err)) != DMS_OK) {
        dms_api_catalog_unref(fresh);
        fresh = NULL;
    }
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

/* The one error shape, as text (malloc'd), for answers built outside the router. */
static char *error_text(const char *code, const char *message, unsigned long request_id)
{
    dms_error err;
    dms_error_clear(&err);
    dms_error_set(&err, DMS_EINVAL, NULL, "%s", message);
    json_t *body = dms_api_error_json(&err, code);
    /* Sent as is, before any header is read: in English only. */
    json_object_del(json_object_get(body, "error"), "message_ru");
    if (body != NULL && request_id != 0)
        json_object_set_new(json_object_get(body, "error"), "request_id",
                            json_integer((json_int_t)request_id));
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    return text;
}

/*
 * A 500 says what went wrong inside the service, which may name files of the
 * machine: the client gets the request id, the log gets the message.
 */
static void hide_internal_error(struct request *req, dms_api_response *resp)
{
    json_t *body = json_loadb(resp->body != NULL ? resp->body : "", resp->body_len, 0, NULL);
    const char *message =
        json_string_value(json_object_get(json_object_get(body, "error"), "message"));
    snprintf(req->log_detail, sizeof req->log_detail, "%s",
             message != NULL ? message : "(no message)");
    json_decref(body);
    char text[160];
    snprintf(text, sizeof text,
             "internal error; the service log has the details under request id %lu", req->id);
    char *hidden = error_text("internal", text, req->id);
    if (hidden != NULL) {
        free(resp->body);
        resp->body = hidden;
        resp->body_len = strlen(hidden);
        resp->content_type = "application/json";
    }
}

/*
 * Whether the answer of req, of status, may leave its connection open for
 * another request (see the file header); body_read: the request's body, if
 * any, has been read whole, so the next request starts where it ends.
 */
static bool keep_decide(dms_api_server *s, const struct request *req, unsigned status,
                        bool body_read)
{
    const struct conn_state *c = req->conn_state;
    if (c == NULL || c->light || !body_read || req->sequence >= s->config.keep_alive ||
        atomic_load(&s->stopping))
        return false;
    if (!((status >= 200 && status < 300) || status == 304))
        return false;
    /* Connections are scarce: leave the room to new clients through the gate. */
    if ((unsigned long)atomic_load(&s->connections) * 4 >
        (unsigned long)s->config.max_connections * 3)
        return false;
    unsigned here = 0;
    pthread_mutex_lock(&s->keep_lock);
    for (const struct conn_state *o = s->conns; o != NULL; o = o->next)
        here += o->addr == c->addr;
    pthread_mutex_unlock(&s->keep_lock);
    return here * 4 <= s->config.max_per_ip * 3;
}

static enum MHD_Result send_response(dms_api_server *s, struct MHD_Connection *conn,
                                     struct request *req, dms_api_response *resp, const char *allow,
                                     const dms_api_catalog *catalog)
{
    if (resp->status == 500)
        hide_internal_error(req, resp);
    /* Every answer leaves in the client's language (errors carry both). */
    dms_api_response_localize(
        resp, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"));
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
    /* Refusals and early answers close: the client comes back through the gate. */
    req->keep = keep_decide(s, req, resp->status, req->body_read);
    if (!req->keep)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    if (resp->status == 429 || resp->status == 503) {
        char retry[16];
        snprintf(retry, sizeof retry, "%u", req->retry_after > 0 ? req->retry_after : 1);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry);
    }
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

/*
 * This thread's connection to the store, opened on first use; NULL without
 * --db, or NULL with the reason in err when the database cannot be opened.
 */
static dms_store *thread_store(dms_api_server *s, dms_error *err)
{
    if (s->db_path == NULL || !s->has_store_key)
        return NULL;
    dms_store *store = pthread_getspecific(s->store_key);
    if (store == NULL) {
        /* The database was created at start; one gone since is a fault,
         * not something to recreate empty under the service's feet. */
        if (!dms_store_is_uri(s->db_path) && access(s->db_path, F_OK) != 0) {
            dms_error_set(err, DMS_EIO, NULL, "the database file is missing");
            return NULL;
        }
        if (dms_store_open(s->db_path, &store, err) != DMS_OK)
            return NULL;
        if (s->has_checkpointer)
            dms_store_defer_checkpoints(store);
        pthread_setspecific(s->store_key, store);
    }
    return store;
}

static void close_thread_store(void *store)
{
    dms_store_close(store);
}

/* How often the checkpointer copies the log into the database. At the
 * picker's write rate on 2 cores (some 25,000 pages of log a second) a
 * longer pause lets the log reach a writer's own threshold (1500 pages)
 * between two checkpoints, and that writer then checkpoints inside its
 * request; short copies also take the CPU from the requests in short turns.
 * With nothing to copy a checkpoint costs some microseconds. */
#define CHECKPOINT_EVERY_MS 10

/*
 * The checkpointer thread (SQLite only), on a connection of its own: every
 * CHECKPOINT_EVERY_MS a PASSIVE checkpoint, which neither waits for nor
 * blocks the requests' readers and writers. Without it, the commit that
 * takes the log past SQLite's threshold (1000 pages, a few hundred drafts)
 * copies the log and syncs the files while it holds the write lock, and the
 * writers behind it wait: the tail of the write routes' latency. The
 * workers' connections keep a far threshold as a safety net. A last
 * checkpoint runs once the workers have stopped.
 */
static void *checkpoint_run(void *arg)
{
    dms_api_server *s = arg;
    dms_error err;
    dms_error_clear(&err);
    dms_store *store = NULL;
    if (dms_store_open(s->db_path, &store, &err) != DMS_OK)
        return NULL; /* the workers' connections then checkpoint at their threshold */
    for (;;) {
        bool last = atomic_load(&s->checkpoint_stop);
        dms_store_checkpoint(store, &err);
        if (last)
            break;
        struct timespec tick = {0, CHECKPOINT_EVERY_MS * 1000L * 1000L};
        nanosleep(&tick, NULL);
    }
    dms_store_close(store);
    return NULL;
}

static void checkpoint_end(dms_api_server *s)
{
    if (!s->has_checkpointer)
        return;
    atomic_store(&s->checkpoint_stop, true);
    pthread_join(s->checkpointer, NULL);
    s->has_checkpointer = false;
}

/*
 * The store check of /healthz: the file is there, is the one opened at
 * start, still starts as an SQLite database, and this thread's connection
 * can read the schema version. The message names the fault, never the
 * path. The header is read through a descriptor held since start, because
 * closing any descriptor of the file would drop SQLite's POSIX locks.
 */
static int hook_store_health(void *ctx, const dms_api_request *req, dms_error *err)
{
    dms_api_server *s = ctx;
    if (dms_store_is_uri(s->db_path)) { /* PostgreSQL: does the server answer? (no URI shown) */
        dms_error inner;
        dms_error_clear(&inner);
        if (req->store == NULL || dms_store_ping(req->store, &inner) != DMS_OK)
            return dms_error_set(err, DMS_EUNAVAILABLE, NULL, "the database cannot be reached");
        return DMS_OK;
    }
    static const char magic[16] = "SQLite format 3";
    char head[16];
    struct stat now, start;
    if (stat(s->db_path, &now) != 0)
        return dms_error_set(err, DMS_EIO, NULL, "the database file is missing");
    if (s->db_fd < 0 || fstat(s->db_fd, &start) != 0 || start.st_ino != now.st_ino ||
        start.st_dev != now.st_dev)
        return dms_error_set(err, DMS_EIO, NULL, "the database file was replaced since start");
    if (pread(s->db_fd, head, sizeof head, 0) != (ssize_t)sizeof head ||
        memcmp(head, magic, sizeof magic) != 0)
        return dms_error_set(err, DMS_EIO, NULL, "the database file is not an SQLite database");
    int version = 0;
    dms_error inner;
    dms_error_clear(&inner);
    if (req->store == NULL || dms_store_version(req->store, &version, &inner) != DMS_OK ||
        version <= 0)
        return dms_error_set(err, DMS_EIO, NULL, "the database cannot be read");
    return DMS_OK;
}

static const char *query_arg(const void *ctx, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- the access handler ------------------------------------------------------- */

static double seconds_between(const struct timespec *now, const struct timespec *start)
{
    return (double)(now->tv_sec - start->tv_sec) + (double)(now->tv_nsec - start->tv_nsec) * 1e-9;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return seconds_between(&now, start);
}

static struct request *request_begin(dms_api_server *s, struct MHD_Connection *conn,
                                     const char *method, const char *url)
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
    req->server = s;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    req->fd = info != NULL ? info->connect_fd : -1;
    snprintf(req->method, sizeof req->method, "%s", method);
    dms_api_metrics_begin(s->metrics);
    return req;
}

/*
 * The cancel hook of long computations (dms_api_request.cancelled): true
 * once the compute deadline has passed, the client has hung up, or a stop
 * has run out of grace. The reason stays in the request for its answer.
 */
static bool request_cancelled(void *ctx)
{
    struct request *req = ctx;
    dms_api_server *s = req->server;
    if (req->cancel != CANCEL_NONE)
        return true;
    if (atomic_load(&s->abandon))
        req->cancel = CANCEL_STOP;
    else if (s->config.compute_timeout > 0 &&
             seconds_since(&req->start) > s->config.compute_timeout)
        req->cancel = CANCEL_DEADLINE;
    else if (req->fd >= 0) {
        /* The request is read whole, so anything but silence is a hang-up. */
        struct pollfd p = {.fd = req->fd, .events = POLLRDHUP};
        if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0)
            req->cancel = CANCEL_GONE;
    }
    return req->cancel != CANCEL_NONE;
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
    /* Sent on the headers: kept only when the request declares no body. */
    bool bodiless = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_CONTENT_LENGTH) == NULL &&
                    MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_TRANSFER_ENCODING) == NULL;
    req->keep = keep_decide(s, req, file.status, bodiless);
    if (!req->keep)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    MHD_add_response_header(
        r, "Content-Security-Policy",
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

/* Routes whose one request can cost seconds of CPU: the per-key rate limit. */
static bool expensive_route(int route)
{
    static const char *const patterns[] = {
        "/v1/aggregate",  "/v1/quotes",          "/v1/budgets",      "/v1/compare",
        "/v1/bank/price", "/v1/bank/projection", "/v1/reports/{id}", "/v1/me/recommendation",
    };
    const char *pattern = dms_api_route_pattern((size_t)route);
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
        if (strcmp(pattern, patterns[i]) == 0)
            return true;
    return false;
}

/* FNV-1a of the key: the rate table never holds a key itself. */
static uint64_t key_hash(const char *key)
{
    uint64_t h = 1469598103934665603ull;
    for (; *key != '\0' && *key != ' ' && *key != '\r' && *key != '\n'; key++)
        h = (h ^ (unsigned char)*key) * 1099511628211ull;
    return h != 0 ? h : 1;
}

/*
 * Takes one token from the bucket of key (rate_limit a minute, bursts of
 * as many). 0 when allowed, else the seconds until the next token.
 */
static unsigned rate_take(dms_api_server *s, const char *key)
{
    if (s->config.no_rate_limit || s->config.rate_limit == 0 || key == NULL)
        return 0;
    double capacity = (double)s->config.rate_limit, per_second = capacity / 60.0;
    uint64_t h = key_hash(key);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    unsigned wait = 0;
    pthread_mutex_lock(&s->rate_lock);
    struct rate_slot *slot = NULL, *oldest = &s->rates[0];
    for (size_t i = 0; i < RATE_SLOTS && slot == NULL; i++) {
        if (s->rates[i].key == h)
            slot = &s->rates[i];
        else if (s->rates[i].key == 0 || s->rates[i].last.tv_sec < oldest->last.tv_sec)
            oldest = oldest->key == 0 ? oldest : &s->rates[i];
    }
    if (slot == NULL) {
        slot = oldest;
        *slot = (struct rate_slot){.key = h, .tokens = capacity, .last = now};
    }
    double elapsed = seconds_between(&now, &slot->last);
    slot->tokens = slot->tokens + elapsed * per_second;
    if (slot->tokens > capacity)
        slot->tokens = capacity;
    slot->last = now;
    if (slot->tokens >= 1.0)
        slot->tokens -= 1.0;
    else
        wait = (unsigned)((1.0 - slot->tokens) / per_second) + 1;
    pthread_mutex_unlock(&s->rate_lock);
    return wait;
}

/* The key a request carries (Bearer or X-Api-Key), as auth.c reads it. */
static const char *request_key(struct MHD_Connection *conn)
{
    const char *header =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (header != NULL) {
        while (*header == ' ')
            header++;
        if (strncasecmp(header, "Bearer ", 7) == 0) {
            header += 7;
            while (*header == ' ')
                header++;
            return header;
        }
    }
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Api-Key");
}

/* Reserves n bytes of the body budget for req; false when it is spent. */
static bool reserve_body(dms_api_server *s, struct request *req, size_t n)
{
    size_t before = atomic_fetch_add(&s->buffered, n);
    if (before + n > s->config.body_budget) {
        atomic_fetch_sub(&s->buffered, n);
        return false;
    }
    req->reserved += n;
    return true;
}

/* The framing fault a later request's parsed headers show, the first by precedence. */
struct header_scan {
    dms_api_framing_fields seen;
    dms_api_framing_fault fault;
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    struct header_scan *scan = cls;
    value = value != NULL ? value : "";
    size_t key_len = strlen(key), value_len = strlen(value);
    dms_api_framing_fault fault =
        dms_api_framing_control(key, key_len, true) ||
                dms_api_framing_control(value, value_len, false)
            ? DMS_API_FRAMING_CONTROL
            : dms_api_framing_field(&scan->seen, key, key_len, value, value_len);
    if (fault != DMS_API_FRAMING_OK && (scan->fault == DMS_API_FRAMING_OK || fault < scan->fault))
        scan->fault = fault;
    return MHD_YES;
}

/*
 * The accept gate's framing rules (framing.c) for a later request of a
 * kept connection, which libmicrohttpd has parsed without the gate: the
 * same refusals, in the same JSON, on the parsed headers. MHD_YES when the
 * request may go on (nothing sent); else the refusal's result.
 */
static enum MHD_Result check_later_framing(dms_api_server *s, struct MHD_Connection *conn,
                                           struct request *req, const char *version, bool *refused)
{
    *refused = true;
    const union MHD_ConnectionInfo *size =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    bool http11 = strcmp(version, MHD_HTTP_VERSION_1_1) == 0;
    struct header_scan scan = {0};
    if (size != NULL && size->header_size > HEADER_MAX)
        scan.fault = DMS_API_FRAMING_TOO_LARGE;
    else if (!http11 && strcmp(version, MHD_HTTP_VERSION_1_0) != 0)
        scan.fault = DMS_API_FRAMING_VERSION;
    else {
        MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_header, &scan);
        if (scan.fault == DMS_API_FRAMING_OK)
            scan.fault = dms_api_framing_fields_end(&scan.seen, http11);
    }
    const dms_api_framing_refusal *refusal = dms_api_framing_describe(scan.fault);
    if (refusal != NULL)
        return send_error(s, conn, req, refusal->status, refusal->code, NULL, "%s",
                          refusal->message);
    *refused = false;
    return MHD_YES;
}

/*
 * First callback, on the headers alone: route, method, key and role, rate,
 * media type, declared size and the body budget. Every refusal here leaves
 * the body unread (the connection closes after the answer).
 */
static enum MHD_Result on_headers(dms_api_server *s, struct MHD_Connection *conn,
                                  struct request *req, const char *method, const char *url,
                                  const char *version)
{
    if (req->sequence > 1) {
        /* The first request of a connection passed the gate's byte-exact check. */
        bool refused = false;
        enum MHD_Result ok = check_later_framing(s, conn, req, version, &refused);
        if (refused)
            return ok;
    }
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
    unsigned roles = dms_api_route_roles((size_t)req->route);
    if (roles != 0) {
        /* The same check dms_api_dispatch makes, before any byte of the body. */
        dms_api_request who_asks = {
            .method = method,
            .path = url,
            .authorization =
                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
            .api_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Api-Key"),
        };
        dms_error err;
        dms_error_clear(&err);
        who_asks.store = thread_store(s, &err);
        dms_enrol_principal who;
        /* A configured store that cannot be opened is the service's fault. */
        int status = err.code != DMS_OK ? err.code : dms_api_authenticate(&who_asks, &who, &err);
        if (status == DMS_OK && (roles & DMS_ROLE_BIT(who.role)) == 0)
            status = dms_error_set(&err, DMS_EFORBIDDEN, NULL, "role %s may not %s %s",
                                   dms_role_name(who.role), method,
                                   dms_api_route_pattern((size_t)req->route));
        if (status != DMS_OK) {
            dms_api_response resp = {0};
            dms_api_response_error(&resp, dms_api_http_status(status), &err, NULL);
            return send_response(s, conn, req, &resp, NULL, NULL);
        }
        /* Kept for the dispatch: the key is looked up once a request. */
        req->who = who;
        req->authenticated = true;
        if (expensive_route(req->route)) {
            unsigned wait = rate_take(s, request_key(conn));
            if (wait > 0) {
                req->retry_after = wait;
                return send_error(s, conn, req, 429, "rate_limited", NULL,
                                  "more than %u requests a minute to the pricing routes with "
                                  "this key; retry after %u s",
                                  s->config.rate_limit, wait);
            }
        }
    }
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
        /* The whole body is held until the request completes: reserve it now. */
        if (errno == 0 && end != length && n > 0 && !reserve_body(s, req, (size_t)n + 1))
            return send_error(s, conn, req, 503, "server_busy", NULL,
                              "the service holds as many request bodies as it may (%zu bytes); "
                              "retry shortly",
                              s->config.body_budget);
    }
    return MHD_YES;
}

/* A piece of the body: append under the cap and the reservation. */
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
        /* Exactly the declared size; without one, grow within the budget. */
        size_t cap = req->reserved > req->len + size ? req->reserved : 0;
        if (cap == 0) {
            cap = req->cap > 0 ? req->cap : 16384;
            while (cap < req->len + size + 1)
                cap *= 2;
            if (cap > req->reserved && !reserve_body(s, req, cap - req->reserved))
                return MHD_NO;
        }
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

/* The answer of a computation given up half-way. */
static void cancelled_response(struct request *req, dms_api_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    dms_error err;
    dms_error_clear(&err);
    if (req->cancel == CANCEL_STOP) {
        dms_error_set(&err, DMS_ENOMEM, NULL, "the service is stopping; retry shortly");
        dms_api_response_error(resp, 503, &err, "shutting_down");
    } else {
        dms_error_set(&err, DMS_ENOMEM, NULL,
                      "the request took longer than the %g s this service computes for one "
                      "request; ask for less work",
                      req->server->config.compute_timeout);
        dms_api_response_error(resp, 503, &err, "deadline_exceeded");
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    dms_api_server *s = cls;
    struct request *req = *con_cls;
    if (req == NULL) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        struct conn_state *c = info != NULL ? info->socket_context : NULL;
        unsigned sequence = 1;
        if (c != NULL) {
            pthread_mutex_lock(&s->keep_lock);
            bool expired = c->expired;
            c->idle = false;
            sequence = ++c->served;
            pthread_mutex_unlock(&s->keep_lock);
            if (expired)
                return MHD_NO; /* the sweep has shut it down: headers came too late */
        }
        if ((req = request_begin(s, conn, method, url)) == NULL)
            return MHD_NO;
        req->conn_state = c;
        req->sequence = sequence;
        *con_cls = req;
        return on_headers(s, conn, req, method, url, version);
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
    req->body_read = true;
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
    dms_error store_err;
    dms_error_clear(&store_err);
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
        .store = thread_store(s, &store_err),
        .today = today,
        .arg = query_arg,
        .arg_ctx = conn,
        .cancelled = request_cancelled,
        .cancel_ctx = req,
        .principal = req->authenticated ? &req->who : NULL,
    };
    dms_api_response resp;
    if (store_err.code != DMS_OK && dms_api_route_roles((size_t)req->route) != 0) {
        resp = (dms_api_response){0};
        dms_api_response_error(&resp, dms_api_http_status(store_err.code), &store_err, NULL);
    } else {
        dms_api_dispatch((size_t)req->route, &in, &s->hooks, &resp);
    }
    if (req->cancel != CANCEL_NONE)
        cancelled_response(req, &resp);
    enum MHD_Result ok = send_response(s, conn, req, &resp, NULL, catalog);
    dms_api_catalog_unref(catalog);
    return ok;
}

/* ---- access log and completion --------------------------------------------------- */

/* One JSON line: the access log (path "-" for answers of the accept gate). */
static void log_line(dms_api_server *s, unsigned long id, const char *method, const char *url,
                     const char *route, unsigned status, size_t bytes, double seconds,
                     const char *detail)
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
    json_t *path = json_string(url);
    if (path == NULL)
        path = json_string("(invalid UTF-8)");
    json_t *line =
        json_pack("{s:s, s:I, s:s, s:o, s:s, s:i, s:I, s:f}", "time", when, "id", (json_int_t)id,
                  "method", method, "path", path, "route", route, "status", (int)status, "bytes",
                  (json_int_t)bytes, "duration_ms", seconds * 1000.0);
    if (line != NULL && detail != NULL && detail[0] != '\0')
        json_object_set_new(line, "detail", json_string(detail));
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
    dms_api_server *s = cls;
    struct request *req = *con_cls;
    if (req == NULL)
        return;
    *con_cls = NULL;
    if (!req->responded)
        req->status = 499; /* the client went away before an answer */
    double seconds = seconds_since(&req->start);
    dms_api_metrics_end(s->metrics, req->route, req->status, seconds);
    log_line(s, req->id, req->method, req->path, dms_api_route_pattern((size_t)req->route),
             req->status, req->bytes, seconds, req->log_detail);
    if (req->answering)
        atomic_fetch_sub(&s->answering, 1);
    if (req->keep && req->conn_state != NULL && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        /* The header deadline of the next request starts now. */
        pthread_mutex_lock(&s->keep_lock);
        req->conn_state->idle = true;
        clock_gettime(CLOCK_MONOTONIC, &req->conn_state->idle_since);
        pthread_mutex_unlock(&s->keep_lock);
    }
    if (req->reserved > 0)
        atomic_fetch_sub(&s->buffered, req->reserved);
    if (req->cap >= 64 * 1024)
        atomic_store(&s->trim_wanted, true);
    free(req->body);
    free(req->path);
    free(req);
}

/*
 * A connection starts or ends in libmicrohttpd: counted, and listed for
 * keep-alive. libmicrohttpd tells the end before it closes the socket, so
 * the sweep never shuts down a descriptor that has been reused.
 */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    dms_api_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&s->connections, 1);
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const union MHD_ConnectionInfo *daemon =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
        struct conn_state *c = fd != NULL ? calloc(1, sizeof *c) : NULL;
        if (c != NULL) {
            c->fd = fd->connect_fd;
            if (addr != NULL && addr->client_addr != NULL &&
                addr->client_addr->sa_family == AF_INET)
                c->addr =
                    ((const struct sockaddr_in *)(const void *)addr->client_addr)->sin_addr.s_addr;
            c->light = daemon == NULL || daemon->daemon == s->light;
            pthread_mutex_lock(&s->keep_lock);
            c->next = s->conns;
            if (s->conns != NULL)
                s->conns->prev = c;
            s->conns = c;
            pthread_mutex_unlock(&s->keep_lock);
        }
        *socket_context = c; /* NULL: never kept */
        return;
    }
    atomic_fetch_sub(&s->connections, 1);
    struct conn_state *c = *socket_context;
    if (c == NULL)
        return;
    pthread_mutex_lock(&s->keep_lock);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&s->keep_lock);
    *socket_context = NULL;
    free(c);
}

/* ---- the accept gate ---------------------------------------------------------------- */

/*
 * Answers a connection of the waiting room with a JSON error and closes it.
 * What the client sent so far is read away first, so that the close does
 * not reset the connection under the answer.
 */
static void gate_refuse(dms_api_server *s, int fd, unsigned status, const char *reason,
                        const char *code, const char *message)
{
    unsigned long id = atomic_fetch_add(&s->next_id, 1) + 1;
    char *body = error_text(code, message, 0);
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "X-Request-Id: %lu\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
                     status, reason, body != NULL ? strlen(body) + 1 : 0, id);
    char sink[4096];
    while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
    }
    if (send(fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n && body != NULL) {
        send(fd, body, strlen(body), MSG_NOSIGNAL | MSG_DONTWAIT);
        send(fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    shutdown(fd, SHUT_WR);
    free(body);
    log_line(s, id, "-", "-", "gate", status, 0, 0.0, message);
    dms_api_metrics_gate(s->metrics, status);
}

static void pending_drop(dms_api_server *s, struct pending *p)
{
    epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, p->fd, NULL);
    s->pending[p->index] = s->pending[--s->npending];
    s->pending[p->index]->index = p->index;
    free(p);
}

static void pending_close(dms_api_server *s, struct pending *p)
{
    close(p->fd);
    pending_drop(s, p);
}

static bool older(const struct pending *a, const struct pending *b)
{
    return a->since.tv_sec < b->since.tv_sec ||
           (a->since.tv_sec == b->since.tv_sec && a->since.tv_nsec < b->since.tv_nsec);
}

/* Looks at what a waiting connection has sent: waits on, refuses or hands it over. */
static void gate_inspect(dms_api_server *s, struct pending *p, char *buf)
{
    ssize_t got = recv(p->fd, buf, HEADER_MAX, MSG_PEEK | MSG_DONTWAIT);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        pending_close(s, p);
        return;
    }
    if (got < 0)
        return;
    dms_api_framing framing;
    dms_api_framing_check(buf, (size_t)got, p->scanned, HEADER_MAX, &framing);
    p->scanned = (size_t)got;
    if (framing.header_len == 0 && framing.status == 0)
        return; /* the headers are not complete yet */
    unsigned status = framing.status;
    const char *reason = framing.reason, *code = framing.code, *message = framing.message;
    if (status == 0 && atomic_load(&s->connections) >= (long)s->config.max_connections) {
        status = 503;
        reason = "Service Unavailable";
        code = "server_busy";
        message = "the service has as many connections as it serves; retry shortly";
    }
    if (status != 0) {
        gate_refuse(s, p->fd, status, reason, code, message);
        pending_close(s, p);
        return;
    }
    int fd = p->fd;
    struct sockaddr_in addr = p->addr;
    pending_drop(s, p);
    /* On refusal (the per-address limit) libmicrohttpd closes the socket. */
    MHD_add_connection(framing.light ? s->light : s->daemon, fd, (struct sockaddr *)&addr,
                       sizeof addr);
}

/* Takes a new connection into the waiting room, making room if need be. */
static void gate_admit(dms_api_server *s, int fd, const struct sockaddr_in *addr, char *buf)
{
    struct pending *oldest = NULL, *oldest_here = NULL;
    size_t here = 0;
    for (size_t i = 0; i < s->npending; i++) {
        struct pending *q = s->pending[i];
        if (oldest == NULL || older(q, oldest))
            oldest = q;
        if (q->addr.sin_addr.s_addr == addr->sin_addr.s_addr) {
            here++;
            if (oldest_here == NULL || older(q, oldest_here))
                oldest_here = q;
        }
    }
    /* A full share of one address gives way to its newest connection, so a
     * flood of slow connections cannot keep out a prompt one. */
    if (here >= s->config.max_per_ip && oldest_here != NULL)
        pending_close(s, oldest_here);
    else if (s->npending >= s->max_pending && oldest != NULL)
        pending_close(s, oldest);
    struct pending *p = calloc(1, sizeof *p);
    if (p == NULL) {
        close(fd);
        return;
    }
    p->fd = fd;
    p->addr = *addr;
    clock_gettime(CLOCK_MONOTONIC, &p->since);
    p->index = s->npending;
    s->pending[s->npending++] = p;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = p};
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        pending_close(s, p);
        return;
    }
    gate_inspect(s, p, buf); /* a prompt client's headers are often here already */
}

/* Seconds a client has for its request headers, from its connection's
 * start or its last answer: the header timeout, or the idle timeout if
 * shorter. */
static double header_deadline(const dms_api_server *s)
{
    double deadline = (double)s->config.header_timeout;
    if (s->config.connection_timeout > 0 && s->config.connection_timeout < deadline)
        deadline = (double)s->config.connection_timeout;
    return deadline;
}

/* Refuses the connections that have waited past the header deadline. */
static void gate_expire(dms_api_server *s)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double deadline = header_deadline(s);
    for (size_t i = 0; i < s->npending;) {
        struct pending *p = s->pending[i];
        if (seconds_between(&now, &p->since) < deadline) {
            i++;
            continue;
        }
        gate_refuse(s, p->fd, 408, "Request Timeout", "request_timeout",
                    "the request headers did not arrive in time");
        pending_close(s, p); /* moves the last entry to i */
    }
}

/*
 * The header deadline of kept connections: one answered and idle for
 * header_timeout (or the idle timeout, if shorter) without the complete
 * headers of its next request is shut down, whether silent or trickling;
 * libmicrohttpd then closes it.
 */
static void keep_expire(dms_api_server *s)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double deadline = header_deadline(s);
    pthread_mutex_lock(&s->keep_lock);
    for (struct conn_state *c = s->conns; c != NULL; c = c->next) {
        if (!c->idle)
            continue;
        if (seconds_between(&now, &c->idle_since) >= deadline) {
            c->idle = false;
            c->expired = true;
            shutdown(c->fd, SHUT_RDWR);
        }
    }
    pthread_mutex_unlock(&s->keep_lock);
}

static void *gate_run(void *arg)
{
    dms_api_server *s = arg;
    char *buf = malloc(HEADER_MAX);
    struct epoll_event events[64];
    struct timespec last_trim;
    clock_gettime(CLOCK_MONOTONIC, &last_trim);
    while (buf != NULL && !atomic_load(&s->stopping)) {
        int n = epoll_wait(s->epoll_fd, events, 64, 100);
        for (int i = 0; i < n && !atomic_load(&s->stopping); i++) {
            if (events[i].data.ptr == &s->wake_fd)
                continue;
            if (events[i].data.ptr != NULL) {
                gate_inspect(s, events[i].data.ptr, buf);
                continue;
            }
            for (;;) {
                struct sockaddr_in addr;
                socklen_t len = sizeof addr;
                int fd = accept4(s->listen_fd, (struct sockaddr *)&addr, &len,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                    break;
                gate_admit(s, fd, &addr, buf);
            }
        }
        gate_expire(s);
        keep_expire(s);
        dms_api_metrics_load(s->metrics, (long)s->npending, (long)atomic_load(&s->buffered));
        /* Freed bodies go back to the system once nothing is held. */
        if (atomic_load(&s->trim_wanted) && atomic_load(&s->buffered) == 0 &&
            seconds_since(&last_trim) > 1.0) {
            atomic_store(&s->trim_wanted, false);
            malloc_trim(0);
            clock_gettime(CLOCK_MONOTONIC, &last_trim);
        }
    }
    free(buf);
    return NULL;
}

/* The listening socket, bound and non-blocking; -1 with errno on failure. */
static int listen_on(const struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, (const struct sockaddr *)addr, sizeof *addr) != 0 || listen(fd, 1024) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
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
    pthread_mutex_destroy(&s->rate_lock);
    pthread_mutex_destroy(&s->keep_lock);
    while (s->npending > 0)
        pending_close(s, s->pending[0]);
    free(s->pending);
    free(s->rates);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->epoll_fd >= 0)
        close(s->epoll_fd);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    if (s->db_fd >= 0)
        close(s->db_fd); /* after every store connection of the workers is closed */
    free(s->host);
    free(s->tariffs_dir);
    free(s->models_dir);
    free(s->web_dir);
    free(s->db_path);
    if (s->has_store_key)
        pthread_key_delete(s->store_key);
    free(s);
}

/*
 * Fits the connection limits under the file limit: each connection is one
 * descriptor in the waiting room or in libmicrohttpd, and the store, logs
 * and epoll need a few more. Raises the soft limit to the hard one first.
 */
static int fit_file_limit(dms_api_server *s, dms_error *err)
{
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) != 0)
        return DMS_OK;
    if (nofile.rlim_cur < nofile.rlim_max) {
        struct rlimit raised = {nofile.rlim_max, nofile.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            nofile = raised;
    }
    rlim_t spare = nofile.rlim_cur > 64 + 2 * (rlim_t)s->config.threads
                       ? nofile.rlim_cur - 64 - 2 * (rlim_t)s->config.threads
                       : 0;
    if (spare < 32)
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "the open-file limit (ulimit -n %llu) leaves no room for connections",
                             (unsigned long long)nofile.rlim_cur);
    /* Half for served connections, half for the waiting room. */
    if ((rlim_t)s->config.max_connections > spare / 2)
        s->config.max_connections = (unsigned)(spare / 2);
    s->max_pending = s->config.max_connections;
    if (s->config.max_per_ip > s->config.max_connections)
        s->config.max_per_ip = s->config.max_connections;
    return DMS_OK;
}

int dms_api_server_start(const dms_api_config *config, dms_api_server **out, dms_error *err)
{
    dms_error_clear(err);
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
    s->listen_fd = s->epoll_fd = s->wake_fd = s->db_fd = -1;
    s->config = *config;
    pthread_mutex_init(&s->catalog_lock, NULL);
    pthread_mutex_init(&s->reload_lock, NULL);
    pthread_mutex_init(&s->rate_lock, NULL);
    pthread_mutex_init(&s->keep_lock, NULL);
    atomic_init(&s->next_id, 0);
    atomic_init(&s->answering, 0);
    atomic_init(&s->stopping, false);
    atomic_init(&s->checkpoint_stop, false);
    atomic_init(&s->connections, 0);
    atomic_init(&s->buffered, 0);
    atomic_init(&s->trim_wanted, false);
    atomic_init(&s->abandon, false);
    dms_api_config defaults = dms_api_config_default();
    if (s->config.header_timeout == 0)
        s->config.header_timeout = defaults.header_timeout;
    if (s->config.max_connections == 0)
        s->config.max_connections = defaults.max_connections;
    if (s->config.max_per_ip == 0)
        s->config.max_per_ip = defaults.max_per_ip;
    if (s->config.body_budget == 0)
        s->config.body_budget = defaults.body_budget;
    if (s->config.keep_alive == 0)
        s->config.keep_alive = defaults.keep_alive;
    if (s->config.body_budget < s->config.body_limit + 1)
        s->config.body_budget = s->config.body_limit + 1;
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
    if (s->db_path != NULL && !dms_store_is_uri(s->db_path))
        s->db_fd = open(s->db_path, O_RDONLY | O_CLOEXEC);
    if (config->today != NULL)
        snprintf(s->today, sizeof s->today, "%s", config->today);
    s->config.today = NULL;
    s->has_store_key = pthread_key_create(&s->store_key, close_thread_store) == 0;
    s->hooks = (dms_api_hooks){.metrics = hook_metrics,
                               .reload = hook_reload,
                               .ctx = s,
                               .store_health = s->db_path != NULL ? hook_store_health : NULL,
                               .catalog_required = config->require_catalog};
    int status;
    if (s->host == NULL || dms_api_metrics_alloc(&s->metrics) != DMS_OK) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the server");
        goto out_free;
    }
    if ((status = fit_file_limit(s, err)) != DMS_OK)
        goto out_free;
    s->pending = calloc(s->max_pending, sizeof *s->pending);
    s->rates = calloc(RATE_SLOTS, sizeof *s->rates);
    if (s->pending == NULL || s->rates == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the server");
        goto out_free;
    }
    /* Bodies above 128 KiB are mapped and unmapped whole: glibc would
     * otherwise raise this threshold after the first large free and keep
     * later bodies in its heaps, where they stay after the load. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    s->generation = 1;
    if ((status = dms_api_catalog_load(s->tariffs_dir, s->models_dir, s->generation, &s->catalog,
                                       err)) != DMS_OK ||
        (s->config.require_catalog &&
         (status = dms_api_catalog_check(s->catalog, err)) != DMS_OK)) {
        /* An unreadable folder is a configuration fault like a bad file;
         * DMS_EIO stays for the socket, which a restart may fix. */
        if (status == DMS_EIO)
            status = err != NULL ? (err->code = DMS_EINVAL) : DMS_EINVAL;
        goto out_free;
    }
    if ((s->listen_fd = listen_on(&addr)) < 0) {
        status = dms_error_set(err, DMS_EIO, NULL,
                               "cannot listen on %s:%u (address in use or not available)",
                               config->host, config->port);
        goto out_free;
    }
    /* Before the workers, which defer their checkpoints only when it runs. */
    if (s->db_path != NULL && !dms_store_is_uri(s->db_path))
        s->has_checkpointer = pthread_create(&s->checkpointer, NULL, checkpoint_run, s) == 0;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET;
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL : MHD_USE_POLL;
    /* Each connection's pool is CONNECTION_POOL: the header block the gate
     * let through (HEADER_MAX at most, with libmicrohttpd's list of the
     * headers: 320 headers of 100 bytes still fit in 64 KiB, not in 32) and
     * the answer's headers; bodies pass through it in pieces to on_request.
     * libmicrohttpd maps such a pool, zeroes it and unmaps it for every
     * connection, and every request here is a connection of its own: 64 KiB
     * halves those page faults and unmaps against the former 128 KiB (about
     * 3 % of a draft's CPU); at 32 KiB it would take it from malloc, but
     * refuse in HTML the header blocks between about 24 and 32 KiB. */
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)config->threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)config->connection_timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_POOL, MHD_OPTION_CONNECTION_LIMIT,
        s->config.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->config.max_per_ip,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        s, MHD_OPTION_END);
    /* The light lane: /healthz and /metrics on a thread of their own, so a
     * probe never waits behind a computation on a worker. */
    s->light = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)config->connection_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONNECTION_POOL, MHD_OPTION_CONNECTION_LIMIT, (unsigned)LIGHT_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->config.max_per_ip, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
    if (s->daemon == NULL || s->light == NULL) {
        status = dms_error_set(err, DMS_EIO, NULL, "cannot start the HTTP workers");
        goto out_stop;
    }
    struct sockaddr_in bound;
    socklen_t bound_len = sizeof bound;
    s->port = getsockname(s->listen_fd, (struct sockaddr *)&bound, &bound_len) == 0
                  ? ntohs(bound.sin_port)
                  : config->port;
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event on_listen = {.events = EPOLLIN, .data.ptr = NULL};
    struct epoll_event on_wake = {.events = EPOLLIN, .data.ptr = &s->wake_fd};
    if (s->epoll_fd < 0 || s->wake_fd < 0 ||
        epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &on_listen) != 0 ||
        epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->wake_fd, &on_wake) != 0 ||
        pthread_create(&s->acceptor, NULL, gate_run, s) != 0) {
        status = dms_error_set(err, DMS_EIO, NULL, "cannot start the accept thread");
        goto out_stop;
    }
    s->has_acceptor = true;
    *out = s;
    return DMS_OK;
out_stop:
    if (s->daemon != NULL)
        MHD_stop_daemon(s->daemon);
    if (s->light != NULL)
        MHD_stop_daemon(s->light);
    checkpoint_end(s);
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
    /* No new connections; the waiting room is closed with the server. */
    atomic_store(&server->stopping, true);
    uint64_t one = 1;
    if (write(server->wake_fd, &one, sizeof one) < 0) {
        /* the accept thread also wakes on its 100 ms tick */
    }
    if (server->has_acceptor)
        pthread_join(server->acceptor, NULL);
    close(server->listen_fd);
    server->listen_fd = -1;
    dms_api_jobs_cancel_all(0); /* jobs end at their next poll; their answers would be lost */
    /* In-flight requests get most of the grace; then their computations are
     * cancelled, which ends them within milliseconds. */
    unsigned cancel_at = grace_ms > 500 ? grace_ms - grace_ms / 5 : 0;
    unsigned waited = 0;
    while (atomic_load(&server->answering) > 0 && waited < grace_ms) {
        if (waited >= cancel_at)
            atomic_store(&server->abandon, true);
        struct timespec tick = {0, 10 * 1000 * 1000};
        nanosleep(&tick, NULL);
        waited += 10;
    }
    atomic_store(&server->abandon, true);
    dms_api_jobs_cancel_all(grace_ms > waited ? grace_ms - waited : 0);
    unsigned left = (unsigned)atomic_load(&server->answering);
    MHD_stop_daemon(server->daemon);
    MHD_stop_daemon(server->light);
    dms_enrol_writers_close();
    checkpoint_end(server);
    server_free(server);
    return left;
}
