/* SPDX-License-Identifier: MIT */
/*
 * fuzz_maps.c - libFuzzer target for the /proc/PID/maps and smaps parser
 * (src/inspect/maps.c), the classifier run on what it accepts, and the ELF
 * program-header reader (src/inspect/elf.c) on the same bytes.
 *
 * Properties: no crash or sanitizer report on any input; an accepted text
 * satisfies inspect_maps_check() before and after classification, and every
 * mapping is found again by inspect_maps_find() at its start and end - 1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/check.h"
#include "vmlab/inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    inspect_maps_t mm;
    inspect_elf_t e;
    diag_t d;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (inspect_maps_parse("fuzz", text, size, &mm, &d) == 0) {
        inspect_maps_check(&mm);
        inspect_classify(&mm, NULL, NULL, NULL);
        inspect_maps_check(&mm);
        for (size_t i = 0; i < mm.n; i++) {
            VL_ASSERT(inspect_maps_find(&mm, mm.m[i].start) == &mm.m[i]);
            VL_ASSERT(inspect_maps_find(&mm, mm.m[i].end - 1) == &mm.m[i]);
        }
        inspect_maps_free(&mm);
    }
    if (inspect_elf_parse(data, size, &e) == 0)
        VL_ASSERT(e.nload > 0 && e.nload <= INSPECT_ELF_MAX_LOADS);
    free(text);
    return 0;
}
