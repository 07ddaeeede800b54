/*
 * The employee module picker, as pure functions over a loaded policy,
 * tariff and model: which optional modules a household may choose
 * (eligibility), what each costs and who pays it (the offer), the sets that
 * leave the employee best off for a questionnaire of priorities and a risk
 * answer, own salary deductions weighed against what the cover is worth to
 * them (the recommendation, an exact branch and bound with the runner-up
 * sets), the expected out-of-pocket cost of care of a set, the server-side
 * validation of a submitted election, the status machine of an election
 * with its life events, and what payroll deducts each month. Storage, roles
 * and HTTP live elsewhere; nothing here allocates what the caller must free
 * except where a function says so.
 *
 * Money is in kopecks (int64_t) a year unless a name says otherwise, so that
 * budgets are compared exactly and sums never drift.
 */
#ifndef DMS_PICKER_H
#define DMS_PICKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dms/census.h"
#include "dms/model.h"
#include "dms/policy.h"
#include "dms/tariff.h"

#define DMS_PICKER_MAX_MEMBERS 16 /* employee + family in one household */
#define DMS_PICKER_MAX_BEST 16    /* the best set and its runner-ups */
#define DMS_PICKER_MAX_ITEMS 64   /* solver items are bits of a uint64_t */
#define DMS_PICKER_EXHAUSTIVE_MAX 26

/* ---- household and eligibility ---------------------------------------- */

/* An employee and the family members insured with them. */
typedef struct dms_household {
    const dms_person *members[DMS_PICKER_MAX_MEMBERS]; /* borrowed; [0] is the employee */
    size_t nmembers;
    int tenure_months; /* the employee's, at the election date */
} dms_household;

/*
 * Collects the employee with this id and their family members from census
 * (pointers borrowed from it). DMS_ENOTFOUND if there is no such employee,
 * DMS_ETOOBIG over DMS_PICKER_MAX_MEMBERS people.
 */
int dms_picker_household(const dms_census *census, const char *employee_id, int tenure_months,
                         dms_household *out, dms_error *err);

/* The tenure census files without a hire date stand for: a year. */
#define DMS_PICKER_TENURE_ASSUMED_MONTHS 12

/*
 * The employee's months in service at the election, for
 * dms_picker_household. Census files carry no hire date, so every employee
 * counts as DMS_PICKER_TENURE_ASSUMED_MONTHS in service; the rule lives here
 * so that the HTTP layer and the CLI cannot drift apart.
 */
int dms_picker_tenure_months(const dms_census *census, const char *employee_id);

/* Why an option is not offered (the first reason found, in this order). */
enum dms_picker_reason {
    DMS_PICKER_ELIGIBLE = 0,
    DMS_PICKER_WRONG_SEGMENT,   /* the option is not for the employee's segment */
    DMS_PICKER_TENURE,          /* the employee has not worked long enough */
    DMS_PICKER_NO_MEMBER,       /* nobody in the household fits its age / relation rules */
    DMS_PICKER_NEEDS_INELIGIBLE /* it requires an option the household cannot have */
};

/* "eligible", "wrong_segment", "tenure", "no_member", "needs_ineligible". */
const char *dms_picker_reason_name(enum dms_picker_reason reason);
/* A sentence for people, "ru" or "en" (anything else is English). */
const char *dms_picker_reason_text(enum dms_picker_reason reason, const char *lang);

/*
 * Eligibility of option `option` of policy for household h in segment
 * `segment`, ignoring its requirements: *covered receives the bits (1 << i)
 * of h->members[i] the option would cover (relation and age at the period
 * start, clamped at 0, within its rules), *reason why not when it is
 * DMS_PICKER_ELIGIBLE no more. Returns true when eligible.
 */
bool dms_picker_eligible(const dms_policy *policy, size_t segment, const dms_household *h,
                         size_t option, uint32_t *covered, enum dms_picker_reason *reason);

/* ---- money ------------------------------------------------------------- */

/* Who pays a yearly price under a segment's rule (see policy.h). */
typedef struct dms_picker_split {
    int64_t price;    /* kopecks a year */
    int64_t credits;  /* of which paid from the flex budget */
    int64_t employer; /* employer in all: credits + its share of the rest */
    int64_t employee; /* the employee's salary top-up */
    int64_t price_month, employer_month,
        employee_month; /* a twelfth, employer = price - employee */
    bool within_cap;    /* employee <= the segment's top-up cap */
} dms_picker_split;

