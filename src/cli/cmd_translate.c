/* SPDX-License-Identifier: MIT */
/*
 * cmd_translate.c - `vmlab translate bounds|seg|linear|multi`: OSTEP's
 * address-translation homework (relocation.py, segmentation.py,
 * paging-linear-translate.py, paging-multilevel-translate.py), with the
 * homework's option letters and printed formats.  The problem comes from a
 * seed, an explicit problem file (docs/translate.md) or a homework program's
 * printed output (--from-ostep); -c (or --output json) answers it, walk
 * step by step.  The machine is include/vmlab/xlate.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/out.h"
#include "cli/cli.h"
#include "vmlab/env.h"
#include "vmlab/parse.h"
#include "vmlab/xlate.h"

static const char translate_help[] =
    "usage: vmlab translate bounds|seg|linear|multi [options] [PROBLEM]\n"
    "\n"
    "OSTEP's address-translation homework: base and bounds (relocation.py),\n"
    "segmentation (segmentation.py), a linear page table\n"
    "(paging-linear-translate.py), a multi-level page table in a memory dump\n"
    "(paging-multilevel-translate.py).  Prints the question; -c also the answers\n"
    "with every step of each walk.  The problem is PROBLEM (vmlab's explicit\n"
    "format, docs/translate.md), --from-ostep FILE (a homework program's output),\n"
    "or generated from -s SEED by the homework's rules.\n"
    "\n"
    "  -s, --seed N          random seed (default 0)\n"
    "  -n, --num N           addresses to generate (default 5; multi 10)\n"
    "  -A, --addresses LIST  comma-separated virtual addresses instead (decimal or 0x)\n"
    "  -a SIZE               address-space size (multi: pages allocated, default 64)\n"
    "      --asize SIZE      address-space size (every model)\n"
    "  -p, --physmem SIZE    physical memory size (also --psize)\n"
    "  -P, --pagesize SIZE   page size (linear, multi)\n"
    "      --pte-bytes N     entry size 1, 2, 4 or 8 (linear default 4, multi 1)\n"
    "      --levels B,B,...  multi: VPN bits per level, root first (default: full pages)\n"
    "  -u, --used PCT        linear: percent of virtual pages valid (default 50)\n"
    "  -b, -l N              bounds: base, limit; seg: segment 0's base and limit\n"
    "  -B, -L N              seg: segment 1's base (its top: it grows down) and limit\n"
    "  -c, --compute         print the answers\n"
    "  -v, --verbose         linear: print the VPN beside each entry\n"
    "      --tlb N           a fully associative LRU TLB of N entries (linear, multi)\n"
    "      --from-ostep FILE read the problem from the homework program's output ('-')\n"
    "      --emit-problem    print the problem in the explicit format and stop\n"
    "      --output FMT      text (default) or json: [{vaddr, valid, paddr | fault,\n"
    "                        steps: [{level, index, entry_addr, entry, valid, frame}]}]\n"
    "  -o, --out FILE        write to FILE (atomically)\n"
    "\n"
    "examples:\n"
    "  vmlab translate linear -s 1 -c\n"
    "  python2 paging-multilevel-translate.py -s 3 | vmlab translate multi --from-ostep -\n";

/* The command line of `translate MODEL`, parsed. */
typedef struct topts {
    xl_model_t model;                   /* the MODEL operand */
    xl_gen_t gen;                       /* -s, -n, -u, -a (multi): the generator's inputs */
    int compute;                        /* -c (also --from-ostep, --output json) */
    int verbose;                        /* -v: linear prints the VPN beside each entry */
    int emit;                           /* --emit-problem: print the problem and stop */
    int tlb_entries;                    /* --tlb, 0: no TLB */
    unsigned nlevels;                   /* --levels given: how many */
    unsigned level_bits[XL_MAX_LEVELS]; /* --levels */
    const char *from_ostep;             /* --from-ostep FILE ('-': stdin), or NULL */
    const char *problem;                /* the PROBLEM operand, or NULL */
    const char *out_path;               /* -o, NULL: stdout */
    const char *addr_list;              /* -A as given, or NULL */
    const char *levels;                 /* --levels as given, or NULL */
    uint64_t sizes[4];                  /* -a/--asize, -p, -P, --pte-bytes; 0: the default */
    uint64_t regs[4];                   /* -b, -l, -B, -L; UINT64_MAX: not given */
    out_format_t fmt;                   /* --output */
} topts_t;

static int hexw(uint64_t v) { return v > 0xffffffffull ? 16 : 8; }

