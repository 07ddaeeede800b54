/*
 * Report computations with small-cell suppression (see reports.h). Each
 * report first selects the counted lines of the period (and of the
 * manager's department), attaches every line to its member and person, then
 * groups by a text key: group keys and person keys are interned, so
 * "distinct people per group" is a sort of (group, person) pointer pairs.
 * Suppression is applied when a row is written, from the people count that
 * row rests on.
 */
#include "dms/reports.h"

#include "dms/suppress.h"
#include "dms/tariff.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "claims_internal.h"
#include "../io/csv_internal.h"

dms_reports_options dms_reports_options_default(void)
{
    dms_reports_options o;
    memset(&o, 0, sizeof o);
    o.min_cell = DMS_REPORTS_MIN_CELL;
    o.limit_share = 0.8;
    return o;
}

/* ---- tables ------------------------------------------------------------ */

void dms_table_free(dms_table *t)
{
    if (t == NULL)
        return;
    free(t->cells);
    free(t);
}

const dms_cell *dms_table_cell(const dms_table *t, size_t r, size_t c)
{
    if (t == NULL || r >= t->nrows || c >= t->ncols)
        return NULL;
    return &t->cells[r * t->ncols + c];
}

static dms_table *table_new(const char *name, const char *const *cols, const char *const *ru,
                            size_t ncols, int min_cell)
{
    dms_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ncols = ncols;
    for (size_t i = 0; i < ncols; i++) {
        t->columns[i] = cols[i];
        t->columns_ru[i] = ru[i];
    }
    t->min_cell = min_cell;
    return t;
}

/* Appends an empty row; NULL when memory ran out. */
static dms_cell *table_row(dms_table *t, size_t *cap)
{
    if (t->nrows == *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        dms_cell *c = realloc(t->cells, ncap * t->ncols * sizeof *c);
        if (c == NULL)
            return NULL;
        t->cells = c;
        *cap = ncap;
    }
    dms_cell *row = &t->cells[t->nrows++ * t->ncols];
    memset(row, 0, t->ncols * sizeof *row);
    return row;
}

static void cell_text(dms_cell *c, const char *s)
{
    c->kind = DMS_CELL_TEXT;
    snprintf(c->text, sizeof c->text, "%s", s);
}

static void cell_num(dms_cell *c, enum dms_cell_kind kind, double v)
{
    c->kind = kind;
    c->value = v;
}

/* Hides c; its value stays until table_finish, for the complementary choice. */
static void cell_suppress(dms_table *t, dms_cell *c)
{
    if (c->kind == DMS_CELL_SUPPRESSED || c->kind == DMS_CELL_TEXT)
        return;
    c->kind = DMS_CELL_SUPPRESSED;
    t->suppressed++;
}

/*
 * Complementary suppression over the relations in s (cell indices r * ncols
 * + c; s may be NULL for a table without any), then the values of hidden
 * cells are wiped so no encoder can leak them.
 */
static int table_finish(dms_table *t, const dms_suppress *s, dms_error *err)
{
    size_t n = t->nrows * t->ncols;
    if (s != NULL && n > 0) {
        double *values = malloc(n * sizeof *values);
        bool *hidden = malloc(n * sizeof *hidden);
        if (values == NULL || hidden == NULL) {
            free(values);
            free(hidden);
            return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory for suppression");
        }
        for (size_t i = 0; i < n; i++) {
            values[i] = t->cells[i].value;
            hidden[i] = t->cells[i].kind == DMS_CELL_SUPPRESSED;
        }
        dms_suppress_complete(s, values, hidden);
        for (size_t i = 0; i < n; i++)
            if (hidden[i])
                cell_suppress(t, &t->cells[i]);
        free(values);
        free(hidden);
    }
    for (size_t i = 0; i < n; i++)
        if (t->cells[i].kind == DMS_CELL_SUPPRESSED)
            t->cells[i].value = 0;
    return DMS_OK;
}

/* A count of people: suppressed when 1 <= n < min_cell. Returns whether it was. */
static bool cell_people(dms_table *t, dms_cell *c, size_t n)
{
    cell_num(c, DMS_CELL_COUNT, (double)n);
    if (dms_suppress_small((long)n, t->min_cell)) {
        cell_suppress(t, c);
        return true;
    }
    return false;
}

/* The same rule for tables built outside this file (effectiveness). */
bool dms_table_people(dms_table *t, size_t r, size_t c, size_t n)
{
    return r < t->nrows && c < t->ncols && cell_people(t, &t->cells[r * t->ncols + c], n);
}

void dms_table_suppress(dms_table *t, size_t r, size_t c)
{
    if (r < t->nrows && c < t->ncols)
        cell_suppress(t, &t->cells[r * t->ncols + c]);
}

/* ---- selection --------------------------------------------------------- */

struct item {
    const dms_claim_line *line;
    long member; /* -1 unmatched */
    const char *person;
};

struct ptr_map {
    struct pm_slot {
        const void *key;
        size_t value;
    } * slots;
    size_t cap, used;
};

static long pm_get(struct ptr_map *m, const void *key, size_t value_if_new)
{
    if (m->used * 2 >= m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        struct pm_slot *s = calloc(cap, sizeof *s);
        if (s == NULL)
            return -1;
        for (size_t i = 0; i < m->cap; i++) {
            if (m->slots[i].key == NULL)
                continue;
            size_t j =
                (size_t)(((uintptr_t)m->slots[i].key >> 3) * 11400714819323198485ull) & (cap - 1);
            while (s[j].key != NULL)
                j = (j + 1) & (cap - 1);
            s[j] = m->slots[i];
        }
        free(m->slots);
        m->slots = s;
        m->cap = cap;
    }
    size_t j = (size_t)(((uintptr_t)key >> 3) * 11400714819323198485ull) & (m->cap - 1);
    while (m->slots[j].key != NULL && m->slots[j].key != key)
        j = (j + 1) & (m->cap - 1);
    if (m->slots[j].key == NULL) {
        m->slots[j].key = key;
        m->slots[j].value = value_if_new;
        m->used++;
    }
    return (long)m->slots[j].value;
}

