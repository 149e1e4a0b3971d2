/* SPDX-License-Identifier: MIT */
/*
 * fuzz_kmem_real.c - libFuzzer target for the /proc/slabinfo and
 * /proc/buddyinfo parsers of `vmlab kmem --real` (src/kmem/report.c), with
 * the fragmentation indices and every report printed on what they accept.
 *
 * Properties: no crash or sanitizer report; errors name a line of the
 * input; indices stay within the kernel's ranges (extfrag -1000..1000: one small
 * free block gives a negative index, as in Linux; unusable 0..1000); a slabinfo that parsed prints text that parses back to
 * the same numbers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"
#include "vmlab/kmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kmem_slabinfo_t *s = NULL, *s2 = NULL;
    kmem_zoneinfo_t *z = NULL;
    size_t n = 0, n2 = 0;
    unsigned long lines = 1;
    diag_t d;
    FILE *null = fopen("/dev/null", "w");
    if (!null)
        return 0;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    if (kmem_parse_buddyinfo((const char *)data, size, "fuzz", &z, &n, &d) == 0) {
        for (size_t i = 0; i < n; i++)
            for (unsigned o = 0; o < z[i].norders; o++) {
                int e = kmem_extfrag_index(&z[i], o), u = kmem_unusable_index(&z[i], o);
                VL_ASSERT(e >= -1000 && e <= 1000);
                VL_ASSERT(u >= 0 && u <= 1000);
            }
        kmem_print_buddyinfo(null, z, n);
        kmem_print_extfrag(null, z, n);
        kmem_print_unusable(null, z, n);
    } else {
        VL_ASSERT(d.line <= lines);
    }
    if (kmem_parse_slabinfo((const char *)data, size, "fuzz", &s, &n, &d) == 0) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        kmem_print_slabtop(null, s, n, 50);
        if (f) {
            kmem_print_slabinfo(f, s, n);
            fclose(f);
            VL_ASSERT(kmem_parse_slabinfo(buf, len, "again", &s2, &n2, &d) == 0 && n2 == n);
            for (size_t i = 0; i < n; i++)
                VL_ASSERT(strcmp(s[i].name, s2[i].name) == 0 && s[i].num_objs == s2[i].num_objs &&
                          s[i].sharedavail == s2[i].sharedavail);
            free(buf);
            free(s2);
        }
    } else {
        VL_ASSERT(d.line <= lines);
    }
    free(s);
    free(z);
    fclose(null);
    return 0;
}
