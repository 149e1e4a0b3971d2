/* SPDX-License-Identifier: MIT */
/*
 * slab.c - slab caches (Bonwick, "The Slab Allocator: An Object-Caching
 * Kernel Memory Allocator", USENIX 1994) with per-CPU magazines and a depot
 * (Bonwick and Adams, "Magazines and Vmem", USENIX 2001), sized as Linux's
 * SLUB sizes its caches (mm/slub.c, 6.1).
 *
 * Sizes: s->size is computed as calculate_sizes() does (object size rounded
 * to 8; with SLAB_RED_ZONE a right red-zone word and a left pad; with a
 * constructor or SLAB_POISON the word SLUB keeps its free pointer in; rounded
 * to s->align from calculate_alignment()), and the slab order as
 * calculate_order() (slub_min_objects = 4 * (fls(cpus) + 1), slub_max_order
 * 3, leftover at most 1/16, then 1/8, then 1/4 of the slab, then fewer
 * objects), so objperslab and pagesperslab are the kernel's.
 *
 * Slabs: 2^order frames from the buddy allocator; objects at base + i * size,
 * where base is the slab start plus a colour offset that cycles 0, 1, ...,
 * colour_max steps of colour_off bytes (the leftover bytes put to use, as
 * Bonwick's colouring and Linux's SLAB did).  A slab's free objects are a
 * stack of indices kept off-slab, so a free object keeps its constructed
 * state: the constructor runs once per object when its slab is made, never
 * again while the slab lives.  Slabs are full, partial or empty; an object
 * comes from a partial slab, else an empty one, else a new slab.  Empty slabs
 * stay (constructed) until kmem_cache_shrink or destroy.
 *
 * Magazines: each CPU has a loaded and a previous magazine (stacks of `cap`
 * object pointers; cap as SLAB's enable_cpucache limit: 120 objects up to 256
 * bytes, 54 up to 1 KiB, 24 up to a page, 8 above, 1 above 128 KiB).  alloc
 * pops loaded; if empty and previous is full they swap; else the depot trades
 * a full magazine for the empty previous; else the slab layer.  free pushes
 * symmetrically with empty magazines.  Only the depot and the slab layer take
 * the cache's lock.  Objects in magazines count as active in slabinfo, as
 * objects in SLAB's per-CPU arrays do.
 *
 * Debugging (SLAB_RED_ZONE, SLAB_POISON, SLUB's values): red zones hold 0xbb
 * while the object is allocated and 0xcc while free; a free object without
 * constructor holds 0x6b with 0xa5 last.  kmem_cache_free finds a double free
 * (red zone inactive) and an overflow (red zone neither); allocation finds a
 * use after free (poison or red zone changed).
 *
 * Invariants (kmem_cache_check): inuse + nfree == objs per slab; a slab is
 * on full iff inuse == objs, on empty iff inuse == 0, else on partial;
 * active == sum of inuse; nslabs == slabs on the lists; every slab frame is
 * PG_SLAB with slab_cache == the cache; every magazine holds at most cap
 * objects, each handed out of its slab; a slab's first frame is aligned to
 * its order; slab_owner[pfn] == id << 16 | colour for each frame of a slab
 * (0 without id or with a colour of 32 KiB or more), 0 for every other frame
 * (kmem_slab_owner_check).
 *
 * Owner map: kmem_cache_free must refuse an object of another cache, so
 * its inline path reads who owns the object's frame.  Reading the struct
 * page (48 bytes a frame, megabytes for random objects) costs a dependent
 * cache and TLB miss per free; the owner map (one 32-bit word a frame: a
 * 16-bit cache id and the slab's colour) is small enough to stay in the L2
 * cache.  The slot check needs the slab start, which is the object's
 * address rounded down to the slab size (buddy blocks are aligned to their
 * order), plus the colour; divisibility by the object size is one
 * multiplication (Lemire, Kaser and Kurz, "Faster Remainder by Direct
 * Computation", Software: Practice and Experience 2019).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kmem/kmem_impl.h"

#define RED_ACTIVE 0xbb
#define RED_INACTIVE 0xcc
#define POISON_FREE 0x6b
#define POISON_END 0xa5
#define MAX_OBJS_PER_PAGE 32767u
#define SLUB_MAX_ORDER 3u
#define CACHE_LINE 64u

/* After an operation on CPU `only` (debug builds): the lists and counters,
 * the depot and this CPU's magazines (other CPUs' change under us); -1: all. */
static void cache_check_cpu(kmem_cache_t *c, int only);

static unsigned get_order(uint64_t size)
{
    unsigned o = 0;
    while ((KMEM_PAGE_SIZE << o) < size)
        o++;
    return o;
}

static unsigned fls_u(unsigned x) { return x ? 32u - (unsigned)__builtin_clz(x) : 0; }

static unsigned order_objects(unsigned order, unsigned size) { return (unsigned)((KMEM_PAGE_SIZE << order) / size); }

