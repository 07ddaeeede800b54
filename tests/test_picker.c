/*
 * The employee module picker: the exact solver against brute force over all
 * subsets of random menus (up to 16 options, with dependencies, exclusions
 * and deliberate ties), the money split at known values, the offer for real
 * households of examples/census/midsize-450.csv under the example policy
 * (eligibility reasons, prices equal to the quote's per-person prices),
 * recommendations that honour priorities, dependencies, exclusions and the
 * budget, out-of-pocket costs (a known flat fee, monotone in usage and in
 * cover), every fault of election validation at its pointer, and the status
 * machine over every pair of statuses.
 */
#include "testutil.h"
#include "policy_example.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dms/jsonread.h"
#include "dms/picker.h"
#include "dms/quote.h"
#include "dms/text.h"

/* ---- solver against brute force ---------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int cmp_sets(const void *pa, const void *pb)
{
    const dms_picker_set *a = pa, *b = pb;
    if (a->net != b->net)
        return a->net > b->net ? -1 : 1;
    if (a->cost != b->cost)
        return a->cost < b->cost ? -1 : 1;
    return a->mask < b->mask ? -1 : a->mask > b->mask;
}

/* The charge, written out again from its definition (picker.h). */
static int64_t charge_ref(const dms_picker_charge *c, int64_t cost)
{
    if (c == NULL || cost <= c->free)
        return 0;
    int64_t part = llround((double)(cost - c->free) * c->rate);
    return part < cost - c->free ? part : cost - c->free;
}

/* Every feasible subset, sorted by the documented ranking (net = value -
 * charge); returns how many. */
static size_t brute_force(const dms_picker_item *items, size_t n, int64_t capacity,
                          const dms_picker_charge *charge, dms_picker_set *all)
{
    size_t count = 0;
    for (uint64_t mask = 0; mask < BIT(n); mask++) {
        dms_picker_set s = {.mask = mask};
        bool ok = true;
        for (size_t i = 0; i < n; i++) {
            if (!(mask & BIT(i)))
                continue;
            if (items[i].requires & ~mask)
                ok = false;
            for (size_t j = 0; j < n; j++)
                if ((mask & BIT(j)) && (items[i].excludes & BIT(j)))
                    ok = false;
            s.cost += items[i].cost;
            s.value += items[i].value;
        }
        s.charge = charge_ref(charge, s.cost);
        s.net = s.value - s.charge;
        if (ok && s.cost <= capacity)
            all[count++] = s;
    }
    qsort(all, count, sizeof *all, cmp_sets);
    return count;
}

static void random_menu(uint64_t *seed, size_t n, dms_picker_item *items, int64_t *capacity)
{
    int64_t total = 0;
    bool coarse = rng_next(seed) % 3 == 0; /* few distinct values: many ties */
    for (size_t i = 0; i < n; i++) {
        items[i] = (dms_picker_item){0};
        items[i].cost = rng_next(seed) % 8 == 0 ? 0 : (int64_t)(rng_next(seed) % 4000000);
        items[i].value =
            coarse ? (int64_t)(rng_next(seed) % 4) * 1000 : (int64_t)(rng_next(seed) % 10000000);
        total += items[i].cost;
    }
    for (size_t i = 0; i < n && n > 1; i++) {
        if (rng_next(seed) % 6 == 0) {
            size_t j = rng_next(seed) % n;
            if (j != i)
            items[i].requires |= BIT(j);
        }
        if (rng_next(seed) % 6 == 0) {
            size_t j = rng_next(seed) % n;
            if (j != i)
                items[i].excludes |= BIT(j);
        }
    }
    *capacity = total == 0 ? 0 : (int64_t)(rng_next(seed) % (uint64_t)(total + 1));
}

static void assert_same_sets(const dms_picker_set *got, size_t ngot, const dms_picker_set *want,
                             size_t nwant, int menu)
{
    if (ngot != nwant) {
        print_error("menu %d: %zu sets, expected %zu\n", menu, ngot, nwant);
        fail();
    }
    for (size_t k = 0; k < ngot; k++)
        if (got[k].mask != want[k].mask || got[k].cost != want[k].cost ||
            got[k].value != want[k].value || got[k].net != want[k].net ||
            got[k].charge != want[k].charge) {
            print_error("menu %d rank %zu: mask %llx value %lld cost %lld, expected mask %llx "
                        "value %lld cost %lld\n",
                        menu, k, (unsigned long long)got[k].mask, (long long)got[k].value,
                        (long long)got[k].cost, (unsigned long long)want[k].mask,
                        (long long)want[k].value, (long long)want[k].cost);
            fail();
        }
}

static void test_solver_matches_brute_force(void **state)
{
    (void)state;
    static dms_picker_set all[1 << 16];
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    dms_error err;
    int menus = getenv("DMS_UNDER_VALGRIND") ? 170 : 600;
    for (int menu = 0; menu < menus; menu++) {
        size_t n = (size_t)(menu % 17); /* 0..16 options */
        dms_picker_item items[16];
        int64_t capacity;
        random_menu(&seed, n, items, &capacity);
        size_t nbest = 1 + rng_next(&seed) % 8;
        /* every other menu charges the cost above a free part, as the
         * recommendation charges the employee's own part of a price */
        dms_picker_charge charge = {.free = (int64_t)(rng_next(&seed) % 6000000),
                                    .rate = (double)(rng_next(&seed) % 101) / 100.0};
        const dms_picker_charge *c = menu % 2 ? &charge : NULL;
        size_t nall = brute_force(items, n, capacity, c, all);
        size_t nwant = nall < nbest ? nall : nbest;
        dms_picker_set got[DMS_PICKER_MAX_BEST], ref[DMS_PICKER_MAX_BEST];
        size_t ngot = 99, nref = 99;
        unsigned long long nodes = 0;
        dms_error_clear(&err);
        assert_int_equal(
            dms_picker_solve_net(items, n, capacity, c, nbest, 0, got, &ngot, &nodes, &err),
            DMS_OK);
        assert_same_sets(got, ngot, all, nwant, menu);
        assert_int_equal(
            dms_picker_solve_exhaustive_net(items, n, capacity, c, nbest, ref, &nref, &err),
            DMS_OK);
        assert_same_sets(ref, nref, all, nwant, menu);
        assert_true(nodes >= 1);
        if (c == NULL) { /* the plain solver is the one without a charge */
            assert_int_equal(
                dms_picker_solve(items, n, capacity, nbest, 0, got, &ngot, &nodes, &err), DMS_OK);
            assert_same_sets(got, ngot, all, nwant, menu);
        }
    }
}

static void test_solver_larger_menu(void **state)
{
    (void)state;
    uint64_t seed = 12345;
    dms_error err;
    dms_error_clear(&err);
    for (int menu = 0; menu < 3; menu++) {
        dms_picker_item items[22];
        int64_t capacity;
        random_menu(&seed, 22, items, &capacity);
        dms_picker_set got[5], ref[5];
        size_t ngot, nref;
        assert_int_equal(dms_picker_solve(items, 22, capacity, 5, 0, got, &ngot, NULL, &err),
                         DMS_OK);
        assert_int_equal(dms_picker_solve_exhaustive(items, 22, capacity, 5, ref, &nref, &err),
                         DMS_OK);
        assert_same_sets(got, ngot, ref, nref, menu);
        dms_picker_charge charge = {.free = capacity / 3, .rate = 0.7};
        assert_int_equal(
            dms_picker_solve_net(items, 22, capacity, &charge, 5, 0, got, &ngot, NULL, &err),
            DMS_OK);
        assert_int_equal(
            dms_picker_solve_exhaustive_net(items, 22, capacity, &charge, 5, ref, &nref, &err),
            DMS_OK);
        assert_same_sets(got, ngot, ref, nref, menu);
    }
}

