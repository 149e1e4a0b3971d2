/* SPDX-License-Identifier: MIT */
/*
 * cmd_malloc_record.c - `vmlab malloc record -o FILE -- CMD ARGS...`: run a
 * program under build/libvmlab-record.so and write its allocation stream as a
 * CS:APP malloc-lab .rep trace, to replay under every design with
 * `vmlab malloc replay`.
 *
 * The shim writes one event file per process image into a fresh temporary
 * directory (src/malloc/mrec.h); the trace is made from the image with the
 * most events, which for `CMD` run directly or through a wrapper script is the
 * program of interest.  The directory is removed afterwards.
 *
 * parse() turns the command line into a record_cli_t; prepare() finds the
 * shim, opens the output (before CMD runs: a bad -o path fails at once) and
 * makes the event directory; capture() runs CMD and writes the chosen
 * stream as the trace; report() prints the summary and how CMD ended.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "malloc/mrec.h"
#include "vmlab/env.h"

static const char record_help[] =
    "usage: vmlab malloc record -o FILE [--process main|largest] [-q] [--keep DIR]\n"
    "                           -- CMD [ARGS...]\n"
    "\n"
    "Run CMD with a recording LD_PRELOAD library and write its allocation stream\n"
    "(malloc, calloc, realloc, reallocarray, free, memalign, posix_memalign,\n"
    "aligned_alloc, valloc, pvalloc) as a CS:APP malloc-lab trace: a header of four\n"
    "numbers (peak live bytes as the suggested heap size, ids, ops, weight 1), then\n"
    "'a ID BYTES', 'r ID BYTES' and 'f ID' lines, one fresh id per allocation.\n"
    "Every process image CMD starts (fork, exec) is recorded; the trace is one of\n"
    "them.  Replay it with 'vmlab malloc replay --policy all FILE'.\n"
    "\n"
    "  -o, --out FILE   the trace to write (atomically; '-' for stdout)\n"
    "      --process P  main: the program CMD's process runs last, after any exec\n"
    "                   (a wrapper script that execs its program gives the program)\n"
    "                   largest: the process image with the most events (for a\n"
    "                   script that runs the program as a child) (default main)\n"
    "  -q, --quiet      no summary line on stderr\n"
    "      --keep DIR   keep the raw event files (DIR/PID-N.ev) in DIR, which must\n"
    "                   not exist yet\n"
    "  -h, --help       this help\n"
    "\n"
    "Frees of pointers allocated before the library started (by the loader) are\n"
    "skipped and counted.  A static or setuid program ignores LD_PRELOAD: nothing\n"
    "is recorded and the command fails.  If CMD fails, the trace of what it did is\n"
    "still written and the exit status is 1.\n"
    "\n"
    "example: vmlab malloc record -o sort.rep -- sort /etc/services\n";

/* The shim: $VMLAB_RECORD_LIB, else libvmlab-record.so where cli_find_lib looks. */
static int find_shim(char *out, size_t size)
{
    const char *env = getenv("VMLAB_RECORD_LIB");
    if (env && *env) {
        snprintf(out, size, "%s", env);
        return access(out, R_OK) == 0 ? 0 : -errno;
    }
    return cli_find_lib("libvmlab-record.so", out, size);
}

/* Run argv with the shim preloaded and events going to dir; *status is the
 * wait status.  Returns 0, or -errno when CMD could not be started. */
static int run_recorded(char **argv, const char *shim, const char *dir, int *status,
                        pid_t *child)
{
    int pfd[2], err = 0;
    pid_t pid;
    ssize_t n;

    if (pipe2(pfd, O_CLOEXEC) != 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        err = errno;
        close(pfd[0]);
        close(pfd[1]);
        return -err;
    }
    if (pid == 0) {
        const char *old = getenv("LD_PRELOAD");
        char pre[2 * PATH_MAX + 2];
        if (old && *old)
            snprintf(pre, sizeof pre, "%s:%s", shim, old);
        else
            snprintf(pre, sizeof pre, "%s", shim);
        setenv("LD_PRELOAD", pre, 1);
        setenv(MREC_ENV_DIR, dir, 1);
        execvp(argv[0], argv);
        err = errno;
        if (write(pfd[1], &err, sizeof err) < 0)
            _exit(127);
        _exit(127);
    }
    *child = pid;
    close(pfd[1]);
    do
        n = read(pfd[0], &err, sizeof err);
    while (n < 0 && errno == EINTR);
    close(pfd[0]);
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return n == sizeof err ? -err : 0;
}

