/*
 * libFuzzer target for the command-line and number parsing of `dmsrate
 * aggregate`: the input is split on NUL and newline bytes into argv words.
 * Specs that parse are also validated and, when cheap, computed, so that a
 * parse that accepts something the core cannot price shows up here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "dms/aggregate_args.h"
#include "dms/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gsl_set_error_handler_off();
    if (size > 4096)
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *argv[64];
    int argc = 0;
    argv[argc++] = "aggregate";
    char *word = text;
    for (size_t i = 0; i <= size && argc < 63; i++) {
        if (i == size || text[i] == '\n' || text[i] == '\0') {
            text[i] = '\0';
            argv[argc++] = word;
            word = text + i + 1;
        }
    }
    argv[argc] = NULL;
    double number;
    unsigned long whole;
    for (int i = 1; i < argc; i++) {
        dms_parse_double(argv[i], &number);
        dms_parse_ulong(argv[i], 1000000, &whole);
    }
    dms_aggregate_spec spec;
    bool help;
    dms_error err;
    dms_error_clear(&err);
    if (dms_aggregate_args_parse(argc, argv, &spec, &help, &err) == DMS_OK && !help) {
        /* Keep each run fast: price only small problems. */
        double span;
        size_t points;
        if (spec.method != DMS_METHOD_MC && spec.freq.mean < 50 &&
            dms_aggregate_grid(&spec, &span, &points, &err) == DMS_OK && points < 20000) {
            dms_aggdist *dist = NULL;
            if (dms_aggregate_compute(&spec, &dist, &err) == DMS_OK) {
                double q = dms_aggdist_quantile(dist, 0.99);
                double lm = dms_aggdist_limited_mean(dist, spec.annual_limit);
                if (!(q >= 0) || !(lm >= 0))
                    abort(); /* a NaN or negative result is a bug */
            }
            dms_aggdist_free(dist);
        }
    } else if (!help && err.message[0] == '\0') {
        abort(); /* every refusal must say why */
    }
    free(text);
    return 0;
}
