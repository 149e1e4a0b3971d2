/* SPDX-License-Identifier: MIT */
/*
 * sched_report.c - vmlab sched's results as text, JSON (the contract in
 * docs/sched.md), CSV, and gnuplot data and scripts (the plot module's
 * conventions: a .dat file, a .gp script naming it, pngcairo or svg by the
 * output's extension).
 *
 * Per task: share = cpu / (cpu + wait), the part of its runnable time it
 * ran; weight_share = fair / (cpu + wait), the part its weight entitled it to
 * (weight / total weight of its class on its CPU, integrated over the same
 * time; sched_core.c).  Equal for WRR CPU-bound tasks over whole rounds.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "base/out.h"
#include "sched/sched_class.h"
#include "vmlab/sched.h"

static double ms(uint64_t ns) { return (double)ns / 1e6; }

static double share(const sched_task_result_t *t)
{
    uint64_t rt = t->cpu_ns + t->wait_ns;
    return rt ? (double)t->cpu_ns / (double)rt : NAN;
}

static double weight_share(const sched_task_result_t *t)
{
    uint64_t rt = t->cpu_ns + t->wait_ns;
    if (!rt || !strcmp(t->cls, "fifo") || !strcmp(t->cls, "rr"))
        return NAN;
    return t->fair_ns / (double)rt;
}

void sched_report_text(FILE *f, const sched_result_t *r)
{
    fprintf(f, "%u CPUs, %.3f ms simulated, %ju events, %zu tasks, %ju WRR balancing moves\n", r->ncpus,
            ms(r->end_ns), (uintmax_t)r->events, r->ntasks, (uintmax_t)r->balance_moves);
    fprintf(f, "%-20s %-4s %6s %10s %12s %10s %6s %6s %5s %5s %5s %4s\n", "task", "cls", "w/nice", "cpu_ms",
            "turnaround", "wait_ms", "share", "wshare", "migr", "vcsw", "ivcsw", "cpu");
    for (size_t i = 0; i < r->ntasks; i++) {
        const sched_task_result_t *t = &r->tasks[i];
        char wn[16], ta[24], sh[16], ws[16];
        if (t->cls[0] == 'w')
            snprintf(wn, sizeof wn, "%u", t->weight);
        else if (t->cls[0] == 'c')
            snprintf(wn, sizeof wn, "n%d", t->nice);
        else
            snprintf(wn, sizeof wn, "p%u", t->prio);
        if (t->finished)
            snprintf(ta, sizeof ta, "%.3f", ms(t->finish_ns - t->arrive_ns));
        else
            snprintf(ta, sizeof ta, "-");
        double s = share(t), w = weight_share(t);
        snprintf(sh, sizeof sh, isnan(s) ? "-" : "%.3f", s);
        snprintf(ws, sizeof ws, isnan(w) ? "-" : "%.3f", w);
        fprintf(f, "%-20s %-4s %6s %10.3f %12s %10.3f %6s %6s %5u %5u %5u %4d\n", t->name, t->cls, wn,
                ms(t->cpu_ns), ta, ms(t->wait_ns), sh, ws, t->migrations, t->nvcsw, t->nivcsw, t->first_cpu);
    }
    fprintf(f, "%-4s %12s %6s %9s %10s\n", "cpu", "busy_ms", "util", "switches", "wrr_mean");
    for (unsigned c = 0; c < r->ncpus; c++) {
        const sched_cpu_result_t *cp = &r->cpus[c];
        double mean = 0;
        for (size_t s = 0; s < r->nsamples; s++)
            mean += cp->wrr_weight[s];
        mean = r->nsamples ? mean / (double)r->nsamples : 0;
        fprintf(f, "%-4u %12.3f %6.3f %9ju %10.2f\n", c, ms(cp->busy_ns),
                r->end_ns ? (double)cp->busy_ns / (double)r->end_ns : 0, (uintmax_t)cp->switches, mean);
    }
    fprintf(f, "WRR balance error: %.3f (max - min total weight, mean over %zu samples), %.3f of the mean\n",
            r->balance_error, r->nsamples, r->balance_rel);
}

void sched_report_json(FILE *f, const sched_result_t *r)
{
    out_json_t j;
    out_json_init(&j, f, 1);
    out_json_obj(&j, NULL);
    out_json_u64(&j, "ncpus", r->ncpus);
    out_json_dbl(&j, "end_ms", ms(r->end_ns));
    out_json_u64(&j, "events", r->events);
    out_json_u64(&j, "balance_moves", r->balance_moves);
    out_json_dbl(&j, "balance_error", r->balance_error);
    out_json_dbl(&j, "balance_error_rel", r->balance_rel);
    out_json_arr(&j, "tasks");
    for (size_t i = 0; i < r->ntasks; i++) {
        const sched_task_result_t *t = &r->tasks[i];
        out_json_obj(&j, NULL);
        out_json_str(&j, "name", t->name);
        out_json_str(&j, "class", t->cls);
        out_json_u64(&j, "weight", t->weight);
        out_json_i64(&j, "nice", t->nice);
        out_json_u64(&j, "prio", t->prio);
        out_json_u64(&j, "group", t->group);
        out_json_bool(&j, "daemon", t->daemon);
        out_json_bool(&j, "finished", t->finished);
        out_json_dbl(&j, "arrive_ms", ms(t->arrive_ns));
        if (t->finished) {
            out_json_dbl(&j, "finish_ms", ms(t->finish_ns));
            out_json_dbl(&j, "turnaround_ms", ms(t->finish_ns - t->arrive_ns));
        } else {
            out_json_null(&j, "finish_ms");
            out_json_null(&j, "turnaround_ms");
        }
        if (t->first_run_ns == UINT64_MAX)
            out_json_null(&j, "first_run_ms");
        else
            out_json_dbl(&j, "first_run_ms", ms(t->first_run_ns));
        out_json_dbl(&j, "cpu_ms", ms(t->cpu_ns));
        out_json_dbl(&j, "wait_ms", ms(t->wait_ns));
        out_json_dbl(&j, "sleep_ms", ms(t->sleep_ns));
        out_json_dbl(&j, "fair_ms", t->fair_ns / 1e6);
        out_json_dbl(&j, "share", share(t));
        out_json_dbl(&j, "weight_share", weight_share(t));
        out_json_u64(&j, "migrations", t->migrations);
        out_json_u64(&j, "nvcsw", t->nvcsw);
        out_json_u64(&j, "nivcsw", t->nivcsw);
        out_json_u64(&j, "switches", (uint64_t)t->nvcsw + t->nivcsw);
        out_json_i64(&j, "first_cpu", t->first_cpu);
        out_json_i64(&j, "last_cpu", t->last_cpu);
        out_json_end(&j);
    }
    out_json_end(&j);
    out_json_arr(&j, "cpus");
    for (unsigned c = 0; c < r->ncpus; c++) {
        const sched_cpu_result_t *cp = &r->cpus[c];
        out_json_obj(&j, NULL);
        out_json_u64(&j, "id", c);
        out_json_dbl(&j, "busy_ms", ms(cp->busy_ns));
        out_json_u64(&j, "switches", cp->switches);
        out_json_arr(&j, "wrr_weight"); /* [t_ms, total WRR weight] pairs */
        for (size_t s = 0; s < r->nsamples; s++) {
            out_json_arr(&j, NULL);
            out_json_dbl(&j, NULL, ms(r->sample_ns[s]));
            out_json_u64(&j, NULL, cp->wrr_weight[s]);
            out_json_end(&j);
        }
        out_json_end(&j);
        out_json_end(&j);
    }
    out_json_end(&j);
    out_json_end(&j);
    out_json_done(&j);
}

