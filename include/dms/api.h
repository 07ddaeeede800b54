/*
 * The HTTP service of `dmsrate serve`: a libmicrohttpd daemon (thread pool
 * with epoll) that decodes a request, calls the core and encodes the answer
 * as JSON, with one error model for every route
 * ({"error":{"code","message","path"}}), Prometheus metrics and a JSON
 * access log. Tariffs and models are loaded once into an immutable catalog
 * snapshot; a reload builds a new snapshot and swaps it atomically, so a
 * request sees the old set or the new one, never a mix.
 *
 * The layer is split so that all but the socket glue is testable without a
 * network: the decoders (request body -> core spec), the router
 * (method + path + body -> status + JSON) and the catalog do not include
 * microhttpd.h; only server.c does.
 */
#ifndef DMS_API_H
#define DMS_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "dms/aggregate.h"
#include "dms/error.h"

/* Defaults of dms_api_config_default(). */
#define DMS_API_DEFAULT_BODY_LIMIT (4u * 1024u * 1024u)
#define DMS_API_DEFAULT_THREADS 4
#define DMS_API_DEFAULT_CONNECTION_TIMEOUT 30 /* seconds a connection may idle */
#define DMS_API_DEFAULT_REQUEST_TIMEOUT 60    /* seconds to receive a whole request */
#define DMS_API_DEFAULT_MAX_SIMS 1000000
#define DMS_API_DEFAULT_MAX_POINTS ((size_t)1 << 20)
/* Work budgets of one request (about 2-4 s of one core each, measured by
 * make bench): Monte Carlo random draws sims x (1 + mean claims), Panjer
 * multiply-adds points x points, and census people x plan modules. */
#define DMS_API_DEFAULT_MAX_DRAWS 50000000.0
#define DMS_API_DEFAULT_MAX_GRID_OPS 4000000000.0
#define DMS_API_DEFAULT_MAX_QUOTE_CELLS 10000000.0
/* Overload defaults (see dms_api_config). */
#define DMS_API_DEFAULT_HEADER_TIMEOUT 10                 /* seconds to send the request headers */
#define DMS_API_DEFAULT_MAX_CONNECTIONS 512               /* lowered to fit RLIMIT_NOFILE */
#define DMS_API_DEFAULT_MAX_PER_IP 32                     /* connections of one client address */
#define DMS_API_DEFAULT_BODY_BUDGET (64u * 1024u * 1024u) /* bytes of bodies held at once */
#define DMS_API_DEFAULT_COMPUTE_TIMEOUT 30                /* seconds one request may compute */
#define DMS_API_DEFAULT_RATE_LIMIT 120 /* expensive requests per key per minute */
#define DMS_API_DEFAULT_KEEP_ALIVE 100 /* requests one connection may carry */

/* What the service will compute for one request: keeps one request cheap. */
typedef struct dms_api_limits {
    size_t max_sims;   /* Monte Carlo simulations per request */
    size_t max_points; /* lattice points per request (Panjer: an eighth of it) */
    /* Work budgets (0: no budget): see DMS_API_DEFAULT_MAX_DRAWS and after. */
    double max_draws;       /* Monte Carlo: sims x (1 + expected claims) */
    double max_grid_ops;    /* Panjer: grid points squared */
    double max_quote_cells; /* quotes: people in the census x modules of the plan */
} dms_api_limits;

typedef struct dms_api_config {
    const char *host;            /* IPv4 address to bind, "127.0.0.1" */
    unsigned port;               /* 0: any free port (see dms_api_server_port) */
    unsigned threads;            /* worker threads of the pool, 1..256 */
    size_t body_limit;           /* largest request body in bytes (413 above) */
    unsigned connection_timeout; /* seconds of silence before a connection is closed */
    unsigned request_timeout;    /* seconds to receive one whole request (408 after) */
    const char *tariffs_dir;     /* NULL or "": no tariffs */
    const char *models_dir;      /* NULL or "": no models */
    const char *web_dir;         /* static pages (GET / and the like); NULL or "": none */
    FILE *access_log;            /* one JSON line per request; NULL: none */
    dms_api_limits limits;
    const char *db_path; /* SQLite store (keys, elections); NULL: none, every keyed route 401 */
    const char *today;   /* "YYYY-MM-DD" the picker takes as today; NULL: the UTC date */
    /* Overload protection (0 takes the DMS_API_DEFAULT_ value). */
    unsigned header_timeout;  /* seconds from connect (or a response) to complete headers */
    unsigned max_connections; /* connections at once; lowered to fit RLIMIT_NOFILE */
    unsigned max_per_ip;      /* connections of one client address */
    size_t body_budget;       /* bytes of request bodies buffered at once (503 beyond) */
    double
        compute_timeout; /* seconds (fractions too) a request may compute before it is abandoned */
    unsigned rate_limit; /* expensive requests per key per minute (429 beyond) */
    bool no_rate_limit;  /* true: no per-key rate limit at all */
    /* Requests one connection may carry (HTTP/1.1 keep-alive); 1: every
     * answer closes its connection. A kept connection has header_timeout
     * from the end of an answer to the complete headers of the next one. */
    unsigned keep_alive;
    /* true: refuse to start, or to reload, a catalog that cannot price
     * (dms_api_catalog_check); `dmsrate serve` sets it. */
    bool require_catalog;
} dms_api_config;