static void print_question_head(const xl_problem_t *p, const topts_t *o, FILE *f)
{
    if (!o->problem && !o->from_ostep)
        fprintf(f, "ARG seed %llu\n", (unsigned long long)o->gen.seed);
    fprintf(f, "ARG address space size %llu\nARG phys mem size %llu\n",
            (unsigned long long)p->asize, (unsigned long long)p->psize);
    if (p->model == XL_LINEAR)
        fprintf(f, "ARG page size %llu\n", (unsigned long long)p->page_size);
    fputc('\n', f);
}

static void print_machine(const xl_problem_t *p, const topts_t *o, FILE *f)
{
    switch (p->model) {
    case XL_BOUNDS:
        print_question_head(p, o, f);
        fprintf(f, "Base-and-Bounds register information:\n\n");
        fprintf(f, "  Base   : 0x%08llx (decimal %llu)\n", (unsigned long long)p->base,
                (unsigned long long)p->base);
        fprintf(f, "  Limit  : %llu\n\n", (unsigned long long)p->limit);
        break;
    case XL_SEG:
        print_question_head(p, o, f);
        fprintf(f, "Segment register information:\n\n");
        for (unsigned i = 0; i < p->nsegs; i++) {
            const xl_seg_t *s = &p->seg[i];
            fprintf(f, "  Segment %u base  (grows %s) : 0x%08llx (decimal %llu)\n", i,
                    s->down ? "negative" : "positive", (unsigned long long)s->base,
                    (unsigned long long)s->base);
            fprintf(f, "  Segment %u limit                  : %llu\n", i,
                    (unsigned long long)s->limit);
            if (s->prot != (XL_READ | XL_WRITE))
                fprintf(f, "  Segment %u protection             : %c%c%c\n", i,
                        s->prot & XL_READ ? 'r' : '-', s->prot & XL_WRITE ? 'w' : '-',
                        s->prot & XL_EXEC ? 'x' : '-');
            fputc('\n', f);
        }
        break;
    case XL_LINEAR:
        print_question_head(p, o, f);
        fprintf(f, "The format of the page table is simple:\n"
                   "The high-order (left-most) bit is the VALID bit.\n"
                   "  If the bit is 1, the rest of the entry is the PFN.\n"
                   "  If the bit is 0, the page is not valid.\n\n");
        fprintf(f, "Page Table (from entry 0 down to the max size)\n");
        for (uint64_t v = 0; v < p->asize / p->page_size; v++) {
            if (o->verbose)
                fprintf(f, "  [%8llu]  ", (unsigned long long)v);
            else
                fputs("  ", f);
            fprintf(f, "0x%0*llx\n", 2 * (int)p->pte_bytes,
                    (unsigned long long)(v < p->npte ? p->pt[v] : 0));
        }
        fputc('\n', f);
        break;
    case XL_MULTI:
        for (uint64_t pg = 0; pg < p->psize / p->page_size; pg++) {
            fprintf(f, "page %3llu:", (unsigned long long)pg);
            for (uint64_t j = 0; j < p->page_size; j++)
                fprintf(f, "%02x", p->mem[pg * p->page_size + j]);
            fputc('\n', f);
        }
        fprintf(f, "\nPDBR: %llu  (decimal) [This means the page directory is held in this "
                   "page]\n\n", (unsigned long long)p->pdbr);
        break;
    }
}

static void print_steps_text(const xl_problem_t *p, const xl_result_t *r, FILE *f)
{
    for (unsigned i = 0; i < r->nsteps; i++) {
        const xl_step_t *s = &r->step[i];
        int last = p->model == XL_LINEAR || i + 1 == p->nlevels;
        const char *w = last ? "pte" : "pde";
        fprintf(f, "%*s--> %s index:0x%llx [decimal %llu] %s contents:0x%llx (valid %d, pfn "
                   "0x%02llx [decimal %llu]) [entry at 0x%llx]\n",
                2 + 2 * (int)i + (p->model == XL_LINEAR ? 4 : 0), "", w,
                (unsigned long long)s->index, (unsigned long long)s->index, w,
                (unsigned long long)s->entry, s->valid, (unsigned long long)s->frame,
                (unsigned long long)s->frame, (unsigned long long)s->entry_addr);
    }
}

