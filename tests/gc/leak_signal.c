/* SPDX-License-Identifier: MIT */
/* leak_signal.c - leaks 123 bytes, then dies of SIGTERM: the leak finder
 * reports from its signal handler and the status is 128 + 15. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void lose(void)
{
    char *volatile p = malloc(123);
    memset(p, 7, 123);
}

__attribute__((noinline)) static void scrub(void)
{
    volatile char buf[16384];
    memset((char *)buf, 0, sizeof buf);
}

/* two calls deep, so that the dead slot holding the pointer lies well
 * inside the area scrub's buffer covers */
__attribute__((noinline)) static void mid(void)
{
    volatile char pad[256];
    pad[0] = 1;
    lose();
    __asm__ volatile("" : : "r"(pad) : "memory");
}

int main(void)
{
    mid();
    scrub();
    raise(SIGTERM);
    return 0;
}