void sched_report_csv(FILE *f, const sched_result_t *r)
{
    fprintf(f, "name,class,weight,nice,prio,group,daemon,finished,arrive_ms,finish_ms,turnaround_ms,"
               "first_run_ms,cpu_ms,wait_ms,sleep_ms,share,weight_share,migrations,nvcsw,nivcsw,first_cpu,"
               "last_cpu\n");
    for (size_t i = 0; i < r->ntasks; i++) {
        const sched_task_result_t *t = &r->tasks[i];
        out_csv_field(f, t->name);
        fprintf(f, ",%s,%u,%d,%u,%ju,%d,%d,%.6f,", t->cls, t->weight, t->nice, t->prio, (uintmax_t)t->group,
                t->daemon, t->finished, ms(t->arrive_ns));
        if (t->finished)
            fprintf(f, "%.6f,%.6f,", ms(t->finish_ns), ms(t->finish_ns - t->arrive_ns));
        else
            fprintf(f, ",,");
        if (t->first_run_ns != UINT64_MAX)
            fprintf(f, "%.6f", ms(t->first_run_ns));
        double s = share(t), w = weight_share(t);
        fprintf(f, ",%.6f,%.6f,%.6f,", ms(t->cpu_ns), ms(t->wait_ns), ms(t->sleep_ns));
        if (!isnan(s))
            fprintf(f, "%.6f", s);
        fputc(',', f);
        if (!isnan(w))
            fprintf(f, "%.6f", w);
        fprintf(f, ",%u,%u,%u,%d,%d\n", t->migrations, t->nvcsw, t->nivcsw, t->first_cpu, t->last_cpu);
    }
}

