/*
 * Tests of the whole-file reader (include/dms/file.h): bytes come back
 * exactly (binary, across several buffer doublings, with a NUL after them),
 * an empty file is an empty string, the limit is enforced at its byte, and
 * a missing file is DMS_EIO naming the file. The diag variant appends the
 * same error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dms/file.h"

static char path[64];

static void write_bytes(const unsigned char *data, size_t n)
{
    snprintf(path, sizeof path, "/tmp/dms-test-file-%ld.bin", (long)getpid());
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void round_trip(void **state)
{
    (void)state;
    size_t n = 300000; /* several doublings of the 64 KiB start */
    unsigned char *want = malloc(n);
    assert_non_null(want);
    for (size_t i = 0; i < n; i++)
        want[i] = (unsigned char)((i * 2654435761u) >> 13);
    want[7] = '\0';
    write_bytes(want, n);
    char *got = NULL;
    size_t len = 0;
    dms_error err;
    assert_int_equal(dms_file_read(path, 0, NULL, &got, &len, &err), DMS_OK);
    assert_int_equal(err.code, DMS_OK);
    assert_int_equal(len, n);
    assert_memory_equal(got, want, n);
    assert_int_equal(got[n], '\0');
    free(got);
    /* exactly at the limit passes, one byte under it fails */
    assert_int_equal(dms_file_read(path, n, NULL, &got, &len, &err), DMS_OK);
    free(got);
    assert_int_equal(dms_file_read(path, n - 1, "the register", &got, &len, &err), DMS_ETOOBIG);
    assert_null(got);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err.message, "the register '"));
    assert_non_null(strstr(err.message, "' is larger than"));
    /* the Russian sentence names the role in its case, then the file */
    char want_ru[600];
    snprintf(want_ru, sizeof want_ru, "реестр «%s» больше %zu байт", path, n - 1);
    assert_string_equal(err.message_ru, want_ru);
    assert_string_equal(err.source, path);
    unlink(path);
    free(want);
}

static void empty_and_missing(void **state)
{
    (void)state;
    write_bytes((const unsigned char *)"", 0);
    char *got = NULL;
    size_t len = 99;
    dms_error err;
    assert_int_equal(dms_file_read(path, 0, NULL, &got, &len, &err), DMS_OK);
    assert_non_null(got);
    assert_int_equal(len, 0);
    assert_string_equal(got, "");
    free(got);
    unlink(path);
    assert_int_equal(dms_file_read(path, 0, "the census", &got, &len, &err), DMS_EIO);
    assert_null(got);
    assert_string_equal(err.source, path);
    assert_non_null(strstr(err.message, "cannot open the census '"));
    char want_ru[600];
    snprintf(want_ru, sizeof want_ru, "не удалось открыть список застрахованных «%s»: ", path);
    assert_memory_equal(err.message_ru, want_ru, strlen(want_ru));
    /* a path given as what is named once, in quotes */
    assert_int_equal(dms_file_read(path, 0, path, &got, &len, &err), DMS_EIO);
    snprintf(want_ru, sizeof want_ru, "не удалось открыть «%s»: ", path);
    assert_memory_equal(err.message_ru, want_ru, strlen(want_ru));
    snprintf(want_ru, sizeof want_ru, "cannot open %s: ", path);
    assert_memory_equal(err.message, want_ru, strlen(want_ru));
    /* a role without a Russian name: the file's name stands for it */
    assert_int_equal(dms_file_read(path, 0, "the ledger", &got, &len, &err), DMS_EIO);
    snprintf(want_ru, sizeof want_ru, "не удалось открыть «%s»: ", path);
    assert_memory_equal(err.message_ru, want_ru, strlen(want_ru));
    dms_diag *diag = NULL;
    assert_int_equal(dms_diag_alloc(4, &diag), DMS_OK);
    assert_int_equal(dms_file_read_diag(path, 0, "the census", &got, &len, diag), DMS_EIO);
    assert_int_equal(dms_diag_count(diag), 1);
    assert_int_equal(dms_diag_get(diag, 0)->code, DMS_EIO);
    dms_diag_free(diag);
    assert_int_equal(dms_file_read(NULL, 0, NULL, &got, &len, &err), DMS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(empty_and_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
