/*
 * The membership history reader and member-month exposure (see exposure.h).
 * Uses the claims tokenizer of claims_internal.h; matching of claims to
 * members goes through two sorted arrays (by employee_id and by policy
 * number) built once when the membership is made, so a lookup costs
 * O(log n) and the membership stays immutable.
 */
#include "dms/file.h"
#include "dms/date.h"
#include "dms/exposure.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../census_internal.h"
#include "claims_internal.h"
#include "../io/csv_internal.h"

struct ix_entry;

struct dms_membership_index {
    csv_pool pool;
    struct ix_entry *by_employee; /* every member, sorted by employee_id */
    struct ix_entry *by_policy;   /* members with a policy number, sorted by it */
    size_t npolicy;
};

enum mf {
    MF_EMPLOYEE_ID,
    MF_RELATION,
    MF_BIRTH_DATE,
    MF_ATTACH,
    MF_DETACH,
    MF_SEX,
    MF_DEPARTMENT,
    MF_SEGMENT,
    MF_POLICY_ID,
    MF_COUNT
};

static const char *const mf_key[MF_COUNT] = {"employee_id", "relation",    "birth_date",
                                             "attach_date", "detach_date", "sex",
                                             "department",  "segment",     "policy_id"};
static const char *const mf_ru[MF_COUNT] = {
    "Табельный номер", "Связь",   "Дата рождения", "Дата прикрепления", "Дата открепления", "Пол",
    "Подразделение",   "Сегмент", "Номер полиса"};
static const bool mf_required[MF_COUNT] = {true,  true,  true,  true, false,
                                           false, false, false, false};

static const struct {
    const char *text; /* normalised */
    int field;
} mf_names[] = {
    {"employee id", MF_EMPLOYEE_ID},
    {"табельный номер", MF_EMPLOYEE_ID},
    {"таб. номер", MF_EMPLOYEE_ID},
    {"relation", MF_RELATION},
    {"связь", MF_RELATION},
    {"степень родства", MF_RELATION},
    {"birth date", MF_BIRTH_DATE},
    {"date of birth", MF_BIRTH_DATE},
    {"дата рождения", MF_BIRTH_DATE},
    {"attach date", MF_ATTACH},
    {"attached", MF_ATTACH},
    {"дата прикрепления", MF_ATTACH},
    {"detach date", MF_DETACH},
    {"detached", MF_DETACH},
    {"дата открепления", MF_DETACH},
    {"sex", MF_SEX},
    {"gender", MF_SEX},
    {"пол", MF_SEX},
    {"department", MF_DEPARTMENT},
    {"подразделение", MF_DEPARTMENT},
    {"отдел", MF_DEPARTMENT},
    {"segment", MF_SEGMENT},
    {"сегмент", MF_SEGMENT},
    {"policy id", MF_POLICY_ID},
    {"policy number", MF_POLICY_ID},
    {"номер полиса", MF_POLICY_ID},
    {"полис", MF_POLICY_ID},
};

static bool header_field(const char *t, size_t len, int *out)
{
    char norm[128];
    if (!dms_census_normalize(t, len, norm, sizeof norm))
        return false;
    for (size_t i = 0; i < sizeof mf_names / sizeof mf_names[0]; i++)
        if (strcmp(mf_names[i].text, norm) == 0) {
            *out = mf_names[i].field;
            return true;
        }
    return false;
}

/* ---- building ---------------------------------------------------------- */

struct ix_entry {
    const char *key;
    size_t idx;
};

static int cmp_entry(const void *a, const void *b)
{
    const struct ix_entry *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c != 0)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Builds the sorted indices (by employee_id, and by policy number). */
