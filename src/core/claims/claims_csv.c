/*
 * The claims register reader over the shared CSV tokenizer (csv_internal.h):
 * the money and date field parsers (shared with the membership history
 * reader through claims_internal.h), the header vocabulary in English and
 * Russian, the mapping of service categories to benefit modules, and the per-row field
 * checks. Diagnosis and patient-name columns are recognised in the header
 * and their values are never copied out of the input buffer. Parsing is a
 * single pass, O(input), allocating per record array growth and per
 * distinct string only.
 */
#include "dms/file.h"
#include "dms/date.h"
#include "dms/claims.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../census_internal.h"
#include "claims_internal.h"
#include "../io/csv_internal.h"

/* ---- field parsers ----------------------------------------------------- */

#define MONEY_MAX_KOPECKS ((int64_t)1000000000000000) /* 10^13 roubles */

bool dms_claims_parse_money(const char *t, size_t len, bool comma_ok, int64_t *kopecks, char *msg,
                            size_t msize)
{
    int64_t whole = 0;
    int decimals = -1, frac = 0, digits = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == ' ' || c == '\t' || c == '\'')
            continue;
        if (c == 0xC2 && i + 1 < len && (unsigned char)t[i + 1] == 0xA0) { /* no-break space */
            i++;
            continue;
        }
        if (c == 0xE2 && i + 2 < len && (unsigned char)t[i + 1] == 0x80 &&
            (unsigned char)t[i + 2] == 0xAF) { /* narrow no-break space */
            i += 2;
            continue;
        }
        if (c == '-') {
            snprintf(msg, msize,
                     "an amount cannot be negative (reversals are lines with status "
                     "'reversed' / 'сторно')");
            return false;
        }
        if ((c == '.' || (c == ',' && comma_ok)) && decimals < 0) {
            decimals = 0;
            continue;
        }
        if (c < '0' || c > '9') {
            snprintf(msg, msize,
                     "not an amount in roubles (digits, spaces between thousands, '.' or ',' "
                     "before kopecks)");
            return false;
        }
        digits++;
        if (decimals >= 0) {
            if (++decimals > 2) {
                snprintf(msg, msize, "an amount has at most 2 decimals (kopecks)");
                return false;
            }
            frac = frac * 10 + (c - '0');
        } else {
            whole = whole * 10 + (c - '0');
            if (whole > MONEY_MAX_KOPECKS / 100) {
                snprintf(msg, msize, "the amount is implausibly large");
                return false;
            }
        }
    }
    if (digits == 0) {
        snprintf(msg, msize, "not an amount in roubles");
        return false;
    }
    if (decimals == 1)
        frac *= 10;
    *kopecks = whole * 100 + frac;
    return true;
}

long dms_claims_days(int y, int m, int d)
{
    return dms_date_days(y, m, d);
}

void dms_claims_civil(long z, int *year, int *month, int *day)
{
    dms_date_civil(z, year, month, day);
}

/* n digits at t as a number, or -1. */
static int digits(const char *t, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (t[i] < '0' || t[i] > '9')
            return -1;
        v = v * 10 + (t[i] - '0');
    }
    return v;
}

/*
 * The common shapes DD.MM.YYYY and YYYY-MM-DD of a real date from 1900 on,
 * read without the general parser's message work; false for anything else,
 * which the general parser then reads or explains.
 */
static bool parse_date_fast(const char *t, size_t len, long *days)
{
    int y, m, d;
    if (len != 10)
        return false;
    if (t[2] == '.' && t[5] == '.') {
        d = digits(t, 2), m = digits(t + 3, 2), y = digits(t + 6, 4);
    } else if (t[4] == '-' && t[7] == '-') {
        y = digits(t, 4), m = digits(t + 5, 2), d = digits(t + 8, 2);
    } else {
        return false;
    }
    if (y < 1900 || m < 0 || d < 0 || !dms_census_valid_date(y, m, d))
        return false;
    *days = dms_claims_days(y, m, d);
    return true;
}

bool dms_claims_parse_date(const char *t, size_t len, long *days, char *msg, size_t msize)
{
    if (parse_date_fast(t, len, days))
        return true;
    int y, m, d;
    if (dms_census_parse_date(t, len, &y, &m, &d, msg, msize) != DMS_OK)
        return false;
    *days = dms_claims_days(y, m, d);
    return true;
}