/* Remove dir and the event files in it. */
static void remove_dir(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX + 256];
    if (dp) {
        while ((de = readdir(dp)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
        closedir(dp);
    }
    rmdir(dir);
}

/* Read every event file in dir and keep one in *best: with main > 0, the
 * last image of process main (the program it finally exec'd), else the one
 * with the most events.  *nfiles counts the files.  0 or -errno with d filled. */
static int pick_stream(const char *dir, pid_t main, mrec_file_t *best, int *nfiles,
                       diag_t *d)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX + 256];
    int rc = 0;

    memset(best, 0, sizeof *best);
    *nfiles = 0;
    if (!dp)
        return diag_set(d, dir, 0, errno, "cannot read the event directory: %s", strerror(errno));
    while (rc == 0 && (de = readdir(dp)) != NULL) {
        size_t len = strlen(de->d_name);
        mrec_file_t f;
        if (len < 4 || strcmp(de->d_name + len - 3, ".ev") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        rc = mrec_file_read(path, &f, d);
        if (rc)
            break;
        ++*nfiles;
        if (main > 0 ? f.hdr.pid == (uint32_t)main && (!best->ev || f.hdr.image > best->hdr.image)
                     : f.nev > best->nev || (f.nev == best->nev && !best->ev)) {
            mrec_file_free(best);
            *best = f;
        } else {
            mrec_file_free(&f);
        }
    }
    closedir(dp);
    return rc;
}

/* Long options without a short form. */
enum { O_KEEP = CLI_OPT_BASE, O_PROCESS };

