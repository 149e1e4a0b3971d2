/*
 * env.c - the real environment behind include/vmlab/env.h (POSIX).
 */
#include "vmlab/env.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int read_fd(int fd, char **data, size_t *len, const char *path, diag_t *d)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf)
        return diag_set(d, path, 0, ENOMEM, "out of memory reading the file");
    for (;;) {
        ssize_t r;
        if (n == cap) {
            char *nb;
            if (cap > SIZE_MAX / 2 - 1) {
                free(buf);
                return diag_set(d, path, 0, EFBIG, "file too large");
            }
            nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                return diag_set(d, path, 0, ENOMEM, "out of memory reading the file");
            }
            buf = nb;
            cap *= 2;
        }
        r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            return diag_set(d, path, 0, e, "cannot read: %s", strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int env_read_file(const char *path, char **data, size_t *len, diag_t *d)
{
    int fd, rc;
    struct stat st;
    if (!path || strcmp(path, "-") == 0)
        return read_fd(STDIN_FILENO, data, len, "(stdin)", d);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return diag_set(d, path, 0, e, "cannot open: %s", strerror(e));
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return diag_set(d, path, 0, EISDIR, "is a directory (expected a file)");
    }
    rc = read_fd(fd, data, len, path, d);
    close(fd);
    return rc;
}

int env_out_open(env_out_t *o, const char *path, diag_t *d)
{
    int fd;
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->fp = stdout;
        return 0;
    }
    if (strlen(path) + 16 > sizeof o->tmp)
        return diag_set(d, path, 0, ENAMETOOLONG, "output path too long");
    snprintf(o->path, sizeof o->path, "%s", path);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.XXXXXX", path);
    fd = mkostemp(o->tmp, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        o->tmp[0] = '\0';
        return diag_set(d, path, 0, e, "cannot create output: %s", strerror(e));
    }
    fchmod(fd, 0644);
    o->fp = fdopen(fd, "w");
    if (!o->fp) {
        int e = errno;
        close(fd);
        unlink(o->tmp);
        o->tmp[0] = '\0';
        return diag_set(d, path, 0, e, "cannot create output: %s", strerror(e));
    }
    return 0;
}

int env_out_commit(env_out_t *o, diag_t *d)
{
    int e = 0;
    if (!o->tmp[0]) {
        if (fflush(o->fp) != 0 || ferror(o->fp))
            return diag_set(d, "(stdout)", 0, errno ? errno : EIO,
                            "write error: %s", strerror(errno ? errno : EIO));
        return 0;
    }
    if (fflush(o->fp) != 0 || ferror(o->fp))
        e = errno ? errno : EIO;
    if (fclose(o->fp) != 0 && !e)
        e = errno;
    o->fp = NULL;
    if (!e && rename(o->tmp, o->path) != 0)
        e = errno;
    if (e) {
        unlink(o->tmp);
        o->tmp[0] = '\0';
        return diag_set(d, o->path, 0, e, "cannot write output: %s", strerror(e));
    }
    o->tmp[0] = '\0';
    return 0;
}

void env_out_abort(env_out_t *o)
{
    if (o->tmp[0]) {
        if (o->fp)
            fclose(o->fp);
        unlink(o->tmp);
        o->tmp[0] = '\0';
    }
    o->fp = NULL;
}

uint64_t env_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int env_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int env_pin_cpu(int cpu)
{
    cpu_set_t set;
    if (cpu < 0 || cpu >= CPU_SETSIZE)
        return -EINVAL;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) ? -errno : 0;
}

int env_current_cpu(void)
{
    return sched_getcpu();
}

int env_isatty(FILE *stream)
{
    return isatty(fileno(stream));
}

/* Huge pages come aligned: map one extra huge page and trim both ends, so
 * every 2 MiB of the array can be a huge page.  A kernel without THP (or
 * with it off) simply ignores the advice. */
#define ENV_HUGE ((size_t)2 << 20)

static size_t big_len(size_t size)
{
    return (size + ENV_HUGE - 1) & ~(ENV_HUGE - 1);
}

void *env_big_alloc(size_t size)
{
    if (size < ENV_BIG_MIN)
        return calloc(1, size ? size : 1);
    if (size > SIZE_MAX - 2 * ENV_HUGE) {
        errno = ENOMEM;
        return NULL;
    }
    size_t len = big_len(size);
    char *m = mmap(NULL, len + ENV_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (m == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
    char *p = (char *)(((uintptr_t)m + ENV_HUGE - 1) & ~(uintptr_t)(ENV_HUGE - 1));
    if (p > m)
        munmap(m, (size_t)(p - m));
    if (p + len < m + len + ENV_HUGE)
        munmap(p + len, (size_t)(m + len + ENV_HUGE - (p + len)));
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE);
#endif
    return p;
}

void *env_small_pages_alloc(size_t size)
{
    void *p = mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
#ifdef MADV_NOHUGEPAGE
    madvise(p, size ? size : 1, MADV_NOHUGEPAGE);
#endif
    return p;
}

void env_small_pages_free(void *p, size_t size)
{
    if (p)
        munmap(p, size ? size : 1);
}

void env_big_free(void *p, size_t size)
{
    if (!p)
        return;
    if (size < ENV_BIG_MIN)
        free(p);
    else
        munmap(p, big_len(size));
}

void *env_big_realloc(void *p, size_t old, size_t size)
{
    if (!p)
        return env_big_alloc(size);
    if (old < ENV_BIG_MIN && size < ENV_BIG_MIN) {
        char *n = realloc(p, size ? size : 1);
        if (n && size > old)
            memset(n + old, 0, size - old);
        return n;
    }
    if (old >= ENV_BIG_MIN && size >= ENV_BIG_MIN && big_len(size) == big_len(old)) {
        if (size < old) /* keep the bytes past the end zero */
            memset((char *)p + size, 0, old - size);
        return p; /* the mapping already covers it */
    }
    char *n = env_big_alloc(size);
    if (!n)
        return NULL;
    memcpy(n, p, old < size ? old : size);
    env_big_free(p, old);
    return n;
}
