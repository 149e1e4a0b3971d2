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

/* Long options without a short form. */
enum { O_VALUE = CLI_OPT_BASE, O_NO_DUMPABLE };

static const struct option target_opts[] = {
    {"value", required_argument, 0, O_VALUE},
    {"no-dumpable", no_argument, 0, O_NO_DUMPABLE},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* The command line of `target`, parsed. */
typedef struct target_cli {
    int32_t start; /* --value: the value's start (default 1) */
    int dumpable;  /* 0: --no-dumpable */
} target_cli_t;

/* One option into *c: 0, CLI_USAGE, or CLI_SERVED. */
static int parse_opt(target_cli_t *c, int opt, const char *arg)
{
    char *end;
    long long v;
    switch (opt) {
    case O_VALUE:
        errno = 0;
        v = strtoll(arg, &end, 0);
        if (end == arg || *end || errno || v < INT32_MIN || v > INT32_MAX)
            return cli_usage("target", "--value '%s' does not fit i32 (expected "
                                       "-2147483648..2147483647)",
                             arg);
        c->start = (int32_t)v;
        return 0;
    case O_NO_DUMPABLE: c->dumpable = 0; return 0;
    case 'h': fputs(target_help, stdout); return CLI_SERVED;
    default: return CLI_USAGE; /* cli_getopt said which */
    }
}

/* The whole command line into *c: 0, CLI_USAGE, or CLI_SERVED. */
static int parse(target_cli_t *c, int argc, char **argv)
{
    int opt, rc;
    c->start = 1;
    c->dumpable = 1;
    optind = 1;
    while ((opt = cli_getopt("target", argc, argv, "h", target_opts)) != -1)
        if ((rc = parse_opt(c, opt, optarg)) != 0)
            return rc;
    if (optind < argc)
        return cli_usage("target", "unexpected argument '%s'", argv[optind]);
    return 0;
}

/* SIGUSR1, SIGTERM and SIGINT to on_signal, blocked except inside ppoll
 * with *wait_mask, so none is lost between checking the flags and sleeping. */
static void catch_signals(sigset_t *wait_mask)
{
    struct sigaction sa;
    sigset_t block;
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
    sigprocmask(SIG_BLOCK, &block, wait_mask);
    sigdelset(wait_mask, SIGUSR1);
    sigdelset(wait_mask, SIGTERM);
    sigdelset(wait_mask, SIGINT);
}

/* The contract line and the value's, flushed before anything else. */
static void print_contract(void)
{
    printf("pid %d addr %p\n", (int)getpid(), (void *)&target_area.value);
    printf("value %" PRId32 " (int32 in the data segment; %d scratch bytes follow; "
           "kill -USR1 %d adds one%s)\n",
           target_area.value, TARGET_AREA - 4, (int)getpid(),
           isatty(0) ? ", so does any key, q quits" : "");
    fflush(stdout);
}

/* On a terminal, keys one at a time and unechoed: 1 and the old settings
 * in *saved; 0 when stdin is no terminal. */
static int tty_raw(struct termios *saved)
{
    struct termios raw;
    if (!(isatty(0) && tcgetattr(0, saved) == 0))
        return 0;
    raw = *saved;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tcsetattr(0, TCSANOW, &raw);
    return 1;
}

/* Add one per SIGUSR1 and per key (tty), printing each change, until
 * SIGTERM, SIGINT, 'q' or ^D. */
static void wait_loop(int tty, const sigset_t *wait_mask)
{
    while (!got_term) {
        struct pollfd pfd = {0, POLLIN, 0};
        int r = ppoll(&pfd, tty ? 1 : 0, NULL, wait_mask);
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
}

/* Be the victim: print the contract, count, until told to end. */
static int serve(const target_cli_t *c)
{
    sigset_t wait_mask;
    struct termios saved;
    int tty;
    if (!c->dumpable && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        cli_error("target: prctl(PR_SET_DUMPABLE, 0): %s", strerror(errno));
        return CLI_ERR;
    }
    target_area.value = c->start;
    catch_signals(&wait_mask);
    print_contract();
    tty = tty_raw(&saved);
    wait_loop(tty, &wait_mask);
    if (tty)
        tcsetattr(0, TCSANOW, &saved);
    return CLI_OK;
}

int cmd_target(int argc, char **argv)
{
    target_cli_t c;
    int rc = parse(&c, argc, argv);
    if (rc == 0)
        rc = serve(&c);
    return rc == CLI_SERVED ? CLI_OK : rc;
}
