/*
 * The employee module picker: eligibility of a household for the options of
 * a policy, the priced offer and who pays what, the exact choice of the sets
 * worth most to the employee net of their own money (branch and bound with a
 * convex charge, with an exhaustive reference), the out-of-pocket cost of
 * care of a set, and the validation, status machine, life events and
 * monthly payroll of elections. Pure functions: the inputs are immutable, the
 * results go to caller-provided structs, nothing global changes.
 */
#include "dms/date.h"
#include "dms/picker.h"

#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dms/aggregate.h"
#include "dms/quote.h"

#define BIT(i) (UINT64_C(1) << (i))
#define DEFAULT_MAX_NODES 200000000ULL
#define OOP_SPAN_DIVISOR 32.0

const double dms_picker_usage_factor[DMS_USAGE_COUNT] = {0.5, 1.0, 2.0};

static int64_t to_kopecks(double roubles)
{
    return (int64_t)llround(roubles * 100.0);
}

/* a / b rounded half up, for a >= 0, b > 0. */
static int64_t div_round(int64_t a, int64_t b)
{
    return (a + b / 2) / b;
}

/* ---- household and eligibility ------------------------------------------ */

int dms_picker_tenure_months(const dms_census *census, const char *employee_id)
{
    (void)census;
    (void)employee_id;
    return DMS_PICKER_TENURE_ASSUMED_MONTHS;
}

int dms_picker_household(const dms_census *census, const char *employee_id, int tenure_months,
                         dms_household *out, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    out->tenure_months = tenure_months;
    if (census == NULL || employee_id == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "no census or employee id");
    long employee = -1;
    for (size_t i = 0; i < census->count; i++)
        if (census->people[i].relation == DMS_RELATION_EMPLOYEE &&
            strcmp(census->people[i].employee_id, employee_id) == 0)
            employee = (long)i;
    if (employee < 0)
        return dms_error_set(err, DMS_ENOTFOUND, "/employee_id", "no employee '%s' in the census",
                             employee_id);
    out->members[out->nmembers++] = &census->people[employee];
    for (size_t i = 0; i < census->count; i++) {
        const dms_person *p = &census->people[i];
        if (p->relation == DMS_RELATION_EMPLOYEE || strcmp(p->employee_id, employee_id) != 0)
            continue;
        if (out->nmembers == DMS_PICKER_MAX_MEMBERS)
            return dms_error_set(err, DMS_ETOOBIG, "/employee_id",
                                 "employee '%s' has more than %d insured people", employee_id,
                                 DMS_PICKER_MAX_MEMBERS);
        out->members[out->nmembers++] = p;
    }
    return DMS_OK;
}

static const char *const reason_names[] = {"eligible", "wrong_segment", "tenure", "no_member",
                                           "needs_ineligible"};
static const char *const reason_en[] = {
    "available to you",
    "not offered to your employee group",
    "available after a longer time with the company",
    "nobody in your family fits its age or relation rules",
    "it needs another option you cannot have",
};
static const char *const reason_ru[] = {
    "доступно вам",
    "не предлагается вашей группе сотрудников",
    "станет доступно после большего стажа в компании",
    "никто в вашей семье не подходит по возрасту или степени родства",
    "требует другую опцию, которая вам недоступна",
};

const char *dms_picker_reason_name(enum dms_picker_reason reason)
{
    return (unsigned)reason <= DMS_PICKER_NEEDS_INELIGIBLE ? reason_names[reason] : "?";
}

const char *dms_picker_reason_text(enum dms_picker_reason reason, const char *lang)
{
    if ((unsigned)reason > DMS_PICKER_NEEDS_INELIGIBLE)
        return "?";
    return lang != NULL && strcmp(lang, "ru") == 0 ? reason_ru[reason] : reason_en[reason];
}

/* Age at the period start, clamped at 0 (a child born during the year). */
static int member_age(const dms_policy *policy, const dms_person *p)
{
    int y, m, d;
    dms_date_split(policy->period_from, &y, &m, &d); /* checked by the loader */
    int age = dms_census_age(p, y, m, d);
    return age < 0 ? 0 : age;
}

bool dms_picker_eligible(const dms_policy *policy, size_t segment, const dms_household *h,
                         size_t option, uint32_t *covered, enum dms_picker_reason *reason)
{
    const dms_policy_eligibility *e = &policy->options[option].eligibility;
    *covered = 0;
    if (e->segments != 0 && !(e->segments & BIT(segment))) {
        *reason = DMS_PICKER_WRONG_SEGMENT;
        return false;
    }
    if (h->tenure_months < e->min_tenure_months) {
        *reason = DMS_PICKER_TENURE;
        return false;
    }
    for (size_t i = 0; i < h->nmembers; i++) {
        const dms_person *p = h->members[i];
        int age = member_age(policy, p);
        if ((e->relations & DMS_POLICY_RELATION_BIT(p->relation)) &&
            (e->age_min < 0 || age >= e->age_min) && (e->age_max < 0 || age <= e->age_max))
            *covered |= 1u << i;
    }
    *reason = *covered ? DMS_PICKER_ELIGIBLE : DMS_PICKER_NO_MEMBER;
    return *covered != 0;
}

/* ---- money --------------------------------------------------------------- */

void dms_picker_split_price(const dms_policy_segment *seg, int64_t price, dms_picker_split *out)
{
    memset(out, 0, sizeof *out);
    if (price < 0)
        price = 0;
    int64_t budget = to_kopecks(seg->flex_budget);
    out->price = price;
    out->credits = price < budget ? price : budget;
    int64_t rest = price - out->credits;
    out->employee = rest > 0 ? (int64_t)llround((double)rest * (1.0 - seg->employer_share)) : 0;
    if (out->employee > rest)
        out->employee = rest;
    out->employer = price - out->employee;
    out->price_month = div_round(price, 12);
    out->employee_month = div_round(out->employee, 12);
    out->employer_month = out->price_month - out->employee_month;
    out->within_cap = out->employee <= to_kopecks(seg->top_up_cap);
}

int64_t dms_picker_capacity(const dms_policy_segment *seg, int64_t top_up)
{
    int64_t cap = to_kopecks(seg->top_up_cap);
    if (top_up >= 0 && top_up < cap)
        cap = top_up;
    int64_t budget = to_kopecks(seg->flex_budget);
    double share = 1.0 - seg->employer_share;
    if (share <= 0.0)
        return INT64_MAX / 4;
    /* the largest rest r with llround(r x share) <= cap: the part is monotone in r */
    int64_t lo = 0, hi = (int64_t)((double)cap / share) + 2;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        if ((int64_t)llround((double)mid * share) <= cap)
            lo = mid;
        else
            hi = mid - 1;
    }
    return budget + lo;
}

/* ---- offer --------------------------------------------------------------- */

static dms_rated_person rated_person(const dms_offer *offer, size_t member)
{
    const dms_person *p = offer->household.members[member];
    return (dms_rated_person){.age = offer->ages[member], .sex = p->sex, .region = p->region};
}

/* Re-roots a pricing error at /modules/0/... to prefix/... */
static int reroot_error(dms_error *err, const dms_error *inner, const char *prefix)
{
    char path[DMS_ERROR_PATH_MAX];
    const char *rest = inner->path;
    if (strncmp(rest, "/modules/0", 10) == 0)
        rest += 10;
    else
        rest = "";
    snprintf(path, sizeof path, "%s%s", prefix, rest);
    return dms_error_reroot(err, inner->code, path, inner);
}

/* Gross and expected claims (kopecks a year) of one module line for members. */
static int price_line(const dms_offer *offer, const dms_plan_module *module, size_t nmodules,
                      const char *network, uint32_t members, const char *pointer, int64_t *gross,
                      int64_t *claims, dms_error *err)
{
    const dms_policy *policy = offer->policy;
    *gross = *claims = 0;
    for (size_t i = 0; i < offer->household.nmembers; i++) {
        if (!(members & (1u << i)))
            continue;
        double g[DMS_PLAN_MAX_MODULES], c[DMS_PLAN_MAX_MODULES];
        dms_rated_person rp = rated_person(offer, i);
        dms_error inner;
        dms_error_clear(&inner);
        int status = dms_quote_price_person(
            offer->tariff, offer->model, policy->period_from, policy->period_to, network, module,
            nmodules, &rp, policy->headcount, DMS_SCENARIO_BASE, c, g, NULL, &inner);
        if (status != DMS_OK)
            return reroot_error(err, &inner, pointer);
        for (size_t m = 0; m < nmodules; m++) {
            *gross += to_kopecks(g[m]);
            *claims += to_kopecks(c[m]);
        }
    }
    return DMS_OK;
}