static const struct option record_opts[] = {
    {"out", required_argument, 0, 'o'},
    {"quiet", no_argument, 0, 'q'},
    {"keep", required_argument, 0, O_KEEP},
    {"process", required_argument, 0, O_PROCESS},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* The command line of `malloc record`, parsed. */
typedef struct record_cli {
    const char *out_path; /* -o: the trace to write ('-': stdout) */
    const char *keep;     /* --keep: a new directory to keep the event files in; NULL: a
                             temporary one, removed at the end */
    int largest;          /* --process largest: the image with the most events; 0: main */
    int quiet;            /* -q: no summary line */
    char **cmd;           /* CMD and its arguments, NULL-terminated (argv's tail) */
} record_cli_t;

/* One recording: where it goes and what it gave. */
typedef struct record_run {
    char shim[PATH_MAX]; /* the preload library */
    char dir[PATH_MAX];  /* the event directory, absolute if realpath could make it so */
    int have_dir;        /* dir was made here: remove it at the end unless --keep */
    env_out_t out;       /* the trace, written atomically */
    int out_open;        /* out is open and not yet committed */
    pid_t child;         /* CMD's process */
    int status;          /* CMD's wait status */
    int nfiles;          /* event files found in dir */
    mrec_file_t f;       /* the chosen process image's events */
    mrec_stats_t st;     /* what writing the trace counted */
    diag_t d;            /* the library's errors (cleared once, at the start) */
} record_run_t;

/* The whole command line into *o: 0, CLI_USAGE, or CLI_SERVED. */
static int parse(record_cli_t *o, int argc, char **argv)
{
    int c;
    memset(o, 0, sizeof *o);
    optind = 1;
    /* '+': stop at CMD, so its own options are not taken for ours. */
    while ((c = cli_getopt("malloc record", argc, argv, "+o:qh", record_opts)) != -1) {
        switch (c) {
        case 'o': o->out_path = optarg; break;
        case 'q': o->quiet = 1; break;
        case O_KEEP: o->keep = optarg; break;
        case O_PROCESS:
            if (strcmp(optarg, "main") == 0)
                o->largest = 0;
            else if (strcmp(optarg, "largest") == 0)
                o->largest = 1;
            else
                return cli_usage("malloc record", "unknown --process '%s' (expected main or "
                                 "largest)", optarg);
            break;
        case 'h': fputs(record_help, stdout); return CLI_SERVED;
        default: return CLI_USAGE; /* cli_getopt said why */
        }
    }
    if (!o->out_path)
        return cli_usage("malloc record", "no output file (expected -o FILE)");
    if (optind >= argc)
        return cli_usage("malloc record", "no command to run (expected -- CMD [ARGS...])");
    o->cmd = argv + optind;
    return 0;
}

/* The event directory: --keep's (which must be new) or a fresh temporary
 * one, made absolute for the shim (CMD may change directory): 0 or CLI_ERR. */
static int make_dir(const record_cli_t *o, record_run_t *r)
{
    char abs[PATH_MAX];
    if (o->keep) {
        if (mkdir(o->keep, 0700) != 0) {
            cli_error("%s: cannot create the event directory: %s (expected a new directory)",
                      o->keep, strerror(errno));
            return CLI_ERR;
        }
        snprintf(r->dir, sizeof r->dir, "%s", o->keep);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(r->dir, sizeof r->dir, "%s/vmlab-record-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(r->dir)) {
            cli_error("%s: cannot create a temporary directory: %s", r->dir, strerror(errno));
            return CLI_ERR;
        }
    }
    r->have_dir = 1;
    if (realpath(r->dir, abs))
        snprintf(r->dir, sizeof r->dir, "%s", abs);
    return 0;
}

/* Everything CMD needs before it runs: the shim, the output (opened now so
 * that a bad -o path fails at once, not after a long recording: issue 10)
 * and the event directory.  0 or a CLI_* status. */
static int prepare(const record_cli_t *o, record_run_t *r)
{
    int rc;
    if ((rc = find_shim(r->shim, sizeof r->shim)) != 0) {
        cli_error("malloc record: cannot find the recording library %s: %s (build it with "
                  "make, or set VMLAB_RECORD_LIB)", r->shim, strerror(-rc));
        return CLI_ERR;
    }
    if (env_out_open(&r->out, o->out_path, &r->d) != 0)
        return cli_diag(&r->d);
    r->out_open = 1;
    return make_dir(o, r);
}

/* Run CMD under the shim, pick its stream and write it as the trace: 0 or
 * CLI_ERR. */
static int capture(const record_cli_t *o, record_run_t *r)
{
    int rc = run_recorded(o->cmd, r->shim, r->dir, &r->status, &r->child);
    if (rc) {
        cli_error("malloc record: cannot run '%s': %s", o->cmd[0], strerror(-rc));
        return CLI_ERR;
    }
    if (pick_stream(r->dir, o->largest ? 0 : r->child, &r->f, &r->nfiles, &r->d) != 0)
        return cli_diag(&r->d);
    if (r->f.nev == 0) {
        cli_error("malloc record: '%s' made no allocation the library could see (a static or "
                  "setuid program ignores LD_PRELOAD)", o->cmd[0]);
        return CLI_ERR;
    }
    if (mrec_write_rep(&r->f, r->out.fp, &r->st, &r->d) != 0) {
        if (!r->d.file[0])
            snprintf(r->d.file, sizeof r->d.file, "%s", o->out_path);
        return cli_diag(&r->d);
    }
    r->out_open = 0;
    return env_out_commit(&r->out, &r->d) != 0 ? cli_diag(&r->d) : 0;
}

/* The summary line (unless -q), then an error if CMD failed (its trace is
 * written all the same): CLI_OK or CLI_ERR. */
static int report(const record_cli_t *o, const record_run_t *r)
{
    const mrec_stats_t *st = &r->st;
    if (!o->quiet)
        fprintf(stderr,
                "vmlab malloc record: %s: %" PRIu64 " ops, %" PRIu64 " ids, peak %" PRIu64
                " live bytes, %" PRIu64 " live at exit, %" PRIu64 " frees of unknown pointers"
                " skipped; pid %" PRIu32 " (%s), %s of %d process image%s\n",
                o->out_path, st->ops, st->ids, st->peak_bytes, st->live_at_end,
                st->unknown_frees, r->f.hdr.pid, r->f.hdr.cmd,
                o->largest ? "the largest" : "the command", r->nfiles,
                r->nfiles == 1 ? "" : "s");
    if (WIFSIGNALED(r->status)) {
        cli_error("malloc record: '%s' was killed by signal %d (%s); the trace of what it did "
                  "is in %s", o->cmd[0], WTERMSIG(r->status), strsignal(WTERMSIG(r->status)),
                  o->out_path);
        return CLI_ERR;
    }
    if (WIFEXITED(r->status) && WEXITSTATUS(r->status) != 0) {
        cli_error("malloc record: '%s' exited with status %d; the trace of what it did is "
                  "in %s", o->cmd[0], WEXITSTATUS(r->status), o->out_path);
        return CLI_ERR;
    }
    return CLI_OK;
}

/* An uncommitted output is removed, a temporary event directory too. */
static void record_free(const record_cli_t *o, record_run_t *r)
{
    if (r->out_open)
        env_out_abort(&r->out);
    mrec_file_free(&r->f);
    if (r->have_dir && !o->keep)
        remove_dir(r->dir);
}

int cmd_malloc_record(int argc, char **argv)
{
    record_cli_t o;
    record_run_t r;
    int rc = parse(&o, argc, argv);
    if (rc == 0) {
        memset(&r, 0, sizeof r);
        diag_clear(&r.d);
        if ((rc = prepare(&o, &r)) == 0 && (rc = capture(&o, &r)) == 0)
            rc = report(&o, &r);
        record_free(&o, &r);
    }
    return rc == CLI_SERVED ? CLI_OK : rc;
}
