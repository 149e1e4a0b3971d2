/* SPDX-License-Identifier: MIT */
/*
 * test_sched.c - vmlab sched: hand-worked schedules on 1, 2 and 4 CPUs
 * (slices, placement, ties, balancing moves and the no-reversal rule,
 * preemption across classes), parser errors, property tests over many
 * generated workloads (a CPU never runs two tasks, every task ends, higher
 * classes preempt lower ones, WRR shares equal weight over total weight over
 * whole rounds, CPU time equals the work in each program), and the CFS model
 * against the real kernel: CPU-bound processes at different nice values
 * pinned to one CPU.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/rng.h"
#include "harness.h"
#include "sched/sched_class.h"
#include "sched/workload.h"
#include "vmlab/sched.h"

static int run_text(const char *text, unsigned ncpus, uint64_t until_ms, const char *wrr, const char *cfs,
                    sched_result_t *r, diag_t *d)
{
    sched_workload_t *w;
    int rc = sched_workload_parse("test", text, strlen(text), &w, d);
    if (rc)
        return rc;
    sched_config_t cfg = {.ncpus = ncpus, .until_ns = until_ms * SCHED_NS_PER_MS, .segments = 1, .check = 1};
    cfg.params[SCHED_CLASS_WRR] = wrr;
    cfg.params[SCHED_CLASS_CFS] = cfs;
    rc = sched_run(&cfg, w, r, d);
    sched_workload_free(w);
    return rc;
}

static const sched_task_result_t *task(const sched_result_t *r, const char *name)
{
    for (size_t i = 0; i < r->ntasks; i++)
        if (!strcmp(r->tasks[i].name, name))
            return &r->tasks[i];
    return NULL;
}

/* The Gantt chart as "cpu:name:start-end ..." in ms (fractions shown). */
static const char *gantt(const sched_result_t *r)
{
    static char buf[8192];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->nsegments && n < sizeof buf - 100; i++) {
        const sched_segment_t *s = &r->segments[i];
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%u:%s:%g-%g", i ? " " : "", s->cpu,
                              r->tasks[s->task].name, (double)s->start / 1e6, (double)s->end / 1e6);
    }
    return buf;
}

/* ---- hand-worked schedules --------------------------------------------------- */

TEST(wrr_one_cpu_slices_are_weight_times_10ms)
{
    sched_result_t r;
    diag_t d;
    CHECK_EQ(run_text("a weight=1 cpu=30\nb weight=2 cpu=60\n", 1, 0, NULL, NULL, &r, &d), 0);
    /* a: 10 ms slices, b: 20 ms slices, round robin in arrival order. */
    CHECK_STR(gantt(&r), "0:a:0-10 0:b:10-30 0:a:30-40 0:b:40-60 0:a:60-70 0:b:70-90");
    CHECK_EQ(task(&r, "a")->finish_ns, 70 * SCHED_NS_PER_MS);
    CHECK_EQ(task(&r, "b")->finish_ns, 90 * SCHED_NS_PER_MS);
    CHECK_EQ(task(&r, "a")->wait_ns, 40 * SCHED_NS_PER_MS);
    CHECK_EQ(task(&r, "a")->nivcsw, 2);
    CHECK_EQ(task(&r, "a")->nvcsw, 1);
    sched_result_free(&r);
}

TEST(wrr_refill_only_when_used_up_and_sleep_keeps_the_rest)
{
    sched_result_t r;
    diag_t d;
    /* a (slice 30) runs 5, sleeps 10, comes back with 25 left of its slice;
     * b (slice 20) runs meanwhile.  a then runs 25 (slice over) and b 20. */
    const char *w = "a weight=3 run 5ms sleep 10ms run 40ms\nb weight=2 cpu=60\n";
    CHECK_EQ(run_text(w, 1, 0, NULL, NULL, &r, &d), 0);
    CHECK_STR(gantt(&r), "0:a:0-5 0:b:5-25 0:a:25-50 0:b:50-70 0:a:70-85 0:b:85-105");
    sched_result_free(&r);
    /* refill=wake: the woken a starts a fresh 30 ms slice. */
    CHECK_EQ(run_text(w, 1, 0, "refill=wake", NULL, &r, &d), 0);
    CHECK_STR(gantt(&r), "0:a:0-5 0:b:5-25 0:a:25-55 0:b:55-75 0:a:75-85 0:b:85-105");
    sched_result_free(&r);
}

TEST(rt_preempts_wrr_preempts_cfs)
{
    sched_result_t r;
    diag_t d;
    const char *w = "c class=cfs cpu=50\n"
                    "w weight=1 arrive=10 cpu=20\n"
                    "f class=fifo prio=10 arrive=15 cpu=5\n";
    CHECK_EQ(run_text(w, 1, 0, NULL, NULL, &r, &d), 0);
    /* w preempts c at 10; f preempts w at 15 and w resumes at the head with
     * the 5 ms left of its slice, then a new one (alone: no switch). */
    CHECK_STR(gantt(&r), "0:c:0-10 0:w:10-15 0:f:15-20 0:w:20-35 0:c:35-75");
    CHECK_EQ(task(&r, "c")->nivcsw, 1);
    CHECK_EQ(task(&r, "w")->nivcsw, 1);
    sched_result_free(&r);
}

