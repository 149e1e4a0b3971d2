/* SPDX-License-Identifier: MIT */
/*
 * mm_bundled.c - the scenarios `vmlab mm --list` names, one per seed question
 * of the course (CS:APP 9.8-9.9, OSC 10.2-10.3, the Linux mm lecture).  Each
 * runs the same on the model and, with --real, in real processes; the minor
 * fault counts and VMA counts agree line by line, except where a line says
 * why with "! REASON".
 */
#include "mm/mm_scenario.h"

static const mmsc_bundled_t tab[] = {
    {"malloc-lazy", "does malloc allocate physical memory at once? (no: mmap then touch)",
     "# A large malloc is an anonymous mmap: no frame until a page is touched.\n"
     "spawn\n"
     "a = mmap - 1M rw- anon,private     # malloc(1 MiB): 0 faults\n"
     "touch w a 4K                       # first write: one fault, one frame\n"
     "touch w a 1M                       # the other 255 pages: 255 faults\n"
     "touch w a 1M                       # resident: no faults\n"
     "stats\n"},
    {"brk-vs-mmap", "brk grows the heap VMA; mmap adds VMAs that merge when adjacent",
     "spawn\n"
     "h = brk +64K                       # the heap VMA grows, no new VMA\n"
     "touch w h 64K                      # 16 faults\n"
     "brk -32K                           # shrink: pages freed\n"
     "a = mmap - 64K rw- anon,private    # a new VMA\n"
     "b = mmap - 64K rw- anon,private    # adjacent, same flags: merged\n"
     "c = mmap - 64K r-- anon,private    # other flags: a second VMA\n"
     "touch w a 64K\n"
     "maps\n"},
    {"zero-page", "why does a read of fresh anonymous memory cost a fault and a later write another?",
     "spawn\n"
     "a = mmap - 64K rw- anon,private\n"
     "touch r a 64K                      # 16 faults: the zero page, read-only\n"
     "touch r a 64K                      # none\n"
     "touch w a 64K                      # 16 more: write-protect faults, new frames\n"
     "touch w a 64K                      # none\n"},
    {"fork-cow", "what does fork do? copy-on-write, parent and child writing",
     "spawn\n"
     "a = mmap - 256K rw- anon,private\n"
     "touch w a 256K                     # 64 faults\n"
     "fork ! the real fork returns into the server, whose own stack and libc data then copy on write\n"
     "# (the child is task 2; every private page is now write-protected in both)\n"
     "switch 2\n"
     "touch r a 256K                     # the child reads: no faults (PTEs were copied)\n"
     "touch w a 128K                     # the child writes half: 32 copies\n"
     "switch 1\n"
     "touch w a 128K                     # parent: page now single-mapped, still faults (reuse)\n"
     "touch w a+128K 128K                # parent: shared with the child: copies\n"
     "switch 2\n"
     "exit\n"
     "touch w a 256K                     # parent alone: no faults left\n"},
    {"fork-reuse", "after the child exits, the parent's writes still fault once a page",
     "spawn\n"
     "a = mmap - 64K rw- anon,private\n"
     "touch w a 64K\n"
     "fork ! the real fork returns into the server, whose own stack and libc data then copy on write\n"
     "switch 2\n"
     "exit\n"
     "touch w a 64K                      # 16 write-protect faults, pages reused\n"
     "touch w a 64K                      # none\n"},
    {"file-faultaround", "file-backed read faults: fault-around maps 16 cached pages a fault",
     "file data 256K\n"
     "spawn\n"
     "f = mmap 0x7e0000001000 256K r-- private data   # a hint: 4 KiB past a 64 KiB boundary\n"
     "touch r f 256K                     # 64 pages in a few faults\n"
     "g = mmap - 64K rw- private data\n"
     "touch w g 64K                      # private writes: 16 copies\n"},
    {"populate", "MAP_POPULATE faults every page in at mmap time",
     "spawn\n"
     "a = mmap - 256K rw- anon,private,populate   # 64 minor faults inside mmap\n"
     "touch w a 256K                     # none\n"},
    {"mprotect-split", "mprotect of a middle range splits one VMA into three and merges back",
     "spawn\n"
     "a = mmap - 64K rw- anon,private\n"
     "mprotect a+16K 16K r--             # 3 VMAs\n"
     "maps\n"
     "mprotect a+16K 16K rw-             # merged back: 1\n"
     "munmap a+32K 4K                    # a hole: 2\n"
     "touch w a+32K 4K                   # SIGSEGV SEGV_MAPERR\n"
     "mprotect a 4K r--\n"
     "touch w a 4K                       # SIGSEGV SEGV_ACCERR\n"},
    {"execve", "what does execve replace? every region: text, data, bss, heap, stack",
     "spawn\n"
     "a = mmap - 1M rw- anon,private\n"
     "touch w a 1M\n"
     "maps\n"
     "exec                               # old VMAs gone; a fresh program\n"
     "maps\n"
     "stats\n"},
    {"swap", "memory pressure: anonymous pages swapped out, later touches are major faults",
     "spawn\n"
     "a = mmap - 8M rw- anon,private\n"
     "touch w a 8M\n"
     "reclaim 1024                       # 4 MiB swapped out\n"
     "touch r a 8M ! reclaim is not forced in the real run: its pages are still resident  # major faults\n"
     "stats\n"},
};

const mmsc_bundled_t *mmsc_bundled(size_t *n)
{
    *n = sizeof tab / sizeof tab[0];
    return tab;
}