dms_api_config dms_api_config_default(void);

/*
 * "HOST:PORT" (IPv4 dotted quad, port 0..65535) into config->host (pointing
 * into buf, a copy of text of size bytes) and config->port. DMS_EINVAL if
 * malformed.
 */
int dms_api_parse_listen(const char *text, char *buf, size_t size, dms_api_config *config,
                         dms_error *err);

/* --- the catalog: an immutable, reference-counted snapshot ----------------- */

typedef struct dms_api_catalog dms_api_catalog;

/*
 * Loads every *.json file of the two folders (either may be NULL or "" for
 * none) into a new snapshot with reference count 1. The whole load fails on
 * the first bad file, with the file and place in err, so a broken reload
 * leaves the running set in place. The generation numbers successive loads.
 */
int dms_api_catalog_load(const char *tariffs_dir, const char *models_dir, unsigned long generation,
                         dms_api_catalog **out, dms_error *err);

/* Adds a reference (thread-safe); returns catalog. NULL is allowed. */
dms_api_catalog *dms_api_catalog_ref(dms_api_catalog *catalog);

/* Drops a reference and frees the snapshot with the last one. NULL is a no-op. */
void dms_api_catalog_unref(dms_api_catalog *catalog);

unsigned long dms_api_catalog_generation(const dms_api_catalog *catalog);

/*
 * DMS_OK when the snapshot can price: at least one corporate tariff whose
 * model is loaded. DMS_EINVAL otherwise, the message naming what is missing.
 */
int dms_api_catalog_check(const dms_api_catalog *catalog, dms_error *err);

/* "id@version,id@version" of the loaded models or tariffs (borrowed). */
const char *dms_api_catalog_models_version(const dms_api_catalog *catalog);
const char *dms_api_catalog_tariffs_version(const dms_api_catalog *catalog);

/*
 * JSON views (new references): the list of models or tariffs, and one by id
 * with its module catalogue (Russian and English names). NULL with
 * DMS_ENOTFOUND when no item has that id.
 */
json_t *dms_api_catalog_list(const dms_api_catalog *catalog, bool tariffs, dms_error *err);
json_t *dms_api_catalog_show(const dms_api_catalog *catalog, bool tariffs, const char *id,
                             dms_error *err);

struct dms_model;
struct dms_tariff;

/*
 * Lookups for pricing routes (borrowed; valid while the caller holds its
 * reference on the snapshot). id "" means the first tariff in name order;
 * a model is found by id or, with _by_version, by its version string (what
 * a tariff's "model" field names). NULL if absent.
 */
const struct dms_tariff *dms_api_catalog_tariff(const dms_api_catalog *catalog, const char *id);
const struct dms_model *dms_api_catalog_model(const dms_api_catalog *catalog, const char *id);
/* A bank premium-card tariff of the tariffs folder by id ("" gives the first),
 * or NULL. Corporate tariffs and bank tariffs are told apart on loading. */
const struct dms_bank_tariff *dms_api_catalog_bank_tariff(const dms_api_catalog *catalog,
                                                          const char *id);
const struct dms_model *dms_api_catalog_model_by_version(const dms_api_catalog *catalog,
                                                         const char *version);

/* --- decoders: request bodies into core input ------------------------------ */

