/* SPDX-License-Identifier: MIT */
/*
 * cmd_gc.c - `vmlab gc demo` (CS:APP 9.10 as a run of vmlab's collector) and
 * `vmlab gc leaks -- PROGRAM ARGS` (the leak finder: PROGRAM under
 * build/libvmlab-gcleaks.so, its report resolved with addr2line).
 * docs/gc.md describes both.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "gc/gc_impl.h"
#include "gc/leak_report.h"
#include "vmlab/env.h"
#include "vmlab/gc.h"

static const char gc_help[] =
    "usage: vmlab gc demo\n"
    "       vmlab gc leaks [--output text|json] [-o FILE] -- PROGRAM [ARGS...]\n"
    "\n"
    "demo   the roots of this process (registers and stack, data and BSS of the\n"
    "       program and each library, thread-local blocks), a small heap marked\n"
    "       from each root, what is swept, and conservatism: an integer that\n"
    "       equals a block's address keeps it alive until it is cleared or lives\n"
    "       in an atomic block.\n"
    "leaks  run PROGRAM with its malloc family served from the collector's heap\n"
    "       (free honoured, nothing collected); at exit mark from the roots and\n"
    "       report every block never freed and unreachable, valgrind's\n"
    "       'definitely lost' (no pointer from outside the leaked blocks) and\n"
    "       'indirectly lost', with its size and allocation stack (addr2line).\n"
    "       Exits with PROGRAM's status (128+N if killed by signal N).\n"
    "       The collector scans one thread: a program that creates threads is\n"
    "       refused (exit 1).\n"
    "\n"
    "  --output F   text (default) or json: an array of {size, kind, address,\n"
    "               site, stack}\n"
    "  -o FILE      write the report to FILE (atomically) instead of stdout\n"
    "  -h, --help   this help\n"
    "\n"
    "example: vmlab gc leaks --output json -- ./myprog arg\n";

/* ---- demo ---- */

#define NOINLINE __attribute__((noinline))
#define HIDE ((uintptr_t)0x5a5a5a5a5a5a5a5aull)

typedef struct dnode {
    struct dnode *next; /* the graph's edges */
    uintptr_t word;     /* data: a number that may look like a pointer */
} dnode_t;

/* The demo's roots: a global pointer and a global integer. */
static dnode_t *volatile demo_list;
static volatile uintptr_t demo_int;

enum { D_A, D_B, D_C, D_X, D_Y, D_F, D_G, D_H, D_N };
static const char *const dname[D_N] = {
    "A (list head, root: global demo_list)", "B (A->next)", "C (B->next)",
    "X (cycle X<->Y, no root)", "Y (cycle X<->Y, no root)",
    "F (only an integer in a global equals its address)", "G (atomic block, root: demo_list->word)",
    "H (only G holds its address, and G is atomic)",
};
static uintptr_t dhid[D_N]; /* addresses XOR HIDE: not pointers */

NOINLINE static void *unhide(uintptr_t h)
{
    __asm__ volatile("" : "+r"(h));
    return (void *)(h ^ HIDE);
}

NOINLINE static void demo_build(void)
{
    dnode_t *n[D_N];
    /* A last: the most recent allocation is the one a stale register most
     * likely still holds, and A is reachable anyway */
    for (int i = D_N - 1; i >= 0; i--) {
        n[i] = i == D_G ? gc_malloc_atomic(sizeof(dnode_t)) : gc_malloc(sizeof(dnode_t));
        memset(n[i], 0, sizeof(dnode_t));
        dhid[i] = (uintptr_t)n[i] ^ HIDE;
    }
    n[D_A]->next = n[D_B];
    n[D_B]->next = n[D_C];
    n[D_X]->next = n[D_Y];
    n[D_Y]->next = n[D_X];
    n[D_G]->next = n[D_H]; /* never scanned */
    n[D_A]->word = (uintptr_t)n[D_G];
    demo_list = n[D_A];
    demo_int = (uintptr_t)n[D_F];
    /* the array held every address: leave no copy in this frame (which an
     * ASan build may keep off the stack that clear_stack clears) */
    memset(n, 0, sizeof n);
    __asm__ volatile("" : : "r"(n) : "memory");
}

