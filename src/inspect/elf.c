/* SPDX-License-Identifier: MIT */
/*
 * elf.c - the ELF64 program headers, which decide how a file is mapped.
 *
 * The loader (the kernel for the executable and the interpreter, ld.so for
 * the rest) maps each PT_LOAD segment with its own permissions: that is why
 * one file appears in /proc/PID/maps three to five times (System V ABI,
 * "Program Loading"; glibc elf/dl-map-segments.h).  PT_GNU_RELRO marks the
 * start of the RW segment that ld.so mprotect()s read-only once relocations
 * are done, splitting that segment into an r-- and an rw- mapping.
 *
 * Only what the classifier needs is read: e_type and the program headers,
 * from a buffer holding the start of the file (tests pass fake headers).
 */
#include "vmlab/inspect.h"

#include <errno.h>
#include <string.h>

static uint64_t rd(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

int inspect_elf_parse(const void *buf, size_t n, inspect_elf_t *out)
{
    const unsigned char *b = buf;
    uint64_t phoff, phentsize, phnum;

    memset(out, 0, sizeof *out);
    if (n < 64 || memcmp(b, "\177ELF", 4) != 0 || b[4] != 2 /* ELFCLASS64 */ ||
        b[5] != 1 /* ELFDATA2LSB */)
        return -ENOEXEC;
    out->type = (int)rd(b + 16, 2);
    phoff = rd(b + 32, 8);
    phentsize = rd(b + 54, 2);
    phnum = rd(b + 56, 2);
    if (phentsize < 56 || phoff > n || phnum > (n - phoff) / phentsize)
        return -ENOEXEC;
    for (uint64_t i = 0; i < phnum; i++) {
        const unsigned char *ph = b + phoff + i * phentsize;
        uint32_t type = (uint32_t)rd(ph, 4);
        inspect_elf_seg_t s;
        s.flags = (uint32_t)rd(ph + 4, 4);
        s.offset = rd(ph + 8, 8);
        s.vaddr = rd(ph + 16, 8);
        s.filesz = rd(ph + 32, 8);
        s.memsz = rd(ph + 40, 8);
        if (type == 1 /* PT_LOAD */ && out->nload < INSPECT_ELF_MAX_LOADS)
            out->load[out->nload++] = s;
        else if (type == 0x6474e552 /* PT_GNU_RELRO */) {
            out->relro = s;
            out->has_relro = 1;
        }
    }
    return out->nload ? 0 : -ENOEXEC;
}