/* Groups: interned text keys with a dense index, in first-seen order. */
struct groups {
    csv_pool pool;
    struct ptr_map map;
    const char **keys;
    size_t n, cap;
};

static long group_of(struct groups *g, const char *text)
{
    const char *k = dms_csv_pool_intern(&g->pool, text, strlen(text));
    if (k == NULL)
        return -1;
    long i = pm_get(&g->map, k, g->n);
    if (i < 0)
        return -1;
    if ((size_t)i == g->n) {
        if (g->n == g->cap) {
            size_t cap = g->cap ? g->cap * 2 : 32;
            const char **p = realloc(g->keys, cap * sizeof *p);
            if (p == NULL)
                return -1;
            g->keys = p;
            g->cap = cap;
        }
        g->keys[g->n++] = k;
    }
    return i;
}

static void groups_release(struct groups *g)
{
    dms_csv_pool_release(&g->pool);
    free(g->map.slots);
    free(g->keys);
}

struct ctx {
    const dms_register *reg;
    const dms_membership *m;
    dms_reports_options o;
    csv_pool people;
    struct item *items;
    size_t nitems;
    bool *in_scope;  /* per member: exposure in the period and right department */
    size_t segments; /* utilisation: its rows per module, segment 0 "all" */
};

static void ctx_release(struct ctx *c)
{
    dms_csv_pool_release(&c->people);
    free(c->items);
    free(c->in_scope);
}

static const char *member_person(struct ctx *c, const dms_member *x)
{
    char key[400];
    dms_member_person_key(x, key, sizeof key);
    return dms_csv_pool_intern(&c->people, key, strlen(key));
}

static int ctx_init(struct ctx *c, const dms_register *reg, const dms_membership *m,
                    const dms_reports_options *opt, dms_error *err)
{
    memset(c, 0, sizeof *c);
    if (m == NULL || opt == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "reports: NULL membership or options");
    c->reg = reg;
    c->m = m;
    c->o = *opt;
    if (c->o.min_cell == 0)
        c->o.min_cell = DMS_REPORTS_MIN_CELL;
    if (c->o.limit_share == 0)
        c->o.limit_share = 0.8;
    if (c->o.as_of == 0)
        c->o.as_of = c->o.to;
    if (c->o.from == 0 || c->o.to < c->o.from)
        return dms_error_set(err, DMS_EINVAL, "/from",
                             "the reporting period is not set or ends before it starts");
    if (c->o.min_cell < 1 || c->o.min_cell > 1000)
        return dms_error_set(err, DMS_EINVAL, "/min_cell",
                             "the suppression threshold must be 1..1000, got %d", c->o.min_cell);
    if (!(c->o.limit_share > 0 && c->o.limit_share <= 1))
        return dms_error_set(err, DMS_EINVAL, "/limit_share",
                             "the limit share must be in (0, 1], got %g", c->o.limit_share);
    if (!(c->o.premium_per_member_month >= 0 && isfinite(c->o.premium_per_member_month)))
        return dms_error_set(err, DMS_EINVAL, "/premium_per_member_month",
                             "the premium per member-month must be >= 0");
    c->in_scope = calloc(m->count ? m->count : 1, sizeof *c->in_scope);
    if (c->in_scope == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < m->count; i++) {
        const dms_member *x = &m->members[i];
        c->in_scope[i] = dms_exposure_member_months(x, c->o.from, c->o.to) > 0 &&
                         (c->o.department == NULL || strcmp(x->department, c->o.department) == 0);
    }
    if (reg == NULL)
        return DMS_OK;
    c->items = malloc((reg->count ? reg->count : 1) * sizeof *c->items);
    if (c->items == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < reg->count; i++) {
        const dms_claim_line *l = &reg->lines[i];
        if (!dms_claims_counts(l) || l->service_day < c->o.from || l->service_day > c->o.to)
            continue;
        long mi = dms_membership_match(m, l);
        if (c->o.department != NULL && (mi < 0 || !c->in_scope[mi]))
            continue;
        char key[400];
        const char *person =
            mi >= 0 ? member_person(c, &m->members[mi])
                    : dms_csv_pool_intern(&c->people, dms_claims_person_key(l, key, sizeof key),
                                          strlen(key));
        if (person == NULL)
            return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
        c->items[c->nitems++] = (struct item){l, mi, person};
    }
    return DMS_OK;
}

/*
 * The start of every report: checks out (and reg, for a report that reads
 * it), sets *out to NULL and runs ctx_init. c is always left safe for
 * ctx_release.
 */
static int ctx_begin(struct ctx *c, bool reads_register, const dms_register *reg,
                     const dms_membership *m, const dms_reports_options *opt, dms_table **out,
                     dms_error *err)
{
    memset(c, 0, sizeof *c);
    if (out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "reports: NULL output");
    *out = NULL;
    if (reads_register && reg == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "reports: NULL register");
    return ctx_init(c, reads_register ? reg : NULL, m, opt, err);
}

/* Distinct people per group from (group, person) pairs; counts has ngroups. */
struct pair {
    size_t group;
    const char *person;
};

