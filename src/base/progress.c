/* SPDX-License-Identifier: MIT */
/*
 * progress.c - the progress line of long commands (progress.h): a rate-
 * limited, in-place redrawn stderr line shown on terminals only.
 */
#include "base/progress.h"

#include <stdlib.h>
#include <string.h>

#include "vmlab/env.h"

static const progress_env_t real_env = {env_isatty, env_now_ns};

/* VMLAB_PROGRESS=fake: a terminal everywhere and a clock that moves one
 * second per reading, so every update after the first draws.
 * VMLAB_PROGRESS=fake-stderr: the same, but only stderr is a terminal (for
 * record, which draws only when its program's stdout is elsewhere). */
static int fake_isatty(FILE *fp)
{
    (void)fp;
    return 1;
}

static int fake_stderr_isatty(FILE *fp)
{
    return fp == stderr;
}

static uint64_t fake_now_ns(void)
{
    static uint64_t t;
    return t += 1000000000ull;
}

static const progress_env_t fake_env = {fake_isatty, fake_now_ns};
static const progress_env_t fake_stderr_env = {fake_stderr_isatty, fake_now_ns};

const progress_env_t *progress_env_default(void)
{
    const char *v = getenv("VMLAB_PROGRESS");
    if (v && strcmp(v, "fake") == 0)
        return &fake_env;
    return v && strcmp(v, "fake-stderr") == 0 ? &fake_stderr_env : &real_env;
}

void progress_set_name(progress_t *p, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n <= PROGRESS_NAME_MAX) {
        memcpy(p->name, name ? name : "", n);
        p->name[n] = '\0';
    } else {
        /* The tail of a path names the file; its directories matter less. */
        memcpy(p->name, "...", 3);
        memcpy(p->name + 3, name + n - (PROGRESS_NAME_MAX - 3), PROGRESS_NAME_MAX - 3);
        p->name[PROGRESS_NAME_MAX] = '\0';
    }
}

void progress_set_unit(progress_t *p, const char *unit)
{
    p->unit = unit ? unit : "";
    p->last_ns = 0; /* a new phase shows at its first update */
}

void progress_hide(progress_t *p)
{
    if (p->fp && p->drawn) {
        fputs("\r\033[K", p->fp);
        fflush(p->fp);
        p->drawn = 0;
    }
}

void progress_start(progress_t *p, const progress_env_t *env, FILE *fp, int wanted,
                    const char *cmd, const char *name, const char *unit)
{
    memset(p, 0, sizeof *p);
    p->env = env ? env : progress_env_default();
    p->cmd = cmd;
    progress_set_name(p, name);
    progress_set_unit(p, unit);
    if (!wanted || !fp || !p->env->isatty(fp))
        return;
    p->fp = fp;
    p->start_ns = p->env->now_ns();
}

void progress_update(progress_t *p, uint64_t done, uint64_t total, uint64_t count)
{
    if (!p->fp)
        return;
    uint64_t now = p->env->now_ns();
    if (now - p->start_ns < PROGRESS_DELAY_NS ||
        (p->last_ns && now - p->last_ns < PROGRESS_PERIOD_NS))
        return;
    p->last_ns = now;
    char num[32];
    if (count >= (1u << 20))
        snprintf(num, sizeof num, "%llu M", (unsigned long long)(count >> 20));
    else
        snprintf(num, sizeof num, "%llu", (unsigned long long)count);
    /* "\033[K" clears what a longer earlier line left to the right. */
    fprintf(p->fp, "\rvmlab %s: %s%s", p->cmd, p->name, p->name[0] ? ": " : "");
    if (total) {
        double pct = 100.0 * (double)(done < total ? done : total) / (double)total;
        fprintf(p->fp, "%3.0f%% (%s %s)\033[K", pct, num, p->unit);
    } else {
        fprintf(p->fp, "%s %s\033[K", num, p->unit);
    }
    fflush(p->fp);
    p->drawn = 1;
}

void progress_cb(void *ctx, uint64_t done, uint64_t total, uint64_t count)
{
    progress_update(ctx, done, total, count);
}

void progress_end(progress_t *p)
{
    progress_hide(p);
    p->fp = NULL;
}
