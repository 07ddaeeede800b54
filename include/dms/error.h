/*
 * Status codes and the error record shared by every dmsrate module.
 *
 * Every action returns an int status (DMS_OK or one of enum dms_status) and,
 * where the caller passes one, fills a dms_error with a message a person can
 * act on and the place of the fault: a JSON Pointer for structured input, or
 * source:line:column for text files. The record has fixed buffers so that
 * reporting an error never allocates, and the first error wins: later calls
 * to dms_error_set on an error already set are ignored, so the innermost,
 * most precise report survives the unwinding.
 */
#ifndef DMS_ERROR_H
#define DMS_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

/* Only ever appended to: the numbers are part of the API. */
enum dms_status {
    DMS_OK = 0,
    DMS_EINVAL = 1,        /* a parameter is outside its domain */
    DMS_ENOMEM = 2,        /* allocation failed */
    DMS_ENUMERIC = 3,      /* a numerical method could not reach an answer */
    DMS_EPARSE = 4,        /* malformed input text (JSON, CSV, numbers) */
    DMS_EIO = 5,           /* a file could not be read or written */
    DMS_ENOTFOUND = 6,     /* a named thing does not exist */
    DMS_ECONFLICT = 7,     /* the request contradicts stored state */
    DMS_ETOOBIG = 8,       /* input or result larger than allowed */
    DMS_EFORBIDDEN = 9,    /* the caller may not do this */
    DMS_EUNAUTH = 10,      /* the caller is not identified */
    DMS_EINTERNAL = 11,    /* a bug or an unexpected library failure */
    DMS_EUNAVAILABLE = 12, /* a service this depends on (the database) is down: retry */
};

#define DMS_ERROR_MESSAGE_MAX 512
#define DMS_ERROR_PATH_MAX 256

typedef struct dms_error {
    int code;                            /* enum dms_status, DMS_OK if none */
    char message[DMS_ERROR_MESSAGE_MAX]; /* human-readable, one line, English */
    /* The same in Russian when the message's template has a Russian form
     * (error.c's table), "" otherwise: formatted from the same arguments at
     * the moment of the error, since they are gone afterwards. */
    char message_ru[DMS_ERROR_MESSAGE_MAX];
    char path[DMS_ERROR_PATH_MAX];   /* JSON Pointer, "" if none */
    char source[DMS_ERROR_PATH_MAX]; /* file name or "", for text input */
    int line;                        /* 1-based, 0 if not text input */
    int column;                      /* 1-based, 0 if not text input */
} dms_error;

/* A short, static description of a status ("invalid parameter"). */
const char *dms_strerror(int status);

/* A stable machine-readable name for a status ("invalid_parameter"). */
const char *dms_status_name(int status);

/* The same description in Russian ("неверный параметр"). */
const char *dms_strerror_ru(int status);

/*
 * The message of err in Russian (ru) or English: the Russian form when its
 * template has one, else the Russian status text followed by the English
 * message, so that a Russian reader always gets a Russian sentence first.
 * Writes into buf (size bytes) and returns it.
 */
const char *dms_error_message(const dms_error *err, bool ru, char *buf, int size);

/*
 * The Russian template of an English one, NULL if none. Both take the same
 * arguments in the same order (tests/test_error_ru.c checks every pair).
 */
const char *dms_error_template_ru(const char *fmt);

/* The pairs of the table, for the test: i from 0 while it returns true. */
bool dms_error_template_pair(int i, const char **en, const char **ru);

/*
 * Resets err to "no error": code DMS_OK, every string empty, no position.
 * Every entry point that takes a dms_error calls it first (tests/check-error-init.py).
 * err may be NULL.
 */
void dms_error_clear(dms_error *err);

/*
 * Records an error at a JSON Pointer (path may be NULL or "") unless err
 * already holds one. err may be NULL. Returns code, so that callers can write
 * `return dms_error_set(err, DMS_EINVAL, "/x", "x must be positive");`.
 */
int dms_error_set(dms_error *err, int code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int dms_error_vset(dms_error *err, int code, const char *path, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/*
 * Records the error of a computation given up because its caller's cancel
 * hook said so (a deadline passed, the client left, the service stops):
 * DMS_ETOOBIG, "the computation was cancelled" with its Russian form; the
 * one place that message is written. Same rules as dms_error_set; returns
 * DMS_ETOOBIG.
 */
int dms_error_cancelled(dms_error *err);

/* Records an error at source:line:column of a text file. Same rules. */
int dms_error_set_at(dms_error *err, int code, const char *source, int line, int column,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/*
 * Records inner, a nested call's error, in err with code and at path (NULL:
 * inner's own JSON Pointer), keeping both languages and inner's source:line:
 * column. For a caller that re-roots or re-codes an error, where
 * dms_error_set(err, code, path, "%s", inner->message) would drop the Russian
 * form. Ignored, like dms_error_set, if err already holds an error. Returns code.
 */
int dms_error_reroot(dms_error *err, int code, const char *path, const dms_error *inner);

/*
 * Prefixes the JSON Pointer of an error already recorded, used when a nested
 * loader reports "/copay" and its caller knows that object sits at
 * "/plan/modules/2". No-op if err is NULL or holds no error.
 */
void dms_error_prefix_path(dms_error *err, const char *prefix);

/*
 * The language of dms_error_format for the whole process: English unless a
 * front end (the CLI's --lang ru) asks for Russian once at start-up. The API
 * never sets it; it picks per request with dms_error_message.
 */
void dms_error_use_russian(bool ru);

/*
 * Formats the error as one line: "where: message" with where being the JSON
 * Pointer or source:line:column when known. Returns buf.
 */
const char *dms_error_format(const dms_error *err, char *buf, int size);

/*
 * The same line in the language asked for (the message as dms_error_message
 * gives it), whatever the process-wide setting: for a caller that holds both
 * languages at once (the API's catalog) or runs threads (dmsrate serve).
 */
const char *dms_error_locate(const dms_error *err, bool ru, char *buf, int size);

#endif