/* ---- gnuplot ------------------------------------------------------------------ */

static void terminal(FILE *gp, const char *out)
{
    size_t n = strlen(out);
    if (n > 4 && !strcmp(out + n - 4, ".svg"))
        fprintf(gp, "set terminal svg size 1100,680 dynamic enhanced font 'Sans,13' background rgb 'white'\n");
    else
        fprintf(gp, "set terminal pngcairo size 1100,680 enhanced font 'Sans,12' background rgb 'white'\n");
    fprintf(gp, "set output ");
    out_json_escape(gp, out, strlen(out)); /* a double-quoted string gnuplot reads */
    fprintf(gp, "\n");
}

#define PLOT_MAX_CPUS 32 /* lines in the weights picture */

int sched_plot(const char *kind, const sched_result_t *r, FILE *dat, FILE *gp, const char *dat_name,
               const char *out, diag_t *d)
{
    if (!strcmp(kind, "gantt")) {
        if (r->nsegments == 0)
            return diag_set(d, NULL, 0, EINVAL, "gantt: no run segments to draw (expected a task to run)");
        for (size_t i = 0; i < r->nsegments; i++) {
            const sched_segment_t *s = &r->segments[i];
            fprintf(dat, "%u %.6f %.6f %u\n", s->cpu, ms(s->start), ms(s->end), s->task + 1);
        }
        terminal(gp, out);
        fprintf(gp, "set title 'Gantt chart: %u CPUs, %zu tasks (one colour a task)'\n", r->ncpus, r->ntasks);
        fprintf(gp, "set xlabel 'time (ms)'\nset ylabel 'CPU'\nset yrange [-0.6:%u.6]\n", r->ncpus - 1);
        fprintf(gp, "set ytics 1\nset style fill solid 1.0 noborder\nset grid xtics\n");
        fprintf(gp, "plot ");
        out_json_escape(gp, dat_name, strlen(dat_name));
        fprintf(gp, " using (($2+$3)/2):1:(($3-$2)/2):(0.4):4 with boxxyerror lc variable notitle\n");
        return 0;
    }
    if (!strcmp(kind, "weights")) {
        if (r->nsamples == 0)
            return diag_set(d, NULL, 0, EINVAL, "weights: no samples (expected a run of some length)");
        unsigned n = r->ncpus < PLOT_MAX_CPUS ? r->ncpus : PLOT_MAX_CPUS;
        for (size_t s = 0; s < r->nsamples; s++) {
            fprintf(dat, "%.6f", ms(r->sample_ns[s]));
            for (unsigned c = 0; c < n; c++)
                fprintf(dat, " %u", r->cpus[c].wrr_weight[s]);
            fputc('\n', dat);
        }
        terminal(gp, out);
        fprintf(gp, "set title 'Total WRR weight per CPU over time%s (balance error %.2f)'\n",
                r->ncpus > n ? " (first 32 CPUs)" : "", r->balance_error);
        fprintf(gp, "set xlabel 'time (ms)'\nset ylabel 'total weight of runnable WRR tasks'\n"
                    "set key outside right\nset grid\n");
        fprintf(gp, "plot for [c=0:%u] ", n - 1);
        out_json_escape(gp, dat_name, strlen(dat_name));
        fprintf(gp, " using 1:(column(c+2)) with steps lw 2 title sprintf('CPU %%d', c)\n");
        return 0;
    }
    if (!strcmp(kind, "turnaround")) {
        size_t k = 0;
        for (size_t i = 0; i < r->ntasks; i++) {
            const sched_task_result_t *t = &r->tasks[i];
            if (t->finished && !strcmp(t->cls, "wrr")) {
                fprintf(dat, "%u %.6f \"%s\"\n", t->weight, ms(t->finish_ns - t->arrive_ns), t->name);
                k++;
            }
        }
        if (k == 0)
            return diag_set(d, NULL, 0, EINVAL, "turnaround: no finished WRR task (expected one)");
        terminal(gp, out);
        fprintf(gp, "set title 'Turnaround against WRR weight'\nset xlabel 'weight'\n"
                    "set ylabel 'turnaround (ms)'\nset xrange [0:21]\nset xtics 1\nset grid\n");
        fprintf(gp, "plot ");
        out_json_escape(gp, dat_name, strlen(dat_name));
        fprintf(gp, " using 1:2 with points pt 7 ps 1.3 title 'finished WRR tasks'\n");
        return 0;
    }
    return diag_set(d, NULL, 0, EINVAL, "unknown picture '%s' (expected gantt, weights or turnaround)", kind);
}
