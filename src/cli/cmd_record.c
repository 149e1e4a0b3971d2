/* SPDX-License-Identifier: MIT */
/*
 * cmd_record.c - `vmlab record -- CMD ARGS...`: run a real program under
 * Valgrind's lackey tool (--trace-mem=yes: every instruction fetch, load,
 * store and modify with its address and size) and write that trace,
 * gzip-compressed, in the lackey format `vmlab sim` and `vmlab mrc` read.
 *
 * Lackey's log goes to a pipe (--log-fd), so the trace is compressed as it
 * is produced and never sits uncompressed on disk; the output file is
 * written through env_out (temporary + rename), so a failed run leaves
 * nothing behind.  The program's own stdin/stdout/stderr are untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "base/progress.h"
#include "cli/cli.h"
#include "vmlab/env.h"

static const char record_help[] =
    "usage: vmlab record [-o FILE] [--data-only] -- CMD [ARGS...]\n"
    "\n"
    "Run CMD under Valgrind's lackey tool and write every memory reference it\n"
    "makes (instruction fetches, loads, stores) as a gzip-compressed lackey trace,\n"
    "which `vmlab sim`, `vmlab mrc` and `vmlab plot` read directly.  Needs valgrind\n"
    "(Debian: apt-get install valgrind).  Expect the program to run ~50x slower.\n"
    "\n"
    "  -o, --out FILE     the trace (default: CMD's name + .lackey.gz)\n"
    "      --data-only    leave out instruction fetches (I lines): loads and stores\n"
    "      --no-progress  no progress line (shown on a terminal for long runs, when\n"
    "                     CMD's standard output is not that terminal)\n"
    "  -h, --help         this help\n"
    "  environment: VMLAB_VALGRIND, the valgrind to run (default: valgrind in PATH)\n"
    "\n"
    "example: vmlab record -o ls.lackey.gz -- ls -l /\n"
    "         vmlab mrc -p lru,opt,fifo ls.lackey.gz\n";

/* The valgrind to run: $VMLAB_VALGRIND, or the first executable
 * "valgrind" in $PATH; NULL if none. */
static const char *find_valgrind(char *buf, size_t size)
{
    const char *env = getenv("VMLAB_VALGRIND"), *path = getenv("PATH");
    if (env && *env)
        return access(env, X_OK) == 0 ? env : NULL;
    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(buf, size, "%.*s/valgrind", (int)(len ? len : 1), len ? path : ".");
        if (access(buf, X_OK) == 0)
            return buf;
        path = colon ? colon + 1 : NULL;
    }
    return NULL;
}

/* Compress [p, p + n) into the gzip stream; Z_FINISH at the end. */
static int deflate_out(z_stream *z, FILE *fp, const char *p, size_t n, int flush)
{
    unsigned char buf[1 << 16];
    z->next_in = (unsigned char *)(uintptr_t)p;
    z->avail_in = (uInt)n;
    do {
        int zr;
        z->next_out = buf;
        z->avail_out = sizeof buf;
        zr = deflate(z, flush);
        if (zr == Z_STREAM_ERROR)
            return -EIO;
        if (fwrite(buf, 1, sizeof buf - z->avail_out, fp) != sizeof buf - z->avail_out)
            return -EIO;
    } while (z->avail_out == 0);
    return 0;
}

/* ---- the command line ------------------------------------------------- */

/* Long options without a short form. */
enum { O_DATA_ONLY = CLI_OPT_BASE, O_NO_PROGRESS };