/* mm/slub.c calc_slab_order, slub_min_order 0. */
static unsigned calc_slab_order(unsigned size, unsigned min_objects, unsigned max_order, unsigned fract_leftover)
{
    unsigned order;
    if (order_objects(0, size) > MAX_OBJS_PER_PAGE)
        return get_order((uint64_t)size * MAX_OBJS_PER_PAGE) - 1;
    for (order = get_order((uint64_t)min_objects * size); order <= max_order; order++) {
        unsigned slab_size = (unsigned)(KMEM_PAGE_SIZE << order), rem = slab_size % size;
        if (rem <= slab_size / fract_leftover)
            break;
    }
    return order;
}

int kmem_calculate_order(unsigned size, unsigned cpus, unsigned *objs)
{
    unsigned min_objects = 4 * (fls_u(cpus ? cpus : 1) + 1), max_objects, order;
    if (size == 0)
        return -EINVAL;
    max_objects = order_objects(SLUB_MAX_ORDER, size);
    if (min_objects > max_objects)
        min_objects = max_objects;
    while (min_objects > 1) {
        for (unsigned fraction = 16; fraction >= 4; fraction /= 2) {
            order = calc_slab_order(size, min_objects, SLUB_MAX_ORDER, fraction);
            if (order <= SLUB_MAX_ORDER)
                goto done;
        }
        min_objects--;
    }
    order = calc_slab_order(size, 1, SLUB_MAX_ORDER, 1);
    if (order <= SLUB_MAX_ORDER)
        goto done;
    order = calc_slab_order(size, 1, KMEM_MAX_ORDER, 1);
    if (order < KMEM_MAX_ORDER)
        goto done;
    return -ENOSYS;
done:
    if (objs)
        *objs = order_objects(order, size);
    return (int)order;
}

static unsigned round_up(unsigned x, unsigned a) { return (x + a - 1) & ~(a - 1); }

/* ---- debugging: red zones and poison ---- */

static unsigned char *slot_of(const kmem_cache_t *c, void *obj) { return (unsigned char *)obj - c->red_left; }

static void set_free_state(kmem_cache_t *c, void *obj)
{
    unsigned char *s = slot_of(c, obj);
    if (c->flags & KMEM_SLAB_RED_ZONE) {
        memset(s, RED_INACTIVE, c->red_left);
        memset(s + c->red_left + c->object_size, RED_INACTIVE, c->inuse_off - c->object_size);
    }
    if ((c->flags & KMEM_SLAB_POISON) && !c->ctor) {
        memset(obj, POISON_FREE, c->object_size - 1);
        ((unsigned char *)obj)[c->object_size - 1] = POISON_END;
    }
}

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

/* 1 all red zones hold v, 0 otherwise. */
static int red_is(const kmem_cache_t *c, unsigned char *obj, unsigned char v)
{
    unsigned char *s = obj - c->red_left;
    return all_bytes(s, c->red_left, v) &&
           all_bytes(obj + c->object_size, c->inuse_off - c->object_size, v);
}

/* Check a free object about to be handed out; mark it allocated. */
static void debug_alloc(kmem_cache_t *c, void *obj)
{
    unsigned char *o = obj;
    if ((c->flags & KMEM_SLAB_RED_ZONE) && !red_is(c, o, RED_INACTIVE))
        kmem_report(c->km, EFAULT, "kmem_cache_alloc(%s): red zone of free object %p overwritten (use after free or overflow)",
                    c->name, obj);
    else if ((c->flags & KMEM_SLAB_POISON) && !c->ctor &&
             (!all_bytes(o, c->object_size - 1, POISON_FREE) || o[c->object_size - 1] != POISON_END))
        kmem_report(c->km, EFAULT, "kmem_cache_alloc(%s): poison of free object %p overwritten (use after free)",
                    c->name, obj);
    if (c->flags & KMEM_SLAB_RED_ZONE) {
        memset(o - c->red_left, RED_ACTIVE, c->red_left);
        memset(o + c->object_size, RED_ACTIVE, c->inuse_off - c->object_size);
    }
}

/* Check an object being freed; 0 to go on, -EFAULT to refuse the free. */
static int debug_free(kmem_cache_t *c, void *obj)
{
    if (c->flags & KMEM_SLAB_RED_ZONE) {
        if (red_is(c, obj, RED_INACTIVE))
            return kmem_report(c->km, EFAULT, "kmem_cache_free(%s): double free of object %p", c->name, obj);
        if (!red_is(c, obj, RED_ACTIVE)) {
            kmem_report(c->km, EFAULT, "kmem_cache_free(%s): red zone of object %p overwritten (buffer overflow)",
                        c->name, obj);
            /* repaired and freed, as SLUB's restore_bytes does */
        }
    }
    set_free_state(c, obj);
    return 0;
}

/* ---- the slab layer (cache lock held) ---- */