/*
 * Splits price (kopecks a year, >= 0) under segment seg: credits first, the
 * rest shared, the employee's part rounded half up to a kopeck. The monthly
 * figures are the yearly ones divided by 12 and rounded half up, the
 * employer's taken as the difference so the two add up to the price.
 */
void dms_picker_split_price(const dms_policy_segment *seg, int64_t price, dms_picker_split *out);

/*
 * The largest yearly price (kopecks) whose employee part stays within
 * top_up (kopecks, at most the segment's cap; negative means the cap).
 * INT64_MAX / 4 when the employer pays the whole rest (employer_share 1).
 */
int64_t dms_picker_capacity(const dms_policy_segment *seg, int64_t top_up);

/* ---- offer ------------------------------------------------------------- */

typedef struct dms_offer_option {
    bool eligible;
    enum dms_picker_reason reason;
    uint32_t covered;       /* household members covered (bits), 0 if not eligible */
    int64_t price;          /* kopecks a year: gross with the anti-selection load */
    int64_t claims;         /* kopecks a year: expected claims paid (value of cover) */
    dms_picker_split alone; /* who pays if it were the only option chosen */
} dms_offer_option;

/* The priced menu of one household; options[i] is policy->options[i]. */
typedef struct dms_offer {
    const dms_policy *policy; /* borrowed: policy, tariff, model outlive the offer */
    const dms_tariff *tariff;
    const dms_model *model;
    size_t segment;
    dms_household household;
    int ages[DMS_PICKER_MAX_MEMBERS]; /* at the period start, clamped at 0 */
    int64_t base_price;               /* employer-paid base modules of the employee */
    int64_t capacity;                 /* largest set price budget + cap allow */
    uint64_t eligible;                /* bits of eligible options */
    size_t noptions;
    dms_offer_option options[DMS_POLICY_MAX_OPTIONS];
} dms_offer;

/*
 * Prices the menu of policy for household h (segment from its employee,
 * has_children from its members): every eligible option priced for each
 * member it covers, under dms_quote_price_person at the option's network,
 * the policy's headcount and the base scenario; options that require an
 * ineligible one become ineligible. Faults of pricing (unknown module) come
 * with the pointer /options/<i>/cover/... of the policy. Fills *out.
 */
int dms_picker_offer(const dms_policy *policy, const dms_tariff *tariff, const dms_model *model,
                     const dms_household *h, dms_offer *out, dms_error *err);

/* The yearly price of a set of options (bits) and its split. */
void dms_picker_offer_split(const dms_offer *offer, uint64_t options, dms_picker_split *out);

/* ---- exact set selection ----------------------------------------------- */

/* One candidate of the selection problem. */
typedef struct dms_picker_item {
    int64_t cost;      /* >= 0 */
    int64_t value;     /* >= 0 */
    uint64_t requires; /* items that must be chosen with this one */
    uint64_t excludes; /* items that cannot be chosen with it (either side suffices) */
} dms_picker_item;

/* A chosen set: bits of items, its total cost and value, what its cost
 * charges against the value (0 without a charge) and value - charge. */
typedef struct dms_picker_set {
    uint64_t mask;
    int64_t cost;
    int64_t value;
    int64_t charge;
    int64_t net;
} dms_picker_set;

/*
 * What a set's total cost C charges against its value: nothing up to
 * `free`, then llround((C - free) x rate), at most C - free; rate in [0, 1].
 * This is the employee's own part of a price under a segment's rule (the
 * flex credits are free to them, the rest is shared), so that the exact
 * search can weigh own money against the value of cover.
 */
typedef struct dms_picker_charge {
    int64_t free;
    double rate;
} dms_picker_charge;

/* The charge of a total cost (see dms_picker_charge; NULL charges nothing). */
int64_t dms_picker_charge_of(const dms_picker_charge *charge, int64_t cost);

