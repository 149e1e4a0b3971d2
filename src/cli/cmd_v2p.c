/* SPDX-License-Identifier: MIT */
/*
 * cmd_v2p.c - `vmlab v2p PID ADDR...`, `vmlab v2p PID --range A-B`:
 * virtual to physical through /proc/PID/pagemap, and the frame's flags from
 * /proc/kpageflags and its map count from /proc/kpagecount when readable.
 *
 * Without CAP_SYS_ADMIN the kernel reports every PFN as 0; that is said in
 * words, never printed as frame 0.
 *
 * parse() turns the command line (options anywhere: getopt permutes) into a
 * v2p_cli_t with the pages to look at; every malformed argument is a usage
 * error (exit 2).  translate() asks the library (inspect_maps_load,
 * inspect_pagemap_read); print_text/print_json write the one result.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/inspect_cli.h"
#include "base/vec.h"
#include "vmlab/inspect.h"
#include "vmlab/parse.h"

static const char v2p_help[] =
    "usage: vmlab v2p PID|self ADDR... [--output text|json]\n"
    "       vmlab v2p PID|self --range START-END [--output text|json]\n"
    "\n"
    "Translate virtual addresses of process PID to physical ones with\n"
    "/proc/PID/pagemap: whether the page is present or swapped (type, offset),\n"
    "a file page or shared anonymous, exclusively mapped, soft-dirty,\n"
    "userfaultfd write-protected; its PFN and physical address; and, readable by\n"
    "root, the frame's flags (/proc/kpageflags) and map count (/proc/kpagecount).\n"
    "Addresses are hex (0x optional); --range covers every page in [START, END).\n"
    "Without CAP_SYS_ADMIN the kernel hides PFNs (reports them as 0).\n"
    "\n"
    "      --range A-B        every page from A up to B (at most 65536 pages)\n"
    "      --output FORMAT    text (default) or json: an array of\n"
    "                         {vaddr, present, pfn, paddr, flags, ...}\n"
    "  -h, --help             this help\n";

#define V2P_MAX_PAGES 65536

enum { O_RANGE = CLI_OPT_BASE, O_OUTPUT };

static const struct option v2p_opts[] = {
    {"range", required_argument, 0, O_RANGE},
    {"output", required_argument, 0, O_OUTPUT},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* The command line, parsed. */
typedef struct v2p_cli {
    int pid;                 /* 0: this process */
    const char *range;       /* --range as given, NULL for a list of ADDRs */
    VL_VEC(uint64_t) addrs;  /* the addresses (a range: its pages) */
    out_format_t output;     /* text or json */
} v2p_cli_t;

/* What the kernel says about those addresses. */
typedef struct v2p_result {
    inspect_maps_t mm;  /* the process's mappings, classified */
    inspect_page_t *pg; /* one per address */
    uint64_t ps;        /* page size */
} v2p_result_t;

static int parse_addr(const char *s, size_t len, uint64_t *v)
{
    return len == 0 ? -1 : parse_u64_hex(s, len, v);
}

static int add_range(v2p_cli_t *o, const char *range, uint64_t ps)
{
    const char *dash = strchr(range, '-');
    uint64_t a, b, first, npages;
    if (!dash || parse_addr(range, (size_t)(dash - range), &a) ||
        parse_addr(dash + 1, strlen(dash + 1), &b))
        return cli_usage("v2p", "malformed range '%s' (expected START-END in hex, e.g. "
                                "0x7f00-0x8f00)",
                         range);
    if (a >= b)
        return cli_usage("v2p", "empty range '%s' (expected START < END)", range);
    first = a & ~(ps - 1);
    npages = (b - first + ps - 1) / ps;
    if (npages > V2P_MAX_PAGES)
        return cli_usage("v2p", "range '%s' covers %ju pages (expected at most %d)", range,
                         (uintmax_t)npages, V2P_MAX_PAGES);
    if (vl_vec_reserve(&o->addrs, npages))
        return cli_diag(&(diag_t){.msg = "out of memory"});
    for (uint64_t i = 0; i < npages; i++)
        o->addrs.v[o->addrs.n++] = first + i * ps;
    return 0;
}