NOINLINE static void clear_stack(void)
{
    volatile char buf[64 << 10];
    memset((char *)buf, 0, sizeof buf);
    __asm__ volatile("" : : "r"(buf) : "memory");
}

typedef struct demo_ctx {
    int nroot;  /* roots seen */
    size_t sum; /* bytes of all root ranges */
} demo_ctx_t;

static void show_root(const gc_root_t *r, void *arg)
{
    demo_ctx_t *c = arg;
    c->nroot++;
    c->sum += r->hi - r->lo;
    printf("  %-16s %#014lx-%#014lx %8zu bytes  %s\n", r->kind, (unsigned long)r->lo,
           (unsigned long)r->hi, (size_t)(r->hi - r->lo), r->name);
}

static void mark_one_root(const gc_root_t *r, void *arg)
{
    demo_ctx_t *c = arg;
    size_t before = gc_g.marked;
    gc_mark_range(r->lo, r->hi, 1);
    c->nroot++;
    if (gc_g.marked > before)
        printf("  from %-16s %-40.40s marked %zu bytes\n", r->kind, r->name, gc_g.marked - before);
}

static int marked_state(uintptr_t h)
{
    uintptr_t a = (uintptr_t)unhide(h);
    gc_page_t *pg = gc_page_of(a);
    uint32_t slot = (uint32_t)(((a & (GC_PAGE - 1)) * (uint64_t)pg->recip) >> 32);
    return (int)((pg->mark[slot >> 6] >> (slot & 63)) & 1);
}

/* In a function of its own: the addresses it prints stay in a frame that
 * clear_stack clears, not in demo's. */
NOINLINE static void show_heap(void)
{
    printf("2. The heap: %d blocks of %zu bytes\n", D_N, gc_size(unhide(dhid[0])));
    for (int i = 0; i < D_N; i++)
        printf("  %p  %s\n", unhide(dhid[i]), dname[i]);
}

extern char __data_start[], _end[];

static int demo(void)
{
    demo_ctx_t c = {0, 0};
    gc_stats_t st;
    if (gc_init() != 0) {
        cli_error("gc demo: cannot reserve the collector's heap");
        return CLI_ERR;
    }
    printf("vmlab gc demo: conservative mark & sweep (CS:APP 9.10)\n\n");
    printf("1. The roots: memory outside the heap that may hold pointers into it\n");
    gc_roots_each(show_root, &c);
    printf("  %d ranges, %zu bytes (this program's data+bss is __data_start..._end = %p..%p)\n\n",
           c.nroot, c.sum, (void *)__data_start, (void *)_end);

    demo_build();
    show_heap();

    printf("\n3. Mark: from each root, every block reachable (only roots that reach blocks shown)\n");
    clear_stack();
    c.nroot = 0;
    gc_mark_begin();
    gc_roots_each(mark_one_root, &c);
    for (int i = 0; i < D_N; i++)
        printf("  %-8s %s\n", marked_state(dhid[i]) ? "marked" : "unmarked", dname[i]);

    printf("\n4. Sweep: unmarked blocks are freed\n");
    gc_mark_end(1);
    for (int i = 0; i < D_N; i++)
        printf("  %-6s %s\n", gc_is_live(unhide(dhid[i])) ? "kept" : "freed", dname[i]);

    printf("\n5. Conservatism: the integer demo_int = %#lx is not a pointer, but it equals F's\n"
           "   address, so F stayed.  Clear the integer and collect again:\n",
           (unsigned long)demo_int);
    demo_int = 0;
    clear_stack();
    gc_collect();
    printf("  %-6s %s\n", gc_is_live(unhide(dhid[D_F])) ? "kept" : "freed", dname[D_F]);
    {
        /* the same integer inside a scanned block keeps its target; inside
         * an atomic block (never scanned) it does not */
        uintptr_t *scanned = gc_malloc(16), *atomic = gc_malloc_atomic(16);
        uintptr_t t1 = (uintptr_t)gc_malloc(32) ^ HIDE, t2 = (uintptr_t)gc_malloc(32) ^ HIDE;
        scanned[0] = (uintptr_t)unhide(t1);
        atomic[0] = (uintptr_t)unhide(t2);
        demo_list->next = (dnode_t *)scanned;
        demo_list->word = (uintptr_t)atomic;
        scanned = atomic = NULL;
        clear_stack();
        gc_collect();
        printf("  %-6s a block whose address is stored as data in a scanned block\n",
               gc_is_live(unhide(t1)) ? "kept" : "freed");
        printf("  %-6s a block whose address is stored as data in an atomic block (gc_malloc_atomic)\n",
               gc_is_live(unhide(t2)) ? "kept" : "freed");
    }
    gc_get_stats(&st);
    printf("\n%llu collections, %llu bytes marked, %llu bytes swept, heap %llu bytes\n",
           (unsigned long long)st.collections, (unsigned long long)st.marked_bytes,
           (unsigned long long)st.freed_bytes, (unsigned long long)st.heap_bytes);
    return CLI_OK;
}

