/*
 * The census model and the machinery both loaders share: value vocabularies
 * (relation, sex, work mode in English and Russian), birth dates and ages,
 * string interning (into the shared pool of csv.c), the row builder with its
 * error routing, the cross-row checks (family member without an employee row,
 * repeated employee). Reading a census file is census_load.c's.
 */
#include "census_internal.h"
#include "io/csv_internal.h"
#include "dms/text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- string storage ---------------------------------------------------- */

/* Every string of a census, interned while it is read (csv_internal.h). */
struct dms_census_store {
    csv_pool pool;
};

static void store_free(dms_census_store *store)
{
    if (store == NULL)
        return;
    dms_csv_pool_release(&store->pool);
    free(store);
}

/* ---- text helpers ------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t k;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF) {
        k = 2, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4, min = 0x10000;
    } else {
        return 0;
    }
    if (n < k)
        return 0;
    unsigned cp = c & (0x7F >> k);
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

bool dms_census_utf8_valid(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        if (s[i] == 0)
            return false;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(s + i, len - i);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

void dms_census_show(const char *text, size_t len, char *out, size_t out_size)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t o = 0, i = 0, chars = 0;
    if (out_size == 0)
        return;
    while (i < len && chars < 60) {
        size_t k = s[i] < 0x80 ? 1 : utf8_seq(s + i, len - i);
        bool bad = k == 0 || s[i] < 0x20 || s[i] == 0x7F;
        size_t need = bad ? 1 : k;
        if (o + need + 4 >= out_size)
            break;
        if (bad) {
            out[o++] = '?';
            i += k == 0 ? 1 : k;
        } else {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        }
        chars++;
    }
    if (i < len && o + 3 < out_size) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

bool dms_census_normalize(const char *text, size_t len, char *out, size_t out_size)
{
    return dms_text_fold(text, len, out, out_size);
}

/* ---- vocabularies ------------------------------------------------------ */

struct word {
    const char *text; /* normalised */
    int value;
};

static bool lookup(const struct word *words, const char *text, size_t len, int *value)
{
    char norm[64];
    if (!dms_census_normalize(text, len, norm, sizeof norm))
        return false;
    for (size_t i = 0; words[i].text != NULL; i++) {
        if (strcmp(words[i].text, norm) == 0) {
            *value = words[i].value;
            return true;
        }
    }
    return false;
}

static const struct word relation_words[] = {
    {"employee", DMS_RELATION_EMPLOYEE}, {"сотрудник", DMS_RELATION_EMPLOYEE},
    {"работник", DMS_RELATION_EMPLOYEE}, {"spouse", DMS_RELATION_SPOUSE},
    {"husband", DMS_RELATION_SPOUSE},    {"wife", DMS_RELATION_SPOUSE},
    {"супруг", DMS_RELATION_SPOUSE},     {"супруга", DMS_RELATION_SPOUSE},
    {"супруг(а)", DMS_RELATION_SPOUSE},  {"муж", DMS_RELATION_SPOUSE},
    {"жена", DMS_RELATION_SPOUSE},       {"child", DMS_RELATION_CHILD},
    {"son", DMS_RELATION_CHILD},         {"daughter", DMS_RELATION_CHILD},
    {"ребенок", DMS_RELATION_CHILD},     {"сын", DMS_RELATION_CHILD},
    {"дочь", DMS_RELATION_CHILD},        {NULL, 0},
};

static const struct word sex_words[] = {
    {"m", DMS_SEX_MALE},
    {"male", DMS_SEX_MALE},
    {"м", DMS_SEX_MALE},
    {"муж", DMS_SEX_MALE},
    {"мужской", DMS_SEX_MALE},
    {"f", DMS_SEX_FEMALE},
    {"female", DMS_SEX_FEMALE},
    {"ж", DMS_SEX_FEMALE},
    {"жен", DMS_SEX_FEMALE},
    {"женский", DMS_SEX_FEMALE},
    {NULL, 0},
};

