/*
 * Flag parsing for `dmsrate aggregate`. No getopt: getopt keeps global state
 * (optind), which a library that a fuzzer calls a million times, or a server
 * thread, cannot have.
 */
#include "dms/aggregate_args.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dms/parse.h"

const char dms_aggregate_usage[] =
    "usage: dmsrate aggregate --freq poisson:MEAN | negbin:MEAN,SIZE\n"
    "                         --sev lognormal:MEANLOG,SDLOG | gamma:SHAPE,SCALE\n"
    "                         [--deductible D] [--franchise] [--copay C]\n"
    "                         [--claim-limit U] [--annual-limit L]\n"
    "                         [--method auto|panjer|fft|mc] [--span H]\n"
    "                         [--discretization rounding|moment] [--sims N] [--seed S]\n"
    "\n"
    "Annual cost S of one insured person for one module; prints one JSON object.\n"
    "\n"
    "  --freq F            claim count: poisson:MEAN, or negbin:MEAN,SIZE (Var = MEAN + MEAN^2/SIZE)\n"
    "  --sev X             claim size in roubles: lognormal:MEANLOG,SDLOG or gamma:SHAPE,SCALE\n"
    "  --deductible D      deductible per claim in roubles (default 0)\n"
    "  --franchise         the deductible is a franchise (условная франшиза): a claim over D is\n"
    "                      paid in full; default is ordinary (безусловная франшиза): D is\n"
    "                      subtracted from every claim\n"
    "  --copay C           co-pay share in [0, 1) the member pays of each covered amount\n"
    "  --claim-limit U     per-claim limit on the loss in roubles (U > D; default none)\n"
    "  --annual-limit L    annual limit per person in roubles (default none)\n"
    "  --method M          auto (default: Panjer or FFT by cost), panjer, fft, or mc\n"
    "  --span H            grid span in roubles (default: chosen for accuracy)\n"
    "  --discretization R  rounding (default) or moment (local moment matching, keeps E[Y])\n"
    "  --sims N            Monte Carlo simulations (default 100000)\n"
    "  --seed S            Monte Carlo seed (default 1)\n"
    "  --help              this text\n"
    "\n"
    "Output keys: mean, variance (exact E[S], Var[S]); limited_mean (E[min(S, L)], the mean\n"
    "of the computed distribution without L); p_exceed (P(S > L), 0 without L); quantiles\n"
    "(\"0.5\", \"0.9\", \"0.99\": smallest grid point x with F(x) >= p); span; method.\n";

/* Flag values that JSON validation reports by pointer; map back to flags. */
static const struct {
    const char *path;
    const char *flag;
} path_flags[] = {
    {"/frequency", "--freq"},       {"/severity", "--sev"},
    {"/deductible", "--deductible"}, {"/copay", "--copay"},
    {"/claim_limit", "--claim-limit"}, {"/annual_limit", "--annual-limit"},
    {"/method", "--method"},        {"/span", "--span"},
    {"/sims", "--sims"},            {"/discretization", "--discretization"},
};

static int flag_error(dms_error *err, int code, const char *flag, const char *fmt, const char *value)
{
    char message[DMS_ERROR_MESSAGE_MAX - 64];
    snprintf(message, sizeof message, fmt, value);
    return dms_error_set(err, code, NULL, "%s: %s", flag, message);
}

static int number_flag(const char *flag, const char *value, double *out, dms_error *err)
{
    if (!dms_parse_double(value, out))
        return flag_error(err, DMS_EPARSE, flag, "'%s' is not a finite number", value);
    return DMS_OK;
}

/* Re-label a validation error with the flag that caused it. */
static int relabel(dms_error *err, int status)
{
    if (err == NULL || status == DMS_OK)
        return status;
    for (size_t i = 0; i < sizeof path_flags / sizeof path_flags[0]; i++) {
        size_t len = strlen(path_flags[i].path);
        if (strncmp(err->path, path_flags[i].path, len) == 0) {
            char message[DMS_ERROR_MESSAGE_MAX];
            snprintf(message, sizeof message, "%s: %.*s", path_flags[i].flag,
                     DMS_ERROR_MESSAGE_MAX - 32, err->message);
            memcpy(err->message, message, sizeof message);
            break;
        }
    }
    return status;
}