TEST(rr_slice_100ms_and_fifo_runs_to_completion)
{
    sched_result_t r;
    diag_t d;
    CHECK_EQ(run_text("a class=rr prio=5 cpu=150\nb class=rr prio=5 cpu=100\nc class=fifo prio=5 cpu=30\n", 1, 0,
                      NULL, NULL, &r, &d), 0);
    CHECK_STR(gantt(&r), "0:a:0-100 0:b:100-200 0:c:200-230 0:a:230-280");
    sched_result_free(&r);
    CHECK_EQ(run_text("lo class=fifo prio=5 cpu=50\nhi class=fifo prio=9 arrive=10 cpu=5\n", 1, 0, NULL, NULL, &r,
                      &d), 0);
    CHECK_STR(gantt(&r), "0:lo:0-10 0:hi:10-15 0:lo:15-55");
    sched_result_free(&r);
}

TEST(wrr_placement_least_weight_then_lowest_cpu_4cpus)
{
    sched_result_t r;
    diag_t d;
    const char *w = "t0 weight=7 cpu=10\nt1 weight=3 cpu=10\nt2 weight=5 cpu=10\nt3 weight=2 cpu=10\n"
                    "t4 weight=4 cpu=10\nt5 weight=4 cpu=10\nt6 weight=1 cpu=10\nt7 weight=6 cpu=10\n";
    CHECK_EQ(run_text(w, 4, 0, NULL, NULL, &r, &d), 0);
    /* loads after each: [7,0,0,0] [7,3,0,0] [7,3,5,0] [7,3,5,2] [7,3,5,6]
     * [7,7,5,6] [7,7,6,6] [7,7,12,6] (6 = 6: the lower id, CPU 2) */
    static const int want[8] = {0, 1, 2, 3, 3, 1, 2, 2};
    for (int i = 0; i < 8; i++)
        CHECK_EQ(r.tasks[i].first_cpu, want[i]);
    CHECK_EQ(r.cpus[0].wrr_weight[0], 7);
    CHECK_EQ(r.cpus[2].wrr_weight[0], 12);
    sched_result_free(&r);
}

TEST(wrr_ties_go_to_the_cpu_with_more_of_the_thread_group)
{
    sched_result_t r;
    diag_t d;
    /* a -> 0, b -> 1; c ties (5 = 5) and joins its group h on CPU 1. */
    const char *w = "a weight=5 group=g cpu=10\nb weight=5 group=h cpu=10\nc weight=3 group=h cpu=10\n";
    CHECK_EQ(run_text(w, 2, 0, NULL, NULL, &r, &d), 0);
    CHECK_EQ(task(&r, "c")->first_cpu, 1);
    sched_result_free(&r);
    CHECK_EQ(run_text(w, 2, 0, "tie=lowest", NULL, &r, &d), 0);
    CHECK_EQ(task(&r, "c")->first_cpu, 0);
    sched_result_free(&r);
    /* threads created by `thread` share the parent's group, forks do not. */
    const char *f = "kid weight=5 start=fork cpu=50\n"
                    "p weight=5 cpu=1 thread kid run 1ms\n"
                    "q weight=6 cpu=100\n";
    CHECK_EQ(run_text(f, 3, 0, NULL, NULL, &r, &d), 0);
    CHECK_EQ(r.ntasks, 3);
    /* at 1 ms: loads [5 (p), 6 (q), 0]: the kid goes to the empty CPU 2 */
    CHECK_EQ(r.tasks[2].first_cpu, 2);
    CHECK_EQ(r.tasks[2].group, task(&r, "p")->group);
    sched_result_free(&r);
}

