/*
 * `--format xlsx` of the CLI against its own `--format csv`: the quote and a
 * claims report are run both ways and the workbook read back must hold the
 * CSV cell for cell, with every number of the CSV a typed number cell of the
 * same value and every other cell the same text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "dms/xlsx.h"

static const char *binary(void)
{
    const char *bin = getenv("DMS_BIN");
    return bin != NULL && bin[0] != '\0' ? bin : "build/dmsrate";
}

/* Runs the binary with argv (argv[0] replaced), stdout into a buffer of
 *len bytes (binary-safe); stderr to /dev/null. Returns the exit status. */
static int run(char *argv[], char **out, size_t *len)
{
    char path[] = "/tmp/test_xlsx_cli_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 1);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        argv[0] = (char *)binary();
        execv(argv[0], argv);
        _exit(127);
    }
    int ws = 0;
    waitpid(pid, &ws, 0);
    close(fd);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *out = malloc((size_t)n + 1);
    assert_int_equal(fread(*out, 1, (size_t)n, f), (size_t)n);
    (*out)[n] = '\0';
    *len = (size_t)n;
    fclose(f);
    unlink(path);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
}

/* Splits a CSV line without quotes (the outputs compared have none) into
   fields; returns the count. */
static size_t split(char *line, char delim, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        char *d = strchr(p, delim);
        if (d == NULL)
            break;
        *d = '\0';
        p = d + 1;
    }
    return n;
}

static void compare(char *csv, char delim, const char *x, size_t xlen, const char *sheet)
{
    dms_xlsx_sheet *sh = NULL;
    dms_error err;
    assert_int_equal(dms_xlsx_read_first(x, xlen, NULL, NULL, &sh, &err), DMS_OK);
    assert_string_equal(sh->name, sheet);
    if (strncmp(csv, "\xEF\xBB\xBF", 3) == 0)
        csv += 3;
    size_t row = 0;
    for (char *line = strtok(csv, "\r\n"); line != NULL; line = strtok(NULL, "\r\n"), row++) {
        char *fields[64];
        size_t n = split(line, delim, fields, 64);
        assert_true(row < sh->nrows);
        const dms_xlsx_row *r = &sh->rows[row];
        assert_true(r->ncells == 0 || r->cells[r->ncells - 1].column <= (int)n);
        for (size_t c = 0; c < n; c++) {
            const dms_xlsx_cell *cell = dms_xlsx_row_cell(&sh->rows[row], (int)c + 1);
            if (fields[c][0] == '\0') {
                assert_null(cell);
                continue;
            }
            assert_non_null(cell);
            char *end = NULL;
            double v = strtod(fields[c], &end);
            if (row > 0 && *end == '\0' &&
                !(fields[c][0] == '0' && fields[c][1] != '\0' && fields[c][1] != '.')) {
                assert_int_equal(cell->type, DMS_XLSX_NUMBER);
                assert_true(cell->number == v);
            } else {
                assert_int_equal(cell->type, DMS_XLSX_STRING);
                assert_string_equal(cell->text, fields[c]);
            }
        }
    }
    assert_int_equal(row, sh->nrows);
    dms_xlsx_sheet_free(sh);
}

static void quote_xlsx_matches_csv(void **state)
{
    (void)state;
    char *a_csv[] = {"dmsrate",
                     "quote",
                     "--census",
                     "examples/census/startup-60.csv",
                     "--plan",
                     "examples/plans/base-2026.json",
                     "--no-percentiles",
                     "--format",
                     "csv",
                     NULL};
    char *a_x[] = {"dmsrate",
                   "quote",
                   "--census",
                   "examples/census/startup-60.csv",
                   "--plan",
                   "examples/plans/base-2026.json",
                   "--no-percentiles",
                   "--format",
                   "xlsx",
                   NULL};
    char *csv = NULL, *x = NULL;
    size_t clen = 0, xlen = 0;
    assert_int_equal(run(a_csv, &csv, &clen), 0);
    assert_int_equal(run(a_x, &x, &xlen), 0);
    assert_memory_equal(x, "PK\x03\x04", 4);
    compare(csv, ',', x, xlen, "Расчёт");
    free(csv);
    free(x);
}

static void claims_report_xlsx_matches_csv(void **state)
{
    (void)state;
    char *a_csv[] = {"dmsrate",
                     "claims",
                     "report",
                     "utilisation",
                     "--register",
                     "examples/claims/register-2025.csv",
                     "--membership",
                     "examples/claims/membership-2025.csv",
                     "--period",
                     "2025-01-01:2025-12-31",
                     "--format",
                     "csv",
                     NULL};
    char *csv = NULL, *x = NULL;
    size_t clen = 0, xlen = 0;
    assert_int_equal(run(a_csv, &csv, &clen), 0);
    a_csv[11] = "xlsx";
    assert_int_equal(run(a_csv, &x, &xlen), 0);
    compare(csv, ';', x, xlen, "Отчёт");
    free(csv);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quote_xlsx_matches_csv),
        cmocka_unit_test(claims_report_xlsx_matches_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