int dms_picker_offer(const dms_policy *policy, const dms_tariff *tariff, const dms_model *model,
                     const dms_household *h, dms_offer *out, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    if (policy == NULL || tariff == NULL || model == NULL || h == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "offer needs a policy, tariff, model, family");
    if (h->nmembers == 0 || h->nmembers > DMS_PICKER_MAX_MEMBERS || h->members[0] == NULL ||
        h->members[0]->relation != DMS_RELATION_EMPLOYEE)
        return dms_error_set(err, DMS_EINVAL, "/members",
                             "a household is its employee first, then up to %d family members",
                             DMS_PICKER_MAX_MEMBERS - 1);
    out->policy = policy;
    out->tariff = tariff;
    out->model = model;
    out->household = *h;
    out->noptions = policy->noptions;
    bool has_children = false;
    for (size_t i = 0; i < h->nmembers; i++) {
        if (h->members[i] == NULL)
            return dms_error_set(err, DMS_EINVAL, "/members", "member %zu is missing", i);
        if (i > 0 && h->members[i]->relation == DMS_RELATION_EMPLOYEE)
            return dms_error_set(err, DMS_EINVAL, "/members", "a household has one employee");
        has_children |= h->members[i]->relation == DMS_RELATION_CHILD;
        out->ages[i] = member_age(policy, h->members[i]);
    }
    int status = dms_policy_segment_of(policy, h->members[0], has_children, &out->segment, err);
    if (status != DMS_OK)
        return status;
    const dms_policy_segment *seg = &policy->segments[out->segment];
    char pointer[DMS_ERROR_PATH_MAX];
    int64_t claims;
    if (seg->nbase > 0) {
        snprintf(pointer, sizeof pointer, "/segments/%zu/base_modules", out->segment);
        if ((status = price_line(out, seg->base, seg->nbase, seg->network, 1u, pointer,
                                 &out->base_price, &claims, err)) != DMS_OK)
            return status;
    }
    for (size_t i = 0; i < policy->noptions; i++) {
        dms_offer_option *o = &out->options[i];
        o->eligible = dms_picker_eligible(policy, out->segment, h, i, &o->covered, &o->reason);
        if (o->eligible)
            out->eligible |= BIT(i);
    }
    /* an option whose requirements are not all on the menu is not either */
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < policy->noptions; i++)
            if ((out->eligible & BIT(i)) && (policy->options[i].closure & ~out->eligible)) {
                out->eligible &= ~BIT(i);
                out->options[i].eligible = false;
                out->options[i].reason = DMS_PICKER_NEEDS_INELIGIBLE;
                changed = true;
            }
    }
    for (size_t i = 0; i < policy->noptions; i++) {
        dms_offer_option *o = &out->options[i];
        if (!o->eligible) {
            o->covered = 0;
            continue;
        }
        snprintf(pointer, sizeof pointer, "/options/%zu/cover", i);
        status = price_line(out, &policy->options[i].module, 1,
                            dms_policy_option_network(policy, out->segment, i), o->covered, pointer,
                            &o->price, &o->claims, err);
        if (status != DMS_OK)
            return status;
        dms_picker_split_price(seg, o->price, &o->alone);
    }
    out->capacity = dms_picker_capacity(seg, -1);
    return DMS_OK;
}

void dms_picker_offer_split(const dms_offer *offer, uint64_t options, dms_picker_split *out)
{
    int64_t price = 0;
    for (size_t i = 0; i < offer->noptions; i++)
        if ((options & BIT(i)) && offer->options[i].eligible)
            price += offer->options[i].price;
    dms_picker_split_price(&offer->policy->segments[offer->segment], price, out);
}

/* ---- exact set selection ------------------------------------------------- */

int64_t dms_picker_charge_of(const dms_picker_charge *charge, int64_t cost)
{
    if (charge == NULL || cost <= charge->free || charge->rate <= 0.0)
        return 0;
    int64_t rest = cost - charge->free;
    int64_t part = (int64_t)llround((double)rest * charge->rate);
    return part < rest ? part : rest;
}

/* The ranking: net down (value when nothing is charged), cost up, mask up. */
static bool set_better(const dms_picker_set *a, const dms_picker_set *b)
{
    if (a->net != b->net)
        return a->net > b->net;
    if (a->cost != b->cost)
        return a->cost < b->cost;
    return a->mask < b->mask;
}

typedef struct top_list {
    size_t cap, n;
    dms_picker_set *sets;
} top_list;

static void top_insert(top_list *t, dms_picker_set s)
{
    if (t->n == t->cap && !set_better(&s, &t->sets[t->n - 1]))
        return;
    size_t i = t->n < t->cap ? t->n++ : t->n - 1;
    while (i > 0 && set_better(&s, &t->sets[i - 1])) {
        t->sets[i] = t->sets[i - 1];
        i--;
    }
    t->sets[i] = s;
}

static int check_items(const dms_picker_item *items, size_t n, size_t max_n, int64_t capacity,
                       size_t nbest, const dms_picker_set *best, const size_t *nfound,
                       dms_error *err)
{
    if (items == NULL && n > 0)
        return dms_error_set(err, DMS_EINVAL, "/items", "no items");
    if (n > max_n)
        return dms_error_set(err, DMS_ETOOBIG, "/items", "at most %zu items", max_n);
    if (nbest < 1 || nbest > DMS_PICKER_MAX_BEST || best == NULL || nfound == NULL)
        return dms_error_set(err, DMS_EINVAL, "/nbest", "ask for 1 to %d sets",
                             DMS_PICKER_MAX_BEST);
    if (capacity < 0)
        return dms_error_set(err, DMS_EINVAL, "/capacity", "capacity must not be negative");
    uint64_t all = n == 64 ? ~UINT64_C(0) : BIT(n) - 1;
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "/items/%zu", i);
        if (items[i].cost < 0 || items[i].value < 0 || items[i].cost > INT64_MAX / 128 ||
            items[i].value > INT64_MAX / 128)
            return dms_error_set(err, DMS_EINVAL, path, "cost and value must be in [0, 2^56]");
        if ((items[i].requires | items[i].excludes) & ~all)
            return dms_error_set(err, DMS_EINVAL, path, "requires or excludes a missing item");
    }
    return DMS_OK;
}

typedef struct solver {
    const dms_picker_item *items;
    size_t n;
    int64_t capacity;
    const dms_picker_charge *charge; /* NULL: nothing charged */
    size_t order[DMS_PICKER_MAX_ITEMS];
    uint64_t closure[DMS_PICKER_MAX_ITEMS];   /* item and its transitive requirements */
    uint64_t excl[DMS_PICKER_MAX_ITEMS];      /* symmetric exclusions of the item */
    uint64_t exclosure[DMS_PICKER_MAX_ITEMS]; /* exclusions of anything in its closure */
    top_list top;
    unsigned long long nodes, max_nodes;
    bool overflow;
    uint64_t chosen, rejected, forbidden;
    int64_t cost, value;
} solver;

static void solver_prepare(solver *s)
{
    size_t n = s->n;
    for (size_t i = 0; i < n; i++)
        s->excl[i] = s->items[i].excludes;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (s->items[i].excludes & BIT(j))
                s->excl[j] |= BIT(i);
    for (size_t i = 0; i < n; i++)
    s->closure[i] = BIT(i) | s->items[i].requires;
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            uint64_t c = s->closure[i];
            for (size_t j = 0; j < n; j++)
                if (c & BIT(j))
            c |= s->items[j].requires;
            changed |= c != s->closure[i];
            s->closure[i] = c;
        }
    }
    for (size_t i = 0; i < n; i++) {
        s->exclosure[i] = 0;
        for (size_t j = 0; j < n; j++)
            if (s->closure[i] & BIT(j))
                s->exclosure[i] |= s->excl[j];
    }
    /* value/cost descending; free items first; ties by index */
    for (size_t i = 0; i < n; i++)
        s->order[i] = i;
    for (size_t i = 1; i < n; i++) {
        size_t k = s->order[i], j = i;
        while (j > 0) {
            const dms_picker_item *a = &s->items[k], *b = &s->items[s->order[j - 1]];
            /* a before b if a.value / a.cost > b.value / b.cost (cross-multiplied) */
            long double lhs = (long double)a->value * (long double)b->cost;
            long double rhs = (long double)b->value * (long double)a->cost;
            bool before = (a->cost == 0 && b->cost != 0) ||
                          (a->cost != 0 && b->cost != 0 && lhs > rhs) ||
                          (a->cost == 0 && b->cost == 0 && a->value > b->value);
            if (!before)
                break;
            s->order[j] = s->order[j - 1];
            j--;
        }
        s->order[j] = k;
    }
}