/* ---- vocabularies ------------------------------------------------------ */

enum reg_field {
    RF_CLAIM_ID,
    RF_POLICY_ID,
    RF_EMPLOYEE_ID,
    RF_RELATION,
    RF_BIRTH_DATE,
    RF_VISIT_DATE,
    RF_SERVICE_DATE,
    RF_CATEGORY,
    RF_CLINIC,
    RF_BILLED,
    RF_PAID,
    RF_COPAY,
    RF_STATUS,
    RF_COUNT,
    RF_DROP /* privacy: recognised and dropped */
};

static const char *const rf_key[RF_COUNT] = {
    "claim_id",    "policy_id",    "employee_id", "relation", "birth_date",
    "visit_date",  "service_date", "category",    "clinic",   "amount_billed",
    "amount_paid", "copay",        "status"};
static const char *const rf_ru[RF_COUNT] = {
    "Номер случая",  "Номер полиса",     "Табельный номер",       "Связь",
    "Дата рождения", "Дата обращения",   "Дата оказания услуги",  "Категория услуги",
    "Клиника",       "Стоимость услуги", "Оплачено страховщиком", "Соплатёж",
    "Статус"};
static const bool rf_required[RF_COUNT] = {true, false, true, false, false, false, true,
                                           true, false, true, true,  false, false};

struct name_map {
    const char *text; /* normalised (dms_census_normalize) */
    int value;
};

static const struct name_map reg_headers[] = {
    {"claim id", RF_CLAIM_ID},
    {"claim", RF_CLAIM_ID},
    {"case id", RF_CLAIM_ID},
    {"номер случая", RF_CLAIM_ID},
    {"номер счета", RF_CLAIM_ID},
    {"номер обращения", RF_CLAIM_ID},
    {"id случая", RF_CLAIM_ID},
    {"policy id", RF_POLICY_ID},
    {"policy", RF_POLICY_ID},
    {"policy number", RF_POLICY_ID},
    {"номер полиса", RF_POLICY_ID},
    {"полис", RF_POLICY_ID},
    {"employee id", RF_EMPLOYEE_ID},
    {"табельный номер", RF_EMPLOYEE_ID},
    {"таб. номер", RF_EMPLOYEE_ID},
    {"таб номер", RF_EMPLOYEE_ID},
    {"relation", RF_RELATION},
    {"связь", RF_RELATION},
    {"степень родства", RF_RELATION},
    {"birth date", RF_BIRTH_DATE},
    {"date of birth", RF_BIRTH_DATE},
    {"дата рождения", RF_BIRTH_DATE},
    {"visit date", RF_VISIT_DATE},
    {"date of visit", RF_VISIT_DATE},
    {"дата обращения", RF_VISIT_DATE},
    {"дата визита", RF_VISIT_DATE},
    {"service date", RF_SERVICE_DATE},
    {"date of service", RF_SERVICE_DATE},
    {"дата оказания услуги", RF_SERVICE_DATE},
    {"дата услуги", RF_SERVICE_DATE},
    {"category", RF_CATEGORY},
    {"service category", RF_CATEGORY},
    {"категория услуги", RF_CATEGORY},
    {"вид помощи", RF_CATEGORY},
    {"вид медицинской помощи", RF_CATEGORY},
    {"clinic", RF_CLINIC},
    {"клиника", RF_CLINIC},
    {"лпу", RF_CLINIC},
    {"медицинская организация", RF_CLINIC},
    {"amount billed", RF_BILLED},
    {"billed", RF_BILLED},
    {"стоимость услуги", RF_BILLED},
    {"стоимость", RF_BILLED},
    {"сумма по счету", RF_BILLED},
    {"amount paid", RF_PAID},
    {"paid", RF_PAID},
    {"оплачено страховщиком", RF_PAID},
    {"к оплате страховщиком", RF_PAID},
    {"сумма к оплате", RF_PAID},
    {"copay", RF_COPAY},
    {"co pay", RF_COPAY},
    {"member copay", RF_COPAY},
    {"соплатеж", RF_COPAY},
    {"доплата застрахованного", RF_COPAY},
    {"status", RF_STATUS},
    {"статус", RF_STATUS},
    /* privacy: diagnoses and names are never stored */
    {"diagnosis", RF_DROP},
    {"diagnosis code", RF_DROP},
    {"icd10", RF_DROP},
    {"icd 10", RF_DROP},
    {"icd", RF_DROP},
    {"диагноз", RF_DROP},
    {"код диагноза", RF_DROP},
    {"мкб", RF_DROP},
    {"мкб 10", RF_DROP},
    {"мкб10", RF_DROP},
    {"код мкб", RF_DROP},
    {"диагноз (мкб 10)", RF_DROP},
    {"full name", RF_DROP},
    {"patient name", RF_DROP},
    {"name", RF_DROP},
    {"фио", RF_DROP},
    {"фио пациента", RF_DROP},
    {"пациент", RF_DROP},
};