static int build_index(dms_membership *m)
{
    dms_membership_index *ix = m->index;
    ix->by_employee = malloc((m->count ? m->count : 1) * sizeof *ix->by_employee);
    ix->by_policy = malloc((m->count ? m->count : 1) * sizeof *ix->by_policy);
    if (ix->by_employee == NULL || ix->by_policy == NULL)
        return DMS_ENOMEM;
    ix->npolicy = 0;
    for (size_t i = 0; i < m->count; i++) {
        ix->by_employee[i] = (struct ix_entry){m->members[i].employee_id, i};
        if (m->members[i].policy_id[0] != '\0')
            ix->by_policy[ix->npolicy++] = (struct ix_entry){m->members[i].policy_id, i};
    }
    qsort(ix->by_employee, m->count, sizeof *ix->by_employee, cmp_entry);
    qsort(ix->by_policy, ix->npolicy, sizeof *ix->by_policy, cmp_entry);
    return DMS_OK;
}

static int alloc_membership(dms_membership **out)
{
    dms_membership *m = calloc(1, sizeof *m);
    if (m != NULL)
        m->index = calloc(1, sizeof *m->index);
    if (m == NULL || m->index == NULL) {
        free(m);
        return DMS_ENOMEM;
    }
    *out = m;
    return DMS_OK;
}

void dms_membership_free(dms_membership *m)
{
    if (m == NULL)
        return;
    if (m->index != NULL) {
        dms_csv_pool_release(&m->index->pool);
        free(m->index->by_employee);
        free(m->index->by_policy);
        free(m->index);
    }
    free(m->members);
    free(m);
}

static int push_member(dms_membership *m, size_t *cap, const dms_member *src)
{
    if (m->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        dms_member *p = realloc(m->members, ncap * sizeof *p);
        if (p == NULL)
            return DMS_ENOMEM;
        m->members = p;
        *cap = ncap;
    }
    dms_member x = *src;
    csv_pool *pool = &m->index->pool;
    x.employee_id = dms_csv_pool_intern(pool, src->employee_id, strlen(src->employee_id));
    x.policy_id = dms_csv_pool_intern(pool, src->policy_id ? src->policy_id : "",
                                      src->policy_id ? strlen(src->policy_id) : 0);
    x.department = dms_csv_pool_intern(pool, src->department ? src->department : "",
                                       src->department ? strlen(src->department) : 0);
    x.segment = dms_csv_pool_intern(pool, src->segment ? src->segment : "",
                                    src->segment ? strlen(src->segment) : 0);
    if (x.employee_id == NULL || x.policy_id == NULL || x.department == NULL || x.segment == NULL)
        return DMS_ENOMEM;
    m->members[m->count++] = x;
    return DMS_OK;
}

int dms_membership_build(const dms_member *members, size_t count, dms_membership **out)
{
    dms_membership *m = NULL;
    size_t cap = 0;
    if (out == NULL || (members == NULL && count > 0))
        return DMS_EINVAL;
    *out = NULL;
    for (size_t i = 0; i < count; i++)
        if (members[i].employee_id == NULL || members[i].detach_day < members[i].attach_day)
            return DMS_EINVAL;
    if (alloc_membership(&m) != DMS_OK)
        return DMS_ENOMEM;
    for (size_t i = 0; i < count; i++)
        if (push_member(m, &cap, &members[i]) != DMS_OK)
            goto out_nomem;
    if (build_index(m) != DMS_OK)
        goto out_nomem;
    *out = m;
    return DMS_OK;
out_nomem:
    dms_membership_free(m);
    return DMS_ENOMEM;
}

/* ---- CSV --------------------------------------------------------------- */

