/* SPDX-License-Identifier: MIT */
/*
 * record_shim.c - build/libvmlab-record.so, the LD_PRELOAD library behind
 * `vmlab malloc record`: it interposes the malloc family, forwards every call
 * to glibc (its exported __libc_* entry points, so no dlsym and no allocation
 * while starting), and appends one event per call to a per-process file that
 * the command turns into a malloc-lab trace (format and ordering: mrec.h).
 *
 * Rules for code that runs inside malloc: no stdio and no allocation here;
 * a thread-local re-entry guard forwards any call made from inside the shim
 * (pthread_atfork may allocate) unrecorded; errno is what glibc left.
 *
 * The file grows through MAP_SHARED windows of the file itself, not a buffer
 * flushed with write(2): every event is in the page cache the moment it is
 * made, so nothing is lost when the program ends with _exit(2), dies on a
 * signal, or frees more in its last destructors.  One mutex orders events;
 * it is held for the copy of 32 bytes, and once per 32768 events for the
 * ftruncate/mmap that moves the window.  fork: the prepare handler takes the
 * lock, the child drops the parent's window (its writes would land in the
 * parent's file) and starts its own file at its next event.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/alloc_api.h"
#include "malloc/mrec.h"

#define EXPORT __attribute__((visibility("default")))
#define WIN_BYTES ((size_t)1 << 20) /* one window of the event file */

/* glibc's own allocator, under names an interposer cannot shadow. */
extern void *__libc_malloc(size_t n);
extern void __libc_free(void *p);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
extern void *__libc_valloc(size_t n);
extern void *__libc_pvalloc(size_t n);

/* Under `lock`. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int state;       /* 0: file not open yet, 1: recording, -1: off (no dir, or failed) */
static int fd = -1;     /* the event file */
static char *win;       /* mapped window [win_off, win_off + WIN_BYTES) of the file */
static uint64_t win_off; /* file offset of the window */
static size_t win_pos;  /* next free byte in the window */
static uint64_t seq;    /* number of the last event written */

/* Set while this thread runs shim code: a nested malloc goes straight to
 * glibc.  initial-exec: a preloaded library's TLS is static, and the general
 * model's __tls_get_addr could allocate. */
static __thread int busy __attribute__((tls_model("initial-exec")));

static size_t put_str(char *dst, size_t at, size_t cap, const char *s)
{
    while (*s && at + 1 < cap)
        dst[at++] = *s++;
    dst[at] = '\0';
    return at;
}

static size_t put_u64(char *dst, size_t at, size_t cap, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n && at + 1 < cap)
        dst[at++] = tmp[--n];
    dst[at] = '\0';
    return at;
}

