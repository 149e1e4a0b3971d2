/* SPDX-License-Identifier: MIT */
/*
 * plant.c - a process with known copies of a 32-bit value in its heap,
 * stack and data, for the scan tests:
 *
 *     plant VALUE NHEAP NSTACK NDATA [BIG_MIB]
 *     plant x:HEX NHEAP NSTACK NDATA
 *
 * prints "pid PID", one "planted REGION 0xADDR" line per copy and "ready",
 * then waits.  SIGUSR1 adds one to the first half (rounded up) of the
 * copies in each region and prints "changed N"; SIGTERM ends it.  BIG_MIB
 * mallocs that many MiB of pseudo-random words (never VALUE) too, for the
 * benchmark.  No other copy of VALUE exists: it is parsed and stored by a
 * function whose frame is then overwritten, so no register or spilled local
 * keeps it.
 *
 * With x:HEX the copies are those bytes (1..64 of them, given in hex so
 * that the command line, on the stack, holds no copy), at multiples of 16
 * bytes from the start of each area and at least 48 bytes apart, and
 * SIGUSR1 adds one to the first byte of the first half of them.
 *
 * When glibc registered a restartable-sequences area for the thread (glibc
 * 2.35+, Linux 4.18+), a line "rseq 0xADDR" follows the pid: the kernel
 * writes the number of the CPU the thread runs on into its first two u32
 * fields (cpu_id_start, cpu_id; include/uapi/linux/rseq.h) whenever the
 * thread returns to user space on another CPU, so those eight bytes change
 * while the program itself does nothing.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#define PLANT_RSEQ 1
#endif
#endif

#define SLOTS 1024

static volatile uint32_t data_area[SLOTS] = {1}; /* .data */
static volatile uint32_t *heap_area;
static volatile uint32_t *stack_area;
static int nheap, nstack, ndata;
static size_t plen; /* x:HEX: bytes in the pattern, else 0 */
static volatile sig_atomic_t usr1, term;

static void on_sig(int s)
{
    if (s == SIGUSR1)
        usr1 = 1;
    else
        term = 1;
}

/* Slot of copy i in each region: spread out, never adjacent. */
static size_t slot(int region, int i)
{
    return (size_t)(i * (3 + 2 * region) + 1 + region);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Byte offset of copy i of a pattern: slot() in 16-byte units. */
static size_t boff(int region, int i)
{
    return slot(region, i) * 16;
}

__attribute__((noinline)) static int plant_bytes(const char *hex)
{
    unsigned char pat[64];
    int n[3] = {nheap, nstack, ndata};
    volatile unsigned char *area[3] = {(volatile unsigned char *)heap_area,
                                       (volatile unsigned char *)stack_area,
                                       (volatile unsigned char *)data_area};
    for (plen = 0; hex[2 * plen] && plen < sizeof pat; plen++) {
        int hi = hexval(hex[2 * plen]), lo = hi < 0 ? -1 : hexval(hex[2 * plen + 1]);
        if (lo < 0)
            return -1;
        pat[plen] = (unsigned char)(hi << 4 | lo);
    }
    if (plen == 0 || hex[2 * plen])
        return -1;
    for (int r = 0; r < 3; r++)
        if (n[r] && boff(r, n[r] - 1) + plen > SLOTS * sizeof(uint32_t))
            return -1;
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < n[r]; i++)
            for (size_t j = 0; j < plen; j++)
                area[r][boff(r, i) + j] = pat[j];
    memset(pat, 0, sizeof pat);
    return 0;
}

__attribute__((noinline)) static void plant(const char *arg)
{
    uint32_t v = (uint32_t)strtoul(arg, NULL, 0);
    for (int i = 0; i < nheap; i++)
        heap_area[slot(0, i)] = v;
    for (int i = 0; i < nstack; i++)
        stack_area[slot(1, i)] = v;
    for (int i = 0; i < ndata; i++)
        data_area[slot(2, i)] = v;
}

/* Overwrite the dead stack below the caller, where plant()'s frame was. */
__attribute__((noinline)) static void scrub(void)
{
    volatile char pad[65536];
    memset((char *)pad, 0, sizeof pad);
}

static void bump(volatile uint32_t *a, int region, int n)
{
    for (int i = 0; i < (n + 1) / 2; i++) {
        if (plen)
            ((volatile unsigned char *)a)[boff(region, i)] += 1;
        else
            a[slot(region, i)] += 1;
    }
}

static void *addr_of(volatile uint32_t *a, int region, int i)
{
    return plen ? (void *)((volatile unsigned char *)a + boff(region, i))
                : (void *)&a[slot(region, i)];
}

int main(int argc, char **argv)
{
    volatile uint32_t stack_slots[SLOTS];
    sigset_t block, old;
    if (argc < 5) {
        fprintf(stderr, "usage: plant VALUE NHEAP NSTACK NDATA [BIG_MIB]\n");
        return 2;
    }
    nheap = atoi(argv[2]);
    nstack = atoi(argv[3]);
    ndata = atoi(argv[4]);
    if (nheap < 0 || nstack < 0 || ndata < 0 || nheap > 200 || nstack > 200 || ndata > 200)
        return 2;
    memset((void *)stack_slots, 0, sizeof stack_slots);
    stack_area = stack_slots;
    heap_area = calloc(SLOTS, sizeof *heap_area); /* 4 KiB: the brk heap */
    if (!heap_area)
        return 1;
    if (argc > 5) {
        size_t n = (size_t)atol(argv[5]) << 18; /* words */
        uint32_t *big = malloc(n * sizeof *big), x = 2463534242u;
        uint32_t v = (uint32_t)strtoul(argv[1], NULL, 0);
        if (!big)
            return 1;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            big[i] = x == v ? x + 1 : x;
        }
        v = 0;
    }
    if (strncmp(argv[1], "x:", 2) == 0) {
        if (argc > 5 || plant_bytes(argv[1] + 2))
            return 2;
    } else {
        plant(argv[1]);
    }
    signal(SIGUSR1, on_sig);
    signal(SIGTERM, on_sig);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    printf("pid %d\n", (int)getpid());
#ifdef PLANT_RSEQ
    if (__rseq_size > 0)
        printf("rseq %p\n", (void *)((char *)__builtin_thread_pointer() + __rseq_offset));
#endif
    for (int i = 0; i < nheap; i++)
        printf("planted heap %p\n", addr_of(heap_area, 0, i));
    for (int i = 0; i < nstack; i++)
        printf("planted stack %p\n", addr_of(stack_area, 1, i));
    for (int i = 0; i < ndata; i++)
        printf("planted data %p\n", addr_of(data_area, 2, i));
    fflush(stdout);
    scrub();
    printf("ready\n"); /* only now: the memory stays as it is from here on */
    fflush(stdout);
    while (!term) {
        sigsuspend(&old);
        if (usr1) {
            usr1 = 0;
            bump(heap_area, 0, nheap);
            bump(stack_area, 1, nstack);
            bump(data_area, 2, ndata);
            printf("changed %d\n", (nheap + 1) / 2 + (nstack + 1) / 2 + (ndata + 1) / 2);
            fflush(stdout);
            scrub();
        }
    }
    return 0;
}