int dms_membership_parse_csv(const char *text, size_t len, const char *source_name,
                             dms_membership **out, dms_diag *diag)
{
    csv_reader r;
    dms_membership *m = NULL;
    int *map = NULL;
    size_t ncols = 0, errors = 0, cap = 0;
    int status = DMS_OK;
    if (out == NULL || (text == NULL && len > 0))
        return DMS_EINVAL;
    *out = NULL;
    if (source_name == NULL)
        source_name = "";
    if (len > DMS_CENSUS_MAX_BYTES || len >= (size_t)INT_MAX)
        return dms_diag_add_at(diag, DMS_ETOOBIG, source_name, 0, 0,
                               "the membership history is too large");
    if (alloc_membership(&m) != DMS_OK)
        return dms_diag_add_at(diag, DMS_ENOMEM, source_name, 0, 0, "out of memory");
    dms_csv_init(&r, text, len, source_name, diag);

    bool have_header = dms_csv_header(&r);
    if (r.nomem)
        goto out_nomem;
    if (!have_header) {
        dms_diag_add_at(diag, DMS_EPARSE, source_name, 1, 1,
                        "the membership history is empty: expected a header with employee_id, "
                        "relation, birth_date, attach_date (Дата прикрепления)");
        errors++;
        goto out_done;
    }
    int seen[MF_COUNT] = {0};
    ncols = r.nfields;
    map = malloc((ncols ? ncols : 1) * sizeof *map);
    if (map == NULL)
        goto out_nomem;
    for (size_t i = 0; i < ncols; i++) {
        size_t flen;
        const char *t = dms_csv_text(&r, i, &flen);
        char shown[128];
        dms_census_show(t, flen, shown, sizeof shown);
        int v = MF_COUNT;
        map[i] = MF_COUNT;
        if (!header_field(t, flen, &v)) {
            dms_diag_add_at(diag, DMS_EPARSE, source_name, r.fields[i].line, r.fields[i].column,
                            "unknown column '%s' (expected: employee_id, relation, birth_date, "
                            "attach_date, detach_date, sex, department, segment, policy_id, or "
                            "their Russian names)",
                            shown);
            errors++;
        } else if (seen[v]) {
            dms_diag_add_at(diag, DMS_EPARSE, source_name, r.fields[i].line, r.fields[i].column,
                            "column '%s' repeats %s (%s)", shown, mf_key[v], mf_ru[v]);
            errors++;
        } else {
            seen[v] = 1;
            map[i] = v;
        }
    }
    for (int v = 0; v < MF_COUNT; v++)
        if (mf_required[v] && !seen[v]) {
            dms_diag_add_at(diag, DMS_EPARSE, source_name, r.fields[0].line, 1,
                            "the required column %s (%s) is missing from the header", mf_key[v],
                            mf_ru[v]);
            errors++;
        }
    if (errors > 0 || r.bad)
        goto out_done;

    while (dms_csv_record(&r)) {
        if (r.bad || dms_csv_blank(&r))
            continue;
        if (r.nfields != ncols) {
            int col = r.nfields > ncols ? r.fields[ncols].column : r.end_column;
            dms_diag_add_at(diag, DMS_EPARSE, source_name, r.fields[0].line, col,
                            "this row has %zu fields but the header has %zu", r.nfields, ncols);
            errors++;
            continue;
        }
        const char *txt[MF_COUNT] = {0};
        size_t tl[MF_COUNT] = {0};
        const csv_field *fl[MF_COUNT] = {0};
        for (size_t i = 0; i < ncols; i++) {
            txt[map[i]] = dms_csv_text(&r, i, &tl[map[i]]);
            fl[map[i]] = &r.fields[i];
        }
        size_t before = errors;
        char msg[200];
        dms_member x;
        memset(&x, 0, sizeof x);
        x.sex = -1;
        x.line = r.fields[0].line;
        x.detach_day = DMS_EXPOSURE_OPEN;
        for (int v = 0; v < MF_COUNT; v++)
            if (txt[v] != NULL && tl[v] > 0 && !dms_census_utf8_valid(txt[v], tl[v])) {
                dms_diag_add_at(diag, DMS_EPARSE, source_name, fl[v]->line, fl[v]->column,
                                "%s is not valid UTF-8 text", mf_key[v]);
                errors++;
                txt[v] = NULL;
            }
        if (txt[MF_EMPLOYEE_ID] != NULL && tl[MF_EMPLOYEE_ID] == 0) {
            dms_diag_add_at(diag, DMS_EPARSE, source_name, fl[MF_EMPLOYEE_ID]->line,
                            fl[MF_EMPLOYEE_ID]->column, "employee_id (Табельный номер) is empty");
            errors++;
        }
        if (txt[MF_RELATION] != NULL &&
            !dms_census_relation_from_text(txt[MF_RELATION], tl[MF_RELATION], &x.relation)) {
            dms_diag_add_at(diag, DMS_EPARSE, source_name, fl[MF_RELATION]->line,
                            fl[MF_RELATION]->column,
                            "unknown relation (employee/сотрудник, spouse/супруг(а), "
                            "child/ребёнок)");
            errors++;
        }
        if (txt[MF_SEX] != NULL && tl[MF_SEX] > 0) {
            enum dms_sex sx;
            if (!dms_census_sex_from_text(txt[MF_SEX], tl[MF_SEX], &sx)) {
                dms_diag_add_at(diag, DMS_EPARSE, source_name, fl[MF_SEX]->line, fl[MF_SEX]->column,
                                "unknown sex (M/F or М/Ж)");
                errors++;
            }
            x.sex = (int)sx;
        }
        static const int dates[] = {MF_BIRTH_DATE, MF_ATTACH, MF_DETACH};
        long *dd[] = {&x.birth_day, &x.attach_day, &x.detach_day};
        for (size_t k = 0; k < 3; k++) {
            int v = dates[k];
            if (txt[v] == NULL || (tl[v] == 0 && v == MF_DETACH))
                continue;
            if (!dms_claims_parse_date(txt[v], tl[v], dd[k], msg, sizeof msg)) {
                dms_diag_add_at(diag, DMS_EPARSE, source_name, fl[v]->line, fl[v]->column,
                                "%s (%s): %s", mf_key[v], mf_ru[v], msg);
                errors++;
            }
        }
        if (errors == before && x.detach_day < x.attach_day) {
            dms_diag_add_at(diag, DMS_EPARSE, source_name, fl[MF_DETACH]->line,
                            fl[MF_DETACH]->column,
                            "the detach date (Дата открепления) is before the attach date");
            errors++;
        }
        if (errors == before && x.attach_day < x.birth_day) {
            dms_diag_add_at(diag, DMS_EPARSE, source_name, fl[MF_ATTACH]->line,
                            fl[MF_ATTACH]->column, "the attach date is before the birth date");
            errors++;
        }
        if (errors > 0)
            continue;
        csv_pool *pool = &m->index->pool;
        x.employee_id = dms_csv_pool_intern(pool, txt[MF_EMPLOYEE_ID], tl[MF_EMPLOYEE_ID]);
        x.policy_id =
            txt[MF_POLICY_ID] ? dms_csv_pool_intern(pool, txt[MF_POLICY_ID], tl[MF_POLICY_ID]) : "";
        x.department = txt[MF_DEPARTMENT]
                           ? dms_csv_pool_intern(pool, txt[MF_DEPARTMENT], tl[MF_DEPARTMENT])
                           : "";
        x.segment =
            txt[MF_SEGMENT] ? dms_csv_pool_intern(pool, txt[MF_SEGMENT], tl[MF_SEGMENT]) : "";
        if (x.employee_id == NULL || x.policy_id == NULL || x.department == NULL ||
            x.segment == NULL || push_member(m, &cap, &x) != DMS_OK)
            goto out_nomem;
    }
    if (r.nomem)
        goto out_nomem;
out_done:
    errors += r.errors;
    free(map);
    dms_csv_release(&r);
    if (errors > 0) {
        dms_membership_free(m);
        return DMS_EPARSE;
    }
    if (build_index(m) != DMS_OK) {
        dms_membership_free(m);
        return dms_diag_add_at(diag, DMS_ENOMEM, source_name, 0, 0, "out of memory");
    }
    *out = m;
    return status;
out_nomem:
    free(map);
    dms_csv_release(&r);
    dms_membership_free(m);
    return dms_diag_add_at(diag, DMS_ENOMEM, source_name, 0, 0, "out of memory");
}

