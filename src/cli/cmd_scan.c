/* SPDX-License-Identifier: MIT */
/*
 * cmd_scan.c - `vmlab scan PID`: scanmem's search for a value in a running
 * process (src/peek/scan.c), driven by options, by a script or pipe of
 * commands (src/peek/scan_cmd.c), or interactively on a terminal.
 *
 * Output files (--save, `save FILE`) go through env_out_open/commit: an
 * error (the process exits, a bad command) never leaves a partial match
 * file.  In a script, an error stops the run with "vmlab: FILE:LINE: ..."
 * and exit 1; at a terminal it is printed and the session goes on.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/out.h"
#include "cli/cli.h"
#include "cli/peek_cli.h"
#include "vmlab/env.h"
#include "vmlab/peek.h"

static const char scan_help[] =
    "usage: vmlab scan PID|self [--type T] [--value V] [--script FILE|-] [OPTIONS]\n"
    "\n"
    "Search process PID's readable and writable memory for a value, as scanmem\n"
    "does: a first scan keeps every position holding it; narrowing scans re-read\n"
    "only those (=, !=, <, >, +N, -N, changed, unchanged) as the process changes\n"
    "it; 'set V' writes V into every match.  Each step prints 'N matches (...)'.\n"
    "Strings and byte patterns too: --type string --value TEXT, or --type bytes\n"
    "--value 'de ad ?? ef' (?? any byte); their matches narrow by =, != V,\n"
    "changed and unchanged.\n"
    "With --value: one first scan (JSON: matches and addresses).  With --script\n"
    "FILE (- for stdin) or stdin not a terminal: the commands, one a line.  On a\n"
    "terminal: an interactive prompt.  Type 'help' for the commands.\n"
    "\n"
    "  -t, --type T          i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 string bytes\n"
    "                        (default i32)\n"
    "      --value V         first scan for V, then the script if any\n"
    "      --script FILE     commands from FILE ('-': stdin)\n"
    "      --align N         positions at multiples of N: 1 (every byte, as scanmem),\n"
    "                        2, 4, 8 (default: the type's size; 1 for string, bytes)\n"
    "      --regions LIST    heap,stack,data,other or all (default all): heap is [heap]\n"
    "                        and private anonymous memory, data the programs' .data\n"
    "                        and .bss, other the rest of the rw- mappings\n"
    "      --load FILE       start from a saved match file\n"
    "      --save FILE       write the final matches there (atomically)\n"
    "      --max-matches N   bound on matches kept (default 16M; 16 bytes each)\n"
    "      --chunk BYTES     bytes read per system call (default 64k)\n"
    "      --access HOW      auto (default), vm (process_vm_readv/writev), mem\n"
    "      --output FORMAT   text (default) or json: {pid, type, width, matches,\n"
    "                        addresses, values, steps}\n"
    "  -h, --help            this help\n";

/* The session: what the commands change as they run. */
typedef struct scan_sess {
    int pid;                /* target */
    peek_type_t type;       /* current type */
    size_t align;           /* current alignment (0: the type's size) */
    unsigned regions;       /* PEEK_R_* for the next first scan */
    size_t max;             /* --max-matches */
    size_t chunk;           /* --chunk */
    peek_scan_t *s;         /* the matches */
    int scanned;            /* a first scan (or load) happened since the last reset */
    peek_mem_t *m;          /* access */
    out_format_t fmt;       /* --output */
    out_json_t *j;          /* JSON steps array, when fmt is JSON */
    int interactive;        /* a terminal: errors do not stop the session */
} scan_sess_t;

/* A value of the current type: a number's bits, or a pattern. */
typedef union scan_val {
    uint64_t n;       /* numeric types, little-endian */
    peek_pattern_t p; /* string, bytes */
} scan_val_t;

static int parse_value(peek_type_t t, const char *text, scan_val_t *v, diag_t *d)
{
    size_t len;
    if (!peek_type_numeric(t))
        return peek_pattern_parse(t, text, &v->p, d);
    v->n = 0;
    return peek_value_parse(t, text, &v->n, sizeof v->n, &len, d);
}

/* What the scanner takes for the value v (peek.h). */
static const void *val_ptr(peek_type_t t, const scan_val_t *v)
{
    return peek_type_numeric(t) ? (const void *)&v->n : (const void *)&v->p;
}

