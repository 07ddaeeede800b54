/*
 * The register of insured people, in memory: a 10,000-row bulk change (the
 * insurer's template as CSV, Russian headers: 4,000 attachments, 2,000
 * detachments, 2,000 suspensions, 2,000 programme changes against a
 * 100,000-person register) read, checked whole and applied, beside the
 * baseline of only tokenizing the same CSV; the same rows read from XLSX;
 * and listing one page of 50 of the 100,000-person register: the first page
 * after a change (which sorts the index once), a page deep in the list, and
 * a page filtered by department. The store's transaction is not included
 * (h-tenants' side). BENCH_REGISTER_PERSONS overrides 100,000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "../src/core/io/csv_internal.h"
#include "dms/claims.h"
#include "dms/register.h"
#include "dms/xlsx.h"

static const char *const PROGRAMMES[] = {"base", "family", "plus"};

static dms_insured_register *make_register(size_t persons)
{
    dms_insured_register *reg = NULL;
    if (dms_insured_register_alloc(&reg) != DMS_OK)
        return NULL;
    for (size_t i = 0; i < persons; i++) {
        char pol[32], emp[32], name[64], dep[32];
        snprintf(pol, sizeof pol, "77-%07zu", i);
        snprintf(emp, sizeof emp, "T%06zu", i / 2);
        /* names in an order unlike the policy order, so sorting has work */
        snprintf(name, sizeof name, "Сотрудник %07zu", (i * 7919) % persons);
        snprintf(dep, sizeof dep, "Отдел %zu", i % 40);
        dms_insured_person p = {pol,
                                emp,
                                i % 2 ? DMS_RELATION_CHILD : DMS_RELATION_EMPLOYEE,
                                name,
                                dms_claims_days(1980 + (int)(i % 30), 1 + (int)(i % 12), 1),
                                dep,
                                PROGRAMMES[i % 3],
                                DMS_INSURED_INCLUDED,
                                dms_claims_days(2026, 1, 1),
                                DMS_INSURED_OPEN_END,
                                dms_claims_days(2026, 1, 1)};
        if (dms_insured_register_put(reg, &p, NULL) != DMS_OK) {
            dms_insured_register_free(reg);
            return NULL;
        }
    }
    return reg;
}

static char *make_changes(size_t persons, size_t *len)
{
    size_t cap = 10000 * 200 + 1024, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        return NULL;
    n += (size_t)snprintf(buf, cap,
                          "\xEF\xBB\xBFДействие;Дата действия;Номер полиса;Табельный номер;Связь;"
                          "ФИО;Дата рождения;Подразделение;Программа\r\n");
    for (size_t i = 0; i < 10000; i++) {
        size_t p = (i * 9973) % persons; /* distinct existing persons */
        if (i < 4000)
            n += (size_t)snprintf(buf + n, cap - n,
                                  "прикрепить;01.07.2026;78-%07zu;N%06zu;сотрудник;Новый "
                                  "Сотрудник %zu;15.03.1991;Отдел %zu;base\r\n",
                                  i, i, i, i % 40);
        else if (i < 6000)
            n += (size_t)snprintf(buf + n, cap - n, "открепить;01.07.2026;77-%07zu;;;;;;\r\n", p);
        else if (i < 8000)
            n += (size_t)snprintf(buf + n, cap - n, "приостановить;01.07.2026;77-%07zu;;;;;;\r\n",
                                  p);
        else
            n += (size_t)snprintf(buf + n, cap - n,
                                  "изменить программу;01.07.2026;77-%07zu;;;;;;%s\r\n", p,
                                  PROGRAMMES[(p + 1) % 3]);
    }
    *len = n;
    return buf;
}

typedef struct job {
    const char *text;
    size_t len;
    size_t persons;
    enum dms_insured_format format;
    const dms_insured_rules *rules;
    double read_s, check_s, apply_s;
    size_t applied;
    int fail;
} job;

static void tokenize_only(void *arg)
{
    job *j = arg;
    csv_reader r;
    dms_csv_init(&r, j->text, j->len, "bench", NULL);
    size_t fields = 0;
    while (dms_csv_record(&r))
        fields += r.nfields;
    dms_csv_release(&r);
    if (fields == 0)
        j->fail = 1;
}

/* One bulk change from scratch: read, check whole, apply to a fresh copy of
   the register (built outside the timing). */
