/* SPDX-License-Identifier: MIT */
/*
 * cmd_peek.c - `vmlab peek PID ADDR [LEN]` and `vmlab poke PID ADDR VALUE
 * --type T`: read and write another process's memory (src/peek), saying
 * which mapping the address falls in, how the bytes were reached, and, when
 * the kernel refuses, which ptrace rule refused.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/out.h"
#include "cli/cli.h"
#include "cli/peek_cli.h"
#include "vmlab/parse.h"
#include "vmlab/peek.h"

static const char peek_help[] =
    "usage: vmlab peek PID|self ADDR [LEN] [--type T] [--access auto|vm|mem] [--output text|json]\n"
    "\n"
    "Read LEN bytes (default: one value of the type, or 64 bytes) at ADDR (hex) of\n"
    "process PID with process_vm_readv(2), or /proc/PID/mem, and show them as a\n"
    "hexdump or as typed values, and which mapping of /proc/PID/maps holds them.\n"
    "Text output: one value alone on the first line (scripts: | head -n1), several\n"
    "as 'ADDR VALUE' lines, then '# ADDR: in MAPPING'.  The ptrace rules apply\n"
    "(same user and dumpable, or CAP_SYS_PTRACE; Yama): a refusal names the rule.\n"
    "\n"
    "  -t, --type T        i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 string bytes\n"
    "                      (default: a hexdump; string reads up to a NUL, LEN at most)\n"
    "      --access HOW    auto (default: process_vm_readv, /proc/PID/mem if the\n"
    "                      system call is missing), vm, mem\n"
    "      --output FORMAT text (default) or json {pid, addr, type, values, mapping}\n"
    "  -h, --help          this help\n";

static const char poke_help[] =
    "usage: vmlab poke PID|self ADDR VALUE --type T [--access auto|vm|mem] [--output text|json]\n"
    "\n"
    "Write VALUE as type T at ADDR (hex) of process PID with process_vm_writev(2),\n"
    "then read it back.  A string is written with its terminating NUL; bytes are hex\n"
    "pairs ('de ad be ef').  A value that does not fit the type is a usage error.\n"
    "process_vm_writev writes as the target itself would, so a read-only page fails\n"
    "with EFAULT; --access auto (the default) then writes through /proc/PID/mem,\n"
    "which forces a private copy of the page (copy-on-write, as a debugger setting a\n"
    "breakpoint): the file and other processes mapping it keep the old bytes, and\n"
    "the output says so.  --access vm never falls back; mem uses /proc/PID/mem only.\n"
    "\n"
    "  -t, --type T        i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 string bytes (required)\n"
    "      --access HOW    auto (default), vm, mem\n"
    "      --output FORMAT text (default) or json\n"
    "  -h, --help          this help\n";

typedef struct peek_opts {
    int has_type;          /* --type given */
    peek_type_t type;      /* its value */
    peek_method_t method;  /* --access */
    int fallback;          /* --access auto */
    out_format_t fmt;      /* --output */
    int nargs;             /* positional arguments */
    char *args[4];         /* PID ADDR [LEN|VALUE] */
} peek_opts_t;

/* Long options of peek and poke without a short form. */
enum { O_ACCESS = CLI_OPT_BASE, O_OUTPUT };

