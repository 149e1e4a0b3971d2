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

/* Long options without a short form. */
enum { O_DATA_ONLY = CLI_OPT_BASE, O_NO_PROGRESS };

int cmd_record(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},
        {"data-only", no_argument, 0, O_DATA_ONLY},
        {"no-progress", no_argument, 0, O_NO_PROGRESS},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *out_path = NULL, *vg;
    char vgbuf[4096], defout[4096], fdarg[64], last_banner[512] = "";
    int data_only = 0, c, pfd[2], status, rc = CLI_OK, zinit = 0, progress = 1;
    uint64_t refs = 0;
    env_out_t out;
    z_stream z;
    diag_t d;
    pid_t pid;
    FILE *in;

    diag_clear(&d);
    optind = 1;
    /* '+': stop at the first non-option, so CMD's own options stay its own. */
    while ((c = cli_getopt("record", argc, argv, "+o:h", opts)) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case O_DATA_ONLY: data_only = 1; break;
        case O_NO_PROGRESS: progress = 0; break;
        case 'h': fputs(record_help, stdout); return CLI_OK;
        default: return CLI_USAGE; /* cli_getopt said why */
        }
    }
    if (optind >= argc)
        return cli_usage("record", "no command given (expected: vmlab record -- CMD ARGS...)");
    if (!out_path) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s", argv[optind]);
        snprintf(defout, sizeof defout, "%s.lackey.gz", basename(tmp));
        out_path = defout;
    }
    if (!(vg = find_valgrind(vgbuf, sizeof vgbuf))) {
        cli_error("record: valgrind not found%s (expected valgrind installed: apt-get install "
                  "valgrind, or VMLAB_VALGRIND=/path/to/valgrind)",
                  getenv("VMLAB_VALGRIND") ? " at $VMLAB_VALGRIND" : " in PATH");
        return CLI_ERR;
    }
    if (env_out_open(&out, out_path, &d))
        return cli_diag(&d);
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        env_out_abort(&out);
        cli_error("record: cannot start the gzip compressor");
        return CLI_ERR;
    }
    zinit = 1;
    if (pipe(pfd)) {
        cli_error("record: pipe: %s", strerror(errno));
        rc = CLI_ERR;
        goto fail;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        cli_error("record: fork: %s", strerror(errno));
        close(pfd[0]), close(pfd[1]);
        rc = CLI_ERR;
        goto fail;
    }
    if (pid == 0) {
        size_t n = (size_t)(argc - optind);
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
            av[4 + i] = argv[optind + (int)i];
        execv(vg, av);
        fprintf(stderr, "vmlab: record: cannot run %s: %s\n", vg, strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    in = fdopen(pfd[0], "r");
    if (!in) {
        close(pfd[0]);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        cli_error("record: fdopen: %s", strerror(errno));
        rc = CLI_ERR;
        goto fail;
    }
    {
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        int werr = 0;
        progress_t pg;
        /* The program writes to the same stdout: on a terminal, its lines
         * would start behind the progress line, which vmlab cannot erase
         * first.  So the line is drawn only when that output goes elsewhere. */
        if (progress_env_default()->isatty(stdout))
            progress = 0;
        progress_start(&pg, NULL, stderr, progress, "record", argv[optind], "references recorded");
        errno = 0;
        while ((len = getline(&line, &cap, in)) > 0) {
            if ((refs & 0xffff) == 0xffff)
                progress_update(&pg, 0, 0, refs);
            if (line[0] == '=' && line[1] == '=') {
                snprintf(last_banner, sizeof last_banner, "%.*s", (int)(len - 1), line);
            } else if (line[0] == 'I') {
                refs++;
                if (data_only)
                    continue;
            } else if (line[0] == ' ') {
                refs++;
            }
            if (!werr && deflate_out(&z, out.fp, line, (size_t)len, Z_NO_FLUSH))
                werr = errno ? errno : EIO;
        }
        progress_end(&pg);
        free(line);
        fclose(in);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        errno = 0;
        if (werr || deflate_out(&z, out.fp, "", 0, Z_FINISH)) {
            int e = werr ? werr : errno ? errno : EIO;
            diag_set(&d, out_path, 0, e, "cannot write output: %s", strerror(e));
            rc = cli_diag(&d);
            goto fail;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && refs == 0) {
        cli_error("record: could not run %s under %s", argv[optind], vg);
        rc = CLI_ERR;
        goto fail;
    }
    if (refs == 0) {
        cli_error("record: %s: no memory references recorded%s%s", argv[optind],
                  last_banner[0] ? " (valgrind: " : "", last_banner[0] ? last_banner : "");
        if (last_banner[0])
            fputs(")\n", stderr);
        rc = CLI_ERR;
        goto fail;
    }
    deflateEnd(&z);
    if (env_out_commit(&out, &d))
        return cli_diag(&d);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        cli_error("record: note: %s %s %d; its trace (%ju references) is in %s", argv[optind],
                  WIFEXITED(status) ? "exited with status" : "was killed by signal",
                  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), (uintmax_t)refs,
                  out_path);
    return CLI_OK;
fail:
    if (zinit)
        deflateEnd(&z);
    env_out_abort(&out);
    return rc;
}