/* A frame's owner map entry for slab s of c: 0 (no inline free; the struct
 * page check in free_rest decides) if c has no id or the colour is 32 KiB
 * or more (objects of hundreds of KiB; below 32 KiB, kmem_cache_free's one
 * subtraction cannot mistake another cache's entry for its own). */
static uint32_t owner_entry(const kmem_cache_t *c, const kmem_slab_t *s)
{
    return c->id && s->colour < 0x8000u ? c->owner_tag | s->colour : 0;
}

static void slab_place(kmem_cache_t *c, kmem_slab_t *s)
{
    vl_list_t *to = s->inuse == c->objs ? &c->full : s->inuse == 0 ? &c->empty : &c->partial;
    vl_list_move(to, &s->list);
}

static kmem_slab_t *slab_new(kmem_cache_t *c)
{
    kmem_t *km = c->km;
    kmem_page_t *pg = kmem_alloc_pages(km, c->gfp, c->order);
    kmem_slab_t *s;
    unsigned char *start;
    if (!pg)
        return NULL;
    s = malloc(sizeof *s + (size_t)c->objs * (sizeof(uint32_t) + 1));
    if (!s) {
        kmem_free_pages(km, pg, c->order);
        return NULL;
    }
    start = kmem_page_address(km, pg);
    s->cache = c;
    s->page = pg;
    s->colour = (c->colour_next % (c->colour_max + 1)) * c->colour_off;
    c->colour_next = (c->colour_next + 1) % (c->colour_max + 1);
    s->base = start + s->colour;
    s->inuse = 0;
    s->nfree = c->objs;
    s->state = (uint8_t *)&s->free[c->objs];
    for (unsigned i = 0; i < c->objs; i++) {
        s->free[i] = c->objs - 1 - i; /* pops give 0, 1, 2, ... */
        s->state[i] = 0;
    }
    for (unsigned p = 0; p < (1u << c->order); p++) {
        kmem_page_t *q = pg + p;
        q->flags |= PG_SLAB;
        q->slab = s;
        q->slab_cache = c;
        q->slab_base = s->base;
        km->slab_owner[kmem_pfn(km, q)] = owner_entry(c, s);
    }
    for (unsigned i = 0; i < c->objs; i++) {
        void *obj = s->base + (size_t)i * c->size + c->red_left;
        if (c->ctor)
            c->ctor(obj);
        set_free_state(c, obj);
    }
    vl_list_init(&s->list);
    vl_list_add(&c->empty, &s->list);
    c->nslabs++;
    return s;
}

static void slab_discard(kmem_cache_t *c, kmem_slab_t *s)
{
    kmem_page_t *pg = s->page;
    vl_list_del(&s->list);
    for (unsigned p = 0; p < (1u << c->order); p++) {
        pg[p].flags &= ~PG_SLAB;
        pg[p].slab = NULL;
        c->km->slab_owner[kmem_pfn(c->km, pg + p)] = 0;
        vl_list_init(&pg[p].lru);
    }
    c->nslabs--;
    free(s);
    kmem_free_pages(c->km, pg, c->order);
}

static void *slab_alloc_locked(kmem_cache_t *c)
{
    kmem_slab_t *s;
    vl_list_t *l = vl_list_first(&c->partial);
    unsigned i;
    if (!l)
        l = vl_list_first(&c->empty);
    if (l) {
        s = vl_list_entry(l, kmem_slab_t, list);
    } else {
        s = slab_new(c);
        if (!s)
            return NULL;
    }
    i = s->free[--s->nfree];
    s->state[i] = 1;
    s->inuse++;
    c->active++;
    if (s->inuse == 1 || s->inuse == c->objs)
        slab_place(c, s);
    return s->base + (size_t)i * c->size + c->red_left;
}

/* The slab and index of obj in c, or NULL (error recorded). */
static kmem_slab_t *obj_slab(kmem_cache_t *c, const void *obj, unsigned *idx, const char *what)
{
    kmem_t *km = c->km;
    kmem_page_t *pg = kmem_virt_to_page(km, obj);
    uint64_t off;
    unsigned i;
    if (!pg || !(pg->flags & PG_SLAB)) {
        kmem_report(km, EINVAL, "%s(%s): %p is not a slab object (no cache owns it)", what, c->name, obj);
        return NULL;
    }
    if (pg->slab_cache != c) {
        kmem_report(km, EINVAL, "%s(%s): object %p belongs to cache %s, not %s", what, c->name, obj,
                    pg->slab_cache->name, c->name);
        return NULL;
    }
    off = (uint64_t)((const unsigned char *)obj - c->red_left - pg->slab_base);
    i = (unsigned)((off * c->recip) >> 32);
    if ((const unsigned char *)obj - c->red_left < pg->slab_base || (uint64_t)i * c->size != off || i >= c->objs) {
        kmem_report(km, EINVAL, "%s(%s): %p is inside cache %s's slab but not the start of an object", what, c->name,
                    obj, c->name);
        return NULL;
    }
    *idx = i;
    return pg->slab;
}