TEST(wrr_balancing_moves_one_task_and_never_reverses)
{
    sched_result_t r;
    diag_t d;
    /* 2 CPUs: x1 (10) -> 0, y (10) -> 1, x2 (4) ties -> 0, x3 (3) -> 1.  y
     * exits at 100 ms: loads 14 and 3.  At 2000 ms x1 runs (round of 140 ms,
     * 2000 mod 140 = 40 < 100), x1's move would reverse the imbalance
     * (2 x 10 > 11), x2's would not (2 x 4 <= 11): x2 moves to CPU 1.  Loads
     * 10 and 7: at 4000 ms nothing may move. */
    const char *w = "x1 weight=10 cpu=5000\ny weight=10 cpu=100\nx2 weight=4 cpu=5000\nx3 weight=3 cpu=5000\n";
    CHECK_EQ(run_text(w, 2, 4500, NULL, NULL, &r, &d), 0);
    CHECK_EQ(r.balance_moves, 1);
    CHECK_EQ(task(&r, "x2")->migrations, 1);
    CHECK_EQ(task(&r, "x2")->last_cpu, 1);
    CHECK_EQ(task(&r, "x1")->migrations, 0);
    sched_result_free(&r);
    /* No reversal: a (6) and b (6) share CPU 0 because c (7) sat on CPU 1
     * when b came; c leaves at 1000 ms and d (1) arrives there: loads 12 and
     * 1 at 2000 ms.  Moving b would leave 6 against 7: reversed (2 x 6 > 11),
     * so nothing moves.  With d absent, loads 12 and 0: 2 x 6 <= 12, b moves
     * (equal loads are not a reversal).  Idle pull off: c's exit would
     * otherwise pull a or b to CPU 1 at once (wrr_idle_pull_on_exit). */
    const char *nr = "a weight=6 cpu=9000\nc weight=7 cpu=1000\nb weight=6 arrive=1 cpu=9000\n";
    char buf[256];
    snprintf(buf, sizeof buf, "%sd weight=1 arrive=1500 cpu=9000\n", nr);
    CHECK_EQ(run_text(buf, 2, 2500, "idle-pull=0", NULL, &r, &d), 0);
    CHECK_EQ(task(&r, "b")->first_cpu, 0);
    CHECK_EQ(task(&r, "d")->first_cpu, 1);
    CHECK_EQ(r.balance_moves, 0);
    sched_result_free(&r);
    CHECK_EQ(run_text(nr, 2, 2500, "idle-pull=0", NULL, &r, &d), 0);
    CHECK_EQ(r.balance_moves, 1);
    CHECK_EQ(task(&r, "a")->migrations + task(&r, "b")->migrations, 1);
    sched_result_free(&r);
    /* period=0 turns balancing off */
    CHECK_EQ(run_text(w, 2, 4500, "period=0", NULL, &r, &d), 0);
    CHECK_EQ(r.balance_moves, 0);
    sched_result_free(&r);
}

/* Idle pull (docs/sched.md; the kernel lab's wrr_pull): a CPU whose running
 * WRR task exits or sleeps, leaving no WRR task there, takes the heaviest
 * queued task allowed on it from the heaviest CPU with two or more, at once,
 * not at the next balancing period. */
TEST(wrr_idle_pull_on_exit)
{
    sched_result_t r;
    diag_t d;
    /* 3 CPUs: a (6) -> 0, c (7) -> 1, e (8) -> 2; b (5) arrives at 1 ms and
     * goes to CPU 0 (least weight).  c exits at 300 ms: CPU 1 pulls the one
     * of a and b that is queued on CPU 0, well before the 2000 ms period. */
    const char *w = "a weight=6 cpu=9000\nc weight=7 cpu=300\ne weight=8 cpu=9000\n"
                    "b weight=5 arrive=1 cpu=9000\n";
    CHECK_EQ(run_text(w, 3, 1000, NULL, NULL, &r, &d), 0);
    CHECK_EQ(task(&r, "b")->first_cpu, 0);
    CHECK_EQ(r.balance_moves, 1);
    CHECK_EQ(task(&r, "a")->migrations + task(&r, "b")->migrations, 1);
    CHECK(task(&r, "a")->last_cpu == 1 || task(&r, "b")->last_cpu == 1);
    CHECK_EQ(task(&r, "e")->migrations, 0);
    sched_result_free(&r);
    /* idle-pull=0: nothing moves before the period */
    CHECK_EQ(run_text(w, 3, 1000, "idle-pull=0", NULL, &r, &d), 0);
    CHECK_EQ(r.balance_moves, 0);
    sched_result_free(&r);
    /* Only an allowed task comes, the heaviest of those: at 30 ms a (6) runs
     * its 60 ms slice on CPU 0 with h (9, pinned to CPU 0) and b (5) queued;
     * CPU 1's c exits: b comes, though h is heavier. */
    const char *p = "a weight=6 cpu=9000\nc weight=20 cpu=30\ne weight=20 cpu=9000\n"
                    "h weight=9 arrive=1 cpu=9000 affinity=0\nb weight=5 arrive=2 cpu=9000\n";
    CHECK_EQ(run_text(p, 3, 1000, NULL, NULL, &r, &d), 0);
    CHECK_EQ(task(&r, "h")->migrations, 0);
    CHECK_EQ(task(&r, "b")->migrations, 1);
    CHECK_EQ(task(&r, "b")->last_cpu, 1);
    sched_result_free(&r);
}

