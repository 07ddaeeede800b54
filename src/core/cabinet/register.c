/*
 * The register of insured people: the in-memory snapshot (persons keyed by
 * policy number), batches of changes, the whole-batch check that either
 * accepts every change or reports every fault, and the paged listing. The
 * check never modifies the snapshot: it works on an overlay of the persons
 * the batch touches, so a refused batch leaves nothing behind and an accepted
 * one hands the store exactly the rows to write in one transaction.
 */
#include "register_internal.h"
#include "dms/text.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- vocabularies ------------------------------------------------------------ */

static const char *const status_en[] = {"included", "suspended", "excluded"};
static const char *const status_ru[] = {"включён", "приостановлен", "исключён"};
static const char *const action_en[] = {"attach", "detach", "suspend", "change_programme"};
static const char *const action_ru[] = {"прикрепить", "открепить", "приостановить",
                                        "изменить программу"};
static const char *const field_en[DMS_INSURED_F_COUNT] = {
    "action",    "effective_date", "policy_number", "employee_id", "relation",
    "full_name", "birth_date",     "department",    "programme"};
static const char *const field_ru[DMS_INSURED_F_COUNT] = {
    "Действие", "Дата действия", "Номер полиса",  "Табельный номер", "Связь",
    "ФИО",      "Дата рождения", "Подразделение", "Программа"};
static const char *const issue_names[DMS_INSURED_E_COUNT] = {
    "unknown_action",  "bad_date",           "date_outside_policy", "retro_beyond_window",
    "unknown_policy",  "already_excluded",   "already_included",    "already_suspended",
    "person_excluded", "unknown_programme",  "same_programme",      "missing_value",
    "bad_value",       "before_last_change", "bad_header",          "missing_column",
    "bad_file",        "employee_mismatch"};

const char *dms_insured_issue_name(enum dms_insured_issue_code code)
{
    return (unsigned)code < DMS_INSURED_E_COUNT ? issue_names[code] : "?";
}

const char *dms_insured_status_name(enum dms_insured_status s)
{
    return (unsigned)s < 3 ? status_en[s] : "?";
}

const char *dms_insured_status_name_ru(enum dms_insured_status s)
{
    return (unsigned)s < 3 ? status_ru[s] : "?";
}

const char *dms_insured_action_name(enum dms_insured_action a)
{
    return (unsigned)a < 4 ? action_en[a] : "?";
}

const char *dms_insured_action_name_ru(enum dms_insured_action a)
{
    return (unsigned)a < 4 ? action_ru[a] : "?";
}

const char *dms_insured_field_name(enum dms_insured_field f)
{
    return (unsigned)f < DMS_INSURED_F_COUNT ? field_en[f] : "?";
}

const char *dms_insured_field_name_ru(enum dms_insured_field f)
{
    return (unsigned)f < DMS_INSURED_F_COUNT ? field_ru[f] : "?";
}

bool dms_register_word_in(const char *text, size_t len, const char *const *words)
{
    /* the lists are written folded already (lower case, е for ё, single
       spaces), so only the input is folded */
    char folded[128];
    if (text == NULL || !dms_text_fold(text, len, folded, sizeof folded))
        return false;
    for (size_t i = 0; words[i] != NULL; i++)
        if (strcmp(words[i], folded) == 0)
            return true;
    return false;
}

static const char *const attach_words[] = {"прикрепить", "прикрепление", "включить",
                                           "attach",     "add",          NULL};
static const char *const detach_words[] = {"открепить", "открепление", "исключить",
                                           "detach",    "remove",      NULL};
static const char *const suspend_words[] = {"приостановить", "приостановление", "suspend", NULL};
static const char *const change_words[] = {"изменить программу",
                                           "изменение программы",
                                           "смена программы",
                                           "change programme",
                                           "change program",
                                           "change_programme",
                                           NULL};

bool dms_insured_action_from_text(const char *text, size_t len, enum dms_insured_action *out)
{
    static const char *const *const lists[] = {attach_words, detach_words, suspend_words,
                                               change_words};
    for (int a = 0; a < 4; a++)
        if (dms_register_word_in(text, len, lists[a])) {
            if (out != NULL)
                *out = (enum dms_insured_action)a;
            return true;
        }
    return false;
}

bool dms_insured_status_from_text(const char *text, size_t len, enum dms_insured_status *out)
{
    static const char *const inc[] = {"включен", "included", NULL};
    static const char *const sus[] = {"приостановлен", "suspended", NULL};
    static const char *const exc[] = {"исключен", "excluded", NULL};
    static const char *const *const lists[] = {inc, sus, exc};
    for (int s = 0; s < 3; s++)
        if (dms_register_word_in(text, len, lists[s])) {
            if (out != NULL)
                *out = (enum dms_insured_status)s;
            return true;
        }
    return false;
}

