/*
 * Benchmark of the stored register of insured people (SQLite, one
 * employer): a 10,000-row bulk change (the insurer's template read from CSV,
 * then checked and applied in one transaction) on an empty register and
 * again on a register of 100,000 people, and listing one page (50 people,
 * ordered by ФИО) of the 100,000-person register at its start, in the
 * middle, and filtered by department. Targets: a bulk change under 1 s; a
 * page in milliseconds. The database lives in a temporary file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "dms/enrol_store.h"
#include "dms/jsonread.h"
#include "dms/model.h"
#include "dms/register.h"
#include "dms/register_store.h"
#include "dms/store.h"
#include "dms/tenant_store.h"

#define BULK 10000
#define PEOPLE 100000
#define PAGE 50

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)size + 1);
    *len = fread(buf, 1, (size_t)size, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* A template of n rows: attaches of policies first..first+n-1, or programme changes. */
static char *template_csv(int first, int n, bool change, size_t *len)
{
    size_t cap = (size_t)n * 120 + 256;
    char *csv = malloc(cap);
    size_t k = (size_t)snprintf(csv, cap,
                                "Действие;Дата действия;Номер полиса;Табельный номер;ФИО;"
                                "Подразделение;Программа\n");
    static const char *const programmes[] = {"young", "senior", "families", "other"};
    for (int i = first; i < first + n; i++)
        k += (size_t)snprintf(csv + k, cap - k, "%s;%s;Q-%06d;E%06d;Сотрудник %06d;Отдел %d;%s\n",
                              change ? "изменить программу" : "прикрепить",
                              change ? "01.03.2026" : "01.02.2026", i, i, (i * 7919) % 1000003,
                              i % 40, programmes[(i + (change ? 1 : 0)) % 4]);
    *len = k;
    return csv;
}

static double submit(dms_store *store, const char *csv, size_t len, long today, double *read_s)
{
    dms_error err;
    dms_error_clear(&err);
    dms_insured_batch *batch = NULL;
    dms_insured_outcome *outcome = NULL;
    double t0 = bench_now();
    if (dms_insured_template_read(csv, len, DMS_INSURED_CSV, "bench.csv", &batch, &err) != DMS_OK)
        abort();
    double t1 = bench_now();
    dms_register_submit opts = {
        .author = "bench", .source = "bench.csv", .today = today, .retro_days = -1};
    if (dms_register_store_submit(store, batch, &opts, &outcome, NULL, NULL, &err) != DMS_OK ||
        !outcome->ok) {
        fprintf(stderr, "bench: submit failed: %s\n", err.message);
        abort();
    }
    double t2 = bench_now();
    dms_insured_outcome_free(outcome);
    dms_insured_batch_free(batch);
    if (read_s != NULL)
        *read_s = t1 - t0;
    return t2 - t1;
}

static double page(dms_store *store, const dms_insured_filter *f, const char *after, size_t offset,
                   size_t *total)
{
    dms_error err;
    dms_error_clear(&err);
    dms_register_entry *rows = NULL;
    size_t n = 0;
    double best = 1e9;
    for (int rep = 0; rep < 20; rep++) {
        double t0 = bench_now();
        if (dms_register_store_list(store, f, after, offset, PAGE, &rows, &n, total, &err) !=
                DMS_OK ||
            n != PAGE)
            abort();
        double t = bench_now() - t0;
        best = t < best ? t : best;
        free(rows);
    }
    return best;
}

int main(void)
{
    char path[] = "/tmp/dms-bench-register-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    unlink(path);
    dms_error err;
    dms_error_clear(&err);
    dms_store *store = NULL;
    json_t *policy = NULL;
    size_t census_len = 0;
    char *census = read_file("examples/census/midsize-450.csv", &census_len);
    long employer = 0, today = 0;
    dms_date_parse("2026-03-10", &today);
    if (census == NULL || dms_store_open(path, &store, &err) != DMS_OK ||
        dms_tenant_employer_create(store, "Bench", NULL, "bench", &employer, &err) != DMS_OK ||
        dms_json_load_file("examples/policies/midsize-2026.json", &policy, &err) != DMS_OK)
        return 1;
    dms_store_tenant_set(store, employer);
    if (dms_enrol_import(store, policy, census, census_len, "bench", NULL, &err) != DMS_OK ||
        dms_register_store_set_retro_days(store, 3660, &err) != DMS_OK) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
    }
    size_t len = 0;
    double read_s = 0;
    char *csv = template_csv(1, BULK, false, &len);
    double s = submit(store, csv, len, today, &read_s);
    free(csv);
    printf("register store: bulk attach of %d rows into an empty register: read %.3f s + check "
           "and apply %.3f s = %.3f s (target < 1 s)\n",
           BULK, read_s, s, read_s + s);
    for (int first = BULK + 1; first <= PEOPLE; first += BULK) {
        csv = template_csv(first, BULK, false, &len);
        submit(store, csv, len, today, NULL);
        free(csv);
    }
    csv = template_csv(PEOPLE / 2, BULK, true, &len);
    s = submit(store, csv, len, today, &read_s);
    free(csv);
    printf("register store: bulk change of programme, %d rows, register of %d people: read "
           "%.3f s + check and apply %.3f s = %.3f s (target < 1 s)\n",
           BULK, PEOPLE, read_s, s, read_s + s);
    size_t total = 0;
    double first_page = page(store, NULL, NULL, 0, &total);
    double no_count = page(store, NULL, NULL, 0, NULL);
    double middle = page(store, NULL, NULL, PEOPLE / 2, NULL);
    double keyset = page(store, NULL, "Q-050000", 0, NULL);
    dms_insured_filter f = {.department = "Отдел 7", .status = -1};
    size_t matching = 0;
    double filtered = page(store, &f, NULL, 0, &matching);
    printf("register store: one page of %d of %zu people: first %.2f ms with the total count "
           "(%.2f ms without), at offset %d %.2f ms, after a given person (keyset) %.2f ms, "
           "department filter (%zu match, with count) %.2f ms\n",
           PAGE, total, 1e3 * first_page, 1e3 * no_count, PEOPLE / 2, 1e3 * middle, 1e3 * keyset,
           matching, 1e3 * filtered);
    json_decref(policy);
    free(census);
    dms_store_close(store);
    unlink(path);
    char wal[64];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
    return total == PEOPLE ? 0 : 1;
}