/* Match i's value as text, a string quoted. */
static const char *match_text(const scan_sess_t *c, size_t i, char *buf, size_t n)
{
    char tmp[4 * PEEK_PATTERN_MAX + 8];
    peek_value_format(c->type, peek_scan_bytes(c->s, i), peek_scan_width(c->s), tmp, sizeof tmp);
    snprintf(buf, n, c->type == PEEK_STRING ? "\"%s\"" : "%s", tmp);
    return buf;
}

static void report(scan_sess_t *c, const char *what, long n)
{
    const peek_scan_stats_t *st = peek_scan_stats(c->s);
    if (c->fmt == OUT_JSON) {
        out_json_obj(c->j, NULL);
        out_json_str(c->j, "command", what);
        out_json_i64(c->j, "matches", n);
        out_json_u64(c->j, "bytes_read", st->bytes);
        out_json_u64(c->j, "ns", st->ns);
        out_json_end(c->j);
        return;
    }
    printf("%ld match%s (%s %s; %.1f MiB read", n, n == 1 ? "" : "es", peek_type_name(c->type),
           what, st->bytes / 1048576.0);
    if (st->regions)
        printf(" from %ju mappings", (uintmax_t)st->regions);
    if (st->skipped)
        printf(", %.1f MiB unreadable skipped", st->skipped / 1048576.0);
    if (st->huge)
        printf(", %ju mapping%s over 64 GiB left out", (uintmax_t)st->huge,
               st->huge == 1 ? "" : "s");
    printf(" in %.1f ms)\n", st->ns / 1e6);
    fflush(stdout);
}

static const char *op_text(peek_op_t op)
{
    static const char *const t[PEEK_OP_COUNT] = {
        "=", "!=", "<", ">", "<=", ">=", "changed", "unchanged", "increased", "decreased",
        "+", "-",
    };
    return (unsigned)op < PEEK_OP_COUNT ? t[op] : "?";
}

static int first_scan(scan_sess_t *c, peek_op_t op, const char *text, diag_t *d)
{
    inspect_maps_t mm;
    scan_val_t v;
    long n;
    char what[300];
    int rc;
    if ((rc = parse_value(c->type, text, &v, d)))
        return rc;
    if ((rc = pcli_maps(c->pid, &mm, d)))
        return rc;
    n = peek_scan_first(c->s, c->m, &mm, c->regions, op, val_ptr(c->type, &v), c->chunk, d);
    inspect_maps_free(&mm);
    if (n < 0)
        return (int)n;
    c->scanned = 1;
    snprintf(what, sizeof what, "scan %s %s", op_text(op), text);
    report(c, what, n);
    return 0;
}

static int narrow(scan_sess_t *c, peek_op_t op, const char *text, diag_t *d)
{
    scan_val_t v;
    long n;
    char what[300];
    int rc;
    memset(&v, 0, sizeof v);
    if (peek_op_has_value(op) && (rc = parse_value(c->type, text, &v, d)))
        return rc;
    n = peek_scan_narrow(c->s, c->m, op, val_ptr(c->type, &v), d);
    if (n < 0)
        return (int)n;
    snprintf(what, sizeof what, "%s%s%s", op_text(op),
             op == PEEK_OP_INC_BY || op == PEEK_OP_DEC_BY || !peek_op_has_value(op) ? "" : " ",
             peek_op_has_value(op) ? text : "");
    report(c, what, n);
    return 0;
}

static int renew(scan_sess_t *c, diag_t *d)
{
    peek_scan_t *s;
    int rc = peek_scan_new(c->type, c->align, c->max, &s, d);
    if (rc)
        return rc;
    peek_scan_free(c->s);
    c->s = s;
    c->scanned = 0;
    return 0;
}

static void list(scan_sess_t *c, size_t k)
{
    inspect_maps_t mm;
    int have = pcli_maps(c->pid, &mm, NULL) == 0;
    size_t n = peek_scan_count(c->s);
    char val[4 * PEEK_PATTERN_MAX + 16];
    for (size_t i = 0; i < n && i < k; i++) {
        uint64_t a = peek_scan_addr(c->s, i);
        const inspect_map_t *mp = have ? inspect_maps_find(&mm, a) : NULL;
        printf("[%zu] 0x%jx %s", i, (uintmax_t)a, match_text(c, i, val, sizeof val));
        if (mp)
            printf("  %s %s+0x%jx", inspect_kind_name(mp->kind),
                   mp->path[0] ? mp->path : "[anonymous]", (uintmax_t)(a - mp->start));
        printf("\n");
    }
    if (n > k)
        printf("... %zu more\n", n - k);
    if (have)
        inspect_maps_free(&mm);
    fflush(stdout);
}

