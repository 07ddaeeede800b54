/*
 * Whole-file reading (include/dms/file.h). The buffer doubles as it fills,
 * so a file of unknown size (a pipe, /dev/stdin) reads as well as a regular
 * one, and the limit is checked as the bytes arrive rather than trusting a
 * size taken before the read.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dms/file.h"

/*
 * The Russian forms of the names callers give as `what`, one per case the
 * messages need (error.c's templates only reorder arguments, and an English
 * "the register" inside a Russian sentence is no Russian): "не удалось
 * открыть реестр" (accusative), "реестр больше" (nominative), "при чтении
 * реестра" (genitive). A name not listed (a file path given as what) is
 * shown in quotes in every case.
 */
static const struct file_name_ru {
    const char *en, *nominative, *accusative, *genitive;
} names_ru[] = {
    {"the file", "файл", "файл", "файла"},
    {"the census", "список застрахованных", "список застрахованных", "списка застрахованных"},
    {"the sample census", "пример списка застрахованных", "пример списка застрахованных",
     "примера списка застрахованных"},
    {"the register", "реестр", "реестр", "реестра"},
    {"the membership history", "история прикреплений", "историю прикреплений",
     "истории прикреплений"},
    {"the HR file", "файл HR", "файл HR", "файла HR"},
    {"the XLSX written", "записанный файл XLSX", "записанный файл XLSX", "записанного файла XLSX"},
};

enum file_fault { FAULT_OPEN, FAULT_NOMEM, FAULT_TOO_BIG, FAULT_READ };

/*
 * Records the fault in English (the templates error.c knows) and writes its
 * Russian sentence with the name in the case the sentence needs. reason is
 * strerror's text; max the limit, for FAULT_TOO_BIG.
 */
static int file_fail(dms_error *err, int code, const char *path, const char *what,
                     enum file_fault fault, const char *reason, size_t max)
{
    /* The file's name goes into the message when what names its role
     * ("the census '/data/people.csv'"); not twice when what is the path. */
    bool named = strcmp(what, path) != 0;
    if (named)
        switch (fault) {
        case FAULT_OPEN:
            dms_error_set_at(err, code, path, 0, 0, "cannot open %s '%s': %s", what, path, reason);
            break;
        case FAULT_NOMEM:
            dms_error_set_at(err, code, path, 0, 0, "out of memory reading %s '%s'", what, path);
            break;
        case FAULT_TOO_BIG:
            dms_error_set_at(err, code, path, 0, 0, "%s '%s' is larger than %zu bytes", what, path,
                             max);
            break;
        case FAULT_READ:
            dms_error_set_at(err, code, path, 0, 0, "cannot read %s '%s': %s", what, path, reason);
            break;
        }
    else
        switch (fault) {
        case FAULT_OPEN:
            dms_error_set_at(err, code, path, 0, 0, "cannot open %s: %s", what, reason);
            break;
        case FAULT_NOMEM:
            dms_error_set_at(err, code, path, 0, 0, "out of memory reading %s", what);
            break;
        case FAULT_TOO_BIG:
            dms_error_set_at(err, code, path, 0, 0, "%s is larger than %zu bytes", what, max);
            break;
        case FAULT_READ:
            dms_error_set_at(err, code, path, 0, 0, "cannot read %s: %s", what, reason);
            break;
        }
    if (err == NULL)
        return code;
    char quoted[DMS_ERROR_PATH_MAX + 8];
    snprintf(quoted, sizeof quoted, "«%s»", path);
    const char *nominative = quoted, *accusative = quoted, *genitive = quoted;
    for (size_t i = 0; named && i < sizeof names_ru / sizeof names_ru[0]; i++)
        if (strcmp(names_ru[i].en, what) == 0) {
            nominative = names_ru[i].nominative;
            accusative = names_ru[i].accusative;
            genitive = names_ru[i].genitive;
        }
    /* A role without a Russian name: the file's own name in quotes. */
    const char *file = nominative == quoted ? "" : quoted;
    const char *gap = file[0] != '\0' ? " " : "";
    char *ru = err->message_ru;
    size_t size = sizeof err->message_ru;
    /* A sentence longer than the record is cut, as dms_error_set cuts one. */
    int written = 0;
    switch (fault) {
    case FAULT_OPEN:
        written =
            snprintf(ru, size, "не удалось открыть %s%s%s: %s", accusative, gap, file, reason);
        break;
    case FAULT_NOMEM:
        written = snprintf(ru, size, "не хватило памяти при чтении %s%s%s", genitive, gap, file);
        break;
    case FAULT_TOO_BIG:
        written = snprintf(ru, size, "%s%s%s больше %zu байт", nominative, gap, file, max);
        break;
    case FAULT_READ:
        written =
            snprintf(ru, size, "не удалось прочитать %s%s%s: %s", accusative, gap, file, reason);
        break;
    }
    if (written < 0)
        ru[0] = '\0';
    return code;
}

int dms_file_read(const char *path, size_t max, const char *what, char **data, size_t *len,
                  dms_error *err)
{
    dms_error_clear(err);
    if (data != NULL)
        *data = NULL;
    if (len != NULL)
        *len = 0;
    if (path == NULL || data == NULL || len == NULL)
        return dms_error_set(err, DMS_EINVAL, NULL, "dms_file_read: NULL argument");
    if (what == NULL)
        what = "the file";
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return file_fail(err, DMS_EIO, path, what, FAULT_OPEN, strerror(errno), 0);
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int status = DMS_OK;
    for (;;) {
        if (cap - n < 2) { /* room for at least one byte and the NUL */
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                status = file_fail(err, DMS_ENOMEM, path, what, FAULT_NOMEM, NULL, 0);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (max > 0 && n > max) {
            status = file_fail(err, DMS_ETOOBIG, path, what, FAULT_TOO_BIG, NULL, max);
            break;
        }
        if (got == 0)
            break;
    }
    if (status == DMS_OK && ferror(f))
        status = file_fail(err, DMS_EIO, path, what, FAULT_READ, strerror(errno), 0);
    fclose(f);
    if (status != DMS_OK) {
        free(buf);
        return status;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return DMS_OK;
}

int dms_file_read_diag(const char *path, size_t max, const char *what, char **data, size_t *len,
                       dms_diag *diag)
{
    dms_error err;
    int status = dms_file_read(path, max, what, data, len, &err);
    if (status != DMS_OK)
        dms_diag_add(diag, &err);
    return status;
}