static void test_solver_edges(void **state)
{
    (void)state;
    dms_picker_set best[4];
    size_t n;
    dms_error err;
    /* nothing fits but free items: the free one and the empty set */
    dms_picker_item items[3] = {{.cost = 10, .value = 50}, {.cost = 0, .value = 1}, {.cost = 7}};
    dms_error_clear(&err);
    assert_int_equal(dms_picker_solve(items, 3, 0, 4, 0, best, &n, NULL, &err), DMS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(best[0].mask, BIT(1));
    assert_int_equal(best[1].mask, 0);
    /* a chain: 0 needs 1 needs 2; 2 excludes 3 */
    dms_picker_item chain[4] = {{.cost = 1, .value = 10, .requires = BIT(1)},
                                {.cost = 1, .value = 1, .requires = BIT(2)},
                                {.cost = 1, .value = 1},
                                {.cost = 1, .value = 11, .excludes = BIT(2)}};
    assert_int_equal(dms_picker_solve(chain, 4, 3, 2, 0, best, &n, NULL, &err), DMS_OK);
    assert_int_equal(best[0].mask, BIT(0) | BIT(1) | BIT(2));
    assert_int_equal(best[0].value, 12);
    assert_int_equal(best[1].mask, BIT(3));
    /* refusals at their pointers */
    dms_error_clear(&err);
    assert_int_equal(dms_picker_solve(items, 3, 5, 0, 0, best, &n, NULL, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/nbest");
    dms_error_clear(&err);
    assert_int_equal(dms_picker_solve(items, 3, -1, 1, 0, best, &n, NULL, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/capacity");
    dms_picker_item bad[2] = {{.cost = 1, .value = 1}, {.cost = 1, .requires = BIT(5)}};
    dms_error_clear(&err);
    assert_int_equal(dms_picker_solve(bad, 2, 5, 1, 0, best, &n, NULL, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/items/1");
    bad[1] = (dms_picker_item){.cost = -3};
    dms_error_clear(&err);
    assert_int_equal(dms_picker_solve(bad, 2, 5, 1, 0, best, &n, NULL, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/items/1");
    dms_error_clear(&err);
    assert_int_equal(dms_picker_solve_exhaustive(items, 27, 5, 1, best, &n, &err), DMS_ETOOBIG);
    /* a node budget too small is an error, not a guess */
    uint64_t seed = 7;
    dms_picker_item menu[30];
    int64_t capacity;
    random_menu(&seed, 30, menu, &capacity);
    dms_error_clear(&err);
    assert_int_equal(dms_picker_solve(menu, 30, capacity, 3, 5, best, &n, NULL, &err), DMS_ETOOBIG);
}

/* ---- money --------------------------------------------------------------- */

static void test_split_and_capacity(void **state)
{
    (void)state;
    dms_policy_segment seg = {.flex_budget = 20000, .top_up_cap = 15000, .employer_share = 0.2};
    dms_picker_split s;
    dms_picker_split_price(&seg, 3000000, &s);
    assert_int_equal(s.price, 3000000);
    assert_int_equal(s.credits, 2000000);
    assert_int_equal(s.employee, 800000);
    assert_int_equal(s.employer, 2200000);
    assert_int_equal(s.price_month, 250000);
    assert_int_equal(s.employee_month, 66667);
    assert_int_equal(s.employer_month, 250000 - 66667);
    assert_true(s.within_cap);
    dms_picker_split_price(&seg, 1500000, &s); /* inside the budget */
    assert_int_equal(s.credits, 1500000);
    assert_int_equal(s.employee, 0);
    assert_int_equal(s.employer, 1500000);
    /* capacity: 20000 + 15000 / 0.8 = 38750 roubles exactly */
    int64_t cap = dms_picker_capacity(&seg, -1);
    assert_int_equal(cap, 3875000);
    dms_picker_split_price(&seg, cap, &s);
    assert_int_equal(s.employee, 1500000);
    assert_true(s.within_cap);
    dms_picker_split_price(&seg, cap + 1, &s);
    assert_false(s.within_cap);
    /* the employee's own limit below the cap */
    assert_int_equal(dms_picker_capacity(&seg, 400000), 2000000 + 500000);
    assert_int_equal(dms_picker_capacity(&seg, 0), 2000000);
    assert_int_equal(dms_picker_capacity(&seg, 99999999), 3875000);
    /* rounding: 1/3 share, the largest rest whose third rounds to <= 100 kopecks */
    dms_policy_segment third = {.flex_budget = 0, .top_up_cap = 1, .employer_share = 2.0 / 3.0};
    cap = dms_picker_capacity(&third, -1);
    dms_picker_split_price(&third, cap, &s);
    assert_true(s.employee <= 100);
    dms_picker_split_price(&third, cap + 1, &s);
    assert_true(s.employee > 100);
    /* the employer pays the whole rest: no limit */
    dms_policy_segment all = {.flex_budget = 100, .top_up_cap = 0, .employer_share = 1.0};
    assert_true(dms_picker_capacity(&all, -1) > INT64_C(1) << 60);
    dms_picker_split_price(&all, 99999999, &s);
    assert_int_equal(s.employee, 0);
}

/* ---- fixtures: example policy, shipped tariff and model, the census ------ */

typedef struct fixture {
    dms_policy *policy;
    dms_tariff *tariff;
    dms_model *model;
    dms_census *census;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    dms_error err;
    dms_error_clear(&err);
    if (f == NULL || dms_policy_load_file(EXAMPLE_POLICY, &f->policy, &err) != DMS_OK ||
        dms_tariff_load_file("tariffs/corporate-2026.json", &f->tariff, &err) != DMS_OK ||
        dms_model_load_file("models/ru-2026.json", &f->model, &err) != DMS_OK ||
        dms_census_load_file("examples/census/midsize-450.csv", &f->census, NULL) != DMS_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dms_policy_free(f->policy);
    dms_tariff_free(f->tariff);
    dms_model_free(f->model);
    dms_census_free(f->census);
    free(f);
    return 0;
}

static dms_offer *make_offer(const fixture *f, const dms_policy *policy, const char *id, int tenure)
{
    dms_household h;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_picker_household(f->census, id, tenure, &h, &err), DMS_OK);
    dms_offer *o = malloc(sizeof *o);
    assert_non_null(o);
    int status = dms_picker_offer(policy, f->tariff, f->model, &h, o, &err);
    if (status != DMS_OK) {
        char buf[800];
        print_error("%s\n", dms_error_format(&err, buf, sizeof buf));
    }
    assert_int_equal(status, DMS_OK);
    return o;
}

/* The quote's price of one module for one person, in kopecks. */
static int64_t quote_price(const fixture *f, const dms_plan_module *m, const char *network,
                           const dms_person *p, int age, int64_t *claims)
{
    dms_rated_person rp = {.age = age, .sex = p->sex, .region = p->region};
    double gross, c;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_quote_price_person(f->tariff, f->model, "2026-01-01", "2026-12-31",
                                            network, m, 1, &rp, 450, DMS_SCENARIO_BASE, &c, &gross,
                                            NULL, &err),
                     DMS_OK);
    *claims = llround(c * 100);
    return llround(gross * 100);
}

static void test_household(void **state)
{
    fixture *f = *state;
    dms_household h;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_picker_household(f->census, "100014", 0, &h, &err), DMS_OK);
    assert_int_equal(h.nmembers, 2);
    assert_int_equal(h.members[0]->relation, DMS_RELATION_EMPLOYEE);
    assert_int_equal(h.members[1]->relation, DMS_RELATION_CHILD);
    dms_error_clear(&err);
    assert_int_equal(dms_picker_household(f->census, "nobody", 0, &h, &err), DMS_ENOTFOUND);
    assert_string_equal(err.path, "/employee_id");
}

static void test_offer_single_young(void **state)
{
    fixture *f = *state;
    /* 100007: born 1999-01-28, Sales B2B, field work: young specialists */
    dms_offer *o = make_offer(f, f->policy, "100007", 12);
    assert_int_equal(o->segment, 4);
    assert_int_equal(o->ages[0], 26);
    assert_true(o->options[DENTAL_STANDARD].eligible);
    assert_true(o->options[DENTAL_BUSINESS].eligible);
    assert_int_equal(o->options[CHECKUP].reason, DMS_PICKER_NO_MEMBER); /* 30+ */
    assert_int_equal(o->options[TELEMEDICINE].reason, DMS_PICKER_WRONG_SEGMENT);
    assert_int_equal(o->options[FAMILY_OUTPATIENT].reason, DMS_PICKER_NO_MEMBER);
    assert_int_equal(o->options[FAMILY_DENTAL].reason, DMS_PICKER_NO_MEMBER);
    assert_int_equal(o->options[CHECKUP].price, 0);
    assert_int_equal(o->eligible, BIT(DENTAL_STANDARD) | BIT(DENTAL_BUSINESS) | BIT(HOME_VISITS) |
                                      BIT(HOSPITAL_PLANNED) | BIT(MENTAL_HEALTH));
    /* prices are the quote's, at the option's network, with the anti-selection load */
    const dms_person *p = o->household.members[0];
    int64_t claims;
    assert_int_equal(
        o->options[DENTAL_BUSINESS].price,
        quote_price(f, &f->policy->options[DENTAL_BUSINESS].module, "business", p, 26, &claims));
    assert_int_equal(o->options[DENTAL_BUSINESS].claims, claims);
    assert_int_equal(
        o->options[MENTAL_HEALTH].price,
        quote_price(f, &f->policy->options[MENTAL_HEALTH].module, "standard", p, 26, &claims));
    assert_true(o->options[MENTAL_HEALTH].price > claims * 1.25);
    /* young: budget 15000, cap 12000, employer share 0: capacity 27000 */
    assert_int_equal(o->capacity, 2700000);
    const dms_picker_split *a = &o->options[DENTAL_BUSINESS].alone;
    assert_int_equal(a->price, o->options[DENTAL_BUSINESS].price);
    assert_int_equal(a->credits, 1500000);
    assert_int_equal(a->employee, a->price - 1500000);
    assert_int_equal(a->employer_month + a->employee_month, a->price_month);
    assert_true(o->base_price > 0);
    free(o);

    /* short tenure: the tenure rules bite */
    o = make_offer(f, f->policy, "100007", 2);
    assert_int_equal(o->options[DENTAL_BUSINESS].reason, DMS_PICKER_TENURE);
    assert_int_equal(o->options[HOSPITAL_PLANNED].reason, DMS_PICKER_TENURE);
    assert_true(o->options[DENTAL_STANDARD].eligible);
    free(o);
}

static void test_offer_family(void **state)
{
    fixture *f = *state;
    /* 100014: born 1976-02-19 with a child born 2020-10-26: 45+ comes first */
    dms_offer *o = make_offer(f, f->policy, "100014", 24);
    assert_int_equal(o->segment, 2);
    assert_int_equal(o->ages[0], 49);
    assert_int_equal(o->ages[1], 5);
    assert_int_equal(o->options[FAMILY_OUTPATIENT].covered, 2u);
    assert_int_equal(o->options[CHILD_HOME_VISITS].covered, 2u);
    assert_int_equal(o->options[FAMILY_DENTAL].covered, 2u);
    assert_int_equal(o->options[DENTAL_STANDARD].covered, 1u);
    assert_int_equal(o->options[HOME_VISITS].reason, DMS_PICKER_WRONG_SEGMENT);
    int64_t claims;
    assert_int_equal(o->options[FAMILY_OUTPATIENT].price,
                     quote_price(f, &f->policy->options[FAMILY_OUTPATIENT].module, "standard",
                                 o->household.members[1], 5, &claims));
    free(o);
}

static void test_offer_needs_ineligible(void **state)
{
    fixture *f = *state;
    json_t *root = NULL;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_json_load_file(EXAMPLE_POLICY, &root, &err), DMS_OK);
    json_t *opt = json_array_get(json_object_get(root, "options"), MENTAL_HEALTH);
    json_object_set_new(opt, "requires", json_pack("[s]", "dental_business"));
    dms_policy *policy = NULL;
    assert_int_equal(dms_policy_load_json(root, NULL, &policy, &err), DMS_OK);
    dms_offer *o = make_offer(f, policy, "100007", 1);
    assert_int_equal(o->options[DENTAL_BUSINESS].reason, DMS_PICKER_TENURE);
    assert_int_equal(o->options[MENTAL_HEALTH].reason, DMS_PICKER_NEEDS_INELIGIBLE);
    assert_false(o->eligible & BIT(MENTAL_HEALTH));
    assert_string_equal(dms_picker_reason_name(DMS_PICKER_NEEDS_INELIGIBLE), "needs_ineligible");
    assert_non_null(strstr(dms_picker_reason_text(DMS_PICKER_TENURE, "ru"), "стаж"));
    free(o);
    /* a module the tariff lacks fails with the option's pointer */
    json_object_set_new(json_object_get(opt, "cover"), "module", json_string("yoga"));
    dms_policy_free(policy);
    assert_int_equal(dms_policy_load_json(root, NULL, &policy, &err), DMS_OK);
    dms_household h;
    assert_int_equal(dms_picker_household(f->census, "100007", 12, &h, &err), DMS_OK);
    o = malloc(sizeof *o);
    json_object_del(opt, "requires");
    dms_error_clear(&err);
    assert_int_equal(dms_picker_offer(policy, f->tariff, f->model, &h, o, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/options/6/cover/module");
    free(o);
    dms_policy_free(policy);
    json_decref(root);
}

/* ---- recommendation ------------------------------------------------------ */

/* Checks every choice is feasible and the choices are ranked. */
static void assert_choices_valid(const dms_offer *o, const dms_recommendation *r)
{
    const dms_policy *p = o->policy;
    for (size_t c = 0; c < r->nchoices; c++) {
        const dms_picker_choice *ch = &r->choices[c];
        assert_int_equal(ch->options & ~o->eligible, 0);
        assert_true(ch->split.price <= r->capacity);
        assert_true(ch->split.within_cap);
        for (size_t i = 0; i < p->noptions; i++) {
            if (!(ch->options & BIT(i)))
                continue;
            assert_int_equal(p->options[i].requires & ~ch->options, 0);
            assert_int_equal(p->options[i].excludes & ch->options, 0);
        }
        /* net is what the cover is worth less the own deduction; totals add up */
        assert_int_equal(ch->net, ch->value - ch->split.employee);
        for (int u = 0; u < DMS_USAGE_COUNT; u++)
            assert_int_equal(ch->total_cost[u],
                             ch->split.employee + llround(ch->out_of_pocket[u] * 100.0));
        if (c > 0)
            assert_true(ch->net < r->choices[c - 1].net ||
                        (ch->net == r->choices[c - 1].net &&
                         ch->split.price >= r->choices[c - 1].split.price));
    }
}

/* Best net over every subset of the offered options, each option worth
 * worth[i] (kopecks), written out from the definition: the reference the
 * recommendation must meet exactly. */
static int64_t brute_best_net(const dms_offer *o, const int64_t *worth, const bool *wanted,
                              int64_t capacity)
{
    const dms_policy *p = o->policy;
    int64_t best = INT64_MIN;
    for (uint64_t mask = 0; mask < BIT(p->noptions); mask++) {
        if (mask & ~o->eligible)
            continue;
        bool ok = true;
        int64_t value = 0;
        for (size_t i = 0; i < p->noptions && ok; i++)
            if (mask & BIT(i)) {
                ok &= wanted[i] && (p->options[i].requires & ~mask) == 0 &&
                      (p->options[i].excludes & mask) == 0;
                value += worth[i];
            }
        dms_picker_split s;
        dms_picker_offer_split(o, mask, &s);
        if (ok && s.price <= capacity && value - s.employee > best)
            best = value - s.employee;
    }
    return best;
}

static void test_recommend_family(void **state)
{
    fixture *f = *state;
    dms_offer *o = make_offer(f, f->policy, "100014", 24);
    dms_picker_questionnaire q = dms_picker_questionnaire_default();
    dms_recommendation r;
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_picker_recommend(o, &q, 5, &r, &err), DMS_OK);
    assert_int_equal(r.nchoices, 5);
    assert_int_equal(r.capacity, o->capacity);
    assert_choices_valid(o, &r);
    /* the optimum is the best of every subset of the offered options: at
     * priority 3 and no risk term each is worth its expected claims paid */
    int64_t worth[DMS_POLICY_MAX_OPTIONS];
    bool wanted[DMS_POLICY_MAX_OPTIONS];
    for (size_t i = 0; i < o->noptions; i++) {
        worth[i] = o->options[i].claims;
        wanted[i] = true;
    }
    assert_int_equal(r.choices[0].net, brute_best_net(o, worth, wanted, r.capacity));
    assert_true(r.reason_en[0] != '\0' && r.reason_ru[0] != '\0');
    /* the out-of-pocket costs are those of the set, and grow with usage */
    for (size_t c = 0; c < r.nchoices; c++) {
        double oop[DMS_USAGE_COUNT];
        assert_int_equal(dms_picker_out_of_pocket(o, r.choices[c].options, oop, &err), DMS_OK);
        for (int u = 0; u < DMS_USAGE_COUNT; u++)
            assert_close(r.choices[c].out_of_pocket[u], oop[u], 1e-12);
        assert_true(oop[0] < oop[1] && oop[1] < oop[2]);
    }

    /* not interested in family outpatient: nothing that needs it either */
    q.nanswers = 2;
    q.answers[0] = (dms_picker_answer){.code = "family_outpatient", .priority = 0};
    /* dental at 5 by module, but the business one not wanted */
    q.answers[1] = (dms_picker_answer){.code = "dental", .priority = 5};
    q.nanswers = 3;
    q.answers[2] = (dms_picker_answer){.code = "dental_business", .priority = 0};
    assert_int_equal(dms_picker_recommend(o, &q, 4, &r, &err), DMS_OK);
    assert_choices_valid(o, &r);
    uint64_t banned = BIT(FAMILY_OUTPATIENT) | BIT(FAMILY_EMERGENCY) | BIT(CHILD_HOME_VISITS) |
                      BIT(FAMILY_DENTAL) | BIT(DENTAL_BUSINESS);
    for (size_t c = 0; c < r.nchoices; c++)
        assert_int_equal(r.choices[c].options & banned, 0);
    /* family_dental (dental, 5) is banned through its requirement; dental_standard at 5 */
    assert_true(r.choices[0].options & BIT(DENTAL_STANDARD));

    /* no salary top-up: everything within the flex budget */
    q = dms_picker_questionnaire_default();
    q.top_up_limit = 0;
    assert_int_equal(dms_picker_recommend(o, &q, 3, &r, &err), DMS_OK);
    assert_int_equal(r.capacity, 3000000);
    for (size_t c = 0; c < r.nchoices; c++) {
        assert_int_equal(r.choices[c].split.employee, 0);
        assert_true(r.choices[c].split.price <= 3000000);
    }
    free(o);
}

static void test_recommend_errors(void **state)
{
    fixture *f = *state;
    dms_offer *o = make_offer(f, f->policy, "100007", 12);
    dms_picker_questionnaire q = dms_picker_questionnaire_default();
    dms_recommendation r;
    dms_error err;
    q.nanswers = 2;
    q.answers[0] = (dms_picker_answer){.code = "dental", .priority = 4};
    q.answers[1] = (dms_picker_answer){.code = "mental_health", .priority = 6};
    dms_error_clear(&err);
    assert_int_equal(dms_picker_recommend(o, &q, 3, &r, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/answers/1/priority");
    q.answers[1] = (dms_picker_answer){.code = "massage", .priority = 2};
    dms_error_clear(&err);
    assert_int_equal(dms_picker_recommend(o, &q, 3, &r, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/answers/1/code");
    q.nanswers = 1;
    dms_error_clear(&err);
    assert_int_equal(dms_picker_recommend(o, &q, 0, &r, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/nbest");
    q.default_priority = 0; /* only dental is wanted */
    dms_error_clear(&err);
    assert_int_equal(dms_picker_recommend(o, &q, 4, &r, &err), DMS_OK);
    assert_int_equal(r.nchoices, 3); /* standard, business, nothing */
    assert_int_equal(r.choices[2].options, 0);
    assert_int_equal(r.choices[2].value, 0);
    assert_int_equal(r.choices[0].options | r.choices[1].options,
                     BIT(DENTAL_STANDARD) | BIT(DENTAL_BUSINESS));
    free(o);
}

/* ---- the recommendation weighs the employee's own money (issue 19) ------ */

static void recommend_ok(const dms_offer *o, const dms_picker_questionnaire *q, size_t nbest,
                         dms_recommendation *r)
{
    dms_error err;
    dms_error_clear(&err);
    int status = dms_picker_recommend(o, q, nbest, r, &err);
    if (status != DMS_OK)
        print_error("%s at %s\n", err.message, err.path);
    assert_int_equal(status, DMS_OK);
    assert_choices_valid(o, r);
}

/* Options of a mask and, recursively, every chosen option that needs one. */
static uint64_t with_dependants(const dms_policy *p, uint64_t chosen, uint64_t drop)
{
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t i = 0; i < p->noptions; i++)
            if ((chosen & BIT(i)) && !(drop & BIT(i)) && (p->options[i].requires & drop)) {
                drop |= BIT(i);
                grew = true;
            }
    }
    return drop;
}

/*
 * Each option of the best set is worth to the person at least the own money
 * it adds: dropping it (with what needs it) never leaves them better off.
 * worth[i] is option i's worth in kopecks a year.
 */
static void assert_each_option_pays(const dms_offer *o, const dms_picker_choice *best,
                                    const int64_t *worth)
{
    for (size_t i = 0; i < o->noptions; i++) {
        if (!(best->options & BIT(i)))
            continue;
        uint64_t drop = with_dependants(o->policy, best->options, BIT(i));
        uint64_t rest = best->options & ~drop;
        int64_t value = 0;
        for (size_t k = 0; k < o->noptions; k++)
            if (rest & BIT(k))
                value += worth[k];
        dms_picker_split s;
        dms_picker_offer_split(o, rest, &s);
        assert_true(value - s.employee <= best->net);
    }
}

/*
 * Employee 100014 of the sample employer, as the service sees him (12
 * months' tenure). Before the fix every priority at 1 and every priority at
 * 3 both gave five options for 19,947.92 roubles a year from salary; now
 * "hardly interested" spends much less of his own money than "worth its
 * expected cost", and each option bought at priority 1 is worth its own cost
 * to him.
 */
static void test_recommend_issue_19(void **state)
{
    fixture *f = *state;
    dms_offer *o = make_offer(f, f->policy, "100014", 12);
    dms_picker_questionnaire q = dms_picker_questionnaire_default();
    dms_recommendation one, three, five;
    q.default_priority = 1;
    recommend_ok(o, &q, 3, &one);
    q.default_priority = 3;
    recommend_ok(o, &q, 3, &three);
    q.default_priority = 5;
    recommend_ok(o, &q, 3, &five);
    const dms_picker_choice *b1 = &one.choices[0], *b3 = &three.choices[0];
    const dms_picker_choice *b5 = &five.choices[0];
    print_message("own deductions a year, kopecks: priority 1 %lld (options %#llx), 3 %lld "
                  "(%#llx), 5 %lld (%#llx)\n",
                  (long long)b1->split.employee, (unsigned long long)b1->options,
                  (long long)b3->split.employee, (unsigned long long)b3->options,
                  (long long)b5->split.employee, (unsigned long long)b5->options);
    /* more interest never spends less, and "worth considerably more" does top up */
    assert_true(b1->split.employee <= b3->split.employee);
    assert_true(b3->split.employee <= b5->split.employee);
    assert_true(b1->split.employee < b5->split.employee);
    /* "hardly interested" no longer takes nearly the whole 20,000 roubles cap */
    assert_true(b1->split.employee < 100000);
    /* the employer's credits are spent: what fits in them costs him nothing */
    const dms_policy_segment *seg = &f->policy->segments[o->segment];
    assert_true(b1->split.credits == b1->split.price ||
                b1->split.credits == llround(seg->flex_budget * 100.0));
    int64_t worth1[DMS_POLICY_MAX_OPTIONS], worth3[DMS_POLICY_MAX_OPTIONS];
    for (size_t i = 0; i < o->noptions; i++) {
        worth1[i] = llround((double)o->options[i].claims / 3.0);
        worth3[i] = o->options[i].claims;
    }
    assert_each_option_pays(o, b1, worth1);
    assert_each_option_pays(o, b3, worth3);
    /* the set's own deduction is named per year and per month */
    assert_int_equal(b3->split.employee_month, (b3->split.employee + 6) / 12);
    /* the reason names what differs from the runner-up, with exact money */
    assert_true(one.nchoices >= 2);
    assert_non_null(strstr(three.reason_en, "runner-up"));
    assert_non_null(strstr(three.reason_ru, "второго варианта"));
    assert_non_null(strstr(three.reason_ru, ",")); /* kopecks after a decimal comma */
    print_message("%s\n%s\n", three.reason_en, three.reason_ru);
    free(o);
}

/* Spread of out-of-pocket cost (high - low usage) under one set, roubles. */
static double spread_of(const dms_offer *o, uint64_t options)
{
    double oop[DMS_USAGE_COUNT];
    dms_error err;
    dms_error_clear(&err);
    assert_int_equal(dms_picker_out_of_pocket(o, options, oop, &err), DMS_OK);
    return oop[DMS_USAGE_HIGH] - oop[DMS_USAGE_LOW];
}

static void set_priorities(const dms_offer *o, const int *prio, int risk,
                           dms_picker_questionnaire *q)
{
    *q = dms_picker_questionnaire_default();
    q->risk = risk;
    q->nanswers = o->noptions;
    for (size_t i = 0; i < o->noptions; i++) {
        snprintf(q->answers[i].code, sizeof q->answers[i].code, "%s", o->policy->options[i].code);
        q->answers[i].priority = prio[i];
    }
}

/*
 * Properties over random questionnaires for households of several segments:
 * the best net equals brute force over every subset (with the worth of each
 * option derived again here from the public out-of-pocket figures); every
 * option of the best set pays for itself; all priorities 0 spend no own
 * money; raising one chosen option's priority keeps it chosen; lowering
 * every priority in the same proportion (halving even priorities, or one
 * common priority 5 down to 0) never spends more own money.
 */
static void test_recommend_properties(void **state)
{
    fixture *f = *state;
    static const char *const ids[] = {"100014", "100007", "100056", "100084", "100021"};
    int rounds = getenv("DMS_UNDER_VALGRIND") ? 2 : 12;
    size_t households = getenv("DMS_UNDER_VALGRIND") ? 2 : sizeof ids / sizeof ids[0];
    uint64_t seed = 0xD1B54A32D192ED03ULL;
    for (size_t h = 0; h < households; h++) {
        dms_offer *o = make_offer(f, f->policy, ids[h], 12);
        double spread0 = spread_of(o, 0), narrowed[DMS_POLICY_MAX_OPTIONS] = {0};
        for (size_t i = 0; i < o->noptions; i++)
            if (o->eligible & BIT(i)) {
                narrowed[i] = spread0 - spread_of(o, BIT(i));
                if (narrowed[i] < 0)
                    narrowed[i] = 0;
            }
        dms_picker_questionnaire q;
        dms_recommendation r, r2;
        /* all priorities 0: nothing chosen, no own money */
        q = dms_picker_questionnaire_default();
        q.default_priority = 0;
        q.risk = DMS_PICKER_RISK_MAX;
        recommend_ok(o, &q, 2, &r);
        assert_int_equal(r.choices[0].options, 0);
        assert_int_equal(r.choices[0].split.employee, 0);
        /* one common priority from 5 down to 0: own money never grows */
        int64_t last = INT64_MAX;
        for (int p = DMS_PICKER_PRIORITY_MAX; p >= 0; p--) {
            q = dms_picker_questionnaire_default();
            q.default_priority = p;
            q.risk = (int)(h % (DMS_PICKER_RISK_MAX + 1));
            recommend_ok(o, &q, 1, &r);
            assert_true(r.choices[0].split.employee <= last);
            last = r.choices[0].split.employee;
        }
        assert_int_equal(last, 0);
        for (int round = 0; round < rounds; round++) {
            int prio[DMS_POLICY_MAX_OPTIONS];
            int risk = (int)(rng_next(&seed) % (DMS_PICKER_RISK_MAX + 1));
            bool even = round % 3 == 0;
            for (size_t i = 0; i < o->noptions; i++)
                prio[i] = even ? 2 * (int)(rng_next(&seed) % 3) : (int)(rng_next(&seed) % 6);
            set_priorities(o, prio, risk, &q);
            recommend_ok(o, &q, 3, &r);
            /* exact: brute force under the same objective */
            int64_t worth[DMS_POLICY_MAX_OPTIONS];
            bool wanted[DMS_POLICY_MAX_OPTIONS];
            for (size_t i = 0; i < o->noptions; i++) {
                double rho = dms_picker_risk_weight[risk];
                worth[i] = llround(
                    prio[i] * ((double)o->options[i].claims + 100.0 * rho * narrowed[i]) / 3.0);
                wanted[i] = prio[i] > 0;
            }
            assert_int_equal(r.choices[0].net, brute_best_net(o, worth, wanted, r.capacity));
            assert_each_option_pays(o, &r.choices[0], worth);
            /* raising a chosen option's priority keeps it */
            for (size_t i = 0; i < o->noptions; i++) {
                if (!(r.choices[0].options & BIT(i)) || prio[i] == DMS_PICKER_PRIORITY_MAX)
                    continue;
                int saved = prio[i];
                prio[i] += 1 + (int)(rng_next(&seed) % (uint64_t)(DMS_PICKER_PRIORITY_MAX - saved));
                set_priorities(o, prio, risk, &q);
                recommend_ok(o, &q, 1, &r2);
                assert_true(r2.choices[0].options & BIT(i));
                prio[i] = saved;
            }
            /* halving every (even) priority never spends more own money */
            if (even) {
                for (size_t i = 0; i < o->noptions; i++)
                    prio[i] /= 2;
                set_priorities(o, prio, risk, &q);
                recommend_ok(o, &q, 1, &r2);
                assert_true(r2.choices[0].split.employee <= r.choices[0].split.employee);
            }
        }
        free(o);
    }
}

/* True if text is NUL-terminated valid UTF-8 within size bytes. */
static bool valid_utf8(const char *text, size_t size)
{
    if (strnlen(text, size) == size)
        return false;
    const unsigned char *p = (const unsigned char *)text;
    while (*p)
        if (dms_utf8_next(&p) < 0)
            return false;
    return true;
}

/*
 * Option names at the policy's limit (159 bytes of two-byte letters): the
 * reason stays valid UTF-8 and within its buffer whatever differs between
 * the best set and the runner-up (jansson refuses invalid UTF-8, which would
 * turn the reply into an error).
 */
static void test_reason_long_names(void **state)
{
    fixture *f = *state;
    dms_policy *p = malloc(sizeof *p);
    assert_non_null(p);
    memcpy(p, f->policy, sizeof *p);
    for (size_t i = 0; i < p->noptions; i++) {
        size_t n = 0;
        while (n + 2 < DMS_POLICY_TEXT_MAX - 1) {
            p->options[i].name_ru[n++] = (char)0xD0; /* Ж */
            p->options[i].name_ru[n++] = (char)0x96;
        }
        p->options[i].name_ru[n] = '\0';
        memset(p->options[i].name_en, 'W', DMS_POLICY_TEXT_MAX - 1);
        p->options[i].name_en[DMS_POLICY_TEXT_MAX - 1] = '\0';
    }
    dms_offer *o = make_offer(f, p, "100014", 12);
    uint64_t seed = 99;
    for (int round = 0; round < 40; round++) {
        int prio[DMS_POLICY_MAX_OPTIONS];
        for (size_t i = 0; i < o->noptions; i++)
            prio[i] = (int)(rng_next(&seed) % 6);
        dms_picker_questionnaire q;
        set_priorities(o, prio, (int)(rng_next(&seed) % 4), &q);
        dms_recommendation r;
        recommend_ok(o, &q, 2, &r);
        assert_true(valid_utf8(r.reason_ru, sizeof r.reason_ru));
        assert_true(valid_utf8(r.reason_en, sizeof r.reason_en));
        assert_non_null(strstr(r.reason_ru, "ЖЖЖЖ"));
    }
    free(o);
    free(p);
}

/* ---- out of pocket ------------------------------------------------------- */

static void test_out_of_pocket(void **state)
{
    fixture *f = *state;
    dms_offer *o = make_offer(f, f->policy, "100014", 24);
    dms_error err;
    dms_error_clear(&err);
    double none[DMS_USAGE_COUNT], all[DMS_USAGE_COUNT], one[DMS_USAGE_COUNT];
    assert_int_equal(dms_picker_out_of_pocket(o, 0, none, &err), DMS_OK);
    /* telemedicine is a flat fee: cover saves exactly the rated fee x usage */
    assert_int_equal(dms_picker_out_of_pocket(o, BIT(TELEMEDICINE), one, &err), DMS_OK);
    const dms_person *p = o->household.members[0];
    const dms_region *region;
    assert_int_equal(dms_tariff_region_lookup(f->tariff, p->region, &region, NULL), DMS_OK);
    dms_model_adjust adj = dms_model_adjust_neutral();
    adj.region = region->factor;
    assert_int_equal(
        dms_model_trend_years(f->model, "2026-01-01", "2026-12-31", &adj.trend_years, &err),
        DMS_OK);
    size_t band;
    assert_int_equal(dms_model_age_band(f->model, 49, &band, &err), DMS_OK);
    dms_model_rated rated;
    assert_int_equal(dms_model_rate(f->model, dms_model_find(f->model, "telemedicine"), band,
                                    (int)p->sex, &adj, &rated, &err),
                     DMS_OK);
    for (int u = 0; u < DMS_USAGE_COUNT; u++)
        assert_close(none[u] - one[u], rated.flat_cost * dms_picker_usage_factor[u], 1e-9);
    /* more cover never costs more out of pocket */
    assert_int_equal(dms_picker_out_of_pocket(o, o->eligible & ~BIT(DENTAL_BUSINESS), all, &err),
                     DMS_OK);
    for (size_t i = 0; i < o->noptions; i++) {
        if (!(o->eligible & BIT(i)))
            continue;
        assert_int_equal(dms_picker_out_of_pocket(o, BIT(i), one, &err), DMS_OK);
        for (int u = 0; u < DMS_USAGE_COUNT; u++) {
            assert_true(one[u] < none[u]);
            if (i != DENTAL_BUSINESS)
                assert_true(all[u] <= one[u] + 1e-6);
        }
    }
    assert_true(none[0] < none[1] && none[1] < none[2]);
    /* usage scales frequency: the uncovered part is linear in it */
    assert_close(none[2] - none[1], 2 * (none[1] - none[0]), 0.02);
    free(o);
}

/* The table built once and summed per set (what the server keeps per
 * employee) gives, for every subset of the offered options, the very doubles
 * of a fresh dms_picker_out_of_pocket; options not offered are ignored; and
 * the recommendation on a kept table is the recommendation. */
static void test_out_of_pocket_table(void **state)
{
    fixture *f = *state;
    static const char *const ids[] = {"100014", "100007"};
    /* under valgrind: one household, a few fresh computations, two risks */
    bool slow = getenv("DMS_UNDER_VALGRIND") != NULL;
    size_t households = slow ? 1 : sizeof ids / sizeof ids[0];
    uint64_t fresh_sets = slow ? 4 : 24;
    for (size_t k = 0; k < households; k++) {
        dms_offer *o = make_offer(f, f->policy, ids[k], 24);
        dms_error err;
        dms_error_clear(&err);
        dms_picker_oop *t = NULL;
        assert_int_equal(dms_picker_oop_build(o, &t, &err), DMS_OK);
        assert_non_null(t);
        uint64_t offered[DMS_POLICY_MAX_OPTIONS];
        size_t n = 0;
        for (size_t i = 0; i < o->noptions; i++)
            if (o->eligible & BIT(i))
                offered[n++] = BIT(i);
        assert_true(n >= 4 && n < 16);
        /* a fresh computation costs milliseconds: about 24 subsets, spread out */
        uint64_t step = ((UINT64_C(1) << n) + fresh_sets - 1) / fresh_sets;
        uint64_t full = (UINT64_C(1) << n) - 1;
        for (uint64_t m = 0; m <= full; m++) {
            uint64_t set = 0;
            for (size_t j = 0; j < n; j++)
                if (m & BIT(j))
                    set |= offered[j];
            double fresh[DMS_USAGE_COUNT], kept[DMS_USAGE_COUNT], masked[DMS_USAGE_COUNT];
            dms_picker_oop_sum(t, set, kept);
            dms_picker_oop_sum(t, set | ~o->eligible, masked);
            assert_memory_equal(kept, masked, sizeof kept);
            assert_true(kept[DMS_USAGE_LOW] < kept[DMS_USAGE_MEDIUM] &&
                        kept[DMS_USAGE_MEDIUM] < kept[DMS_USAGE_HIGH]);
            if (m % step == 0 || m == full) {
                assert_int_equal(dms_picker_out_of_pocket(o, set, fresh, &err), DMS_OK);
                assert_memory_equal(fresh, kept, sizeof fresh);
            }
        }
        for (int risk = 0; risk <= DMS_PICKER_RISK_MAX; risk += slow ? DMS_PICKER_RISK_MAX : 1) {
            dms_picker_questionnaire q = dms_picker_questionnaire_default();
            q.risk = risk;
            dms_recommendation a, b;
            assert_int_equal(dms_picker_recommend(o, &q, 4, &a, &err), DMS_OK);
            assert_int_equal(dms_picker_recommend_oop(o, t, &q, 4, &b, &err), DMS_OK);
            assert_memory_equal(&a, &b, sizeof a);
        }
        /* without a table: refused before any work */
        dms_picker_questionnaire q = dms_picker_questionnaire_default();
        dms_recommendation r;
        assert_int_equal(dms_picker_recommend_oop(o, NULL, &q, 4, &r, &err), DMS_EINVAL);
        dms_picker_oop_free(t);
        free(o);
    }
}

/* ---- election ------------------------------------------------------------ */

static int validate(const dms_offer *o, const char *const *codes, size_t n, const char *date,
                    const char *event, dms_election_check *check, dms_error *err)
{
    dms_election_request req = {
        .options = codes, .noptions = n, .date = date, .life_event_date = event};
    dms_error_clear(err);
    return dms_election_validate(o, &req, check, err);
}

static void expect_fault(const dms_election_check *c, size_t i, enum dms_election_fault_kind kind,
                         const char *path, const char *fragment)
{
    if (i >= c->nfaults || c->faults[i].kind != kind ||
        strcmp(c->faults[i].error.path, path) != 0 ||
        strstr(c->faults[i].error.message, fragment) == NULL) {
        print_error("fault %zu: got %s at '%s': %s; expected %s at %s with '%s'\n", i,
                    i < c->nfaults ? dms_election_fault_name(c->faults[i].kind) : "none",
                    i < c->nfaults ? c->faults[i].error.path : "",
                    i < c->nfaults ? c->faults[i].error.message : "", dms_election_fault_name(kind),
                    path, fragment);
        fail();
    }
}

static void test_election_validate(void **state)
{
    fixture *f = *state;
    dms_offer *young = make_offer(f, f->policy, "100007", 12);
    dms_offer *family = make_offer(f, f->policy, "100014", 24);
    dms_election_check c;
    dms_error err;

    const char *ok[] = {"dental_standard", "mental_health"};
    assert_int_equal(validate(young, ok, 2, "2025-12-01", NULL, &c, &err), DMS_OK);
    assert_int_equal(c.nfaults, 0);
    assert_int_equal(c.options, BIT(DENTAL_STANDARD) | BIT(MENTAL_HEALTH));
    assert_int_equal(c.split.price,
                     young->options[DENTAL_STANDARD].price + young->options[MENTAL_HEALTH].price);
    /* window edges are inclusive */
    assert_int_equal(validate(young, ok, 2, "2025-11-17", NULL, &c, &err), DMS_OK);
    assert_int_equal(validate(young, ok, 2, "2025-12-12", NULL, &c, &err), DMS_OK);
    assert_int_equal(validate(young, ok, 2, "2025-12-13", NULL, &c, &err), DMS_EINVAL);
    expect_fault(&c, 0, DMS_FAULT_WINDOW_CLOSED, "/date", "2025-11-17");
    assert_int_equal(err.code, DMS_ECONFLICT);
    assert_string_equal(err.path, "/date");
    assert_int_equal(validate(young, ok, 2, "2025-11-16", NULL, &c, &err), DMS_EINVAL);
    expect_fault(&c, 0, DMS_FAULT_WINDOW_CLOSED, "/date", "enrolment window");
    /* a life event re-opens it for 30 days, inside the period */
    assert_int_equal(validate(young, ok, 2, "2026-03-31", "2026-03-01", &c, &err), DMS_OK);
    assert_int_equal(validate(young, ok, 2, "2026-04-01", "2026-03-01", &c, &err), DMS_EINVAL);
    expect_fault(&c, 0, DMS_FAULT_WINDOW_CLOSED, "/date", "30 days");
    assert_int_equal(validate(young, ok, 2, "2026-02-28", "2026-03-01", &c, &err), DMS_EINVAL);
    assert_int_equal(validate(young, ok, 2, "2026-02-30", NULL, &c, &err), DMS_EINVAL);
    expect_fault(&c, 0, DMS_FAULT_BAD_DATE, "/date", "YYYY-MM-DD");
    assert_int_equal(validate(young, ok, 2, "2026-03-02", "1 March", &c, &err), DMS_EINVAL);
    expect_fault(&c, 0, DMS_FAULT_BAD_DATE, "/life_event_date", "YYYY-MM-DD");

    /* every option fault at its element, all reported at once */
    const char *bad[] = {"massage", "checkup", "mental_health", "mental_health"};
    assert_int_equal(validate(young, bad, 4, "2025-12-01", NULL, &c, &err), DMS_EINVAL);
    assert_int_equal(c.nfaults, 3);
    expect_fault(&c, 0, DMS_FAULT_UNKNOWN_OPTION, "/options/0", "massage");
    expect_fault(&c, 1, DMS_FAULT_DUPLICATE, "/options/3", "twice");
    expect_fault(&c, 2, DMS_FAULT_NOT_ELIGIBLE, "/options/1", "nobody in your family");
    assert_string_equal(err.path, "/options/0");
    assert_int_equal(err.code, DMS_ENOTFOUND);
    assert_int_equal(c.faults[2].error.code, DMS_EFORBIDDEN);

    const char *clash[] = {"dental_standard", "mental_health", "dental_business"};
    assert_int_equal(validate(family, clash, 3, "2025-12-01", NULL, &c, &err), DMS_EINVAL);
    assert_int_equal(c.nfaults, 1);
    expect_fault(&c, 0, DMS_FAULT_EXCLUDED, "/options/2", "(/options/0)");

    const char *needs[] = {"dental_standard", "family_dental"};
    assert_int_equal(validate(family, needs, 2, "2025-12-01", NULL, &c, &err), DMS_EINVAL);
    assert_int_equal(c.nfaults, 1);
    expect_fault(&c, 0, DMS_FAULT_MISSING_REQUIREMENT, "/options/1",
                 "requires 'Outpatient care for spouse and children'");

    /* young: 27000 roubles at most; these come to more */
    const char *dear[] = {"dental_business", "hospital_planned", "mental_health", "home_visits"};
    int64_t price = 0;
    for (size_t i = 0; i < 4; i++)
        price += young->options[dms_policy_find_option(f->policy, dear[i])].price;
    assert_true(price > young->capacity);
    assert_int_equal(validate(young, dear, 4, "2025-12-01", NULL, &c, &err), DMS_EINVAL);
    assert_int_equal(c.nfaults, 1);
    expect_fault(&c, 0, DMS_FAULT_OVER_BUDGET, "/options", "over the cap of 12000.00 RUB");
    assert_int_equal(c.split.price, price);
    /* an empty election is valid */
    assert_int_equal(validate(young, NULL, 0, "2025-12-01", NULL, &c, &err), DMS_OK);
    free(young);
    free(family);
}

/* ---- status machine ------------------------------------------------------ */

static void test_transitions(void **state)
{
    (void)state;
    /* allowed[from][to] without a life event */
    static const bool allowed[5][5] = {
        /* to: draft submitted accepted issued rejected */
        {false, true, false, false, false},  /* draft */
        {true, false, true, false, true},    /* submitted */
        {false, false, false, true, true},   /* accepted */
        {false, false, false, false, false}, /* issued */
        {true, false, false, false, false},  /* rejected */
    };
    for (int from = 0; from < DMS_ELECTION_STATUS_COUNT; from++)
        for (int to = 0; to < DMS_ELECTION_STATUS_COUNT; to++) {
            dms_election_change ch = {.to = (enum dms_election_status)to,
                                      .actor = "hr:ivanova",
                                      .at = "2025-12-02T10:00:00+03:00",
                                      .reason = "не подтверждён брак"};
            dms_election_history h;
            dms_error err;
            dms_error_clear(&err);
            int status = dms_election_transition((enum dms_election_status)from, 3, &ch, &h, &err);
            assert_int_equal(dms_election_transition_allowed((enum dms_election_status)from,
                                                             (enum dms_election_status)to, false),
                             allowed[from][to]);
            if (allowed[from][to]) {
                assert_int_equal(status, DMS_OK);
                assert_int_equal(h.version, 3);
                assert_int_equal(h.from, from);
                assert_int_equal(h.to, to);
                assert_string_equal(h.actor, "hr:ivanova");
                assert_string_equal(h.at, "2025-12-02T10:00:00+03:00");
            } else if (!(from == DMS_ELECTION_ISSUED && to == DMS_ELECTION_DRAFT)) {
                assert_int_equal(status, DMS_ECONFLICT);
                assert_string_equal(err.path, "/status");
                assert_non_null(strstr(
                    err.message, dms_election_status_name_ru((enum dms_election_status)from)));
                assert_non_null(
                    strstr(err.message, dms_election_status_name((enum dms_election_status)to)));
            }
        }
    dms_election_history h;
    dms_error err;
    /* a rejection needs a reason */
    dms_election_change ch = {.to = DMS_ELECTION_REJECTED, .actor = "hr", .at = "2025-12-02"};
    dms_error_clear(&err);
    assert_int_equal(dms_election_transition(DMS_ELECTION_SUBMITTED, 1, &ch, &h, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/reason");
    ch.reason = "  ";
    dms_error_clear(&err);
    assert_int_equal(dms_election_transition(DMS_ELECTION_ACCEPTED, 1, &ch, &h, &err), DMS_EINVAL);
    ch.reason = "insurer refused";
    assert_int_equal(dms_election_transition(DMS_ELECTION_ACCEPTED, 1, &ch, &h, &err), DMS_OK);
    assert_string_equal(h.reason, "insurer refused");
    /* who and when */
    ch = (dms_election_change){.to = DMS_ELECTION_SUBMITTED, .actor = "", .at = "2025-12-02"};
    dms_error_clear(&err);
    assert_int_equal(dms_election_transition(DMS_ELECTION_DRAFT, 1, &ch, &h, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/actor");
    ch.actor = "emp:100007";
    ch.at = "02.12.2025";
    dms_error_clear(&err);
    assert_int_equal(dms_election_transition(DMS_ELECTION_DRAFT, 1, &ch, &h, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/at");
    /* issued re-opens only for a life event, as a new version */
    ch = (dms_election_change){.to = DMS_ELECTION_DRAFT, .actor = "emp:1", .at = "2026-03-02"};
    dms_error_clear(&err);
    assert_int_equal(dms_election_transition(DMS_ELECTION_ISSUED, 1, &ch, &h, &err), DMS_EINVAL);
    assert_string_equal(err.path, "/life_event");
    ch.life_event = DMS_LIFE_EVENT_BIRTH;
    assert_int_equal(dms_election_transition(DMS_ELECTION_ISSUED, 1, &ch, &h, &err), DMS_OK);
    assert_int_equal(h.version, 2);
    assert_int_equal(h.life_event, DMS_LIFE_EVENT_BIRTH);
    assert_true(dms_election_transition_allowed(DMS_ELECTION_ISSUED, DMS_ELECTION_DRAFT, true));
    assert_false(
        dms_election_transition_allowed(DMS_ELECTION_ISSUED, DMS_ELECTION_SUBMITTED, true));
    /* a life event does not open other moves */
    ch.to = DMS_ELECTION_SUBMITTED;
    dms_error_clear(&err);
    assert_int_equal(dms_election_transition(DMS_ELECTION_ISSUED, 1, &ch, &h, &err), DMS_ECONFLICT);
}

/*
 * The status machine against a reference model written from picker.h:
 * random seeded sequences of changes (any target, with or without a reason
 * or a life event) and reported life events (dated around the window),
 * each compared with the model's outcome, status, version and history line.
 */
static int model_change(int from, int to, bool reason, bool event)
{
    static const bool moves[5][5] = {
        {false, true, false, false, false}, {true, false, true, false, true},
        {false, false, false, true, true},  {false, false, false, false, false},
        {true, false, false, false, false},
    };
    bool reopen = from == DMS_ELECTION_ISSUED && to == DMS_ELECTION_DRAFT;
    if (reopen)
        return event ? DMS_OK : DMS_EINVAL;
    if (event || !moves[from][to])
        return DMS_ECONFLICT;
    return to == DMS_ELECTION_REJECTED && !reason ? DMS_EINVAL : DMS_OK;
}

static void test_transitions_model(void **state)
{
    fixture *f = *state;
    const dms_policy *p = f->policy; /* period 2026, 30 days after an event */
    static const char *const dates[] = {"2026-03-01", "2026-03-10", "2026-03-11", "2026-02-08",
                                        "2026-02-07", "2025-12-31", "2027-01-01", "2026-13-01"};
    uint64_t seed = 0xA0761D6478BD642FULL;
    for (int run = 0; run < 2000; run++) {
        enum dms_election_status status = DMS_ELECTION_DRAFT;
        int version = 1;
        for (int step = 0; step < 24; step++) {
            dms_error err;
            dms_error_clear(&err);
            if (rng_next(&seed) % 4 == 0) { /* a reported life event, today 2026-03-10 */
                const char *date = dates[rng_next(&seed) % 8];
                long day = 0;
                bool parsed = dms_date_parse(date, &day);
                long now = 0;
                assert_true(dms_date_parse("2026-03-10", &now));
                int want = status != DMS_ELECTION_ISSUED ? DMS_ECONFLICT
                           : parsed && day >= p->period_from_day && day <= p->period_to_day &&
                                   day <= now && now - day <= p->life_event_days
                               ? DMS_OK
                               : DMS_EINVAL;
                assert_int_equal(dms_election_life_event_check(p, status, date, "2026-03-10", &err),
                                 want);
                if (want != DMS_OK) {
                    assert_string_equal(err.path, want == DMS_ECONFLICT ? "/status" : "/date");
                    continue;
                }
            }
            dms_election_change ch = {
                .to = (enum dms_election_status)(rng_next(&seed) % DMS_ELECTION_STATUS_COUNT),
                .actor = "hr:1",
                .at = "2026-03-10T09:00:00Z",
                .reason = rng_next(&seed) % 3 ? "причина" : NULL,
                .life_event = (enum dms_life_event)(rng_next(&seed) % DMS_LIFE_EVENT_COUNT)};
            /* re-open attempts are frequent enough to matter */
            if (status == DMS_ELECTION_ISSUED && rng_next(&seed) % 2)
                ch.to = DMS_ELECTION_DRAFT;
            int want = model_change((int)status, (int)ch.to, ch.reason != NULL,
                                    ch.life_event != DMS_LIFE_EVENT_NONE);
            dms_election_history h;
            assert_int_equal(dms_election_transition(status, version, &ch, &h, &err), want);
            if (want != DMS_OK)
                continue;
            bool reopen = status == DMS_ELECTION_ISSUED;
            assert_int_equal(h.version, reopen ? version + 1 : version);
            assert_int_equal(h.from, status);
            assert_int_equal(h.to, ch.to);
            assert_int_equal(h.life_event, reopen ? ch.life_event : DMS_LIFE_EVENT_NONE);
            status = ch.to;
            version = h.version;
        }
    }
}

/* One stored history line for the payroll tests. */
static dms_election_history line(int version, enum dms_election_status from,
                                 enum dms_election_status to, int64_t month, const char *event)
{
    dms_election_history h;
    memset(&h, 0, sizeof h);
    h.version = version;
    h.from = from;
    h.to = to;
    h.employee_month = month;
    if (event != NULL) {
        h.life_event = DMS_LIFE_EVENT_BIRTH;
        snprintf(h.life_event_date, sizeof h.life_event_date, "%s", event);
    }
    return h;
}

static void expect_months(const int64_t *got, size_t n, const int64_t *want)
{
    assert_int_equal(n, 12);
    for (size_t m = 0; m < n; m++)
        if (got[m] != want[m]) {
            print_error("month %zu: %lld, expected %lld\n", m + 1, (long long)got[m],
                        (long long)want[m]);
            fail();
        }
}

/*
 * Payroll over the 2026 period of the example policy: the version in force
 * each month. Before the fix a life event on a never-issued election made
 * payroll start at the event's month (one month for a December date); a
 * re-opened election deducted nothing until its new version was accepted
 * and nothing for the months before the event.
 */
static void test_payroll_months(void **state)
{
    fixture *f = *state;
    const dms_policy *p = f->policy;
    const enum dms_election_status DR = DMS_ELECTION_DRAFT, SU = DMS_ELECTION_SUBMITTED,
                                   AC = DMS_ELECTION_ACCEPTED, IS = DMS_ELECTION_ISSUED,
                                   RE = DMS_ELECTION_REJECTED;
    int64_t months[DMS_PAYROLL_MAX_MONTHS];
    size_t n = 0;
    dms_error err;
    dms_error_clear(&err);
    dms_election_history h[8];
    h[0] = line(1, DR, DR, 1000, NULL);
    h[1] = line(1, DR, SU, 1000, NULL);
    h[2] = line(1, SU, AC, 1000, NULL);
    h[3] = line(1, AC, IS, 1000, NULL);
    /* version 1 in force all year; submitted only: nothing */
    assert_int_equal(dms_election_payroll(p, h, 4, IS, 1, 1000, "", months, 60, &n, &err), DMS_OK);
    expect_months(months, n,
                  (const int64_t[12]){1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000,
                                      1000, 1000});
    assert_int_equal(dms_election_payroll(p, h, 2, SU, 1, 1000, "", months, 60, &n, &err), DMS_OK);
    expect_months(months, n, (const int64_t[12]){0});
    /* re-opened by a birth on 15 March: version 1 stays in force meanwhile */
    h[4] = line(2, IS, DR, 1000, "2026-03-15");
    assert_int_equal(dms_election_payroll(p, h, 5, DR, 2, 2500, "2026-03-15", months, 60, &n, &err),
                     DMS_OK);
    expect_months(months, n,
                  (const int64_t[12]){1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000,
                                      1000, 1000});
    /* version 2 accepted: from March at its own deduction */
    h[5] = line(2, DR, SU, 2500, NULL);
    h[6] = line(2, SU, AC, 2500, NULL);
    assert_int_equal(dms_election_payroll(p, h, 7, AC, 2, 2500, "2026-03-15", months, 60, &n, &err),
                     DMS_OK);
    expect_months(months, n,
                  (const int64_t[12]){1000, 1000, 2500, 2500, 2500, 2500, 2500, 2500, 2500, 2500,
                                      2500, 2500});
    /* version 2 rejected: version 1 again, all year */
    h[6] = line(2, SU, RE, 2500, NULL);
    assert_int_equal(dms_election_payroll(p, h, 7, RE, 2, 2500, "2026-03-15", months, 60, &n, &err),
                     DMS_OK);
    expect_months(months, n,
                  (const int64_t[12]){1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000,
                                      1000, 1000});
    /* a third version from July, accepted with no deduction */
    dms_election_history g[12];
    memcpy(g, h, 6 * sizeof *h);
    g[6] = line(2, SU, AC, 2500, NULL);
    g[7] = line(2, AC, IS, 2500, NULL);
    g[8] = line(3, IS, DR, 2500, "2026-07-01");
    g[9] = line(3, DR, SU, 0, NULL);
    g[10] = line(3, SU, AC, 0, NULL);
    assert_int_equal(dms_election_payroll(p, g, 11, AC, 3, 0, "2026-07-01", months, 60, &n, &err),
                     DMS_OK);
    expect_months(months, n,
                  (const int64_t[12]){1000, 1000, 2500, 2500, 2500, 2500, 0, 0, 0, 0, 0, 0});
    /* too few months to write into */
    dms_error_clear(&err);
    assert_int_equal(dms_election_payroll(p, h, 4, IS, 1, 1000, "", months, 11, &n, &err),
                     DMS_ETOOBIG);
}

static void test_names(void **state)
{
    (void)state;
    enum dms_election_status s;
    assert_string_equal(dms_election_status_name(DMS_ELECTION_ISSUED), "issued");
    assert_string_equal(dms_election_status_name_ru(DMS_ELECTION_ISSUED), "оформлена");
    assert_string_equal(dms_election_status_name_ru(DMS_ELECTION_REJECTED), "отклонена");
    assert_string_equal(dms_election_status_name((enum dms_election_status)9), "?");
    assert_true(dms_election_status_from_text("Подана", &s));
    assert_int_equal(s, DMS_ELECTION_SUBMITTED);
    assert_true(dms_election_status_from_text("ПРИНЯТА", &s));
    assert_int_equal(s, DMS_ELECTION_ACCEPTED);
    assert_true(dms_election_status_from_text("Draft", &s));
    assert_int_equal(s, DMS_ELECTION_DRAFT);
    assert_false(dms_election_status_from_text("lost", &s));
    enum dms_life_event e;
    assert_true(dms_life_event_from_text("Вступление в брак", &e));
    assert_int_equal(e, DMS_LIFE_EVENT_MARRIAGE);
    assert_true(dms_life_event_from_text("birth", &e));
    assert_int_equal(e, DMS_LIFE_EVENT_BIRTH);
    assert_false(dms_life_event_from_text("none", &e));
    assert_string_equal(dms_life_event_name_ru(DMS_LIFE_EVENT_BIRTH), "рождение ребёнка");
    assert_string_equal(dms_election_fault_name(DMS_FAULT_OVER_BUDGET), "over_budget");
}

/* The payroll calendar, the tenure rule and the in-force rule live in the
 * core (issue 17): the payroll export labels months with them. */
static void test_payroll_calendar(void **state)
{
    (void)state;
    dms_policy *p = NULL;
    dms_error err;
    assert_int_equal(dms_policy_load_file(EXAMPLE_POLICY, &p, &err), DMS_OK);
    int y = 0, m = 0;
    dms_election_payroll_month(p, 0, &y, &m);
    assert_true(y == 2026 && m == 1);
    dms_election_payroll_month(p, 11, &y, &m);
    assert_true(y == 2026 && m == 12);
    /* a period from July runs into the next year */
    strcpy(p->period_from, "2026-07-15");
    dms_election_payroll_month(p, 5, &y, &m);
    assert_true(y == 2026 && m == 12);
    dms_election_payroll_month(p, 6, &y, &m);
    assert_true(y == 2027 && m == 1);
    dms_policy_free(p);

    assert_false(dms_election_ever_in_force(DMS_ELECTION_DRAFT, 1));
    assert_false(dms_election_ever_in_force(DMS_ELECTION_SUBMITTED, 1));
    assert_false(dms_election_ever_in_force(DMS_ELECTION_REJECTED, 1));
    assert_true(dms_election_ever_in_force(DMS_ELECTION_ACCEPTED, 1));
    assert_true(dms_election_ever_in_force(DMS_ELECTION_ISSUED, 1));
    assert_true(dms_election_ever_in_force(DMS_ELECTION_DRAFT, 2)); /* v1 was issued */
    assert_int_equal(dms_picker_tenure_months(NULL, "100007"), DMS_PICKER_TENURE_ASSUMED_MONTHS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payroll_calendar),
        cmocka_unit_test(test_solver_matches_brute_force),
        cmocka_unit_test(test_solver_larger_menu),
        cmocka_unit_test(test_solver_edges),
        cmocka_unit_test(test_split_and_capacity),
        cmocka_unit_test(test_household),
        cmocka_unit_test(test_offer_single_young),
        cmocka_unit_test(test_offer_family),
        cmocka_unit_test(test_offer_needs_ineligible),
        cmocka_unit_test(test_recommend_family),
        cmocka_unit_test(test_recommend_errors),
        cmocka_unit_test(test_recommend_issue_19),
        cmocka_unit_test(test_recommend_properties),
        cmocka_unit_test(test_reason_long_names),
        cmocka_unit_test(test_out_of_pocket),
        cmocka_unit_test(test_out_of_pocket_table),
        cmocka_unit_test(test_election_validate),
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_transitions_model),
        cmocka_unit_test(test_payroll_months),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