static void slab_free_locked(kmem_cache_t *c, kmem_slab_t *s, unsigned i)
{
    s->state[i] = 0;
    s->free[s->nfree++] = i;
    s->inuse--;
    c->active--;
    if (s->inuse == 0 || s->inuse == c->objs - 1)
        slab_place(c, s);
}

static void slab_free_obj_locked(kmem_cache_t *c, void *obj)
{
    kmem_page_t *pg = kmem_virt_to_page(c->km, obj);
    kmem_slab_t *s = pg->slab;
    unsigned i = (unsigned)((((uint64_t)((unsigned char *)obj - c->red_left - s->base)) * c->recip) >> 32);
    slab_free_locked(c, s, i);
}

/* ---- magazines ---- */

static kmem_mag_t *mag_new(kmem_cache_t *c)
{
    kmem_mag_t *m = c->depot_empty;
    if (m) {
        c->depot_empty = m->next;
        c->depot_nempty--;
        return m;
    }
    m = malloc(sizeof *m + (size_t)c->mag_cap * sizeof(void *));
    if (m)
        m->rounds = 0;
    return m;
}

/* The loaded magazine's count back into it, before a slow path looks. */
static void cc_save(kmem_cpu_cache_t *cc)
{
    if (cc->base) /* else rounds is current (nothing loaded, or no inline paths) */
        cc->loaded->rounds = (unsigned)(cc->top - cc->base);
}

/* The inline paths' pointers from the loaded magazine, after a slow path. */
static void cc_load(const kmem_cache_t *c, kmem_cpu_cache_t *cc)
{
    kmem_mag_t *m = c->fast_cpus ? cc->loaded : NULL;
    cc->base = m ? m->obj : NULL;
    cc->top = m ? m->obj + m->rounds : NULL;
    cc->end = m ? m->obj + c->mag_cap : NULL;
}

static __attribute__((noinline)) void *alloc_slow(kmem_cache_t *c, kmem_cpu_cache_t *cc)
{
    void *obj;
    if (cc->previous && cc->previous->rounds) {
        kmem_mag_t *t = cc->loaded;
        cc->loaded = cc->previous;
        cc->previous = t;
        return cc->loaded->obj[--cc->loaded->rounds];
    }
    pthread_mutex_lock(&c->lock);
    if (c->depot_full && cc->loaded) {
        kmem_mag_t *full = c->depot_full;
        c->depot_full = full->next;
        c->depot_nfull--;
        if (cc->previous) {
            cc->previous->next = c->depot_empty;
            c->depot_empty = cc->previous;
            c->depot_nempty++;
        }
        cc->previous = cc->loaded;
        cc->loaded = full;
        obj = full->obj[--full->rounds];
    } else {
        obj = slab_alloc_locked(c);
    }
    pthread_mutex_unlock(&c->lock);
    return obj;
}

static void *alloc_rest(kmem_cache_t *c, unsigned gfp, void *obj)
{
    if (!obj)
        return NULL;
    if (c->debug)
        debug_alloc(c, obj);
    if (gfp & KMEM_GFP_ZERO)
        memset(obj, 0, c->object_size);
    VL_DEBUG_CHECK(cache_check_cpu(c, (int)kmem_cur_cpu));
    return obj;
}

static __attribute__((noinline)) void *alloc_nomag(kmem_cache_t *c, unsigned gfp)
{
    void *obj;
    pthread_mutex_lock(&c->lock);
    obj = slab_alloc_locked(c);
    pthread_mutex_unlock(&c->lock);
    return alloc_rest(c, gfp, obj);
}

/* Everything but the common case: no magazines, debug caches, __GFP_ZERO,
 * an empty loaded magazine. */
static __attribute__((noinline)) void *alloc_general(kmem_cache_t *c, unsigned gfp)
{
    unsigned cpu = kmem_cur_cpu;
    kmem_cpu_cache_t *cc;
    kmem_mag_t *m;
    void *obj;
    if (!c->mag_cap || cpu >= c->ncpus)
        return alloc_nomag(c, gfp);
    cc = &c->cpu[cpu];
    cc_save(cc);
    m = cc->loaded;
    if (m && m->rounds)
        obj = m->obj[--m->rounds];
    else
        obj = alloc_slow(c, cc);
    cc_load(c, cc);
    return alloc_rest(c, gfp, obj);
}

void *kmem_cache_alloc(kmem_cache_t *c, unsigned gfp)
{
    /* the common case: pop this CPU's loaded magazine (no lock, no call;
     * the pointers are NULL, and the test fails, when magazines are off,
     * the cache is debugged or the instance has no such CPU) */
    kmem_cpu_cache_t *cc = (kmem_cpu_cache_t *)((char *)c->cpu + kmem_cur_cc_off);
    void **t = cc->top;
    if (__builtin_expect(t > cc->base && !(gfp & KMEM_GFP_ZERO), 1)) {
        cc->top = --t;
        return *t;
    }
    return alloc_general(c, gfp);
}

