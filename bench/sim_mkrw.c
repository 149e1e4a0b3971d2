/* SPDX-License-Identifier: MIT */
/*
 * sim_mkrw.c - for bench_sim.sh: turn gen_trace's raw u64 ids into the `rw`
 * text format ("%x R", one in ten a W), so the text reader and the binary
 * format are measured on the same references (read with --page-size 1).
 */
#include <inttypes.h>
#include <stdio.h>

int main(void)
{
    uint64_t id, i = 0;
    static char buf[1 << 16];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    while (fread(&id, sizeof id, 1, stdin) == 1)
        printf("%" PRIx64 " %c\n", id, i++ % 10 == 9 ? 'W' : 'R');
    return 0;
}
