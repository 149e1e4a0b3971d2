/* SPDX-License-Identifier: MIT */
/*
 * mm_real.c - run a scenario in real processes to hold the model against the
 * kernel: each scenario task is a server process (forked from vmlab, then
 * forked by the scenario's fork) that performs mmap/munmap/mprotect/brk/
 * touches on request and answers the minor and major faults of the operation
 * alone (getrusage before and after) and its VMA count (lines of
 * /proc/self/maps).  Transparent huge pages are off (PR_SET_THP_DISABLE).
 *
 * Two precautions make the counts comparable with the model's fresh mm: a
 * PROT_NONE fence page is mapped first, so the scenario's top-down mappings
 * cannot merge with vmlab's own anonymous mappings, and the break is moved to
 * a page boundary so brk regions start on a fresh page.  VMA counts are
 * reported relative to the count at spawn.  Pipes for up to 16 tasks are made
 * before the first server starts, so every later fork inherits its pair.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mm/mm_scenario.h"

#define NT 16

enum { RQ_MMAP, RQ_MUNMAP, RQ_MPROTECT, RQ_BRK, RQ_TOUCH, RQ_FORK, RQ_EXIT, RQ_NOP };

typedef struct req {
    int kind;            /* RQ_* */
    int slot;            /* RQ_FORK: the child's pipe slot */
    uint64_t addr, len;  /* arguments */
    int64_t delta;       /* RQ_BRK */
    unsigned prot, flags;/* PROT_/MAP_ (the kernel's values, as MM_*) */
    uint64_t off;        /* file offset */
    int acc;             /* mm_access_t */
    char path[256];      /* file, "" anon */
} req_t;

typedef struct rep {
    int64_t rc;          /* 0 or -errno */
    uint64_t val;        /* mmap address, old break, child pid */
    int64_t minflt, majflt, vmas; /* during the op; VMAs after */
    int segv;            /* 1 MAPERR, 2 ACCERR */
} rep_t;

static int rq_fd[NT][2], rp_fd[NT][2];
static char maps_buf[1 << 20];
static sigjmp_buf segv_env;
static volatile int segv_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    segv_code = si->si_code == SEGV_ACCERR ? 2 : 1;
    siglongjmp(segv_env, 1);
}

static int64_t count_vmas(void)
{
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd < 0)
        return -1;
    int64_t n = 0;
    ssize_t r;
    while ((r = read(fd, maps_buf, sizeof maps_buf)) > 0)
        for (ssize_t i = 0; i < r; i++)
            n += maps_buf[i] == '\n';
    close(fd);
    return n;
}

/* Move all n bytes at c through fd, reading (wr 0) or writing: 0, or -1 at
 * the end of the file or on an error (EINTR is retried). */
static int full_io(int fd, char *c, size_t n, int wr)
{
    while (n) {
        ssize_t r = wr ? write(fd, c, n) : read(fd, c, n);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            return -1;
        }
        c += r, n -= (size_t)r;
    }
    return 0;
}

static int full_read(int fd, void *p, size_t n) { return full_io(fd, p, n, 0); }
/* full_io only reads *p when writing: the const is kept in fact. */
static int full_write(int fd, const void *p, size_t n) { return full_io(fd, (char *)(uintptr_t)p, n, 1); }

/* Touch the stack and the buffers so that their faults (CoW after a fork)
 * happen here, outside any measured operation. */
