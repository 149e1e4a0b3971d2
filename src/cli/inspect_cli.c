/* SPDX-License-Identifier: MIT */
/*
 * inspect_cli.c - helpers shared by the commands that look at a real
 * process (see inspect_cli.h).
 */
#include "cli/inspect_cli.h"

#include <string.h>

#include "cli/cli.h"
#include "vmlab/parse.h"

int icli_pid(const char *cmd, const char *arg, int *pid)
{
    uint64_t v;
    if (strcmp(arg, "self") == 0) {
        *pid = 0;
        return 0;
    }
    if (parse_u64_dec(arg, strlen(arg), &v) || v == 0 || v > 0x7fffffff) {
        cli_usage(cmd, "'%s' is not a process id (expected a positive number or 'self')", arg);
        return -1;
    }
    *pid = (int)v;
    return 0;
}

const char *icli_kind(const inspect_map_t *m, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s", m->library ? "lib " : "", inspect_kind_name(m->kind));
    return buf;
}

const char *icli_kind_explain(inspect_kind_t k)
{
    switch (k) {
    case INSPECT_K_TEXT: return "machine code, a PT_LOAD segment with R+X; shared by every process running the file";
    case INSPECT_K_RODATA: return "read-only data, a PT_LOAD segment with R only: ELF headers, symbol tables, .rodata, .eh_frame";
    case INSPECT_K_RELRO: return "the start of the RW segment (.data.rel.ro, .got) that ld.so made read-only once relocated (PT_GNU_RELRO)";
    case INSPECT_K_DATA: return "the RW segment's file pages (.data): private, copied on first write";
    case INSPECT_K_BSS: return "the RW segment's p_memsz beyond its p_filesz: zero-filled anonymous pages (.bss)";
    case INSPECT_K_HEAP: return "the brk area, grown by brk()/sbrk() (malloc's main arena)";
    case INSPECT_K_STACK: return "the main thread's stack: argv, environ, auxv at the top, frames below; grows down on demand";
    case INSPECT_K_VDSO: return "the vDSO: code the kernel maps into every process (clock_gettime without a system call)";
    case INSPECT_K_VVAR: return "data the vDSO reads (clock state), written by the kernel";
    case INSPECT_K_VSYSCALL: return "the legacy fixed-address vsyscall page, emulated";
    case INSPECT_K_ANON: return "anonymous memory: mmap(MAP_ANONYMOUS), large malloc blocks, thread stacks, TLS";
    case INSPECT_K_FILE: return "a mapped file that is not an ELF segment (locale data, caches, shared memory)";
    case INSPECT_K_GUARD: return "no access at all: an alignment gap or a guard page that turns an overrun into SIGSEGV";
    default: return "unclassified";
    }
}