static bool available(const solver *s, size_t k)
{
    return (s->closure[k] & s->exclosure[k]) == 0 && (s->closure[k] & s->rejected) == 0 &&
           (s->exclosure[k] & s->chosen) == 0 && (s->closure[k] & s->forbidden) == 0;
}

/* The charge without rounding: convex in the cost. */
static long double smooth_charge(const dms_picker_charge *c, int64_t cost)
{
    return cost <= c->free ? 0.0L : (long double)(cost - c->free) * (long double)c->rate;
}

/*
 * An upper bound on the net of any set the node at depth d can reach. No
 * charge: the fractional knapsack bound. With one: the same relaxation with
 * the charge in it, solved greedily in the solver's value/cost order (each
 * unit of cost brings its item's ratio less the charge's slope there, and
 * the slope only grows: 0 on the free part, then the rate), which is exact
 * for the relaxation because the charge without rounding is convex; its
 * rounding is worth at most half a kopeck.
 */
static int64_t solver_bound(const solver *s, size_t d)
{
    int64_t residual = s->capacity - s->cost, left = residual;
    if (s->charge == NULL) {
        int64_t whole = s->value;
        for (size_t pos = d; pos < s->n; pos++) {
            size_t k = s->order[pos];
            const dms_picker_item *it = &s->items[k];
            if ((s->chosen & BIT(k)) || it->cost > residual || !available(s, k))
                continue;
            if (it->cost <= left) {
                left -= it->cost;
                whole += it->value;
            } else {
                long double frac =
                    (long double)it->value * (long double)left / (long double)it->cost;
                return whole + (int64_t)ceill(frac * (1.0L + 1e-15L)) + 1;
            }
        }
        return whole;
    }
    const dms_picker_charge *c = s->charge;
    long double bound = (long double)s->value - smooth_charge(c, s->cost);
    long double room = (long double)left, at = (long double)s->cost;
    for (size_t pos = d; pos < s->n && room > 0.0L; pos++) {
        size_t k = s->order[pos];
        const dms_picker_item *it = &s->items[k];
        if ((s->chosen & BIT(k)) || it->cost > residual || !available(s, k))
            continue;
        if (it->cost == 0) {
            bound += (long double)it->value;
            continue;
        }
        long double ratio = (long double)it->value / (long double)it->cost;
        long double rest = (long double)it->cost; /* of this item still to take */
        while (rest > 0.0L && room > 0.0L) {
            bool on_free = at < (long double)c->free;
            long double slope = on_free ? 0.0L : (long double)c->rate;
            if (ratio <= slope)
                goto done; /* later items have lower ratios, the slope never falls */
            long double take = rest < room ? rest : room;
            if (on_free && (long double)c->free - at < take)
                take = (long double)c->free - at;
            bound += take * (ratio - slope);
            at += take;
            room -= take;
            rest -= take;
        }
    }
done:
    return (int64_t)ceill(bound * (1.0L + 1e-15L)) + 2;
}

static void solver_record(solver *s)
{
    int64_t charge = dms_picker_charge_of(s->charge, s->cost);
    top_insert(&s->top, (dms_picker_set){.mask = s->chosen,
                                         .cost = s->cost,
                                         .value = s->value,
                                         .charge = charge,
                                         .net = s->value - charge});
}

static void solver_dfs(solver *s, size_t d)
{
    if (s->overflow)
        return;
    if (++s->nodes > s->max_nodes) {
        s->overflow = true;
        return;
    }
    while (d < s->n && (s->chosen & BIT(s->order[d])))
        d++;
    if (d == s->n)
        return;
    if (s->top.n == s->top.cap && solver_bound(s, d) < s->top.sets[s->top.cap - 1].net)
        return;
    size_t k = s->order[d];
    if (available(s, k)) {
        uint64_t add = s->closure[k] & ~s->chosen, forbid = 0;
        int64_t cost = 0, value = 0;
        for (uint64_t m = add; m; m &= m - 1) {
            size_t j = (size_t)__builtin_ctzll(m);
            cost += s->items[j].cost;
            value += s->items[j].value;
            forbid |= s->excl[j];
        }
        if (s->cost + cost <= s->capacity) {
            uint64_t chosen = s->chosen, forbidden = s->forbidden;
            s->chosen |= add;
            s->forbidden |= forbid;
            s->cost += cost;
            s->value += value;
            solver_record(s);
            solver_dfs(s, d + 1);
            s->chosen = chosen;
            s->forbidden = forbidden;
            s->cost -= cost;
            s->value -= value;
        }
    }
    s->rejected |= BIT(k);
    solver_dfs(s, d + 1);
    s->rejected &= ~BIT(k);
}

static int check_charge(const dms_picker_charge *charge, dms_error *err)
{
    if (charge != NULL && (charge->free < 0 || !(charge->rate >= 0.0 && charge->rate <= 1.0)))
        return dms_error_set(err, DMS_EINVAL, "/charge",
                             "a charge starts at a cost of 0 or more, at a rate in [0, 1]");
    return DMS_OK;
}

int dms_picker_solve(const dms_picker_item *items, size_t n, int64_t capacity, size_t nbest,
                     unsigned long long max_nodes, dms_picker_set *best, size_t *nfound,
                     unsigned long long *nodes, dms_error *err)
{
    dms_error_clear(err);
    return dms_picker_solve_net(items, n, capacity, NULL, nbest, max_nodes, best, nfound, nodes,
                                err);
}