static void print_answer_text(const xl_problem_t *p, size_t i, const xl_result_t *r, int compute,
                              FILE *f)
{
    unsigned long long va = r->va, pa = r->pa;
    int w = hexw(va);
    switch (p->model) {
    case XL_BOUNDS:
    case XL_SEG:
        fprintf(f, "  VA %2zu: 0x%0*llx (decimal: %4llu) --> ", i, w, va, va);
        if (!compute)
            fputs("PA or segmentation violation?\n", f);
        else if (r->valid && p->model == XL_BOUNDS)
            fprintf(f, "VALID: 0x%0*llx (decimal: %4llu)\n", hexw(pa), pa, pa);
        else if (r->valid)
            fprintf(f, "VALID in SEG%u: 0x%0*llx (decimal: %4llu)\n", r->seg, hexw(pa), pa, pa);
        else if (p->model == XL_BOUNDS)
            fputs("SEGMENTATION VIOLATION\n", f);
        else if (r->fault == XL_FAULT_PROT)
            fprintf(f, "PROTECTION FAULT (SEG%u)\n", r->seg);
        else
            fprintf(f, "SEGMENTATION VIOLATION (SEG%u)\n", r->seg);
        break;
    case XL_LINEAR:
        fprintf(f, "  VA 0x%0*llx (decimal: %8llu) --> ", w, va, va);
        if (!compute)
            fputs("PA or invalid address?\n", f);
        else if (r->valid)
            fprintf(f, "%0*llx (decimal %8llu) [VPN %llu]\n", hexw(pa), pa, pa,
                    (unsigned long long)r->vpn);
        else if (r->fault == XL_FAULT_INVALID)
            fprintf(f, " Invalid (VPN %llu not valid)\n", (unsigned long long)r->vpn);
        else
            fprintf(f, " Invalid (VPN %llu maps to a frame outside physical memory)\n",
                    (unsigned long long)r->vpn);
        if (compute) {
            if (r->tlb >= 0)
                fprintf(f, "      --> TLB %s\n", r->tlb ? "hit" : "miss");
            print_steps_text(p, r, f);
        }
        break;
    case XL_MULTI:
        if (!compute) {
            fprintf(f, "Virtual Address %04llx: Translates To What Physical Address (And Fetches "
                       "what Value)? Or Fault?\n", va);
            break;
        }
        fprintf(f, "Virtual Address %04llx:\n", va);
        if (r->tlb >= 0)
            fprintf(f, "  --> TLB %s\n", r->tlb ? "hit" : "miss");
        print_steps_text(p, r, f);
        if (r->valid)
            fprintf(f, "      --> Translates to Physical Address 0x%03llx --> Value: %02x\n", pa,
                    r->value);
        else if (r->fault == XL_FAULT_FRAME)
            fputs("      --> Fault (frame outside physical memory)\n", f);
        else if (r->nsteps < p->nlevels)
            fputs("      --> Fault (page directory entry not valid)\n", f);
        else
            fputs("      --> Fault (page table entry not valid)\n", f);
        break;
    }
}

static void print_json(const xl_problem_t *p, const xl_result_t *res, FILE *f)
{
    out_json_t j;
    out_json_init(&j, f, 1);
    out_json_arr(&j, NULL);
    for (size_t i = 0; i < p->naddr; i++) {
        const xl_result_t *r = &res[i];
        out_json_obj(&j, NULL);
        out_json_u64(&j, "vaddr", r->va);
        out_json_str(&j, "access", p->addr[i].access == XL_WRITE  ? "w"
                                   : p->addr[i].access == XL_EXEC ? "x"
                                                                  : "r");
        out_json_bool(&j, "valid", r->valid);
        if (r->valid)
            out_json_u64(&j, "paddr", r->pa);
        else
            out_json_str(&j, "fault", xl_fault_name(r->fault));
        if (p->model == XL_SEG)
            out_json_u64(&j, "segment", r->seg);
        if (p->model == XL_LINEAR || p->model == XL_MULTI)
            out_json_u64(&j, "vpn", r->vpn);
        out_json_u64(&j, "offset", r->offset);
        if (r->tlb >= 0)
            out_json_str(&j, "tlb", r->tlb ? "hit" : "miss");
        if (r->has_value)
            out_json_u64(&j, "value", r->value);
        out_json_arr(&j, "steps");
        for (unsigned k = 0; k < r->nsteps; k++) {
            const xl_step_t *s = &r->step[k];
            out_json_obj(&j, NULL);
            out_json_u64(&j, "level", k);
            out_json_u64(&j, "index", s->index);
            out_json_u64(&j, "entry_addr", s->entry_addr);
            out_json_u64(&j, "entry", s->entry);
            out_json_bool(&j, "valid", s->valid);
            out_json_u64(&j, "frame", s->frame);
            out_json_end(&j);
        }
        out_json_end(&j);
        out_json_end(&j);
    }
    out_json_end(&j);
    out_json_done(&j);
}

