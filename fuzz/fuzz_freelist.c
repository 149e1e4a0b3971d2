/* SPDX-License-Identifier: MIT */
/*
 * fuzz_freelist.c - libFuzzer target for `vmlab malloc freelist`'s operation
 * lists (malloc.py -A syntax) and the model under them: the first bytes pick
 * the heap, fit, order, coalescing, header and alignment, the rest is the
 * list.  flm_check (heap covered exactly by free and allocated chunks) runs
 * at the end.  Must never crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/freelist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ctx, const flm_t *f, const flm_event_t *e)
{
    (void)ctx;
    (void)f;
    (void)e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    flm_config_t cfg = flm_config_default();
    flm_t *f;
    diag_t d;
    char *list;
    if (size < 4)
        return 0;
    cfg.size = 1 + data[0];
    cfg.policy = (flm_policy_t)(data[1] % 3);
    cfg.order = (flm_order_t)(data[1] / 3 % 5);
    cfg.coalesce = data[1] >= 128;
    cfg.header = data[2] % 9;
    cfg.align = data[3] % 9;
    if (!(list = malloc(size - 3)))
        return 0;
    memcpy(list, data + 4, size - 4);
    list[size - 4] = '\0';
    if ((f = flm_new(&cfg))) {
        flm_script_run(f, list, ignore, NULL, &d);
        flm_check(f);
        flm_free_all(f);
    }
    free(list);
    return 0;
}