/* ---- dates --------------------------------------------------------------------- */

long dms_register_days(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = (long)y - era * 400;
    long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

void dms_register_civil(long z, int *year, int *month, int *day)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp + (mp < 10 ? 3 : -9));
    *year = (int)(y + (*month <= 2));
}

/* "31.12.2026" for messages; "—" for no date. */
static const char *ru_date(long days, char buf[16])
{
    if (days == DMS_INSURED_NO_DATE || days == DMS_INSURED_OPEN_END) {
        snprintf(buf, 16, "—");
        return buf;
    }
    int y, m, d;
    dms_register_civil(days, &y, &m, &d);
    snprintf(buf, 16, "%02d.%02d.%04d", d % 100, m % 100, ((y % 10000) + 10000) % 10000);
    return buf;
}

/* ---- issues ---------------------------------------------------------------------- */

bool dms_register_issue_add(dms_insured_issue **issues, size_t *n, size_t *cap, size_t *total,
                            enum dms_insured_issue_code code, int line, int column,
                            enum dms_insured_field field, const char *ru, const char *en)
{
    (*total)++;
    if (*n >= DMS_INSURED_MAX_ISSUES)
        return true;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        dms_insured_issue *p = realloc(*issues, c * sizeof *p);
        if (p == NULL)
            return false;
        *issues = p;
        *cap = c;
    }
    dms_insured_issue *is = &(*issues)[(*n)++];
    is->code = code;
    is->line = line;
    is->column = column;
    is->field = field;
    snprintf(is->message_ru, sizeof is->message_ru, "%s", ru);
    snprintf(is->message_en, sizeof is->message_en, "%s", en);
    return true;
}

const char *dms_insured_issue_format(const dms_insured_issue *issue, const char *source, char *buf,
                                     size_t size)
{
    if (buf == NULL || size == 0)
        return buf;
    if (issue == NULL) {
        buf[0] = '\0';
        return buf;
    }
    snprintf(buf, size, "%s:%d:%d: %s: %s / %s", source ? source : "", issue->line, issue->column,
             dms_insured_issue_name(issue->code), issue->message_ru, issue->message_en);
    return buf;
}

/* ---- string → index maps (policy numbers) ----------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

typedef struct pmap {
    size_t *slots; /* index + 1, 0 empty */
    size_t cap;    /* power of two, or 0 */
    size_t used;
} pmap;

static size_t pmap_find(const pmap *m, const dms_insured_person *arr, const char *key)
{
    if (m->cap == 0)
        return SIZE_MAX;
    size_t j = (size_t)hash_str(key) & (m->cap - 1);
    while (m->slots[j] != 0) {
        if (strcmp(arr[m->slots[j] - 1].policy, key) == 0)
            return m->slots[j] - 1;
        j = (j + 1) & (m->cap - 1);
    }
    return SIZE_MAX;
}