/*
 * Finds the nbest best feasible sets of n items (n <= DMS_PICKER_MAX_ITEMS,
 * 1 <= nbest <= DMS_PICKER_MAX_BEST). A set is feasible when it holds what
 * each member requires, no two members exclude each other and its cost is
 * at most capacity. Sets are ranked by value (higher first), then cost
 * (lower first), then mask (lower first): a total order, so the answer is
 * unique. best[] receives min(nbest, feasible sets) sets in that order,
 * *nfound their number; the empty set is feasible. Branch and bound over
 * items in value/cost order with the fractional knapsack bound; it visits
 * at most max_nodes nodes (0: 200 million) and otherwise returns
 * DMS_ETOOBIG rather than a guess. *nodes (may be NULL) receives the count.
 */
int dms_picker_solve(const dms_picker_item *items, size_t n, int64_t capacity, size_t nbest,
                     unsigned long long max_nodes, dms_picker_set *best, size_t *nfound,
                     unsigned long long *nodes, dms_error *err);

/* The same answer by enumerating all 2^n subsets (n <= DMS_PICKER_EXHAUSTIVE_MAX): the
 * reference the solver is tested and benchmarked against. */
int dms_picker_solve_exhaustive(const dms_picker_item *items, size_t n, int64_t capacity,
                                size_t nbest, dms_picker_set *best, size_t *nfound, dms_error *err);

/*
 * dms_picker_solve with a charge on the total cost: sets are ranked by net
 * = value - charge(cost) (higher first), then cost (lower first), then mask.
 * The bound is the smaller of the fractional knapsack bound on the values
 * and the sum of the items' positive values less their least extra charge
 * (the charge is convex, so a set's charge is at least the sum of its
 * items' extra charges), so the answer is still exact. A NULL charge is
 * dms_picker_solve.
 */
int dms_picker_solve_net(const dms_picker_item *items, size_t n, int64_t capacity,
                         const dms_picker_charge *charge, size_t nbest,
                         unsigned long long max_nodes, dms_picker_set *best, size_t *nfound,
                         unsigned long long *nodes, dms_error *err);

/* dms_picker_solve_net by enumerating all subsets: its reference. */
int dms_picker_solve_exhaustive_net(const dms_picker_item *items, size_t n, int64_t capacity,
                                    const dms_picker_charge *charge, size_t nbest,
                                    dms_picker_set *best, size_t *nfound, dms_error *err);

/* ---- recommendation ---------------------------------------------------- */

/* Expected usage of care: claim frequency x 0.5, x 1, x 2 of the model's. */
enum dms_usage { DMS_USAGE_LOW, DMS_USAGE_MEDIUM, DMS_USAGE_HIGH, DMS_USAGE_COUNT };
extern const double dms_picker_usage_factor[DMS_USAGE_COUNT];

#define DMS_PICKER_MAX_ANSWERS 64

/*
 * The priority scale, 0..5, says what an option's cover is worth to the
 * employee as a multiple of its expected claims paid: priority / 3.
 *   0 = not needed (never recommended);
 *   3 = worth its expected cost (a rouble of expected claims paid is worth a
 *       rouble of one's own money);
 *   5 = worth considerably more (5/3: someone who values protection against
 *       large bills).
 */
#define DMS_PICKER_PRIORITY_PAR 3
#define DMS_PICKER_PRIORITY_MAX 5

/*
 * The risk question: "how much would an unexpected 50,000 ₽ bill trouble
 * you?" 0 not at all, 1 somewhat, 2 a lot, 3 seriously. The answer is the
 * roubles a person would give to narrow by one rouble the spread of their
 * out-of-pocket cost between a light and a heavy year of care (the low and
 * high usage figures): dms_picker_risk_weight[answer].
 */
#define DMS_PICKER_RISK_MAX 3
extern const double dms_picker_risk_weight[DMS_PICKER_RISK_MAX + 1];

/*
 * The questionnaire: a priority 0..5 per option code or module code (an
 * option's own code wins over its module's), the answer to the risk
 * question and the most the employee will add from salary. No health data
 * is asked.
 */
typedef struct dms_picker_answer {
    char code[DMS_MODEL_CODE_MAX];
    int priority;
} dms_picker_answer;

typedef struct dms_picker_questionnaire {
    size_t nanswers;
    dms_picker_answer answers[DMS_PICKER_MAX_ANSWERS];
    int default_priority; /* of options nobody answered for, 0..5 */
    int risk;             /* 0..DMS_PICKER_RISK_MAX, see dms_picker_risk_weight */
    double top_up_limit;  /* roubles a year the employee will add; < 0: up to the cap */
} dms_picker_questionnaire;