static int parse(v2p_cli_t *o, int argc, char **argv, uint64_t ps)
{
    int c;
    memset(o, 0, sizeof *o);
    optind = 1;
    while ((c = cli_getopt("v2p", argc, argv, "h", v2p_opts)) != -1) {
        switch (c) {
        case O_RANGE: o->range = optarg; break;
        case O_OUTPUT:
            if (cli_output("v2p", optarg, OUT_ACCEPT_TEXT_JSON, &o->output))
                return CLI_USAGE;
            break;
        case 'h': fputs(v2p_help, stdout); return CLI_SERVED;
        default: return CLI_USAGE;
        }
    }
    if (optind >= argc)
        return cli_usage("v2p", "no PID given (expected PID ADDR... or PID --range A-B)");
    if (icli_pid("v2p", argv[optind++], &o->pid))
        return CLI_USAGE;
    if (optind == argc && !o->range)
        return cli_usage("v2p", "no address given (expected ADDR... or --range A-B)");
    if (optind < argc && o->range)
        return cli_usage("v2p", "give addresses or --range, not both");
    if (o->range)
        return add_range(o, o->range, ps);
    for (int i = optind; i < argc; i++) {
        uint64_t a;
        if (parse_addr(argv[i], strlen(argv[i]), &a))
            return cli_usage("v2p", "'%s' is not an address (expected hex, e.g. 0x7ffc1234)",
                             argv[i]);
        if (vl_vec_push(&o->addrs, a))
            return cli_diag(&(diag_t){.msg = "out of memory"});
    }
    return 0;
}

/* Load the maps and read the pagemap entries: 0 or a CLI_* status. */
static int translate(const v2p_cli_t *o, v2p_result_t *r)
{
    const inspect_src_t *src = inspect_src_proc();
    size_t n = o->addrs.n;
    diag_t d;
    diag_clear(&d);
    if (inspect_maps_load(src, o->pid, "maps", &r->mm, &d))
        return cli_diag(&d);
    inspect_classify_src(&r->mm, src, o->pid);
    /* Every address must be mapped; in a range, the start. */
    for (size_t i = 0; i < (o->range ? 1 : n); i++)
        if (!inspect_maps_find(&r->mm, o->addrs.v[i])) {
            if (!o->pid) /* self: vmlab's own mappings, gone when it exits */
                cli_error("v2p: address %#jx is not mapped in vmlab itself (self means this "
                          "vmlab process; expected the PID of a running process, whose "
                          "mappings 'vmlab maps PID' lists)", (uintmax_t)o->addrs.v[i]);
            else
                cli_error("v2p: address %#jx is not mapped in process %d (expected an address "
                          "inside one of its mappings; see 'vmlab maps %d')",
                          (uintmax_t)o->addrs.v[i], o->pid, o->pid);
            return CLI_ERR;
        }
    if (!(r->pg = calloc(n, sizeof *r->pg)))
        return cli_diag(&(diag_t){.msg = "out of memory"});
    if (o->range)
        return inspect_pagemap_read(src, o->pid, o->addrs.v[0], n, 1, r->pg, &d) ? cli_diag(&d) : 0;
    for (size_t i = 0; i < n; i++)
        if (inspect_pagemap_read(src, o->pid, o->addrs.v[i] & ~(r->ps - 1), 1, 1, &r->pg[i], &d))
            return cli_diag(&d);
    return 0;
}

/* The pagemap bits set, as words (text and JSON use the same). */
static size_t flag_words(const inspect_page_t *p, const char *w[6])
{
    size_t k = 0;
    if (p->swapped)
        w[k++] = "swapped";
    if (p->file_shared)
        w[k++] = "file-or-shared";
    if (p->exclusive)
        w[k++] = "exclusive";
    if (p->soft_dirty)
        w[k++] = "soft-dirty";
    if (p->uffd_wp)
        w[k++] = "uffd-wp";
    return k;
}

