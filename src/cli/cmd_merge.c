/* SPDX-License-Identifier: MIT */
/*
 * cmd_merge.c - `vmlab merge`: join the JSON or CSV results that independent
 * vmlab jobs wrote (a sweep split over GNU parallel or a Slurm job array,
 * docs/sweeps.md) into one table.
 *
 * JSON: every input is one value; an array contributes its elements, anything
 * else itself; the output is one array of all of them in input order.  CSV:
 * every input starts with the same header line; the output is that header
 * once and every file's rows in input order.  Every input is read and checked
 * before anything is written, and the output goes through env_out_open, so a
 * bad file leaves no half-merged result.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_scan.h"
#include "base/out.h"
#include "cli/cli.h"
#include "vmlab/env.h"

static const char merge_help[] =
    "usage: vmlab merge [-o OUT] FILE...\n"
    "\n"
    "Join the results of independent vmlab jobs into one: JSON files (each an\n"
    "object or an array, as `--output json` writes them) become one array of all\n"
    "their elements in the order given; CSV files (`--output csv`) must share one\n"
    "header line and become that header once and all their rows.  The kind is\n"
    "taken from the first file; all must be of that kind.  Every file is read\n"
    "and checked before anything is written.\n"
    "\n"
    "  -o, --out OUT          write to OUT (default: standard output)\n"
    "  -h, --help             this text\n"
    "\n"
    "example (docs/sweeps.md):\n"
    "  parallel vmlab sim -p {1} -n {2} --output json -o r-{1}-{2}.json TRACE \\\n"
    "      ::: lru fifo opt ::: 64 128 256\n"
    "  vmlab merge r-*.json > all.json\n";

typedef struct input {
    const char *path; /* as given */
    char *text;       /* its bytes, NUL-terminated */
    size_t len;       /* their count */
} input_t;

typedef struct json_join {
    FILE *f;  /* output */
    size_t n; /* elements written */
} json_join_t;

static int count_elem(const char *s, size_t n, void *ctx)
{
    (void)s, (void)n;
    (*(size_t *)ctx)++;
    return 0;
}

static int emit_elem(const char *s, size_t n, void *ctx)
{
    json_join_t *j = ctx;
    fputs(j->n++ ? ",\n  " : "\n  ", j->f);
    fwrite(s, 1, n, j->f);
    return 0;
}

static int is_json(const input_t *in)
{
    for (size_t i = 0; i < in->len; i++)
        if (!strchr(" \t\r\n", in->text[i]) || !in->text[i])
            return in->text[i] == '[' || in->text[i] == '{';
    return 0;
}

/* The header line of a CSV text: its length without the newline. */
static size_t header_len(const input_t *in)
{
    const char *nl = memchr(in->text, '\n', in->len);
    size_t n = nl ? (size_t)(nl - in->text) : in->len;
    return n && in->text[n - 1] == '\r' ? n - 1 : n;
}

static int check_csv(const input_t *in, const input_t *first)
{
    size_t h = header_len(in), h0 = header_len(first);
    if (in->len == 0)
        return cli_error("%s:1: an empty file (expected a CSV header line)", in->path), -1;
    if (memchr(in->text, '\0', in->len))
        return cli_error("%s: a NUL byte (expected CSV text)", in->path), -1;
    if (h != h0 || memcmp(in->text, first->text, h) != 0) {
        char buf[200];
        snprintf(buf, sizeof buf, "%.*s", (int)(h0 < 150 ? h0 : 150), first->text);
        cli_error("%s:1: the header differs from %s's (expected '%s')", in->path, first->path, buf);
        return -1;
    }
    return 0;
}

static void write_csv(FILE *f, const input_t *in, size_t n)
{
    size_t h = header_len(&in[0]);
    fwrite(in[0].text, 1, h, f);
    fputc('\n', f);
    for (size_t i = 0; i < n; i++) {
        const char *body = memchr(in[i].text, '\n', in[i].len);
        if (!body)
            continue;
        body++;
        size_t rest = in[i].len - (size_t)(body - in[i].text);
        fwrite(body, 1, rest, f);
        if (rest && body[rest - 1] != '\n')
            fputc('\n', f);
    }
}

int cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *outpath = "-";
    int c, rc = CLI_OK;
    optind = 1;
    while ((c = cli_getopt("merge", argc, argv, "o:h", opts)) != -1) {
        switch (c) {
        case 'o': outpath = optarg; break;
        case 'h': fputs(merge_help, stdout); return CLI_OK;
        default: return CLI_USAGE; /* cli_getopt said why */
        }
    }
    if (optind >= argc)
        return cli_usage("merge", "no input files (expected FILE...)");
    size_t n = (size_t)(argc - optind);
    input_t *in = calloc(n, sizeof *in);
    if (!in)
        return cli_error("merge: out of memory"), CLI_ERR;

    diag_t d;
    int json = 0;
    for (size_t i = 0; i < n && rc == CLI_OK; i++) {
        in[i].path = argv[optind + (int)i];
        if (env_read_file(in[i].path, &in[i].text, &in[i].len, &d) != 0) {
            rc = cli_diag(&d);
            break;
        }
        if (i == 0)
            json = is_json(&in[0]);
        if (json) {
            size_t k = 0;
            if (json_scan_top(in[i].path, in[i].text, in[i].len, count_elem, &k, &d) != 0)
                rc = cli_diag(&d);
        } else if (check_csv(&in[i], &in[0]) != 0) {
            rc = CLI_ERR;
        }
    }
    if (rc == CLI_OK) {
        env_out_t o;
        if (env_out_open(&o, outpath, &d) != 0) {
            rc = cli_diag(&d);
        } else {
            if (json) {
                json_join_t j = {o.fp, 0};
                fputc('[', o.fp);
                for (size_t i = 0; i < n; i++)
                    json_scan_top(in[i].path, in[i].text, in[i].len, emit_elem, &j, NULL);
                fputs(j.n ? "\n]\n" : "]\n", o.fp);
            } else {
                write_csv(o.fp, in, n);
            }
            if (env_out_commit(&o, &d) != 0)
                rc = cli_diag(&d);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(in[i].text);
    free(in);
    return rc;
}
