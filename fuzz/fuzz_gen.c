/* SPDX-License-Identifier: MIT */
/*
 * fuzz_gen.c - libFuzzer target for `vmlab gen`'s model specifications
 * ("NAME:key=value,...") and options: any bytes as the spec, with pages,
 * page size and seed from the first bytes.  The parameters are checked by a
 * dry run (length 0); a spec it accepts must then generate a short trace
 * whose every address lies in the page universe and which is the same for
 * the same seed.  Must never crash, leak, or allocate without bound (the
 * linked-list model really allocates: its nodes x size must have been
 * refused if beyond the machine, and the fuzzer's RSS limit catches more).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab/gen.h"

typedef struct sink {
    uint64_t n;     /* references seen */
    uint64_t hash;  /* FNV-1a over (addr, write) */
    uint64_t limit; /* addresses must be below this */
    int bad;        /* an address beyond limit */
} sink_t;

static int emit(void *ctx, uint64_t addr, int write)
{
    sink_t *s = ctx;
    s->n++;
    s->hash = (s->hash ^ addr ^ ((uint64_t)write << 63)) * 0x100000001b3ull;
    if (addr >= s->limit)
        s->bad = 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char spec[256];
    if (size < 3 || size - 3 >= sizeof spec)
        return 0;
    memcpy(spec, data + 3, size - 3);
    spec[size - 3] = '\0';
    gen_opts_t o = {
        .model = spec,
        .length = 0,
        .seed = data[2],
        .pages = 1 + ((uint64_t)data[0] << 4 | (data[1] & 15)),
        .page_bits = 8 + (data[1] >> 4),
    };
    diag_t d;
    sink_t a = {0, 0xcbf29ce484222325ull, 0, 0};
    if (gen_run(&o, emit, &a, &d) != 0) {
        if (d.msg[0] == '\0') {
            fprintf(stderr, "fuzz_gen: an error without a message\n");
            abort();
        }
        return 0;
    }
    /* The linked-list model places nodes where malloc puts them: its
     * addresses are not in the page universe and differ between runs. */
    int real = strncmp(spec, "linked-list", 11) == 0;
    /* belady's string is pages 1..5 whatever the universe */
    int fixed = strncmp(spec, "belady", 6) == 0;
    if (real && strchr(spec, '='))
        return 0; /* parameters that allocate: the dry run is the test */
    o.length = 1 + data[2] % 200;
    sink_t b = {0, 0xcbf29ce484222325ull, real || fixed ? UINT64_MAX : o.pages << o.page_bits, 0};
    sink_t c = b;
    if (gen_run(&o, emit, &b, &d) != 0 || gen_run(&o, emit, &c, &d) != 0)
        return 0;
    if (b.n != o.length || b.bad || (!real && b.hash != c.hash)) {
        fprintf(stderr, "fuzz_gen: %s: %ju refs, bad %d, hashes %jx %jx\n", spec,
                (uintmax_t)b.n, b.bad, (uintmax_t)b.hash, (uintmax_t)c.hash);
        abort();
    }
    return 0;
}