static const struct option peek_long_opts[] = {
    {"type", required_argument, 0, 't'},
    {"access", required_argument, 0, O_ACCESS},
    {"output", required_argument, 0, O_OUTPUT},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* A negative VALUE ("-5", "-1.5", "-inf") is not an option: only the last
 * positional argument can be one, so it is set aside (up to 4, in neg) and
 * appended after the others.  The rest of argv into av; their count. */
static int set_aside_negatives(int argc, char **argv, char **av, char **neg, int *nneg)
{
    int k = 0;
    for (int a = 0; a < argc; a++) {
        const char *x = argv[a];
        if (a > 0 && x[0] == '-' && ((x[1] >= '0' && x[1] <= '9') || x[1] == '.' ||
                                     strcmp(x, "-inf") == 0 || strcmp(x, "-nan") == 0) &&
            *nneg < 4)
            neg[(*nneg)++] = argv[a];
        else
            av[k++] = argv[a];
    }
    return k;
}

/* One positional argument into o->args: 0, or -1 after a usage error. */
static int add_arg(const char *cmd, peek_opts_t *o, char *arg)
{
    if (o->nargs == 4) {
        cli_usage(cmd, "too many arguments");
        return -1;
    }
    o->args[o->nargs++] = arg;
    return 0;
}

/* One option (1: a positional argument) into *o: 0, -1 after a usage
 * error, 1 after --help. */
static int parse_opt(const char *cmd, const char *help, peek_opts_t *o, int c, char *arg)
{
    switch (c) {
    case O_ACCESS: return pcli_access(cmd, arg, &o->method, &o->fallback) ? -1 : 0;
    case O_OUTPUT: return cli_output(cmd, arg, OUT_ACCEPT_TEXT_JSON, &o->fmt) ? -1 : 0;
    case 't':
        if (peek_type_parse(arg, &o->type)) {
            cli_usage(cmd, "unknown type '%s' (expected one of: %s)", arg, peek_type_list());
            return -1;
        }
        o->has_type = 1;
        return 0;
    case 'h': fputs(help, stdout); return 1;
    case 1: return add_arg(cmd, o, arg);
    default: return -1; /* cli_getopt said why */
    }
}

/* Options shared by peek and poke; -1 after a usage error, 1 after --help. */
static int parse_opts(const char *cmd, const char *help, int argc, char **argv, peek_opts_t *o)
{
    int c, k, rc = 0, nneg = 0;
    char *neg[4], **av = calloc((size_t)argc + 1, sizeof *av);
    memset(o, 0, sizeof *o);
    o->method = PEEK_VM;
    o->fallback = 1;
    if (!av) {
        cli_usage(cmd, "out of memory");
        return -1;
    }
    k = set_aside_negatives(argc, argv, av, neg, &nneg);
    optind = 1;
    /* '-' in front: values such as -5 are positional, not options */
    while (rc == 0 && (c = cli_getopt(cmd, k, av, "-t:h", peek_long_opts)) != -1)
        rc = parse_opt(cmd, help, o, c, optarg);
    for (int a = optind; rc == 0 && a < k + nneg; a++)
        rc = add_arg(cmd, o, a < k ? av[a] : neg[a - k]);
    free(av);
    return rc;
}

static void hexdump(FILE *f, uint64_t addr, const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        fprintf(f, "%016jx ", (uintmax_t)(addr + i));
        for (size_t j = 0; j < 16; j++) {
            if (i + j < n)
                fprintf(f, " %02x", b[i + j]);
            else
                fputs("   ", f);
            if (j == 7)
                fputc(' ', f);
        }
        fputs("  |", f);
        for (size_t j = 0; j < 16 && i + j < n; j++)
            fputc(b[i + j] >= 0x20 && b[i + j] < 0x7f ? b[i + j] : '.', f);
        fputs("|\n", f);
    }
}

static int addr_in_mapping(int pid, uint64_t addr, size_t len, inspect_maps_t *mm, char *where,
                           size_t wn, diag_t *d)
{
    int rc = pcli_maps(pid, mm, d);
    char path[64];
    if (rc)
        return rc;
    peek_where(mm, addr, where, wn);
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    if (!inspect_maps_find(mm, addr))
        rc = diag_set(d, path, 0, EFAULT, "0x%jx is %s (expected an address inside a mapping; "
                                          "see vmlab maps %d)",
                      (uintmax_t)addr, where, pid);
    else if (len > 1 && addr + len - 1 >= addr && !inspect_maps_find(mm, addr + len - 1)) {
        char w2[1600];
        peek_where(mm, addr + len - 1, w2, sizeof w2);
        rc = diag_set(d, path, 0, EFAULT, "the last byte, 0x%jx, is %s (expected LEN to stay "
                                          "inside mappings)",
                      (uintmax_t)(addr + len - 1), w2);
    }
    if (rc)
        inspect_maps_free(mm); /* on error the caller has no maps to free */
    return rc;
}

