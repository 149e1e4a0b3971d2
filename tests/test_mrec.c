/* SPDX-License-Identifier: MIT */
/*
 * test_mrec.c - converting recorded allocation events into malloc-lab traces
 * (src/malloc/mrec.c): exact traces for hand-made event streams, including
 * the cross-thread orderings the shim's numbering rule exists for, and the
 * event file reader's checks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "malloc/mrec.h"

#define A(p, n) {0, (p), (n), MREC_ALLOC, 0}
#define F(p) {0, (p), 0, MREC_FREE, 0}
#define RR(p, n) {0, (p), (n), MREC_RREL, 0}
#define RA(q, n, l) {0, (q), (n), MREC_RACQ, (l)}

/* Number the events 1.. and convert them; the trace in a static buffer. */
static const char *convert(mrec_event_t *ev, size_t n, mrec_stats_t *st)
{
    static char out[4096];
    mrec_file_t f = {.ev = ev, .nev = n};
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    diag_t d;
    for (size_t i = 0; i < n; i++)
        ev[i].seq = i + 1;
    if (mrec_write_rep(&f, fp, st, &d) != 0)
        snprintf(out, sizeof out, "error: %s", d.msg);
    fclose(fp);
    if (buf)
        snprintf(out, sizeof out, "%s", buf);
    free(buf);
    return out;
}

TEST(malloc_free_realloc)
{
    mrec_event_t ev[] = {A(0x1000, 10), A(0x2000, 20), RR(0x1000, 40), RA(0x3000, 40, 3),
                         F(0x2000), RR(0x3000, 8), RA(0x3000, 8, 6), F(0x3000)};
    mrec_stats_t st;
    CHECK_STR(convert(ev, 8, &st), "60\n2\n6\n1\n"
                                   "a 0 10\na 1 20\nr 0 40\nf 1\nr 0 8\nf 0\n");
    CHECK_EQ(st.peak_bytes, 60);
    CHECK_EQ(st.live_at_end, 0);
    CHECK_EQ(st.unknown_frees, 0);
}

/* Thread A reallocs p; glibc frees p inside and thread B gets p back from
 * malloc before A's realloc returns.  The trace must keep A's id on the new
 * block and give B a fresh id. */
TEST(realloc_race_with_malloc)
{
    mrec_event_t ev[] = {A(0x1000, 16), RR(0x1000, 64), A(0x1000, 16), RA(0x5000, 64, 2),
                         F(0x1000), F(0x5000)};
    mrec_stats_t st;
    CHECK_STR(convert(ev, 6, &st), "80\n2\n5\n1\na 0 16\na 1 16\nr 0 64\nf 1\nf 0\n");
    CHECK_EQ(st.lost_frees, 0);
}

/* Thread C frees q, and thread A's realloc (begun before) gets q. */
TEST(realloc_race_with_free)
{
    mrec_event_t ev[] = {A(0x1000, 16), A(0x2000, 32), RR(0x1000, 32), F(0x2000),
                         RA(0x2000, 32, 3), F(0x2000)};
    mrec_stats_t st;
    CHECK_STR(convert(ev, 6, &st), "48\n2\n5\n1\na 0 16\na 1 32\nf 1\nr 0 32\nf 0\n");
}

TEST(realloc_zero_frees_and_failure_keeps)
{
    /* realloc(p, 0) freed p (glibc); a failed realloc leaves q live at its
     * old address, so its later free is known. */
    mrec_event_t ev[] = {A(0x1000, 16), RR(0x1000, 0), RA(0, 0, 2), A(0x2000, 8),
                         RR(0x2000, 1ull << 50), RA(0, 1ull << 50, 5), F(0x2000)};
    mrec_stats_t st;
    CHECK_STR(convert(ev, 7, &st), "16\n2\n4\n1\na 0 16\nf 0\na 1 8\nf 1\n");
    CHECK_EQ(st.unknown_frees, 0);
}

TEST(unknown_and_lost)
{
    /* A free of a pointer never seen is skipped; realloc of one becomes a new
     * id; an address handed out twice without a free gets an implicit free. */
    mrec_event_t ev[] = {F(0x9000), RR(0x8000, 24), RA(0x7000, 24, 2), A(0x1000, 5),
                         A(0x1000, 6)};
    mrec_stats_t st;
    CHECK_STR(convert(ev, 5, &st), "30\n3\n4\n1\na 0 24\na 1 5\nf 1\na 2 6\n");
    CHECK_EQ(st.unknown_frees, 2);
    CHECK_EQ(st.lost_frees, 1);
    CHECK_EQ(st.live_at_end, 2);
}

/* Many live blocks: the address map grows and deletes with backward shifts;
 * every free must find its id. */
TEST(many_blocks)
{
    enum { N = 20000 };
    mrec_event_t *ev = calloc(2 * N, sizeof *ev);
    mrec_file_t f = {.ev = ev, .nev = 2 * N};
    mrec_stats_t st;
    FILE *fp = fopen("/dev/null", "w");
    diag_t d;
    CHECK(ev && fp);
    for (size_t i = 0; i < N; i++)
        ev[i] = (mrec_event_t)A(0x10000 + 16 * ((i * 7919) % N), 1);
    for (size_t i = 0; i < N; i++)
        ev[N + i] = (mrec_event_t)F(0x10000 + 16 * ((i * 104729) % N));
    for (size_t i = 0; i < 2 * N; i++)
        ev[i].seq = i + 1;
    CHECK_EQ(mrec_write_rep(&f, fp, &st, &d), 0);
    fclose(fp);
    free(ev);
    CHECK_EQ(st.ops, 2 * N);
    CHECK_EQ(st.ids, N);
    CHECK_EQ(st.unknown_frees, 0);
    CHECK_EQ(st.lost_frees, 0);
    CHECK_EQ(st.live_at_end, 0);
    CHECK_EQ(st.peak_bytes, N);
}

static int write_file(const char *path, const void *a, size_t na, const void *b, size_t nb)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    fwrite(a, 1, na, fp);
    fwrite(b, 1, nb, fp);
    return fclose(fp);
}

TEST(file_reader)
{
    char path[4200];
    mrec_header_t h = {.magic = MREC_MAGIC, .version = 1, .pid = 42, .cmd = "prog x"};
    mrec_event_t ev[3] = {A(0x1000, 1), F(0x1000), {0}};
    mrec_file_t f;
    diag_t d;
    ev[0].seq = 1;
    ev[1].seq = 2;
    snprintf(path, sizeof path, "%s/x.ev", test_tmpdir());
    /* the zero tail ends the events */
    CHECK_EQ(write_file(path, &h, sizeof h, ev, sizeof ev), 0);
    CHECK_EQ(mrec_file_read(path, &f, &d), 0);
    CHECK_EQ(f.nev, 2);
    CHECK_EQ(f.hdr.pid, 42);
    CHECK_STR(f.hdr.cmd, "prog x");
    mrec_file_free(&f);
    /* a sequence gap is corruption */
    ev[1].seq = 3;
    CHECK_EQ(write_file(path, &h, sizeof h, ev, sizeof ev), 0);
    CHECK_EQ(mrec_file_read(path, &f, &d), -EINVAL);
    CHECK(strstr(d.msg, "event 2 is corrupt") != NULL);
    /* not an event file */
    CHECK_EQ(write_file(path, "hello", 5, "", 0), 0);
    CHECK_EQ(mrec_file_read(path, &f, &d), -EINVAL);
    CHECK(strstr(d.msg, "not a vmlab event file") != NULL);
}