/* ---- leaks ---- */

/* The shim: $VMLAB_GC_LEAKS_LIB, else libvmlab-gcleaks.so where cli_find_lib looks. */
static int find_shim(char *out, size_t size)
{
    const char *env = getenv("VMLAB_GC_LEAKS_LIB");
    if (env && *env) {
        int w = snprintf(out, size, "%s", env);
        if (w < 0 || (size_t)w >= size)
            return -ENAMETOOLONG;
        return access(out, R_OK) == 0 ? 0 : -errno;
    }
    snprintf(out, size, "libvmlab-gcleaks.so");
    return cli_find_lib("libvmlab-gcleaks.so", out, size);
}

/* Names for frames: addr2line -f -C on each object's addresses. */
typedef struct names {
    char **v;  /* one per frame of the report: "func (file:line)" (owned) */
    size_t n;  /* entries */
} names_t;

/* Fill names for every frame with object obj; 0 or -errno (then the caller
 * falls back to OBJECT+0xADDR). */
static int addr2line(const gcl_report_t *r, const char *obj, names_t *nm)
{
    size_t cnt = 0, k = 0;
    char **argv;
    int pfd[2];
    pid_t pid;
    FILE *in;
    char fn[4096], loc[4096];
    for (size_t i = 0; i < r->frames.n; i++)
        cnt += strcmp(r->frames.v[i].obj, obj) == 0 && !nm->v[i];
    if (cnt == 0)
        return 0;
    argv = calloc(cnt + 6, sizeof *argv);
    if (!argv)
        return -ENOMEM;
    argv[k++] = "addr2line";
    argv[k++] = "-f";
    argv[k++] = "-C";
    argv[k++] = "-e";
    argv[k++] = (char *)obj;
    for (size_t i = 0; i < r->frames.n; i++)
        if (strcmp(r->frames.v[i].obj, obj) == 0 && !nm->v[i]) {
            char *a = malloc(24);
            if (!a)
                break;
            snprintf(a, 24, "0x%llx", (unsigned long long)r->frames.v[i].addr);
            argv[k++] = a;
        }
    if (pipe(pfd) != 0)
        goto out;
    pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        if (!freopen("/dev/null", "w", stderr))
            _exit(127);
        execvp("addr2line", argv);
        _exit(127);
    }
    close(pfd[1]);
    in = pid > 0 ? fdopen(pfd[0], "r") : NULL;
    if (in) {
        for (size_t i = 0; i < r->frames.n; i++) {
            if (strcmp(r->frames.v[i].obj, obj) != 0 || nm->v[i])
                continue;
            if (!fgets(fn, sizeof fn, in) || !fgets(loc, sizeof loc, in))
                break;
            fn[strcspn(fn, "\n")] = '\0';
            loc[strcspn(loc, "\n")] = '\0';
            if (strstr(loc, " (discriminator "))
                *strstr(loc, " (discriminator ") = '\0';
            if (strcmp(fn, "??") == 0)
                continue;
            nm->v[i] = malloc(strlen(fn) + strlen(loc) + 4);
            if (!nm->v[i])
                continue;
            if (strncmp(loc, "??", 2) == 0)
                strcpy(nm->v[i], fn);
            else
                sprintf(nm->v[i], "%s (%s)", fn, loc);
        }
        fclose(in);
    } else {
        close(pfd[0]);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
out:
    for (size_t i = 5; i < k; i++)
        free(argv[i]);
    free(argv);
    return 0;
}