static void json_mapping(out_json_t *j, const inspect_maps_t *mm, uint64_t addr, const char *where)
{
    const inspect_map_t *m = inspect_maps_find(mm, addr);
    out_json_obj(j, "mapping");
    if (m) {
        out_json_hex(j, "start", m->start);
        out_json_hex(j, "end", m->end);
        out_json_str(j, "perms", m->perms);
        out_json_str(j, "path", m->path);
        out_json_str(j, "kind", inspect_kind_name(m->kind));
    }
    out_json_str(j, "where", where);
    out_json_end(j);
}

/* `peek`'s command line, checked: what to read. */
typedef struct peek_cli {
    peek_opts_t o; /* the options and operands as given */
    int pid;       /* PID (self: this process) */
    uint64_t addr; /* ADDR */
    uint64_t len;  /* LEN, else one value of the type, 256 for a string, 64 */
    size_t w;      /* bytes per value of --type; 0: a hexdump, string or bytes */
} peek_cli_t;

/* What peek read, and where. */
typedef struct peek_got {
    inspect_maps_t mm;  /* the target's mappings (zeroed when none) */
    char where[1600];   /* the mapping holding addr, in words */
    unsigned char *buf; /* len bytes read and a NUL (owned) */
    uint64_t len;       /* bytes read: a string stops at its mapping's end */
} peek_got_t;

/* The command line into *c: 0, CLI_USAGE, or CLI_SERVED. */
static int peek_parse(peek_cli_t *c, int argc, char **argv)
{
    peek_opts_t *o = &c->o;
    int rc;
    if ((rc = parse_opts("peek", peek_help, argc, argv, o)))
        return rc > 0 ? CLI_SERVED : CLI_USAGE;
    if (o->nargs < 2 || o->nargs > 3)
        return cli_usage("peek", "expected PID ADDR [LEN]");
    if (pcli_pid("peek", o->args[0], &c->pid) || pcli_addr("peek", o->args[1], &c->addr))
        return CLI_USAGE;
    c->w = o->has_type ? peek_type_size(o->type) : 0;
    c->len = c->w ? c->w : o->has_type && o->type == PEEK_STRING ? 256 : 64;
    if (o->nargs == 3 && cli_u64("peek", "LEN", o->args[2], 1, 4096, &c->len))
        return CLI_USAGE;
    if (c->w && c->len % c->w)
        return cli_usage("peek", "LEN %ju is not a whole number of %s values (expected a multiple "
                                 "of %zu)",
                         (uintmax_t)c->len, peek_type_name(o->type), c->w);
    return 0;
}

/* Check the mapping and read the bytes into *g (zeroed first, freed by
 * peek_got_free whatever this returns): 0 or -errno with d set. */
static int peek_fetch(const peek_cli_t *c, peek_got_t *g, diag_t *d)
{
    peek_mem_t *m = NULL;
    int rc;
    memset(g, 0, sizeof *g);
    g->len = c->len;
    if ((rc = addr_in_mapping(c->pid, c->addr, c->o.type == PEEK_STRING ? 1 : (size_t)g->len,
                              &g->mm, g->where, sizeof g->where, d)))
        return rc;
    g->buf = calloc(1, (size_t)g->len + 1);
    if (!g->buf || peek_mem_open(c->pid, c->o.method, c->o.fallback, &m, d))
        return g->buf ? -EIO : diag_set(d, NULL, 0, ENOMEM, "out of memory");
    if (c->o.type == PEEK_STRING) {
        /* Up to LEN bytes, stopping where the mapping ends. */
        const inspect_map_t *mp = inspect_maps_find(&g->mm, c->addr);
        if (g->len > mp->end - c->addr)
            g->len = mp->end - c->addr;
    }
    rc = peek_mem_read(m, c->addr, g->buf, (size_t)g->len, d);
    peek_mem_close(m);
    return rc;
}