static const struct word work_mode_words[] = {
    {"office", DMS_WORK_OFFICE},
    {"офис", DMS_WORK_OFFICE},
    {"офисный", DMS_WORK_OFFICE},
    {"remote", DMS_WORK_REMOTE},
    {"удаленно", DMS_WORK_REMOTE},
    {"удаленка", DMS_WORK_REMOTE},
    {"удаленный", DMS_WORK_REMOTE},
    {"field", DMS_WORK_FIELD},
    {"разъездной", DMS_WORK_FIELD},
    {"hybrid", DMS_WORK_HYBRID},
    {"гибрид", DMS_WORK_HYBRID},
    {"гибридный", DMS_WORK_HYBRID},
    {NULL, 0},
};

bool dms_census_relation_from_text(const char *text, size_t len, enum dms_relation *out)
{
    int v;
    if (text == NULL || out == NULL || !lookup(relation_words, text, len, &v))
        return false;
    *out = (enum dms_relation)v;
    return true;
}

bool dms_census_sex_from_text(const char *text, size_t len, enum dms_sex *out)
{
    int v;
    if (text == NULL || out == NULL || !lookup(sex_words, text, len, &v))
        return false;
    *out = (enum dms_sex)v;
    return true;
}

bool dms_census_work_mode_from_text(const char *text, size_t len, enum dms_work_mode *out)
{
    if (text == NULL || out == NULL)
        return false;
    dms_csv_trim(&text, &len);
    if (len == 0) {
        *out = DMS_WORK_UNKNOWN;
        return true;
    }
    int v;
    if (!lookup(work_mode_words, text, len, &v))
        return false;
    *out = (enum dms_work_mode)v;
    return true;
}

const char *dms_census_relation_name(enum dms_relation relation)
{
    switch (relation) {
    case DMS_RELATION_EMPLOYEE:
        return "employee";
    case DMS_RELATION_SPOUSE:
        return "spouse";
    case DMS_RELATION_CHILD:
        return "child";
    }
    return "?";
}

const char *dms_census_sex_name(enum dms_sex sex)
{
    switch (sex) {
    case DMS_SEX_MALE:
        return "M";
    case DMS_SEX_FEMALE:
        return "F";
    }
    return "?";
}

const char *dms_census_work_mode_name(enum dms_work_mode mode)
{
    switch (mode) {
    case DMS_WORK_UNKNOWN:
        return "unknown";
    case DMS_WORK_OFFICE:
        return "office";
    case DMS_WORK_REMOTE:
        return "remote";
    case DMS_WORK_FIELD:
        return "field";
    case DMS_WORK_HYBRID:
        return "hybrid";
    }
    return "?";
}

/* ---- dates ------------------------------------------------------------- */

static bool leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

bool dms_census_valid_date(int year, int month, int day)
{
    return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
           day <= days_in_month(year, month);
}

/* Reads 1..max digits at s[*i]; false if none. */
static bool read_digits(const char *s, size_t len, size_t *i, size_t min, size_t max, int *value)
{
    size_t k = 0;
    int v = 0;
    while (*i < len && k < max && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (s[*i] - '0');
        (*i)++, k++;
    }
    *value = v;
    return k >= min;
}

int dms_census_parse_date(const char *text, size_t len, int *year, int *month, int *day, char *msg,
                          size_t msg_size)
{
    char shown[256];
    int y = 0, m = 0, d = 0;
    size_t i = 0;
    bool ok;
    if (text == NULL)
        text = "", len = 0;
    dms_csv_trim(&text, &len);
    dms_census_show(text, len, shown, sizeof shown);
    if (len == 0) {
        if (msg_size > 0)
            snprintf(msg, msg_size, "birth date is empty (expected DD.MM.YYYY or YYYY-MM-DD)");
        return DMS_EPARSE;
    }
    if (len >= 5 && text[4] == '-') {
        ok = read_digits(text, len, &i, 4, 4, &y) && i < len && text[i++] == '-' &&
             read_digits(text, len, &i, 1, 2, &m) && i < len && text[i++] == '-' &&
             read_digits(text, len, &i, 1, 2, &d) && i == len;
    } else {
        ok = read_digits(text, len, &i, 1, 2, &d) && i < len && text[i++] == '.' &&
             read_digits(text, len, &i, 1, 2, &m) && i < len && text[i++] == '.' &&
             read_digits(text, len, &i, 4, 4, &y) && i == len;
    }
    if (!ok) {
        if (msg_size > 0)
            snprintf(msg, msg_size,
                     "birth date '%s' is not a date (expected DD.MM.YYYY or YYYY-MM-DD)", shown);
        return DMS_EPARSE;
    }
    if (!dms_census_valid_date(y, m, d)) {
        if (msg_size > 0)
            snprintf(msg, msg_size,
                     "birth date '%s' is not a real date (expected DD.MM.YYYY or YYYY-MM-DD)",
                     shown);
        return DMS_EPARSE;
    }
    if (y < 1900) {
        if (msg_size > 0)
            snprintf(msg, msg_size, "birth date '%s' is before 1900: check the year", shown);
        return DMS_EPARSE;
    }
    if (year != NULL)
        *year = y;
    if (month != NULL)
        *month = m;
    if (day != NULL)
        *day = d;
    return DMS_OK;
}