static int touch_range(uint64_t addr, uint64_t len, int acc);
static char alt_stack[64 << 10];
static void warm(void)
{
    memset(alt_stack, 0, sizeof alt_stack);
    /* Run every code path a measured operation runs (text pages of file
     * VMAs are not copied by fork: a child faults them in again). */
    (void)touch_range(4096, 1, MM_ACC_READ); /* below mmap_min_addr: SIGSEGV, handler, siglongjmp */
    (void)munmap((void *)1, 0);
    (void)mprotect(NULL, 0, PROT_NONE);
    (void)mmap((void *)1, 0, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    (void)open("/nonexistent-vmlab", O_RDONLY);
    (void)brk(sbrk(0)); /* writes glibc's __curbrk */
    (void)touch_range(0, 0, MM_ACC_WRITE);
    volatile char big[64 << 10];
    for (size_t i = 0; i < sizeof big; i += 4096)
        big[i] = 0;
    (void)count_vmas();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
}

/* Touch every page of [addr, addr + len): 0, or the SIGSEGV code. */
/* Not instrumented: a sanitizer's shadow reads would add faults of their own. */
static __attribute__((noinline, no_sanitize("address", "undefined"))) int touch_range(uint64_t addr, uint64_t len, int acc)
{
    volatile uint64_t pg = addr;
    uint64_t end = addr + len;
    segv_code = 0;
    if (sigsetjmp(segv_env, 1) == 0) {
        for (; pg < end; pg = (pg | 4095) + 1) {
            if (acc == MM_ACC_WRITE)
                *(volatile char *)pg = 1;
            else
                (void)*(volatile char *)pg;
        }
    }
    return segv_code;
}

/* After the measured operation q (file fd, rusage before b and after a):
 * close the file, and answer p with the faults in between and the VMA count
 * (after warming the fork's parent again, so that its later operations do
 * not count the copy-on-write of its stack). */
static void answer(int slot, const req_t *q, rep_t *p, int fd, const struct rusage *b, const struct rusage *a)
{
    if (fd >= 0)
        close(fd);
    p->minflt = a->ru_minflt - b->ru_minflt;
    p->majflt = a->ru_majflt - b->ru_majflt;
    if (q->kind == RQ_FORK)
        warm();
    p->vmas = count_vmas();
    if (full_write(rp_fd[slot][1], p, sizeof *p) < 0)
        _exit(1);
}

static __attribute__((noreturn)) void serve(int slot)
{
    static req_t q;
    static rep_t p;
    for (;;) {
        if (full_read(rq_fd[slot][0], &q, sizeof q) < 0)
            _exit(0);
        memset(&p, 0, sizeof p);
        struct rusage b, a;
        int fd = -1;
        if (q.kind == RQ_MMAP && q.path[0] && (fd = open(q.path, O_RDWR)) < 0)
            p.rc = -errno;
        pid_t child = 0;
        getrusage(RUSAGE_SELF, &b);
        switch (q.kind) {
        case RQ_MMAP: {
            if (p.rc)
                break;
            void *m = mmap((void *)q.addr, q.len, (int)q.prot, (int)q.flags, fd, (off_t)q.off);
            if (m == MAP_FAILED)
                p.rc = -errno;
            else
                p.val = (uint64_t)m;
            break;
        }
        case RQ_MUNMAP:
            if (munmap((void *)q.addr, q.len) < 0)
                p.rc = -errno;
            break;
        case RQ_MPROTECT:
            if (mprotect((void *)q.addr, q.len, (int)q.prot) < 0)
                p.rc = -errno;
            break;
        case RQ_BRK: {
            void *old = sbrk((intptr_t)q.delta);
            if (old == (void *)-1)
                p.rc = -ENOMEM, p.val = (uint64_t)sbrk(0);
            else
                p.val = (uint64_t)old;
            break;
        }
        case RQ_TOUCH:
            p.segv = touch_range(q.addr, q.len, q.acc);
            break;
        case RQ_FORK:
            child = fork();
            if (child == 0) {
                warm();
                serve(q.slot);
            }
            if (child < 0)
                p.rc = -errno;
            p.val = (uint64_t)child;
            break;
        case RQ_EXIT:
            _exit(0);
        default:
            break;
        }
        getrusage(RUSAGE_SELF, &a);
        answer(slot, &q, &p, fd, &b, &a);
    }
}

/* Fill the holes (under 64 MiB) between the mappings at and above the lowest
 * one of the mmap area with PROT_NONE pages, so that top-down mappings go
 * below everything, next to each other, as in the model's fresh mm. */
static void fill_holes(void)
{
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd < 0)
        return;
    ssize_t n = read(fd, maps_buf, sizeof maps_buf - 1);
    close(fd);
    if (n <= 0)
        return;
    maps_buf[n] = 0;
    static uint64_t st[4096], en[4096];
    int k = 0;
    for (char *l = maps_buf; *l && k < 4096;) {
        unsigned long long a, b;
        if (sscanf(l, "%llx-%llx", &a, &b) == 2)
            st[k] = a, en[k++] = b;
        char *nl = strchr(l, '\n');
        if (!nl)
            break;
        l = nl + 1;
    }
    for (int i = 0; i + 1 < k; i++) {
        uint64_t gap = st[i + 1] - en[i];
        if (gap == 0 || gap >= (64ull << 20) || en[i] < (1ull << 46))
            continue;
        (void)mmap((void *)en[i], gap, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE,
                   -1, 0);
    }
}