static int add_list(xl_problem_t *p, const char *list)
{
    const char *s = list;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char buf[40];
        uint64_t v;
        if (n == 0 || n >= sizeof buf)
            return cli_usage("translate", "bad address list '%s' (expected e.g. 12,0x3f0)", list);
        memcpy(buf, s, n);
        buf[n] = '\0';
        if (parse_size(buf, &v))
            return cli_usage("translate", "bad address '%s' (expected decimal or 0x hex)", buf);
        if (xl_problem_add(p, v, XL_READ, 0)) {
            cli_error("out of memory");
            return CLI_ERR;
        }
        s += n + (e != NULL);
    }
    return 0;
}

static int parse_levels(const char *s, topts_t *o)
{
    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        uint64_t v;
        if (o->nlevels == XL_MAX_LEVELS || parse_u64_dec(s, n, &v) || v == 0 || v > 32)
            return -1;
        o->level_bits[o->nlevels++] = (unsigned)v;
        s += n + (e != NULL);
    }
    return o->nlevels ? 0 : -1;
}

/* The problem from PROBLEM or --from-ostep, -A replacing its addresses: 0 or
 * a CLI_* status (then nothing to free). */
static int load_file(xl_problem_t *p, const topts_t *o)
{
    diag_t d;
    char *text = NULL;
    size_t len = 0;
    int rc;
    const char *path = o->from_ostep ? o->from_ostep : o->problem;
    const char *name = strcmp(path, "-") == 0 ? "(stdin)" : path;
    diag_clear(&d);
    if (env_read_file(path, &text, &len, &d))
        return cli_diag(&d);
    rc = o->from_ostep ? xl_parse_ostep(text, len, name, o->model, p, &d)
                       : xl_parse(text, len, name, p, &d);
    free(text);
    if (rc == 0 && p->model != o->model) {
        cli_error("%s: a %s problem (expected %s)", name, xl_model_name(p->model),
                  xl_model_name(o->model));
        xl_problem_free(p);
        return CLI_ERR;
    }
    if (rc) {
        int st = rc == -EDOM ? CLI_USAGE : CLI_ERR;
        cli_diag(&d);
        return st;
    }
    if (o->addr_list) { /* -A replaces the file's addresses */
        p->naddr = 0;
        if ((rc = add_list(p, o->addr_list))) {
            xl_problem_free(p);
            return rc;
        }
        if (xl_problem_check(p, "-A", &d)) {
            xl_problem_free(p);
            return cli_diag(&d), CLI_USAGE;
        }
    }
    return 0;
}

/* The machine from the size and register options, then -A's addresses or
 * generated ones: 0 or a CLI_* status (then nothing to free). */
static int load_generated(xl_problem_t *p, topts_t *o)
{
    diag_t d;
    int rc;
    diag_clear(&d);
    xl_problem_init(p, o->model);
    if (o->sizes[0])
        p->asize = o->sizes[0];
    if (o->sizes[1])
        p->psize = o->sizes[1];
    if (o->sizes[2])
        p->page_size = o->sizes[2];
    if (o->sizes[3])
        p->pte_bytes = (unsigned)o->sizes[3];
    p->nlevels = o->nlevels;
    memcpy(p->level_bits, o->level_bits, sizeof p->level_bits);
    if (o->model == XL_BOUNDS) {
        p->base = o->regs[0];
        p->limit = o->regs[1];
    } else if (o->model == XL_SEG) {
        p->nsegs = 2;
        p->seg[0].base = o->regs[0];
        p->seg[0].limit = o->regs[1];
        p->seg[1].base = o->regs[2];
        p->seg[1].limit = o->regs[3];
        p->seg[1].down = 1;
    }
    if (o->addr_list) {
        if ((rc = add_list(p, o->addr_list))) {
            xl_problem_free(p);
            return rc;
        }
        o->gen.naddr = 0;
    }
    if (xl_generate(p, &o->gen, &d)) {
        xl_problem_free(p);
        cli_diag(&d);
        return d.err == EDOM ? CLI_USAGE : CLI_ERR;
    }
    return 0;
}

static int load_problem(xl_problem_t *p, topts_t *o)
{
    return o->from_ostep || o->problem ? load_file(p, o) : load_generated(p, o);
}

