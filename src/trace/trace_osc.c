/* SPDX-License-Identifier: MIT */
/*
 * trace_osc.c - the `osc` format: one decimal logical address a line.
 *
 * The addresses.txt of Operating System Concepts' virtual memory project
 * (ch. 10): "16916".  Every reference is a read.  With multi_pid a decimal
 * pid column comes first: "2 16916".
 */
#include "trace/trace_impl.h"

TR_INLINE int osc_line(trace_t *t, const char *p, const char **next, trace_ref_t *r,
                           const char **why)
{
    uint64_t a;
    int k = tr_dec_line(t, p, next, &a, &r->pid, why);
    if (k <= 0)
        return k;
    r->addr = a;
    r->op = TRACE_READ;
    r->size = 0;
    return 1;
}

TRACE_TEXT_PARSER(osc, 1)
TRACE_TEXT_PROBE(osc)

const trace_fmt_t trace_fmt_osc = {
    .id = TRACE_OSC,
    .name = "osc",
    .expect = "an osc line: a decimal address, e.g. '16916'",
    .detectable = 1,
    .probe = osc_probe,
    .parse = osc_parse,
};
