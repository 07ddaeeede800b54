/*
 * Import rate of a 1,000,000-row claims register: the register is generated
 * in memory (deterministic, Russian headers, decimal commas, a diagnosis
 * column that the parser drops, like tools/gen_register.py writes), then
 * parsed, rated against a 20,000-person membership (exposure and report
 * passes), and imported into a fresh SQLite store, twice: the second import
 * is the idempotent no-op; with DMS_TEST_PG_URI (make bench starts a
 * throwaway cluster) also into PostgreSQL with COPY, beside SQLite's
 * figure. Prints rows per second for each step, and the process's CPU time
 * beside the wall time (on a shared machine the CPU time is the steadier
 * figure; it counts every thread of this process, not the PostgreSQL server).
 * BENCH_CLAIMS_ROWS overrides the row count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tests/store_target.h"
#include "benchutil.h"
#include "dms/claims.h"
#include "dms/claims_store.h"
#include "dms/exposure.h"
#include "dms/reports.h"

static const char *cats[] = {"АПП", "Стоматология", "Скорая помощь", "Помощь на дому",
                             "Плановая госпитализация"};

/* CPU seconds of this process, every thread. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *make_register(size_t rows, size_t people, size_t *len)
{
    size_t cap = rows * 160 + 4096, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        return NULL;
    n += (size_t)snprintf(buf, cap,
                          "Номер случая;Номер полиса;Табельный номер;Связь;Дата оказания "
                          "услуги;Категория услуги;Диагноз;ЛПУ;Стоимость услуги;Оплачено "
                          "страховщиком;Соплатёж;Статус\r\n");
    unsigned long long s = 2025;
    for (size_t i = 0; i < rows; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        unsigned r = (unsigned)(s >> 33);
        size_t p = r % people;
        unsigned kop = 50000 + r % 900000;
        n += (size_t)snprintf(buf + n, cap - n,
                              "25-%08zu;P%06zu;T%06zu;сотрудник;%02u.%02u.2025;%s;J06.9;"
                              "Клиника %u;\"%u %03u,%02u\";\"%u %03u,%02u\";0;оплачено\r\n",
                              i / 2, p, p, 1 + r % 28, 1 + (r >> 8) % 12, cats[(r >> 4) % 5],
                              (r >> 12) % 40, kop / 100000, (kop / 100) % 1000, kop % 100,
                              kop / 100000, (kop / 100) % 1000, kop % 100);
    }
    *len = n;
    return buf;
}

int main(void)
{
    size_t rows = 1000000, people = 20000;
    const char *env = getenv("BENCH_CLAIMS_ROWS");
    if (env != NULL && atol(env) > 0)
        rows = (size_t)atol(env);
    size_t len = 0;
    char *text = make_register(rows, people, &len);
    if (text == NULL)
        return 1;

    double t0 = bench_now(), c0 = cpu_now();
    dms_register *reg = NULL;
    dms_diag *diag = NULL;
    dms_diag_alloc(4, &diag);
    if (dms_claims_parse_csv(text, len, "bench.csv", &reg, diag, NULL) != DMS_OK) {
        char b[700];
        fprintf(stderr, "bench: parse failed: %s\n",
                dms_error_format(dms_diag_get(diag, 0), b, sizeof b));
        return 1;
    }
    double t_parse = bench_now() - t0, c_parse = cpu_now() - c0;
    printf("claims register: %zu rows, %.1f MB\n", reg->count, (double)len / 1e6);
    printf("  parse            %8.3f s  %10.0f rows/s  %6.1f MB/s  (cpu %.3f s)\n", t_parse,
           (double)rows / t_parse, (double)len / 1e6 / t_parse, c_parse);

    dms_member *mem = calloc(people, sizeof *mem);
    char(*ids)[2][16] = calloc(people, sizeof *ids);
    for (size_t i = 0; i < people; i++) {
        snprintf(ids[i][0], 16, "T%06zu", i);
        snprintf(ids[i][1], 16, "P%06zu", i);
        mem[i].employee_id = ids[i][0];
        mem[i].policy_id = ids[i][1];
        mem[i].department = i % 7 == 0 ? "Склад" : "Продажи";
        mem[i].segment = "";
        mem[i].birth_day = dms_claims_days(1985, 1, 1);
        mem[i].attach_day = dms_claims_days(2024, 1, 1);
        mem[i].detach_day = DMS_EXPOSURE_OPEN;
        mem[i].sex = (int)(i % 2);
    }
    dms_membership *m = NULL;
    dms_membership_build(mem, people, &m);
    dms_reports_options o = dms_reports_options_default();
    o.from = dms_claims_days(2025, 1, 1);
    o.to = dms_claims_days(2025, 12, 31);
    dms_table *t = NULL;
    t0 = bench_now();
    if (dms_reports_utilisation(reg, m, &o, &t, NULL) != DMS_OK)
        return 1;
    double t_rep = bench_now() - t0;
    dms_table_free(t);
    printf("  utilisation      %8.3f s  %10.0f rows/s\n", t_rep, (double)rows / t_rep);

    char path[] = "/tmp/dms_bench_claims_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    unlink(path);
    dms_claims_store *cs = NULL;
    dms_error err;
    dms_error_clear(&err);
    if (dms_claims_store_open(path, &cs, &err) != DMS_OK) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
    }
    dms_claims_import_result res;
    t0 = bench_now();
    c0 = cpu_now();
    if (dms_claims_store_import(cs, "bench", 2025, "bench.csv", text, len, reg, &res, &err) !=
        DMS_OK) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
    }
    double t_imp = bench_now() - t0, c_imp = cpu_now() - c0;
    printf("  store import     %8.3f s  %10.0f rows/s  (%zu inserted; cpu %.3f s)\n", t_imp,
           (double)rows / t_imp, res.inserted, c_imp);
    t0 = bench_now();
    dms_claims_store_import(cs, "bench", 2025, "bench.csv", text, len, reg, &res, &err);
    double t_again = bench_now() - t0;
    printf("  re-import (same) %8.3f s  already imported: %s\n", t_again,
           res.already_imported ? "yes" : "NO");
    printf("  parse + import   %8.3f s  %10.0f rows/s  (cpu %.3f s)\n", t_parse + t_imp,
           (double)rows / (t_parse + t_imp), c_parse + c_imp);
    dms_claims_store_close(cs);
    int pg_ok = 1;
    if (getenv("DMS_TEST_PG_URI") != NULL) {
        /* The same register into PostgreSQL (COPY), then re-sent as a corrected file: every
         * key exists, so the lines go through the staging table and the upsert. */
        char uri[256];
        dms_claims_import_result pres;
        pg_ok = 0;
        if (store_target_fresh_pg(uri, sizeof uri) == 0 &&
            dms_claims_store_open(uri, &cs, &err) == DMS_OK) {
            t0 = bench_now();
            c0 = cpu_now();
            int st = dms_claims_store_import(cs, "bench", 2025, "bench.csv", text, len, reg, &pres,
                                             &err);
            double t_pg = bench_now() - t0, c_pg = cpu_now() - c0;
            if (st == DMS_OK)
                printf("  PostgreSQL COPY  %8.3f s  %10.0f rows/s  (%zu inserted; SQLite %.3f s; "
                       "client cpu %.3f s)\n",
                       t_pg, (double)rows / t_pg, pres.inserted, t_imp, c_pg);
            t0 = bench_now();
            int st2 = dms_claims_store_import(cs, "bench", 2025, "bench-corrected.csv", text,
                                              len - 1, reg, &pres, &err);
            double t_re = bench_now() - t0;
            if (st2 == DMS_OK)
                printf("  PostgreSQL re-send %6.3f s  %10.0f rows/s  (%zu replaced)\n", t_re,
                       (double)rows / t_re, pres.replaced);
            pg_ok = st == DMS_OK && st2 == DMS_OK;
            dms_claims_store_close(cs);
        }
        if (!pg_ok)
            fprintf(stderr, "bench: PostgreSQL: %s\n", err.message);
    } else {
        printf("  PostgreSQL       skipped (no DMS_TEST_PG_URI; make bench starts a cluster)\n");
    }
    char side[300];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    dms_membership_free(m);
    free(mem);
    free(ids);
    dms_register_free(reg);
    dms_diag_free(diag);
    free(text);
    return res.already_imported && pg_ok ? 0 : 1;
}