static void bulk(job *j, dms_insured_register *reg)
{
    dms_insured_batch *b = NULL;
    dms_insured_outcome *o = NULL;
    double t0 = bench_now();
    if (dms_insured_template_read(j->text, j->len, j->format, "bench", &b, NULL) != DMS_OK ||
        dms_insured_batch_issue_count(b) != 0) {
        j->fail = 1;
        goto out;
    }
    double t1 = bench_now();
    if (dms_insured_check(reg, j->rules, b, &o, NULL) != DMS_OK || !o->ok) {
        if (o != NULL && o->nissues > 0) {
            char line[800];
            fprintf(stderr, "%s\n", dms_insured_issue_format(&o->issues[0], "bench", line, 800));
        }
        j->fail = 1;
        goto out;
    }
    double t2 = bench_now();
    if (dms_insured_register_apply(reg, o, NULL) != DMS_OK) {
        j->fail = 1;
        goto out;
    }
    double t3 = bench_now();
    j->read_s = t1 - t0;
    j->check_s = t2 - t1;
    j->apply_s = t3 - t2;
    j->applied = o->nchanges;
out:
    dms_insured_outcome_free(o);
    dms_insured_batch_free(b);
}

int main(void)
{
    size_t persons = 100000;
    const char *env = getenv("BENCH_REGISTER_PERSONS");
    if (env != NULL && atol(env) > 10000)
        persons = (size_t)atol(env);
    dms_insured_rules rules = {.policy_from = dms_claims_days(2026, 1, 1),
                               .policy_to = dms_claims_days(2026, 12, 31),
                               .today = dms_claims_days(2026, 7, 10),
                               .retro_days = 30,
                               .programmes = PROGRAMMES,
                               .nprogrammes = 3};
    double t = bench_now();
    dms_insured_register *reg = make_register(persons);
    if (reg == NULL)
        return 1;
    printf("register: %zu persons loaded in %.1f ms\n", persons, 1e3 * (bench_now() - t));
    size_t len = 0;
    char *text = make_changes(persons, &len);
    if (text == NULL)
        return 1;
    job j = {
        .text = text, .len = len, .persons = persons, .format = DMS_INSURED_CSV, .rules = &rules};
    double tok_us = bench_us_per_call(tokenize_only, &j, 0.3, 50);
    bulk(&j, reg);
    if (j.fail) {
        fprintf(stderr, "bulk change failed\n");
        return 1;
    }
    double total = j.read_s + j.check_s + j.apply_s;
    printf("bulk change CSV, 10,000 rows (%.0f KiB): read %.1f ms, check %.1f ms, apply %.1f ms, "
           "total %.1f ms (target < 1000 ms); %zu changes accepted\n",
           (double)len / 1024, 1e3 * j.read_s, 1e3 * j.check_s, 1e3 * j.apply_s, 1e3 * total,
           j.applied);
    printf("  baseline: tokenizing the same CSV only: %.1f ms (bulk change = %.1fx)\n",
           tok_us / 1e3, 1e3 * total / (tok_us / 1e3));

    /* the same rows as XLSX (written from the parsed batch's CSV by the
       generic converter), against a fresh register */
    char *x = NULL;
    size_t xlen = 0;
    if (dms_xlsx_from_csv(text, len, "Лист1", NULL, 0, NULL, &x, &xlen, NULL) == DMS_OK) {
        dms_insured_register *reg2 = make_register(persons);
        job jx = {.text = x,
                  .len = xlen,
                  .persons = persons,
                  .format = DMS_INSURED_XLSX,
                  .rules = &rules};
        if (reg2 != NULL) {
            bulk(&jx, reg2);
            if (!jx.fail)
                printf("bulk change XLSX, 10,000 rows (%.0f KiB): read %.1f ms, check %.1f ms, "
                       "apply %.1f ms, total %.1f ms\n",
                       (double)xlen / 1024, 1e3 * jx.read_s, 1e3 * jx.check_s, 1e3 * jx.apply_s,
                       1e3 * (jx.read_s + jx.check_s + jx.apply_s));
            else
                printf("bulk change XLSX: failed\n");
        }
        dms_insured_register_free(reg2);
        free(x);
    }

    /* listing pages of 50 */
    const dms_insured_person *page[50];
    size_t n = 0, tot = 0;
    t = bench_now();
    dms_insured_list(reg, NULL, 0, 50, page, &n, &tot);
    double first = bench_now() - t;
    t = bench_now();
    int reps = 0;
    for (; reps < 1000; reps++)
        dms_insured_list(reg, NULL, (size_t)reps * 97 % (tot - 50), 50, page, &n, &tot);
    double later = (bench_now() - t) / reps;
    dms_insured_filter f = {.department = "Отдел 7", .status = DMS_INSURED_INCLUDED};
    size_t ftot = 0;
    t = bench_now();
    for (int k = 0; k < 100; k++)
        dms_insured_list(reg, &f, 50, 50, page, &n, &ftot);
    double filtered = (bench_now() - t) / 100;
    printf("list one page of 50 of %zu persons: first after a change (sorts by name once) %.1f "
           "ms, any later page %.2f us, filtered by department and status (%zu match) %.2f ms\n",
           tot, 1e3 * first, 1e6 * later, ftot, 1e3 * filtered);
    free(text);
    dms_insured_register_free(reg);
    return 0;
}
