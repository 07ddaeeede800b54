/*
 * The caller's cancel hook as the threads of one long run poll it (a
 * quote's scenarios, a budget run's table, solve and checking quotes): one
 * thread at a time asks the hook, since a hook need not be thread-safe (the
 * server's looks at the request's socket), and the first yes is latched, so
 * every other thread stops at its next poll without asking again. The core
 * stays pure: the hook is only called, never waited on.
 */
#ifndef DMS_CANCEL_H
#define DMS_CANCEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "dms/error.h"

typedef struct dms_cancel_gate {
    bool (*hook)(void *ctx); /* NULL: never cancelled */
    void *ctx;
    pthread_mutex_t lock;
    atomic_bool fired;
} dms_cancel_gate;

/* A gate over hook(ctx); hook may be NULL. dms_cancel_gate_destroy ends it. */
void dms_cancel_gate_init(dms_cancel_gate *gate, bool (*hook)(void *ctx), void *ctx);
void dms_cancel_gate_destroy(dms_cancel_gate *gate);

/* True once the hook has said yes. Takes the gate as void * so that it can
 * itself be the hook of an inner computation (an aggregate spec, a checking
 * quote); a NULL gate is never cancelled. */
bool dms_cancel_gate_fired(void *gate);

/* A poll point of a long loop: true, with the cancel error in err, once the
 * run is to stop. */
bool dms_cancel_gate_stop(dms_cancel_gate *gate, dms_error *err);

#endif
