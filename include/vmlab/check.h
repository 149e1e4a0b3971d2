/* SPDX-License-Identifier: MIT */
/*
 * check.h - invariant checking shared by every data structure.
 *
 * VL_ASSERT(cond) is always on: it guards contracts whose violation means
 * memory is already corrupt, and aborts with file and line (as glibc does on
 * a corrupted heap) rather than carry on.  VL_DEBUG_CHECK(call) runs a
 * structure's foo_check() after an operation only in debug builds
 * (-DVMLAB_DEBUG=1, which `make asan` sets), where the cost does not matter.
 */
#ifndef VMLAB_CHECK_H
#define VMLAB_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#ifndef VMLAB_DEBUG
#define VMLAB_DEBUG 0
#endif

#define VL_ASSERT(cond)                                                      \
    do {                                                                     \
        if (__builtin_expect(!(cond), 0)) {                                  \
            fprintf(stderr, "vmlab: %s:%d: invariant broken: %s\n", __FILE__, \
                    __LINE__, #cond);                                        \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define VL_DEBUG_CHECK(call)                                                 \
    do {                                                                     \
        if (VMLAB_DEBUG)                                                     \
            call;                                                            \
    } while (0)

#endif
