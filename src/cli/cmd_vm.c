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

enum { OUT_OSC, OUT_VALUES, OUT_NONE };

static int vm_policy_arg(const char *opt, const char *v, osc_vm_policy_t *p)
{
    if (strcmp(v, "fifo") == 0)
        *p = OSC_VM_FIFO;
    else if (strcmp(v, "lru") == 0)
        *p = OSC_VM_LRU;
    else
        return cli_usage("vm", "unknown %s '%s' (expected fifo or lru)", opt, v);
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

/* Long options without a short form. */
enum { O_TLB_SIZE = CLI_OPT_BASE, O_TLB_POLICY, O_TLB_FILL, O_PAGE_SIZE, O_OUTPUT, O_EXPLAIN, O_LRU_IGNORE_TLB_HITS };

int cmd_vm(int argc, char **argv)
{
    static const struct option opts[] = {
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
    osc_vm_config_t cfg = osc_vm_config_default();
    const char *addr_path = NULL, *store_path = NULL, *out_path = NULL;
    char store_default[4096];
    int output = OUT_OSC, do_explain = 0, frames_given = 0, c, rc = CLI_OK;
    uint64_t v;
    diag_t d;
    char *text = NULL;
    size_t len, n = 0;
    uint32_t *addrs = NULL;
    osc_backing_store_t bs = {0};
    osc_vm_t *vm = NULL;
    env_out_t out;

    diag_clear(&d);
    optind = 1;
    while ((c = cli_getopt("vm", argc, argv, "f:b:n:p:o:h", opts)) != -1) {
        switch (c) {
        case 'f': addr_path = optarg; break;
        case 'b': store_path = optarg; break;
        case 'n':
            if (cli_u64("vm", "-n", optarg, 1, 1u << 24, &v))
                return CLI_USAGE;
            cfg.frames = (uint32_t)v;
            frames_given = 1;
            break;
        case 'p':
            if (vm_policy_arg("policy", optarg, &cfg.policy))
                return CLI_USAGE;
            break;
        case O_TLB_SIZE:
            if (cli_u64("vm", "--tlb-size", optarg, 1, 4096, &v))
                return CLI_USAGE;
            cfg.tlb_entries = (unsigned)v;
            break;
        case O_TLB_POLICY:
            if (vm_policy_arg("TLB policy", optarg, &cfg.tlb_policy))
                return CLI_USAGE;
            break;
        case O_TLB_FILL:
            if (strcmp(optarg, "miss") == 0)
                cfg.tlb_fill = OSC_VM_TLB_FILL_MISS;
            else if (strcmp(optarg, "fault") == 0)
                cfg.tlb_fill = OSC_VM_TLB_FILL_FAULT;
            else
                return cli_usage("vm", "unknown --tlb-fill '%s' (expected miss or fault)", optarg);
            break;
        case O_PAGE_SIZE:
            if (cli_u64("vm", "--page-size", optarg, 2, 1u << 15, &v))
                return CLI_USAGE;
            if (v & (v - 1))
                return cli_usage("vm", "page size %s is not a power of two", optarg);
            cfg.page_bits = (unsigned)__builtin_ctzll(v);
            break;
        case O_OUTPUT:
            if (strcmp(optarg, "osc") == 0)
                output = OUT_OSC;
            else if (strcmp(optarg, "values") == 0)
                output = OUT_VALUES;
            else if (strcmp(optarg, "none") == 0)
                output = OUT_NONE;
            else
                return cli_usage("vm", "unknown --output '%s' (expected osc, values or none)", optarg);
            break;
        case O_EXPLAIN: do_explain = 1; break;
        case O_LRU_IGNORE_TLB_HITS: cfg.lru_touch_tlb_hits = 0; break;
        case 'o': out_path = optarg; break;
        case 'h': fputs(vm_help, stdout); return CLI_OK;
        default: return CLI_USAGE; /* cli_getopt said why */
        }
    }
    if (!addr_path && optind < argc)
        addr_path = argv[optind++];
    if (optind < argc)
        return cli_usage("vm", "unexpected argument '%s'", argv[optind]);
    if (!addr_path)
        return cli_usage("vm", "no addresses file given (expected -f ADDRESSES)");
    if (!frames_given)
        cfg.frames = 1u << (cfg.addr_bits - cfg.page_bits);
    if (osc_vm_config_validate(&cfg, &d))
        return cli_usage("vm", "%s", d.msg);
    if (!store_path) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s", strcmp(addr_path, "-") ? addr_path : "./x");
        snprintf(store_default, sizeof store_default, "%s/BACKING_STORE.bin", dirname(tmp));
        store_path = store_default;
    }

    /* All input is read and checked before the first byte of output. */
    if (env_read_text(addr_path, &text, &len, &d) ||
        osc_vm_parse_addresses(addr_path, text, len, cfg.addr_bits, &addrs, &n, &d) ||
        osc_backing_store_load(&bs, store_path, (size_t)1 << cfg.addr_bits, &d) ||
        osc_vm_new(&vm, &cfg, osc_backing_store_read, &bs, &d) || env_out_open(&out, out_path, &d)) {
        rc = cli_diag(&d);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        osc_vm_event_t e;
        int r = osc_vm_access(vm, addrs[i], &e);
        if (r) {
            diag_set(&d, store_path, 0, -r, "cannot read page %u of the backing store", e.page);
            env_out_abort(&out);
            rc = cli_diag(&d);
            goto done;
        }
        if (do_explain)
            explain(out.fp, i, &e, &cfg);
        else if (output == OUT_OSC)
            fprintf(out.fp, "Virtual address: %u Physical address: %u Value: %d\n", e.vaddr, e.paddr,
                    e.value);
        else if (output == OUT_VALUES)
            fprintf(out.fp, "%d\n", e.value);
    }
    {
        osc_vm_stats_t s = osc_vm_stats(vm);
        double t = s.translated ? (double)s.translated : 1.0;
        fprintf(out.fp,
                "Number of Translated Addresses = %llu\nPage Faults = %llu\nPage Fault Rate = %.3f\n"
                "TLB Hits = %llu\nTLB Hit Rate = %.3f\n",
                (unsigned long long)s.translated, (unsigned long long)s.page_faults,
                (double)s.page_faults / t, (unsigned long long)s.tlb_hits, (double)s.tlb_hits / t);
    }
    if (env_out_commit(&out, &d))
        rc = cli_diag(&d);
done:
    osc_vm_free(vm);
    osc_backing_store_free(&bs);
    free(addrs);
    free(text);
    return rc;
}
