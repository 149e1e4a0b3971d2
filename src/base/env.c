/* SPDX-License-Identifier: MIT */
/*
 * env.c - the real environment behind include/vmlab/env.h (POSIX).
 */
#include "vmlab/env.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Text checks on bytes [from, to) of buf, the line count and the start of
 * the current line carried between calls: a NUL byte or a line longer than
 * ENV_LINE_MAX ends the read there, so /dev/zero or a binary file given as
 * text fails on its first line instead of filling memory. */
static int text_check(const char *buf, size_t from, size_t to, unsigned long *line,
                      size_t *line_start, const char *path, diag_t *d)
{
    for (size_t i = from; i < to; i++) {
        if (buf[i] == '\n') {
            ++*line;
            *line_start = i + 1;
        } else if (buf[i] == '\0') {
            return diag_set(d, path, *line, EINVAL,
                            "a NUL byte at column %zu (expected text: is this a binary file?)",
                            i - *line_start + 1);
        } else if (i - *line_start >= ENV_LINE_MAX) {
            return diag_set(d, path, *line, EINVAL,
                            "line longer than %u bytes (expected text lines)", ENV_LINE_MAX);
        }
    }
    return 0;
}

static int read_fd(int fd, char **data, size_t *len, const char *path, int text, size_t max,
                   diag_t *d)
{
    size_t cap = max < (1 << 16) ? max : 1 << 16, n = 0, line_start = 0;
    unsigned long line = 1;
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
            size_t nc = cap * 2 < max ? cap * 2 : max;
            nb = realloc(buf, nc + 1);
            if (!nb) {
                free(buf);
                return diag_set(d, path, 0, ENOMEM, "out of memory reading the file");
            }
            buf = nb;
            cap = nc;
        }
        if (n == max)
            break;
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
        if (text) {
            int rc = text_check(buf, n, n + (size_t)r, &line, &line_start, path, d);
            if (rc) {
                free(buf);
                return rc;
            }
        }
        n += (size_t)r;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

static int read_path(const char *path, char **data, size_t *len, int text, size_t max,
                     diag_t *d)
{
    int fd, rc;
    struct stat st;
    if (!path || strcmp(path, "-") == 0)
        return read_fd(STDIN_FILENO, data, len, "(stdin)", text, max, d);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return diag_set(d, path, 0, e, "cannot open: %s", strerror(e));
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return diag_set(d, path, 0, EISDIR, "is a directory (expected a file)");
    }
    rc = read_fd(fd, data, len, path, text, max, d);
    close(fd);
    return rc;
}

int env_read_file(const char *path, char **data, size_t *len, diag_t *d)
{
    return read_path(path, data, len, 0, SIZE_MAX, d);
}

int env_read_text(const char *path, char **data, size_t *len, diag_t *d)
{
    return read_path(path, data, len, 1, SIZE_MAX, d);
}

int env_read_max(const char *path, size_t max, char **data, size_t *len, diag_t *d)
{
    return read_path(path, data, len, 0, max, d);
}

uint64_t env_mem_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || psize <= 0)
        return (uint64_t)1 << 40;
    return (uint64_t)pages * (uint64_t)psize;
}

/* Temporary files being written, so that SIGINT/SIGTERM/SIGHUP/SIGPIPE can remove
 * them before the process dies (a signal handler may only call
 * async-signal-safe functions: unlink() is one).  A slot is claimed by
 * storing a path pointer and cleared before the file is renamed. */
#define ENV_TMP_SLOTS 16
static const char *volatile env_tmp_live[ENV_TMP_SLOTS];

