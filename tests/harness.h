/* SPDX-License-Identifier: MIT */
/*
 * harness.h - vmlab's tiny test harness.
 *
 * A test is `TEST(name) { ... }`; it registers itself before main() runs
 * (a constructor), so a test file is nothing but its tests.  CHECK-family
 * macros record the first failure with file and line and leave the test
 * (return), so one broken test cannot hide the others.  The runner prints one
 * line per test and ends with "N passed, N failed"; tests/run.sh sums those
 * lines over all test programs.  SKIP(reason) counts as neither pass nor fail
 * and prints the reason, for tests that need what the machine lacks.
 */
#ifndef VMLAB_TESTS_HARNESS_H
#define VMLAB_TESTS_HARNESS_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*test_fn_t)(void);

void test_register(const char *name, test_fn_t fn);
/* Record a failure of the running test; returns nothing, the macro returns. */
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void test_skip(const char *reason);
/* Path of a file in ../shared/data (SHARED env or the default), static buffer. */
const char *test_shared(const char *rel);
/* Path of a file in the repository (tests run from the top directory). */
const char *test_repo(const char *rel);
/* A fresh temporary directory for this test program, created on first use. */
const char *test_tmpdir(void);

#define TEST(name)                                                            \
    static void test_##name(void);                                            \
    __attribute__((constructor)) static void test_reg_##name(void)           \
    {                                                                         \
        test_register(#name, test_##name);                                    \
    }                                                                         \
    static void test_##name(void)

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                \
            return;                                                           \
        }                                                                     \
    } while (0)

#define CHECK_MSG(cond, ...)                                                  \
    do {                                                                      \
        if (!(cond)) {                                                        \
            test_fail(__FILE__, __LINE__, __VA_ARGS__);                       \
            return;                                                           \
        }                                                                     \
    } while (0)

#define CHECK_EQ(a, b)                                                        \
    do {                                                                      \
        intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                      \
        if (a_ != b_) {                                                       \
            test_fail(__FILE__, __LINE__, "%s == %s: %jd != %jd", #a, #b, a_, \
                      b_);                                                    \
            return;                                                           \
        }                                                                     \
    } while (0)

#define CHECK_STR(a, b)                                                       \
    do {                                                                      \
        const char *a_ = (a), *b_ = (b);                                      \
        if (strcmp(a_, b_) != 0) {                                            \
            test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a,   \
                      #b, a_, b_);                                            \
            return;                                                           \
        }                                                                     \
    } while (0)

#define SKIP(reason)                                                          \
    do {                                                                      \
        test_skip(reason);                                                    \
        return;                                                               \
    } while (0)

#endif