/* Every option at priority 3, risk answer 0 (not troubled), top-up up to the cap. */
dms_picker_questionnaire dms_picker_questionnaire_default(void);

typedef struct dms_picker_choice {
    uint64_t options; /* bits of policy options */
    /* what the cover is worth to the employee, kopecks a year: the sum over
     * its options of priority / 3 x (expected claims paid + risk weight x the
     * spread of out-of-pocket cost the option narrows) */
    int64_t value;
    int64_t net; /* value - split.employee: what the set leaves the employee better off */
    dms_picker_split split; /* split.employee(_month): own salary deductions */
    /* expected cost of care the household pays itself, roubles a year */
    double out_of_pocket[DMS_USAGE_COUNT];
    /* expected total cost to the employee, kopecks a year: own deductions +
     * out of pocket (rounded to a kopeck) */
    int64_t total_cost[DMS_USAGE_COUNT];
} dms_picker_choice;

#define DMS_PICKER_REASON_MAX 2048

typedef struct dms_recommendation {
    int64_t capacity; /* the price limit used (budget + the top-up allowed) */
    size_t nchoices;  /* choices[0] the best, then the runner-ups */
    dms_picker_choice choices[DMS_PICKER_MAX_BEST];
    unsigned long long nodes; /* branch-and-bound nodes visited */
    /* why choices[0] wins over choices[1] (or why it is the only one) */
    char reason_ru[DMS_PICKER_REASON_MAX];
    char reason_en[DMS_PICKER_REASON_MAX];
} dms_recommendation;

/*
 * Recommends from offer the sets that leave the employee best off: it
 * maximises what the chosen cover is worth to them (see
 * dms_picker_choice.value) less their own salary deduction for it, where
 * the employer's flex credits pay first and cost the employee nothing;
 * subject to price <= capacity(top-up limit), requirements and exclusions,
 * exactly (dms_picker_solve_net). So an option whose own cost is more than
 * it is worth to the person is never in the best set, all priorities 0
 * spend no own money, and lowering every priority in the same proportion
 * never spends more. Gives the nbest best sets with split, out-of-pocket
 * and total cost, and the reason the best wins (Russian and English).
 * DMS_EINVAL at /answers/<i>/priority for a priority outside 0..5,
 * /answers/<i>/code for a code that names no option or module of the
 * policy, /risk for an answer outside 0..3.
 */
int dms_picker_recommend(const dms_offer *offer, const dms_picker_questionnaire *q, size_t nbest,
                         dms_recommendation *out, dms_error *err);

/*
 * Expected out-of-pocket cost of care of the household, roubles a year, for
 * a set of options under each usage level: for every member and every
 * module the employer's base package or any offered option could cover
 * them for, the expected cost of care E[S] (frequency x usage factor) minus
 * what the insurer pays, E[min(S_covered, L)], under the best cover the
 * member has for that module (the base package covers the employee only;
 * an option covers the members it covers); a module without cover costs its
 * full expected cost of care at the segment's network. Flat modules
 * (telemedicine, check-up) cost their rated fee x the usage factor when not
 * covered, nothing when covered.
 */
int dms_picker_out_of_pocket(const dms_offer *offer, uint64_t options, double out[DMS_USAGE_COUNT],
                             dms_error *err);

/*
 * The same figures in two steps, for a caller that prices many sets of one
 * offer (a server answering an employee's drafts): build works out every
 * member's cost per module and way of cover (the aggregate distributions,
 * milliseconds), once per offer; sum then adds them up for a set
 * (microseconds), exactly as dms_picker_out_of_pocket does. Sum reads
 * the table only (not the offer); the table is immutable once built, so
 * threads may sum it at once, and it is freed with dms_picker_oop_free.
 */
typedef struct dms_picker_oop dms_picker_oop;
int dms_picker_oop_build(const dms_offer *offer, dms_picker_oop **out, dms_error *err);
void dms_picker_oop_sum(const dms_picker_oop *oop, uint64_t options, double out[DMS_USAGE_COUNT]);
void dms_picker_oop_free(dms_picker_oop *oop);

