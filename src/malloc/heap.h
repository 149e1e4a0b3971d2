/* SPDX-License-Identifier: MIT */
/*
 * heap.h - what the allocator core shares with its designs (private).
 *
 * Every block, in every design, starts with one 8-byte header word right
 * before its payload:
 *
 *     header = size | flags      size: bytes of the whole block, a multiple of 8
 *     bit 0  MA_F_ALLOC          the block is allocated
 *     bit 1  MA_F_PREV           the block before it is allocated (boundary-tag
 *                                designs; lets allocated blocks drop the footer)
 *     bit 2  MA_F_SPECIAL        with ALLOC: a huge block (own mapping);
 *                                without: an alignment marker whose size field
 *                                is the distance back to the real payload
 *
 * so ma_free() can classify any payload pointer before the design sees it.
 *
 * A region is memory the heap owns, [r, r->end).  It opens with ma_region_t
 * (its own header, kept in the region itself); the design lays its blocks
 * out in [r->first, r->limit).  Regions never shrink; the last one may grow
 * at its end when the source is contiguous (sbrk).
 */
#ifndef VMLAB_MALLOC_HEAP_H
#define VMLAB_MALLOC_HEAP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmlab/malloc.h"

#define MA_F_ALLOC 1u
#define MA_F_PREV 2u
#define MA_F_SPECIAL 4u
#define MA_FLAGS 7u

enum { MA_OK = 0, MA_NOT_ALLOC = 1, MA_BAD_PTR = 2 };

#define MA_WORD 8u          /* header and footer size */
#define MA_POISON_BYTE 0xdd /* free payloads with MA_POISON */
#define MA_SIZE_MAX ((size_t)1 << 46) /* larger requests fail with ENOMEM */
#define MA_NLISTS 160       /* free-list heads a design may use */