static const struct option record_opts[] = {
    {"out", required_argument, 0, 'o'},
    {"data-only", no_argument, 0, O_DATA_ONLY},
    {"no-progress", no_argument, 0, O_NO_PROGRESS},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* Everything the command line says, parsed. */
typedef struct record_cli {
    const char *out_path; /* -o FILE, else defout */
    char defout[4096];    /* CMD's name + .lackey.gz, when -o is not given */
    int data_only;        /* --data-only: leave out the I lines */
    int progress;         /* the progress line is wanted (--no-progress: 0) */
    char **cmd;           /* CMD ARGS..., the operands */
    int ncmd;             /* how many (at least 1) */
} record_cli_t;

/* The whole command line into *o: 0, a CLI_* status, or CLI_SERVED. */
static int parse(record_cli_t *o, int argc, char **argv)
{
    int c;
    memset(o, 0, sizeof *o);
    o->progress = 1;
    optind = 1;
    /* '+': stop at the first non-option, so CMD's own options stay its own. */
    while ((c = cli_getopt("record", argc, argv, "+o:h", record_opts)) != -1) {
        switch (c) {
        case 'o': o->out_path = optarg; break;
        case O_DATA_ONLY: o->data_only = 1; break;
        case O_NO_PROGRESS: o->progress = 0; break;
        case 'h': fputs(record_help, stdout); return CLI_SERVED;
        default: return CLI_USAGE; /* cli_getopt said why */
        }
    }
    if (optind >= argc)
        return cli_usage("record", "no command given (expected: vmlab record -- CMD ARGS...)");
    o->cmd = argv + optind;
    o->ncmd = argc - optind;
    if (!o->out_path) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s", o->cmd[0]);
        snprintf(o->defout, sizeof o->defout, "%s.lackey.gz", basename(tmp));
        o->out_path = o->defout;
    }
    return 0;
}

/* ---- recording ---------------------------------------------------------- */

/* One run of CMD under lackey, its log compressed into the output. */
typedef struct recording {
    env_out_t out;         /* the trace file, committed only on success */
    z_stream z;            /* the gzip compressor onto out */
    pid_t pid;             /* valgrind's process */
    int status;            /* its wait status, once it has ended */
    uint64_t refs;         /* references seen: I lines and data lines */
    char last_banner[512]; /* valgrind's last "==PID== ..." line */
} recording_t;

/* In the child: valgrind's lackey on CMD, its log onto pfd[1]. */
static void __attribute__((noreturn)) run_valgrind(const record_cli_t *o, const char *vg,
                                                   const int pfd[2])
{
    char fdarg[64];
    size_t n = (size_t)o->ncmd;
    char **av = calloc(n + 5, sizeof *av);
    close(pfd[0]);
    snprintf(fdarg, sizeof fdarg, "--log-fd=%d", pfd[1]);
    if (!av)
        _exit(127);
    av[0] = (char *)vg;
    av[1] = "--tool=lackey";
    av[2] = "--trace-mem=yes";
    av[3] = fdarg;
    for (size_t i = 0; i < n; i++)
        av[4 + i] = o->cmd[i];
    execv(vg, av);
    fprintf(stderr, "vmlab: record: cannot run %s: %s\n", vg, strerror(errno));
    _exit(127);
}

/* Start valgrind with its log on a pipe: *in reads the log.  0 or CLI_ERR. */
static int spawn(recording_t *r, const record_cli_t *o, const char *vg, FILE **in)
{
    int pfd[2];
    if (pipe(pfd)) {
        cli_error("record: pipe: %s", strerror(errno));
        return CLI_ERR;
    }
    fflush(NULL);
    r->pid = fork();
    if (r->pid < 0) {
        cli_error("record: fork: %s", strerror(errno));
        close(pfd[0]), close(pfd[1]);
        return CLI_ERR;
    }
    if (r->pid == 0)
        run_valgrind(o, vg, pfd);
    close(pfd[1]);
    *in = fdopen(pfd[0], "r");
    if (!*in) {
        close(pfd[0]);
        kill(r->pid, SIGKILL);
        waitpid(r->pid, &r->status, 0);
        cli_error("record: fdopen: %s", strerror(errno));
        return CLI_ERR;
    }
    return 0;
}

/* Compress the log from in to its end, counting references; closes in.
 * 0, or the errno of the first write that failed. */