static void env_tmp_signal(int sig)
{
    for (int i = 0; i < ENV_TMP_SLOTS; i++) {
        const char *p = env_tmp_live[i];
        if (p)
            unlink(p);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Install the cleanup handler once, only for signals the program has left
 * at their default action (an application's own handler stays its own). */
static void env_tmp_handlers(void)
{
    static int done;
    /* SIGPIPE too: `vmlab ... -o FILE | head` dies of it when head exits. */
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    if (done)
        return;
    done = 1;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = env_tmp_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

/* Hold SIGINT/SIGTERM/SIGHUP/SIGPIPE while a temporary file appears or disappears
 * and its slot changes, so that no signal falls between the two (a file
 * made but not yet tracked would be left behind); they arrive at unblock. */
static void env_tmp_hold(sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGHUP);
    sigaddset(&s, SIGPIPE);
    sigprocmask(SIG_BLOCK, &s, old);
}

static void env_tmp_track(const char *tmp, int on)
{
    for (int i = 0; i < ENV_TMP_SLOTS; i++) {
        if (on && !env_tmp_live[i]) {
            env_tmp_live[i] = tmp;
            return;
        }
        if (!on && env_tmp_live[i] == tmp) {
            env_tmp_live[i] = NULL;
            return;
        }
    }
}

/* The mode a plain open(path, O_CREAT, 0666) would give under the umask. */
static mode_t env_new_mode(void)
{
    mode_t um = umask(0);
    umask(um);
    return 0666 & ~um;
}

int env_out_open(env_out_t *o, const char *path, diag_t *d)
{
    int fd;
    struct stat st;
    mode_t mode;
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->fp = stdout;
        return 0;
    }
    if (!path[0])
        return diag_set(d, "(output)", 0, ENOENT,
                        "the output file name is empty (expected a path, or - for stdout)");
    if (strlen(path) + 16 > sizeof o->tmp)
        return diag_set(d, path, 0, ENAMETOOLONG, "output path too long");
    snprintf(o->path, sizeof o->path, "%s", path);
    /* A symlink is followed: the file it points to is replaced and the
     * link stays a link (as the shell's `>` does).  A dangling one is
     * refused: creating its target silently is rarely what was meant. */
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *real = realpath(path, NULL);
        if (!real) {
            int e = errno;
            return diag_set(d, path, 0, e, "cannot follow the symbolic link: %s (expected a "
                            "link to an existing file)", strerror(e));
        }
        if (strlen(real) + 16 > sizeof o->tmp) {
            free(real);
            return diag_set(d, path, 0, ENAMETOOLONG, "output path too long");
        }
        snprintf(o->path, sizeof o->path, "%s", real);
        free(real);
    }
    mode = env_new_mode();
    if (stat(o->path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return diag_set(d, path, 0, EISDIR, "is a directory (expected a file)");
        if (!S_ISREG(st.st_mode)) {
            /* A device, FIFO, terminal or socket: written in place, never
             * replaced (renaming over /dev/null would make it a file). */
            fd = open(o->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
            if (fd < 0) {
                int e = errno;
                return diag_set(d, path, 0, e, "cannot open output: %s", strerror(e));
            }
            o->fp = fdopen(fd, "w");
            if (!o->fp) {
                int e = errno;
                close(fd);
                return diag_set(d, path, 0, e, "cannot open output: %s", strerror(e));
            }
            o->direct = 1;
            return 0;
        }
        mode = st.st_mode & 07777;
    }
    size_t pl = strlen(o->path); /* checked above: pl + 16 <= sizeof o->tmp */
    memcpy(o->tmp, o->path, pl);
    memcpy(o->tmp + pl, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    env_tmp_handlers();
    sigset_t held;
    env_tmp_hold(&held);
    fd = mkostemp(o->tmp, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        sigprocmask(SIG_SETMASK, &held, NULL);
        o->tmp[0] = '\0';
        return diag_set(d, path, 0, e, "cannot create output: %s", strerror(e));
    }
    env_tmp_track(o->tmp, 1);
    sigprocmask(SIG_SETMASK, &held, NULL);
    fchmod(fd, mode);
    if (S_ISREG(st.st_mode) && geteuid() == 0)
        (void)!fchown(fd, st.st_uid, st.st_gid);
    o->fp = fdopen(fd, "w");
    if (!o->fp) {
        int e = errno;
        close(fd);
        env_tmp_track(o->tmp, 0);
        unlink(o->tmp);
        o->tmp[0] = '\0';
        return diag_set(d, path, 0, e, "cannot create output: %s", strerror(e));
    }
    return 0;
}

int env_out_commit(env_out_t *o, diag_t *d)
{
    int e = 0;
    if (!o->tmp[0] && !o->direct) {
        if (fflush(o->fp) != 0 || ferror(o->fp))
            return diag_set(d, "(stdout)", 0, errno ? errno : EIO,
                            "write error: %s", strerror(errno ? errno : EIO));
        return 0;
    }
    errno = 0;
    if (fflush(o->fp) != 0 || ferror(o->fp))
        e = errno ? errno : EIO;
    if (fclose(o->fp) != 0 && !e)
        e = errno ? errno : EIO;
    o->fp = NULL;
    if (o->direct) {
        o->direct = 0;
        if (e)
            return diag_set(d, o->path, 0, e, "cannot write output: %s", strerror(e));
        return 0;
    }
    sigset_t held;
    env_tmp_hold(&held);
    env_tmp_track(o->tmp, 0);
    if (!e && rename(o->tmp, o->path) != 0)
        e = errno;
    if (e)
        unlink(o->tmp);
    sigprocmask(SIG_SETMASK, &held, NULL);
    o->tmp[0] = '\0';
    if (e)
        return diag_set(d, o->path, 0, e, "cannot write output: %s", strerror(e));
    return 0;
}

void env_out_abort(env_out_t *o)
{
    if (o->tmp[0]) {
        if (o->fp)
            fclose(o->fp);
        sigset_t held;
        env_tmp_hold(&held);
        env_tmp_track(o->tmp, 0);
        unlink(o->tmp);
        sigprocmask(SIG_SETMASK, &held, NULL);
        o->tmp[0] = '\0';
    } else if (o->direct && o->fp) {
        fclose(o->fp);
    }
    o->direct = 0;
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