static int cmp_pair(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    return x->person < y->person ? -1 : x->person > y->person;
}

static void distinct_counts(struct pair *p, size_t n, size_t *counts)
{
    qsort(p, n, sizeof *p, cmp_pair);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || p[i].group != p[i - 1].group || p[i].person != p[i - 1].person)
            counts[p[i].group]++;
}

static int nomem(dms_error *err)
{
    return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory computing a report");
}

/* ---- relations for complementary suppression ---------------------------- */

/* insured: per department, attached = employees + spouses + children. */
static int insured_finish(const struct ctx *c, dms_table *t, dms_error *err)
{
    (void)c;
    dms_suppress *s = NULL;
    int status = dms_suppress_alloc(t->nrows * t->ncols, &s, err);
    for (size_t r = 0; r < t->nrows && status == DMS_OK; r++) {
        size_t base = r * t->ncols;
        size_t parts[3] = {base + 1, base + 2, base + 3};
        status = dms_suppress_add_sum(s, base + 4, parts, 3, err);
    }
    if (status == DMS_OK)
        status = table_finish(t, s, err);
    dms_suppress_free(s);
    return status;
}

/*
 * utilisation: rows module-major, ns segments each, segment 0 "all". Per
 * module the "all" row is (at least) the sum of the segment rows in
 * members, member-years, visits and users; taken as an equality, which
 * protects also when everyone has a segment. Rates hide with their terms.
 */
static int utilisation_finish(const struct ctx *c, dms_table *t, dms_error *err)
{
    size_t ns = c->segments;
    static const size_t additive[] = {2, 3, 4, 6};
    dms_suppress *s = NULL;
    size_t *parts = malloc((ns + 1) * sizeof *parts);
    int status = parts != NULL ? dms_suppress_alloc(t->nrows * t->ncols, &s, err)
                               : dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    size_t nm = ns > 0 ? t->nrows / ns : 0;
    for (size_t mo = 0; mo < nm && ns > 1 && status == DMS_OK; mo++) {
        for (size_t a = 0; a < 4 && status == DMS_OK; a++) {
            size_t k = additive[a];
            for (size_t seg = 1; seg < ns; seg++)
                parts[seg - 1] = (mo * ns + seg) * t->ncols + k;
            status = dms_suppress_add_sum(s, (mo * ns) * t->ncols + k, parts, ns - 1, err);
        }
    }
    for (size_t r = 0; r < t->nrows && status == DMS_OK; r++) {
        size_t b = r * t->ncols;
        if (dms_suppress_add_link(s, b + 2, b + 7, err) != DMS_OK ||
            dms_suppress_add_link(s, b + 6, b + 7, err) != DMS_OK ||
            dms_suppress_add_link(s, b + 3, b + 5, err) != DMS_OK ||
            dms_suppress_add_link(s, b + 4, b + 5, err) != DMS_OK)
            status = err != NULL && err->code != DMS_OK ? err->code : DMS_ENOMEM;
    }
    if (status == DMS_OK)
        status = table_finish(t, s, err);
    dms_suppress_free(s);
    free(parts);
    return status;
}

/*
 * clinics: any visible share of spend gives the total spend, so the paid
 * column sums to a known total; a share hides with its amount.
 */
static int clinics_finish(const struct ctx *c, dms_table *t, dms_error *err)
{
    (void)c;
    dms_suppress *s = NULL;
    size_t *parts = malloc((t->nrows + 1) * sizeof *parts);
    int status = parts != NULL ? dms_suppress_alloc(t->nrows * t->ncols, &s, err)
                               : dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    for (size_t r = 0; r < t->nrows && status == DMS_OK; r++) {
        parts[r] = r * t->ncols + 4;
        status = dms_suppress_add_link(s, r * t->ncols + 4, r * t->ncols + 5, err);
    }
    if (status == DMS_OK)
        status = dms_suppress_add_sum(s, DMS_SUPPRESS_KNOWN, parts, t->nrows, err);
    if (status == DMS_OK)
        status = table_finish(t, s, err);
    dms_suppress_free(s);
    free(parts);
    return status;
}

/* ---- the frame every report shares -------------------------------------- */

/*
 * What sets one report apart: its table's name and columns, whether it reads
 * the register (insured does not), how it fills the rows, and the relations
 * of its complementary suppression. report_run does the rest alike for all:
 * checks the arguments, selects the period's lines, makes the table, and
 * hands it over only when every step succeeded. The public entry points
 * clear err before they call it.
 */
struct report {
    const char *name;
    const char *const *cols, *const *ru;
    size_t ncols;
    bool reads_register;
    /* Appends the rows to t. Returns a status, err set. */
    int (*fill)(struct ctx *c, dms_table *t, dms_error *err);
    /* Complementary suppression, then the wiping of table_finish; NULL for
     * a table without relations between its cells. */
    int (*finish)(const struct ctx *c, dms_table *t, dms_error *err);
};

#define REPORT_COLUMNS(cols, ru) (cols), (ru), sizeof(cols) / sizeof(cols)[0]

static int report_run(const struct report *r, const dms_register *reg, const dms_membership *m,
                      const dms_reports_options *opt, dms_table **out, dms_error *err)
{
    struct ctx c;
    dms_table *t = NULL;
    int status = ctx_begin(&c, r->reads_register, reg, m, opt, out, err);
    if (status != DMS_OK)
        goto out_free;
    if ((t = table_new(r->name, r->cols, r->ru, r->ncols, c.o.min_cell)) == NULL) {
        status = nomem(err);
        goto out_free;
    }
    if ((status = r->fill(&c, t, err)) != DMS_OK)
        goto out_free;
    status = r->finish != NULL ? r->finish(&c, t, err) : table_finish(t, NULL, err);
    if (status != DMS_OK)
        goto out_free;
    *out = t;
    t = NULL;
out_free:
    dms_table_free(t);
    ctx_release(&c);
    return status;
}