static int save(scan_sess_t *c, const char *path, diag_t *d)
{
    env_out_t o;
    int rc = env_out_open(&o, path, d);
    if (rc)
        return rc;
    if (peek_scan_save(c->s, c->pid, o.fp)) {
        env_out_abort(&o);
        return diag_set(d, path, 0, EIO, "cannot write the match file");
    }
    return env_out_commit(&o, d);
}

/* `set V`: write V into every match. */
static int set_matches(scan_sess_t *c, const char *text, diag_t *d)
{
    scan_val_t v;
    long n;
    int rc;
    if (!c->scanned)
        return diag_set(d, NULL, 0, EINVAL, "no matches to set (expected a scan first)");
    if ((rc = parse_value(c->type, text, &v, d)))
        return rc;
    n = peek_scan_set(c->s, c->m, val_ptr(c->type, &v), d);
    if (n < 0)
        return (int)n;
    if (c->fmt == OUT_JSON) {
        out_json_obj(c->j, NULL);
        out_json_str(c->j, "command", "set");
        out_json_i64(c->j, "written", n);
        out_json_end(c->j);
    } else {
        printf("set %s at %ld of %zu matches\n", text, n, peek_scan_count(c->s));
        fflush(stdout);
    }
    return 0;
}

/* A comparison: the first scan if none happened yet, else a narrowing. */
static int filter(scan_sess_t *c, peek_op_t op, const char *text, diag_t *d)
{
    if (c->scanned)
        return narrow(c, op, text, d);
    if (!peek_op_has_value(op))
        return diag_set(d, NULL, 0, EINVAL, "'%s' compares with a previous scan (expected "
                                            "a first scan such as '= V' before it)",
                        op_text(op));
    return first_scan(c, op, text, d);
}

/* `type T`, `align N`, `string TEXT`: a new type or alignment starts over. */
static int retype(scan_sess_t *c, const peek_cmd_t *cmd, diag_t *d)
{
    int rc;
    if (cmd->kind == PEEK_CMD_STRING) {
        c->type = PEEK_STRING;
        if ((rc = renew(c, d)))
            return rc;
        return first_scan(c, PEEK_OP_EQ, cmd->arg, d);
    }
    if (cmd->kind == PEEK_CMD_TYPE) {
        peek_type_t t;
        if (peek_type_parse(cmd->arg, &t))
            return diag_set(d, NULL, 0, EINVAL, "type '%s' (expected one of: %s)", cmd->arg,
                            peek_type_list());
        c->type = t;
        return renew(c, d);
    }
    size_t a = (size_t)strtoul(cmd->arg, NULL, 10); /* PEEK_CMD_ALIGN */
    if (strcmp(cmd->arg, "1") && strcmp(cmd->arg, "2") && strcmp(cmd->arg, "4") &&
        strcmp(cmd->arg, "8"))
        return diag_set(d, NULL, 0, EINVAL, "align '%s' (expected 1, 2, 4 or 8)", cmd->arg);
    c->align = a;
    return renew(c, d);
}

/* Run one command; 1 to quit, 0 ok, -errno on error (in *d). */
static int run_cmd(scan_sess_t *c, const peek_cmd_t *cmd, diag_t *d)
{
    switch (cmd->kind) {
    case PEEK_CMD_NONE: return 0;
    case PEEK_CMD_FILTER: return filter(c, cmd->op, cmd->arg, d);
    case PEEK_CMD_SCAN: return first_scan(c, cmd->op, cmd->arg, d);
    case PEEK_CMD_STRING:
    case PEEK_CMD_TYPE:
    case PEEK_CMD_ALIGN: return retype(c, cmd, d);
    case PEEK_CMD_SET: return set_matches(c, cmd->arg, d);
    case PEEK_CMD_LIST:
        if (c->fmt != OUT_JSON)
            list(c, cmd->arg[0] ? (size_t)strtoull(cmd->arg, NULL, 10) : 20);
        return 0;
    case PEEK_CMD_COUNT:
        if (c->fmt != OUT_JSON) {
            printf("%zu match%s\n", peek_scan_count(c->s), peek_scan_count(c->s) == 1 ? "" : "es");
            fflush(stdout);
        }
        return 0;
    case PEEK_CMD_RESET: return renew(c, d);
    case PEEK_CMD_REGIONS:
        if (peek_regions_parse(cmd->arg, &c->regions))
            return diag_set(d, NULL, 0, EINVAL, "regions '%s' (expected a comma list of heap, "
                                                "stack, data, other, or all)",
                            cmd->arg);
        return 0;
    case PEEK_CMD_SAVE: return save(c, cmd->arg, d);
    case PEEK_CMD_HELP:
        if (c->fmt != OUT_JSON)
            fputs(peek_cmd_help(), stdout);
        return 0;
    case PEEK_CMD_QUIT: return 1;
    default: return 0;
    }
}