static __attribute__((noreturn)) void server_start(int slot)
{
    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
    signal(SIGCHLD, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack};
    sigaltstack(&ss, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    fill_holes();
    (void)mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* the fence */
    uintptr_t cur = (uintptr_t)sbrk(0);
    if (cur & 4095)
        (void)sbrk((intptr_t)(4096 - (cur & 4095)));
    warm();
    serve(slot);
}

typedef struct rtask {
    int slot;        /* pipe slot, -1 none */
    pid_t pid;       /* the real process */
    int64_t base;    /* VMA count at spawn */
    int execed;      /* the model ran an execve here: later ops not comparable */
} rtask_t;

static int alive(pid_t pid);

/* Send q to the task on `slot` (process pid) and wait for its answer; -EIO
 * when it died (its pipes stay open in its siblings, so no EOF comes). */
static int call(int slot, pid_t pid, const req_t *q, rep_t *p)
{
    if (full_write(rq_fd[slot][1], q, sizeof *q) < 0)
        return -EIO;
    for (;;) {
        struct pollfd pf = {.fd = rp_fd[slot][0], .events = POLLIN};
        int r = poll(&pf, 1, 200);
        if (r > 0)
            return full_read(rp_fd[slot][0], p, sizeof *p) < 0 ? -EIO : 0;
        if (r < 0 && errno != EINTR)
            return -EIO;
        if (pid > 0 && !alive(pid))
            return -EIO;
    }
}

/* 1 while pid runs (not a zombie, not gone). */
static int alive(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *rp = strrchr(buf, ')');
    return !(rp && (rp[2] == 'Z' || rp[2] == 'X'));
}

/* Wait until pid is a zombie or gone: its mm is released by then. */
static void wait_dead(pid_t pid)
{
    for (int i = 0; i < 2000 && alive(pid); i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

/* The real side of a run: the tasks, files and symbols the scenario made. */
typedef struct real {
    rtask_t tasks[64];   /* by scenario pid (1-based, numbered as the model does) */
    struct {
        char name[64];   /* as the scenario declared it */
        char path[256];  /* the real file, in dir */
    } files[64];
    int nfiles;          /* files made, [0, 64] */
    struct {
        char name[32];   /* SYM */
        uint64_t val;    /* the real address */
    } syms[64];          /* bound symbols, in binding order (the last binding wins) */
    int nsyms;           /* [0, 64] */
    int cur;             /* the acting scenario pid, 0 none */
    int nextpid;         /* the scenario pid of the next spawn or fork */
    int nslot;           /* pipe slots taken, [0, NT] */
    pid_t first;         /* the spawned server, 0 before the spawn */
    char dir[sizeof "/tmp/vmlab-mm-XXXXXX"]; /* the files' temporary directory */
} real_t;

/* real_line's answers besides 0 and -errno: the line is done (noted or run
 * without a request), or the acting task did not answer. */
enum { LINE_DONE = 1, TASK_DIED = -0x10000 };

/* op's address on the real side into *a: 1, or 0 when its symbol was never
 * bound there (*a is then the bare offset). */
static int real_addr(const real_t *s, const mmsc_addr_t *ad, uint64_t *a)
{
    *a = (uint64_t)ad->off;
    if (!ad->sym[0])
        return 1;
    for (int k = s->nsyms - 1; k >= 0; k--)
        if (!strcmp(s->syms[k].name, ad->sym)) {
            *a = s->syms[k].val + (uint64_t)ad->off;
            return 1;
        }
    return 0;
}

/* Say why the line is not run for real: LINE_DONE. */
static int not_run(mmsc_result_t *x, const char *why)
{
    snprintf(x->note, sizeof x->note, "not run for real: %s", why);
    return LINE_DONE;
}

static int too_many(const mmsc_op_t *op, diag_t *d)
{
    return diag_set(d, "", op->line, EINVAL, "too many real tasks (expected at most %d)", NT);
}

/* The first spawn starts the first server; q is a RQ_NOP, asked for the VMA
 * count the task's later counts are relative to. */
static int real_spawn(real_t *s, const mmsc_op_t *op, const req_t *q, mmsc_result_t *x, diag_t *d)
{
    if (op->name[0] || s->first)
        return not_run(x, op->name[0] ? "spawn of an ELF" : "a second spawn");
    if (s->nslot == NT)
        return too_many(op, d);
    s->first = fork();
    if (s->first < 0) {
        s->first = 0;
        return diag_set(d, "", op->line, errno, "fork: %s", strerror(errno));
    }
    if (s->first == 0)
        server_start(s->nslot);
    rtask_t *t = &s->tasks[s->cur = s->nextpid++];
    t->slot = s->nslot++;
    t->pid = s->first;
    rep_t p;
    memset(&p, 0, sizeof p);
    if (call(t->slot, t->pid, q, &p) < 0)
        return TASK_DIED;
    t->base = p.vmas;
    x->ran = 1;
    x->vmas = 0;
    return LINE_DONE;
}

/* A file of op->len bytes of 'v' (out of the page cache when cold). */
static int real_file(real_t *s, const mmsc_op_t *op, mmsc_result_t *x, diag_t *d)
{
    static char page[4096];
    if (s->nfiles == 64)
        return LINE_DONE;
    const char *path = s->files[s->nfiles].path;
    snprintf(s->files[s->nfiles].name, 64, "%s", op->name);
    snprintf(s->files[s->nfiles].path, 256, "%s/f%d", s->dir, s->nfiles);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return diag_set(d, "", op->line, errno, "cannot create %s: %s", path, strerror(errno));
    memset(page, 'v', sizeof page);
    for (uint64_t o = 0; o < op->len; o += 4096) {
        size_t n = op->len - o < 4096 ? (size_t)(op->len - o) : 4096;
        if (write(fd, page, n) != (ssize_t)n) {
            close(fd);
            return diag_set(d, "", op->line, EIO, "cannot write %s", path);
        }
    }
    if (op->cold) {
        fsync(fd);
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    }
    close(fd);
    s->nfiles++;
    x->ran = 1;
    return LINE_DONE;
}

/* mmap's request; its file by the name the scenario declared. */
static int real_mmap(const real_t *s, const mmsc_op_t *op, uint64_t a, req_t *q, diag_t *d)
{
    q->kind = RQ_MMAP;
    q->addr = op->addr_none ? 0 : a;
    q->len = op->len, q->prot = op->prot, q->flags = op->flags, q->off = op->off;
    if (op->flags & MM_MAP_ANON)
        return 0;
    int k;
    for (k = 0; k < s->nfiles && strcmp(s->files[k].name, op->name); k++)
        ;
    if (k == s->nfiles)
        return diag_set(d, "", op->line, EINVAL, "unknown file '%s'", op->name);
    snprintf(q->path, sizeof q->path, "%s", s->files[k].path);
    return 0;
}

/* Turn op into the request q for the acting task: 0 (q is to be sent; a
 * RQ_NOP still measures the line), LINE_DONE, or -errno with d. */
static int real_prepare(real_t *s, const mmsc_op_t *op, uint64_t a, req_t *q, mmsc_result_t *x, diag_t *d)
{
    switch (op->kind) {
    case MOP_SPAWN: return real_spawn(s, op, q, x, d);
    case MOP_FILE: return real_file(s, op, x, d);
    case MOP_MMAP: return real_mmap(s, op, a, q, d);
    case MOP_MUNMAP:
    case MOP_MPROTECT:
        q->kind = op->kind == MOP_MUNMAP ? RQ_MUNMAP : RQ_MPROTECT;
        q->addr = a, q->len = op->len, q->prot = op->prot;
        return 0;
    case MOP_BRK:
        if (!op->brk_rel)
            return not_run(x, "brk to an absolute address");
        q->kind = RQ_BRK;
        q->delta = op->brk_rel > 0 ? (int64_t)op->len : -(int64_t)op->len;
        return 0;
    case MOP_TOUCH:
        if (op->acc == MM_ACC_EXEC)
            return not_run(x, "execute access");
        q->kind = RQ_TOUCH;
        q->addr = a, q->len = op->len, q->acc = (int)op->acc;
        return 0;
    case MOP_FORK:
        if (s->nslot == NT)
            return too_many(op, d);
        q->kind = RQ_FORK;
        q->slot = s->nslot;
        return 0;
    case MOP_SWITCH:
        if (op->len >= 64 || !s->tasks[op->len].pid)
            return diag_set(d, "", op->line, EINVAL, "no live real task %llu", (unsigned long long)op->len);
        s->cur = (int)op->len;
        return 0;
    case MOP_EXEC:
        s->tasks[s->cur].execed = 1;
        return not_run(x, "execve");
    case MOP_EXIT: q->kind = RQ_EXIT; return 0;
    case MOP_RECLAIM: return not_run(x, "reclaim");
    default: return 0;
    }
}

/* The acting task exits (no answer comes: wait until its mm is gone); the
 * live task of the lowest scenario pid acts next, and x gets its VMAs. */
static void real_exit(real_t *s, const req_t *q, mmsc_result_t *x)
{
    rtask_t *t = &s->tasks[s->cur];
    full_write(rq_fd[t->slot][1], q, sizeof *q);
    wait_dead(t->pid);
    if (t->pid == s->first)
        waitpid(s->first, NULL, 0);
    t->pid = 0;
    s->cur = 0;
    for (int k = 1; k < 64 && !s->cur; k++)
        if (s->tasks[k].pid)
            s->cur = k;
    x->ran = 1;
    rep_t p;
    if (s->cur && call(s->tasks[s->cur].slot, s->tasks[s->cur].pid, &(req_t){.kind = RQ_NOP}, &p) == 0)
        x->vmas = p.vmas - s->tasks[s->cur].base;
}

/* Send q to the acting task and take its answer into x; a fork's child
 * becomes a task, a binding a symbol. */
static int real_send(real_t *s, const mmsc_op_t *op, const req_t *q, mmsc_result_t *x)
{
    rtask_t *t = &s->tasks[s->cur];
    rep_t p;
    memset(&p, 0, sizeof p);
    if (call(t->slot, t->pid, q, &p) < 0)
        return TASK_DIED;
    x->ran = 1;
    x->rc = (int)p.rc;
    x->minflt = p.minflt, x->majflt = p.majflt;
    x->segv = p.segv;
    x->vmas = p.vmas - t->base;
    if (q->kind == RQ_FORK && p.rc == 0) {
        int c = s->nextpid++;
        if (c < 64) {
            s->tasks[c].slot = s->nslot++;
            s->tasks[c].pid = (pid_t)p.val;
            s->tasks[c].base = t->base;
        }
    }
    if ((op->kind == MOP_MMAP || op->kind == MOP_BRK) && op->bind[0] && s->nsyms < 64) {
        snprintf(s->syms[s->nsyms].name, sizeof s->syms[0].name, "%s", op->bind);
        s->syms[s->nsyms++].val = p.val;
    }
    return 0;
}

/* One line in the real processes: 0, TASK_DIED, or -errno with d. */
static int real_line(real_t *s, const mmsc_op_t *op, mmsc_result_t *x, diag_t *d)
{
    req_t q;
    uint64_t a;
    memset(x, 0, sizeof *x);
    memset(&q, 0, sizeof q);
    q.kind = RQ_NOP;
    int have_addr = real_addr(s, &op->addr, &a);
    int rc = real_prepare(s, op, a, &q, x, d);
    if (rc != 0)
        return rc == LINE_DONE ? 0 : rc;
    if (!s->cur || !s->tasks[s->cur].pid)
        return not_run(x, "no real task"), 0;
    if (s->tasks[s->cur].execed && q.kind != RQ_EXIT)
        return not_run(x, "after the model's execve"), 0;
    if (!have_addr)
        return not_run(x, "unbound symbol"), 0;
    if (q.kind == RQ_EXIT) {
        real_exit(s, &q, x);
        return 0;
    }
    return real_send(s, op, &q, x);
}

/* Stop every server, close the pipes (-1: never made) and remove the files. */
static void real_end(real_t *s)
{
    for (int k = 1; k < 64; k++)
        if (s->tasks[k].pid)
            kill(s->tasks[k].pid, SIGKILL);
    if (s->first)
        waitpid(s->first, NULL, 0);
    for (int i = 0; i < NT; i++) {
        close(rq_fd[i][0]), close(rq_fd[i][1]), close(rp_fd[i][0]), close(rp_fd[i][1]);
    }
    for (int k = 0; k < s->nfiles; k++)
        unlink(s->files[k].path);
    rmdir(s->dir);
}

int mmsc_run_real(const mmsc_t *sc, const mmsc_opts_t *ro, mmsc_result_t *res, diag_t *d)
{
    real_t s;
    memset(&s, 0, sizeof s);
    s.nextpid = 1;
    strcpy(s.dir, "/tmp/vmlab-mm-XXXXXX");
    if (!mkdtemp(s.dir))
        return diag_set(d, "", 0, errno, "cannot make a temporary directory: %s", strerror(errno));
    int rc = 0;
    memset(rq_fd, -1, sizeof rq_fd), memset(rp_fd, -1, sizeof rp_fd);
    for (int i = 0; i < NT && rc == 0; i++)
        if (pipe(rq_fd[i]) < 0 || pipe(rp_fd[i]) < 0)
            rc = diag_set(d, "", 0, errno, "pipe: %s", strerror(errno));
    for (size_t i = 0; i < sc->n && rc == 0; i++) {
        if (ro && ro->progress)
            ro->progress(ro->progress_ctx, i, sc->n, i);
        rc = real_line(&s, &sc->ops[i], &res[i], d);
    }
    if (rc == TASK_DIED)
        rc = diag_set(d, "", 0, EIO, "a real task died (expected it to answer every operation)");
    /* Every way out stops the servers: they hold vmlab's stdout and every
     * pipe, so one left behind waits for a request forever. */
    real_end(&s);
    return rc;
}