static void peek_got_free(peek_got_t *g)
{
    free(g->buf);
    inspect_maps_free(&g->mm);
}

static void peek_print_json(const peek_cli_t *c, const peek_got_t *g)
{
    const peek_opts_t *o = &c->o;
    char text[4 * 4096 + 64];
    out_json_t j;
    out_json_init(&j, stdout, 1);
    out_json_obj(&j, NULL);
    out_json_i64(&j, "pid", c->pid);
    out_json_hex(&j, "addr", c->addr);
    out_json_str(&j, "type", o->has_type ? peek_type_name(o->type) : "hexdump");
    out_json_u64(&j, "len", g->len);
    out_json_str(&j, "method", peek_method_name(o->method));
    if (o->has_type && peek_type_numeric(o->type)) {
        out_json_arr(&j, "values");
        for (size_t i = 0; i < g->len; i += c->w) {
            peek_value_format(o->type, g->buf + i, c->w, text, sizeof text);
            if (o->type == PEEK_F32 || o->type == PEEK_F64)
                out_json_str(&j, NULL, text); /* inf and nan are not JSON numbers */
            else if (o->type <= PEEK_I64)
                out_json_i64(&j, NULL, strtoll(text, NULL, 10));
            else
                out_json_u64(&j, NULL, strtoull(text, NULL, 10));
        }
        out_json_end(&j);
    } else if (o->has_type && o->type == PEEK_STRING) {
        out_json_strn(&j, "value", (const char *)g->buf, strnlen((const char *)g->buf, g->len));
    }
    peek_value_format(PEEK_BYTES, g->buf, (size_t)g->len, text, sizeof text);
    out_json_str(&j, "bytes", text);
    json_mapping(&j, &g->mm, c->addr, g->where);
    out_json_end(&j);
    out_json_done(&j);
}

static void peek_print_text(const peek_cli_t *c, const peek_got_t *g)
{
    const peek_opts_t *o = &c->o;
    char text[4 * 4096 + 64];
    size_t len = (size_t)g->len, w = c->w;
    if (!o->has_type || o->type == PEEK_BYTES) {
        if (o->has_type)
            printf("%s\n", peek_value_format(PEEK_BYTES, g->buf, len, text, sizeof text));
        else
            hexdump(stdout, c->addr, g->buf, len);
    } else if (o->type == PEEK_STRING) {
        size_t sl = strnlen((const char *)g->buf, len);
        printf("\"%s\"%s\n", peek_value_format(PEEK_STRING, g->buf, sl, text, sizeof text),
               sl == len ? " (no NUL within LEN bytes)" : "");
    } else if (len == w) {
        printf("%s\n", peek_value_format(o->type, g->buf, w, text, sizeof text));
    } else {
        for (size_t i = 0; i < len; i += w)
            printf("0x%jx %s\n", (uintmax_t)(c->addr + i),
                   peek_value_format(o->type, g->buf + i, w, text, sizeof text));
    }
    printf("# 0x%jx: %s; read with %s\n", (uintmax_t)c->addr, g->where,
           peek_method_name(o->method));
}

/* What was read, in the format asked for, on stdout: 0 or -errno with d set. */
static int peek_print(const peek_cli_t *c, const peek_got_t *g, diag_t *d)
{
    if (c->o.fmt == OUT_JSON)
        peek_print_json(c, g);
    else
        peek_print_text(c, g);
    if (fflush(stdout) || ferror(stdout))
        return diag_set(d, "(stdout)", 0, EIO, "write error");
    return 0;
}

int cmd_peek(int argc, char **argv)
{
    peek_cli_t c;
    peek_got_t g;
    diag_t d;
    int rc = peek_parse(&c, argc, argv);
    if (rc)
        return rc == CLI_SERVED ? CLI_OK : rc;
    diag_clear(&d);
    if ((rc = peek_fetch(&c, &g, &d)) == 0)
        rc = peek_print(&c, &g, &d);
    peek_got_free(&g);
    return rc ? cli_diag(&d) : CLI_OK;
}