static int resolve(const gcl_report_t *r, names_t *nm)
{
    nm->n = r->frames.n;
    nm->v = calloc(nm->n ? nm->n : 1, sizeof *nm->v);
    if (!nm->v)
        return -ENOMEM;
    for (size_t i = 0; i < r->frames.n; i++)
        if (!nm->v[i])
            addr2line(r, r->frames.v[i].obj, nm);
    for (size_t i = 0; i < r->frames.n; i++)
        if (!nm->v[i]) {
            const char *o = r->frames.v[i].obj, *b = strrchr(o, '/');
            size_t len = strlen(o) + 24;
            nm->v[i] = malloc(len);
            if (nm->v[i])
                snprintf(nm->v[i], len, "%s+0x%llx", b ? b + 1 : o, (unsigned long long)r->frames.v[i].addr);
        }
    return 0;
}

static void names_free(names_t *nm)
{
    for (size_t i = 0; i < nm->n; i++)
        free(nm->v[i]);
    free(nm->v);
}

static const char *site_of(const gcl_report_t *r, const names_t *nm, const gcl_leak_t *L)
{
    return L->nframes && nm->v[L->frame0] ? nm->v[L->frame0] : "?";
}

static void write_text(FILE *f, const gcl_report_t *r, const names_t *nm, const char *prog, int status)
{
    uint64_t bytes[2] = {0, 0}, blocks[2] = {0, 0};
    for (size_t i = 0; i < r->leaks.n; i++) {
        const gcl_leak_t *L = &r->leaks.v[i];
        bytes[L->indirect] += L->size;
        blocks[L->indirect]++;
        fprintf(f, "%llu bytes %s lost at %#llx, allocated at %s\n", (unsigned long long)L->size,
                L->indirect ? "indirectly" : "definitely", (unsigned long long)L->addr, site_of(r, nm, L));
        for (size_t k = 1; k < L->nframes; k++)
            fprintf(f, "    by %s\n", nm->v[L->frame0 + k] ? nm->v[L->frame0 + k] : "?");
    }
    fprintf(f, "%s: exit status %d\n", prog, status);
    fprintf(f, "definitely lost: %llu bytes in %llu blocks\n", (unsigned long long)bytes[0],
            (unsigned long long)blocks[0]);
    fprintf(f, "indirectly lost: %llu bytes in %llu blocks\n", (unsigned long long)bytes[1],
            (unsigned long long)blocks[1]);
}