int dms_picker_solve_net(const dms_picker_item *items, size_t n, int64_t capacity,
                         const dms_picker_charge *charge, size_t nbest,
                         unsigned long long max_nodes, dms_picker_set *best, size_t *nfound,
                         unsigned long long *nodes, dms_error *err)
{
    dms_error_clear(err); /* the first error wins: start from none */
    int status = check_items(items, n, DMS_PICKER_MAX_ITEMS, capacity, nbest, best, nfound, err);
    if (status == DMS_OK)
        status = check_charge(charge, err);
    if (status != DMS_OK)
        return status;
    solver *s = calloc(1, sizeof *s);
    if (s == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory for the solver");
    s->items = items;
    s->n = n;
    s->capacity = capacity;
    s->charge = charge;
    s->max_nodes = max_nodes ? max_nodes : DEFAULT_MAX_NODES;
    s->top = (top_list){.cap = nbest, .sets = best};
    solver_prepare(s);
    solver_record(s); /* the empty set */
    solver_dfs(s, 0);
    *nfound = s->top.n;
    if (nodes != NULL)
        *nodes = s->nodes;
    if (s->overflow)
        status = dms_error_set(err, DMS_ETOOBIG, "/items",
                               "the choice needs more than %llu search steps", s->max_nodes);
    free(s);
    return status;
}

int dms_picker_solve_exhaustive(const dms_picker_item *items, size_t n, int64_t capacity,
                                size_t nbest, dms_picker_set *best, size_t *nfound, dms_error *err)
{
    dms_error_clear(err);
    return dms_picker_solve_exhaustive_net(items, n, capacity, NULL, nbest, best, nfound, err);
}

int dms_picker_solve_exhaustive_net(const dms_picker_item *items, size_t n, int64_t capacity,
                                    const dms_picker_charge *charge, size_t nbest,
                                    dms_picker_set *best, size_t *nfound, dms_error *err)
{
    dms_error_clear(err); /* the first error wins: start from none */
    int status =
        check_items(items, n, DMS_PICKER_EXHAUSTIVE_MAX, capacity, nbest, best, nfound, err);
    if (status == DMS_OK)
        status = check_charge(charge, err);
    if (status != DMS_OK)
        return status;
    uint64_t excl[DMS_PICKER_EXHAUSTIVE_MAX];
    for (size_t i = 0; i < n; i++)
        excl[i] = items[i].excludes;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (items[i].excludes & BIT(j))
                excl[j] |= BIT(i);
    top_list top = {.cap = nbest, .sets = best};
    for (uint64_t mask = 0; mask < BIT(n); mask++) {
        dms_picker_set s = {.mask = mask};
        bool ok = true;
        for (uint64_t m = mask; m && ok; m &= m - 1) {
            size_t i = (size_t)__builtin_ctzll(m);
            ok = (items[i].requires & ~mask) == 0 && (excl[i] & mask) == 0;
            s.cost += items[i].cost;
            s.value += items[i].value;
        }
        if (ok && s.cost <= capacity) {
            s.charge = dms_picker_charge_of(charge, s.cost);
            s.net = s.value - s.charge;
            top_insert(&top, s);
        }
    }
    *nfound = top.n;
    return DMS_OK;
}

/* ---- out of pocket ------------------------------------------------------- */

/* One member and module: the cost of care without cover. */
typedef struct oop_entry {
    size_t member;
    const char *module;
    double uncovered[DMS_USAGE_COUNT];
} oop_entry;

/* One way a member can be covered for a module: base (-1) or an option. */
typedef struct oop_cover {
    size_t entry;
    long option;
    double oop[DMS_USAGE_COUNT];
} oop_cover;

typedef struct oop_table {
    size_t nentries, ncovers;
    oop_entry entries[DMS_PICKER_MAX_MEMBERS * DMS_MODEL_MAX_MODULES];
    oop_cover covers[DMS_PICKER_MAX_MEMBERS * (DMS_PLAN_MAX_MODULES + DMS_POLICY_MAX_OPTIONS)];
} oop_table;

/* Expected cost of care of member for module code at network, and what the
 * member still pays under terms pm (NULL: no cover), per usage level. */
static int member_cost(const dms_offer *offer, size_t member, const char *code, const char *network,
                       const dms_plan_module *pm, double out[DMS_USAGE_COUNT], dms_error *err)
{
    const dms_model_module *mod = dms_model_find(offer->model, code);
    const dms_tariff_module *tm = dms_tariff_find_module(offer->tariff, code);
    const dms_network *net = dms_tariff_find_network(offer->tariff, network);
    if (mod == NULL || tm == NULL || net == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "module '%s' or network '%s' is not in the tariff and model", code,
                             network);
    const dms_person *p = offer->household.members[member];
    const dms_region *region = NULL;
    if (dms_tariff_region_lookup(offer->tariff, p->region, &region, NULL) != DMS_OK)
        region = &offer->tariff->regions[offer->tariff->fallback_region];
    dms_model_adjust adj = dms_model_adjust_neutral();
    adj.network_frequency = net->frequency_factor;
    adj.network_cost = net->cost_factor;
    adj.region = region->factor;
    size_t band;
    int status;
    if ((status = dms_model_trend_years(offer->model, offer->policy->period_from,
                                        offer->policy->period_to, &adj.trend_years, err)) !=
            DMS_OK ||
        (status = dms_model_age_band(offer->model, offer->ages[member], &band, err)) != DMS_OK)
        return status;
    dms_aggregate_spec spec = dms_aggregate_spec_default();
    if (pm != NULL) {
        spec.cov.deductible =
            pm->set_terms & DMS_TERM_DEDUCTIBLE ? pm->cov.deductible : tm->deductible;
        spec.cov.franchise = pm->cov.franchise;
        spec.cov.copay = pm->set_terms & DMS_TERM_COPAY ? pm->cov.copay : tm->copay;
        spec.cov.claim_limit =
            pm->set_terms & DMS_TERM_CLAIM_LIMIT ? pm->cov.claim_limit : tm->claim_limit;
        spec.annual_limit =
            pm->set_terms & DMS_TERM_ANNUAL_LIMIT ? pm->annual_limit : tm->annual_limit;
    }
    for (int u = 0; u < DMS_USAGE_COUNT; u++) {
        adj.scenario = (dms_scenario){dms_picker_usage_factor[u], 1.0};
        dms_model_rated rated;
        if ((status = dms_model_rate(offer->model, mod, band, (int)p->sex, &adj, &rated, err)) !=
            DMS_OK)
            return status;
        if (mod->type == DMS_MODULE_FLAT) {
            out[u] = pm != NULL ? 0.0 : rated.flat_cost * dms_picker_usage_factor[u];
            continue;
        }
        double full = dms_model_rated_pure(mod, &rated);
        if (pm == NULL) {
            out[u] = full;
            continue;
        }
        spec.freq = rated.frequency;
        spec.sev = rated.severity;
        spec.cap_at_limit = true;
        spec.span_divisor = OOP_SPAN_DIVISOR;
        double paid, variance;
        if (isinf(spec.annual_limit)) {
            dms_aggregate_moments(&spec, &paid, &variance);
        } else {
            dms_aggdist *dist = NULL;
            if ((status = dms_aggregate_compute(&spec, &dist, err)) != DMS_OK)
                return status;
            paid = dms_aggdist_limited_mean(dist, spec.annual_limit);
            dms_aggdist_free(dist);
        }
        out[u] = full > paid ? full - paid : 0.0;
    }
    return DMS_OK;
}

static long find_entry(const oop_table *t, size_t member, const char *code)
{
    for (size_t e = 0; e < t->nentries; e++)
        if (t->entries[e].member == member && strcmp(t->entries[e].module, code) == 0)
            return (long)e;
    return -1;
}

static int add_cover(oop_table *t, const dms_offer *offer, size_t member, const dms_plan_module *pm,
                     const char *network, long option, dms_error *err)
{
    const dms_policy_segment *seg = &offer->policy->segments[offer->segment];
    long e = find_entry(t, member, pm->code);
    int status;
    if (e < 0) {
        oop_entry *entry = &t->entries[t->nentries];
        entry->member = member;
        entry->module = pm->code;
        if ((status = member_cost(offer, member, pm->code, seg->network, NULL, entry->uncovered,
                                  err)) != DMS_OK)
            return status;
        e = (long)t->nentries++;
    }
    oop_cover *c = &t->covers[t->ncovers];
    c->entry = (size_t)e;
    c->option = option;
    if ((status = member_cost(offer, member, pm->code, network, pm, c->oop, err)) != DMS_OK)
        return status;
    t->ncovers++;
    return DMS_OK;
}

static int oop_table_build(const dms_offer *offer, oop_table *t, dms_error *err)
{
    const dms_policy *policy = offer->policy;
    const dms_policy_segment *seg = &policy->segments[offer->segment];
    int status;
    t->nentries = t->ncovers = 0;
    for (size_t m = 0; m < seg->nbase; m++)
        if ((status = add_cover(t, offer, 0, &seg->base[m], seg->network, -1, err)) != DMS_OK)
            return status;
    for (size_t i = 0; i < offer->noptions; i++) {
        if (!offer->options[i].eligible)
            continue;
        for (size_t member = 0; member < offer->household.nmembers; member++)
            if (offer->options[i].covered & (1u << member))
                if ((status = add_cover(t, offer, member, &policy->options[i].module,
                                        dms_policy_option_network(policy, offer->segment, i),
                                        (long)i, err)) != DMS_OK)
                    return status;
    }
    return DMS_OK;
}

static void oop_sum(const oop_entry *entries, size_t nentries, const oop_cover *covers,
                    size_t ncovers, uint64_t options, double out[DMS_USAGE_COUNT])
{
    for (int u = 0; u < DMS_USAGE_COUNT; u++) {
        out[u] = 0.0;
        for (size_t e = 0; e < nentries; e++) {
            double best = entries[e].uncovered[u];
            bool covered = false;
            for (size_t c = 0; c < ncovers; c++) {
                const oop_cover *cv = &covers[c];
                if (cv->entry != e || (cv->option >= 0 && !(options & BIT(cv->option))))
                    continue;
                if (!covered || cv->oop[u] < best)
                    best = cv->oop[u];
                covered = true;
            }
            out[u] += best;
        }
    }
}

/* The table of an offer, only its used rows, in one block (see picker.h). */
struct dms_picker_oop {
    uint64_t eligible;
    size_t nentries, ncovers;
    oop_entry *entries;
    oop_cover *covers;
};

int dms_picker_oop_build(const dms_offer *offer, dms_picker_oop **out, dms_error *err)
{
    dms_error_clear(err);
    *out = NULL;
    oop_table *t = malloc(sizeof *t);
    if (t == NULL)
        return dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
    int status = oop_table_build(offer, t, err);
    if (status == DMS_OK) {
        /* The full table is ~100 KB; the used rows of a household a few KB,
         * which is what a server keeps per employee. */
        dms_picker_oop *o =
            malloc(sizeof *o + t->nentries * sizeof(oop_entry) + t->ncovers * sizeof(oop_cover));
        if (o == NULL) {
            status = dms_error_set(err, DMS_ENOMEM, NULL, "no memory");
        } else {
            o->eligible = offer->eligible;
            o->nentries = t->nentries;
            o->ncovers = t->ncovers;
            o->entries = (oop_entry *)(void *)(o + 1);
            o->covers = (oop_cover *)(void *)(o->entries + t->nentries);
            memcpy(o->entries, t->entries, t->nentries * sizeof(oop_entry));
            memcpy(o->covers, t->covers, t->ncovers * sizeof(oop_cover));
            *out = o;
        }
    }
    free(t);
    return status;
}

void dms_picker_oop_sum(const dms_picker_oop *oop, uint64_t options, double out[DMS_USAGE_COUNT])
{
    oop_sum(oop->entries, oop->nentries, oop->covers, oop->ncovers, options & oop->eligible, out);
}

void dms_picker_oop_free(dms_picker_oop *oop)
{
    free(oop);
}

int dms_picker_out_of_pocket(const dms_offer *offer, uint64_t options, double out[DMS_USAGE_COUNT],
                             dms_error *err)
{
    dms_error_clear(err);
    dms_picker_oop *oop = NULL;
    int status = dms_picker_oop_build(offer, &oop, err);
    if (status == DMS_OK)
        dms_picker_oop_sum(oop, options, out);
    dms_picker_oop_free(oop);
    return status;
}

/* ---- recommendation ------------------------------------------------------ */

/* Roubles given to narrow the light-to-heavy-year spread by one: none, a
 * tenth, a quarter, a half (see picker.h). */
const double dms_picker_risk_weight[DMS_PICKER_RISK_MAX + 1] = {0.0, 0.1, 0.25, 0.5};

dms_picker_questionnaire dms_picker_questionnaire_default(void)
{
    dms_picker_questionnaire q;
    memset(&q, 0, sizeof q);
    q.default_priority = DMS_PICKER_PRIORITY_PAR;
    q.top_up_limit = -1.0;
    return q;
}

/* Priority of each option from the answers (an answer for the option's own
 * code wins over one for its module; the last answer for a code counts);
 * checks the answers. */
static int priorities(const dms_policy *policy, const dms_picker_questionnaire *q, int *prio,
                      dms_error *err)
{
    char path[64];
    if (q->default_priority < 0 || q->default_priority > DMS_PICKER_PRIORITY_MAX)
        return dms_error_set(err, DMS_EINVAL, "/default_priority", "priorities are 0 to 5");
    if (q->risk < 0 || q->risk > DMS_PICKER_RISK_MAX)
        return dms_error_set(err, DMS_EINVAL, "/risk", "the risk answer is 0 to %d",
                             DMS_PICKER_RISK_MAX);
    if (q->nanswers > DMS_PICKER_MAX_ANSWERS)
        return dms_error_set(err, DMS_ETOOBIG, "/answers", "at most %d answers",
                             DMS_PICKER_MAX_ANSWERS);
    for (size_t a = 0; a < q->nanswers; a++) {
        const dms_picker_answer *ans = &q->answers[a];
        if (ans->priority < 0 || ans->priority > 5) {
            snprintf(path, sizeof path, "/answers/%zu/priority", a);
            return dms_error_set(err, DMS_EINVAL, path, "priorities are 0 to 5, not %d",
                                 ans->priority);
        }
        bool named = false;
        for (size_t i = 0; i < policy->noptions && !named; i++)
            named = strcmp(policy->options[i].code, ans->code) == 0 ||
                    strcmp(policy->options[i].module.code, ans->code) == 0;
        if (!named) {
            snprintf(path, sizeof path, "/answers/%zu/code", a);
            return dms_error_set(err, DMS_EINVAL, path,
                                 "'%.40s' names no option or module of the policy", ans->code);
        }
    }
    for (size_t i = 0; i < policy->noptions; i++) {
        int by_code = -1, by_module = -1;
        for (size_t a = 0; a < q->nanswers; a++) {
            if (strcmp(policy->options[i].code, q->answers[a].code) == 0)
                by_code = q->answers[a].priority;
            if (strcmp(policy->options[i].module.code, q->answers[a].code) == 0)
                by_module = q->answers[a].priority;
        }
        prio[i] = by_code >= 0 ? by_code : by_module >= 0 ? by_module : q->default_priority;
    }
    return DMS_OK;
}

/* Spread of the household's out-of-pocket cost between a heavy and a light
 * year (high and low usage) under a set of options, roubles. */
static double oop_spread(const dms_picker_oop *t, uint64_t options)
{
    double oop[DMS_USAGE_COUNT];
    oop_sum(t->entries, t->nentries, t->covers, t->ncovers, options, oop);
    return oop[DMS_USAGE_HIGH] - oop[DMS_USAGE_LOW];
}

/* Money for people: "12 345,67 ₽" (ru) or "12,345.67 ₽" (en), kopecks exact. */
static void format_money(int64_t kopecks, bool ru, char *buf, size_t size)
{
    char digits[32];
    bool negative = kopecks < 0;
    uint64_t k = negative ? (uint64_t)0 - (uint64_t)kopecks : (uint64_t)kopecks;
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)(k / 100));
    char whole[48];
    size_t w = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) {
            if (ru) { /* a no-break space, as Russian typesetting wants */
                whole[w++] = (char)0xC2;
                whole[w++] = (char)0xA0;
            } else {
                whole[w++] = ',';
            }
        }
        whole[w++] = digits[i];
    }
    whole[w] = '\0';
    snprintf(buf, size, "%s%s%c%02llu\u00a0₽", negative ? "−" : "", whole, ru ? ',' : '.',
             (unsigned long long)(k % 100));
}