/* dms_picker_recommend with the offer's out-of-pocket table already built
 * (dms_picker_oop_build on this offer): the same figures, without the
 * aggregate distributions. */
int dms_picker_recommend_oop(const dms_offer *offer, const dms_picker_oop *oop,
                             const dms_picker_questionnaire *q, size_t nbest,
                             dms_recommendation *out, dms_error *err);

/* ---- election ---------------------------------------------------------- */

/* What a UI shows next to the field at the fault's pointer. */
enum dms_election_fault_kind {
    DMS_FAULT_UNKNOWN_OPTION,      /* /options/<i>: no such option */
    DMS_FAULT_DUPLICATE,           /* /options/<i>: chosen twice */
    DMS_FAULT_NOT_ELIGIBLE,        /* /options/<i>: not offered to this household */
    DMS_FAULT_MISSING_REQUIREMENT, /* /options/<i>: requires an option not chosen */
    DMS_FAULT_EXCLUDED,            /* /options/<i>: excluded by another chosen option */
    DMS_FAULT_OVER_BUDGET,         /* /options: employee part above the top-up cap */
    DMS_FAULT_WINDOW_CLOSED,       /* /date: outside enrolment and any life-event window */
    DMS_FAULT_BAD_DATE,            /* /date or /life_event_date: not a date */
};

/* "unknown_option", "duplicate", ... */
const char *dms_election_fault_name(enum dms_election_fault_kind kind);

#define DMS_ELECTION_MAX_FAULTS 32

typedef struct dms_election_fault {
    enum dms_election_fault_kind kind;
    dms_error error; /* code, message (Russian / English), path */
} dms_election_fault;

/* What the employee submitted: {"options": [codes], "date", "life_event_date"}. */
typedef struct dms_election_request {
    const char *const *options; /* option codes as submitted */
    size_t noptions;
    const char *date;            /* ISO date of the submission */
    const char *life_event_date; /* NULL: none; else the event re-opens the choice */
} dms_election_request;

typedef struct dms_election_check {
    size_t nfaults; /* faults kept; more are counted in dropped */
    size_t dropped;
    dms_election_fault faults[DMS_ELECTION_MAX_FAULTS];
    uint64_t options;       /* the known options chosen */
    dms_picker_split split; /* of those options */
} dms_election_check;

/*
 * Validates a submitted election against the offer made for the household:
 * every option known, once, eligible, its requirements chosen, no two
 * excluding each other; the employee's part within the top-up cap; the date
 * inside the enrolment window, or within policy->life_event_days from a
 * life event dated inside the period. Every fault goes into out; returns
 * DMS_OK when there is none, else DMS_EINVAL with the first one in err.
 */
int dms_election_validate(const dms_offer *offer, const dms_election_request *req,
                          dms_election_check *out, dms_error *err);

/* черновик / подана / принята / оформлена / отклонена */
enum dms_election_status {
    DMS_ELECTION_DRAFT,
    DMS_ELECTION_SUBMITTED,
    DMS_ELECTION_ACCEPTED,
    DMS_ELECTION_ISSUED,
    DMS_ELECTION_REJECTED,
    DMS_ELECTION_STATUS_COUNT
};

/* "draft", "submitted", "accepted", "issued", "rejected". */
const char *dms_election_status_name(enum dms_election_status status);
/* "черновик", "подана", "принята", "оформлена", "отклонена". */
const char *dms_election_status_name_ru(enum dms_election_status status);
/* Either language, case-insensitive; false if unknown. */
bool dms_election_status_from_text(const char *text, enum dms_election_status *out);

/* Events that re-open an issued election during the year. */
enum dms_life_event {
    DMS_LIFE_EVENT_NONE,
    DMS_LIFE_EVENT_BIRTH,    /* birth (or adoption) of a child, рождение ребёнка */
    DMS_LIFE_EVENT_MARRIAGE, /* marriage, вступление в брак */
    DMS_LIFE_EVENT_COUNT
};
const char *dms_life_event_name(enum dms_life_event event); /* "birth", "marriage" */
const char *dms_life_event_name_ru(enum dms_life_event event); /* "рождение ребёнка", ... */
bool dms_life_event_from_text(const char *text, enum dms_life_event *out);