int dms_census_age(const dms_person *p, int year, int month, int day)
{
    if (p == NULL)
        return 0;
    int age = year - p->birth_year;
    int bm = p->birth_month, bd = p->birth_day;
    if (bm == 2 && bd == 29 && !leap_year(year))
        bd = 28;
    if (month < bm || (month == bm && day < bd))
        age--;
    return age;
}

/* ---- fields ------------------------------------------------------------ */

const char *const dms_census_field_key[CF_COUNT] = {
    "employee_id", "relation", "birth_date", "sex", "region", "department", "segment", "work_mode",
};

const char *const dms_census_field_ru[CF_COUNT] = {
    "Табельный номер", "Связь",         "Дата рождения", "Пол",
    "Регион",          "Подразделение", "Сегмент",       "Режим работы",
};

bool dms_census_field_required(enum census_field f)
{
    return f == CF_EMPLOYEE_ID || f == CF_RELATION || f == CF_BIRTH_DATE || f == CF_SEX ||
           f == CF_REGION;
}

/* ---- builder ----------------------------------------------------------- */

int dms_census_builder_init(census_builder *b, dms_diag *diag, const char *source, bool json,
                            const char *json_prefix)
{
    memset(b, 0, sizeof *b);
    b->diag = diag;
    b->source = source != NULL ? source : "";
    b->json = json;
    b->json_prefix = json_prefix != NULL ? json_prefix : "";
    b->census = calloc(1, sizeof *b->census);
    if (b->census == NULL)
        return DMS_ENOMEM;
    b->census->store = calloc(1, sizeof *b->census->store);
    if (b->census->store == NULL) {
        free(b->census);
        b->census = NULL;
        return DMS_ENOMEM;
    }
    return DMS_OK;
}

static void builder_nomem(census_builder *b)
{
    if (!b->nomem)
        dms_diag_add_at(b->diag, DMS_ENOMEM, b->source, 0, 0, "out of memory reading the census");
    b->nomem = true;
    b->errors++;
}

dms_person *dms_census_builder_row(census_builder *b, int line)
{
    dms_census *c = b->census;
    if (c->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        dms_person *people = realloc(c->people, cap * sizeof *people);
        if (people == NULL) {
            builder_nomem(b);
            return NULL;
        }
        c->people = people;
        census_row_meta *meta = realloc(b->meta, cap * sizeof *meta);
        if (meta == NULL) {
            builder_nomem(b);
            return NULL;
        }
        b->meta = meta;
        b->cap = cap;
    }
    dms_person *p = &c->people[c->count];
    *p = (dms_person){
        .employee_id = "", .region = "", .department = "", .segment = "", .line = line};
    b->meta[c->count] = (census_row_meta){.line = line};
    c->count++;
    return p;
}

static void builder_verror(census_builder *b, size_t index, enum census_field f, int line,
                           int column, const char *fmt, va_list ap)
{
    dms_error err;
    dms_error_clear(&err);
    if (b->json) {
        char path[DMS_ERROR_PATH_MAX];
        if (f < CF_COUNT)
            snprintf(path, sizeof path, "%s/%zu/%s", b->json_prefix, index,
                     dms_census_field_key[f]);
        else
            snprintf(path, sizeof path, "%s/%zu", b->json_prefix, index);
        dms_error_vset(&err, DMS_EPARSE, path, fmt, ap);
    } else {
        dms_error_vset(&err, DMS_EPARSE, NULL, fmt, ap);
        snprintf(err.source, sizeof err.source, "%s", b->source);
        err.line = line;
        err.column = column;
    }
    if (dms_diag_add(b->diag, &err) != DMS_OK)
        b->nomem = true;
    b->errors++;
}