/* Inserts idx (whose key is arr[idx].policy, not yet present). */
static bool pmap_insert(pmap *m, const dms_insured_person *arr, size_t idx)
{
    if ((m->used + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        size_t *slots = calloc(cap, sizeof *slots);
        if (slots == NULL)
            return false;
        for (size_t i = 0; i < m->cap; i++) {
            if (m->slots[i] == 0)
                continue;
            size_t j = (size_t)hash_str(arr[m->slots[i] - 1].policy) & (cap - 1);
            while (slots[j] != 0)
                j = (j + 1) & (cap - 1);
            slots[j] = m->slots[i];
        }
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    size_t j = (size_t)hash_str(arr[idx].policy) & (m->cap - 1);
    while (m->slots[j] != 0)
        j = (j + 1) & (m->cap - 1);
    m->slots[j] = idx + 1;
    m->used++;
    return true;
}

/* ---- the snapshot ------------------------------------------------------------------ */

struct dms_insured_register {
    csv_pool pool;
    dms_insured_person *persons;
    size_t count, cap;
    pmap map;
    size_t *order; /* sorted by full_name, policy; valid when order_ok */
    bool order_ok;
};

int dms_insured_register_alloc(dms_insured_register **out)
{
    if (out == NULL)
        return DMS_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out != NULL ? DMS_OK : DMS_ENOMEM;
}

void dms_insured_register_free(dms_insured_register *reg)
{
    if (reg == NULL)
        return;
    dms_csv_pool_release(&reg->pool);
    free(reg->persons);
    free(reg->map.slots);
    free(reg->order);
    free(reg);
}

static const char *intern(csv_pool *pool, const char *s)
{
    if (s == NULL)
        s = "";
    return dms_csv_pool_intern(pool, s, strlen(s));
}

/* Copies p's strings into pool; false on ENOMEM. */
static bool intern_person(csv_pool *pool, dms_insured_person *p)
{
    p->policy = intern(pool, p->policy);
    p->employee_id = intern(pool, p->employee_id);
    p->full_name = intern(pool, p->full_name);
    p->department = intern(pool, p->department);
    p->programme = intern(pool, p->programme);
    return p->policy && p->employee_id && p->full_name && p->department && p->programme;
}

int dms_insured_register_put(dms_insured_register *reg, const dms_insured_person *person,
                             dms_error *err)
{
    dms_error_clear(err);
    if (reg == NULL || person == NULL || person->policy == NULL || person->policy[0] == '\0')
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "полис не указан / a person needs a policy number");
    dms_insured_person p = *person;
    if (!intern_person(&reg->pool, &p))
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    reg->order_ok = false;
    size_t at = pmap_find(&reg->map, reg->persons, p.policy);
    if (at != SIZE_MAX) {
        reg->persons[at] = p;
        return DMS_OK;
    }
    if (reg->count == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 64;
        dms_insured_person *a = realloc(reg->persons, cap * sizeof *a);
        if (a == NULL)
            return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
        reg->persons = a;
        reg->cap = cap;
    }
    reg->persons[reg->count] = p;
    if (!pmap_insert(&reg->map, reg->persons, reg->count))
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    reg->count++;
    return DMS_OK;
}

size_t dms_insured_register_count(const dms_insured_register *reg)
{
    return reg ? reg->count : 0;
}

const dms_insured_person *dms_insured_register_get(const dms_insured_register *reg, size_t i)
{
    return reg && i < reg->count ? &reg->persons[i] : NULL;
}

const dms_insured_person *dms_insured_register_find(const dms_insured_register *reg,
                                                    const char *policy)
{
    if (reg == NULL || policy == NULL)
        return NULL;
    size_t at = pmap_find(&reg->map, reg->persons, policy);
    return at != SIZE_MAX ? &reg->persons[at] : NULL;
}

/* ---- batches ---------------------------------------------------------------------- */

int dms_insured_batch_alloc(dms_insured_batch **out)
{
    if (out == NULL)
        return DMS_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out != NULL ? DMS_OK : DMS_ENOMEM;
}

void dms_insured_batch_free(dms_insured_batch *b)
{
    if (b == NULL)
        return;
    dms_csv_pool_release(&b->pool);
    free(b->changes);
    free(b->issues);
    free(b->poisoned);
    free(b);
}

bool dms_register_batch_push(dms_insured_batch *b, const dms_insured_change *c)
{
    if (b->count >= DMS_INSURED_MAX_ROWS)
        return false;
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        dms_insured_change *a = realloc(b->changes, cap * sizeof *a);
        if (a == NULL)
            return false;
        b->changes = a;
        b->cap = cap;
    }
    b->changes[b->count++] = *c;
    return true;
}

bool dms_register_batch_poison(dms_insured_batch *b, const char *policy, size_t len, int line)
{
    const char *p = dms_csv_pool_intern(&b->pool, policy, len);
    if (p == NULL)
        return false;
    if (b->npoisoned == b->cap_poisoned) {
        size_t cap = b->cap_poisoned ? b->cap_poisoned * 2 : 16;
        struct reg_poison *a = realloc(b->poisoned, cap * sizeof *a);
        if (a == NULL)
            return false;
        b->poisoned = a;
        b->cap_poisoned = cap;
    }
    b->poisoned[b->npoisoned++] = (struct reg_poison){p, line};
    return true;
}

static bool intern_change(csv_pool *pool, dms_insured_change *c)
{
    c->policy = intern(pool, c->policy);
    c->employee_id = intern(pool, c->employee_id);
    c->full_name = intern(pool, c->full_name);
    c->department = intern(pool, c->department);
    c->programme = intern(pool, c->programme);
    c->programme_before = intern(pool, c->programme_before);
    c->author = intern(pool, c->author);
    return c->policy && c->employee_id && c->full_name && c->department && c->programme &&
           c->programme_before && c->author;
}