/* ---- insured list ------------------------------------------------------ */

static const char *const insured_cols[] = {"department", "employees", "spouses", "children",
                                           "insured",    "joined",    "left"};
static const char *const insured_ru[] = {"Подразделение", "Сотрудники",  "Супруги",   "Дети",
                                         "Застраховано",  "Прикреплено", "Откреплено"};

static int insured_fill(struct ctx *c, dms_table *t, dms_error *err)
{
    const dms_membership *m = c->m;
    struct groups g = {0};
    size_t *counts = NULL, np = 0, cap = 0;
    int status = DMS_OK;
    struct pair *pairs = malloc((5 * m->count + 1) * sizeof *pairs);
    if (pairs == NULL) {
        status = nomem(err);
        goto out_free;
    }
    /* measure k of department d is group d * 6 + k */
    for (size_t i = 0; i < m->count; i++) {
        if (!c->in_scope[i])
            continue;
        const dms_member *x = &m->members[i];
        long d = group_of(&g, x->department);
        const char *person = member_person(c, x);
        if (d < 0 || person == NULL) {
            status = nomem(err);
            goto out_free;
        }
        if (dms_exposure_attached(x, c->o.as_of)) {
            pairs[np++] = (struct pair){(size_t)d * 6 + (size_t)x->relation, person};
            pairs[np++] = (struct pair){(size_t)d * 6 + 3, person};
        }
        if (x->attach_day >= c->o.from && x->attach_day <= c->o.to)
            pairs[np++] = (struct pair){(size_t)d * 6 + 4, person};
        if (x->detach_day >= c->o.from && x->detach_day <= c->o.to)
            pairs[np++] = (struct pair){(size_t)d * 6 + 5, person};
    }
    counts = calloc(6 * g.n + 1, sizeof *counts);
    if (counts == NULL) {
        status = nomem(err);
        goto out_free;
    }
    distinct_counts(pairs, np, counts);
    for (size_t d = 0; d < g.n; d++) {
        dms_cell *row = table_row(t, &cap);
        if (row == NULL) {
            status = nomem(err);
            goto out_free;
        }
        cell_text(&row[0], g.keys[d][0] ? g.keys[d] : "—");
        for (int k = 0; k < 6; k++)
            cell_people(t, &row[1 + k], counts[d * 6 + (size_t)k]);
    }
out_free:
    free(pairs);
    free(counts);
    groups_release(&g);
    return status;
}

int dms_reports_insured(const dms_membership *m, const dms_reports_options *opt, dms_table **out,
                        dms_error *err)
{
    dms_error_clear(err);
    static const struct report insured = {"insured", REPORT_COLUMNS(insured_cols, insured_ru),
                                          false, insured_fill, insured_finish};
    return report_run(&insured, NULL, m, opt, out, err);
}

/* ---- utilisation ------------------------------------------------------- */

static const char *const utilisation_cols[] = {"module",       "segment",    "members",
                                               "member_years", "visits",     "visits_per_1000",
                                               "users",        "share_using"};
static const char *const utilisation_ru[] = {"Модуль",         "Сегмент",
                                             "Застрахованных", "Человеко-лет",
                                             "Обращений",      "Обращений на 1000 в год",
                                             "Обратившихся",   "Доля обратившихся"};

