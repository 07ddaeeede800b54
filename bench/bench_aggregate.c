/*
 * Benchmark of one person's annual cost distribution for realistic modules,
 * per method, in microseconds per call. The closed-form moments (no
 * distribution) are timed in the same run as the baseline, and every method
 * is also shown as a ratio to FFT, so figures compare across machines.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "benchutil.h"
#include "dms/aggregate.h"

static void run_compute(void *arg)
{
    dms_aggdist *dist = NULL;
    if (dms_aggregate_compute(arg, &dist, NULL) != DMS_OK) {
        fprintf(stderr, "bench: compute failed\n");
        exit(1);
    }
    volatile double q = dms_aggdist_quantile(dist, 0.99);
    (void)q;
    dms_aggdist_free(dist);
}

static void run_moments(void *arg)
{
    double mean, variance;
    dms_aggregate_moments(arg, &mean, &variance);
    volatile double sink = mean + variance;
    (void)sink;
}

int main(void)
{
    gsl_set_error_handler_off();
    const dms_severity outpatient = {.kind = DMS_SEV_LOGNORMAL, .meanlog = 7.9, .sdlog = 0.8};
    const dms_severity dental = {.kind = DMS_SEV_LOGNORMAL, .meanlog = 8.6, .sdlog = 0.7};
    const dms_severity hospital = {.kind = DMS_SEV_GAMMA, .shape = 2.0, .scale = 70000.0};
    const dms_severity small = {.kind = DMS_SEV_LOGNORMAL, .meanlog = 6.0, .sdlog = 0.5};
    struct {
        const char *name;
        dms_frequency freq;
        dms_severity sev;
        dms_coverage cov;
        double annual_limit;
    } cases[] = {
        {"outpatient poisson 3", {DMS_FREQ_POISSON, 3.0, 0}, outpatient, dms_coverage_full(),
         60000},
        {"dental limits+copay", {DMS_FREQ_POISSON, 1.5, 0}, dental,
         {.copay = 0.2, .claim_limit = 25000}, 30000},
        {"hospital negbin", {DMS_FREQ_NEGBIN, 0.06, 0.8}, hospital,
         {.deductible = 5000, .franchise = true, .copay = 0.1, .claim_limit = 500000}, 600000},
        {"poisson 25", {DMS_FREQ_POISSON, 25.0, 0}, outpatient,
         {.deductible = 500, .claim_limit = INFINITY}, 90000},
        {"poisson 900 small", {DMS_FREQ_POISSON, 900.0, 0}, small, dms_coverage_full(), INFINITY},
    };
    const enum dms_method methods[] = {DMS_METHOD_AUTO, DMS_METHOD_PANJER, DMS_METHOD_FFT,
                                       DMS_METHOD_MC};
    printf("aggregate: microseconds per call (ratio to FFT in brackets); mc uses 10000 sims\n");
    printf("%-22s %10s %10s %18s %18s %18s %8s\n", "case", "moments", "auto", "panjer", "fft",
           "mc", "points");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dms_aggregate_spec spec = dms_aggregate_spec_default();
        spec.freq = cases[i].freq;
        spec.sev = cases[i].sev;
        spec.cov = cases[i].cov;
        spec.annual_limit = cases[i].annual_limit;
        spec.sims = 10000;
        double us[4];
        for (size_t m = 0; m < 4; m++) {
            spec.method = methods[m];
            us[m] = bench_us_per_call(run_compute, &spec, 0.3, 2000);
        }
        double moments = bench_us_per_call(run_moments, &spec, 0.1, 1000000);
        double span;
        size_t points;
        spec.method = DMS_METHOD_AUTO;
        dms_aggregate_grid(&spec, &span, &points, NULL);
        printf("%-22s %10.2f %10.1f %10.1f [%5.1f] %10.1f [%5.1f] %10.1f [%5.1f] %8zu\n",
               cases[i].name, moments, us[0], us[1], us[1] / us[2], us[2], 1.0, us[3],
               us[3] / us[2], points);
    }
    return 0;
}
