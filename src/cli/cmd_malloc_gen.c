/* SPDX-License-Identifier: MIT */
/*
 * cmd_malloc_gen.c - `vmlab malloc gen KIND`: write a fragmentation
 * adversary (src/malloc/mgen.h) as a malloc-lab trace; and the
 * `gen:KIND:SEED` trace names that `malloc replay` and `plot heap` accept
 * in place of a file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "malloc/mgen.h"
#include "vmlab/env.h"
#include "vmlab/parse.h"

static const char gen_help[] =
    "usage: vmlab malloc gen KIND [--seed N] [--scale K] [-o FILE]\n"
    "\n"
    "Write a malloc-lab trace (.rep) that attacks an allocator's fragmentation.\n"
    "Same kind and seed: the same trace; each seed draws its own sizes and counts.\n"
    "Kinds:\n"
    "%s"
    "\n"
    "  -s, --seed N     random seed (default 1)\n"
    "  -k, --scale K    multiply the number of operations by K, 1..100 (default 1)\n"
    "  -o, --out FILE   write to FILE (atomically) instead of stdout\n"
    "  -h, --help       this help\n"
    "\n"
    "`vmlab malloc replay` also takes gen:KIND:SEED in place of a trace file.\n"
    "example: vmlab malloc gen regrow --seed 7 -o regrow7.rep\n";

static void kind_list(char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < mg_nkinds() && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "  %-9s %s\n", mg_kind_name(i),
                                mg_kind_summary(i));
}

int cli_malloc_gen_trace(const char *name, mr_trace_t *t, diag_t *d)
{
    char kind[32];
    const char *k = name + 4, *c = strchr(k, ':');
    uint64_t seed;
    int rc;
    if (!c || (size_t)(c - k) >= sizeof kind || parse_u64_dec(c + 1, strlen(c + 1), &seed) != 0)
        return diag_set(d, name, 0, EINVAL, "bad generated trace name (expected gen:KIND:SEED, "
                        "e.g. gen:regrow:3)");
    memcpy(kind, k, (size_t)(c - k));
    kind[c - k] = 0;
    rc = mg_generate(kind, seed, 1, t);
    if (rc == -ENOENT)
        return diag_set(d, name, 0, EINVAL, "unknown kind '%s' (expected one of 'vmlab malloc "
                        "gen --help')", kind);
    if (rc)
        return diag_set(d, name, 0, -rc, "cannot generate: %s", strerror(-rc));
    return 0;
}

int cli_malloc_load_trace(const char *path, mr_trace_t *t, diag_t *d)
{
    char *text = NULL;
    size_t len;
    int rc;
    if (strncmp(path, "gen:", 4) == 0)
        return cli_malloc_gen_trace(path, t, d);
    if ((rc = env_read_text(path, &text, &len, d)) != 0)
        return rc;
    rc = mr_parse(path, text, len, (size_t)env_mem_bytes(), t, d);
    free(text);
    return rc;
}

int cmd_malloc_gen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seed", required_argument, 0, 's'}, {"scale", required_argument, 0, 'k'},
        {"out", required_argument, 0, 'o'},  {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *out_path = NULL;
    uint64_t seed = 1, scale = 1;
    char list[1024];
    env_out_t out;
    mr_trace_t t;
    diag_t d;
    int c, rc;

    optind = 1;
    while ((c = cli_getopt("malloc", argc, argv, "s:k:o:h", opts)) != -1) {
        switch (c) {
        case 's':
            if (cli_u64("malloc", "--seed", optarg, 0, UINT64_MAX, &seed))
                return CLI_USAGE;
            break;
        case 'k':
            if (cli_u64("malloc", "--scale", optarg, 1, 100, &scale))
                return CLI_USAGE;
            break;
        case 'o': out_path = optarg; break;
        case 'h':
            kind_list(list, sizeof list);
            printf(gen_help, list);
            return CLI_OK;
        default: return CLI_USAGE; /* cli_getopt said why */
        }
    }
    if (optind >= argc)
        return cli_usage("malloc", "gen needs a KIND (expected one of 'vmlab malloc gen --help')");
    if (optind + 1 < argc)
        return cli_usage("malloc", "unexpected argument '%s'", argv[optind + 1]);
    rc = mg_generate(argv[optind], seed, (unsigned)scale, &t);
    if (rc == -ENOENT) {
        size_t len = 0;
        list[0] = 0;
        for (unsigned i = 0; i < mg_nkinds(); i++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                                    mg_kind_name(i));
        return cli_usage("malloc", "unknown kind '%s' (expected %s)", argv[optind], list);
    }
    if (rc) {
        cli_error("malloc gen: %s", strerror(-rc));
        return CLI_ERR;
    }
    diag_clear(&d);
    if (env_out_open(&out, out_path, &d)) {
        mr_trace_free(&t);
        return cli_diag(&d);
    }
    rc = mg_write(out.fp, &t);
    mr_trace_free(&t);
    if (rc || ferror(out.fp)) {
        int e = errno ? errno : EIO;
        env_out_abort(&out);
        diag_set(&d, out_path ? out_path : "(stdout)", 0, e, "cannot write output: %s",
                 strerror(e));
        return cli_diag(&d);
    }
    if (env_out_commit(&out, &d))
        return cli_diag(&d);
    return CLI_OK;
}