static __attribute__((noinline)) void free_slow(kmem_cache_t *c, kmem_cpu_cache_t *cc, void *obj)
{
    if (cc->previous && cc->previous->rounds == 0) {
        kmem_mag_t *t = cc->loaded;
        cc->loaded = cc->previous;
        cc->previous = t;
        cc->loaded->obj[cc->loaded->rounds++] = obj;
        return;
    }
    pthread_mutex_lock(&c->lock);
    {
        kmem_mag_t *e = mag_new(c);
        if (e) {
            if (!cc->loaded) {
                cc->loaded = e;
            } else {
                if (cc->previous) {
                    cc->previous->next = c->depot_full;
                    c->depot_full = cc->previous;
                    c->depot_nfull++;
                }
                cc->previous = cc->loaded;
                cc->loaded = e;
            }
            e->obj[e->rounds++] = obj;
        } else {
            slab_free_obj_locked(c, obj);
        }
    }
    pthread_mutex_unlock(&c->lock);
}

/* Everything but the common case: validation errors, debug caches, no
 * magazines, a full loaded magazine. */
static __attribute__((noinline)) int free_rest(kmem_cache_t *c, void *obj)
{
    unsigned cpu = kmem_cur_cpu, i;
    kmem_slab_t *s = obj_slab(c, obj, &i, "kmem_cache_free");
    if (!s)
        return -EINVAL;
    if (c->debug && debug_free(c, obj))
        return -EFAULT;
    if (c->mag_cap && cpu < c->ncpus) {
        kmem_cpu_cache_t *cc = &c->cpu[cpu];
        kmem_mag_t *m;
        cc_save(cc);
        m = cc->loaded;
        if (m && m->rounds < c->mag_cap)
            m->obj[m->rounds++] = obj;
        else
            free_slow(c, cc, obj);
        cc_load(c, cc);
    } else {
        pthread_mutex_lock(&c->lock);
        if (!s->state[i]) {
            pthread_mutex_unlock(&c->lock);
            return kmem_report(c->km, EINVAL, "kmem_cache_free(%s): double free of object %p", c->name, obj);
        }
        slab_free_locked(c, s, i);
        pthread_mutex_unlock(&c->lock);
    }
    VL_DEBUG_CHECK(cache_check_cpu(c, (int)kmem_cur_cpu));
    return 0;
}

int kmem_cache_free(kmem_cache_t *c, void *obj)
{
    /* the common case inline: the frame's owner map entry names this cache
     * (the owner check; the map, 4 bytes a frame, stays in the
     * L2 cache and TLB where the 48-byte struct pages of a random object's
     * frame miss both: a dependent miss fewer), the offset is a whole slot
     * (one multiplication, no division), the loaded magazine has room; else
     * free_rest validates again through the struct page and reports */
    uintptr_t a = (uintptr_t)obj - c->mem_base;
    if (__builtin_expect(a < c->mem_bytes, 1)) {
        /* buddy blocks are aligned to their order, so the slab starts at
         * a & ~slab_mask and its first slot `colour` bytes on: with the
         * entry id' << 16 | colour, v is the offset from that slot when
         * id' == id, and (slabs and colours below 32 KiB) not below the
         * slab's size otherwise, so one multiplication and one compare
         * check the owner, the slab's bounds and the slot (slot_bound) */
        uint32_t v = ((uint32_t)a & c->slab_mask) + c->owner_tag - c->owner[a >> KMEM_PAGE_SHIFT];
        kmem_cpu_cache_t *cc = (kmem_cpu_cache_t *)((char *)c->cpu + kmem_cur_cc_off);
        void **t = cc->top;
        if (__builtin_expect((uint64_t)v * c->slot_magic < c->slot_bound && t < cc->end, 1)) {
            /* SLUB, glibc and mimalloc write a link into the object being
             * freed and so bring its line in; kmem's free state is out of
             * band, and the LIFO magazine hands this object out next, to a
             * caller that will write it: start the line's fetch now (no
             * stall, one line as theirs) */
            __builtin_prefetch(obj, 1, 3);
            *t = obj;
            cc->top = t + 1;
            return 0;
        }
    }
    return free_rest(c, obj);
}

static void mag_flush_locked(kmem_cache_t *c, kmem_mag_t *m)
{
    while (m && m->rounds)
        slab_free_obj_locked(c, m->obj[--m->rounds]);
}