int dms_insured_batch_add(dms_insured_batch *b, const dms_insured_change *change, dms_error *err)
{
    dms_error_clear(err);
    if (b == NULL || change == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_insured_batch_add: NULL argument");
    if (b->count >= DMS_INSURED_MAX_ROWS)
        return dms_error_set(err, DMS_ETOOBIG, NULL,
                             "больше %zu изменений / more than %zu changes in one batch",
                             DMS_INSURED_MAX_ROWS, DMS_INSURED_MAX_ROWS);
    dms_insured_change c = *change;
    if (!intern_change(&b->pool, &c) || !dms_register_batch_push(b, &c))
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    return DMS_OK;
}

size_t dms_insured_batch_count(const dms_insured_batch *b)
{
    return b ? b->count : 0;
}

const dms_insured_change *dms_insured_batch_get(const dms_insured_batch *b, size_t i)
{
    return b && i < b->count ? &b->changes[i] : NULL;
}

size_t dms_insured_batch_issue_count(const dms_insured_batch *b)
{
    return b ? b->issues_total : 0;
}

const dms_insured_issue *dms_insured_batch_issue(const dms_insured_batch *b, size_t i)
{
    return b && i < b->nissues ? &b->issues[i] : NULL;
}

/* ---- checking ---------------------------------------------------------------------- */

struct dms_insured_outcome_store {
    csv_pool pool;
    dms_insured_change *changes;
    dms_insured_person *persons;
    dms_insured_issue *issues;
};

void dms_insured_outcome_free(dms_insured_outcome *o)
{
    if (o == NULL)
        return;
    if (o->store != NULL) {
        dms_csv_pool_release(&o->store->pool);
        free(o->store->changes);
        free(o->store->persons);
        free(o->store->issues);
        free(o->store);
    }
    free(o);
}

typedef struct checker {
    const dms_insured_register *reg;
    const dms_insured_rules *rules;
    const dms_insured_batch *batch;
    /* overlay: the persons touched so far, in order of first touch */
    dms_insured_person *over;
    size_t nover, cap_over;
    bool *poison; /* per overlay person: a faulty row touched them */
    pmap map;
    dms_insured_issue *issues;
    size_t nissues, cap_issues, total;
    bool nomem;
    /* the current row */
    const dms_insured_change *c;
    int row_faults;
} checker;

static int col_of(const dms_insured_change *c, enum dms_insured_field f)
{
    if (c->column[f] > 0)
        return c->column[f];
    return c->column[DMS_INSURED_F_ACTION];
}

static void fault(checker *k, enum dms_insured_issue_code code, enum dms_insured_field f,
                  const char *ru_fmt, const char *en_fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Records a fault of the current row. Both messages take the same arguments
 * in the same order; en_fmt is the format, and ru_fmt is formatted with the
 * same va_list copy.
 */
static void fault(checker *k, enum dms_insured_issue_code code, enum dms_insured_field f,
                  const char *ru_fmt, const char *en_fmt, ...)
{
    char ru[256], en[256];
    va_list ap, aq;
    va_start(ap, en_fmt);
    va_copy(aq, ap);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(ru, sizeof ru, ru_fmt, aq);
#pragma GCC diagnostic pop
    vsnprintf(en, sizeof en, en_fmt, ap);
    va_end(aq);
    va_end(ap);
    k->row_faults++;
    if (!dms_register_issue_add(&k->issues, &k->nissues, &k->cap_issues, &k->total, code,
                                k->c->line, col_of(k->c, f), f, ru, en))
        k->nomem = true;
}

static bool known_programme(const dms_insured_rules *r, const char *p)
{
    if (r->programmes == NULL || r->nprogrammes == 0)
        return true;
    for (size_t i = 0; i < r->nprogrammes; i++)
        if (r->programmes[i] != NULL && strcmp(r->programmes[i], p) == 0)
            return true;
    return false;
}

/* The person's current state in the overlay (index), pulled in from the
   register on first touch; SIZE_MAX if the policy is unknown to both. */
static size_t touch(checker *k, const char *policy, bool create, const dms_insured_person *init)
{
    size_t at = pmap_find(&k->map, k->over, policy);
    if (at != SIZE_MAX)
        return at;
    const dms_insured_person *src = dms_insured_register_find(k->reg, policy);
    if (src == NULL && !create)
        return SIZE_MAX;
    if (k->nover == k->cap_over) {
        size_t cap = k->cap_over ? k->cap_over * 2 : 64;
        dms_insured_person *a = realloc(k->over, cap * sizeof *a);
        bool *pz = a ? realloc(k->poison, cap * sizeof *pz) : NULL;
        if (a != NULL)
            k->over = a;
        if (pz == NULL) {
            k->nomem = true;
            return SIZE_MAX;
        }
        k->poison = pz;
        k->cap_over = cap;
    }
    k->over[k->nover] = src != NULL ? *src : *init;
    k->poison[k->nover] = false;
    if (!pmap_insert(&k->map, k->over, k->nover)) {
        k->nomem = true;
        return SIZE_MAX;
    }
    return k->nover++;
}

/* True if a row before `line` about this policy was refused while reading
   (its policy string is interned in the batch's pool, as c->policy is). */
static bool batch_poisoned(const dms_insured_batch *b, const char *policy, int line)
{
    for (size_t i = 0; i < b->npoisoned; i++)
        if (b->poisoned[i].line < line && b->poisoned[i].policy == policy)
            return true;
    return false;
}

/* Rules that do not depend on the person's state. */
static void check_rules(checker *k)
{
    const dms_insured_change *c = k->c;
    const dms_insured_rules *r = k->rules;
    char d1[16], d2[16], d3[16];
    long eff = c->effective_day;
    if ((unsigned)c->action > DMS_INSURED_CHANGE_PROGRAMME) {
        fault(k, DMS_INSURED_E_UNKNOWN_ACTION, DMS_INSURED_F_ACTION, "неизвестное действие %d",
              "unknown action %d", (int)c->action);
        return;
    }
    if (eff == DMS_INSURED_NO_DATE) {
        fault(k, DMS_INSURED_E_MISSING_VALUE, DMS_INSURED_F_DATE, "%sне указана дата действия",
              "%sthe effective date is missing", "");
    } else if (eff < r->policy_from || eff > r->policy_to) {
        fault(k, DMS_INSURED_E_OUTSIDE_POLICY, DMS_INSURED_F_DATE,
              "дата %s вне периода договора %s – %s",
              "date %s is outside the policy period %s – %s", ru_date(eff, d1),
              ru_date(r->policy_from, d2), ru_date(r->policy_to, d3));
    } else if (r->retro_days >= 0 && eff < r->today - r->retro_days) {
        fault(k, DMS_INSURED_E_RETRO_WINDOW, DMS_INSURED_F_DATE,
              "дата %s раньше допустимой: задним числом не более %d дн. (не ранее %s)",
              "date %s is too far back: at most %d days before today (not before %s)",
              ru_date(eff, d1), r->retro_days, ru_date(r->today - r->retro_days, d2));
    }
    if (c->policy == NULL || c->policy[0] == '\0')
        fault(k, DMS_INSURED_E_MISSING_VALUE, DMS_INSURED_F_POLICY, "%sне указан номер полиса",
              "%sthe policy number is missing", "");
    bool needs_programme = c->action == DMS_INSURED_CHANGE_PROGRAMME;
    if (needs_programme && c->programme[0] == '\0')
        fault(k, DMS_INSURED_E_MISSING_VALUE, DMS_INSURED_F_PROGRAMME,
              "%sне указана новая программа", "%sthe new programme is missing", "");
    if (c->programme[0] != '\0' &&
        (c->action == DMS_INSURED_ATTACH || c->action == DMS_INSURED_CHANGE_PROGRAMME) &&
        !known_programme(r, c->programme))
        fault(k, DMS_INSURED_E_UNKNOWN_PROGRAMME, DMS_INSURED_F_PROGRAMME,
              "программа «%s» не найдена в договоре", "programme '%s' is not in the policy",
              c->programme);
}

/* Rules that depend on the person's state; applies the change to the overlay
   when the row has no fault at all. */
static void check_state(checker *k, dms_insured_change *accepted)
{
    const dms_insured_change *c = k->c;
    if (c->policy[0] == '\0')
        return;
    const char *pol = c->policy;
    bool fresh = c->action == DMS_INSURED_ATTACH;
    dms_insured_person init = {
        .policy = c->policy,
        .employee_id = c->employee_id,
        .relation = c->relation_given ? c->relation : DMS_RELATION_EMPLOYEE,
        .full_name = c->full_name,
        .birth_day = c->birth_day,
        .department = c->department,
        .programme = c->programme,
        .status = DMS_INSURED_EXCLUDED,
        .date_from = DMS_INSURED_NO_DATE,
        .date_to = DMS_INSURED_NO_DATE,
        .status_day = DMS_INSURED_NO_DATE,
    };
    size_t at = pmap_find(&k->map, k->over, pol);
    bool existed = at != SIZE_MAX || dms_insured_register_find(k->reg, pol) != NULL;
    if (at != SIZE_MAX && k->poison[at])
        return; /* an earlier row about this person was refused */
    if (batch_poisoned(k->batch, pol, c->line)) {
        if (at != SIZE_MAX)
            k->poison[at] = true;
        return;
    }
    if (!existed && !fresh) {
        fault(k, DMS_INSURED_E_UNKNOWN_POLICY, DMS_INSURED_F_POLICY,
              "полис %s не найден в списке застрахованных",
              "policy %s is not in the register of insured people", pol);
        return;
    }
    at = touch(k, pol, true, &init);
    if (at == SIZE_MAX)
        return;
    dms_insured_person p = k->over[at];
    bool is_new = !existed && p.status_day == DMS_INSURED_NO_DATE;
    char d1[16], d2[16];
    if (c->employee_id[0] != '\0' && !is_new && strcmp(c->employee_id, p.employee_id) != 0)
        fault(k, DMS_INSURED_E_EMPLOYEE_MISMATCH, DMS_INSURED_F_EMPLOYEE,
              "полис %s принадлежит табельному номеру %s, а не %s",
              "policy %s belongs to employee %s, not %s", pol, p.employee_id, c->employee_id);
    if (!is_new && p.status_day != DMS_INSURED_NO_DATE && c->effective_day != DMS_INSURED_NO_DATE &&
        c->effective_day < p.status_day)
        fault(k, DMS_INSURED_E_BEFORE_LAST, DMS_INSURED_F_DATE,
              "дата %s раньше последнего изменения по полису %s (%s)",
              "date %s precedes the latest change of policy %s (%s)", ru_date(c->effective_day, d1),
              pol, ru_date(p.status_day, d2));
    switch (c->action) {
    case DMS_INSURED_ATTACH:
        if (!is_new && p.status == DMS_INSURED_INCLUDED)
            fault(k, DMS_INSURED_E_ALREADY_INCLUDED, DMS_INSURED_F_ACTION,
                  "полис %s уже прикреплён (с %s)", "policy %s is already attached (since %s)", pol,
                  ru_date(p.date_from, d1));
        if (is_new) {
            if (c->employee_id[0] == '\0')
                fault(k, DMS_INSURED_E_MISSING_VALUE, DMS_INSURED_F_EMPLOYEE,
                      "%sне указан табельный номер нового застрахованного",
                      "%sthe employee id of a new insured person is missing", "");
            if (c->full_name[0] == '\0')
                fault(k, DMS_INSURED_E_MISSING_VALUE, DMS_INSURED_F_NAME,
                      "%sне указано ФИО нового застрахованного",
                      "%sthe full name of a new insured person is missing", "");
        }
        if (c->programme[0] == '\0' && (is_new || p.status == DMS_INSURED_EXCLUDED))
            fault(k, DMS_INSURED_E_MISSING_VALUE, DMS_INSURED_F_PROGRAMME, "%sне указана программа",
                  "%sthe programme is missing", "");
        break;
    case DMS_INSURED_DETACH:
        if (p.status == DMS_INSURED_EXCLUDED)
            fault(k, DMS_INSURED_E_ALREADY_EXCLUDED, DMS_INSURED_F_ACTION,
                  "полис %s уже откреплён (исключён с %s)",
                  "policy %s is already detached (excluded since %s)", pol,
                  ru_date(p.status_day, d1));
        break;
    case DMS_INSURED_SUSPEND:
        if (p.status == DMS_INSURED_SUSPENDED)
            fault(k, DMS_INSURED_E_ALREADY_SUSPENDED, DMS_INSURED_F_ACTION,
                  "полис %s уже приостановлен (с %s)", "policy %s is already suspended (since %s)",
                  pol, ru_date(p.status_day, d1));
        else if (p.status == DMS_INSURED_EXCLUDED)
            fault(k, DMS_INSURED_E_PERSON_EXCLUDED, DMS_INSURED_F_ACTION,
                  "полис %s исключён: приостановить нельзя",
                  "policy %s is excluded: it cannot be suspended", pol);
        break;
    case DMS_INSURED_CHANGE_PROGRAMME:
        if (p.status == DMS_INSURED_EXCLUDED)
            fault(k, DMS_INSURED_E_PERSON_EXCLUDED, DMS_INSURED_F_ACTION,
                  "полис %s исключён: программу изменить нельзя",
                  "policy %s is excluded: its programme cannot change", pol);
        else if (c->programme[0] != '\0' && strcmp(c->programme, p.programme) == 0)
            fault(k, DMS_INSURED_E_SAME_PROGRAMME, DMS_INSURED_F_PROGRAMME,
                  "полис %s уже на программе «%s»", "policy %s is already on programme '%s'", pol,
                  p.programme);
        break;
    }
    if (k->row_faults > 0) {
        k->poison[at] = true;
        return;
    }
    /* accepted: record the state before, then move the person */
    accepted->had_before = !is_new;
    accepted->status_before = p.status;
    accepted->programme_before = is_new ? "" : p.programme;
    long eff = c->effective_day;
    switch (c->action) {
    case DMS_INSURED_ATTACH:
        if (is_new || p.status == DMS_INSURED_EXCLUDED) {
            p.date_from = eff;
            p.programme = c->programme;
        } else if (c->programme[0] != '\0') {
            p.programme = c->programme; /* resuming under a named programme */
        }
        if (!is_new) {
            /* a re-attach may bring corrected details; blanks keep the old */
            if (c->full_name[0] != '\0')
                p.full_name = c->full_name;
            if (c->department[0] != '\0')
                p.department = c->department;
            if (c->birth_day != DMS_INSURED_NO_DATE)
                p.birth_day = c->birth_day;
            if (c->relation_given)
                p.relation = c->relation;
        }
        p.status = DMS_INSURED_INCLUDED;
        p.date_to = DMS_INSURED_OPEN_END;
        break;
    case DMS_INSURED_DETACH:
        p.status = DMS_INSURED_EXCLUDED;
        p.date_to = eff - 1;
        break;
    case DMS_INSURED_SUSPEND:
        p.status = DMS_INSURED_SUSPENDED;
        break;
    case DMS_INSURED_CHANGE_PROGRAMME:
        p.programme = c->programme;
        break;
    }
    p.status_day = eff;
    k->over[at] = p;
}

static int issue_cmp(const void *a, const void *b)
{
    const dms_insured_issue *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->column != y->column)
        return x->column < y->column ? -1 : 1;
    return (int)x->code - (int)y->code;
}

int dms_insured_check(const dms_insured_register *reg, const dms_insured_rules *rules,
                      const dms_insured_batch *batch, dms_insured_outcome **out, dms_error *err)
{
    dms_error_clear(err);
    if (out != NULL)
        *out = NULL;
    if (reg == NULL || rules == NULL || batch == NULL || out == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_insured_check: NULL argument");
    if (rules->policy_to < rules->policy_from)
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "период договора пуст / the policy period ends before it starts");
    if (rules->nprogrammes > 0 && rules->programmes == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "programmes NULL with nprogrammes > 0");
    dms_insured_outcome *o = calloc(1, sizeof *o);
    struct dms_insured_outcome_store *st = o ? calloc(1, sizeof *st) : NULL;
    checker k = {.reg = reg, .rules = rules, .batch = batch};
    dms_insured_change *acc = NULL;
    int status = DMS_OK;
    if (o == NULL || st == NULL) {
        free(o);
        return dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
    }
    o->store = st;
    /* issues found while reading come first (they are sorted with the rest) */
    for (size_t i = 0; i < batch->nissues; i++) {
        const dms_insured_issue *is = &batch->issues[i];
        if (!dms_register_issue_add(&k.issues, &k.nissues, &k.cap_issues, &k.total, is->code,
                                    is->line, is->column, is->field, is->message_ru,
                                    is->message_en))
            k.nomem = true;
    }
    k.total += batch->issues_total - batch->nissues;
    acc = malloc((batch->count ? batch->count : 1) * sizeof *acc);
    if (acc == NULL)
        k.nomem = true;
    for (size_t i = 0; i < batch->count && !k.nomem; i++) {
        k.c = &batch->changes[i];
        k.row_faults = 0;
        acc[i] = *k.c;
        check_rules(&k);
        /* the state checks run even after a rule fault (every fault of a row
           is worth reporting); a faulty row never moves the person */
        if ((unsigned)k.c->action <= DMS_INSURED_CHANGE_PROGRAMME)
            check_state(&k, &acc[i]);
    }
    if (k.nomem) {
        status = dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
        goto out_free;
    }
    o->ok = k.total == 0;
    if (!o->ok) {
        qsort(k.issues, k.nissues, sizeof *k.issues, issue_cmp);
        st->issues = k.issues;
        k.issues = NULL;
        o->issues = st->issues;
        o->nissues = k.nissues;
        o->nissues_total = k.total;
    } else {
        /* copy the strings into the outcome, so it outlives batch and register */
        for (size_t i = 0; i < batch->count && !k.nomem; i++)
            if (!intern_change(&st->pool, &acc[i]))
                k.nomem = true;
        for (size_t i = 0; i < k.nover && !k.nomem; i++)
            if (!intern_person(&st->pool, &k.over[i]))
                k.nomem = true;
        if (k.nomem) {
            status = dms_error_set(err, DMS_ENOMEM, NULL, "out of memory");
            goto out_free;
        }
        st->changes = acc;
        acc = NULL;
        o->changes = st->changes;
        o->nchanges = batch->count;
        st->persons = k.over;
        k.over = NULL;
        o->persons = st->persons;
        o->npersons = k.nover;
    }
out_free:
    free(acc);
    free(k.over);
    free(k.poison);
    free(k.map.slots);
    free(k.issues);
    if (status != DMS_OK) {
        dms_insured_outcome_free(o);
        return status;
    }
    *out = o;
    return DMS_OK;
}

int dms_insured_register_apply(dms_insured_register *reg, const dms_insured_outcome *o,
                               dms_error *err)
{
    dms_error_clear(err);
    if (reg == NULL || o == NULL || !o->ok)
        return dms_error_set(err, DMS_EINVAL, NULL,
                             "изменения не приняты / the outcome was not accepted");
    for (size_t i = 0; i < o->npersons; i++) {
        int status = dms_insured_register_put(reg, &o->persons[i], err);
        if (status != DMS_OK)
            return status;
    }
    return DMS_OK;
}

/* ---- listing ------------------------------------------------------------------------ */

/* Sorting by index needs the person array in the comparator; qsort has no
   context argument in C11, so merge sort over indices with the array passed
   down keeps the module free of mutable globals. */
static void merge_sort(size_t *a, size_t *tmp, size_t n, const dms_insured_person *base)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(a, tmp, h, base);
    merge_sort(a + h, tmp, n - h, base);
    size_t i = 0, j = h, o = 0;
    while (i < h && j < n) {
        const dms_insured_person *x = &base[a[i]], *y = &base[a[j]];
        int c = strcmp(x->full_name, y->full_name);
        if (c == 0)
            c = strcmp(x->policy, y->policy);
        tmp[o++] = c <= 0 ? a[i++] : a[j++];
    }
    while (i < h)
        tmp[o++] = a[i++];
    while (j < n)
        tmp[o++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static bool ensure_order(dms_insured_register *reg)
{
    if (reg->order_ok)
        return true;
    size_t *ord = realloc(reg->order, (reg->count ? reg->count : 1) * sizeof *ord);
    size_t *tmp = malloc((reg->count ? reg->count : 1) * sizeof *tmp);
    if (ord == NULL || tmp == NULL) {
        if (ord != NULL)
            reg->order = ord;
        free(tmp);
        return false;
    }
    reg->order = ord;
    for (size_t i = 0; i < reg->count; i++)
        ord[i] = i;
    merge_sort(ord, tmp, reg->count, reg->persons);
    free(tmp);
    reg->order_ok = true;
    return true;
}

static bool matches(const dms_insured_person *p, const dms_insured_filter *f)
{
    if (f == NULL)
        return true;
    if (f->department != NULL && f->department[0] != '\0' &&
        strcmp(f->department, p->department) != 0)
        return false;
    if (f->programme != NULL && f->programme[0] != '\0' && strcmp(f->programme, p->programme) != 0)
        return false;
    if (f->status >= 0 && (int)p->status != f->status)
        return false;
    if (f->employee_id != NULL && f->employee_id[0] != '\0' &&
        strcmp(f->employee_id, p->employee_id) != 0)
        return false;
    return true;
}

static bool no_filter(const dms_insured_filter *f)
{
    return f == NULL || ((f->department == NULL || f->department[0] == '\0') &&
                         (f->programme == NULL || f->programme[0] == '\0') && f->status < 0 &&
                         (f->employee_id == NULL || f->employee_id[0] == '\0'));
}

int dms_insured_list(dms_insured_register *reg, const dms_insured_filter *filter, size_t offset,
                     size_t limit, const dms_insured_person **page, size_t *npage, size_t *total)
{
    if (npage != NULL)
        *npage = 0;
    if (total != NULL)
        *total = 0;
    if (reg == NULL || (page == NULL && limit > 0))
        return DMS_EINVAL;
    if (!ensure_order(reg))
        return DMS_ENOMEM;
    size_t n = 0, seen = 0;
    if (no_filter(filter)) {
        for (size_t i = offset; i < reg->count && n < limit; i++)
            page[n++] = &reg->persons[reg->order[i]];
        seen = reg->count;
    } else {
        for (size_t i = 0; i < reg->count; i++) {
            const dms_insured_person *p = &reg->persons[reg->order[i]];
            if (!matches(p, filter))
                continue;
            if (seen >= offset && n < limit)
                page[n++] = p;
            seen++;
        }
    }
    if (npage != NULL)
        *npage = n;
    if (total != NULL)
        *total = seen;
    return DMS_OK;
}