static int utilisation_fill(struct ctx *c, dms_table *t, dms_error *err)
{
    const dms_membership *m = c->m;
    struct groups mods = {0}, segs = {0}, visits = {0};
    struct pair *mem_pairs = NULL, *use_pairs = NULL;
    size_t *members = NULL, *users = NULL, *nvisits = NULL, nmp = 0, nup = 0, cap = 0;
    double *my = NULL;
    int status = DMS_OK;
    /* segment 0 is "all" */
    if (group_of(&segs, "") != 0) {
        status = nomem(err);
        goto out_free;
    }
    for (size_t i = 0; i < m->count; i++)
        if (c->in_scope[i] && m->members[i].segment[0] != '\0' &&
            group_of(&segs, m->members[i].segment) < 0) {
            status = nomem(err);
            goto out_free;
        }
    for (size_t i = 0; i < c->nitems; i++)
        if (group_of(&mods, c->items[i].line->module) < 0) {
            status = nomem(err);
            goto out_free;
        }
    size_t ns = segs.n, nm = mods.n;
    c->segments = ns;
    members = calloc(ns, sizeof *members);
    my = calloc(ns, sizeof *my);
    users = calloc(nm * ns + 1, sizeof *users);
    nvisits = calloc(nm * ns + 1, sizeof *nvisits);
    mem_pairs = malloc((2 * m->count + 1) * sizeof *mem_pairs);
    use_pairs = malloc((2 * c->nitems + 1) * sizeof *use_pairs);
    if (!members || !my || !users || !nvisits || !mem_pairs || !use_pairs) {
        status = nomem(err);
        goto out_free;
    }
    for (size_t i = 0; i < m->count; i++) {
        if (!c->in_scope[i])
            continue;
        const dms_member *x = &m->members[i];
        const char *person = member_person(c, x);
        if (person == NULL) {
            status = nomem(err);
            goto out_free;
        }
        double years = dms_exposure_member_months(x, c->o.from, c->o.to) / 12.0;
        mem_pairs[nmp++] = (struct pair){0, person};
        my[0] += years;
        if (x->segment[0] != '\0') {
            size_t s = (size_t)group_of(&segs, x->segment);
            mem_pairs[nmp++] = (struct pair){s, person};
            my[s] += years;
        }
    }
    distinct_counts(mem_pairs, nmp, members);
    for (size_t i = 0; i < c->nitems; i++) {
        const struct item *it = &c->items[i];
        size_t mo = (size_t)group_of(&mods, it->line->module);
        size_t s = it->member >= 0 && m->members[it->member].segment[0] != '\0'
                       ? (size_t)group_of(&segs, m->members[it->member].segment)
                       : 0;
        size_t segs_of[2] = {0, s};
        for (int k = 0; k < (s != 0 ? 2 : 1); k++) {
            size_t cell = mo * ns + segs_of[k];
            char key[300];
            snprintf(key, sizeof key, "%zu\x1f%s", cell, it->line->claim_id);
            size_t before = visits.n;
            if (group_of(&visits, key) < 0) {
                status = nomem(err);
                goto out_free;
            }
            if (visits.n > before)
                nvisits[cell]++;
            use_pairs[nup++] = (struct pair){cell, it->person};
        }
    }
    distinct_counts(use_pairs, nup, users);
    for (size_t mo = 0; mo < nm; mo++) {
        for (size_t s = 0; s < ns; s++) {
            size_t cell = mo * ns + s;
            dms_cell *row = table_row(t, &cap);
            if (row == NULL) {
                status = nomem(err);
                goto out_free;
            }
            cell_text(&row[0], mods.keys[mo]);
            cell_text(&row[1], s == 0 ? "all / все" : segs.keys[s]);
            bool small = cell_people(t, &row[2], members[s]);
            cell_num(&row[3], DMS_CELL_NUMBER, my[s]);
            cell_num(&row[4], DMS_CELL_COUNT, (double)nvisits[cell]);
            cell_num(&row[5], DMS_CELL_NUMBER,
                     my[s] > 0 ? 1000.0 * (double)nvisits[cell] / my[s] : 0.0);
            bool few_users = cell_people(t, &row[6], users[cell]);
            cell_num(&row[7], DMS_CELL_NUMBER,
                     members[s] > 0 ? (double)users[cell] / (double)members[s] : 0.0);
            if (small)
                for (int k = 3; k < 8; k++)
                    cell_suppress(t, &row[k]);
            else if (few_users)
                for (int k = 4; k < 8; k++)
                    cell_suppress(t, &row[k]);
        }
    }
out_free:
    free(members);
    free(my);
    free(users);
    free(nvisits);
    free(mem_pairs);
    free(use_pairs);
    groups_release(&mods);
    groups_release(&segs);
    groups_release(&visits);
    return status;
}

int dms_reports_utilisation(const dms_register *reg, const dms_membership *m,
                            const dms_reports_options *opt, dms_table **out, dms_error *err)
{
    dms_error_clear(err);
    static const struct report utilisation = {"utilisation",
                                              REPORT_COLUMNS(utilisation_cols, utilisation_ru),
                                              true, utilisation_fill, utilisation_finish};
    return report_run(&utilisation, reg, m, opt, out, err);
}

/* ---- grouped money reports (expense, clinics) --------------------------- */

struct money_acc {
    double billed, paid, copay;
    size_t lines;
};

/* The items grouped by a text key, with per group the money, the distinct
 * claims and the distinct people. Shared by expense and clinics. */
struct money_groups {
    struct groups g;
    struct money_acc *acc;
    size_t *people, *claims;
};

static void money_release(struct money_groups *mg)
{
    free(mg->acc);
    free(mg->people);
    free(mg->claims);
    groups_release(&mg->g);
}

/* Groups the items by key_of(item). mg is always left safe for
 * money_release, which the caller runs whatever the outcome. Returns DMS_OK
 * or DMS_ENOMEM (err not set: the caller says what it was computing). */
static int group_money(struct ctx *c, void (*key_of)(const struct item *, char *, size_t),
                       struct money_groups *mg)
{
    struct groups claim_keys = {0};
    memset(mg, 0, sizeof *mg);
    struct pair *pairs = malloc((c->nitems + 1) * sizeof *pairs);
    int status = DMS_ENOMEM;
    long *gi = malloc((c->nitems + 1) * sizeof *gi);
    if (pairs == NULL || gi == NULL)
        goto out;
    for (size_t i = 0; i < c->nitems; i++) {
        char key[300];
        key_of(&c->items[i], key, sizeof key);
        if ((gi[i] = group_of(&mg->g, key)) < 0)
            goto out;
    }
    mg->acc = calloc(mg->g.n + 1, sizeof *mg->acc);
    mg->people = calloc(mg->g.n + 1, sizeof *mg->people);
    mg->claims = calloc(mg->g.n + 1, sizeof *mg->claims);
    if (mg->acc == NULL || mg->people == NULL || mg->claims == NULL)
        goto out;
    for (size_t i = 0; i < c->nitems; i++) {
        const dms_claim_line *l = c->items[i].line;
        struct money_acc *a = &mg->acc[gi[i]];
        a->billed += (double)l->billed / 100.0;
        a->paid += (double)l->paid / 100.0;
        a->copay += (double)l->copay / 100.0;
        a->lines++;
        pairs[i] = (struct pair){(size_t)gi[i], c->items[i].person};
        char key[300];
        snprintf(key, sizeof key, "%ld\x1f%s", gi[i], l->claim_id);
        size_t before = claim_keys.n;
        if (group_of(&claim_keys, key) < 0)
            goto out;
        if (claim_keys.n > before)
            mg->claims[gi[i]]++;
    }
    distinct_counts(pairs, c->nitems, mg->people);
    status = DMS_OK;
out:
    free(pairs);
    free(gi);
    groups_release(&claim_keys);
    return status;
}

