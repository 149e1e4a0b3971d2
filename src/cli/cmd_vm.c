/* SPDX-License-Identifier: MIT */
/*
 * cmd_vm.c - `vmlab vm`: the OSC virtual memory manager on an addresses file.
 *
 * Reads and checks every input before printing anything, so a bad line or a
 * short backing store gives one error and no partial output; -o writes
 * through a temporary file and renames it.
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "vm/backing_store.h"
#include "vmlab/env.h"
#include "vmlab/vm.h"

static const char vm_help[] =
    "usage: vmlab vm [-f] ADDRESSES [-b BACKING_STORE] [-n FRAMES] [-p fifo|lru] [options]\n"
    "\n"
    "The virtual memory manager of Operating System Concepts (ch. 10 project):\n"
    "translate each logical address through a TLB and a page table, load pages on\n"
    "demand from the backing store, replace pages FIFO or LRU when frames run out.\n"
    "\n"
    "  -f, --addresses FILE   logical addresses, one decimal number a line ('-': stdin)\n"
    "  -b, --backing-store F  backing store (default: BACKING_STORE.bin beside ADDRESSES)\n"
    "  -n, --frames N         physical frames, 1..pages (default 256)\n"
    "  -p, --policy P         page replacement: fifo or lru (default fifo)\n"
    "      --tlb-size N       TLB entries (default 16)\n"
    "      --tlb-policy P     TLB replacement: fifo or lru (default fifo)\n"
    "      --tlb-fill WHEN    miss: a TLB entry on every TLB miss (textbook, 54 hits)\n"
    "                         fault: only on a page fault (55 hits) (default miss)\n"
    "      --page-size BYTES  a power of two below 65536 (default 256)\n"
    "      --output FORMAT    osc: correct.txt's lines and the statistics (default)\n"
    "                         values: the values only, then the statistics\n"
    "                         none: the statistics only\n"
    "      --explain          one line per address: TLB, page table, fault, victim,\n"
    "                         backing-store bytes read, physical address and value\n"
    "      --lru-ignore-tlb-hits  reproduce the classic bug: a TLB hit does not\n"
    "                         refresh LRU recency (537 faults at 128 frames, not 539)\n"
    "  -o, --out FILE         write to FILE (atomically) instead of stdout\n"
    "  -h, --help             this help\n"
    "\n"
    "example: vmlab vm -f data/osc/addresses.txt -b data/osc/BACKING_STORE.bin -n 128 -p lru\n";

/* --output's values, in vm_outputs' order. */
enum { OUT_OSC, OUT_VALUES, OUT_NONE };
static const char *const vm_outputs[] = {"osc", "values", "none"};

/* The keyword values, each table in its enum's order (cli_choice's index). */
static const char *const vm_policies[] = {"fifo", "lru"}; /* osc_vm_policy_t */
static const osc_vm_policy_t vm_policy_of[] = {OSC_VM_FIFO, OSC_VM_LRU};
static const char *const vm_fills[] = {"miss", "fault"}; /* --tlb-fill */
static const osc_vm_tlb_fill_t vm_fill_of[] = {OSC_VM_TLB_FILL_MISS, OSC_VM_TLB_FILL_FAULT};

static int vm_policy_arg(const char *opt, const char *v, osc_vm_policy_t *p)
{
    int i = cli_choice("vm", opt, v, vm_policies, sizeof vm_policies / sizeof vm_policies[0]);
    if (i < 0)
        return CLI_USAGE;
    *p = vm_policy_of[i];
    return 0;
}

static void explain(FILE *f, size_t i, const osc_vm_event_t *e, const osc_vm_config_t *cfg)
{
    fprintf(f, "#%zu %u: page %u offset %u | ", i + 1, e->vaddr, e->page, e->offset);
    if (e->tlb_hit) {
        fprintf(f, "TLB hit -> frame %u", e->frame);
    } else {
        fprintf(f, "TLB miss | ");
        if (!e->page_fault)
            fprintf(f, "page table hit -> frame %u", e->frame);
        else if (e->victim_page < 0)
            fprintf(f, "page fault: free frame %u", e->frame);
        else
            fprintf(f, "page fault: evict page %lld from frame %u (%s victim%s)",
                    (long long)e->victim_page, e->frame, cfg->policy == OSC_VM_LRU ? "LRU" : "FIFO",
                    e->victim_in_tlb ? ", its TLB entry invalidated" : "");
        if (e->page_fault)
            fprintf(f, ", read backing store [%llu, %llu)", (unsigned long long)e->store_offset,
                    (unsigned long long)e->store_offset + (1ull << cfg->page_bits));
        if (e->tlb_filled && e->tlb_evicted >= 0)
            fprintf(f, " | TLB fill, replacing page %lld", (long long)e->tlb_evicted);
        else if (e->tlb_filled)
            fprintf(f, " | TLB fill");
    }
    fprintf(f, " | physical %u value %d\n", e->paddr, e->value);
}

