/* SPDX-License-Identifier: MIT */
/*
 * cmd_target.c - `vmlab target [--value N]`: a small victim for peek, poke
 * and scan, as the CS:APP notes' test program: it prints its pid and the
 * address of an int32 value, then waits; SIGUSR1 adds one to the value, a
 * key press on a terminal does too, SIGTERM (or 'q') ends it.
 *
 * The value lives at the start of a page-aligned 4 KiB area in the data
 * segment of vmlab itself (a static with a non-zero initialiser, so .data,
 * never moved): the 4092 bytes after it are scratch for poking wider types
 * and strings.  The first line, `pid PID addr 0xADDR`, is flushed before
 * anything else, so a script can read it from a pipe.
 *
 * Waiting is ppoll() with the signals blocked except inside it, so no
 * signal is lost between checking the flags and sleeping.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

#define TARGET_AREA 4096

/* The value and the scratch bytes after it, in .data. */
static struct {
    volatile int32_t value;                      /* what SIGUSR1 increments */
    volatile unsigned char scratch[TARGET_AREA - 4]; /* free for poke exercises */
} target_area __attribute__((aligned(TARGET_AREA))) = {1, {'v', 'm', 'l', 'a', 'b', 0}};

static volatile sig_atomic_t got_usr1, got_term;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        got_usr1++;
    else
        got_term = 1;
}

static const char target_help[] =
    "usage: vmlab target [--value N] [--no-dumpable]\n"
    "\n"
    "A victim process for peek, poke and scan.  Prints 'pid PID addr 0xADDR' on its\n"
    "first line (ADDR: an int32 in the data segment, followed by 4092 scratch bytes\n"
    "for other types), then waits.  SIGUSR1 adds one to the value (kill -USR1 PID),\n"
    "and on a terminal so does any key ('q' quits); SIGTERM or SIGINT ends it.  Each\n"
    "change is printed as 'value N'.\n"
    "\n"
    "      --value N       the value's start (default 1; -2147483648..2147483647)\n"
    "      --no-dumpable   prctl(PR_SET_DUMPABLE, 0): then only CAP_SYS_PTRACE may\n"
    "                      read it, even as the same user\n"
    "  -h, --help          this help\n";

int cmd_target(int argc, char **argv)
{
    static const struct option opts[] = {
        {"value", required_argument, 0, 1},
        {"no-dumpable", no_argument, 0, 2},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct sigaction sa;
    sigset_t block, wait_mask;
    struct termios saved, raw;
    int c, tty, dumpable = 1;
    long long start = 1;

    optind = 1;
    while ((c = cli_getopt("target", argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 1: {
            char *end;
            errno = 0;
            start = strtoll(optarg, &end, 0);
            if (end == optarg || *end || errno || start < INT32_MIN || start > INT32_MAX)
                return cli_usage("target", "--value '%s' does not fit i32 (expected "
                                           "-2147483648..2147483647)",
                                 optarg);
            break;
        }
        case 2: dumpable = 0; break;
        case 'h': fputs(target_help, stdout); return CLI_OK;
        default: return CLI_USAGE; /* cli_getopt said which */
        }
    }
    if (optind < argc)
        return cli_usage("target", "unexpected argument '%s'", argv[optind]);
    if (!dumpable && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        cli_error("target: prctl(PR_SET_DUMPABLE, 0): %s", strerror(errno));
        return CLI_ERR;
    }
    target_area.value = (int32_t)start;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, SIGUSR1);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);

    printf("pid %d addr %p\n", (int)getpid(), (void *)&target_area.value);
    printf("value %" PRId32 " (int32 in the data segment; %d scratch bytes follow; "
           "kill -USR1 %d adds one%s)\n",
           target_area.value, TARGET_AREA - 4, (int)getpid(),
           isatty(0) ? ", so does any key, q quits" : "");
    fflush(stdout);

    tty = isatty(0) && tcgetattr(0, &saved) == 0;
    if (tty) {
        raw = saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        tcsetattr(0, TCSANOW, &raw);
    }
    while (!got_term) {
        struct pollfd pfd = {0, POLLIN, 0};
        int r = ppoll(&pfd, tty ? 1 : 0, NULL, &wait_mask);
        int bump = 0;
        if (r > 0 && (pfd.revents & POLLIN)) {
            char ch;
            if (read(0, &ch, 1) == 1) {
                if (ch == 'q' || ch == 4)
                    break;
                bump = 1;
            }
        }
        if (got_usr1) {
            bump += (int)got_usr1;
            got_usr1 = 0;
        }
        if (bump) {
            target_area.value += bump;
            printf("value %" PRId32 "\n", target_area.value);
            fflush(stdout);
        }
    }
    if (tty)
        tcsetattr(0, TCSANOW, &saved);
    return CLI_OK;
}
