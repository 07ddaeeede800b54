/*
 * Benchmark of the picker's recommendation: the exact branch and bound for
 * random menus of 20 and 30 options (seeded; prices and values like real
 * offers, values correlated with prices, which is the hard case for the
 * bound; some requirements and tier exclusions; best set plus 3 runner-ups),
 * with the exhaustive search over all 2^20 subsets of the same 20-option
 * menus timed in the same run as the baseline. Every branch-and-bound answer
 * at 20 options is checked against the exhaustive one. As in the
 * recommendation, each option is worth priority / 3 of its expected claims
 * and the employee's own part of the price (the first 15% of the menu's
 * total price is paid by credits, 70% of the rest by the employee) is
 * charged against that worth.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "benchutil.h"
#include "dms/picker.h"

#define MENUS 8
#define NBEST 4

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

typedef struct menu {
    size_t n;
    int64_t capacity;
    dms_picker_charge charge;
    dms_picker_item items[DMS_PICKER_MAX_ITEMS];
    dms_picker_set best[NBEST];
    size_t nfound;
    unsigned long long nodes;
} menu;

static void make_menu(uint64_t *seed, size_t n, menu *m)
{
    int64_t total = 0;
    m->n = n;
    for (size_t i = 0; i < n; i++) {
        dms_picker_item *it = &m->items[i];
        *it = (dms_picker_item){0};
        it->cost = 100000 + (int64_t)(rng_next(seed) % 2900000); /* 1,000..30,000 roubles */
        int priority = 1 + (int)(rng_next(seed) % 5);
        double loss_ratio = 0.45 + 0.2 * (double)(rng_next(seed) % 1000) / 1000.0;
        it->value = priority * (int64_t)((double)it->cost * loss_ratio) / 3;
        total += it->cost;
    }
    for (size_t i = 0; i < n; i++) {
        if (rng_next(seed) % 7 == 0) {
            size_t j = rng_next(seed) % n;
            if (j != i)
            m->items[i].requires |= UINT64_C(1) << j;
        }
        if (i % 5 == 1) /* network tiers: one of a pair */
            m->items[i].excludes |= UINT64_C(1) << (i - 1);
    }
    m->capacity = total * 35 / 100;
    m->charge = (dms_picker_charge){.free = total * 15 / 100, .rate = 0.7};
}

static void run_solve(void *arg)
{
    menu *m = arg;
    if (dms_picker_solve_net(m->items, m->n, m->capacity, &m->charge, NBEST, 0, m->best, &m->nfound,
                             &m->nodes, NULL) != DMS_OK) {
        fprintf(stderr, "bench: solve failed\n");
        exit(1);
    }
}

static void run_exhaustive(void *arg)
{
    menu *m = arg;
    if (dms_picker_solve_exhaustive_net(m->items, m->n, m->capacity, &m->charge, NBEST, m->best,
                                        &m->nfound, NULL) != DMS_OK) {
        fprintf(stderr, "bench: exhaustive failed\n");
        exit(1);
    }
}

int main(void)
{
    static menu menus[MENUS];
    uint64_t seed = 20260101;
    printf("picker: recommendation (best + %d runner-ups), microseconds per call, %d seeded menus "
           "per size\n",
           NBEST - 1, MENUS);
    printf("%-8s %12s %12s %12s %14s %12s\n", "options", "mean_us", "max_us", "mean_nodes",
           "exhaustive_us", "ratio");
    static const size_t sizes[] = {20, 30};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        double sum = 0, max = 0, nodes = 0, exhaustive = 0;
        for (int k = 0; k < MENUS; k++) {
            menu *m = &menus[k];
            make_menu(&seed, n, m);
            double us = bench_us_per_call(run_solve, m, 0.05, 100000);
            sum += us;
            max = us > max ? us : max;
            nodes += (double)m->nodes;
            if (n <= 20) {
                menu ref = *m;
                exhaustive += bench_us_per_call(run_exhaustive, &ref, 0.2, 50);
                for (size_t b = 0; b < NBEST; b++)
                    if (ref.nfound != m->nfound || ref.best[b].mask != m->best[b].mask ||
                        ref.best[b].net != m->best[b].net) {
                        fprintf(stderr, "bench: menu %d differs from exhaustive search\n", k);
                        return 1;
                    }
            }
        }
        if (n <= 20)
            printf("%-8zu %12.1f %12.1f %12.0f %14.1f %11.0fx\n", n, sum / MENUS, max,
                   nodes / MENUS, exhaustive / MENUS, exhaustive / sum);
        else
            printf("%-8zu %12.1f %12.1f %12.0f %14s %12s\n", n, sum / MENUS, max, nodes / MENUS,
                   "(2^30: skipped)", "");
    }
    return 0;
}