/*
 * Decodes the body of POST /v1/aggregate:
 *   {"frequency": {"family": "poisson", "mean": 3}
 *               | {"family": "negbin", "mean": 0.05, "size": 2},
 *    "severity": {"family": "lognormal", "meanlog": 8, "sdlog": 1}
 *              | {"family": "gamma", "shape": 2, "scale": 3000},
 *    "deductible": 0, "franchise": false, "copay": 0, "claim_limit": null,
 *    "annual_limit": null, "method": "auto|panjer|fft|mc",
 *    "discretization": "rounding|moment", "span": null, "sims": 100000,
 *    "seed": 1}
 * frequency and severity are required, the rest optional (null = none /
 * automatic). Errors: DMS_EPARSE (malformed JSON: err->line, err->column),
 * DMS_ETOOBIG (text over the JSON limit), DMS_EINVAL at the JSON Pointer of
 * the bad value (wrong type, out of range, unknown key, or a problem larger
 * than limits allows). limits may be NULL for the defaults.
 */
int dms_api_decode_aggregate(const char *body, size_t len, const dms_api_limits *limits,
                             dms_aggregate_spec *spec, dms_error *err);

/* --- framing: the accept gate's check of a request's headers ---------------- */

/*
 * The faults of a request's framing, each with one answer
 * (dms_api_framing_describe), whether the accept gate finds it in the raw
 * bytes of a first request or the server in the parsed headers of a later
 * request of a kept connection. The order is the precedence of the later
 * request's check when its headers hold several faults at once; the raw
 * check reports the first fault in its bytes.
 */
typedef enum dms_api_framing_fault {
    DMS_API_FRAMING_OK,
    DMS_API_FRAMING_TOO_LARGE,     /* headers over the limit (431) */
    DMS_API_FRAMING_VERSION,       /* neither HTTP/1.0 nor HTTP/1.1 (505) */
    DMS_API_FRAMING_CONTROL,       /* a control character in the headers */
    DMS_API_FRAMING_LINE_END,      /* a bare CR or LF (raw bytes only) */
    DMS_API_FRAMING_REQUEST_LINE,  /* not METHOD /path HTTP/1.x (raw bytes only) */
    DMS_API_FRAMING_AFTER_VERSION, /* bytes after the version (raw bytes only) */
    DMS_API_FRAMING_HEADER_LINE,   /* a line that is not "Name: value" (raw bytes only) */
    DMS_API_FRAMING_CHUNKED,       /* a Transfer-Encoding (411) */
    DMS_API_FRAMING_BAD_LENGTH,    /* a Content-Length that is not a whole number */
    DMS_API_FRAMING_LONG_LENGTH,   /* a Content-Length of over 15 digits (413) */
    DMS_API_FRAMING_CONFLICT,      /* two different Content-Length values */
    DMS_API_FRAMING_NO_HOST,       /* HTTP/1.1 without Host */
    DMS_API_FRAMING_FAULTS         /* the number of values above */
} dms_api_framing_fault;

/* The answer to a framing fault; every string static, message in English. */
typedef struct dms_api_framing_refusal {
    unsigned status;     /* HTTP status */
    const char *reason;  /* of the status line */
    const char *code;    /* of the JSON error */
    const char *message; /* its Russian form is in the table of src/core/io/error.c */
} dms_api_framing_refusal;

/* The answer to fault; NULL for DMS_API_FRAMING_OK or a value out of range. */
const dms_api_framing_refusal *dms_api_framing_describe(dms_api_framing_fault fault);

typedef struct dms_api_framing {
    unsigned status;             /* 0: acceptable (or not complete yet); else the HTTP status */
    const char *reason;          /* of the status line, static */
    const char *code;            /* of the JSON error, static */
    const char *message;         /* static */
    size_t header_len;           /* bytes up to and with the blank line; 0: not complete */
    bool light;                  /* GET or HEAD of /healthz or /metrics */
    dms_api_framing_fault fault; /* what status, reason, code and message answer */
} dms_api_framing;

/*
 * Checks the first len bytes a client has sent (scanned of them already
 * searched for the blank line) against the framing rules of the service;
 * headers longer than max bytes are a 431. Never fails.
 */
void dms_api_framing_check(const char *data, size_t len, size_t scanned, size_t max,
                           dms_api_framing *out);

/*
 * The rules on header fields both checks share, the raw one on each line it
 * has split, the later one on libmicrohttpd's parsed fields: what the fields
 * of one request have shown so far (zero-initialise it per request).
 */
typedef struct dms_api_framing_fields {
    const char *length; /* the first Content-Length value; NULL: none yet */
    size_t length_len;
    bool host; /* a Host field was seen */
} dms_api_framing_fields;