/* Commands from f, named `name` in messages; 0 at the end or on quit. */
static int run_stream(scan_sess_t *c, FILE *f, const char *name, diag_t *d)
{
    char line[4096];
    unsigned long lineno = 0;
    for (;;) {
        peek_cmd_t cmd;
        size_t n;
        int rc;
        if (c->interactive) {
            printf("%zu> ", peek_scan_count(c->s));
            fflush(stdout);
        }
        if (!fgets(line, sizeof line, f))
            break;
        lineno++;
        n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n')
            return diag_set(d, name, lineno, EINVAL, "line longer than %zu bytes (expected one "
                                                     "short command a line)",
                            sizeof line - 2);
        rc = peek_cmd_parse(line, n, &cmd, d);
        if (rc == 0)
            rc = run_cmd(c, &cmd, d);
        if (rc == 1)
            return 0;
        if (rc < 0) {
            /* The process is gone, or may not be read: no use going on. */
            int fatal = rc == -ESRCH || rc == -EPERM || !c->interactive;
            /* Where in the script: the command's line, whatever it was about. */
            if (d->file[0] && strcmp(d->file, name) != 0) {
                char msg[sizeof d->msg];
                snprintf(msg, sizeof msg, "%s", d->msg);
                snprintf(d->msg, sizeof d->msg, "%.200s: %.300s", d->file, msg);
            }
            snprintf(d->file, sizeof d->file, "%s", name);
            d->line = lineno;
            if (fatal)
                return rc;
            cli_diag(d);
            diag_clear(d);
        }
    }
    if (ferror(f))
        return diag_set(d, name, lineno, EIO, "read error");
    return 0;
}

/* ---- the command line ------------------------------------------------- */

/* Long options without a short form: named, never bare numbers. */
enum {
    O_VALUE = CLI_OPT_BASE, O_SCRIPT, O_ALIGN, O_REGIONS, O_LOAD, O_SAVE, O_MAX_MATCHES,
    O_CHUNK, O_ACCESS, O_OUTPUT,
};