void dms_census_builder_error(census_builder *b, size_t index, enum census_field f, int line,
                              int column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    builder_verror(b, index, f, line, column, fmt, ap);
    va_end(ap);
}

void dms_census_builder_error_at(census_builder *b, int line, int column, const char *path,
                                 const char *fmt, ...)
{
    dms_error err;
    dms_error_clear(&err);
    va_list ap;
    va_start(ap, fmt);
    dms_error_vset(&err, DMS_EPARSE, path, fmt, ap);
    va_end(ap);
    if (!b->json || line > 0)
        snprintf(err.source, sizeof err.source, "%s", b->source);
    err.line = line;
    err.column = column;
    if (dms_diag_add(b->diag, &err) != DMS_OK)
        b->nomem = true;
    b->errors++;
}

/* Stores an interned copy of a free-text field; false on a fault. */
static bool builder_text(census_builder *b, size_t index, enum census_field f, const char *text,
                         size_t len, int line, int column, const char **dst)
{
    if (!dms_census_utf8_valid(text, len)) {
        dms_census_builder_error(b, index, f, line, column,
                                 "%s is not valid UTF-8 text (save the file as UTF-8, not "
                                 "Windows-1251)",
                                 dms_census_field_key[f]);
        return false;
    }
    const char *copy = dms_csv_pool_intern(&b->census->store->pool, text, len);
    if (copy == NULL) {
        builder_nomem(b);
        return false;
    }
    *dst = copy;
    return true;
}

bool dms_census_builder_field(census_builder *b, size_t index, enum census_field f,
                              const char *text, size_t len, int line, int column)
{
    dms_person *p = &b->census->people[index];
    census_row_meta *meta = &b->meta[index];
    char shown[256], msg[DMS_ERROR_MESSAGE_MAX];
    dms_csv_trim(&text, &len);
    dms_census_show(text, len, shown, sizeof shown);
    switch (f) {
    case CF_EMPLOYEE_ID:
        meta->id_column = column;
        if (len == 0) {
            dms_census_builder_error(b, index, f, line, column,
                                     "employee_id (Табельный номер) is empty: every row needs the "
                                     "employee's personnel number");
            return false;
        }
        if (!builder_text(b, index, f, text, len, line, column, &p->employee_id))
            return false;
        meta->id_ok = true;
        return true;
    case CF_RELATION:
        if (!dms_census_relation_from_text(text, len, &p->relation)) {
            dms_census_builder_error(b, index, f, line, column,
                                     "relation '%s' is not known (expected employee/сотрудник, "
                                     "spouse/супруг(а) or child/ребёнок)",
                                     shown);
            return false;
        }
        meta->relation_ok = true;
        return true;
    case CF_BIRTH_DATE:
        if (dms_census_parse_date(text, len, &p->birth_year, &p->birth_month, &p->birth_day, msg,
                                  sizeof msg) != DMS_OK) {
            dms_census_builder_error(b, index, f, line, column, "%s", msg);
            return false;
        }
        return true;
    case CF_SEX:
        if (!dms_census_sex_from_text(text, len, &p->sex)) {
            dms_census_builder_error(b, index, f, line, column,
                                     "sex '%s' is not known (expected M/F or М/Ж)", shown);
            return false;
        }
        return true;
    case CF_REGION:
        if (len == 0) {
            dms_census_builder_error(b, index, f, line, column,
                                     "region (Регион) is empty: give the city or region where the "
                                     "person is served");
            return false;
        }
        return builder_text(b, index, f, text, len, line, column, &p->region);
    case CF_DEPARTMENT:
        return builder_text(b, index, f, text, len, line, column, &p->department);
    case CF_SEGMENT:
        return builder_text(b, index, f, text, len, line, column, &p->segment);
    case CF_WORK_MODE:
        if (!dms_census_work_mode_from_text(text, len, &p->work_mode)) {
            dms_census_builder_error(b, index, f, line, column,
                                     "work mode '%s' is not known (expected office/офис, "
                                     "remote/удалённо, field/разъездной, hybrid/гибрид or empty)",
                                     shown);
            return false;
        }
        return true;
    case CF_COUNT:
        break;
    }
    return false;
}