int dms_aggregate_args_parse(int argc, char *const argv[], dms_aggregate_spec *spec, bool *help,
                             dms_error *err)
{
    dms_error_clear(err);
    *spec = dms_aggregate_spec_default();
    *help = false;
    bool have_freq = false, have_sev = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            *help = true;
            return DMS_OK;
        }
        if (strcmp(arg, "--franchise") == 0) {
            spec->cov.franchise = true;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0)
            return flag_error(err, DMS_EINVAL, arg, "unexpected argument%s", "");
        char flag[64];
        const char *value;
        const char *eq = strchr(arg, '=');
        if (eq != NULL) {
            snprintf(flag, sizeof flag, "%.*s", (int)(eq - arg), arg);
            value = eq + 1;
        } else {
            snprintf(flag, sizeof flag, "%s", arg);
            if (i + 1 >= argc)
                return flag_error(err, DMS_EINVAL, flag, "needs a value%s", "");
            value = argv[++i];
        }
        int status = DMS_OK;
        unsigned long whole;
        if (strcmp(flag, "--freq") == 0) {
            status = dms_frequency_parse(value, &spec->freq, err);
            have_freq = true;
        } else if (strcmp(flag, "--sev") == 0) {
            status = dms_severity_parse(value, &spec->sev, err);
            have_sev = true;
        } else if (strcmp(flag, "--deductible") == 0) {
            status = number_flag(flag, value, &spec->cov.deductible, err);
        } else if (strcmp(flag, "--copay") == 0) {
            status = number_flag(flag, value, &spec->cov.copay, err);
        } else if (strcmp(flag, "--claim-limit") == 0) {
            status = number_flag(flag, value, &spec->cov.claim_limit, err);
        } else if (strcmp(flag, "--annual-limit") == 0) {
            status = number_flag(flag, value, &spec->annual_limit, err);
        } else if (strcmp(flag, "--span") == 0) {
            status = number_flag(flag, value, &spec->span, err);
            if (status == DMS_OK && !(spec->span > 0))
                status = flag_error(err, DMS_EINVAL, flag, "'%s' must be a positive number", value);
        } else if (strcmp(flag, "--method") == 0) {
            if (!dms_method_from_name(value, &spec->method))
                status = flag_error(err, DMS_EINVAL, flag,
                                    "'%s' is not one of auto, panjer, fft, mc", value);
        } else if (strcmp(flag, "--discretization") == 0) {
            if (strcmp(value, "rounding") == 0)
                spec->discretization = DMS_DISC_ROUNDING;
            else if (strcmp(value, "moment") == 0)
                spec->discretization = DMS_DISC_MOMENT;
            else
                status = flag_error(err, DMS_EINVAL, flag, "'%s' is not rounding or moment", value);
        } else if (strcmp(flag, "--sims") == 0) {
            if (!dms_parse_ulong(value, DMS_MC_MAX_SIMS, &whole) || whole == 0)
                status = flag_error(err, DMS_EINVAL, flag,
                                    "'%s' must be a whole number from 1 to 100000000", value);
            spec->sims = whole;
        } else if (strcmp(flag, "--seed") == 0) {
            if (!dms_parse_ulong(value, 0xffffffffUL, &whole))
                status = flag_error(err, DMS_EINVAL, flag,
                                    "'%s' must be a whole number from 0 to 4294967295", value);
            spec->seed = whole;
        } else {
            status = flag_error(err, DMS_EINVAL, flag, "unknown flag (see --help)%s", "");
        }
        if (status != DMS_OK)
            return relabel(err, status);
    }
    if (!have_freq)
        return dms_error_set(err, DMS_EINVAL, NULL, "--freq: required (e.g. --freq poisson:3)");
    if (!have_sev)
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "--sev: required (e.g. --sev lognormal:8,0.9)");
    return relabel(err, dms_aggregate_spec_validate(spec, err));
}