static void month_module_key(const struct item *it, char *key, size_t size)
{
    int y, m, d;
    dms_claims_civil(it->line->service_day, &y, &m, &d);
    snprintf(key, size, "%04d-%02d\x1f%s", y, m, it->line->module);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *const expense_cols[] = {"month",  "module", "claims", "people",
                                           "billed", "paid",   "copay"};
static const char *const expense_ru[] = {"Месяц",     "Модуль",   "Случаев", "Человек",
                                         "Стоимость", "Оплачено", "Соплатёж"};

static int expense_fill(struct ctx *c, dms_table *t, dms_error *err)
{
    struct money_groups mg;
    size_t cap = 0;
    const char **order = NULL;
    int status = DMS_OK;
    if (group_money(c, month_module_key, &mg) != DMS_OK ||
        (order = malloc((mg.g.n + 1) * sizeof *order)) == NULL) {
        status = nomem(err);
        goto out_free;
    }
    if (mg.g.n > 0) /* no lines: mg.g.keys is NULL, and memcpy from NULL is undefined */
        memcpy(order, mg.g.keys, mg.g.n * sizeof *order);
    qsort(order, mg.g.n, sizeof *order, cmp_str);
    for (size_t k = 0; k < mg.g.n; k++) {
        size_t i = (size_t)group_of(&mg.g, order[k]);
        dms_cell *row = table_row(t, &cap);
        if (row == NULL) {
            status = nomem(err);
            goto out_free;
        }
        const char *sep = strchr(order[k], '\x1f');
        char month[16];
        snprintf(month, sizeof month, "%.*s", (int)(sep - order[k]), order[k]);
        cell_text(&row[0], month);
        cell_text(&row[1], sep + 1);
        cell_num(&row[2], DMS_CELL_COUNT, (double)mg.claims[i]);
        bool small = cell_people(t, &row[3], mg.people[i]);
        cell_num(&row[4], DMS_CELL_MONEY, mg.acc[i].billed);
        cell_num(&row[5], DMS_CELL_MONEY, mg.acc[i].paid);
        cell_num(&row[6], DMS_CELL_MONEY, mg.acc[i].copay);
        if (small)
            for (int j = 2; j < 7; j++)
                cell_suppress(t, &row[j]);
    }
out_free:
    free(order);
    money_release(&mg);
    return status;
}

int dms_reports_expense(const dms_register *reg, const dms_membership *m,
                        const dms_reports_options *opt, dms_table **out, dms_error *err)
{
    dms_error_clear(err);
    static const struct report expense = {"expense", REPORT_COLUMNS(expense_cols, expense_ru), true,
                                          expense_fill, NULL};
    return report_run(&expense, reg, m, opt, out, err);
}

static void clinic_key(const struct item *it, char *key, size_t size)
{
    snprintf(key, size, "%s", it->line->clinic[0] ? it->line->clinic : "—");
}

static const char *const clinics_cols[] = {"clinic",       "visits", "people",
                                           "average_cost", "paid",   "share_of_spend"};
static const char *const clinics_ru[] = {"Клиника",           "Обращений", "Человек",
                                         "Средняя стоимость", "Оплачено",  "Доля расходов"};

static int clinics_fill(struct ctx *c, dms_table *t, dms_error *err)
{
    struct money_groups mg;
    size_t *order = NULL, cap = 0;
    int status = DMS_OK;
    if (group_money(c, clinic_key, &mg) != DMS_OK) {
        status = nomem(err);
        goto out_free;
    }
    double total = 0;
    for (size_t i = 0; i < mg.g.n; i++)
        total += mg.acc[i].paid;
    /* by spend, largest first (stable on ties by first appearance) */
    order = malloc((mg.g.n + 1) * sizeof *order);
    if (order == NULL) {
        status = nomem(err);
        goto out_free;
    }
    for (size_t i = 0; i < mg.g.n; i++)
        order[i] = i;
    for (size_t i = 1; i < mg.g.n; i++)
        for (size_t j = i; j > 0 && mg.acc[order[j]].paid > mg.acc[order[j - 1]].paid; j--) {
            size_t tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    for (size_t k = 0; k < mg.g.n; k++) {
        size_t i = order[k];
        dms_cell *row = table_row(t, &cap);
        if (row == NULL) {
            status = nomem(err);
            goto out_free;
        }
        cell_text(&row[0], mg.g.keys[i]);
        cell_num(&row[1], DMS_CELL_COUNT, (double)mg.claims[i]);
        bool small = cell_people(t, &row[2], mg.people[i]);
        cell_num(&row[3], DMS_CELL_MONEY,
                 mg.claims[i] ? mg.acc[i].billed / (double)mg.claims[i] : 0);
        cell_num(&row[4], DMS_CELL_MONEY, mg.acc[i].paid);
        cell_num(&row[5], DMS_CELL_NUMBER, total > 0 ? mg.acc[i].paid / total : 0);
        if (small)
            for (int j = 1; j < 6; j++)
                cell_suppress(t, &row[j]);
    }
out_free:
    free(order);
    money_release(&mg);
    return status;
}

int dms_reports_clinics(const dms_register *reg, const dms_membership *m,
                        const dms_reports_options *opt, dms_table **out, dms_error *err)
{
    dms_error_clear(err);
    static const struct report clinics = {"clinics", REPORT_COLUMNS(clinics_cols, clinics_ru), true,
                                          clinics_fill, clinics_finish};
    return report_run(&clinics, reg, m, opt, out, err);
}

/* ---- limits ------------------------------------------------------------ */

static const char *const limits_cols[] = {"module", "annual_limit", "threshold_share", "users",
                                          "people_over_threshold"};
static const char *const limits_ru[] = {"Модуль", "Годовой лимит", "Порог доли лимита",
                                        "Обратившихся", "Израсходовали больше порога"};

static int limits_fill(struct ctx *c, dms_table *t, dms_error *err)
{
    struct groups persons = {0};
    double *spent = NULL;
    size_t cap = 0;
    int status = DMS_OK;
    for (size_t k = 0; k < c->o.nlimits; k++) {
        if (c->o.limits[k].module == NULL || !(c->o.limits[k].limit > 0)) {
            char path[48];
            snprintf(path, sizeof path, "/limits/%zu", k);
            return dms_error_set(err, DMS_EINVAL, path,
                                 "a limit needs a module code and a positive amount");
        }
    }
    spent = malloc((c->nitems + 1) * sizeof *spent);
    if (spent == NULL) {
        status = nomem(err);
        goto out_free;
    }
    for (size_t k = 0; k < c->o.nlimits; k++) {
        const dms_reports_limit *lim = &c->o.limits[k];
        groups_release(&persons);
        memset(&persons, 0, sizeof persons);
        for (size_t i = 0; i < c->nitems; i++) {
            if (strcmp(c->items[i].line->module, lim->module) != 0)
                continue;
            size_t before = persons.n;
            long p = group_of(&persons, c->items[i].person);
            if (p < 0) {
                status = nomem(err);
                goto out_free;
            }
            if (persons.n > before)
                spent[p] = 0;
            spent[p] += (double)c->items[i].line->paid / 100.0;
        }
        size_t over = 0;
        for (size_t p = 0; p < persons.n; p++)
            if (spent[p] > c->o.limit_share * lim->limit)
                over++;
        dms_cell *row = table_row(t, &cap);
        if (row == NULL) {
            status = nomem(err);
            goto out_free;
        }
        cell_text(&row[0], lim->module);
        cell_num(&row[1], DMS_CELL_MONEY, lim->limit);
        cell_num(&row[2], DMS_CELL_NUMBER, c->o.limit_share);
        bool small = cell_people(t, &row[3], persons.n);
        cell_people(t, &row[4], over);
        if (small)
            cell_suppress(t, &row[4]);
    }
out_free:
    free(spent);
    groups_release(&persons);
    return status;
}

int dms_reports_limits(const dms_register *reg, const dms_membership *m,
                       const dms_reports_options *opt, dms_table **out, dms_error *err)
{
    dms_error_clear(err);
    static const struct report limits = {"limits", REPORT_COLUMNS(limits_cols, limits_ru), true,
                                         limits_fill, NULL};
    return report_run(&limits, reg, m, opt, out, err);
}

/* ---- loss ratio -------------------------------------------------------- */

static const char *const loss_ratio_cols[] = {"month",          "insured", "member_months",
                                              "earned_premium", "paid",    "loss_ratio"};
static const char *const loss_ratio_ru[] = {
    "Месяц", "Застраховано", "Человеко-месяцев", "Заработанная премия", "Выплаты", "Убыточность"};

static int loss_ratio_fill(struct ctx *c, dms_table *t, dms_error *err)
{
    const dms_membership *m = c->m;
    size_t cap = 0;
    int y, mo, d;
    dms_claims_civil(c->o.from, &y, &mo, &d);
    for (long start = c->o.from; start <= c->o.to;) {
        long month_end = dms_claims_days(mo == 12 ? y + 1 : y, mo == 12 ? 1 : mo + 1, 1) - 1;
        long end = month_end < c->o.to ? month_end : c->o.to;
        double mm = 0;
        size_t insured = 0;
        for (size_t i = 0; i < m->count; i++) {
            if (!c->in_scope[i])
                continue;
            double x = dms_exposure_member_months(&m->members[i], start, end);
            mm += x;
            insured += x > 0;
        }
        double paid = 0;
        for (size_t i = 0; i < c->nitems; i++)
            if (c->items[i].line->service_day >= start && c->items[i].line->service_day <= end)
                paid += (double)c->items[i].line->paid / 100.0;
        dms_cell *row = table_row(t, &cap);
        if (row == NULL)
            return nomem(err);
        char month[16];
        snprintf(month, sizeof month, "%04d-%02d", y, mo);
        cell_text(&row[0], month);
        bool small = cell_people(t, &row[1], insured);
        double premium = mm * c->o.premium_per_member_month;
        cell_num(&row[2], DMS_CELL_NUMBER, mm);
        cell_num(&row[3], DMS_CELL_MONEY, premium);
        cell_num(&row[4], DMS_CELL_MONEY, paid);
        if (premium > 0)
            cell_num(&row[5], DMS_CELL_NUMBER, paid / premium);
        if (small)
            for (int j = 2; j < 6; j++)
                cell_suppress(t, &row[j]);
        start = month_end + 1;
        if (++mo > 12) {
            mo = 1;
            y++;
        }
    }
    return DMS_OK;
}

int dms_reports_loss_ratio(const dms_register *reg, const dms_membership *m,
                           const dms_reports_options *opt, dms_table **out, dms_error *err)
{
    dms_error_clear(err);
    static const struct report loss_ratio = {
        "loss_ratio", REPORT_COLUMNS(loss_ratio_cols, loss_ratio_ru), true, loss_ratio_fill, NULL};
    return report_run(&loss_ratio, reg, m, opt, out, err);
}

int dms_reports_by_name(const char *name, const dms_register *reg, const dms_membership *m,
                        const dms_reports_options *opt, dms_table **out, dms_error *err)
{
    dms_error_clear(err);
    if (name == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "reports: NULL name");
    if (strcmp(name, "insured") == 0)
        return dms_reports_insured(m, opt, out, err);
    if (strcmp(name, "utilisation") == 0 || strcmp(name, "utilization") == 0)
        return dms_reports_utilisation(reg, m, opt, out, err);
    if (strcmp(name, "expense") == 0)
        return dms_reports_expense(reg, m, opt, out, err);
    if (strcmp(name, "limits") == 0)
        return dms_reports_limits(reg, m, opt, out, err);
    if (strcmp(name, "clinics") == 0)
        return dms_reports_clinics(reg, m, opt, out, err);
    if (strcmp(name, "loss_ratio") == 0)
        return dms_reports_loss_ratio(reg, m, opt, out, err);
    return dms_error_set(err, DMS_ENOTFOUND, "/report",
                         "unknown report '%s' (insured, utilisation, expense, limits, clinics, "
                         "loss_ratio)",
                         name);
}

/* ---- encoders ---------------------------------------------------------- */

/* In Russian, a module code the tariff knows is written as its Russian name. */
static const char *module_name(const dms_table *t, size_t col, const char *text, dms_csv_lang lang,
                               const dms_tariff *names)
{
    if (lang != DMS_CSV_RU || names == NULL || strcmp(t->columns[col], "module") != 0)
        return text;
    const dms_tariff_module *m = dms_tariff_find_module(names, text);
    return m != NULL && m->name_ru[0] != '\0' ? m->name_ru : text;
}

int dms_reports_csv(const dms_table *t, dms_csv_lang lang, const dms_tariff *names, FILE *out)
{
    if (t == NULL || out == NULL)
        return DMS_EINVAL;
    dms_csvwrite w;
    dms_csvwrite_begin(&w, out, lang);
    for (size_t j = 0; j < t->ncols; j++)
        dms_csvwrite_text(&w, lang == DMS_CSV_RU ? t->columns_ru[j] : t->columns[j]);
    dms_csvwrite_row_end(&w);
    char below[16];
    snprintf(below, sizeof below, "<%d", t->min_cell);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t j = 0; j < t->ncols; j++) {
            const dms_cell *c = &t->cells[r * t->ncols + j];
            switch (c->kind) {
            case DMS_CELL_EMPTY:
                dms_csvwrite_text(&w, "");
                break;
            case DMS_CELL_TEXT:
                dms_csvwrite_text(&w, module_name(t, j, c->text, lang, names));
                break;
            case DMS_CELL_COUNT:
                dms_csvwrite_integer(&w, (long long)llround(c->value));
                break;
            case DMS_CELL_NUMBER:
                dms_csvwrite_number(&w, c->value, 4);
                break;
            case DMS_CELL_MONEY:
                dms_csvwrite_kopecks(&w, (int64_t)llround(c->value * 100.0));
                break;
            case DMS_CELL_SUPPRESSED:
                dms_csvwrite_text(&w, below);
                break;
            }
        }
        dms_csvwrite_row_end(&w);
    }
    return dms_csvwrite_end(&w);
}