/*
 * The fault of one field name: value (value as parsed, without the
 * whitespace around it): a Transfer-Encoding, a Content-Length that is not
 * a whole number, is over 15 digits or differs from an earlier one.
 * Records Host and the first Content-Length in seen. Control characters
 * are not looked at here (dms_api_framing_control).
 */
dms_api_framing_fault dms_api_framing_field(dms_api_framing_fields *seen, const char *name,
                                            size_t name_len, const char *value, size_t value_len);

/* After the last field: DMS_API_FRAMING_NO_HOST for HTTP/1.1 without Host. */
dms_api_framing_fault dms_api_framing_fields_end(const dms_api_framing_fields *seen, bool http11);

/*
 * True if text holds a control character: below 0x20 but tab, or DEL; in a
 * field name (name true) space and tab too. The raw check applies the same
 * rule to its bytes but the CR LF line ends.
 */
bool dms_api_framing_control(const char *text, size_t len, bool name);

/* --- errors ---------------------------------------------------------------- */

/* The HTTP status for a dms_status (the one table): 422 for EINVAL, ... */
unsigned dms_api_http_status(int status);

/*
 * {"error": {"code", "message", "path"}} for err, plus "line" and "column"
 * when err has them. code is dms_status_name(err->code) unless code_name is
 * given (HTTP-level errors such as "method_not_allowed"). New reference.
 */
json_t *dms_api_error_json(const dms_error *err, const char *code_name);

/* --- the router: transport-independent request handling -------------------- */

/* The routes, in table order; metrics label them by pattern. */
#define DMS_API_ROUTE_NONE (-1)
size_t dms_api_route_count(void);
const char *dms_api_route_pattern(size_t route);
/* "GET", "POST", ... of the route ("" out of range); GET routes answer HEAD too. */
const char *dms_api_route_method(size_t route);

/*
 * Finds the route of path. Returns its index or DMS_API_ROUTE_NONE. When the
 * route exists, *allowed tells whether method is one it accepts, allow (size
 * bytes) receives the Allow header value, and param (param_size bytes) the
 * {id} segment if the pattern has one.
 */
int dms_api_route_find(const char *method, const char *path, bool *allowed, char *allow,
                       size_t allow_size, char *param, size_t param_size);

/*
 * The roles (bits DMS_ROLE_BIT of enrol_store.h) that may call route; 0 for
 * the public routes (/healthz, /metrics). dms_api_dispatch answers 401
 * without a valid key and 403 for a role outside this set.
 */
unsigned dms_api_route_roles(size_t route);

/*
 * The employer N of a path "/v1/employers/N/..." that stands for the route
 * "/v1/..." (dms_api_route_find matches it so), or 0. Broker and insurer
 * keys name their employer so; dms_api_dispatch checks it against the key.
 */
long dms_api_path_employer(const char *path);

/* True if the route takes a request body (POST). */
bool dms_api_route_has_body(size_t route);

/* True if content_type (a Content-Type header, may be NULL) is accepted by route. */
bool dms_api_route_accepts(size_t route, const char *content_type);

typedef struct dms_api_request {
    const char *method;
    const char *path;
    const char *param; /* {id} of the route, "" if none */
    const char *content_type;
    const char *body;
    size_t body_len;
    dms_api_catalog *catalog; /* the snapshot this request sees */
    const dms_api_limits *limits;
    const char *authorization; /* "Authorization" header or NULL */
    const char *api_key;       /* "X-Api-Key" header or NULL */
    struct dms_store *store;   /* this thread's connection; NULL without --db */
    const char *today;         /* "YYYY-MM-DD" */
    /* Query string argument by name (NULL if absent); NULL when there is none. */
    const char *(*arg)(const void *ctx, const char *name);
    const void *arg_ctx;
    /* Set by dms_api_dispatch for keyed routes: who is calling. A caller
     * that has authenticated these same headers already (the server does,
     * before reading the body) passes its principal in: dispatch then checks
     * its role without a second look-up of the key. */
    const struct dms_enrol_principal *principal;
    /* "Accept-Language" header or NULL: picks the dialect of CSV downloads. */
    const char *accept_language;
    /* Polled by long computations (NULL: never): true means give up, the
     * deadline passed, the client left or the service is stopping. */
    bool (*cancelled)(void *ctx);
    void *cancel_ctx;
} dms_api_request;

