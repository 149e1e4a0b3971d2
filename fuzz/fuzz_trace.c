/* SPDX-License-Identifier: MIT */
/*
 * fuzz_trace.c - libFuzzer target for every trace parser (src/trace/):
 * osc, rw, ls, lackey, din, pages, the vmlab binary format, auto-detection
 * and the gzip/zstd layer under them.
 *
 * Input: byte 0 chooses the reader's options, the rest is the trace.
 *   bits 0-2  format: 0 auto, 1 osc, 2 rw, 3 ls, 4 lackey, 5 din, 6 pages, 7 vmlab
 *   bit 3     multi_pid        bit 4  skip_bad
 *   bits 5-6  batch size: 1, 2, 3 or 4096 references per trace_read()
 *   bit 7     also simulate a binary trace (a simulation costs far more
 *             than a read: only half the inputs pay for it)
 * Checked beyond "no crash": trace_read() never returns more than asked; an
 * error always comes with a message; every trace read without error
 * survives a round trip through the binary writer and reader unchanged; and
 * a keyed binary trace (version 2) reads through trace_read_keys() as the
 * same references, key by key, up to the same error.  Then the trace is
 * simulated (vmlab sim's streaming reader, keyed or not, at a page size
 * below, at or above the trace's granularity): it must end or fail with a
 * message, never crash (issue 10: a key beyond the key count once did).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/sim.h"
#include "vmlab/trace.h"

#define MAX_REFS 20000

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_trace: %s\n", what);
        abort();
    }
}

/* Read [data, data + size) with trace_read_keys() in batches of `batch`:
 * the first n references must be refs[0, n) (their keys resolve to the
 * same address and pid, ops agree), and it ends (r = 0) or fails (r < 0
 * with a message) after exactly `total` references when the plain reader
 * did. */
static void check_keys(const void *data, size_t size, const trace_opts_t *o, size_t batch,
                       const trace_ref_t *refs, size_t n, size_t total, ssize_t want_r)
{
    trace_t *t;
    diag_t d;
    static uint32_t key[4096];
    static uint8_t op[4096];
    if (trace_open_mem(&t, data, size, "fuzz", o, &d) != 0)
        return;
    if (!trace_has_keys(t)) {
        check(trace_read_keys(t, key, op, batch, &d) == -ENOTSUP, "keys without keys");
        trace_close(t);
        return;
    }
    size_t k = 0;
    ssize_t r;
    while ((r = trace_read_keys(t, key, op, batch, &d)) > 0) {
        check((size_t)r <= batch, "trace_read_keys returned more than asked");
        for (ssize_t i = 0; i < r; i++, k++) {
            check(key[i] < trace_nkeys(t), "a key beyond trace_nkeys");
            if (k >= n)
                continue;
            uint64_t addr;
            uint32_t pid;
            trace_key(t, key[i], &addr, &pid);
            check(addr == refs[k].addr && pid == refs[k].pid && op[i] == refs[k].op,
                  "keyed read: a reference differs");
        }
    }
    check(k == total, "keyed read: not as many references");
    check((r < 0) == (want_r < 0), "keyed read: not the same outcome");
    if (r < 0)
        check(d.msg[0] != '\0', "keyed read failed without a message");
    trace_close(t);
}

/* Simulate [data, data + size) with LRU over a few frames at one of three
 * page sizes chosen by `sel`. */
static void check_sim(const void *data, size_t size, const trace_opts_t *o, unsigned sel)
{
    static const unsigned bits[3] = {8, 12, 14};
    trace_t *t;
    diag_t d;
    if (trace_open_mem(&t, data, size, "fuzz", o, &d) != 0)
        return;
    sim_config_t cfg = sim_config_default();
    cfg.threads = 1;
    cfg.page_bits = bits[sel % 3];
    sim_job_t jobs[2] = {{.policy = "lru", .frames = 3}, {.policy = "opt", .frames = 2}};
    sim_result_t res[2];
    size_t nj = 1 + (sel >> 2 & 1);
    if (sim_run_trace(&cfg, jobs, nj, t, res, &d) == 0) {
        for (size_t j = 0; j < nj; j++)
            sim_result_free(&res[j]);
    } else {
        check(d.msg[0] != '\0', "sim failed without a message");
    }
    trace_close(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const size_t batches[4] = {1, 2, 3, 4096};
    trace_opts_t o = {
        .format = (trace_format_t)(data[0] & 7),
        .multi_pid = (data[0] >> 3) & 1,
        .skip_bad = (data[0] >> 4) & 1,
        .page_bits = 12,
    };
    size_t batch = batches[(data[0] >> 5) & 3];
    trace_t *t;
    diag_t d;
    if (trace_open_mem(&t, data + 1, size - 1, "fuzz", &o, &d) != 0) {
        check(d.msg[0] != '\0', "open failed without a message");
        return 0;
    }
    static trace_ref_t refs[MAX_REFS], buf[4096];
    size_t n = 0, total = 0;
    ssize_t r;
    while ((r = trace_read(t, buf, batch, &d)) > 0) {
        check((size_t)r <= batch, "trace_read returned more than asked");
        total += (size_t)r;
        for (ssize_t i = 0; i < r && n < MAX_REFS; i++)
            refs[n++] = buf[i];
    }
    if (r < 0)
        check(d.msg[0] != '\0', "read failed without a message");
    trace_close(t);
    check_keys(data + 1, size - 1, &o, batch, refs, n, total, r);
    if ((data[0] & 0x80) && size > 9 && memcmp(data + 1, "\x89VMLTR\r\n", 8) == 0)
        check_sim(data + 1, size - 1, &o, (unsigned)(size * 7 + data[size - 1]));
    if (r == 0 && n < MAX_REFS) {
        /* Round trip through the binary format. */
        char *mem = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&mem, &len);
        trace_writer_t *w;
        check(fp && trace_writer_open(&w, fp, "mem", TRACE_VMLAB, 0, 0, &d) == 0, "writer open");
        check(trace_write(w, refs, n, &d) == 0 && trace_writer_finish(w, &d) == 0, "write");
        fclose(fp);
        trace_opts_t bo = {.format = TRACE_AUTO};
        check(trace_open_mem(&t, mem, len, "mem", &bo, &d) == 0, "reopen binary");
        size_t k = 0;
        while ((r = trace_read(t, buf, 4096, &d)) > 0) {
            for (ssize_t i = 0; i < r; i++, k++) {
                check(k < n, "round trip: more references");
                check(buf[i].addr == refs[k].addr && buf[i].op == refs[k].op &&
                          buf[i].pid == refs[k].pid && buf[i].size == refs[k].size,
                      "round trip: a reference changed");
            }
        }
        check(r == 0 && k == n, "round trip: fewer references or an error");
        trace_close(t);
        check_keys(mem, len, &bo, batch, refs, n, n, 0);
        free(mem);
    }
    return 0;
}