int dms_membership_load_file(const char *path, dms_membership **out, dms_diag *diag)
{
    if (path == NULL || out == NULL)
        return DMS_EINVAL;
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    int status =
        dms_file_read_diag(path, DMS_CENSUS_MAX_BYTES, "the membership history", &buf, &len, diag);
    if (status == DMS_OK)
        status = dms_membership_parse_csv(buf, len, path, out, diag);
    free(buf);
    return status;
}

/* ---- exposure ---------------------------------------------------------- */

double dms_exposure_member_months(const dms_member *member, long from, long to)
{
    long a = member->attach_day > from ? member->attach_day : from;
    long b = member->detach_day < to ? member->detach_day : to;
    if (b < a)
        return 0.0;
    double months = 0.0;
    int y, mo, d;
    dms_claims_civil(a, &y, &mo, &d);
    long day = a;
    while (day <= b) {
        int dim = dms_date_month_days(y, mo);
        long month_end = day + (dim - d);
        long end = month_end < b ? month_end : b;
        months += (double)(end - day + 1) / dim;
        day = month_end + 1;
        d = 1;
        if (++mo > 12) {
            mo = 1;
            y++;
        }
    }
    return months;
}

double dms_exposure_total(const dms_membership *m, long from, long to,
                          bool (*keep)(const dms_member *, void *), void *ctx)
{
    double total = 0.0;
    for (size_t i = 0; i < m->count; i++)
        if (keep == NULL || keep(&m->members[i], ctx))
            total += dms_exposure_member_months(&m->members[i], from, to);
    return total;
}