void dms_census_builder_abort(census_builder *b)
{
    if (b->census != NULL) {
        free(b->census->people);
        store_free(b->census->store);
        free(b->census);
    }
    free(b->meta);
    memset(b, 0, sizeof *b);
}

static void builder_cross_checks(census_builder *b)
{
    dms_census *c = b->census;
    char shown[256];
    /* Employees first: order of rows does not matter for families. The tag of
     * an id's pool slot is 1 + the row index of its employee row, 0 if none. */
    for (size_t i = 0; i < c->count; i++) {
        const dms_person *p = &c->people[i];
        const census_row_meta *m = &b->meta[i];
        if (!m->id_ok || !m->relation_ok || p->relation != DMS_RELATION_EMPLOYEE)
            continue;
        csv_slot *slot = dms_csv_pool_find(&c->store->pool, p->employee_id);
        if (slot == NULL)
            continue;
        if (slot->tag == 0) {
            slot->tag = i + 1;
            continue;
        }
        dms_census_show(p->employee_id, strlen(p->employee_id), shown, sizeof shown);
        const census_row_meta *first = &b->meta[slot->tag - 1];
        if (b->json)
            dms_census_builder_error(b, i, CF_EMPLOYEE_ID, m->line, m->id_column,
                                     "employee_id '%s' already belongs to the employee at %s/%zu: "
                                     "each employee has exactly one row",
                                     shown, b->json_prefix, slot->tag - 1);
        else
            dms_census_builder_error(b, i, CF_EMPLOYEE_ID, m->line, m->id_column,
                                     "employee_id '%s' already belongs to the employee on line %d: "
                                     "each employee has exactly one row",
                                     shown, first->line);
    }
    for (size_t i = 0; i < c->count; i++) {
        const dms_person *p = &c->people[i];
        const census_row_meta *m = &b->meta[i];
        if (!m->id_ok || !m->relation_ok || p->relation == DMS_RELATION_EMPLOYEE)
            continue;
        csv_slot *slot = dms_csv_pool_find(&c->store->pool, p->employee_id);
        if (slot != NULL && slot->tag != 0)
            continue;
        dms_census_show(p->employee_id, strlen(p->employee_id), shown, sizeof shown);
        dms_census_builder_error(b, i, CF_EMPLOYEE_ID, m->line, m->id_column,
                                 "no employee row with employee_id '%s' for this %s: family "
                                 "members carry their employee's personnel number",
                                 shown, dms_census_relation_name(p->relation));
    }
}

int dms_census_builder_finish(census_builder *b, dms_census **out)
{
    *out = NULL;
    if (b->nomem) {
        dms_census_builder_abort(b);
        return DMS_ENOMEM;
    }
    if (b->census->count > 0)
        builder_cross_checks(b);
    if (b->errors > 0 || b->nomem) {
        int status = b->nomem ? DMS_ENOMEM : DMS_EPARSE;
        dms_census_builder_abort(b);
        return status;
    }
    dms_census *c = b->census;
    for (size_t i = 0; i < c->count; i++) {
        switch (c->people[i].relation) {
        case DMS_RELATION_EMPLOYEE:
            c->employees++;
            break;
        case DMS_RELATION_SPOUSE:
            c->spouses++;
            break;
        case DMS_RELATION_CHILD:
            c->children++;
            break;
        }
    }
    if (c->count > 0 && c->count < b->cap) {
        dms_person *people = realloc(c->people, c->count * sizeof *people);
        if (people != NULL)
            c->people = people;
    }
    dms_csv_pool_drop_index(&c->store->pool);
    b->census = NULL;
    dms_census_builder_abort(b);
    *out = c;
    return DMS_OK;
}

void dms_census_free(dms_census *census)
{
    if (census == NULL)
        return;
    free(census->people);
    store_free(census->store);
    free(census);
}