TEST(wrr_balancing_on_4cpus_moves_the_heaviest_eligible)
{
    sched_result_t r;
    diag_t d;
    /* Placement: [8,0,0,0] [8,6,0,0] [8,6,5,0] [8,6,5,4] e->3 [8,6,5,7]
     * f->2 [8,6,7,7] g->1 [8,7,7,7] h ties 1,2,3 -> 1 [8,9,7,7].  c and d
     * end by 160 ms: [8,9,2,3].  At 2000 ms MAX = CPU 1, MIN = CPU 2, 9 - 2 =
     * 7: b (6) would reverse it, g (1) and h (2) would not; b runs (round
     * b 60, g 10, h 20; 2000 mod 90 = 20), so the heavier h moves: [8,7,4,3].
     * At 4000 ms MAX = CPU 0 holds only a, which runs: nothing moves. */
    const char *w = "a weight=8 cpu=9000\nb weight=6 cpu=9000\nc weight=5 cpu=100\nd weight=4 cpu=100\n"
                    "e weight=3 cpu=9000\nf weight=2 cpu=9000\ng weight=1 cpu=9000\nh weight=2 cpu=9000\n";
    CHECK_EQ(run_text(w, 4, 4500, NULL, NULL, &r, &d), 0);
    static const int first[8] = {0, 1, 2, 3, 3, 2, 1, 1};
    for (int i = 0; i < 8; i++)
        CHECK_EQ(r.tasks[i].first_cpu, first[i]);
    CHECK_EQ(task(&r, "c")->finish_ns, 120 * SCHED_NS_PER_MS);
    CHECK_EQ(task(&r, "d")->finish_ns, 160 * SCHED_NS_PER_MS); /* d 0-40, e, d 70-110, e, d 140-160 */
    CHECK_EQ(r.balance_moves, 1);
    CHECK_EQ(task(&r, "h")->migrations, 1);
    CHECK_EQ(task(&r, "h")->last_cpu, 2);
    CHECK_EQ(task(&r, "g")->migrations, 0);
    /* the weight samples show it: at 2000 ms (after the move) [8,7,4,3] */
    size_t s = 0;
    while (s < r.nsamples && r.sample_ns[s] != 2000 * SCHED_NS_PER_MS)
        s++;
    CHECK(s < r.nsamples);
    CHECK_EQ(r.cpus[0].wrr_weight[s], 8);
    CHECK_EQ(r.cpus[1].wrr_weight[s], 7);
    CHECK_EQ(r.cpus[2].wrr_weight[s], 4);
    CHECK_EQ(r.cpus[3].wrr_weight[s], 3);
    sched_result_free(&r);
}

TEST(wrr_weight_change_keeps_the_current_slice)
{
    sched_result_t r;
    diag_t d;
    /* a starts a 100 ms slice at 0; at 50 ms its weight becomes 2: the slice
     * runs to 100 (keep), the next one is 20 ms. */
    const char *w = "a weight=10 cpu=200\nb weight=1 cpu=30\nat 50ms a weight=2\n";
    CHECK_EQ(run_text(w, 1, 0, NULL, NULL, &r, &d), 0);
    CHECK_STR(gantt(&r), "0:a:0-100 0:b:100-110 0:a:110-130 0:b:130-140 0:a:140-160 0:b:160-170 0:a:170-230");
    sched_result_free(&r);
    CHECK_EQ(run_text(w, 1, 0, "reweight=now", NULL, &r, &d), 0);
    CHECK_STR(gantt(&r), "0:a:0-70 0:b:70-80 0:a:80-100 0:b:100-110 0:a:110-130 0:b:130-140 0:a:140-230");
    sched_result_free(&r);
}

TEST(cfs_slices_follow_sched_latency_and_weights)
{
    sched_result_t r;
    diag_t d;
    /* 1 CPU (factor 1): two nice-0 tasks share a 6 ms period, half each,
     * by __calc_delta's arithmetic: 6e6 x 1024 x (0xffffffff / 2048) >> 32 =
     * 2999998 ns (the inverse weight truncates).  b starts with a START_DEBIT
     * of one vslice, so a runs first; each ends with its 6 ns left over. */
    CHECK_EQ(run_text("a class=cfs cpu=9\nb class=cfs cpu=9\n", 1, 0, NULL, NULL, &r, &d), 0);
    static const uint64_t ends[8] = {2999998, 5999996, 8999994, 11999992, 14999990, 17999988, 17999994, 18000000};
    CHECK_EQ(r.nsegments, 8);
    for (int i = 0; i < 8; i++) {
        CHECK_EQ(r.segments[i].end, ends[i]);
        CHECK_STR(r.tasks[r.segments[i].task].name, i % 2 ? "b" : "a");
    }
    sched_result_free(&r);
    /* 2 CPUs: factor 1 + ilog2(2) = 2, latency 12 ms: one task per CPU. */
    CHECK_EQ(run_text("a class=cfs cpu=30\nb class=cfs cpu=30\n", 2, 0, NULL, NULL, &r, &d), 0);
    CHECK_EQ(task(&r, "a")->first_cpu, 0);
    CHECK_EQ(task(&r, "b")->first_cpu, 1);
    CHECK_EQ(task(&r, "b")->finish_ns, 30 * SCHED_NS_PER_MS);
    sched_result_free(&r);
}

/* ---- bad input ------------------------------------------------------------------ */

