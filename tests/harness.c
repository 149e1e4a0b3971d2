/* SPDX-License-Identifier: MIT */
/*
 * harness.c - runner for tests/harness.h.
 *
 * Runs every registered test in registration order (or those whose name
 * contains argv[1]), prints "ok NAME", "FAIL NAME: FILE:LINE: ..." or
 * "skip NAME: reason", and ends with "N passed, N failed, N skipped".
 * Exit status 1 if anything failed.
 */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#define TEST_MAX 1024

static struct {
    const char *name; /* test name as written in TEST(name) */
    test_fn_t fn;     /* its body */
} tests[TEST_MAX];
static int ntests;      /* registered so far, <= TEST_MAX */
static int cur_failed;  /* the running test recorded a failure */
static int cur_skipped; /* the running test asked to be skipped */
static int tmp_made;    /* test_tmpdir() created its directory */

void test_register(const char *name, test_fn_t fn)
{
    if (ntests == TEST_MAX) {
        fprintf(stderr, "harness: more than %d tests\n", TEST_MAX);
        abort();
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (cur_failed)
        return;
    cur_failed = 1;
    printf("  %s:%d: ", file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

void test_skip(const char *reason)
{
    cur_skipped = 1;
    printf("  skipped: %s\n", reason);
}

const char *test_shared(const char *rel)
{
    static char buf[4096];
    const char *base = getenv("SHARED");
    snprintf(buf, sizeof buf, "%s/data/%s", base && *base ? base : "../shared", rel);
    return buf;
}

const char *test_repo(const char *rel)
{
    return rel;
}

const char *test_tmpdir(void)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/vmlab-test-XXXXXX");
        if (!mkdtemp(dir)) {
            perror("harness: mkdtemp");
            abort();
        }
        tmp_made = 1;
    }
    return dir;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < ntests; i++) {
        if (argc > 1 && !strstr(tests[i].name, argv[1]))
            continue;
        cur_failed = cur_skipped = 0;
        tests[i].fn();
        if (cur_failed) {
            printf("FAIL %s\n", tests[i].name);
            failed++;
        } else if (cur_skipped) {
            printf("skip %s\n", tests[i].name);
            skipped++;
        } else {
            printf("ok %s\n", tests[i].name);
            passed++;
        }
    }
    if (tmp_made) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_tmpdir());
        if (system(cmd) != 0)
            fprintf(stderr, "harness: could not remove %s\n", test_tmpdir());
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