static void print_json(const v2p_cli_t *o, const v2p_result_t *r)
{
    out_json_t j;
    out_json_init(&j, stdout, OUT_JSON_LINES);
    out_json_arr(&j, NULL);
    for (size_t i = 0; i < o->addrs.n; i++) {
        const inspect_page_t *p = &r->pg[i];
        const inspect_map_t *m = inspect_maps_find(&r->mm, o->addrs.v[i]);
        uint64_t paddr = p->pfn * r->ps + (o->addrs.v[i] & (r->ps - 1));
        const char *w[6];
        size_t k = flag_words(p, w);
        out_json_obj(&j, NULL);
        out_json_hex(&j, "vaddr", o->addrs.v[i]);
        out_json_bool(&j, "mapped", m != NULL);
        out_json_bool(&j, "present", p->present);
        if (p->present && !p->pfn_hidden) {
            out_json_u64(&j, "pfn", p->pfn);
            out_json_hex(&j, "paddr", paddr);
        } else {
            out_json_null(&j, "pfn");
            out_json_null(&j, "paddr");
        }
        out_json_bool(&j, "pfn_hidden", p->pfn_hidden);
        out_json_arr(&j, "flags");
        for (size_t x = 0; x < k; x++)
            out_json_str(&j, NULL, w[x]);
        out_json_end(&j);
        if (p->swapped) {
            out_json_obj(&j, "swap");
            out_json_u64(&j, "type", p->swap_type);
            out_json_u64(&j, "offset", p->swap_offset);
            out_json_end(&j);
        }
        if (p->have_kflags) {
            char kf[512] = "";
            inspect_kpf_format(p->kflags, " ", kf, sizeof kf);
            out_json_arr(&j, "kpageflags");
            for (char *save = NULL, *t = strtok_r(kf, " ", &save); t; t = strtok_r(NULL, " ", &save))
                out_json_str(&j, NULL, t);
            out_json_end(&j);
        }
        if (p->have_count)
            out_json_u64(&j, "kpagecount", p->count);
        if (m) {
            out_json_str(&j, "kind", inspect_kind_name(m->kind));
            out_json_str(&j, "mapping", m->path);
        }
        out_json_end(&j);
    }
    out_json_end(&j);
    out_json_done(&j);
}

static void print_text(const v2p_cli_t *o, const v2p_result_t *r)
{
    printf("pid %d, %zu page(s); %s\n", o->pid ? o->pid : (int)getpid(), o->addrs.n,
           inspect_have_cap_sys_admin()
               ? "PFNs visible (CAP_SYS_ADMIN)"
               : "PFNs hidden: without CAP_SYS_ADMIN the kernel reports every PFN as 0 (run as "
                 "root to see frames)");
    for (size_t i = 0; i < o->addrs.n; i++) {
        const inspect_page_t *p = &r->pg[i];
        const inspect_map_t *m = inspect_maps_find(&r->mm, o->addrs.v[i]);
        uint64_t paddr = p->pfn * r->ps + (o->addrs.v[i] & (r->ps - 1));
        char kf[512] = "", kind[32];
        const char *w[6];
        size_t k = flag_words(p, w);
        printf("%#jx", (uintmax_t)o->addrs.v[i]);
        if (!m) {
            printf(": not mapped\n");
            continue;
        }
        if (p->present && p->pfn_hidden)
            printf(": present, PFN hidden (needs CAP_SYS_ADMIN)");
        else if (p->present)
            printf(": present, PFN %#jx, physical %#jx", (uintmax_t)p->pfn, (uintmax_t)paddr);
        else if (p->swapped)
            printf(": swapped out, swap type %u offset %#jx", p->swap_type,
                   (uintmax_t)p->swap_offset);
        else
            printf(": not present (never touched, or reclaimed)");
        for (size_t x = 0; x < k; x++)
            printf("%s%s", x ? " " : "; ", w[x]);
        if (p->have_count)
            printf("; mapped %ju time(s)", (uintmax_t)p->count);
        if (p->have_kflags) {
            inspect_kpf_format(p->kflags, " ", kf, sizeof kf);
            printf("; kpageflags: %s", kf[0] ? kf : "none");
        }
        if (m->path[0] == '/')
            printf("  (%s of %s%s)\n", icli_kind(m, kind, sizeof kind), m->path,
                   m->deleted ? ", deleted" : "");
        else if (m->path[0] == '[' && m->kind != INSPECT_K_ANON)
            printf("  (%s)\n", m->path);
        else
            printf("  (%s%s%s)\n", icli_kind(m, kind, sizeof kind), m->path[0] ? " " : "", m->path);
    }
}

int cmd_v2p(int argc, char **argv)
{
    v2p_cli_t o;
    v2p_result_t r = {.ps = inspect_page_size()};
    int rc = parse(&o, argc, argv, r.ps);
    if (rc == 0 && (rc = translate(&o, &r)) == 0) {
        if (o.output == OUT_JSON)
            print_json(&o, &r);
        else
            print_text(&o, &r);
    }
    inspect_maps_free(&r.mm);
    free(r.pg);
    vl_vec_free(&o.addrs);
    return rc == CLI_SERVED ? CLI_OK : rc;
}
