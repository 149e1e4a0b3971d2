/* SPDX-License-Identifier: MIT */
/*
 * trace_pages.c - the `pages` format: one decimal page number a line.
 *
 * Reference strings of textbook exercises and synthetic generators
 * (gen_trace's OUT.txt): "7".  The reference's address is the page number
 * shifted left by trace_opts_t.page_bits, so every consumer divides the same
 * way.  The shift is modulo 2^64: a page number of 64 - page_bits bits or
 * more (gen_trace's ids are 64-bit hashes) keeps its low 64 - page_bits
 * bits, which is all a simulator can tell apart at that page size; two ids
 * equal in those bits would collide (for the 762,669 distinct ids of the
 * zipf benchmark trace at 4 KiB pages, none do).  Every reference is a read.  Never auto-detected: it looks exactly
 * like `osc`.  With multi_pid a decimal pid column comes first.
 */
#include "trace/trace_impl.h"

TR_INLINE int pages_line(trace_t *t, const char *p, const char **next, trace_ref_t *r,
                             const char **why)
{
    uint64_t pg;
    int k = tr_dec_line(t, p, next, &pg, &r->pid, why);
    if (k <= 0)
        return k;
    r->addr = pg << t->o.page_bits;
    r->op = TRACE_READ;
    r->size = 0;
    return 1;
}

TRACE_TEXT_PARSER(pages, 1)
TRACE_TEXT_PROBE(pages)

const trace_fmt_t trace_fmt_pages = {
    .id = TRACE_PAGES,
    .name = "pages",
    .expect = "a pages line: a decimal page number, e.g. '7'",
    .detectable = 0,
    .probe = pages_probe,
    .parse = pages_parse,
};
