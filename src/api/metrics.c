/*
 * Request metrics of the service in the Prometheus text format: requests by
 * route and status, a latency histogram per route and the number of
 * requests in flight. Counters sit behind one mutex (a request takes it once
 * at its end, far below the cost of the request itself); the in-flight
 * gauge is an atomic.
 */
#include "dms/api.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 32

static const unsigned statuses[] = {200, 400, 401, 403, 404, 405, 408, 409, 411,
                                    413, 415, 422, 429, 431, 499, 500, 503, 505};
#define NSTATUS (sizeof statuses / sizeof statuses[0])

static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                 0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

struct route_stats {
    uint64_t by_status[NSTATUS + 1]; /* last slot: any other status */
    uint64_t le[NBUCKETS];           /* non-cumulative; summed when rendered */
    uint64_t count;
    double sum;
};

struct dms_api_metrics {
    pthread_mutex_t lock;
    atomic_long in_flight;
    struct route_stats routes[MAX_ROUTES + 1]; /* last: unmatched paths */
    /* the accept gate (server.c): refusals by status, and two gauges */
    atomic_ulong gate[NSTATUS + 1];
    atomic_long waiting, buffered;
};

int dms_api_metrics_alloc(dms_api_metrics **out)
{
    *out = NULL;
    dms_api_metrics *m = calloc(1, sizeof *m);
    if (m == NULL)
        return DMS_ENOMEM;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return DMS_EINTERNAL;
    }
    atomic_init(&m->in_flight, 0);
    *out = m;
    return DMS_OK;
}

void dms_api_metrics_free(dms_api_metrics *metrics)
{
    if (metrics == NULL)
        return;
    pthread_mutex_destroy(&metrics->lock);
    free(metrics);
}

void dms_api_metrics_begin(dms_api_metrics *metrics)
{
    atomic_fetch_add(&metrics->in_flight, 1);
}

static size_t route_slot(int route)
{
    size_t n = dms_api_route_count();
    if (route < 0 || (size_t)route >= n || (size_t)route >= MAX_ROUTES)
        return MAX_ROUTES;
    return (size_t)route;
}

void dms_api_metrics_end(dms_api_metrics *metrics, int route, unsigned status, double seconds)
{
    atomic_fetch_sub(&metrics->in_flight, 1);
    size_t s = 0;
    while (s < NSTATUS && statuses[s] != status)
        s++;
    size_t b = 0;
    while (b < NBUCKETS && seconds > buckets[b])
        b++;
    pthread_mutex_lock(&metrics->lock);
    struct route_stats *r = &metrics->routes[route_slot(route)];
    r->by_status[s]++;
    if (b < NBUCKETS)
        r->le[b]++;
    r->count++;
    r->sum += seconds;
    pthread_mutex_unlock(&metrics->lock);
}

void dms_api_metrics_gate(dms_api_metrics *metrics, unsigned status)
{
    size_t s = 0;
    while (s < NSTATUS && statuses[s] != status)
        s++;
    atomic_fetch_add(&metrics->gate[s], 1);
}

void dms_api_metrics_load(dms_api_metrics *metrics, long waiting, long buffered)
{
    atomic_store(&metrics->waiting, waiting);
    atomic_store(&metrics->buffered, buffered);
}

/* A growing text buffer; on allocation failure it stays failed. */
struct text {
    char *buf;
    size_t len, cap;
    bool failed;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap + (size_t)n + 1) * 2;
        char *grown = realloc(t->buf, cap);
        if (grown == NULL) {
            t->failed = true;
            return;
        }
        t->buf = grown;
        t->cap = cap;
    }
}

int dms_api_metrics_render(dms_api_metrics *metrics, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    struct route_stats copy[MAX_ROUTES + 1];
    pthread_mutex_lock(&metrics->lock);
    memcpy(copy, metrics->routes, sizeof copy);
    pthread_mutex_unlock(&metrics->lock);
    size_t nroutes = dms_api_route_count();
    if (nroutes > MAX_ROUTES)
        nroutes = MAX_ROUTES;

    struct text t = {malloc(8192), 0, 8192, false};
    t.failed = t.buf == NULL;
    put(&t, "# HELP dmsrate_http_requests_total HTTP requests by route and status.\n"
            "# TYPE dmsrate_http_requests_total counter\n");
    for (size_t i = 0; i <= MAX_ROUTES; i++) {
        if (i >= nroutes && i != MAX_ROUTES)
            continue;
        const char *route = i == MAX_ROUTES ? "unmatched" : dms_api_route_pattern(i);
        for (size_t s = 0; s <= NSTATUS; s++) {
            if (copy[i].by_status[s] == 0)
                continue;
            if (s < NSTATUS)
                put(&t, "dmsrate_http_requests_total{route=\"%s\",status=\"%u\"} %llu\n", route,
                    statuses[s], (unsigned long long)copy[i].by_status[s]);
            else
                put(&t, "dmsrate_http_requests_total{route=\"%s\",status=\"other\"} %llu\n", route,
                    (unsigned long long)copy[i].by_status[s]);
        }
    }
    put(&t, "# HELP dmsrate_http_request_duration_seconds Time from request line to response.\n"
            "# TYPE dmsrate_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= MAX_ROUTES; i++) {
        if ((i >= nroutes && i != MAX_ROUTES) || copy[i].count == 0)
            continue;
        const char *route = i == MAX_ROUTES ? "unmatched" : dms_api_route_pattern(i);
        uint64_t cumulative = 0;
        for (size_t b = 0; b < NBUCKETS; b++) {
            cumulative += copy[i].le[b];
            put(&t, "dmsrate_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                route, buckets[b], (unsigned long long)cumulative);
        }
        put(&t, "dmsrate_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
            route, (unsigned long long)copy[i].count);
        put(&t, "dmsrate_http_request_duration_seconds_sum{route=\"%s\"} %.9g\n", route,
            copy[i].sum);
        put(&t, "dmsrate_http_request_duration_seconds_count{route=\"%s\"} %llu\n", route,
            (unsigned long long)copy[i].count);
    }
    put(&t,
        "# HELP dmsrate_http_requests_in_flight Requests being received or processed.\n"
        "# TYPE dmsrate_http_requests_in_flight gauge\n"
        "dmsrate_http_requests_in_flight %ld\n",
        atomic_load(&metrics->in_flight));
    put(&t, "# HELP dmsrate_gate_refusals_total Connections refused before their request was "
            "read (framing, header deadline, overload).\n"
            "# TYPE dmsrate_gate_refusals_total counter\n");
    for (size_t s = 0; s <= NSTATUS; s++) {
        unsigned long n = atomic_load(&metrics->gate[s]);
        if (n == 0)
            continue;
        if (s < NSTATUS)
            put(&t, "dmsrate_gate_refusals_total{status=\"%u\"} %lu\n", statuses[s], n);
        else
            put(&t, "dmsrate_gate_refusals_total{status=\"other\"} %lu\n", n);
    }
    put(&t,
        "# HELP dmsrate_connections_waiting Connections whose headers have not arrived yet.\n"
        "# TYPE dmsrate_connections_waiting gauge\n"
        "dmsrate_connections_waiting %ld\n"
        "# HELP dmsrate_body_bytes_buffered Bytes of request bodies reserved in memory.\n"
        "# TYPE dmsrate_body_bytes_buffered gauge\n"
        "dmsrate_body_bytes_buffered %ld\n",
        atomic_load(&metrics->waiting), atomic_load(&metrics->buffered));
    if (t.failed) {
        free(t.buf);
        return DMS_ENOMEM;
    }
    *text = t.buf;
    *len = t.len;
    return DMS_OK;
}