static inline size_t ma_hdr(const void *b) { return *(const size_t *)b; }
static inline void ma_set_hdr(void *b, size_t w) { *(size_t *)b = w; }
static inline size_t ma_bsize(const void *b) { return ma_hdr(b) & ~(size_t)MA_FLAGS; }
static inline size_t ma_round(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

typedef struct ma_region {
    struct ma_region *next; /* next region, in the order added; NULL last */
    unsigned char *end;     /* one past the region's last byte */
    unsigned char *first;   /* the design's first block: [first, limit) */
    unsigned char *limit;   /* end of the blocks (bt: the epilogue header) */
    size_t top;             /* design use (buddy, segstore: carved bytes) */
    size_t aux;             /* design use (adaptive: its list of 24-byte
                               free blocks); keeps the header 48 bytes */
} ma_region_t;

struct bt_policy;

/* A design: the heap calls these; sizes are already checked against
 * MA_SIZE_MAX and include the canary word. */
typedef struct ma_design {
    const char *name;    /* as in ma_config_t.design */
    const char *summary; /* one line for listings */
    const struct bt_policy *bt; /* boundary-tag designs: the fit policy */
    size_t state_size;   /* bytes of design state (ma_state()), zeroed by
                            ma_init in the caller's storage after the heap */
    /* Lay out the region r just added (old == NULL), or grown at its end
     * (old: the previous r->end). */
    void (*region_added)(ma_heap_t *h, ma_region_t *r, unsigned char *old);
    /* Smallest fresh region (header included) in which size can be served. */
    size_t (*region_need)(const ma_heap_t *h, size_t size);
    void *(*malloc)(ma_heap_t *h, size_t size); /* NULL: ma_grow failed */
    void (*free)(ma_heap_t *h, void *p);        /* p allocated, validated */
    /* Resize p in place to size; 1 done, 0 not possible (p unchanged). */
    int (*resize)(ma_heap_t *h, void *p, size_t size);
    /* realloc's own step before allocate-copy-free: resize p to size in
     * place, or move it within its free neighbours or the heap's end (the
     * payload moved with memmove).  The new payload (p if in place), or
     * NULL: p unchanged, the caller allocates, copies and frees.  Optional
     * (NULL: realloc tries resize).  ma_resize never moves: it calls
     * resize. */
    void *(*relocate)(ma_heap_t *h, void *p, size_t size);
    /* Bytes from p to the end of its block (canary included). */
    size_t (*usable)(const ma_heap_t *h, const void *p);
    /* Whether p may be an allocated payload of this heap: MA_OK, MA_NOT_ALLOC
     * (a free block: double free) or MA_BAD_PTR (not a block of the heap). */
    int (*validate)(ma_heap_t *h, const void *p);
    int (*walk)(ma_heap_t *h, ma_walk_fn fn, void *ctx);
    int (*walk_free)(ma_heap_t *h, ma_walk_fn fn, void *ctx);
    void (*check)(ma_heap_t *h); /* abort on a broken invariant */
    /* Designs with headerless blocks (hybrid's slab objects), NULL for the
     * others: whether p (8-byte aligned) is such a block, decided without
     * reading p[-1].  The core asks it first, before any header read, and
     * then hands p to validate/usable/free/resize/relocate as usual: those
     * classify it again.  Allocations of headerless_max bytes or less
     * (extras included) may be served headerless, and no headerless block
     * is larger; memalign asks for more. */
    int (*headerless)(const ma_heap_t *h, const void *p);
    size_t headerless_max;
    /* Designs with headerless blocks, for a caller outside the heap's lock
     * (the preload's thread caches, which must learn a block's size without
     * a header to read): what p is, from words no heap call of another
     * thread can change under an allocated block, with nothing written (not
     * `headerless`, which may keep a memo in the state):
     *   0          p is not a headerless block (so p[-1] is its header, if
     *              p is a block of the heap at all);
     *   MA_HL_VET  p lies among headerless blocks but is not the payload of
     *              an allocated one (a free one: a double free; or not a
     *              block's start), or p is a block with a header among
     *              them (where a design gave part of a slab back: hybrid's
     *              trim): only the core's checks (ma_vet, under the lock)
     *              may say which; for a block the caller holds, "it has a
     *              header";
     *   otherwise  p is an allocated headerless block of that many bytes
     *              (what `usable` says of it: the extras included).
     * Exact for a block allocated to the caller (an allocated headerless
     * block, or not), whose answer no other thread can change; for any
     * other pointer a hint the caller hands to the core's checks when it
     * is not a plain "yes".  p is 8-byte aligned,
     * and the op reads no word outside [p & ~(MA_HL_REACH - 1), p + 8),
     * which the caller guarantees is readable memory. */
    size_t (*headerless_size)(const ma_heap_t *h, const void *p);
} ma_design_t;

/* headerless_size's answer for a pointer it leaves to the core's checks. */
#define MA_HL_VET SIZE_MAX
/* How far below p headerless_size may read (a slab frame's alignment at
 * most): a caller aligns the memory it asks about to this. */
#define MA_HL_REACH ((size_t)64 << 10)

struct ma_heap {
    const ma_design_t *d;      /* the design */
    size_t align;              /* payload alignment, 8 or 16 */
    unsigned flags;            /* MA_* */
    ma_source_t src;           /* page source (callbacks may be NULL) */
    size_t huge_threshold;     /* 0: no huge blocks */
    size_t grow_min;           /* chunk a design grows by for small requests */
    ma_region_t *regions;      /* first region, NULL if none */
    ma_region_t *last;         /* last region (the one that may grow) */
    size_t heap_bytes;         /* sum of region lengths */
    size_t nregions;           /* number of regions */
    size_t needed;             /* see ma_needed() */
    size_t huge_blocks;        /* live huge blocks */
    size_t huge_bytes;         /* their mapping lengths */
    uint64_t secret;           /* canary key */
    /* then, at MA_HEAP_HDR bytes from the heap, the design's state
     * (d->state_size bytes): a design's own fields live there, not here */
};

/* The heap's header, rounded to 16: where the design's state starts. */
#define MA_HEAP_HDR ((sizeof(struct ma_heap) + 15) & ~(size_t)15)

/* The design's state block (ma_design_t.state_size bytes, zeroed at init).
 * A fixed offset from the heap: no pointer to load on the hot path. */
static inline void *ma_state(const ma_heap_t *h)
{
    return (unsigned char *)(uintptr_t)h + MA_HEAP_HDR;
}

/* The state of the designs built on free lists (explicit, segfit,
 * segstore, buddy): list heads and a bitmap of the non-empty ones. */
typedef struct ma_lists {
    void *lists[MA_NLISTS];                 /* free-list heads */
    uint64_t bitmap[(MA_NLISTS + 63) / 64]; /* bit i: lists[i] != NULL */
} ma_lists_t;

static inline ma_lists_t *ma_lists(const ma_heap_t *h)
{
    return ma_state(h);
}

/* Get memory for the design: `extend` more bytes at the end of the last
 * region if the source is contiguous, otherwise a fresh region of at least
 * `fresh` bytes (the design applies h->grow_min where it wants chunks).  0, or -ENOMEM with h->needed = fresh.  Calls the design's
 * region_added(). */
int ma_grow(ma_heap_t *h, size_t extend, size_t fresh);
/* The region holding address p, NULL if none (the last region first: it is
 * the one most blocks live in). */
ma_region_t *ma_region_scan(const ma_heap_t *h, const void *p);
static inline ma_region_t *ma_region_of(const ma_heap_t *h, const void *p)
{
    const unsigned char *c = p;
    ma_region_t *r = h->last;
    if (r && c >= (const unsigned char *)r && c < r->end)
        return r;
    return ma_region_scan(h, p);
}

/* Abort with "vmlab malloc: WHAT: WHY (block 0xP)" on stderr (write(2), no
 * stdio); WHAT names the call, WHY starts with the kind of error. */
__attribute__((noreturn)) void ma_fatal(const char *what, const void *p, const char *why);
/* The core's VL_ASSERT: the same contract (always on, abort on a broken
 * invariant), but the message goes out with write(2), not stdio, because
 * this code runs inside malloc(). */
#define MA_ASSERT(cond)                                                        \
    do {                                                                       \
        if (__builtin_expect(!(cond), 0))                                      \
            ma_assert_fail(__FILE__, __LINE__, #cond);                         \
    } while (0)
__attribute__((noreturn)) void ma_assert_fail(const char *file, int line, const char *cond);

/* MA_POISON: fill [p, p + n) with the poison byte; verify it is intact
 * (abort with a use-after-free message naming the block at b otherwise). */
void ma_poison_fill(void *p, size_t n);
void ma_poison_check(const void *b, const void *p, size_t n);
static inline void ma_poison(const ma_heap_t *h, void *p, size_t n)
{
    if (__builtin_expect(h->flags & MA_POISON, 0))
        ma_poison_fill(p, n);
}
static inline void ma_poison_verify(const ma_heap_t *h, const void *b, const void *p, size_t n)
{
    if (__builtin_expect(h->flags & MA_POISON, 0))
        ma_poison_check(b, p, n);
}
/* Debug mode (MA_CANARY or MA_POISON): a free-list link read from a free
 * block (at b + 8 or b + 16, the first bytes of its old payload, where a
 * write after free lands first) must be NULL or point at a free block of
 * this heap; otherwise abort with a use-after-free message naming b's
 * payload, instead of following the link into a bare SIGSEGV. */
void ma_link_check(const ma_heap_t *h, const void *b, const void *link);
__attribute__((noreturn)) void ma_link_bad(const void *b);
static inline void ma_link_verify(const ma_heap_t *h, const void *b, const void *link)
{
    if (__builtin_expect(h->flags & (MA_POISON | MA_CANARY), 0))
        ma_link_check(h, b, link);
}
/* Checkers verify at most this many poison bytes per free block, so that a
 * check after every operation stays O(blocks), not O(heap bytes);
 * allocation verifies the whole block. */
#define MA_POISON_CHECK_MAX 256u
static inline size_t ma_min(size_t a, size_t b) { return a < b ? a : b; }

/* Bytes every allocated block carries beyond the request: the canary word
 * (MA_CANARY) last, the sites trailer (MA_SITES: size, site) before it. */
static inline size_t ma_extra(const ma_heap_t *h)
{
    return ((h->flags & MA_CANARY) ? 8 : 0) + ((h->flags & MA_SITES) ? 16 : 0);
}

/* Whether h's design may serve a request of n bytes (the extras not yet
 * added) with a headerless block: headerless_max bounds such blocks. */
static inline int ma_may_be_headerless(const ma_heap_t *h, size_t n)
{
    return h->d->headerless && n + ma_extra(h) <= h->d->headerless_max;
}

/* The checks free() makes before it touches p (fn names the call in the
 * message): abort on a pointer the heap never returned, a block already
 * free, a broken canary.  Returns the real payload (a huge block's too).
 * For a caller that keeps freed blocks itself (the preload's thread
 * caches) but must not lose the checks. */
void *ma_vet(ma_heap_t *h, void *p, const char *fn);
/* Resize the plain heap block p to size in place, without moving it and
 * without a fall-back copy; 1 done, 0 not possible (p unchanged). */
int ma_resize(ma_heap_t *h, void *p, size_t size);

/* Memory return (the preload's trim pass, MADV_DONTNEED): a design keeps
 * everything it needs of a free block in its first MA_FREE_HEAD bytes and
 * its last MA_FREE_TAIL bytes (header, links, footer); the pages strictly
 * between may be zeroed behind its back while the block stays free.  Not
 * with MA_POISON, whose free payloads are checked byte for byte. */
#define MA_FREE_HEAD 128u
#define MA_FREE_TAIL 64u

/* The region header's size rounded so that blocks start aligned. */
#define MA_REGION_HDR 48u
/* The smallest region ma_add_region() accepts (every design can use it). */
#define MA_REGION_MIN 128u

extern const ma_design_t ma_implicit_first, ma_implicit_next, ma_implicit_best,
    ma_implicit_worst, ma_explicit_lifo, ma_explicit_addr, ma_segfit, ma_segstore,
    ma_buddy, ma_adaptive, ma_hybrid;

#endif