json_t *dms_reports_json(const dms_table *t, dms_error *err)
{
    dms_error_clear(err);
    if (t == NULL) {
        dms_error_set(err, DMS_EINVAL, NULL, "dms_reports_json: NULL table");
        return NULL;
    }
    json_t *root = json_object(), *cols = json_array(), *rows = json_array();
    if (root == NULL || cols == NULL || rows == NULL)
        goto out_nomem;
    for (size_t j = 0; j < t->ncols; j++)
        if (json_array_append_new(cols, json_pack("{s:s,s:s}", "key", t->columns[j], "name_ru",
                                                  t->columns_ru[j])) != 0)
            goto out_nomem;
    for (size_t r = 0; r < t->nrows; r++) {
        json_t *row = json_object();
        if (row == NULL || json_array_append_new(rows, row) != 0)
            goto out_nomem;
        for (size_t j = 0; j < t->ncols; j++) {
            const dms_cell *c = &t->cells[r * t->ncols + j];
            json_t *v;
            char buf[32];
            switch (c->kind) {
            case DMS_CELL_TEXT:
                v = json_string(c->text);
                break;
            case DMS_CELL_COUNT:
                v = json_integer((json_int_t)c->value);
                break;
            case DMS_CELL_NUMBER:
                v = json_real(c->value);
                break;
            case DMS_CELL_MONEY:
                v = json_real(round(c->value * 100.0) / 100.0);
                break;
            case DMS_CELL_SUPPRESSED:
                snprintf(buf, sizeof buf, "<%d", t->min_cell);
                v = json_string(buf);
                break;
            default:
                v = json_null();
            }
            if (v == NULL || json_object_set_new(row, t->columns[j], v) != 0)
                goto out_nomem;
        }
    }
    if (json_object_set_new(root, "report", json_string(t->name)) != 0 ||
        json_object_set_new(root, "min_cell", json_integer(t->min_cell)) != 0 ||
        json_object_set_new(root, "suppressed", json_integer((json_int_t)t->suppressed)) != 0)
        goto out_nomem;
    json_object_set_new(root, "columns", cols);
    json_object_set_new(root, "rows", rows);
    return root;
out_nomem:
    json_decref(root);
    json_decref(cols);
    json_decref(rows);
    dms_error_set(err, DMS_ENOMEM, NULL, "out of memory encoding a report");
    return NULL;
}
