/*
 * Helpers shared by the cmocka test programs: relative-tolerance checks that
 * print both numbers when they fail, GSL's handler switched off the way
 * the service does, and the making and removal of a test's temporary folder.
 */
#ifndef DMS_TESTUTIL_H
#define DMS_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#define assert_close(actual, expected, rel_tol)                                                    \
    assert_close_impl((actual), (expected), (rel_tol), #actual, __FILE__, __LINE__)

static inline void assert_close_impl(double actual, double expected, double rel_tol,
                                     const char *what, const char *file, int line)
{
    double scale = fmax(fabs(expected), 1e-300);
    if (!(fabs(actual - expected) <= rel_tol * scale)) {
        print_error("%s = %.15g, expected %.15g (relative error %.3g > %.3g)\n", what, actual,
                    expected, fabs(actual - expected) / scale, rel_tol);
        _fail(file, line);
    }
}

#define assert_abs_close(actual, expected, abs_tol)                                                \
    do {                                                                                           \
        double a_ = (actual), e_ = (expected);                                                     \
        if (!(fabs(a_ - e_) <= (abs_tol))) {                                                       \
            print_error("%s = %.15g, expected %.15g (+- %g)\n", #actual, a_, e_,                   \
                        (double)(abs_tol));                                                        \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* Makes a new temporary folder /tmp/dms-NAME-XXXXXX (mkdtemp) and writes its
 * path to dir (size bytes): 0 when made, else -1 with dir "". Remove it with
 * test_remove_tree. */
static inline int test_temp_dir(char *dir, size_t size, const char *name)
{
    int n = snprintf(dir, size, "/tmp/dms-%s-XXXXXX", name);
    if (n < 0 || (size_t)n >= size || mkdtemp(dir) == NULL) {
        if (size > 0)
            dir[0] = '\0';
        return -1;
    }
    return 0;
}

/* Removes a test's temporary folder and all it holds: 0 when done, else
 * rm's status (or -1 for a path too long to pass). */
static inline int test_remove_tree(const char *path)
{
    char cmd[4096 + 32];
    if (snprintf(cmd, sizeof cmd, "rm -rf '%s'", path) >= (int)sizeof cmd)
        return -1;
    return system(cmd);
}

#endif