/* ---- the command line ------------------------------------------------- */

/* Long options without a short form. */
enum {
    O_TLB_SIZE = CLI_OPT_BASE, O_TLB_POLICY, O_TLB_FILL, O_PAGE_SIZE, O_OUTPUT, O_EXPLAIN,
    O_LRU_IGNORE_TLB_HITS,
};

static const struct option vm_opts[] = {
    {"addresses", required_argument, 0, 'f'},
    {"backing-store", required_argument, 0, 'b'},
    {"frames", required_argument, 0, 'n'},
    {"policy", required_argument, 0, 'p'},
    {"tlb-size", required_argument, 0, O_TLB_SIZE},
    {"tlb-policy", required_argument, 0, O_TLB_POLICY},
    {"tlb-fill", required_argument, 0, O_TLB_FILL},
    {"page-size", required_argument, 0, O_PAGE_SIZE},
    {"output", required_argument, 0, O_OUTPUT},
    {"explain", no_argument, 0, O_EXPLAIN},
    {"lru-ignore-tlb-hits", no_argument, 0, O_LRU_IGNORE_TLB_HITS},
    {"out", required_argument, 0, 'o'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* Everything the command line says, parsed. */
typedef struct vm_cli {
    osc_vm_config_t cfg;       /* the model: frames, policies, sizes */
    const char *addr_path;     /* -f or the ADDRESSES operand ('-': stdin) */
    const char *store_path;    /* -b, else store_default */
    char store_default[4096];  /* BACKING_STORE.bin beside ADDRESSES */
    int output;                /* --output: OUT_OSC, OUT_VALUES or OUT_NONE */
    int explain;               /* --explain: a line per address instead */
    int frames_given;          /* -n seen (else a frame for every page) */
    const char *out_path;      /* -o FILE, NULL: stdout */
} vm_cli_t;

static int tlb_fill_arg(const char *v, osc_vm_tlb_fill_t *fill)
{
    int i = cli_choice("vm", "--tlb-fill", v, vm_fills, sizeof vm_fills / sizeof vm_fills[0]);
    if (i < 0)
        return CLI_USAGE;
    *fill = vm_fill_of[i];
    return 0;
}

static int output_arg(const char *v, int *output)
{
    int i = cli_choice("vm", "--output", v, vm_outputs, sizeof vm_outputs / sizeof vm_outputs[0]);
    if (i < 0)
        return CLI_USAGE;
    *output = i;
    return 0;
}

/* One option: 0, a CLI_* status, or CLI_SERVED. */
static int parse_opt(vm_cli_t *o, int c, const char *arg)
{
    uint64_t v;
    switch (c) {
    case 'f': o->addr_path = arg; return 0;
    case 'b': o->store_path = arg; return 0;
    case 'n':
        if (cli_u64("vm", "-n", arg, 1, 1u << 24, &v))
            return CLI_USAGE;
        o->cfg.frames = (uint32_t)v;
        o->frames_given = 1;
        return 0;
    case 'p': return vm_policy_arg("policy", arg, &o->cfg.policy) ? CLI_USAGE : 0;
    case O_TLB_SIZE:
        if (cli_u64("vm", "--tlb-size", arg, 1, 4096, &v))
            return CLI_USAGE;
        o->cfg.tlb_entries = (unsigned)v;
        return 0;
    case O_TLB_POLICY: return vm_policy_arg("TLB policy", arg, &o->cfg.tlb_policy) ? CLI_USAGE : 0;
    case O_TLB_FILL: return tlb_fill_arg(arg, &o->cfg.tlb_fill) ? CLI_USAGE : 0;
    case O_PAGE_SIZE:
        if (cli_u64("vm", "--page-size", arg, 2, 1u << 15, &v))
            return CLI_USAGE;
        if (v & (v - 1))
            return cli_usage("vm", "page size %s is not a power of two", arg);
        o->cfg.page_bits = (unsigned)__builtin_ctzll(v);
        return 0;
    case O_OUTPUT: return output_arg(arg, &o->output) ? CLI_USAGE : 0;
    case O_EXPLAIN: o->explain = 1; return 0;
    case O_LRU_IGNORE_TLB_HITS: o->cfg.lru_touch_tlb_hits = 0; return 0;
    case 'o': o->out_path = arg; return 0;
    case 'h': fputs(vm_help, stdout); return CLI_SERVED;
    default: return CLI_USAGE; /* cli_getopt said why */
    }
}

/* The whole command line into *o: 0, a CLI_* status, or CLI_SERVED. */
static int parse(vm_cli_t *o, int argc, char **argv)
{
    int c, rc;
    diag_t d;
    memset(o, 0, sizeof *o);
    o->cfg = osc_vm_config_default();
    o->output = OUT_OSC;
    diag_clear(&d);
    optind = 1;
    while ((c = cli_getopt("vm", argc, argv, "f:b:n:p:o:h", vm_opts)) != -1)
        if ((rc = parse_opt(o, c, optarg)))
            return rc;
    if (!o->addr_path && optind < argc)
        o->addr_path = argv[optind++];
    if (optind < argc)
        return cli_usage("vm", "unexpected argument '%s'", argv[optind]);
    if (!o->addr_path)
        return cli_usage("vm", "no addresses file given (expected -f ADDRESSES)");
    if (!o->frames_given)
        o->cfg.frames = 1u << (o->cfg.addr_bits - o->cfg.page_bits);
    if (osc_vm_config_validate(&o->cfg, &d))
        return cli_usage("vm", "%s", d.msg);
    if (!o->store_path) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s", strcmp(o->addr_path, "-") ? o->addr_path : "./x");
        snprintf(o->store_default, sizeof o->store_default, "%s/BACKING_STORE.bin", dirname(tmp));
        o->store_path = o->store_default;
    }
    return 0;
}

/* ---- running ------------------------------------------------------------ */

/* The inputs, read and checked, and the manager over them. */
typedef struct vm_run {
    char *text;              /* the addresses file */
    uint32_t *addrs;         /* its n addresses */
    size_t n;                /* how many */
    osc_backing_store_t bs;  /* the backing store, in memory */
    osc_vm_t *vm;            /* the manager, reading bs */
} vm_run_t;

/* All input is read and checked before the first byte of output: 0, or 1
 * with d saying what is wrong. */
static int load(const vm_cli_t *o, vm_run_t *r, diag_t *d)
{
    size_t len;
    return env_read_text(o->addr_path, &r->text, &len, d) ||
           osc_vm_parse_addresses(o->addr_path, r->text, len, o->cfg.addr_bits, &r->addrs, &r->n,
                                  d) ||
           osc_backing_store_load(&r->bs, o->store_path, (size_t)1 << o->cfg.addr_bits, d) ||
           osc_vm_new(&r->vm, &o->cfg, osc_backing_store_read, &r->bs, d);
}

/* The statistics lines that end every output. */
static void print_stats(FILE *f, const osc_vm_t *vm)
{
    osc_vm_stats_t s = osc_vm_stats(vm);
    double t = s.translated ? (double)s.translated : 1.0;
    fprintf(f,
            "Number of Translated Addresses = %llu\nPage Faults = %llu\nPage Fault Rate = %.3f\n"
            "TLB Hits = %llu\nTLB Hit Rate = %.3f\n",
            (unsigned long long)s.translated, (unsigned long long)s.page_faults,
            (double)s.page_faults / t, (unsigned long long)s.tlb_hits, (double)s.tlb_hits / t);
}

/* Translate every address, printing as --output and --explain say, then
 * the statistics; nothing is kept on an error.  A CLI_* status. */
static int print(const vm_cli_t *o, vm_run_t *r, diag_t *d)
{
    env_out_t out;
    if (env_out_open(&out, o->out_path, d))
        return cli_diag(d);
    for (size_t i = 0; i < r->n; i++) {
        osc_vm_event_t e;
        int rc = osc_vm_access(r->vm, r->addrs[i], &e);
        if (rc) {
            diag_set(d, o->store_path, 0, -rc, "cannot read page %u of the backing store", e.page);
            env_out_abort(&out);
            return cli_diag(d);
        }
        if (o->explain)
            explain(out.fp, i, &e, &o->cfg);
        else if (o->output == OUT_OSC)
            fprintf(out.fp, "Virtual address: %u Physical address: %u Value: %d\n", e.vaddr,
                    e.paddr, e.value);
        else if (o->output == OUT_VALUES)
            fprintf(out.fp, "%d\n", e.value);
    }
    print_stats(out.fp, r->vm);
    return env_out_commit(&out, d) ? cli_diag(d) : CLI_OK;
}

int cmd_vm(int argc, char **argv)
{
    vm_cli_t o;
    vm_run_t r = {0};
    diag_t d;
    int rc = parse(&o, argc, argv);
    if (rc)
        return rc == CLI_SERVED ? CLI_OK : rc;
    diag_clear(&d);
    rc = load(&o, &r, &d) ? cli_diag(&d) : print(&o, &r, &d);
    osc_vm_free(r.vm);
    osc_backing_store_free(&r.bs);
    free(r.addrs);
    free(r.text);
    return rc;
}