static const struct name_map categories[] = {
    {"outpatient", 0},
    {"апп", 0},
    {"амбулаторно поликлиническая помощь", 0},
    {"амбулаторно поликлиническая помощь (апп)", 0},
    {"амбулаторная помощь", 0},
    {"поликлиника", 0},
    {"home visits", 1},
    {"home visit", 1},
    {"помощь на дому", 1},
    {"вызов врача на дом", 1},
    {"emergency", 2},
    {"скорая помощь", 2},
    {"скорая медицинская помощь", 2},
    {"смп", 2},
    {"hospital emergency", 3},
    {"экстренная госпитализация", 3},
    {"стационар экстренный", 3},
    {"hospital planned", 4},
    {"плановая госпитализация", 4},
    {"стационар плановый", 4},
    {"dental", 5},
    {"стоматология", 5},
    {"стоматология (без протезирования)", 5},
    {"telemedicine", 6},
    {"телемедицина", 6},
    {"checkup", 7},
    {"check up", 7},
    {"чек ап", 7},
    {"чекап", 7},
    {"mental health", 8},
    {"психологическая поддержка", 8},
    {"психолог", 8},
    {"психотерапия", 8},
};

static const char *const module_codes[] = {
    "outpatient", "home_visits",  "emergency", "hospital_emergency", "hospital_planned",
    "dental",     "telemedicine", "checkup",   "mental_health"};

static const struct name_map statuses[] = {
    {"paid", DMS_CLAIM_PAID},          {"оплачено", DMS_CLAIM_PAID},
    {"оплачен", DMS_CLAIM_PAID},       {"pending", DMS_CLAIM_PENDING},
    {"к оплате", DMS_CLAIM_PENDING},   {"в обработке", DMS_CLAIM_PENDING},
    {"rejected", DMS_CLAIM_REJECTED},  {"отказ", DMS_CLAIM_REJECTED},
    {"отклонено", DMS_CLAIM_REJECTED}, {"reversed", DMS_CLAIM_REVERSED},
    {"сторно", DMS_CLAIM_REVERSED},    {"аннулировано", DMS_CLAIM_REVERSED},
};

static bool lookup(const struct name_map *map, size_t n, const char *text, size_t len, int *out)
{
    char norm[160];
    if (!dms_census_normalize(text, len, norm, sizeof norm))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(map[i].text, norm) == 0) {
            *out = map[i].value;
            return true;
        }
    }
    return false;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *dms_claims_category_module(const char *text, size_t len)
{
    int v;
    if (text == NULL)
        return NULL;
    if (lookup(categories, NELEM(categories), text, len, &v))
        return module_codes[v];
    for (size_t i = 0; i < NELEM(module_codes); i++)
        if (strlen(module_codes[i]) == len && memcmp(module_codes[i], text, len) == 0)
            return module_codes[i];
    return NULL;
}

const char *dms_claims_status_name(enum dms_claim_status status)
{
    switch (status) {
    case DMS_CLAIM_PAID:
        return "paid";
    case DMS_CLAIM_PENDING:
        return "pending";
    case DMS_CLAIM_REJECTED:
        return "rejected";
    case DMS_CLAIM_REVERSED:
        return "reversed";
    }
    return "?";
}

bool dms_claims_counts(const dms_claim_line *line)
{
    return line->status == DMS_CLAIM_PAID || line->status == DMS_CLAIM_PENDING;
}