bool dms_exposure_attached(const dms_member *member, long day)
{
    return member->attach_day <= day && day <= member->detach_day;
}

const char *dms_member_person_key(const dms_member *member, char *buf, size_t size)
{
    if (member->policy_id[0] != '\0') {
        snprintf(buf, size, "P:%s", member->policy_id);
    } else {
        int y, mo, d;
        dms_claims_civil(member->birth_day, &y, &mo, &d);
        snprintf(buf, size, "E:%s/%s/%04d-%02d-%02d", member->employee_id,
                 dms_census_relation_name(member->relation), y, mo, d);
    }
    return buf;
}

/* Picks among candidates the period covering day, else the first. */
static long better(const dms_membership *m, long best, size_t cand, long day)
{
    if (best < 0)
        return (long)cand;
    if (!dms_exposure_attached(&m->members[best], day) &&
        dms_exposure_attached(&m->members[cand], day))
        return (long)cand;
    return best;
}

long dms_membership_match(const dms_membership *m, const dms_claim_line *line)
{
    if (m == NULL || line == NULL || m->count == 0)
        return -1;
    const dms_membership_index *ix = m->index;
    long best = -1;
    if (line->policy_id != NULL && line->policy_id[0] != '\0' && ix->npolicy > 0) {
        size_t lo = 0, hi = ix->npolicy;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (strcmp(ix->by_policy[mid].key, line->policy_id) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < ix->npolicy && strcmp(ix->by_policy[lo].key, line->policy_id) == 0; lo++)
            best = better(m, best, ix->by_policy[lo].idx, line->service_day);
        if (best >= 0)
            return best;
    }
    size_t lo = 0, hi = m->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(ix->by_employee[mid].key, line->employee_id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < m->count && strcmp(ix->by_employee[lo].key, line->employee_id) == 0; lo++) {
        const dms_member *x = &m->members[ix->by_employee[lo].idx];
        if (x->relation != line->relation)
            continue;
        if (line->birth_day != LONG_MIN && x->birth_day != line->birth_day)
            continue;
        best = better(m, best, ix->by_employee[lo].idx, line->service_day);
    }
    return best;
}
