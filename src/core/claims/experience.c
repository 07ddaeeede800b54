/*
 * Experience rating (see experience.h): one pass over the register folds
 * counted lines into claims (a hash table keyed by the interned claim id),
 * one pass over the membership gives member-years and the exposure-weighted
 * manual rate, then each module is trended and blended by credibility.
 */
#include "dms/experience.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dms/credibility.h"

dms_experience_options dms_experience_options_default(void)
{
    dms_experience_options o;
    memset(&o, 0, sizeof o);
    o.method = DMS_EXPERIENCE_LIMITED_FLUCTUATION;
    o.lf_p = DMS_CRED_DEFAULT_P;
    o.lf_k = DMS_CRED_DEFAULT_K;
    o.bs_k = 0.0;
    o.network_frequency = o.network_cost = o.region = 1.0;
    return o;
}

void dms_experience_free(dms_experience *exp)
{
    if (exp == NULL)
        return;
    free(exp->modules);
    free(exp);
}

/* One claim: the module of its first counted line and its total cost. */
struct claim_acc {
    const char *id;
    long module; /* index into exp->modules */
    double billed;
};

struct claim_table {
    struct claim_acc *slots;
    size_t cap, used;
};

static size_t ptr_hash(const void *p, size_t cap)
{
    return (size_t)(((uintptr_t)p >> 3) * 11400714819323198485ull) & (cap - 1);
}

static struct claim_acc *claim_get(struct claim_table *t, const char *id)
{
    if (t->used * 2 >= t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        struct claim_acc *s = calloc(cap, sizeof *s);
        if (s == NULL)
            return NULL;
        for (size_t i = 0; i < t->cap; i++) {
            if (t->slots[i].id == NULL)
                continue;
            size_t j = ptr_hash(t->slots[i].id, cap);
            while (s[j].id != NULL)
                j = (j + 1) & (cap - 1);
            s[j] = t->slots[i];
        }
        free(t->slots);
        t->slots = s;
        t->cap = cap;
    }
    size_t j = ptr_hash(id, t->cap);
    while (t->slots[j].id != NULL && t->slots[j].id != id)
        j = (j + 1) & (t->cap - 1);
    if (t->slots[j].id == NULL) {
        t->slots[j].id = id;
        t->slots[j].module = -1;
        t->used++;
    }
    return &t->slots[j];
}

static int age_at(long birth_day, long day)
{
    int by, bm, bd, y, m, d;
    dms_claims_civil(birth_day, &by, &bm, &bd);
    dms_claims_civil(day, &y, &m, &d);
    int age = y - by;
    if (m < bm || (m == bm && d < bd))
        age--;
    return age;
}

static double severity_mean(const dms_severity *s)
{
    if (s->kind == DMS_SEV_LOGNORMAL)
        return exp(s->meanlog + 0.5 * s->sdlog * s->sdlog);
    return s->shape * s->scale;
}

static int check_options(const dms_experience_options *o, dms_error *err)
{
    if (o->exp_to < o->exp_from || o->exp_from == 0)
        return dms_error_set(err, DMS_EINVAL, "/experience_period",
                             "the experience period is not set or ends before it starts");
    if (o->renew_to < o->renew_from || o->renew_from == 0)
        return dms_error_set(err, DMS_EINVAL, "/renewal_period",
                             "the renewal period is not set or ends before it starts");
    if (!(o->network_frequency > 0 && o->network_cost > 0 && o->region > 0))
        return dms_error_set(err, DMS_EINVAL, "/region", "manual-rate factors must be positive");
    if (o->method == DMS_EXPERIENCE_LIMITED_FLUCTUATION) {
        double n;
        if (dms_cred_lf_standard(o->lf_p, o->lf_k, 0.0, &n, err) == DMS_OK)
            return DMS_OK;
        /* The credibility module names its own arguments (/p, /k); here
         * they are the options lf_p and lf_k. */
        if (err != NULL && (strcmp(err->path, "/p") == 0 || strcmp(err->path, "/k") == 0)) {
            char path[16];
            snprintf(path, sizeof path, "/lf_%s", err->path + 1);
            snprintf(err->path, sizeof err->path, "%s", path);
        }
        return DMS_EINVAL;
    }
    if (o->method != DMS_EXPERIENCE_BUHLMANN_STRAUB)
        return dms_error_set(err, DMS_EINVAL, "/method", "unknown credibility method %d",
                             (int)o->method);
    if (!(o->bs_k > 0.0))
        return dms_error_set(err, DMS_EINVAL, "/bs_k",
                             "Bühlmann–Straub needs k = s2/a > 0 (member-years), got %g", o->bs_k);
    return DMS_OK;
}