static int run(xl_problem_t *p, topts_t *o)
{
    env_out_t out;
    diag_t d;
    xl_result_t *res = calloc(p->naddr ? p->naddr : 1, sizeof *res);
    xl_tlb_t *tlb = NULL;
    uint64_t hits = 0;
    int rc = CLI_OK;
    if (!res || (o->tlb_entries && !(tlb = xl_tlb_new((unsigned)o->tlb_entries)))) {
        free(res);
        cli_error("out of memory");
        return CLI_ERR;
    }
    for (size_t i = 0; i < p->naddr; i++) {
        xl_translate(p, tlb, &p->addr[i], &res[i]);
        hits += res[i].tlb == 1;
    }
    xl_tlb_free(tlb);
    diag_clear(&d);
    if (env_out_open(&out, o->out_path, &d)) {
        free(res);
        return cli_diag(&d);
    }
    if (o->emit) {
        xl_write(p, out.fp);
    } else if (o->fmt == OUT_JSON) {
        print_json(p, res, out.fp);
    } else {
        print_machine(p, o, out.fp);
        if (p->model != XL_MULTI)
            fputs("Virtual Address Trace\n", out.fp);
        for (size_t i = 0; i < p->naddr; i++)
            print_answer_text(p, i, &res[i], o->compute, out.fp);
        fputc('\n', out.fp);
        if (o->compute && o->tlb_entries)
            fprintf(out.fp, "TLB: %llu hits, %llu misses\n", (unsigned long long)hits,
                    (unsigned long long)(p->naddr - hits));
        if (!o->compute)
            fputs("For each virtual address, write down the physical address it translates to\n"
                  "OR write down that it is invalid (a fault); -c prints the answers.\n\n",
                  out.fp);
    }
    if (env_out_commit(&out, &d))
        rc = cli_diag(&d);
    free(res);
    return rc;
}

/* Long options of translate without a short form. */
enum { O_ASIZE = CLI_OPT_BASE, O_PTE_BYTES, O_LEVELS, O_TLB, O_FROM_OSTEP, O_EMIT_PROBLEM,
       O_OUTPUT };

static const struct option translate_opts[] = {
    {"seed", required_argument, 0, 's'},      {"num", required_argument, 0, 'n'},
    {"addresses", required_argument, 0, 'A'}, {"physmem", required_argument, 0, 'p'},
    {"pagesize", required_argument, 0, 'P'},  {"used", required_argument, 0, 'u'},
    {"compute", no_argument, 0, 'c'},         {"verbose", no_argument, 0, 'v'},
    {"out", required_argument, 0, 'o'},       {"help", no_argument, 0, 'h'},
    {"asize", required_argument, 0, O_ASIZE}, {"psize", required_argument, 0, 'p'},
    {"pte-bytes", required_argument, 0, O_PTE_BYTES},
    {"levels", required_argument, 0, O_LEVELS}, {"tlb", required_argument, 0, O_TLB},
    {"from-ostep", required_argument, 0, O_FROM_OSTEP},
    {"emit-problem", no_argument, 0, O_EMIT_PROBLEM},
    {"output", required_argument, 0, O_OUTPUT}, {0, 0, 0, 0},
};

/* -a: multi's pages allocated, every other model's address-space size. */
static int parse_a(topts_t *o, const char *arg)
{
    uint64_t v;
    if (o->model != XL_MULTI)
        return cli_u64("translate", "-a", arg, 1, 1ull << 62, &o->sizes[0]) ? CLI_USAGE : 0;
    if (cli_u64("translate", "-a", arg, 0, 1u << 24, &v))
        return CLI_USAGE;
    o->gen.allocated = (unsigned)v;
    return 0;
}

/* -b, -l, -B, -L: the registers, regs[0..3]. */
static int parse_reg(topts_t *o, int c, const char *arg)
{
    int k = c == 'b' ? 0 : c == 'l' ? 1 : c == 'B' ? 2 : 3;
    return cli_u64("translate", k == 0 ? "-b" : k == 1 ? "-l" : k == 2 ? "-B" : "-L", arg, 0,
                   1ull << 62, &o->regs[k]) ? CLI_USAGE : 0;
}

