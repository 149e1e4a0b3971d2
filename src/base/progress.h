/* SPDX-License-Identifier: MIT */
/*
 * progress.h - the one progress line of vmlab's long commands, on stderr and
 * on a terminal only:
 *
 *     vmlab sim: traces/bzip.trace.gz:  42% (21 M references simulated)
 *     vmlab gen: zipf: 10 M references written           (total unknown)
 *
 * A command starts one, reports (done, total, count) as often as it likes and
 * ends it; the line is redrawn in place ('\r') at most every
 * PROGRESS_PERIOD_NS, appears only once the command has run PROGRESS_DELAY_NS
 * (so quick runs print nothing), and is erased ("\r\033[K") at the end, so
 * stderr keeps only real messages.  `done` of `total` gives the percentage
 * (bytes of input, curves, steps: whatever measures the work), `count` the
 * figure in parentheses with its unit (references, operations); counts from
 * 2^20 up are shown in M (2^20, as sim always did).
 *
 * The terminal and the clock come from the env layer (env_isatty,
 * env_now_ns) through progress_env_t, so tests drive it with a fake terminal
 * and a fake clock.  VMLAB_PROGRESS=fake in the environment makes the default
 * environment such a fake (every stream counts as a terminal, each clock
 * reading is one second later than the last), for the command-line tests;
 * VMLAB_PROGRESS=fake-stderr is the same fake with only stderr a terminal.
 *
 * Other output to the same terminal: a command that prints to stdout while
 * its line is up calls progress_hide first (the line comes back at the next
 * redraw), so its text never follows a half line.
 *
 * Not thread-safe: a command reporting from several threads serialises its
 * calls (sim does, under its run lock).
 */
#ifndef VMLAB_BASE_PROGRESS_H
#define VMLAB_BASE_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#define PROGRESS_DELAY_NS 500000000ull  /* silent for the first half second */
#define PROGRESS_PERIOD_NS 100000000ull /* at most ten redraws a second */
#define PROGRESS_NAME_MAX 40            /* longer names keep their last bytes */

/* Where the line goes and what time it is: the env layer, or a fake. */
typedef struct progress_env {
    int (*isatty)(FILE *fp);  /* is fp a terminal? */
    uint64_t (*now_ns)(void); /* monotonic nanoseconds */
} progress_env_t;

typedef struct progress {
    FILE *fp;                  /* stderr; NULL: off (not wanted, or not a terminal) */
    const progress_env_t *env; /* the terminal and the clock */
    const char *cmd;           /* "sim": the line starts "vmlab sim: " */
    char name[PROGRESS_NAME_MAX + 4]; /* what is worked on, shortened to fit ("..." + tail) */
    const char *unit;          /* after the count: "references simulated" */
    uint64_t start_ns;         /* when progress_start ran */
    uint64_t last_ns;          /* last redraw; 0: none yet */
    int drawn;                 /* 1: a line is on the terminal, erase it at the end */
} progress_t;

/* The default environment (env_isatty, env_now_ns; or the fake one when
 * VMLAB_PROGRESS=fake). */
const progress_env_t *progress_env_default(void);

/* Start a line for `cmd` working on `name` (NULL: none), with `unit` after
 * the count.  wanted 0 (--no-progress) or fp not a terminal: every later
 * call does nothing.  env NULL: progress_env_default(). */
void progress_start(progress_t *p, const progress_env_t *env, FILE *fp, int wanted,
                    const char *cmd, const char *name, const char *unit);
/* done of total (total 0: unknown, no percentage), count in unit. */
void progress_update(progress_t *p, uint64_t done, uint64_t total, uint64_t count);
/* Change what follows the count ("references read" -> "simulated"): a new
 * phase, drawn at the next update whatever the period (once past the
 * initial delay). */
void progress_set_unit(progress_t *p, const char *unit);
/* Change the name (a new phase: "trace.gz: lru"), shortened as at start. */
void progress_set_name(progress_t *p, const char *name);
/* progress_update for callbacks that take a void *ctx (the progress_t), as
 * trace_opts_t.progress does. */
void progress_cb(void *ctx, uint64_t done, uint64_t total, uint64_t count);
/* Erase the line if one was drawn, to print something else; the next
 * update draws it again. */
void progress_hide(progress_t *p);
/* Erase the line if one was drawn; p may be started again. */
void progress_end(progress_t *p);
/* Whether updates can draw at all (a terminal, wanted): lets a caller skip
 * gathering figures it would only pass to progress_update. */
static inline int progress_on(const progress_t *p)
{
    return p->fp != NULL;
}

#endif