typedef struct dms_api_response {
    unsigned status;
    char *body; /* malloc'd; the caller frees */
    size_t body_len;
    const char *content_type; /* static */
    bool reload;              /* the route asks the server to reload the catalog */
} dms_api_response;

/*
 * Identifies the caller of req from "Authorization: Bearer KEY" or
 * "X-Api-Key: KEY" against req->store. DMS_EUNAUTH when there is no key, it
 * is unknown, or the service has no store.
 */
struct dms_enrol_principal;
int dms_api_authenticate(const dms_api_request *req, struct dms_enrol_principal *out,
                         dms_error *err);

/* Callbacks the server lends to routes that need more than the request. */
typedef struct dms_api_hooks {
    /* Writes the Prometheus text (malloc'd) into *text; NULL if unavailable. */
    int (*metrics)(void *ctx, char **text, size_t *len);
    /* Reloads the catalog; the new generation in *generation. */
    int (*reload)(void *ctx, unsigned long *generation, dms_error *err);
    void *ctx;
    /* Checks the store: DMS_OK, or an error whose message names the fault
     * (no file paths). NULL: the service has no store to check. */
    int (*store_health)(void *ctx, const dms_api_request *req, dms_error *err);
    bool catalog_required; /* /healthz: a catalog that cannot price is down */
} dms_api_hooks;

/*
 * Runs route on req and fills resp (status, JSON or text body). Never fails:
 * every problem becomes an error response. hooks may be NULL.
 */
void dms_api_dispatch(size_t route, const dms_api_request *req, const dms_api_hooks *hooks,
                      dms_api_response *resp);

/*
 * Keeps the language the client asked for (Accept-Language, may be NULL:
 * English) of every two-language member of a JSON body: "message" and
 * "message_ru" of errors, "warnings" and "warnings_ru" of reports. Bodies
 * without them are left untouched. dms_api_dispatch calls it.
 */
void dms_api_response_localize(dms_api_response *resp, const char *accept_language);
/* True if accept_language (may be NULL) puts Russian before English. */
bool dms_api_prefers_russian(const char *accept_language);

/* Fills resp with the error body of err at the given HTTP status. */
void dms_api_response_error(dms_api_response *resp, unsigned status, const dms_error *err,
                            const char *code_name);
/* Replies with status and json (stolen: the reply owns it; NULL gives 503). */
void dms_api_response_json(dms_api_response *resp, unsigned status, json_t *json);

/* --- metrics ---------------------------------------------------------------- */

typedef struct dms_api_metrics dms_api_metrics;

int dms_api_metrics_alloc(dms_api_metrics **out);
void dms_api_metrics_free(dms_api_metrics *metrics);
/* route may be DMS_API_ROUTE_NONE (unmatched). Thread-safe. */
void dms_api_metrics_begin(dms_api_metrics *metrics);
void dms_api_metrics_end(dms_api_metrics *metrics, int route, unsigned status, double seconds);
/* A connection refused by the accept gate with status (server.c). Thread-safe. */
void dms_api_metrics_gate(dms_api_metrics *metrics, unsigned status);
/* Gauges of load: connections waiting for their headers, body bytes held. */
void dms_api_metrics_load(dms_api_metrics *metrics, long waiting, long buffered);
/* Prometheus text exposition format 0.0.4, malloc'd into *text. */
int dms_api_metrics_render(dms_api_metrics *metrics, char **text, size_t *len);

/* --- the server -------------------------------------------------------------- */

typedef struct dms_api_server dms_api_server;

/*
 * Loads the catalog and starts listening. The daemon's threads run until
 * dms_api_server_stop. DMS_EIO if the address cannot be bound, errors of the
 * catalog load otherwise.
 */
int dms_api_server_start(const dms_api_config *config, dms_api_server **out, dms_error *err);

/* The bound port (the real one when config->port was 0). */
unsigned dms_api_server_port(const dms_api_server *server);

/* Reloads tariffs and models into a new snapshot and swaps it in; on failure
 * the current snapshot stays. Thread-safe. */
int dms_api_server_reload(dms_api_server *server, dms_error *err);

/*
 * Stops accepting connections, lets in-flight requests finish (waiting at
 * most grace_ms), closes everything and frees the server. NULL is a no-op.
 * Returns the number of requests still running when the grace ran out.
 */
unsigned dms_api_server_stop(dms_api_server *server, unsigned grace_ms);

#endif