const char *dms_claims_person_key(const dms_claim_line *line, char *buf, size_t size)
{
    if (line->policy_id != NULL && line->policy_id[0] != '\0') {
        snprintf(buf, size, "P:%s", line->policy_id);
    } else if (line->birth_day == LONG_MIN) {
        snprintf(buf, size, "E:%s/%s", line->employee_id, dms_census_relation_name(line->relation));
    } else {
        int y, m, d;
        dms_claims_civil(line->birth_day, &y, &m, &d);
        snprintf(buf, size, "E:%s/%s/%04d-%02d-%02d", line->employee_id,
                 dms_census_relation_name(line->relation), y, m, d);
    }
    return buf;
}

/* ---- the register ------------------------------------------------------ */

struct dms_register_store {
    csv_pool pool; /* the tag of a claim id's slot counts its lines so far: the next occurrence */
    size_t cap;
};

int dms_register_alloc(dms_register **out)
{
    if (out == NULL)
        return DMS_EINVAL;
    dms_register *r = calloc(1, sizeof *r);
    if (r != NULL)
        r->store = calloc(1, sizeof *r->store);
    if (r == NULL || r->store == NULL) {
        free(r);
        *out = NULL;
        return DMS_ENOMEM;
    }
    *out = r;
    return DMS_OK;
}

void dms_register_free(dms_register *reg)
{
    if (reg == NULL)
        return;
    if (reg->store != NULL) {
        dms_csv_pool_release(&reg->store->pool);
        free(reg->store);
    }
    free(reg->lines);
    free(reg);
}

/* Interns claim id text[0..len) and numbers this line of it: 0 for its first line, 1, ... */
static const char *intern_claim(dms_register_store *st, const char *text, size_t len,
                                unsigned *occurrence)
{
    csv_slot *slot = dms_csv_pool_slot(&st->pool, text, len);
    if (slot == NULL)
        return NULL;
    *occurrence = (unsigned)slot->tag++;
    return slot->s;
}

/* Appends l, whose strings are already interned in reg's pool. */
static int push_line(dms_register *reg, const dms_claim_line *l)
{
    dms_register_store *st = reg->store;
    if (reg->count == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 256;
        dms_claim_line *p = realloc(reg->lines, cap * sizeof *p);
        if (p == NULL)
            return DMS_ENOMEM;
        reg->lines = p;
        st->cap = cap;
    }
    reg->lines[reg->count++] = *l;
    return DMS_OK;
}

static const char *intern_cstr(dms_register_store *st, const char *s)
{
    return dms_csv_pool_intern(&st->pool, s, strlen(s));
}

int dms_register_append(dms_register *reg, const dms_claim_line *line)
{
    if (reg == NULL || line == NULL || line->claim_id == NULL || line->employee_id == NULL ||
        line->category == NULL || line->module == NULL)
        return DMS_EINVAL;
    if (line->billed < 0 || line->paid < 0 || line->copay < 0 ||
        line->paid + line->copay > line->billed)
        return DMS_EINVAL;
    dms_register_store *st = reg->store;
    dms_claim_line l = *line;
    l.claim_id = intern_claim(st, line->claim_id, strlen(line->claim_id), &l.occurrence);
    l.policy_id = intern_cstr(st, line->policy_id != NULL ? line->policy_id : "");
    l.employee_id = intern_cstr(st, line->employee_id);
    l.clinic = intern_cstr(st, line->clinic != NULL ? line->clinic : "");
    l.category = intern_cstr(st, line->category);
    l.module = intern_cstr(st, line->module);
    if (l.claim_id == NULL || l.policy_id == NULL || l.employee_id == NULL || l.clinic == NULL ||
        l.category == NULL || l.module == NULL)
        return DMS_ENOMEM;
    return push_line(reg, &l);
}

/* ---- the CSV parser ---------------------------------------------------- */

/*
 * The words of a vocabulary column seen so far, exactly as written, with what
 * they mean: a register repeats a handful of categories, relations and
 * statuses a million times, and folding case and looking each up costs more
 * than the rest of the row.
 */
#define MEMO_SLOTS 16
#define MEMO_TEXT 64

typedef struct memo {
    size_t n, next; /* slots filled; the one to replace when full */
    struct memo_slot {
        size_t len;
        char text[MEMO_TEXT];
        int value;
        const char *interned; /* category: the text in the register's pool */
        const char *module;   /* category: the module code in the pool */
    } slot[MEMO_SLOTS];
} memo;