TEST(parser_rejects_bad_lines_with_their_line_numbers)
{
    static const struct {
        const char *text;
        unsigned long line;
        const char *msg;
    } bad[] = {
        {"a weight=25 cpu=10\n", 1, "weight '25' out of range (expected 1..20)"},
        {"a weight=0 cpu=10\n", 1, "out of range"},
        {"# c\na class=batch cpu=10\n", 2, "unknown class 'batch'"},
        {"a cpu=10\nb cpu=x\n", 2, "bad cpu time"},
        {"a\n", 1, "no work"},
        {"a cpu=10\na cpu=10\n", 2, "used twice"},
        {"a loop(run 5ms, sleep 2ms\n", 1, "unclosed loop"},
        {"a loop(run 5ms) y 3\n", 1, "count"},
        {"a fork b\n", 1, "unknown task 'b'"},
        {"a cpu=5 fork b\nb cpu=3\n", 1, "start=fork"},
        {"a class=cfs weight=3 cpu=1\n", 1, "weight= is for class=wrr"},
        {"a nice=30 class=cfs cpu=1\n", 1, "nice '30' out of range"},
        {"a cpu=1 affinity=2-1\n", 1, "bad affinity"},
        {"a cpu=1\nat 5ms b weight=3\n", 2, "unknown task 'b'"},
        {"a cpu=1 jump 3\n", 1, "unknown step 'jump'"},
        {"a color=red cpu=1\n", 1, "unknown key 'color'"},
        {"a loop(loop(loop(loop(loop(run 1ms) x 2) x 2) x 2) x 2) x 2\n", 1, "nested too deep"},
        {"a loop(fork b) forever\nb start=fork cpu=1\n", 1, "forever loop must run or sleep"},
        {"\n\n", 2, "no tasks"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sched_workload_t *w = NULL;
        diag_t d;
        int rc = sched_workload_parse("w.txt", bad[i].text, strlen(bad[i].text), &w, &d);
        CHECK_MSG(rc == -EINVAL, "case %zu accepted: %s", i, bad[i].text);
        CHECK_MSG(d.line == bad[i].line, "case %zu: line %lu, expected %lu (%s)", i, d.line, bad[i].line, d.msg);
        CHECK_MSG(strstr(d.msg, bad[i].msg), "case %zu: '%s' lacks '%s'", i, d.msg, bad[i].msg);
        CHECK(w == NULL);
    }
}

TEST(endless_workloads_are_refused_without_until)
{
    static const char *const endless[] = {
        "a spin\n",
        "a loop(run 1ms, sleep 1ms) forever\n",
        "a cpu=5 fork b\nb start=fork cpu=1 fork b\n", /* forks itself forever */
        "s daemon=1 spin\nc class=cfs cpu=10\n",       /* c starves behind the WRR spinner */
        "s class=fifo prio=3 daemon=1 spin\nc class=fifo prio=2 cpu=10\n",
        "s daemon=1 spin\n",
    };
    for (size_t i = 0; i < sizeof endless / sizeof endless[0]; i++) {
        sched_result_t r;
        diag_t d;
        CHECK_MSG(run_text(endless[i], 2, 0, NULL, NULL, &r, &d) == -EINVAL, "case %zu ran", i);
        CHECK_MSG(strstr(d.msg, "never ends"), "case %zu: %s", i, d.msg);
        /* with an end time it runs and stops there */
        CHECK_EQ(run_text(endless[i], 2, 300, NULL, NULL, &r, &d), 0);
        CHECK_EQ(r.end_ns, 300 * SCHED_NS_PER_MS);
        sched_result_free(&r);
    }
    /* daemons that spin do not keep a finite workload from ending */
    sched_result_t r;
    diag_t d;
    CHECK_EQ(run_text("s daemon=1 count=3 spin\nf weight=20 cpu=100\n", 2, 0, NULL, NULL, &r, &d), 0);
    CHECK(task(&r, "f")->finished);
    CHECK_EQ(r.end_ns, task(&r, "f")->finish_ns);
    sched_result_free(&r);
}

/* ---- properties over generated workloads ------------------------------------- */

/* Total run time of template tm's program (an independent walk of the ops:
 * loops multiply their bodies). */
static uint64_t program_work(const sched_workload_t *w, uint32_t op, uint32_t end, int *endless)
{
    uint64_t sum = 0;
    while (op < end) {
        const sched_op_t *o = &w->ops.v[op];
        if (o->kind == OP_RUN) {
            if (o->n == SCHED_FOREVER)
                *endless = 1;
            else
                sum += o->n;
            op++;
        } else if (o->kind == OP_LOOP) {
            uint64_t body = program_work(w, op + 1, o->arg, endless);
            sum += o->n == SCHED_FOREVER ? 0 : body * o->n;
            op = o->arg + 1;
        } else if (o->kind == OP_EXIT) {
            break;
        } else {
            op++;
        }
    }
    return sum;
}

static int seg_cmp(const void *a, const void *b)
{
    const sched_segment_t *x = a, *y = b;
    if (x->cpu != y->cpu)
        return x->cpu < y->cpu ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int seg_cmp_task(const void *a, const void *b)
{
    const sched_segment_t *x = a, *y = b;
    if (x->task != y->task)
        return x->task < y->task ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start;
}

TEST(properties_on_generated_workloads)
{
    for (uint64_t seed = 1; seed <= 120; seed++) {
        sched_gen_t g = {.name = seed % 2 ? "mixed" : "wrr", .ncpus = 1 + (unsigned)(seed % 5),
                         .tasks = 4 + seed % 13, .seed = seed};
        char *text;
        size_t len;
        diag_t d;
        CHECK_EQ(sched_gen_text(&g, &text, &len, &d), 0);
        sched_workload_t *w;
        CHECK_MSG(sched_workload_parse("gen", text, len, &w, &d) == 0, "seed %ju: %s", (uintmax_t)seed, d.msg);
        free(text);
        sched_config_t cfg = {.ncpus = g.ncpus, .segments = 1, .check = 1};
        cfg.params[SCHED_CLASS_WRR] = seed % 3 == 0 ? "period=300ms" : NULL;
        sched_result_t r;
        CHECK_MSG(sched_run(&cfg, w, &r, &d) == 0, "seed %ju: %s", (uintmax_t)seed, d.msg);
        uint64_t busy = 0, cpu = 0;
        for (size_t i = 0; i < r.ntasks; i++) {
            const sched_task_result_t *t = &r.tasks[i];
            int endless = 0;
            uint32_t tm = 0;
            /* every task ran to its end, and ran exactly its program's work */
            CHECK_MSG(t->finished, "seed %ju: %s never finished", (uintmax_t)seed, t->name);
            for (tm = 0; tm < w->tmpl.n; tm++)
                if (!strncmp(t->name, w->tmpl.v[tm].name, strlen(w->tmpl.v[tm].name)) &&
                    (t->name[strlen(w->tmpl.v[tm].name)] == '\0' || t->name[strlen(w->tmpl.v[tm].name)] == '.'))
                    break;
            CHECK(tm < w->tmpl.n);
            CHECK_EQ(t->cpu_ns, program_work(w, w->tmpl.v[tm].prog, (uint32_t)w->ops.n, &endless));
            CHECK_EQ(t->finish_ns - t->arrive_ns, t->cpu_ns + t->wait_ns + t->sleep_ns);
            cpu += t->cpu_ns;
        }
        for (unsigned c = 0; c < r.ncpus; c++) {
            CHECK(r.cpus[c].busy_ns <= r.end_ns);
            busy += r.cpus[c].busy_ns;
        }
        CHECK_EQ(busy, cpu);
        /* a CPU never runs two tasks at once; a task never runs on two CPUs */
        uint64_t segsum = 0;
        qsort(r.segments, r.nsegments, sizeof *r.segments, seg_cmp);
        for (size_t i = 0; i < r.nsegments; i++) {
            segsum += r.segments[i].end - r.segments[i].start;
            if (i && r.segments[i].cpu == r.segments[i - 1].cpu)
                CHECK(r.segments[i].start >= r.segments[i - 1].end);
        }
        CHECK_EQ(segsum, cpu);
        qsort(r.segments, r.nsegments, sizeof *r.segments, seg_cmp_task);
        for (size_t i = 1; i < r.nsegments; i++)
            if (r.segments[i].task == r.segments[i - 1].task)
                CHECK(r.segments[i].start >= r.segments[i - 1].end);
        sched_result_free(&r);
        sched_workload_free(w);
    }
}

TEST(wrr_share_equals_weight_over_total_over_whole_rounds)
{
    vl_rng_t rng;
    vl_rng_seed(&rng, 15);
    for (int trial = 0; trial < 60; trial++) {
        unsigned ncpus = 1 + (unsigned)vl_rng_below(&rng, 4);
        uint64_t W = 20 + vl_rng_below(&rng, 40); /* the same total on every CPU */
        char text[8192];
        size_t n = 0;
        uint32_t weights[256], k = 0;
        for (unsigned c = 0; c < ncpus; c++) {
            uint64_t left = W;
            while (left) {
                uint32_t w = (uint32_t)(left <= 20 ? left : 1 + vl_rng_below(&rng, 20));
                if (left - w > 0 && left - w < 1)
                    w = (uint32_t)left;
                weights[k] = w;
                n += (size_t)snprintf(text + n, sizeof text - n, "t%u weight=%u affinity=%u cpu=100000\n", k, w, c);
                k++;
                left -= w;
            }
        }
        uint64_t rounds = 1 + vl_rng_below(&rng, 5);
        sched_result_t r;
        diag_t d;
        CHECK_EQ(run_text(text, ncpus, rounds * W * 10, NULL, NULL, &r, &d), 0);
        for (uint32_t i = 0; i < k; i++) {
            const sched_task_result_t *t = &r.tasks[i];
            /* CPU time = rounds x slice; its share of the CPU = w / W */
            CHECK_EQ(t->cpu_ns, rounds * weights[i] * 10 * SCHED_NS_PER_MS);
            CHECK(fabs(t->fair_ns - (double)t->cpu_ns) < 1e-6 * (double)t->cpu_ns + 1);
        }
        sched_result_free(&r);
    }
}

/* An independent one-CPU WRR oracle stepping 1 ms at a time, sharing no code
 * with the simulator: its rules are docs/sched.md's, read literally.  At each
 * instant: the running task's burst or slice ends; arrivals, then wake-ups
 * in the order their sleeps began; then the CPU reschedules (a used-up slice
 * is refilled and the task goes to the tail, behind tasks woken this
 * instant); then one millisecond runs. */
typedef struct oracle_task {
    int weight, arrive, nph, ph;    /* phases: run[ph], then sleep[ph] unless last */
    int run[4], sleep[4];
    int state;                      /* 0 new, 1 queued, 2 running, 3 asleep, 4 done */
    int burst, slice, wake, wseq, finish, cpu;
} oracle_task_t;

static void oracle_run(oracle_task_t *t, int n)
{
    int q[16], qn = 0, curr = -1, seq = 0, done = 0;
    for (int now = 0; done < n; now++) {
        if (curr >= 0 && t[curr].burst == 0) { /* burst over: sleep or exit */
            oracle_task_t *c = &t[curr];
            if (c->ph + 1 < c->nph) {
                c->state = 3;
                c->wake = now + c->sleep[c->ph];
                c->wseq = seq++;
                c->ph++;
            } else {
                c->state = 4;
                c->finish = now;
                done++;
            }
            curr = -1;
        }
        for (int i = 0; i < n; i++) /* arrivals in file order */
            if (t[i].state == 0 && t[i].arrive == now) {
                t[i].state = 1;
                t[i].burst = t[i].run[0];
                t[i].slice = t[i].weight * 10;
                q[qn++] = i;
            }
        for (;;) { /* wake-ups in the order their sleeps began */
            int best = -1;
            for (int i = 0; i < n; i++)
                if (t[i].state == 3 && t[i].wake == now && (best < 0 || t[i].wseq < t[best].wseq))
                    best = i;
            if (best < 0)
                break;
            t[best].state = 1;
            t[best].burst = t[best].run[t[best].ph];
            if (t[best].slice == 0)
                t[best].slice = t[best].weight * 10;
            q[qn++] = best;
        }
        if (curr >= 0 && t[curr].slice == 0) {
            t[curr].slice = t[curr].weight * 10;
            t[curr].state = 1;
            q[qn++] = curr;
            curr = -1;
        }
        if (curr < 0 && qn) {
            curr = q[0];
            memmove(q, q + 1, (size_t)--qn * sizeof *q);
            t[curr].state = 2;
        }
        if (curr >= 0) {
            t[curr].burst--;
            t[curr].slice--;
            t[curr].cpu++;
        }
    }
}

TEST(wrr_one_cpu_matches_an_independent_oracle)
{
    vl_rng_t rng;
    vl_rng_seed(&rng, 4118);
    for (int trial = 0; trial < 300; trial++) {
        oracle_task_t t[6];
        int n = 2 + (int)vl_rng_below(&rng, 5);
        char text[4096];
        size_t len = 0;
        memset(t, 0, sizeof t);
        for (int i = 0; i < n; i++) {
            t[i].weight = (int)vl_rng_range(&rng, 1, 20);
            t[i].arrive = (int)vl_rng_below(&rng, 3) ? 0 : (int)vl_rng_below(&rng, 60);
            t[i].nph = 1 + (int)vl_rng_below(&rng, 4);
            len += (size_t)snprintf(text + len, sizeof text - len, "t%d weight=%d arrive=%d", i, t[i].weight,
                                    t[i].arrive);
            for (int p = 0; p < t[i].nph; p++) {
                t[i].run[p] = (int)vl_rng_range(&rng, 1, 45);
                t[i].sleep[p] = (int)vl_rng_range(&rng, 1, 30);
                len += (size_t)snprintf(text + len, sizeof text - len, " run %dms", t[i].run[p]);
                if (p + 1 < t[i].nph)
                    len += (size_t)snprintf(text + len, sizeof text - len, " sleep %dms", t[i].sleep[p]);
            }
            len += (size_t)snprintf(text + len, sizeof text - len, "\n");
        }
        oracle_run(t, n);
        sched_result_t r;
        diag_t d;
        CHECK_EQ(run_text(text, 1, 0, NULL, NULL, &r, &d), 0);
        for (int i = 0; i < n; i++) {
            CHECK_MSG(r.tasks[i].finish_ns == (uint64_t)t[i].finish * SCHED_NS_PER_MS,
                      "trial %d task t%d: finished at %.3f ms, oracle %d ms\n%s", trial, i,
                      r.tasks[i].finish_ns / 1e6, t[i].finish, text);
            CHECK_EQ(r.tasks[i].cpu_ns, (uint64_t)t[i].cpu * SCHED_NS_PER_MS);
        }
        sched_result_free(&r);
    }
}

TEST(cfs_shares_follow_the_nice_weights)
{
    /* The kernel's table (kernel/sched/core.c), typed here independently. */
    static const int nice[4] = {0, 1, 5, 10};
    static const double weight[4] = {1024, 820, 335, 110};
    sched_result_t r;
    diag_t d;
    CHECK_EQ(run_text("a class=cfs nice=0 daemon=1 spin\nb class=cfs nice=1 daemon=1 spin\n"
                      "c class=cfs nice=5 daemon=1 spin\nd class=cfs nice=10 daemon=1 spin\n",
                      1, 10000, NULL, NULL, &r, &d), 0);
    double W = 1024 + 820 + 335 + 110;
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(r.tasks[i].nice, nice[i]);
        double got = (double)r.tasks[i].cpu_ns / 1e10, want = weight[i] / W;
        CHECK_MSG(fabs(got - want) < 0.005, "nice %d: share %.4f, expected %.4f", nice[i], got, want);
    }
    sched_result_free(&r);
}

TEST(same_input_same_output)
{
    char *text;
    size_t len;
    diag_t d;
    sched_gen_t g = {.name = "mixed", .ncpus = 3, .tasks = 30, .seed = 99};
    CHECK_EQ(sched_gen_text(&g, &text, &len, &d), 0);
    char *out[2] = {NULL, NULL};
    size_t olen[2];
    for (int i = 0; i < 2; i++) {
        sched_result_t r;
        FILE *f = open_memstream(&out[i], &olen[i]);
        CHECK_EQ(run_text(text, 3, 0, NULL, NULL, &r, &d), 0);
        sched_report_json(f, &r);
        fclose(f);
        sched_result_free(&r);
    }
    CHECK(olen[0] == olen[1] && memcmp(out[0], out[1], olen[0]) == 0);
    free(out[0]);
    free(out[1]);
    free(text);
}

/* ---- the real kernel ------------------------------------------------------------ */

/* CPU time (utime + stime, ns) of a child, from wait4's rusage. */
static uint64_t reap_cpu_ns(pid_t pid)
{
    struct rusage ru;
    int st;
    if (wait4(pid, &st, 0, &ru) != pid)
        return 0;
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

TEST(cfs_model_matches_real_processes_pinned_to_one_cpu)
{
    /* Three CPU-bound processes at nice 0, 3 and 6 on one CPU, for 3 s of
     * wall time; their CPU times' ratios against the model's.  The kernel
     * (CFS or EEVDF) shares one CPU in proportion to the same weights.
     * Tolerance 25% of each ratio: the machine is shared, other processes on
     * that CPU take time from all three alike, ticks round slices. */
    static const int nice[3] = {0, 3, 6};
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed))
        SKIP("sched_getaffinity failed");
    int cpu = -1;
    for (int c = 0; c < CPU_SETSIZE && cpu < 0; c++)
        if (CPU_ISSET(c, &allowed))
            cpu = c;
    if (cpu < 0)
        SKIP("no CPU allowed");
    int ready[2];
    if (pipe(ready))
        SKIP("pipe failed");
    pid_t pid[3];
    for (int i = 0; i < 3; i++) {
        pid[i] = fork();
        if (pid[i] == 0) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            if (sched_setaffinity(0, sizeof one, &one) || setpriority(PRIO_PROCESS, 0, nice[i]))
                _exit(2);
            char b;
            close(ready[1]);
            if (read(ready[0], &b, 1) < 0) /* all start together */
                _exit(3);
            volatile uint64_t x = 0;
            for (;;)
                x++;
        }
        CHECK(pid[i] > 0);
    }
    close(ready[0]);
    struct timespec ts = {0, 200000000};
    nanosleep(&ts, NULL); /* let all three reach their read */
    close(ready[1]);
    ts.tv_sec = 3;
    ts.tv_nsec = 0;
    nanosleep(&ts, NULL);
    for (int i = 0; i < 3; i++)
        kill(pid[i], SIGKILL);
    uint64_t real[3];
    for (int i = 0; i < 3; i++)
        real[i] = reap_cpu_ns(pid[i]);
    if (real[0] + real[1] + real[2] < 500000000ull)
        SKIP("the machine gave the test CPU less than 0.5 s in 3 s; too loaded to compare");
    /* the model: the same three tasks on one CPU for 3 s */
    sched_result_t r;
    diag_t d;
    CHECK_EQ(run_text("a class=cfs nice=0 daemon=1 spin\nb class=cfs nice=3 daemon=1 spin\n"
                      "c class=cfs nice=6 daemon=1 spin\n", 1, 3000, NULL, NULL, &r, &d), 0);
    for (int i = 1; i < 3; i++) {
        double model = (double)r.tasks[0].cpu_ns / (double)r.tasks[i].cpu_ns;
        double got = real[i] ? (double)real[0] / (double)real[i] : INFINITY;
        printf("  nice 0 / nice %d CPU time: real %.3f (%.0f / %.0f ms), model %.3f\n", nice[i], got,
               real[0] / 1e6, real[i] / 1e6, model);
        CHECK_MSG(fabs(got / model - 1) < 0.25, "nice 0/%d: real ratio %.3f, model %.3f", nice[i], got, model);
    }
    sched_result_free(&r);
}
