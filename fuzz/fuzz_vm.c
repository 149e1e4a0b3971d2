/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vm.c - libFuzzer target for `vmlab vm`'s inputs: the address file
 * (osc_vm_parse_addresses) and the backing store (osc_backing_store_read behind
 * osc_vm_access), over configurations chosen by the input.
 *
 * Input: byte 0 chooses frames (1 + b % 64) and the policies; byte 1 the
 * page size (2^(4 + b % 9)), the TLB size (1 + (b >> 4)) and TLB fill; the
 * rest is split at the first 0xff byte: before it the address text, after it
 * the backing store's bytes (any length: a store shorter than a page read
 * must make osc_vm_access fail with -EIO, never read past it).
 * Checked beyond "no crash": a parse error has a message and a line; every
 * accepted address is below 2^16; every value osc_vm_access returns is the
 * store's byte at the physical page's store offset; osc_vm_check holds after
 * every access.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/backing_store.h"
#include "vmlab/vm.h"

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_vm: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    osc_vm_config_t cfg = osc_vm_config_default();
    cfg.frames = 1 + data[0] % 64;
    cfg.policy = (data[0] >> 6) & 1 ? OSC_VM_LRU : OSC_VM_FIFO;
    cfg.tlb_policy = (data[0] >> 7) & 1 ? OSC_VM_LRU : OSC_VM_FIFO;
    cfg.page_bits = 4 + data[1] % 9;
    cfg.tlb_entries = 1 + (data[1] >> 4);
    cfg.tlb_fill = (data[1] >> 3) & 1 ? OSC_VM_TLB_FILL_FAULT : OSC_VM_TLB_FILL_MISS;
    cfg.lru_touch_tlb_hits = !((data[1] >> 2) & 1);
    const uint8_t *text = data + 2, *end = data + size;
    const uint8_t *sep = memchr(text, 0xff, (size_t)(end - text));
    size_t tlen = (size_t)((sep ? sep : end) - text);
    osc_backing_store_t bs = {0};
    if (sep) {
        bs.len = (size_t)(end - sep - 1);
        bs.data = malloc(bs.len + 1);
        check(bs.data != NULL, "malloc");
        memcpy(bs.data, sep + 1, bs.len);
    }
    /* the parser is given text NUL-terminated one past its length, as
     * env_read_text hands it over */
    char *t = malloc(tlen + 1);
    check(t != NULL, "malloc");
    memcpy(t, text, tlen);
    t[tlen] = '\0';
    uint32_t *addrs = NULL;
    size_t n = 0;
    diag_t d;
    diag_clear(&d);
    if (osc_vm_parse_addresses("fuzz", t, tlen, cfg.addr_bits, &addrs, &n, &d) != 0) {
        check(d.msg[0] != '\0' && d.line > 0, "parse error without a message or line");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        check(addrs[i] < (1u << cfg.addr_bits), "an address beyond 16 bits");
    osc_vm_t *vm;
    if (osc_vm_config_validate(&cfg, &d) != 0) {
        free(addrs);
        goto out;
    }
    check(osc_vm_new(&vm, &cfg, osc_backing_store_read, &bs, &d) == 0, "osc_vm_new");
    for (size_t i = 0; i < n && i < 4096; i++) {
        osc_vm_event_t ev;
        int rc = osc_vm_access(vm, addrs[i], &ev);
        if (rc != 0) {
            check(rc == -EIO, "osc_vm_access failed other than -EIO");
            check(bs.len < ((size_t)(addrs[i] >> cfg.page_bits) + 1) << cfg.page_bits,
                  "-EIO although the store holds the page");
            break;
        }
        check(ev.store_offset == 0 || ev.page_fault, "a store offset without a fault");
        check((uint8_t)ev.value ==
                  (uint8_t)bs.data[((size_t)ev.page << cfg.page_bits) + ev.offset],
              "the value is not the store's byte");
        osc_vm_check(vm);
    }
    osc_vm_free(vm);
    free(addrs);
out:
    free(t);
    free(bs.data);
    return 0;
}