static int map_window(uint64_t off)
{
    void *p;
    if (ftruncate(fd, (off_t)(off + WIN_BYTES)) != 0)
        return -1;
    p = mmap(NULL, WIN_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
    if (p == MAP_FAILED)
        return -1;
    win = p;
    win_off = off;
    win_pos = 0;
    return 0;
}

/* Open DIR/PID-N.ev for this process image and write its header.  Under lock. */
static void start_file(void)
{
    const char *dir = getenv(MREC_ENV_DIR);
    char path[4096];
    mrec_header_t *h;
    pid_t pid = getpid();
    uint32_t image;

    state = -1;
    if (!dir || !*dir)
        return;
    for (image = 0; image < 100000; image++) {
        size_t at = put_str(path, 0, sizeof path, dir);
        at = put_str(path, at, sizeof path, "/");
        at = put_u64(path, at, sizeof path, (uint64_t)pid);
        at = put_str(path, at, sizeof path, "-");
        at = put_u64(path, at, sizeof path, image);
        put_str(path, at, sizeof path, ".ev");
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0)
        return;
    if (map_window(0) != 0) {
        close(fd);
        fd = -1;
        return;
    }
    h = (mrec_header_t *)(void *)win;
    memcpy(h->magic, MREC_MAGIC, sizeof MREC_MAGIC);
    h->version = 1;
    h->pid = (uint32_t)pid;
    h->ppid = (uint32_t)getppid();
    h->image = image;
    {
        /* The command line, NULs between arguments turned into spaces. */
        int cfd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
        ssize_t n = cfd >= 0 ? read(cfd, h->cmd, sizeof h->cmd - 1) : -1;
        if (cfd >= 0)
            close(cfd);
        for (ssize_t i = 0; i < n; i++)
            if (h->cmd[i] == '\0')
                h->cmd[i] = ' ';
        while (n > 0 && h->cmd[n - 1] == ' ')
            h->cmd[--n] = '\0';
    }
    win_pos = sizeof *h;
    seq = 0;
    state = 1;
}

/* Append one event; returns its seq (0 when not recording).  The caller has
 * set busy and saved errno. */
static uint64_t record(uint32_t type, const void *ptr, size_t size, uint64_t link)
{
    mrec_event_t *e;
    uint64_t s = 0;
    pthread_mutex_lock(&lock);
    if (state == 0)
        start_file();
    if (state > 0 && win_pos + sizeof *e > WIN_BYTES) {
        uint64_t next = win_off + WIN_BYTES;
        munmap(win, WIN_BYTES);
        win = NULL;
        if (map_window(next) != 0)
            state = -1; /* out of disk: stop; the file ends at the zero tail */
    }
    if (state > 0) {
        e = (mrec_event_t *)(void *)(win + win_pos);
        s = ++seq;
        e->seq = s;
        e->ptr = (uint64_t)(uintptr_t)ptr;
        e->size = size;
        e->link = (uint32_t)link;
        e->type = type; /* last: a reader of a live file sees whole events */
        win_pos += sizeof *e;
    }
    pthread_mutex_unlock(&lock);
    return s;
}

static void fork_prepare(void)
{
    pthread_mutex_lock(&lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&lock);
}

static void fork_child(void)
{
    if (win)
        munmap(win, WIN_BYTES);
    if (fd >= 0)
        close(fd);
    win = NULL;
    fd = -1;
    state = 0;
    pthread_mutex_unlock(&lock);
}

__attribute__((constructor)) static void record_init(void)
{
    busy = 1;
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    busy = 0;
}

/* After a glibc allocation call made with busy set: record its result as
 * an allocation of `size` bytes (if it succeeded), keep the call's errno,
 * clear busy, and hand the result back. */
static void *recorded(void *p, size_t size)
{
    int e = errno;
    if (p)
        record(MREC_ALLOC, p, size, 0);
    errno = e;
    busy = 0;
    return p;
}

EXPORT void *malloc(size_t n)
{
    if (busy)
        return __libc_malloc(n);
    busy = 1;
    return recorded(__libc_malloc(n), n);
}

EXPORT void free(void *p)
{
    int e;
    if (!p)
        return;
    if (busy) {
        __libc_free(p);
        return;
    }
    busy = 1;
    e = errno;
    record(MREC_FREE, p, 0, 0); /* before: the address is still ours */
    __libc_free(p);
    errno = e;
    busy = 0;
}

EXPORT void *calloc(size_t n, size_t m)
{
    if (busy)
        return __libc_calloc(n, m);
    busy = 1;
    return recorded(__libc_calloc(n, m), n * m);
}

EXPORT void *realloc(void *p, size_t n)
{
    void *q;
    uint64_t s;
    int e;
    if (busy)
        return __libc_realloc(p, n);
    if (!p)
        return malloc(n);
    busy = 1;
    e = errno;
    s = record(MREC_RREL, p, n, 0);
    errno = e;
    q = __libc_realloc(p, n);
    e = errno;
    record(MREC_RACQ, q, n, s);
    errno = e;
    busy = 0;
    return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
    return vl_alloc_reallocarray(realloc, p, n, m);
}

static void *aligned(size_t align, size_t n)
{
    if (busy)
        return __libc_memalign(align, n);
    busy = 1;
    return recorded(__libc_memalign(align, n), n);
}

EXPORT void *memalign(size_t align, size_t n)
{
    return aligned(align, n);
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
    return aligned(align, n);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    return vl_alloc_posix_memalign(aligned, out, align, n);
}

EXPORT void *valloc(size_t n)
{
    if (busy)
        return __libc_valloc(n);
    busy = 1;
    return recorded(__libc_valloc(n), n);
}

EXPORT void *pvalloc(size_t n)
{
    if (busy)
        return __libc_pvalloc(n);
    busy = 1;
    return recorded(__libc_pvalloc(n), n);
}