/* Manual frequency and severity of one member at renewal prices. */
static int manual_rate(const dms_model *model, const dms_model_module *mod, const dms_member *x,
                       long day, const dms_model_adjust *adj, double *freq, double *sev,
                       dms_error *err)
{
    size_t band;
    int age = age_at(x->birth_day, day);
    if (age < 0)
        age = 0;
    int status = dms_model_age_band(model, age, &band, err);
    if (status != DMS_OK)
        return status;
    double f = 0, s = 0;
    int nsex = x->sex < 0 ? 2 : 1;
    for (int k = 0; k < nsex; k++) {
        int sex = x->sex < 0 ? k : x->sex;
        dms_model_rated r;
        status = dms_model_rate(model, mod, band, sex, adj, &r, err);
        if (status != DMS_OK)
            return status;
        f += r.frequency.mean / nsex;
        s += r.frequency.mean * severity_mean(&r.severity) / nsex; /* weighted by frequency */
    }
    *freq = f;
    *sev = s; /* frequency x severity; divided by the total frequency later */
    return DMS_OK;
}

int dms_experience_compute(const dms_model *model, const dms_register *reg,
                           const dms_membership *membership, const dms_experience_options *options,
                           dms_experience **out, dms_error *err)
{
    dms_error_clear(err);
    dms_experience *e = NULL;
    struct claim_table claims = {0};
    double *sum_sq = NULL;
    int status;
    if (out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_experience_compute: NULL output");
    *out = NULL;
    if (model == NULL || reg == NULL || membership == NULL || options == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_experience_compute: NULL argument");
    if ((status = check_options(options, err)) != DMS_OK)
        return status;
    const dms_experience_options *o = options;
    e = calloc(1, sizeof *e);
    if (e == NULL || (e->modules = calloc(model->nmodules + 1, sizeof *e->modules)) == NULL ||
        (sum_sq = calloc(model->nmodules + 1, sizeof *sum_sq)) == NULL) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
        goto out_free;
    }
    e->options = *o;
    for (size_t i = 0; i < model->nmodules; i++) {
        if (model->modules[i].type != DMS_MODULE_CLAIMS)
            continue;
        dms_experience_module *m = &e->modules[e->nmodules++];
        memcpy(m->code, model->modules[i].code, sizeof m->code);
        m->model = &model->modules[i];
    }

    /* claims */
    for (size_t i = 0; i < reg->count; i++) {
        const dms_claim_line *l = &reg->lines[i];
        if (!dms_claims_counts(l))
            continue;
        if (l->service_day < o->exp_from || l->service_day > o->exp_to) {
            e->outside_lines++;
            continue;
        }
        long mi = -1;
        for (size_t k = 0; k < e->nmodules; k++)
            if (strcmp(e->modules[k].code, l->module) == 0) {
                mi = (long)k;
                break;
            }
        if (mi < 0) {
            e->unknown_module_lines++;
            continue;
        }
        if (dms_membership_match(membership, l) < 0)
            e->unmatched_lines++;
        struct claim_acc *c = claim_get(&claims, l->claim_id);
        if (c == NULL) {
            status = dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
            goto out_free;
        }
        if (c->module < 0) {
            c->module = mi;
            e->modules[mi].claims++;
        }
        e->modules[c->module].lines++;
        e->modules[c->module].billed += (double)l->billed / 100.0;
        e->modules[c->module].paid += (double)l->paid / 100.0;
        c->billed += (double)l->billed / 100.0;
    }
    for (size_t j = 0; j < claims.cap; j++)
        if (claims.slots[j].id != NULL)
            sum_sq[claims.slots[j].module] += claims.slots[j].billed * claims.slots[j].billed;

    /* exposure and manual rates */
    double manual_f[DMS_MODEL_MAX_MODULES] = {0}, manual_fs[DMS_MODEL_MAX_MODULES] = {0};
    dms_model_adjust adj = dms_model_adjust_neutral();
    adj.network_frequency = o->network_frequency;
    adj.network_cost = o->network_cost;
    adj.region = o->region;
    adj.trend_years = (0.5 * (double)(o->renew_from + o->renew_to) -
                       0.5 * (double)(model->period_from + model->period_to)) /
                      365.25;
    long mid = o->exp_from + (o->exp_to - o->exp_from) / 2;
    for (size_t i = 0; i < membership->count; i++) {
        const dms_member *x = &membership->members[i];
        double mm = dms_exposure_member_months(x, o->exp_from, o->exp_to);
        if (mm <= 0.0)
            continue;
        e->member_years += mm / 12.0;
        for (size_t k = 0; k < e->nmodules; k++) {
            double f, fs;
            status = manual_rate(model, e->modules[k].model, x, mid, &adj, &f, &fs, err);
            if (status != DMS_OK)
                goto out_free;
            manual_f[k] += f * mm / 12.0;
            manual_fs[k] += fs * mm / 12.0;
        }
    }
    if (!(e->member_years > 0.0)) {
        status = dms_error_set(err, DMS_EINVAL, "/experience_period",
                               "nobody in the membership history was insured during the "
                               "experience period");
        goto out_free;
    }

    double n_full = 0.0;
    if (o->method == DMS_EXPERIENCE_LIMITED_FLUCTUATION)
        dms_cred_lf_standard(o->lf_p, o->lf_k, 0.0, &n_full, NULL);
    double trend_years =
        (0.5 * (double)(o->renew_from + o->renew_to) - 0.5 * (double)(o->exp_from + o->exp_to)) /
        365.25;
    for (size_t k = 0; k < e->nmodules; k++) {
        dms_experience_module *m = &e->modules[k];
        m->member_years = e->member_years;
        m->obs_frequency = (double)m->claims / m->member_years;
        m->obs_severity = m->claims > 0 ? m->billed / (double)m->claims : 0.0;
        if (m->claims > 1) {
            double mean = m->obs_severity;
            double var = (sum_sq[k] - (double)m->claims * mean * mean) / (double)(m->claims - 1);
            m->cv_severity = var > 0 && mean > 0 ? sqrt(var) / mean : 0.0;
        }
        m->trend_years = trend_years;
        m->trended_frequency = m->obs_frequency * pow(1.0 + m->model->trend_frequency, trend_years);
        m->trended_severity = m->obs_severity * pow(1.0 + m->model->trend_severity, trend_years);
        m->manual_frequency = manual_f[k] / e->member_years;
        m->manual_severity = manual_f[k] > 0 ? manual_fs[k] / manual_f[k] : 0.0;
        if (o->method == DMS_EXPERIENCE_LIMITED_FLUCTUATION) {
            m->n_full = n_full;
            dms_cred_lf_factor((double)m->claims, n_full, &m->z_frequency, NULL);
            if (m->claims == 0)
                m->z_severity = 0.0;
            else if (m->cv_severity <= 0.0)
                m->z_severity = 1.0;
            else
                dms_cred_lf_factor((double)m->claims, n_full * m->cv_severity * m->cv_severity,
                                   &m->z_severity, NULL);
        } else {
            dms_cred_bs_factor(m->member_years, o->bs_k, &m->z_frequency, NULL);
            m->z_severity = m->claims > 0 ? m->z_frequency : 0.0;
        }
        m->blended_frequency =
            m->z_frequency * m->trended_frequency + (1 - m->z_frequency) * m->manual_frequency;
        m->blended_severity =
            m->z_severity * m->trended_severity + (1 - m->z_severity) * m->manual_severity;
        m->frequency_factor =
            m->manual_frequency > 0 ? m->blended_frequency / m->manual_frequency : 1.0;
        m->severity_factor =
            m->manual_severity > 0 ? m->blended_severity / m->manual_severity : 1.0;
        m->manual_pure = m->manual_frequency * m->manual_severity;
        m->experience_pure = m->trended_frequency * m->trended_severity;
        m->blended_pure = m->blended_frequency * m->blended_severity;
    }
    free(claims.slots);
    free(sum_sq);
    *out = e;
    return DMS_OK;
out_free:
    free(claims.slots);
    free(sum_sq);
    dms_experience_free(e);
    return status;
}

int dms_experience_adjust_model(const dms_model *model, const dms_experience *exp, dms_model **out,
                                dms_error *err)
{
    dms_error_clear(err);
    if (out == NULL || model == NULL || exp == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_experience_adjust_model: NULL argument");
    *out = NULL;
    dms_model *m = malloc(sizeof *m);
    if (m == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    *m = *model;
    m->modules = malloc((model->nmodules ? model->nmodules : 1) * sizeof *m->modules);
    if (m->modules == NULL) {
        free(m);
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    }
    memcpy(m->modules, model->modules, model->nmodules * sizeof *m->modules);
    for (size_t k = 0; k < exp->nmodules; k++) {
        const dms_experience_module *x = &exp->modules[k];
        for (size_t i = 0; i < m->nmodules; i++) {
            dms_model_module *mod = &m->modules[i];
            if (strcmp(mod->code, x->code) != 0 || mod->type != DMS_MODULE_CLAIMS)
                continue;
            if (!(x->frequency_factor > 0 && x->severity_factor > 0)) {
                dms_model_free(m);
                return dms_error_set(err, DMS_EINVAL, NULL,
                                     "module %s: the experience leaves no claims to price "
                                     "(factor %g x %g)",
                                     x->code, x->frequency_factor, x->severity_factor);
            }
            mod->frequency.mean *= x->frequency_factor;
            if (mod->severity.kind == DMS_SEV_LOGNORMAL)
                mod->severity.meanlog += log(x->severity_factor);
            else
                mod->severity.scale *= x->severity_factor;
        }
    }
    *out = m;
    return DMS_OK;
}

static json_t *day_json(long day)
{
    int y, m, d;
    char buf[16];
    dms_claims_civil(day, &y, &m, &d);
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    return json_string(buf);
}

json_t *dms_experience_json(const dms_experience *exp, dms_error *err)
{
    dms_error_clear(err);
    if (exp == NULL) {
        dms_error_set(err, DMS_EINVAL, NULL, "dms_experience_json: NULL experience");
        return NULL;
    }
    const dms_experience_options *o = &exp->options;
    json_t *root = json_object(), *mods = json_array(), *cred = json_object();
    if (root == NULL || mods == NULL || cred == NULL)
        goto out_nomem;
    json_object_set_new(
        root, "experience_period",
        json_pack("{s:o,s:o}", "from", day_json(o->exp_from), "to", day_json(o->exp_to)));
    json_object_set_new(
        root, "renewal_period",
        json_pack("{s:o,s:o}", "from", day_json(o->renew_from), "to", day_json(o->renew_to)));
    if (o->method == DMS_EXPERIENCE_LIMITED_FLUCTUATION) {
        double n_full = 0;
        dms_cred_lf_standard(o->lf_p, o->lf_k, 0.0, &n_full, NULL);
        json_object_set_new(cred, "method", json_string("limited_fluctuation"));
        json_object_set_new(cred, "p", json_real(o->lf_p));
        json_object_set_new(cred, "k", json_real(o->lf_k));
        json_object_set_new(cred, "full_credibility_claims", json_real(n_full));
        json_object_set_new(cred, "rule",
                            json_string("Z = min(1, sqrt(n / n_F)); severity "
                                        "standard n_F * CV^2"));
    } else {
        json_object_set_new(cred, "method", json_string("buhlmann_straub"));
        json_object_set_new(cred, "k_member_years", json_real(o->bs_k));
        json_object_set_new(cred, "rule", json_string("Z = W / (W + k), W in member-years"));
    }
    json_object_set_new(root, "credibility", cred);
    cred = NULL;
    json_object_set_new(root, "member_years", json_real(exp->member_years));
    json_object_set_new(root, "unmatched_lines", json_integer((json_int_t)exp->unmatched_lines));
    json_object_set_new(root, "unknown_module_lines",
                        json_integer((json_int_t)exp->unknown_module_lines));
    json_object_set_new(root, "outside_period_lines", json_integer((json_int_t)exp->outside_lines));
    for (size_t k = 0; k < exp->nmodules; k++) {
        const dms_experience_module *m = &exp->modules[k];
        json_t *j = json_pack(
            "{s:s,s:s,s:s,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,"
            "s:f,s:f,s:f,s:f}",
            "module", m->code, "name_ru", m->model->name_ru, "name_en", m->model->name_en, "claims",
            (json_int_t)m->claims, "lines", (json_int_t)m->lines, "billed", m->billed, "paid",
            m->paid, "member_years", m->member_years, "observed_frequency", m->obs_frequency,
            "observed_severity", m->obs_severity, "cv_severity", m->cv_severity, "trend_years",
            m->trend_years, "trended_frequency", m->trended_frequency, "trended_severity",
            m->trended_severity, "manual_frequency", m->manual_frequency, "manual_severity",
            m->manual_severity, "z_frequency", m->z_frequency, "z_severity", m->z_severity,
            "blended_frequency", m->blended_frequency, "blended_severity", m->blended_severity,
            "frequency_factor", m->frequency_factor, "severity_factor", m->severity_factor,
            "manual_pure", m->manual_pure, "blended_pure", m->blended_pure);
        if (j == NULL || json_array_append_new(mods, j) != 0)
            goto out_nomem;
        json_object_set_new(j, "experience_pure", json_real(m->experience_pure));
    }
    json_object_set_new(root, "modules", mods);
    return root;
out_nomem:
    json_decref(root);
    json_decref(mods);
    json_decref(cred);
    dms_error_set(err, DMS_ENOMEM, NULL, "out of memory encoding the experience");
    return NULL;
}