static const struct memo_slot *memo_find(const memo *m, const char *text, size_t len)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->slot[i].len == len && memcmp(m->slot[i].text, text, len) == 0)
            return &m->slot[i];
    return NULL;
}

/* Remembers a word that was valid UTF-8 and known; words too long are not kept. */
static struct memo_slot *memo_add(memo *m, const char *text, size_t len)
{
    if (len > MEMO_TEXT)
        return NULL;
    size_t i = m->n < MEMO_SLOTS ? m->n++ : m->next++ % MEMO_SLOTS;
    struct memo_slot *slot = &m->slot[i];
    memset(slot, 0, sizeof *slot);
    slot->len = len;
    memcpy(slot->text, text, len);
    return slot;
}

struct parse {
    csv_reader r;
    dms_register *reg;
    int *map; /* per column: enum reg_field */
    size_t ncols;
    size_t errors;
    bool nomem;
    memo category, relation, status;
};

static void row_error(struct parse *p, const csv_field *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void row_error(struct parse *p, const csv_field *f, const char *fmt, ...)
{
    char msg[DMS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dms_diag_add_at(p->r.diag, DMS_EPARSE, p->r.source, f->line, f->column, "%s", msg);
    p->errors++;
}

#define KNOWN_REG_COLUMNS                                                                                                                \
    "claim_id/Номер случая, employee_id/Табельный номер, service_date/Дата оказания услуги, " \
    "category/Категория услуги, amount_billed/Стоимость услуги, amount_paid/Оплачено "             \
    "страховщиком; optional policy_id, relation, birth_date, visit_date, clinic, copay, status"

static bool read_header(struct parse *p, dms_diag *warnings)
{
    csv_reader *r = &p->r;
    int seen[RF_COUNT] = {0};
    bool ok = !r->bad;
    p->map = malloc((r->nfields ? r->nfields : 1) * sizeof *p->map);
    if (p->map == NULL) {
        p->nomem = true;
        return false;
    }
    p->ncols = r->nfields;
    for (size_t i = 0; i < r->nfields; i++) {
        const csv_field *f = &r->fields[i];
        size_t len;
        const char *t = dms_csv_text(r, i, &len);
        char shown[256];
        dms_census_show(t, len, shown, sizeof shown);
        int v = RF_COUNT;
        p->map[i] = RF_DROP;
        if (len == 0) {
            row_error(p, f, "column %zu has no name in the header line (expected: %s)", i + 1,
                      KNOWN_REG_COLUMNS);
            ok = false;
        } else if (!dms_census_utf8_valid(t, len)) {
            row_error(p, f,
                      "the header is not valid UTF-8 text (save the file as UTF-8, not "
                      "Windows-1251)");
            ok = false;
        } else if (!lookup(reg_headers, NELEM(reg_headers), t, len, &v)) {
            row_error(p, f, "unknown column '%s' (expected: %s)", shown, KNOWN_REG_COLUMNS);
            ok = false;
        } else if (v == RF_DROP) {
            dms_register *reg = p->reg;
            if (reg->ndropped < DMS_CLAIMS_MAX_DROPPED)
                dms_census_show(t, len, reg->dropped[reg->ndropped++], sizeof reg->dropped[0]);
            dms_diag_add_at(warnings, DMS_EFORBIDDEN, r->source, f->line, f->column,
                            "column '%s' holds diagnoses or names: it is dropped and never stored",
                            shown);
        } else if (seen[v] != 0) {
            row_error(p, f, "column '%s' repeats %s (%s), already in column %d", shown, rf_key[v],
                      rf_ru[v], seen[v]);
            ok = false;
        } else {
            seen[v] = f->column;
            p->map[i] = v;
        }
    }
    for (int v = 0; v < RF_COUNT; v++) {
        if (rf_required[v] && seen[v] == 0) {
            dms_diag_add_at(r->diag, DMS_EPARSE, r->source, r->fields[0].line, 1,
                            "the required column %s (%s) is missing from the header", rf_key[v],
                            rf_ru[v]);
            p->errors++;
            ok = false;
        }
    }
    return ok;
}

/*
 * Interns a known category (text) and its module (l->module, a static code) in
 * the register's pool into l, and remembers them. false when memory ran out.
 */
static bool remember_category(struct parse *p, const char *text, size_t len, dms_claim_line *l)
{
    dms_register_store *s = p->reg->store;
    l->category = dms_csv_pool_intern(&s->pool, text, len);
    l->module = dms_csv_pool_intern(&s->pool, l->module, strlen(l->module));
    if (l->category == NULL || l->module == NULL) {
        p->nomem = true;
        return false;
    }
    struct memo_slot *m = memo_add(&p->category, text, len);
    if (m != NULL) {
        m->interned = l->category;
        m->module = l->module;
    }
    return true;
}

static void parse_row(struct parse *p)
{
    csv_reader *r = &p->r;
    const csv_field *fld[RF_COUNT] = {0};
    const char *txt[RF_COUNT] = {0};
    size_t len[RF_COUNT] = {0};
    size_t errors = p->errors;
    char msg[256];
    char shown[128];
    dms_claim_line l;
    memset(&l, 0, sizeof l);
    l.birth_day = LONG_MIN;
    l.line = r->fields[0].line;

    const struct memo_slot *cat = NULL, *rel = NULL, *stat = NULL;
    for (size_t i = 0; i < p->ncols; i++) {
        int v = p->map[i];
        if (v == RF_DROP)
            continue;
        fld[v] = &r->fields[i];
        txt[v] = dms_csv_text(r, i, &len[v]);
        /* a remembered word was valid when it was first seen */
        if (v == RF_CATEGORY && (cat = memo_find(&p->category, txt[v], len[v])) != NULL)
            continue;
        if (v == RF_RELATION && (rel = memo_find(&p->relation, txt[v], len[v])) != NULL)
            continue;
        if (v == RF_STATUS && (stat = memo_find(&p->status, txt[v], len[v])) != NULL)
            continue;
        if (len[v] > 0 && !dms_census_utf8_valid(txt[v], len[v])) {
            row_error(p, fld[v], "%s is not valid UTF-8 text", rf_key[v]);
            txt[v] = NULL;
        }
    }
    /* required text fields */
    static const int required_text[] = {RF_CLAIM_ID, RF_EMPLOYEE_ID, RF_CATEGORY};
    for (size_t k = 0; k < NELEM(required_text); k++) {
        int v = required_text[k];
        if (txt[v] != NULL && len[v] == 0)
            row_error(p, fld[v], "%s (%s) is empty", rf_key[v], rf_ru[v]);
    }
    if (cat != NULL) {
        l.category = cat->interned;
        l.module = cat->module;
    } else if (txt[RF_CATEGORY] != NULL && len[RF_CATEGORY] > 0) {
        l.module = dms_claims_category_module(txt[RF_CATEGORY], len[RF_CATEGORY]);
        if (l.module != NULL && !remember_category(p, txt[RF_CATEGORY], len[RF_CATEGORY], &l))
            return;
        if (l.module == NULL) {
            dms_census_show(txt[RF_CATEGORY], len[RF_CATEGORY], shown, sizeof shown);
            row_error(p, fld[RF_CATEGORY],
                      "unknown service category '%s' (expected e.g. АПП / outpatient, "
                      "Стоматология / dental, Скорая помощь / emergency, Экстренная "
                      "госпитализация, Плановая госпитализация, Помощь на дому, Телемедицина, "
                      "Чек-ап, Психологическая поддержка)",
                      shown);
        }
    }
    if (rel != NULL) {
        l.relation = (enum dms_relation)rel->value;
    } else if (txt[RF_RELATION] != NULL && len[RF_RELATION] > 0 &&
               !dms_census_relation_from_text(txt[RF_RELATION], len[RF_RELATION], &l.relation)) {
        dms_census_show(txt[RF_RELATION], len[RF_RELATION], shown, sizeof shown);
        row_error(p, fld[RF_RELATION],
                  "unknown relation '%s' (employee/сотрудник, spouse/супруг(а), child/ребёнок)",
                  shown);
    } else if (txt[RF_RELATION] != NULL && len[RF_RELATION] > 0) {
        struct memo_slot *m = memo_add(&p->relation, txt[RF_RELATION], len[RF_RELATION]);
        if (m != NULL)
            m->value = (int)l.relation;
    }
    if (txt[RF_BIRTH_DATE] != NULL && len[RF_BIRTH_DATE] > 0 &&
        !dms_claims_parse_date(txt[RF_BIRTH_DATE], len[RF_BIRTH_DATE], &l.birth_day, msg,
                               sizeof msg))
        row_error(p, fld[RF_BIRTH_DATE], "birth_date: %s", msg);
    if (txt[RF_SERVICE_DATE] != NULL) {
        if (len[RF_SERVICE_DATE] == 0)
            row_error(p, fld[RF_SERVICE_DATE], "service_date (Дата оказания услуги) is empty");
        else if (!dms_claims_parse_date(txt[RF_SERVICE_DATE], len[RF_SERVICE_DATE], &l.service_day,
                                        msg, sizeof msg))
            row_error(p, fld[RF_SERVICE_DATE], "service_date: %s", msg);
    }
    l.visit_day = l.service_day;
    if (txt[RF_VISIT_DATE] != NULL && len[RF_VISIT_DATE] > 0) {
        if (!dms_claims_parse_date(txt[RF_VISIT_DATE], len[RF_VISIT_DATE], &l.visit_day, msg,
                                   sizeof msg))
            row_error(p, fld[RF_VISIT_DATE], "visit_date: %s", msg);
        else if (errors == p->errors && l.visit_day > l.service_day)
            row_error(p, fld[RF_VISIT_DATE], "the visit date is after the service date");
    }
    bool comma_ok = r->delim != ',';
    static const int money[] = {RF_BILLED, RF_PAID, RF_COPAY};
    int64_t *dest[] = {&l.billed, &l.paid, &l.copay};
    bool money_ok = true;
    for (size_t k = 0; k < NELEM(money); k++) {
        int v = money[k];
        if (txt[v] == NULL || (len[v] == 0 && v == RF_COPAY))
            continue;
        if (len[v] == 0) {
            row_error(p, fld[v], "%s (%s) is empty", rf_key[v], rf_ru[v]);
            money_ok = false;
        } else if (!dms_claims_parse_money(txt[v], len[v], comma_ok || fld[v]->quoted, dest[k], msg,
                                           sizeof msg)) {
            row_error(p, fld[v], "%s: %s", rf_key[v], msg);
            money_ok = false;
        }
    }
    if (money_ok && txt[RF_PAID] != NULL && l.paid + l.copay > l.billed)
        row_error(p, fld[RF_PAID],
                  "paid by the insurer (%lld.%02lld) plus co-pay (%lld.%02lld) exceeds the "
                  "billed amount (%lld.%02lld)",
                  (long long)(l.paid / 100), (long long)(l.paid % 100), (long long)(l.copay / 100),
                  (long long)(l.copay % 100), (long long)(l.billed / 100),
                  (long long)(l.billed % 100));
    int st = DMS_CLAIM_PAID;
    if (stat != NULL) {
        st = stat->value;
    } else if (txt[RF_STATUS] != NULL && len[RF_STATUS] > 0 &&
               !lookup(statuses, NELEM(statuses), txt[RF_STATUS], len[RF_STATUS], &st)) {
        dms_census_show(txt[RF_STATUS], len[RF_STATUS], shown, sizeof shown);
        row_error(p, fld[RF_STATUS],
                  "unknown status '%s' (paid/оплачено, pending/к оплате, rejected/отказ, "
                  "reversed/сторно)",
                  shown);
    } else if (txt[RF_STATUS] != NULL && len[RF_STATUS] > 0) {
        struct memo_slot *m = memo_add(&p->status, txt[RF_STATUS], len[RF_STATUS]);
        if (m != NULL)
            m->value = st;
    }
    l.status = (enum dms_claim_status)st;
    if (p->errors != errors || p->errors > 0)
        return; /* once a fault is found nothing more is built */

    dms_register_store *s = p->reg->store;
    l.claim_id = intern_claim(s, txt[RF_CLAIM_ID], len[RF_CLAIM_ID], &l.occurrence);
    l.employee_id = dms_csv_pool_intern(&s->pool, txt[RF_EMPLOYEE_ID], len[RF_EMPLOYEE_ID]);
    l.policy_id = txt[RF_POLICY_ID] != NULL
                      ? dms_csv_pool_intern(&s->pool, txt[RF_POLICY_ID], len[RF_POLICY_ID])
                      : intern_cstr(s, "");
    l.clinic = txt[RF_CLINIC] != NULL
                   ? dms_csv_pool_intern(&s->pool, txt[RF_CLINIC], len[RF_CLINIC])
                   : intern_cstr(s, "");
    if (l.claim_id == NULL || l.employee_id == NULL || l.category == NULL || l.module == NULL ||
        l.policy_id == NULL || l.clinic == NULL) {
        p->nomem = true;
        return;
    }
    if (push_line(p->reg, &l) != DMS_OK)
        p->nomem = true;
}

int dms_claims_parse_csv(const char *text, size_t len, const char *source_name, dms_register **out,
                         dms_diag *diag, dms_diag *warnings)
{
    return dms_claims_parse_csv_with(text, len, source_name, NULL, out, diag, warnings);
}

int dms_claims_parse_csv_with(const char *text, size_t len, const char *source_name,
                              const dms_claims_parse_options *options, dms_register **out,
                              dms_diag *diag, dms_diag *warnings)
{
    dms_progress *progress = options != NULL ? options->progress : NULL;
    struct parse p;
    int status;
    if (out == NULL)
        return DMS_EINVAL;
    *out = NULL;
    if (text == NULL && len > 0)
        return DMS_EINVAL;
    if (source_name == NULL)
        source_name = "";
    if (len > DMS_CLAIMS_MAX_BYTES || len >= (size_t)INT_MAX)
        return dms_diag_add_at(diag, DMS_ETOOBIG, source_name, 0, 0,
                               "the register is larger than %zu MB",
                               DMS_CLAIMS_MAX_BYTES / (1024 * 1024));
    memset(&p, 0, sizeof p);
    if (dms_register_alloc(&p.reg) != DMS_OK)
        return dms_diag_add_at(diag, DMS_ENOMEM, source_name, 0, 0, "out of memory");
    dms_csv_init(&p.r, text, len, source_name, diag);

    bool have_header = dms_csv_header(&p.r);
    if (p.r.nomem)
        goto out_nomem;
    if (!have_header) {
        dms_diag_add_at(diag, DMS_EPARSE, source_name, 1, 1,
                        "the register is empty: expected a header line with the columns %s",
                        KNOWN_REG_COLUMNS);
        p.errors++;
        goto out_done;
    }
    if (!read_header(&p, warnings))
        goto out_done;
    while (dms_csv_record(&p.r)) {
        dms_progress_step(progress, (double)p.r.pos, (double)len);
        if (p.r.bad || dms_csv_blank(&p.r))
            continue;
        if (p.r.nfields != p.ncols) {
            int col = p.r.nfields > p.ncols ? p.r.fields[p.ncols].column : p.r.end_column;
            dms_diag_add_at(diag, DMS_EPARSE, source_name, p.r.fields[0].line, col,
                            "this row has %zu fields but the header has %zu (a missing or extra "
                            "'%c', or a value containing '%c' without quotes?)",
                            p.r.nfields, p.ncols, p.r.delim, p.r.delim);
            p.errors++;
            continue;
        }
        parse_row(&p);
        if (p.nomem)
            goto out_nomem;
    }
    if (p.r.nomem)
        goto out_nomem;
out_done:
    status = (p.errors + p.r.errors) > 0 ? DMS_EPARSE : DMS_OK;
    if (p.nomem || p.r.nomem)
        goto out_nomem;
    free(p.map);
    dms_csv_release(&p.r);
    if (status != DMS_OK) {
        if (dms_diag_count(diag) == 0 && diag != NULL)
            dms_diag_add_at(diag, status, source_name, 0, 0, "the register has errors");
        dms_register_free(p.reg);
        return status;
    }
    *out = p.reg;
    return DMS_OK;
out_nomem:
    free(p.map);
    dms_csv_release(&p.r);
    dms_register_free(p.reg);
    dms_diag_add_at(diag, DMS_ENOMEM, source_name, 0, 0, "out of memory reading the register");
    return DMS_ENOMEM;
}

int dms_claims_load_file(const char *path, dms_register **out, dms_diag *diag, dms_diag *warnings)
{
    if (out == NULL || path == NULL)
        return DMS_EINVAL;
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    int status = dms_file_read_diag(path, DMS_CLAIMS_MAX_BYTES, "the register", &buf, &len, diag);
    if (status == DMS_OK)
        status = dms_claims_parse_csv(buf, len, path, out, diag, warnings);
    free(buf);
    return status;
}