static void write_json(FILE *f, const gcl_report_t *r, const names_t *nm)
{
    out_json_t j;
    out_json_init(&j, f, 1);
    out_json_arr(&j, NULL);
    for (size_t i = 0; i < r->leaks.n; i++) {
        const gcl_leak_t *L = &r->leaks.v[i];
        out_json_obj(&j, NULL);
        out_json_u64(&j, "size", L->size);
        out_json_str(&j, "kind", L->indirect ? "indirect" : "definite");
        out_json_hex(&j, "address", L->addr);
        out_json_str(&j, "site", site_of(r, nm, L));
        out_json_arr(&j, "stack");
        for (size_t k = 0; k < L->nframes; k++)
            out_json_str(&j, NULL, nm->v[L->frame0 + k] ? nm->v[L->frame0 + k] : "?");
        out_json_end(&j);
        out_json_end(&j);
    }
    out_json_end(&j);
    out_json_done(&j);
}

/* Long options of gc leaks without a short form. */
enum { O_OUTPUT = CLI_OPT_BASE };

static const struct option leaks_opts[] = {
    {"output", required_argument, NULL, O_OUTPUT},
    {"out", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The command line of `gc leaks`, parsed. */
typedef struct leaks_cli {
    out_format_t fmt;    /* --output: text or json */
    const char *outpath; /* -o, NULL: stdout */
    char **prog;         /* PROGRAM and its ARGS, NULL-terminated (points into argv) */
} leaks_cli_t;

/* One option into *o: 0, CLI_USAGE, or CLI_SERVED. */
static int leaks_parse_opt(leaks_cli_t *o, int c, const char *arg)
{
    switch (c) {
    case O_OUTPUT:
        return cli_output("gc leaks", arg, OUT_ACCEPT_TEXT_JSON, &o->fmt) != 0 ? CLI_USAGE : 0;
    case 'o': o->outpath = arg; return 0;
    case 'h': fputs(gc_help, stdout); return CLI_SERVED;
    default: return CLI_USAGE; /* cli_getopt said why */
    }
}

/* The whole command line into *o (options stop at PROGRAM): 0, CLI_USAGE,
 * or CLI_SERVED. */
static int leaks_parse(leaks_cli_t *o, int argc, char **argv)
{
    int c, rc;
    o->fmt = OUT_TEXT;
    o->outpath = NULL;
    optind = 1;
    while ((c = cli_getopt("gc leaks", argc, argv, "+o:h", leaks_opts)) != -1)
        if ((rc = leaks_parse_opt(o, c, optarg)) != 0)
            return rc;
    if (optind >= argc)
        return cli_usage("gc leaks", "no program to run (expected -- PROGRAM [ARGS...])");
    o->prog = argv + optind;
    return 0;
}

/* The shim's path into shim and an empty report file rep (a mkstemp
 * template): 0 or CLI_ERR after saying why. */
static int leaks_prepare(char *shim, size_t size, char *rep)
{
    int code, fd;
    if ((code = find_shim(shim, size)) != 0) {
        cli_error("gc leaks: %s: %s (expected libvmlab-gcleaks.so beside vmlab or in its library directory, or $VMLAB_GC_LEAKS_LIB)",
                  shim, strerror(-code));
        return CLI_ERR;
    }
    fd = mkstemp(rep);
    if (fd < 0) {
        cli_error("gc leaks: cannot create a temporary file: %s", strerror(errno));
        return CLI_ERR;
    }
    close(fd);
    return 0;
}

/* In the child: exec prog with the shim preloaded and told where to report. */
static void __attribute__((noreturn)) exec_under_shim(const char *shim, const char *rep,
                                                      char **prog)
{
    const char *old = getenv("LD_PRELOAD");
    char pre[2 * PATH_MAX + 2], pidbuf[24];
    snprintf(pre, sizeof pre, "%s%s%s", shim, old && *old ? ":" : "", old && *old ? old : "");
    snprintf(pidbuf, sizeof pidbuf, "%ld", (long)getpid());
    setenv("LD_PRELOAD", pre, 1);
    setenv("VMLAB_GC_LEAKS_OUT", rep, 1);
    setenv("VMLAB_GC_LEAKS_PID", pidbuf, 1);
    execvp(prog[0], prog);
    fprintf(stderr, "vmlab: gc leaks: %s: %s\n", prog[0], strerror(errno));
    _exit(127);
}

/* Run prog under the shim and wait: 0 and its status in *code (128+N if
 * killed by signal N), or CLI_ERR when it could not fork (rep removed). */
static int run_under_shim(const char *shim, const char *rep, char **prog, int *code)
{
    int status = 0;
    pid_t pid;
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        cli_error("gc leaks: fork: %s", strerror(errno));
        unlink(rep);
        return CLI_ERR;
    }
    if (pid == 0)
        exec_under_shim(shim, rep, prog);
    signal(SIGINT, SIG_IGN); /* the program gets it, reports, and dies */
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            break;
    signal(SIGINT, SIG_DFL);
    *code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
    return 0;
}

/* Read, remove and parse the report prog (exit status code) left in rep: 0
 * and *r, or the status to exit with after saying why. */
static int read_report(const char *rep, const char *prog, int code, gcl_report_t *r)
{
    char *data = NULL;
    size_t len = 0;
    diag_t d;
    if (env_read_file(rep, &data, &len, &d) != 0 || len == 0) {
        unlink(rep);
        free(data);
        if (code == 127)
            return code; /* could not run: said already */
        cli_error("gc leaks: %s wrote no leak report (a static or setuid program ignores LD_PRELOAD; "
                  "one that ends with _exit or is refused runs no report)", prog);
        return code ? code : CLI_ERR;
    }
    unlink(rep);
    if (strncmp(data, "refused\n", 8) == 0) { /* the shim said why */
        free(data);
        return CLI_ERR;
    }
    if (gcl_report_parse(data, len, rep, r, &d) != 0) {
        free(data);
        cli_diag(&d);
        return CLI_ERR;
    }
    free(data);
    return 0;
}

/* The report, resolved, to -o or stdout: code, or CLI_ERR. */
static int write_report(const leaks_cli_t *o, const gcl_report_t *r, const names_t *nm, int code)
{
    env_out_t out;
    diag_t d;
    if (env_out_open(&out, o->outpath, &d) != 0) {
        cli_diag(&d);
        return CLI_ERR;
    }
    if (o->fmt == OUT_JSON)
        write_json(out.fp, r, nm);
    else
        write_text(out.fp, r, nm, o->prog[0], code);
    if (env_out_commit(&out, &d) != 0) {
        cli_diag(&d);
        return CLI_ERR;
    }
    return code;
}

/* Read prog's report from rep, resolve its frames and write it: prog's
 * status code, or the status to exit with after saying why. */
static int report(const leaks_cli_t *o, const char *rep, int code)
{
    gcl_report_t r;
    names_t nm = {0};
    int rc;
    if ((rc = read_report(rep, o->prog[0], code, &r)) != 0)
        return rc;
    resolve(&r, &nm);
    rc = write_report(o, &r, &nm, code);
    gcl_report_free(&r);
    names_free(&nm);
    return rc;
}

static int leaks(int argc, char **argv)
{
    leaks_cli_t o;
    char shim[PATH_MAX], rep[] = "/tmp/vmlab-gcleaks-XXXXXX";
    int rc, code = 0;
    if ((rc = leaks_parse(&o, argc, argv)) != 0)
        return rc == CLI_SERVED ? CLI_OK : rc;
    if ((rc = leaks_prepare(shim, sizeof shim, rep)) != 0 ||
        (rc = run_under_shim(shim, rep, o.prog, &code)) != 0)
        return rc;
    return report(&o, rep, code);
}

int cmd_gc(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(gc_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "demo") == 0) {
        if (argc > 2)
            return cli_usage("gc demo", "unexpected argument '%s'", argv[2]);
        return demo();
    }
    if (strcmp(argv[1], "leaks") == 0)
        return leaks(argc - 1, argv + 1);
    return cli_usage("gc", "unknown subcommand '%s' (expected demo or leaks)", argv[1]);
}