size_t kmem_cache_shrink(kmem_cache_t *c)
{
    size_t pages = 0;
    vl_list_t *it, *nx;
    pthread_mutex_lock(&c->lock);
    if (c->mag_cap) {
        for (unsigned cpu = 0; cpu < c->km->cfg.cpus; cpu++) {
            kmem_cpu_cache_t *cc = &c->cpu[cpu];
            cc_save(cc);
            mag_flush_locked(c, cc->loaded);
            mag_flush_locked(c, cc->previous);
            free(cc->loaded);
            free(cc->previous);
            cc->loaded = cc->previous = NULL;
            cc_load(c, cc);
        }
        for (kmem_mag_t *m = c->depot_full, *n; m; m = n) {
            n = m->next;
            mag_flush_locked(c, m);
            free(m);
        }
        for (kmem_mag_t *m = c->depot_empty, *n; m; m = n) {
            n = m->next;
            free(m);
        }
        c->depot_full = c->depot_empty = NULL;
        c->depot_nfull = c->depot_nempty = 0;
    }
    for (it = c->empty.next; it != &c->empty; it = nx) {
        nx = it->next;
        slab_discard(c, vl_list_entry(it, kmem_slab_t, list));
        pages += (size_t)1 << c->order;
    }
    pthread_mutex_unlock(&c->lock);
    VL_DEBUG_CHECK(kmem_cache_check(c));
    return pages;
}

