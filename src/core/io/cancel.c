/*
 * One cancel gate for every multi-threaded run of the core (cancel.h): the
 * quote and the budget run poll their caller's hook through it.
 */
#include "dms/cancel.h"

void dms_cancel_gate_init(dms_cancel_gate *gate, bool (*hook)(void *ctx), void *ctx)
{
    gate->hook = hook;
    gate->ctx = ctx;
    atomic_init(&gate->fired, false);
    pthread_mutex_init(&gate->lock, NULL);
}

void dms_cancel_gate_destroy(dms_cancel_gate *gate)
{
    pthread_mutex_destroy(&gate->lock);
}

bool dms_cancel_gate_fired(void *arg)
{
    dms_cancel_gate *gate = arg;
    if (gate == NULL || gate->hook == NULL)
        return false;
    if (atomic_load(&gate->fired))
        return true;
    pthread_mutex_lock(&gate->lock);
    if (!atomic_load(&gate->fired) && gate->hook(gate->ctx))
        atomic_store(&gate->fired, true);
    pthread_mutex_unlock(&gate->lock);
    return atomic_load(&gate->fired);
}

bool dms_cancel_gate_stop(dms_cancel_gate *gate, dms_error *err)
{
    if (!dms_cancel_gate_fired(gate))
        return false;
    dms_error_cancelled(err);
    return true;
}