int cmd_poke(int argc, char **argv)
{
    peek_opts_t o;
    uint64_t addr;
    inspect_maps_t mm;
    peek_mem_t *m = NULL;
    unsigned char val[PEEK_VALUE_MAX + 1], old[PEEK_VALUE_MAX + 1], back[PEEK_VALUE_MAX + 1];
    char where[1600], t_old[4 * PEEK_VALUE_MAX + 8], t_new[4 * PEEK_VALUE_MAX + 8];
    size_t len;
    peek_method_t used = PEEK_VM;
    diag_t d;
    int pid, rc;

    diag_clear(&d);
    if ((rc = parse_opts("poke", poke_help, argc, argv, &o)))
        return rc > 0 ? CLI_OK : CLI_USAGE;
    if (o.nargs != 3)
        return cli_usage("poke", "expected PID ADDR VALUE");
    if (!o.has_type)
        return cli_usage("poke", "--type is required (expected one of: %s)", peek_type_list());
    if (pcli_pid("poke", o.args[0], &pid) || pcli_addr("poke", o.args[1], &addr))
        return CLI_USAGE;
    if (peek_value_parse(o.type, o.args[2], val, PEEK_VALUE_MAX, &len, &d)) {
        char msg[1200];
        diag_format(&d, msg, sizeof msg);
        return cli_usage("poke", "%s", msg);
    }
    if (o.type == PEEK_STRING)
        val[len++] = '\0';
    if ((rc = addr_in_mapping(pid, addr, len, &mm, where, sizeof where, &d)))
        goto out_maps;
    if ((rc = peek_mem_open(pid, o.method, o.fallback, &m, &d)))
        goto out;
    if ((rc = peek_mem_read(m, addr, old, len, &d)))
        goto out;
    if ((rc = peek_mem_write(m, addr, val, len, &used, &d)))
        goto out;
    if ((rc = peek_mem_read(m, addr, back, len, &d)))
        goto out;
    peek_value_format(o.type, old, len, t_old, sizeof t_old);
    peek_value_format(o.type, back, len, t_new, sizeof t_new);
    if (memcmp(back, val, len) != 0) {
        rc = diag_set(&d, NULL, 0, EIO, "wrote %s at 0x%jx but read back %s (the process changed "
                                        "it at once?)",
                      o.args[2], (uintmax_t)addr, t_new);
        goto out;
    }
    if (o.fmt == OUT_JSON) {
        out_json_t j;
        out_json_init(&j, stdout, 1);
        out_json_obj(&j, NULL);
        out_json_i64(&j, "pid", pid);
        out_json_hex(&j, "addr", addr);
        out_json_str(&j, "type", peek_type_name(o.type));
        out_json_u64(&j, "len", len);
        out_json_str(&j, "old", t_old);
        out_json_str(&j, "new", t_new);
        out_json_str(&j, "method", used == PEEK_VM ? "process_vm_writev" : "/proc/PID/mem");
        out_json_str(&j, "note", peek_mem_note(m));
        json_mapping(&j, &mm, addr, where);
        out_json_end(&j);
        out_json_done(&j);
    } else {
        printf("0x%jx: %s -> %s (%s, %zu byte%s) with %s\n", (uintmax_t)addr, t_old, t_new,
               peek_type_name(o.type), len, len == 1 ? "" : "s",
               used == PEEK_VM ? "process_vm_writev" : "/proc/PID/mem");
        if (peek_mem_note(m)[0])
            printf("# note: %s\n", peek_mem_note(m));
        printf("# 0x%jx: %s\n", (uintmax_t)addr, where);
    }
    if (fflush(stdout) || ferror(stdout))
        rc = diag_set(&d, "(stdout)", 0, EIO, "write error");
out:
    peek_mem_close(m);
    inspect_maps_free(&mm);
out_maps:
    return rc ? cli_diag(&d) : CLI_OK;
}