kmem_cache_t *kmem_cache_find(const kmem_t *km, const char *name)
{
    vl_list_t *it;
    vl_list_for_each(it, &km->caches)
    {
        kmem_cache_t *c = vl_list_entry(it, kmem_cache_t, link);
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

const char *kmem_cache_name(const kmem_cache_t *c) { return c->name; }
size_t kmem_cache_size(const kmem_cache_t *c) { return c->object_size; }

/* The lowest free cache id, marked used; 0 if all are taken (km->lock held). */
static unsigned cache_id_get(kmem_t *km)
{
    for (unsigned w = 0; w < KMEM_MAX_CACHE_IDS / 64; w++) {
        uint64_t freebits = ~km->cache_ids[w];
        if (w == KMEM_MAX_CACHE_IDS / 64 - 1)
            freebits &= ~((uint64_t)1 << 63); /* id 0xffff would be KMEM_OWNER_NONE */
        if (freebits) {
            unsigned b = (unsigned)__builtin_ctzll(freebits);
            km->cache_ids[w] |= (uint64_t)1 << b;
            return w * 64 + b;
        }
    }
    return 0;
}

kmem_cache_t *kmem_cache_create(kmem_t *km, const char *name, size_t size, size_t align, unsigned flags,
                                void (*ctor)(void *obj))
{
    kmem_cache_t *c;
    unsigned sz, al = (unsigned)align, objs;
    int order;
    if (!name || !*name || strlen(name) >= sizeof c->name || size == 0 || size > ((size_t)8 << 20) ||
        (align & (align - 1)) || align > (KMEM_PAGE_SIZE << (KMEM_MAX_ORDER - 1))) {
        errno = EINVAL;
        return NULL;
    }
    pthread_mutex_lock(&km->lock);
    c = kmem_cache_find(km, name);
    pthread_mutex_unlock(&km->lock);
    if (c) {
        errno = EEXIST;
        return NULL;
    }
    c = aligned_alloc(_Alignof(kmem_cache_t), sizeof *c); /* the fast fields in one line */
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    flags |= km->cfg.debug & (KMEM_SLAB_RED_ZONE | KMEM_SLAB_POISON);
    c->km = km;
    snprintf(c->name, sizeof c->name, "%s", name);
    c->object_size = (unsigned)size;
    c->flags = flags;
    c->ctor = ctor;
    /* calculate_alignment() */
    if (flags & KMEM_SLAB_HWCACHE_ALIGN) {
        unsigned ralign = CACHE_LINE;
        while (size <= ralign / 2)
            ralign /= 2;
        if (al < ralign)
            al = ralign;
    }
    if (al < 8)
        al = 8;
    c->align = al;
    /* calculate_sizes() */
    sz = round_up((unsigned)size, 8);
    if ((flags & KMEM_SLAB_RED_ZONE) && sz == size)
        sz += 8;
    c->inuse_off = sz;
    if ((flags & KMEM_SLAB_POISON) || ((flags & KMEM_SLAB_RED_ZONE) && size < 8) || ctor)
        sz += 8; /* where SLUB keeps its free pointer */
    if (flags & KMEM_SLAB_RED_ZONE) {
        sz += 8;
        c->red_left = round_up(8, al);
        sz += c->red_left;
    }
    sz = round_up(sz, al);
    c->size = sz;
    order = kmem_calculate_order(sz, km->cfg.cpus, &objs);
    if (order < 0) {
        free(c);
        errno = EINVAL;
        return NULL;
    }
    c->order = (unsigned)order;
    c->objs = objs;
    c->recip = (uint32_t)((((uint64_t)1 << 32) + sz - 1) / sz);
    c->slot_magic = UINT64_MAX / sz + 1 + !(sz & (sz - 1)); /* a power of two: e = size, not 0 */
    c->colour_off = al > CACHE_LINE ? al : CACHE_LINE;
    c->colour_max = (unsigned)(((KMEM_PAGE_SIZE << c->order) - (size_t)objs * sz) / c->colour_off);
    c->gfp = (flags & KMEM_SLAB_CACHE_DMA) ? (KMEM_GFP_KERNEL | KMEM_GFP_DMA) : KMEM_GFP_KERNEL;
    if (!(flags & KMEM_SLAB_NO_MAGAZINE))
        c->mag_cap = sz > 131072 ? 1 : sz > KMEM_PAGE_SIZE ? 8 : sz > 1024 ? 24 : sz > 256 ? 54 : 120;
    c->ncpus = km->cfg.cpus;
    c->debug = flags & (KMEM_SLAB_RED_ZONE | KMEM_SLAB_POISON);
    c->fast_cpus = c->mag_cap && !c->debug && !VMLAB_DEBUG ? c->ncpus : 0;
    c->mem_base = (uintptr_t)km->mem;
    c->mem_bytes = (uintptr_t)(km->npages << KMEM_PAGE_SHIFT);
    c->owner = km->slab_owner;
    c->slab_mask = (uint32_t)((KMEM_PAGE_SIZE << c->order) - 1);
    c->cpu = calloc(KMEM_MAX_CPUS + 1, sizeof *c->cpu); /* kmem_cur_cc_off: any thread's entry */
    if (!c->cpu) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    vl_list_init(&c->full);
    vl_list_init(&c->partial);
    vl_list_init(&c->empty);
    pthread_mutex_lock(&km->lock);
    c->id = cache_id_get(km);
    c->owner_tag = c->id ? c->id << 16 : KMEM_OWNER_NONE;
    if (c->id && c->slab_mask < 0x8000u)
        c->slot_bound = (uint64_t)(objs - 1) * (uint64_t)(c->slot_magic * sz) + 1;
    vl_list_add(&km->caches, &c->link);
    pthread_mutex_unlock(&km->lock);
    VL_DEBUG_CHECK(kmem_cache_check(c));
    return c;
}

static void cache_free(kmem_cache_t *c)
{
    pthread_mutex_lock(&c->km->lock);
    if (c->id)
        c->km->cache_ids[c->id / 64] &= ~((uint64_t)1 << (c->id % 64));
    vl_list_del(&c->link);
    pthread_mutex_unlock(&c->km->lock);
    pthread_mutex_destroy(&c->lock);
    free(c->cpu);
    free(c);
}

int kmem_cache_destroy(kmem_cache_t *c)
{
    if (!c)
        return 0;
    kmem_cache_shrink(c);
    if (c->active)
        return kmem_report(c->km, EBUSY, "kmem_cache_destroy %s: Slab cache still has objects (%ju)", c->name,
                           (uintmax_t)c->active);
    cache_free(c);
    return 0;
}

void kmem_slab_destroy_all(kmem_t *km)
{
    while (!vl_list_empty(&km->caches)) {
        kmem_cache_t *c = vl_list_entry(km->caches.next, kmem_cache_t, link);
        vl_list_t *lists[3] = {&c->full, &c->partial, &c->empty};
        kmem_cache_shrink(c);
        for (int l = 0; l < 3; l++)
            while (!vl_list_empty(lists[l]))
                slab_discard(c, vl_list_entry(lists[l]->next, kmem_slab_t, list));
        cache_free(c);
    }
}

int kmem_slabinfo(kmem_t *km, kmem_slabinfo_t **out, size_t *n)
{
    size_t cnt = 0, i = 0;
    vl_list_t *it;
    kmem_slabinfo_t *s;
    pthread_mutex_lock(&km->lock);
    vl_list_for_each(it, &km->caches) cnt++;
    s = calloc(cnt ? cnt : 1, sizeof *s);
    if (!s) {
        pthread_mutex_unlock(&km->lock);
        return -ENOMEM;
    }
    vl_list_for_each(it, &km->caches)
    {
        kmem_cache_t *c = vl_list_entry(it, kmem_cache_t, link);
        pthread_mutex_lock(&c->lock);
        snprintf(s[i].name, sizeof s[i].name, "%s", c->name);
        s[i].num_objs = c->nslabs * c->objs;
        s[i].active_objs = c->active;
        s[i].objsize = c->size;
        s[i].objperslab = c->objs;
        s[i].pagesperslab = (uint64_t)1 << c->order;
        s[i].active_slabs = s[i].num_slabs = c->nslabs;
        pthread_mutex_unlock(&c->lock);
        i++;
    }
    pthread_mutex_unlock(&km->lock);
    *out = s;
    *n = cnt;
    return 0;
}

static void check_list(kmem_cache_t *c, vl_list_t *h, int which, uint64_t *nslabs, uint64_t *active)
{
    vl_list_t *it;
    vl_list_for_each(it, h)
    {
        kmem_slab_t *s = vl_list_entry(it, kmem_slab_t, list);
        unsigned handed = 0;
        VL_ASSERT(s->cache == c && s->inuse + s->nfree == c->objs);
        VL_ASSERT(which == 0 ? s->inuse == c->objs : which == 2 ? s->inuse == 0 : (s->inuse > 0 && s->inuse < c->objs));
        for (unsigned i = 0; i < c->objs; i++)
            handed += s->state[i];
        VL_ASSERT(handed == s->inuse);
        for (unsigned f = 0; f < s->nfree; f++)
            VL_ASSERT(s->free[f] < c->objs && s->state[s->free[f]] == 0);
        for (unsigned p = 0; p < (1u << c->order); p++)
            VL_ASSERT((s->page[p].flags & PG_SLAB) && s->page[p].slab == s && s->page[p].slab_cache == c &&
                      c->km->slab_owner[kmem_pfn(c->km, &s->page[p])] == owner_entry(c, s));
        /* a buddy block is aligned to its order: the inline free's slab start */
        VL_ASSERT(kmem_pfn(c->km, s->page) % (1u << c->order) == 0);
        VL_ASSERT(s->colour <= c->colour_max * c->colour_off);
        (*nslabs)++;
        *active += s->inuse;
    }
}

static void check_mag(kmem_cache_t *c, const kmem_mag_t *m)
{
    if (!m)
        return;
    VL_ASSERT(m->rounds <= c->mag_cap);
    for (unsigned r = 0; r < m->rounds; r++) {
        kmem_page_t *pg = kmem_virt_to_page(c->km, m->obj[r]);
        VL_ASSERT(pg && (pg->flags & PG_SLAB) && pg->slab_cache == c);
    }
}

void kmem_cache_check(kmem_cache_t *c) { cache_check_cpu(c, -1); }

/* The owner map mirrors the struct pages: a frame of a slab of a cache
 * with an id holds id << 16 | the slab's colour, every other frame 0; the
 * ids in use are exactly those of the live caches (bit 0 always set). */
void kmem_slab_owner_check(kmem_t *km)
{
    uint64_t ids[KMEM_MAX_CACHE_IDS / 64] = {1};
    vl_list_t *it;
    for (uint64_t pfn = 0; pfn < km->npages; pfn++) {
        const kmem_page_t *pg = &km->pages[pfn];
        uint32_t want = 0;
        if (pg->flags & PG_SLAB)
            want = owner_entry(pg->slab_cache, pg->slab);
        VL_ASSERT(km->slab_owner[pfn] == want);
    }
    vl_list_for_each(it, &km->caches)
    {
        const kmem_cache_t *c = vl_list_entry(it, kmem_cache_t, link);
        VL_ASSERT(c->id < KMEM_MAX_CACHE_IDS - 1 && c->owner_tag == (c->id ? c->id << 16 : KMEM_OWNER_NONE));
        VL_ASSERT(c->slot_bound == (c->id && c->slab_mask < 0x8000u
                                        ? (uint64_t)(c->objs - 1) * (uint64_t)(c->slot_magic * c->size) + 1
                                        : 0));
        VL_ASSERT(!c->id || !(ids[c->id / 64] & ((uint64_t)1 << (c->id % 64))));
        ids[c->id / 64] |= (uint64_t)1 << (c->id % 64);
    }
    ids[0] |= 1;
    VL_ASSERT(memcmp(ids, km->cache_ids, sizeof ids) == 0);
}

static void cache_check_cpu(kmem_cache_t *c, int only)
{
    uint64_t nslabs = 0, active = 0, nf = 0, ne = 0;
    pthread_mutex_lock(&c->lock);
    check_list(c, &c->full, 0, &nslabs, &active);
    check_list(c, &c->partial, 1, &nslabs, &active);
    check_list(c, &c->empty, 2, &nslabs, &active);
    VL_ASSERT(nslabs == c->nslabs && active == c->active);
    VL_ASSERT((uint64_t)c->objs * c->size <= (KMEM_PAGE_SIZE << c->order));
    for (const kmem_mag_t *m = c->depot_full; m; m = m->next, nf++) {
        VL_ASSERT(m->rounds == c->mag_cap);
        check_mag(c, m);
    }
    for (const kmem_mag_t *m = c->depot_empty; m; m = m->next, ne++)
        VL_ASSERT(m->rounds == 0);
    VL_ASSERT(nf == c->depot_nfull && ne == c->depot_nempty);
    for (unsigned cpu = 0; c->mag_cap && cpu < c->km->cfg.cpus; cpu++) {
        if (only >= 0 && cpu != (unsigned)only)
            continue;
        cc_save(&c->cpu[cpu]); /* the inline paths leave loaded->rounds stale */
        VL_ASSERT(c->cpu[cpu].base == (c->fast_cpus && c->cpu[cpu].loaded ? c->cpu[cpu].loaded->obj : NULL));
        check_mag(c, c->cpu[cpu].loaded);
        check_mag(c, c->cpu[cpu].previous);
    }
    for (unsigned cpu = c->km->cfg.cpus; cpu <= KMEM_MAX_CPUS; cpu++) /* no such CPU: the inline paths fail */
        VL_ASSERT(!c->cpu[cpu].top && !c->cpu[cpu].base && !c->cpu[cpu].end && !c->cpu[cpu].loaded);
    pthread_mutex_unlock(&c->lock);
}