/*
 * Appends to the text in buf (size bytes) like snprintf; when it does not
 * fit, cuts at a character boundary and ends with "…", so that the text stays
 * valid UTF-8 (JSON encoders refuse anything else).
 */
static void append_text(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append_text(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
    if (n < 0 || len + (size_t)n < size)
        return;
    size_t end = size - 1 > 3 ? size - 4 : 0; /* room for "…" */
    while (end > 0 && ((unsigned char)buf[end] & 0xC0) == 0x80)
        end--; /* back to the lead byte of a character, which is cut off too */
    snprintf(buf + end, size - end, "%s", "…");
}

/* Appends the names of the options in mask, comma-separated, to buf. */
static void append_names(const dms_policy *policy, uint64_t mask, bool ru, char *buf, size_t size)
{
    bool first = true;
    for (size_t i = 0; i < policy->noptions; i++) {
        if (!(mask & BIT(i)))
            continue;
        append_text(buf, size, "%s«%s»", first ? "" : ", ",
                    ru ? policy->options[i].name_ru : policy->options[i].name_en);
        first = false;
    }
}

/* The reason choices[0] wins over choices[1], in Russian and English. */
static void explain(const dms_offer *offer, dms_recommendation *r)
{
    const dms_policy *policy = offer->policy;
    for (int lang = 0; lang < 2; lang++) {
        bool ru = lang == 0;
        char *out = ru ? r->reason_ru : r->reason_en;
        size_t size = DMS_PICKER_REASON_MAX;
        const dms_picker_choice *a = &r->choices[0];
        if (r->nchoices < 2) {
            snprintf(out, size, "%s",
                     ru ? "Это единственный набор, который укладывается в ваш бюджет."
                        : "This is the only set that fits your budget.");
            continue;
        }
        const dms_picker_choice *b = &r->choices[1];
        char gain[64], va[64], vb[64], da[64], db[64], what[DMS_PICKER_REASON_MAX / 2] = "";
        format_money(a->net - b->net, ru, gain, sizeof gain);
        format_money(a->value, ru, va, sizeof va);
        format_money(b->value, ru, vb, sizeof vb);
        format_money(a->split.employee, ru, da, sizeof da);
        format_money(b->split.employee, ru, db, sizeof db);
        uint64_t plus = a->options & ~b->options, minus = b->options & ~a->options;
        if (plus != 0) {
            append_text(what, sizeof what, "%s", ru ? "в нём есть " : "it has ");
            append_names(policy, plus, ru, what, sizeof what);
            if (minus != 0) {
                append_text(what, sizeof what, "%s", ru ? " вместо " : " instead of ");
                append_names(policy, minus, ru, what, sizeof what);
            }
        } else {
            append_text(what, sizeof what, "%s", ru ? "в нём нет " : "it leaves out ");
            append_names(policy, minus, ru, what, sizeof what);
        }
        out[0] = '\0';
        if (a->net == b->net)
            append_text(out, size, "%s: %s.",
                        ru ? "Для вас он так же выгоден, как второй вариант, но дешевле"
                           : "It is as good for you as the runner-up, and cheaper",
                        what);
        else if (ru)
            append_text(out, size,
                        "Выгоднее второго варианта на %s в год: %s. По вашим приоритетам его "
                        "покрытие стоит для вас %s в год (у второго варианта %s), удержание из "
                        "зарплаты %s в год (у второго варианта %s).",
                        gain, what, va, vb, da, db);
        else
            append_text(out, size,
                        "Better for you than the runner-up by %s a year: %s. By your priorities "
                        "its cover is worth %s a year to you (runner-up: %s) and it takes %s a "
                        "year from your salary (runner-up: %s).",
                        gain, what, va, vb, da, db);
    }
}

int dms_picker_recommend_oop(const dms_offer *offer, const dms_picker_oop *t,
                             const dms_picker_questionnaire *q, size_t nbest,
                             dms_recommendation *out, dms_error *err)
{
    dms_error_clear(err); /* the first error wins: start from none */
    memset(out, 0, sizeof *out);
    if (offer == NULL || t == NULL || q == NULL || offer->policy == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "no offer or questionnaire");
    if (nbest < 1 || nbest > DMS_PICKER_MAX_BEST)
        return dms_error_set(err, DMS_EINVAL, "/nbest", "ask for 1 to %d sets",
                             DMS_PICKER_MAX_BEST);
    const dms_policy *policy = offer->policy;
    int prio[DMS_POLICY_MAX_OPTIONS];
    int status = priorities(policy, q, prio, err);
    if (status != DMS_OK)
        return status;
    /* candidates: eligible, wanted, and needing nothing unwanted */
    uint64_t wanted = 0;
    for (size_t i = 0; i < offer->noptions; i++)
        if ((offer->eligible & BIT(i)) && prio[i] > 0)
            wanted |= BIT(i);
    for (size_t i = 0; i < offer->noptions; i++)
        if (policy->options[i].closure & ~wanted)
            wanted &= ~BIT(i);
    /* An option's worth: its expected claims paid plus the risk weight times
     * the spread it narrows on its own, scaled by priority / 3. Worths add
     * over options (as expected claims do); the figures shown for a set are
     * computed for the set as a whole. */
    double rho = dms_picker_risk_weight[q->risk];
    double spread_none = oop_spread(t, 0);
    dms_picker_item items[DMS_PICKER_MAX_ITEMS];
    size_t option_of[DMS_PICKER_MAX_ITEMS], item_of[DMS_POLICY_MAX_OPTIONS], n = 0;
    for (size_t i = 0; i < offer->noptions; i++)
        if (wanted & BIT(i)) {
            double narrowed = rho > 0.0 ? spread_none - oop_spread(t, BIT(i)) : 0.0;
            if (narrowed < 0.0)
                narrowed = 0.0;
            item_of[i] = n;
            option_of[n] = i;
            items[n].cost = offer->options[i].price;
            items[n].value = (int64_t)llround(
                (double)prio[i] * ((double)offer->options[i].claims + 100.0 * rho * narrowed) /
                DMS_PICKER_PRIORITY_PAR);
            n++;
        }
    for (size_t k = 0; k < n; k++) {
        const dms_policy_option *o = &policy->options[option_of[k]];
        items[k].requires = items[k].excludes = 0;
        for (size_t j = 0; j < offer->noptions; j++) {
            if (!(wanted & BIT(j)))
                continue;
            if (o->requires & BIT(j))
            items[k].requires |= BIT(item_of[j]);
            if (o->excludes & BIT(j))
                items[k].excludes |= BIT(item_of[j]);
        }
    }
    const dms_policy_segment *seg = &policy->segments[offer->segment];
    out->capacity =
        dms_picker_capacity(seg, q->top_up_limit < 0 ? -1 : to_kopecks(q->top_up_limit));
    /* the employee's own part of a price: credits first, then their share */
    dms_picker_charge charge = {.free = to_kopecks(seg->flex_budget),
                                .rate = 1.0 - seg->employer_share};
    if (charge.rate < 0.0)
        charge.rate = 0.0;
    dms_picker_set sets[DMS_PICKER_MAX_BEST];
    size_t found = 0;
    status = dms_picker_solve_net(items, n, out->capacity, &charge, nbest, 0, sets, &found,
                                  &out->nodes, err);
    for (size_t s = 0; s < found && status == DMS_OK; s++) {
        dms_picker_choice *c = &out->choices[s];
        for (size_t k = 0; k < n; k++)
            if (sets[s].mask & BIT(k))
                c->options |= BIT(option_of[k]);
        c->value = sets[s].value;
        dms_picker_offer_split(offer, c->options, &c->split);
        c->net = c->value - c->split.employee;
        oop_sum(t->entries, t->nentries, t->covers, t->ncovers, c->options, c->out_of_pocket);
        for (int u = 0; u < DMS_USAGE_COUNT; u++)
            c->total_cost[u] = c->split.employee + to_kopecks(c->out_of_pocket[u]);
        out->nchoices = s + 1;
    }
    if (status == DMS_OK)
        explain(offer, out);
    return status;
}

int dms_picker_recommend(const dms_offer *offer, const dms_picker_questionnaire *q, size_t nbest,
                         dms_recommendation *out, dms_error *err)
{
    dms_error_clear(err);
    dms_picker_oop *t = NULL;
    /* Bad arguments are reported by dms_picker_recommend_oop, before any work. */
    if (offer != NULL && q != NULL && offer->policy != NULL) {
        int status = dms_picker_oop_build(offer, &t, err);
        if (status != DMS_OK) {
            memset(out, 0, sizeof *out);
            return status;
        }
    }
    int status = dms_picker_recommend_oop(offer, t, q, nbest, out, err);
    dms_picker_oop_free(t);
    return status;
}

/* ---- election ------------------------------------------------------------ */

static const char *const fault_names[] = {
    "unknown_option", "duplicate",   "not_eligible",  "missing_requirement",
    "excluded",       "over_budget", "window_closed", "bad_date",
};

const char *dms_election_fault_name(enum dms_election_fault_kind kind)
{
    return (unsigned)kind < sizeof fault_names / sizeof fault_names[0] ? fault_names[kind] : "?";
}

static void add_fault(dms_election_check *out, enum dms_election_fault_kind kind, int code,
                      const char *path, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add_fault(dms_election_check *out, enum dms_election_fault_kind kind, int code,
                      const char *path, const char *fmt, ...)
{
    if (out->nfaults == DMS_ELECTION_MAX_FAULTS) {
        out->dropped++;
        return;
    }
    dms_election_fault *f = &out->faults[out->nfaults++];
    f->kind = kind;
    dms_error_clear(&f->error);
    va_list ap;
    va_start(ap, fmt);
    dms_error_vset(&f->error, code, path, fmt, ap);
    va_end(ap);
}

static void check_window(const dms_offer *offer, const dms_election_request *req,
                         dms_election_check *out)
{
    const dms_policy *policy = offer->policy;
    long day, event;
    if (req->date == NULL || !dms_date_parse(req->date, &day)) {
        add_fault(out, DMS_FAULT_BAD_DATE, DMS_EINVAL, "/date",
                  "дата подачи должна быть в формате ГГГГ-ММ-ДД / the date must be YYYY-MM-DD");
        return;
    }
    if (day >= policy->opens_day && day <= policy->closes_day)
        return;
    if (req->life_event_date != NULL) {
        if (!dms_date_parse(req->life_event_date, &event)) {
            add_fault(out, DMS_FAULT_BAD_DATE, DMS_EINVAL, "/life_event_date",
                      "дата события должна быть в формате ГГГГ-ММ-ДД / the event date must be "
                      "YYYY-MM-DD");
            return;
        }
        if (event >= policy->period_from_day && event <= policy->period_to_day && day >= event &&
            day <= event + policy->life_event_days)
            return;
        add_fault(out, DMS_FAULT_WINDOW_CLOSED, DMS_ECONFLICT, "/date",
                  "выбор после жизненного события открыт %d дней с даты события в период "
                  "страхования / a life event re-opens the choice for %d days from the event, "
                  "within the period",
                  policy->life_event_days, policy->life_event_days);
        return;
    }
    add_fault(out, DMS_FAULT_WINDOW_CLOSED, DMS_ECONFLICT, "/date",
              "окно выбора открыто с %s по %s / the enrolment window is open from %s to %s",
              policy->enrolment_opens, policy->enrolment_closes, policy->enrolment_opens,
              policy->enrolment_closes);
}

int dms_election_validate(const dms_offer *offer, const dms_election_request *req,
                          dms_election_check *out, dms_error *err)
{
    dms_error_clear(err);
    memset(out, 0, sizeof *out);
    if (offer == NULL || offer->policy == NULL || req == NULL ||
        (req->options == NULL && req->noptions > 0))
        return dms_error_set(err, DMS_EINVAL, NULL, "no offer or election");
    const dms_policy *policy = offer->policy;
    char path[64];
    long index[DMS_POLICY_MAX_OPTIONS * 2];
    if (req->noptions > DMS_POLICY_MAX_OPTIONS * 2)
        return dms_error_set(err, DMS_ETOOBIG, "/options", "at most %d options",
                             DMS_POLICY_MAX_OPTIONS);
    size_t at_of[DMS_POLICY_MAX_OPTIONS];
    for (size_t i = 0; i < req->noptions; i++) {
        snprintf(path, sizeof path, "/options/%zu", i);
        const char *code = req->options[i] != NULL ? req->options[i] : "";
        index[i] = dms_policy_find_option(policy, code);
        if (index[i] < 0) {
            add_fault(out, DMS_FAULT_UNKNOWN_OPTION, DMS_ENOTFOUND, path,
                      "нет опции «%.64s» / there is no option '%.64s'", code, code);
            continue;
        }
        if (out->options & BIT(index[i])) {
            add_fault(out, DMS_FAULT_DUPLICATE, DMS_EINVAL, path,
                      "опция «%s» выбрана дважды / option '%s' is chosen twice", code, code);
            index[i] = -1;
            continue;
        }
        out->options |= BIT(index[i]);
        at_of[index[i]] = i;
    }
    for (size_t i = 0; i < req->noptions; i++) {
        if (index[i] < 0)
            continue;
        size_t k = (size_t)index[i];
        const dms_policy_option *o = &policy->options[k];
        snprintf(path, sizeof path, "/options/%zu", i);
        if (!offer->options[k].eligible) {
            enum dms_picker_reason r = offer->options[k].reason;
            add_fault(out, DMS_FAULT_NOT_ELIGIBLE, DMS_EFORBIDDEN, path,
                      "«%s» недоступна: %s / '%s' is not available: %s", o->name_ru,
                      dms_picker_reason_text(r, "ru"), o->name_en, dms_picker_reason_text(r, "en"));
            continue;
        }
        uint64_t missing = o->requires & ~out->options;
        for (; missing; missing &= missing - 1) {
            const dms_policy_option *need = &policy->options[__builtin_ctzll(missing)];
            add_fault(out, DMS_FAULT_MISSING_REQUIREMENT, DMS_EINVAL, path,
                      "«%s» требует опцию «%s» / '%s' requires '%s'", o->name_ru, need->name_ru,
                      o->name_en, need->name_en);
        }
        uint64_t clash = o->excludes & out->options;
        for (; clash; clash &= clash - 1) {
            size_t j = (size_t)__builtin_ctzll(clash);
            if (at_of[j] < i) /* report each pair once, at the later one */
                add_fault(out, DMS_FAULT_EXCLUDED, DMS_EINVAL, path,
                          "«%s» нельзя выбрать вместе с «%s» (/options/%zu) / '%s' cannot be "
                          "chosen with '%s' (/options/%zu)",
                          o->name_ru, policy->options[j].name_ru, at_of[j], o->name_en,
                          policy->options[j].name_en, at_of[j]);
        }
    }
    dms_picker_offer_split(offer, out->options, &out->split);
    if (!out->split.within_cap) {
        const dms_policy_segment *seg = &policy->segments[offer->segment];
        double employee = (double)out->split.employee / 100.0;
        add_fault(
            out, DMS_FAULT_OVER_BUDGET, DMS_EINVAL, "/options",
            "доплата %.2f ₽ в год больше лимита %.2f ₽ / the salary "
            "top-up "
            "%.2f "
            "RUB "
            "a "
            "year "
            "is over the cap of %.2f RUB",
            employee, seg->top_up_cap, employee, seg->top_up_cap);
    }
    check_window(offer, req, out);
    if (out->nfaults == 0)
        return DMS_OK;
    if (err != NULL && err->code == DMS_OK)
        *err = out->faults[0].error;
    return DMS_EINVAL;
}

/* ---- status machine ------------------------------------------------------ */

static const char *const status_en[] = {"draft", "submitted", "accepted", "issued", "rejected"};
static const char *const status_ru[] = {"черновик", "подана", "принята", "оформлена", "отклонена"};
static const char *const event_en[] = {"none", "birth", "marriage"};
static const char *const event_ru[] = {"нет", "рождение ребёнка", "вступление в брак"};

const char *dms_election_status_name(enum dms_election_status status)
{
    return (unsigned)status < DMS_ELECTION_STATUS_COUNT ? status_en[status] : "?";
}

const char *dms_election_status_name_ru(enum dms_election_status status)
{
    return (unsigned)status < DMS_ELECTION_STATUS_COUNT ? status_ru[status] : "?";
}

/* Case-insensitive for ASCII and the Cyrillic letters the names use
 * (UTF-8 upper case А..Я is D0 90..D0 AF, lower а..п D0 B0..BF, р..я D1 80..8F). */
static bool same_text(const char *a, const char *b)
{
    char fa[128], fb[128];
    const char *src[2] = {a, b};
    char *dst[2] = {fa, fb};
    for (int k = 0; k < 2; k++) {
        const unsigned char *s = (const unsigned char *)src[k];
        size_t n = 0;
        while (*s && n + 2 < sizeof fa) {
            if (s[0] == 0xD0 && s[1] >= 0x90 && s[1] <= 0x9F) {
                dst[k][n++] = (char)0xD0;
                dst[k][n++] = (char)(s[1] + 0x20);
                s += 2;
            } else if (s[0] == 0xD0 && s[1] >= 0xA0 && s[1] <= 0xAF) {
                dst[k][n++] = (char)0xD1;
                dst[k][n++] = (char)(s[1] - 0x20);
                s += 2;
            } else {
                dst[k][n++] = (char)tolower(*s);
                s++;
            }
        }
        if (*s)
            return false;
        dst[k][n] = '\0';
    }
    return strcmp(fa, fb) == 0;
}

bool dms_election_status_from_text(const char *text, enum dms_election_status *out)
{
    for (int s = 0; text != NULL && s < DMS_ELECTION_STATUS_COUNT; s++)
        if (same_text(text, status_en[s]) || same_text(text, status_ru[s])) {
            *out = (enum dms_election_status)s;
            return true;
        }
    return false;
}

const char *dms_life_event_name(enum dms_life_event event)
{
    return (unsigned)event < DMS_LIFE_EVENT_COUNT ? event_en[event] : "?";
}

const char *dms_life_event_name_ru(enum dms_life_event event)
{
    return (unsigned)event < DMS_LIFE_EVENT_COUNT ? event_ru[event] : "?";
}

bool dms_life_event_from_text(const char *text, enum dms_life_event *out)
{
    for (int e = 1; text != NULL && e < DMS_LIFE_EVENT_COUNT; e++)
        if (same_text(text, event_en[e]) || same_text(text, event_ru[e])) {
            *out = (enum dms_life_event)e;
            return true;
        }
    return false;
}

bool dms_election_transition_allowed(enum dms_election_status from, enum dms_election_status to,
                                     bool life_event)
{
    switch (from) {
    case DMS_ELECTION_DRAFT:
        return to == DMS_ELECTION_SUBMITTED;
    case DMS_ELECTION_SUBMITTED:
        return to == DMS_ELECTION_DRAFT || to == DMS_ELECTION_ACCEPTED ||
               to == DMS_ELECTION_REJECTED;
    case DMS_ELECTION_ACCEPTED:
        return to == DMS_ELECTION_ISSUED || to == DMS_ELECTION_REJECTED;
    case DMS_ELECTION_REJECTED:
        return to == DMS_ELECTION_DRAFT;
    case DMS_ELECTION_ISSUED:
        return to == DMS_ELECTION_DRAFT && life_event;
    default:
        return false;
    }
}

static bool blank(const char *s)
{
    if (s == NULL)
        return true;
    while (*s == ' ' || *s == '\t')
        s++;
    return *s == '\0';
}

int dms_election_transition(enum dms_election_status from, int version,
                            const dms_election_change *change, dms_election_history *entry,
                            dms_error *err)
{
    dms_error_clear(err);
    if (change == NULL || entry == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "no change");
    memset(entry, 0, sizeof *entry);
    enum dms_election_status to = change->to;
    if ((unsigned)from >= DMS_ELECTION_STATUS_COUNT || (unsigned)to >= DMS_ELECTION_STATUS_COUNT)
        return dms_error_set(err, DMS_EINVAL, "/status", "unknown status");
    if ((unsigned)change->life_event >= DMS_LIFE_EVENT_COUNT)
        return dms_error_set(err, DMS_EINVAL, "/life_event", "unknown life event");
    if (blank(change->actor))
        return dms_error_set(err, DMS_EINVAL, "/actor", "who makes the change must be known");
    long day;
    char date[11];
    if (change->at == NULL || strlen(change->at) < 10 ||
        (snprintf(date, sizeof date, "%.10s", change->at), !dms_date_parse(date, &day)))
        return dms_error_set(err, DMS_EINVAL, "/at", "the time must be ISO 8601 (YYYY-MM-DD...)");
    bool reopen = from == DMS_ELECTION_ISSUED && to == DMS_ELECTION_DRAFT;
    if (reopen && change->life_event == DMS_LIFE_EVENT_NONE)
        return dms_error_set(err, DMS_EINVAL, "/life_event",
                             "оформленный выбор открывается заново только жизненным событием "
                             "(рождение ребёнка, брак) / an issued election re-opens only for a "
                             "life event (birth, marriage)");
    if (change->life_event != DMS_LIFE_EVENT_NONE && !reopen)
        return dms_error_set(err, DMS_ECONFLICT, "/status",
                             "жизненное событие открывает заново только оформленный выбор, а "
                             "этот — «%s» / a life event re-opens only an issued election, this "
                             "one is '%s'",
                             status_ru[from], status_en[from]);
    if (!dms_election_transition_allowed(from, to, change->life_event != DMS_LIFE_EVENT_NONE))
        return dms_error_set(err, DMS_ECONFLICT, "/status",
                             "нельзя перейти из «%s» в «%s» / cannot go from '%s' to '%s'",
                             status_ru[from], status_ru[to], status_en[from], status_en[to]);
    if (to == DMS_ELECTION_REJECTED && blank(change->reason))
        return dms_error_set(err, DMS_EINVAL, "/reason",
                             "отклонение требует причины / a rejection needs a reason");
    entry->version = reopen ? version + 1 : version;
    entry->from = from;
    entry->to = to;
    entry->life_event = reopen ? change->life_event : DMS_LIFE_EVENT_NONE;
    snprintf(entry->actor, sizeof entry->actor, "%s", change->actor);
    snprintf(entry->at, sizeof entry->at, "%s", change->at);
    snprintf(entry->reason, sizeof entry->reason, "%s", change->reason ? change->reason : "");
    return DMS_OK;
}

int dms_election_life_event_check(const dms_policy *policy, enum dms_election_status status,
                                  const char *event_date, const char *today, dms_error *err)
{
    dms_error_clear(err); /* the first error wins: start from none */
    if (policy == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "no policy");
    if ((unsigned)status >= DMS_ELECTION_STATUS_COUNT)
        return dms_error_set(err, DMS_EINVAL, "/status", "unknown status");
    if (status != DMS_ELECTION_ISSUED)
        return dms_error_set(err, DMS_ECONFLICT, "/status",
                             "жизненное событие открывает заново только оформленный выбор, а "
                             "этот — «%s» / a life event re-opens only an issued election, this "
                             "one is '%s'",
                             status_ru[status], status_en[status]);
    long day, now;
    if (event_date == NULL || !dms_date_parse(event_date, &day))
        return dms_error_set(err, DMS_EINVAL, "/date",
                             "дата события должна быть в формате ГГГГ-ММ-ДД / the event date must "
                             "be YYYY-MM-DD");
    if (today == NULL || !dms_date_parse(today, &now))
        return dms_error_set(err, DMS_EINVAL, NULL, "today '%.16s' is not a date",
                             today != NULL ? today : "");
    if (day < policy->period_from_day || day > policy->period_to_day)
        return dms_error_set(err, DMS_EINVAL, "/date",
                             "событие должно быть в период страхования с %s по %s / the event "
                             "must fall in the insurance period, %s to %s",
                             policy->period_from, policy->period_to, policy->period_from,
                             policy->period_to);
    if (day > now)
        return dms_error_set(err, DMS_EINVAL, "/date",
                             "о событии сообщают после него, а %s ещё не наступило / a life "
                             "event is reported once it has happened, and %s is after today",
                             event_date, event_date);
    if (now - day > policy->life_event_days)
        return dms_error_set(err, DMS_EINVAL, "/date",
                             "после события прошло больше %d дней: выбор уже закрыт / more than "
                             "%d days have passed since the event: the choice it opened is "
                             "closed",
                             policy->life_event_days, policy->life_event_days);
    return DMS_OK;
}

bool dms_election_ever_in_force(enum dms_election_status status, int version)
{
    return status == DMS_ELECTION_ACCEPTED || status == DMS_ELECTION_ISSUED || version > 1;
}

void dms_election_payroll_month(const dms_policy *policy, size_t k, int *year, int *month)
{
    int y0, m0, d0;
    dms_date_split(policy->period_from, &y0, &m0, &d0); /* checked by the loader */
    dms_date_add_months(y0, m0, (int)k, year, month);
}

/* Months from the period's first month to the month of date (may be < 0). */
static long month_index(const dms_policy *policy, const char *date)
{
    return dms_date_months_between(policy->period_from, date);
}

int dms_election_payroll(const dms_policy *policy, const dms_election_history *lines, size_t n,
                         enum dms_election_status status, int version, int64_t employee_month,
                         const char *life_event_date, int64_t *months, size_t max, size_t *nmonths,
                         dms_error *err)
{
    dms_error_clear(err); /* the first error wins: start from none */
    if (policy == NULL || months == NULL || nmonths == NULL || (lines == NULL && n > 0))
        return dms_error_set(err, DMS_EINVAL, NULL, "no policy, history or months");
    long total = month_index(policy, policy->period_to) + 1;
    *nmonths = 0;
    if (total < 1 || (size_t)total > max)
        return dms_error_set(err, DMS_ETOOBIG, NULL, "the period has %ld months, at most %zu",
                             total, max);
    *nmonths = (size_t)total;
    for (long m = 0; m < total; m++)
        months[m] = 0;
    /* versions in order: each in force from its start to the end, until a
     * later one in force starts (overwriting from its month on) */
    for (int v = 1; v <= version; v++) {
        bool current = v == version;
        int64_t amount = 0;
        bool in_force = false;
        const char *start = NULL;
        for (size_t i = 0; i < n; i++) {
            if (lines[i].version != v)
                continue;
            if (lines[i].to == DMS_ELECTION_ACCEPTED || lines[i].to == DMS_ELECTION_ISSUED) {
                amount = lines[i].employee_month;
                in_force = true;
            }
            if (lines[i].from == DMS_ELECTION_ISSUED && lines[i].to == DMS_ELECTION_DRAFT &&
                lines[i].life_event != DMS_LIFE_EVENT_NONE && lines[i].life_event_date[0])
                start = lines[i].life_event_date;
        }
        if (current) {
            in_force = status == DMS_ELECTION_ACCEPTED || status == DMS_ELECTION_ISSUED;
            amount = employee_month;
            if (v > 1 && life_event_date != NULL && life_event_date[0])
                start = life_event_date;
        }
        if (!in_force)
            continue;
        long from = v == 1 || start == NULL ? 0 : month_index(policy, start);
        if (from < 0)
            from = 0;
        for (long m = from; m < total; m++)
            months[m] = amount;
    }
    return DMS_OK;
}