/* A requested change of status, with who and when (kept in history). */
typedef struct dms_election_change {
    enum dms_election_status to;
    const char *actor;              /* acting user, required */
    const char *at;                 /* ISO 8601 time, required (YYYY-MM-DD...) */
    const char *reason;             /* required for rejected; optional otherwise */
    enum dms_life_event life_event; /* required to re-open an issued election */
} dms_election_change;

#define DMS_ELECTION_TEXT_MAX 256

/* One line of an election's history. */
typedef struct dms_election_history {
    int version; /* election version after the change */
    enum dms_election_status from, to;
    enum dms_life_event life_event;
    char actor[DMS_ELECTION_TEXT_MAX];
    char at[40];
    char reason[DMS_ELECTION_TEXT_MAX];
    /* as stored (the store fills these from the election it writes): the
     * date of the life event on the line that re-opened the election ("" on
     * other lines), and the election's monthly salary deduction after the
     * change, kopecks */
    char life_event_date[11];
    int64_t employee_month;
} dms_election_history;

/*
 * Checks a change of status of an election now at `from`, version `version`,
 * and writes its history line into *entry. Allowed:
 *   draft -> submitted;  submitted -> draft (withdrawn);
 *   submitted -> accepted | rejected;  accepted -> issued | rejected;
 *   rejected -> draft (to correct and resubmit);
 *   issued -> draft only with a life event, which starts version + 1.
 * A change carrying a life event is only that last move (DMS_ECONFLICT
 * otherwise: a life event never re-opens a draft, submitted, accepted or
 * rejected election). Rejection needs a reason. Illegal moves are DMS_ECONFLICT (message names
 * both statuses in Russian and English); a missing actor, time or reason is
 * DMS_EINVAL at /actor, /at, /reason, a missing life event at /life_event.
 */
int dms_election_transition(enum dms_election_status from, int version,
                            const dms_election_change *change, dms_election_history *entry,
                            dms_error *err);

/*
 * Checks a life event reported on an election now at `status`, on `today`
 * (YYYY-MM-DD): only an issued election re-opens, so any other status is
 * DMS_ECONFLICT at /status (the message names it in Russian and English);
 * the event's date must be a date (DMS_EINVAL at /date) inside the policy
 * period, not after today, and at most policy->life_event_days before today,
 * since the choice it opens closes then (DMS_EINVAL at /date, naming the
 * window). The status is checked first.
 */
int dms_election_life_event_check(const dms_policy *policy, enum dms_election_status status,
                                  const char *event_date, const char *today, dms_error *err);

#define DMS_PAYROLL_MAX_MONTHS 60

/*
 * The monthly salary deduction of one election in every month of the policy
 * period (months[0] is the period's first month; *nmonths receives their
 * number), from its history (lines, oldest first, as stored) and its
 * current status, version, monthly deduction and life-event date. A
 * version deducts from the month it starts (version 1: the period's first
 * month; a later one: the month of the life event that re-opened it) to
 * the end of the period or the start of the next version in force. A
 * version is in force once accepted or issued; every version before the
 * current one was issued (only an issued election re-opens), each at the
 * deduction of its last accepted or issued line, and while the current
 * version is not accepted (a re-opened draft, a submission, a rejection)
 * the one before it stays in force. DMS_ETOOBIG over max months.
 */
int dms_election_payroll(const dms_policy *policy, const dms_election_history *lines, size_t n,
                         enum dms_election_status status, int version, int64_t employee_month,
                         const char *life_event_date, int64_t *months, size_t max, size_t *nmonths,
                         dms_error *err);

/*
 * Whether an election ever had a version in force, and so any payroll
 * deductions: the current version accepted or issued, or an earlier one
 * (every version before the current one was issued). When false the
 * schedule is empty and its history need not be read.
 */
bool dms_election_ever_in_force(enum dms_election_status status, int version);

/* The calendar month of months[k] of dms_election_payroll (k = 0 is the
 * period's first month). */
void dms_election_payroll_month(const dms_policy *policy, size_t k, int *year /* OUT */,
                                int *month /* OUT */);

/* True if from -> to is one of the moves above (with a life event if needed). */
bool dms_election_transition_allowed(enum dms_election_status from, enum dms_election_status to,
                                     bool life_event);

#endif