static int pump(recording_t *r, const record_cli_t *o, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int werr = 0, show = o->progress;
    progress_t pg;
    /* The program writes to the same stdout: on a terminal, its lines
     * would start behind the progress line, which vmlab cannot erase
     * first.  So the line is drawn only when that output goes elsewhere. */
    if (progress_env_default()->isatty(stdout))
        show = 0;
    progress_start(&pg, NULL, stderr, show, "record", o->cmd[0], "references recorded");
    errno = 0;
    while ((len = getline(&line, &cap, in)) > 0) {
        if ((r->refs & 0xffff) == 0xffff)
            progress_update(&pg, 0, 0, r->refs);
        if (line[0] == '=' && line[1] == '=') {
            snprintf(r->last_banner, sizeof r->last_banner, "%.*s", (int)(len - 1), line);
        } else if (line[0] == 'I') {
            r->refs++;
            if (o->data_only)
                continue;
        } else if (line[0] == ' ') {
            r->refs++;
        }
        if (!werr && deflate_out(&r->z, r->out.fp, line, (size_t)len, Z_NO_FLUSH))
            werr = errno ? errno : EIO;
    }
    progress_end(&pg);
    free(line);
    fclose(in);
    return werr;
}

/* The log to its end, valgrind waited for, the gzip stream finished.
 * 0 or a CLI_* status (printed). */
static int capture(recording_t *r, const record_cli_t *o, FILE *in)
{
    int werr = pump(r, o, in);
    while (waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR)
        ;
    errno = 0;
    if (werr || deflate_out(&r->z, r->out.fp, "", 0, Z_FINISH)) {
        int e = werr ? werr : errno ? errno : EIO;
        diag_t d;
        diag_clear(&d);
        diag_set(&d, o->out_path, 0, e, "cannot write output: %s", strerror(e));
        return cli_diag(&d);
    }
    return 0;
}

/* A trace with no reference is a failure: valgrind or CMD did not run. */
static int check_refs(const recording_t *r, const record_cli_t *o, const char *vg)
{
    if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 127 && r->refs == 0) {
        cli_error("record: could not run %s under %s", o->cmd[0], vg);
        return CLI_ERR;
    }
    if (r->refs == 0) {
        cli_error("record: %s: no memory references recorded%s%s%s", o->cmd[0],
                  r->last_banner[0] ? " (valgrind: " : "", r->last_banner, r->last_banner[0] ? ")" : "");
        return CLI_ERR;
    }
    return 0;
}

/* Record o's command into o->out_path: a CLI_* status. */
static int record(const record_cli_t *o)
{
    char vgbuf[4096];
    const char *vg;
    recording_t r;
    FILE *in;
    diag_t d;
    int rc;
    diag_clear(&d);
    if (!(vg = find_valgrind(vgbuf, sizeof vgbuf))) {
        cli_error("record: valgrind not found%s (expected valgrind installed: apt-get install "
                  "valgrind, or VMLAB_VALGRIND=/path/to/valgrind)",
                  getenv("VMLAB_VALGRIND") ? " at $VMLAB_VALGRIND" : " in PATH");
        return CLI_ERR;
    }
    memset(&r, 0, sizeof r);
    if (env_out_open(&r.out, o->out_path, &d))
        return cli_diag(&d);
    if (deflateInit2(&r.z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        env_out_abort(&r.out);
        cli_error("record: cannot start the gzip compressor");
        return CLI_ERR;
    }
    if ((rc = spawn(&r, o, vg, &in)) || (rc = capture(&r, o, in)) ||
        (rc = check_refs(&r, o, vg))) {
        deflateEnd(&r.z);
        env_out_abort(&r.out);
        return rc;
    }
    deflateEnd(&r.z);
    if (env_out_commit(&r.out, &d))
        return cli_diag(&d);
    if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
        cli_error("record: note: %s %s %d; its trace (%ju references) is in %s", o->cmd[0],
                  WIFEXITED(r.status) ? "exited with status" : "was killed by signal",
                  WIFEXITED(r.status) ? WEXITSTATUS(r.status) : WTERMSIG(r.status),
                  (uintmax_t)r.refs, o->out_path);
    return CLI_OK;
}

int cmd_record(int argc, char **argv)
{
    record_cli_t o;
    int rc = parse(&o, argc, argv);
    if (rc)
        return rc == CLI_SERVED ? CLI_OK : rc;
    return record(&o);
}