/* One option into *o: 0, CLI_USAGE, or CLI_SERVED. */
static int parse_opt(topts_t *o, int c, const char *arg)
{
    uint64_t v;
    switch (c) {
    case 's': return cli_u64("translate", "-s", arg, 0, UINT64_MAX, &o->gen.seed) ? CLI_USAGE : 0;
    case 'n':
        if (cli_u64("translate", "-n", arg, 0, 1u << 20, &v))
            return CLI_USAGE;
        o->gen.naddr = (size_t)v;
        return 0;
    case 'A': o->addr_list = arg; return 0;
    case 'a': return parse_a(o, arg);
    case O_ASIZE:
        return cli_u64("translate", "--asize", arg, 1, 1ull << 62, &o->sizes[0]) ? CLI_USAGE : 0;
    case 'p': return cli_u64("translate", "-p", arg, 1, 1ull << 62, &o->sizes[1]) ? CLI_USAGE : 0;
    case 'P': return cli_u64("translate", "-P", arg, 1, 1ull << 62, &o->sizes[2]) ? CLI_USAGE : 0;
    case O_PTE_BYTES:
        return cli_u64("translate", "--pte-bytes", arg, 1, 8, &o->sizes[3]) ? CLI_USAGE : 0;
    case O_LEVELS: o->levels = arg; return 0;
    case 'u':
        if (cli_u64("translate", "-u", arg, 0, 100, &v))
            return CLI_USAGE;
        o->gen.used = (unsigned)v;
        return 0;
    case 'b': case 'l': case 'B': case 'L': return parse_reg(o, c, arg);
    case 'c': o->compute = 1; return 0;
    case 'v': o->verbose = 1; return 0;
    case 'o': o->out_path = arg; return 0;
    case 'h': fputs(translate_help, stdout); return CLI_SERVED;
    case O_TLB:
        if (cli_u64("translate", "--tlb", arg, 1, 1u << 16, &v))
            return CLI_USAGE;
        o->tlb_entries = (int)v;
        return 0;
    case O_FROM_OSTEP: o->from_ostep = arg; return 0;
    case O_EMIT_PROBLEM: o->emit = 1; return 0;
    case O_OUTPUT: return cli_output("translate", arg, OUT_ACCEPT_TEXT_JSON, &o->fmt) ? CLI_USAGE : 0;
    default: return CLI_USAGE; /* cli_getopt said why */
    }
}

/* The operands and the checks across options, after them: 0 or CLI_USAGE. */
static int check_args(topts_t *o, int argc, char **argv)
{
    if (optind < argc)
        o->problem = argv[optind++];
    if (optind < argc)
        return cli_usage("translate", "unexpected argument '%s'", argv[optind]);
    if (o->problem && o->from_ostep)
        return cli_usage("translate", "give a PROBLEM file or --from-ostep, not both");
    if (o->from_ostep)
        o->compute = 1; /* the point of pasting a question is its answers */
    if (o->tlb_entries && o->model != XL_LINEAR && o->model != XL_MULTI)
        return cli_usage("translate", "--tlb is for linear and multi");
    if (o->levels && (o->model != XL_MULTI || parse_levels(o->levels, o)))
        return cli_usage("translate", "bad --levels '%s' (expected multi: VPN bits per level, "
                         "root first, e.g. 5,5)", o->levels);
    return 0;
}

/* The whole command line (argv[1] the model) into *o: 0, a CLI_* status, or
 * CLI_SERVED. */
static int parse(topts_t *o, int argc, char **argv)
{
    int c, m, rc;
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(translate_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_SERVED;
    }
    if ((m = xl_model_parse(argv[1])) < 0)
        return cli_usage("translate", "unknown model '%s' (expected bounds, seg, linear or multi)",
                         argv[1]);
    memset(o, 0, sizeof *o);
    o->model = (xl_model_t)m;
    o->gen.naddr = o->model == XL_MULTI ? 10 : 5;
    o->gen.used = 50;
    o->gen.allocated = 64;
    for (int k = 0; k < 4; k++)
        o->regs[k] = UINT64_MAX;
    argv++;
    argc--;
    optind = 1;
    while ((c = cli_getopt("translate", argc, argv, "s:n:A:a:p:P:u:b:l:B:L:cvo:h",
                           translate_opts)) != -1)
        if ((rc = parse_opt(o, c, optarg)) != 0)
            return rc;
    return check_args(o, argc, argv);
}

int cmd_translate(int argc, char **argv)
{
    topts_t o;
    xl_problem_t p;
    int rc = parse(&o, argc, argv);
    if (rc == 0 && (rc = load_problem(&p, &o)) == 0) {
        if (o.fmt == OUT_JSON)
            o.compute = 1;
        rc = run(&p, &o);
        xl_problem_free(&p);
    }
    return rc == CLI_SERVED ? CLI_OK : rc;
}
