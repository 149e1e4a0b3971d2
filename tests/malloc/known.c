/* SPDX-License-Identifier: MIT */
/*
 * known.c - a program whose allocation calls are known, for the tests of
 * `vmlab malloc record` (tests/test_malloc_record_cli.sh): every interposed
 * call once, with sizes no library would choose, in a fixed order, plus one
 * thread and one forked child that allocate sizes of their own, and blocks
 * large enough for their own mappings, resized.  Prints nothing; exit status
 * 0, or 1 if a block lost its contents.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every block goes through here: the compiler may not drop an unused
 * malloc/free pair. */
static void *volatile sink;
#define USE(x) (sink = (x))

static void *thread_main(void *arg)
{
    void *p = USE(malloc(70001));
    free(p);
    return arg;
}

/* Blocks beyond any mmap threshold (32 MiB at most, glibc's and vmlab's):
 * grown and shrunk in place of their mapping (mremap under vmlab), then moved
 * back into the heap; the contents must survive each step. */
static int big_blocks(void)
{
    size_t n = (size_t)40 << 20, i;
    unsigned char *p = USE(malloc(n)), *z = USE(calloc(1, n));
    if (!p || !z)
        return 1;
    for (i = 0; i < n; i += 4093)
        p[i] = (unsigned char)(i / 4093), z[i] |= z[i + 1];
    p = USE(realloc(p, 2 * n));
    if (!p)
        return 1;
    for (i = 0; i < n; i += 4093)
        if (p[i] != (unsigned char)(i / 4093) || z[i])
            return 1;
    p = USE(realloc(p, n - 4096));
    if (!p || p[4093] != 1)
        return 1;
    p = USE(realloc(p, 5000));
    if (!p || p[4093] != 1)
        return 1;
    free(p);
    free(z);
    return 0;
}

int main(void)
{
    void *p, *q, *r, *s = NULL, *t, *u, *v;
    pthread_t th;
    pid_t pid;
    int st;

    p = USE(malloc(100003));
    q = USE(calloc(3, 33337)); /* 100011 */
    p = USE(realloc(p, 200003));
    free(q);
    r = USE(memalign(64, 50001));
    if (posix_memalign(&s, 32, 60001) != 0)
        return 1;
    t = USE(aligned_alloc(128, 40001));
    u = USE(reallocarray(NULL, 7, 10007)); /* 70049 */
    u = USE(reallocarray(u, 3, 10007));    /* 30021 */
    v = USE(valloc(20011));
    free(p);
    free(r);
    free(s);
    free(t);
    free(u);
    free(v);
    v = realloc(USE(malloc(30011)), 0); /* glibc: frees, returns NULL */
    if (pthread_create(&th, NULL, thread_main, NULL) != 0 || pthread_join(th, NULL) != 0)
        return 1;
    pid = fork();
    if (pid == 0) {
        free(USE(malloc(80001)));
        _exit(0);
    }
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
        return 1;
    return v == NULL && big_blocks() == 0 ? 0 : 1;
}