static const struct option scan_opts[] = {
    {"type", required_argument, 0, 't'},
    {"value", required_argument, 0, O_VALUE},
    {"script", required_argument, 0, O_SCRIPT},
    {"align", required_argument, 0, O_ALIGN},
    {"regions", required_argument, 0, O_REGIONS},
    {"load", required_argument, 0, O_LOAD},
    {"save", required_argument, 0, O_SAVE},
    {"max-matches", required_argument, 0, O_MAX_MATCHES},
    {"chunk", required_argument, 0, O_CHUNK},
    {"access", required_argument, 0, O_ACCESS},
    {"output", required_argument, 0, O_OUTPUT},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* Everything the command line says, parsed. */
typedef struct scan_cli {
    int pid;               /* the PID operand (self: this process) */
    peek_type_t type;      /* --type (default i32) */
    size_t align;          /* --align, 0: the type's size */
    unsigned regions;      /* --regions, PEEK_R_* (default all) */
    size_t max;            /* --max-matches (default 16M) */
    size_t chunk;          /* --chunk, 0: the library's default */
    const char *value;     /* --value, NULL if none */
    const char *script;    /* --script FILE ('-': stdin), NULL if none */
    const char *load;      /* --load FILE, NULL if none */
    const char *save_path; /* --save FILE, NULL if none */
    peek_method_t method;  /* --access: the method tried first */
    int fallback;          /* --access auto: fall back to the other method */
    out_format_t fmt;      /* --output */
} scan_cli_t;

/* One option: 0, a CLI_* status, or CLI_SERVED. */
static int parse_opt(scan_cli_t *o, int opt, const char *arg)
{
    uint64_t u;
    switch (opt) {
    case 't':
        if (peek_type_parse(arg, &o->type))
            return cli_usage("scan", "--type '%s' (expected one of: %s)", arg, peek_type_list());
        return 0;
    case O_VALUE: o->value = arg; return 0;
    case O_SCRIPT: o->script = arg; return 0;
    case O_ALIGN:
        if (cli_u64("scan", "--align", arg, 1, 8, &u))
            return CLI_USAGE;
        if (u & (u - 1) || u == 0)
            return cli_usage("scan", "--align %s (expected 1, 2, 4 or 8)", arg);
        o->align = (size_t)u;
        return 0;
    case O_REGIONS:
        if (peek_regions_parse(arg, &o->regions))
            return cli_usage("scan", "--regions '%s' (expected a comma list of heap, stack, "
                                     "data, other, or all)",
                             arg);
        return 0;
    case O_LOAD: o->load = arg; return 0;
    case O_SAVE: o->save_path = arg; return 0;
    case O_MAX_MATCHES:
        if (cli_u64("scan", "--max-matches", arg, 1, (uint64_t)1 << 32, &u))
            return CLI_USAGE;
        o->max = (size_t)u;
        return 0;
    case O_CHUNK:
        if (cli_u64("scan", "--chunk", arg, 4096, (uint64_t)1 << 30, &u))
            return CLI_USAGE;
        o->chunk = (size_t)u;
        return 0;
    case O_ACCESS: return pcli_access("scan", arg, &o->method, &o->fallback) ? CLI_USAGE : 0;
    case O_OUTPUT: return cli_output("scan", arg, OUT_ACCEPT_TEXT_JSON, &o->fmt) ? CLI_USAGE : 0;
    case 'h': fputs(scan_help, stdout); return CLI_SERVED;
    default: return CLI_USAGE; /* cli_getopt said which */
    }
}

/* The whole command line into *o: 0, a CLI_* status, or CLI_SERVED. */
static int parse(scan_cli_t *o, int argc, char **argv)
{
    int opt, rc;
    memset(o, 0, sizeof *o);
    o->type = PEEK_I32;
    o->regions = PEEK_R_ALL;
    o->max = (size_t)16 << 20;
    o->method = PEEK_VM;
    o->fallback = 1;
    optind = 1;
    while ((opt = cli_getopt("scan", argc, argv, "t:h", scan_opts)) != -1)
        if ((rc = parse_opt(o, opt, optarg)))
            return rc;
    if (optind + 1 != argc)
        return cli_usage("scan", "expected one PID");
    if (pcli_pid("scan", argv[optind], &o->pid))
        return CLI_USAGE;
    if (o->value) {
        scan_val_t v;
        diag_t d;
        diag_clear(&d);
        if (parse_value(o->type, o->value, &v, &d)) {
            char msg[1200];
            diag_format(&d, msg, sizeof msg);
            return cli_usage("scan", "--value: %s", msg);
        }
    }
    return 0;
}

/* ---- running ------------------------------------------------------------ */

/* JSON output, built in memory and printed only when every step succeeded. */
typedef struct json_buf {
    out_json_t j; /* the writer, onto f */
    FILE *f;      /* open_memstream onto buf, NULL when closed */
    char *buf;    /* the text, malloc'd */
    size_t len;   /* its length once f is closed */
} json_buf_t;

/* Open the JSON object and its "steps" array; the session's steps go there. */
static int json_start(scan_sess_t *c, json_buf_t *jb, diag_t *d)
{
    if (!(jb->f = open_memstream(&jb->buf, &jb->len)))
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    out_json_init(&jb->j, jb->f, 1);
    out_json_obj(&jb->j, NULL);
    out_json_i64(&jb->j, "pid", c->pid);
    out_json_arr(&jb->j, "steps");
    c->j = &jb->j;
    return 0;
}

/* Close the steps, add the final matches, print the whole object. */
static int json_finish(scan_sess_t *c, json_buf_t *jb, const char *value, diag_t *d)
{
    out_json_t *j = &jb->j;
    size_t n = peek_scan_count(c->s);
    char val[4 * PEEK_PATTERN_MAX + 16];
    int bad;
    out_json_end(j); /* steps */
    out_json_str(j, "type", peek_type_name(c->type));
    out_json_u64(j, "align", peek_scan_align(c->s));
    out_json_u64(j, "width", peek_scan_width(c->s));
    if (value)
        out_json_str(j, "value", value);
    out_json_u64(j, "matches", n);
    out_json_arr(j, "addresses");
    for (size_t i = 0; i < n; i++)
        out_json_hex(j, NULL, peek_scan_addr(c->s, i));
    out_json_end(j);
    out_json_arr(j, "values");
    for (size_t i = 0; i < n; i++)
        out_json_str(j, NULL, peek_value_format(c->type, peek_scan_bytes(c->s, i),
                                                peek_scan_width(c->s), val, sizeof val));
    out_json_end(j);
    out_json_end(j);
    out_json_done(j);
    bad = fclose(jb->f);
    jb->f = NULL;
    if (bad)
        return diag_set(d, NULL, 0, ENOMEM, "out of memory");
    fwrite(jb->buf, 1, jb->len, stdout);
    return 0;
}

/* --load FILE: start from the matches saved there for this process. */
static int load_matches(scan_sess_t *c, const char *path, diag_t *d)
{
    char *text = NULL;
    size_t len;
    int lpid, rc;
    if ((rc = env_read_file(path, &text, &len, d)))
        return rc;
    rc = peek_scan_load(c->s, path, text, len, &lpid, d);
    free(text);
    if (rc)
        return rc;
    if (lpid != c->pid)
        return diag_set(d, path, 1, EINVAL, "matches saved for pid %d (expected pid %d)", lpid,
                        c->pid);
    c->type = peek_scan_type(c->s);
    c->align = peek_scan_align(c->s);
    c->scanned = 1;
    return 0;
}

/* --value V: the command '= V'. */
static int value_scan(scan_sess_t *c, const char *value, diag_t *d)
{
    peek_cmd_t cmd;
    int rc;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = PEEK_CMD_FILTER;
    cmd.op = PEEK_OP_EQ;
    snprintf(cmd.arg, sizeof cmd.arg, "%s", value);
    return (rc = run_cmd(c, &cmd, d)) < 0 ? rc : 0;
}

/* The commands of --script FILE, or of stdin (a prompt on a terminal). */
static int script(scan_sess_t *c, const char *path, diag_t *d)
{
    FILE *f = stdin;
    const char *name = "(stdin)";
    int rc;
    if (path && strcmp(path, "-") != 0) {
        f = fopen(path, "r");
        if (!f)
            return diag_set(d, path, 0, errno, "cannot open the script: %s", strerror(errno));
        name = path;
    }
    c->interactive = !path && isatty(fileno(stdin)) && c->fmt == OUT_TEXT;
    if (c->interactive)
        printf("vmlab scan of process %d: type 'help' for the commands\n", c->pid);
    rc = run_stream(c, f, name, d);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* The steps in order, each only when all before it succeeded. */
static int steps(scan_sess_t *c, const scan_cli_t *o, json_buf_t *jb, diag_t *d)
{
    int rc;
    if ((rc = peek_mem_open(c->pid, o->method, o->fallback, &c->m, d)))
        return rc;
    if (c->fmt == OUT_JSON && (rc = json_start(c, jb, d)))
        return rc;
    if (o->load && (rc = load_matches(c, o->load, d)))
        return rc;
    if (o->value && (rc = value_scan(c, o->value, d)))
        return rc;
    if ((o->script || !o->value) && (rc = script(c, o->script, d)))
        return rc;
    if (o->save_path && (rc = save(c, o->save_path, d)))
        return rc;
    if (c->fmt == OUT_JSON && (rc = json_finish(c, jb, o->value, d)))
        return rc;
    if (fflush(stdout) || ferror(stdout))
        return diag_set(d, "(stdout)", 0, EIO, "write error");
    return 0;
}

/* A session for o's process, its steps, and the one error if any. */
static int run(const scan_cli_t *o)
{
    scan_sess_t c;
    json_buf_t jb = {.f = NULL, .buf = NULL};
    diag_t d;
    int rc;
    memset(&c, 0, sizeof c);
    c.pid = o->pid;
    c.type = o->type;
    c.align = o->align;
    c.regions = o->regions;
    c.max = o->max;
    c.chunk = o->chunk;
    c.fmt = o->fmt;
    diag_clear(&d);
    if (renew(&c, &d))
        return cli_diag(&d);
    rc = steps(&c, o, &jb, &d);
    peek_mem_close(c.m);
    peek_scan_free(c.s);
    if (jb.f)
        fclose(jb.f);
    free(jb.buf);
    return rc ? cli_diag(&d) : CLI_OK;
}

int cmd_scan(int argc, char **argv)
{
    scan_cli_t o;
    int rc = parse(&o, argc, argv);
    if (rc)
        return rc == CLI_SERVED ? CLI_OK : rc;
    return run(&o);
}
