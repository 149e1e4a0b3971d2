/* SPDX-License-Identifier: MIT */
/*
 * test_kmem.c - the kernel allocators in user space (src/kmem).
 *
 * Buddy: random workloads against an independent model that keeps only a
 * bitmap of free units; with immediate merging the free blocks are exactly
 * the maximal aligned all-free blocks whose parent is not all free, so the
 * model derives nr_free per order from the bitmap alone.  Buddyinfo after a
 * known sequence; watermarks and lowmem_reserve worked by hand from
 * mm/page_alloc.c; the allocation refused exactly at min + reserve.  The
 * indices of mm/vmstat.c on hand-computed cases.  Slab: calculate_order
 * worked by hand from mm/slub.c (and checked against this machine's
 * /proc/slabinfo), objects never overlap, constructors run once per object
 * per slab lifetime, colours cycle, slabinfo parses back to the counters,
 * red zones and poison catch double free, overflow and use after free, a
 * free to the wrong cache names both caches, through the inline free's
 * owner map as through the struct page (ids exhausted, colours past the
 * map's 16 bits).  vmalloc'd bytes are the
 * frames' bytes (a real second mapping).  Two threads on two CPUs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "vmlab/check.h"
#include "kmem/buddy.h"
#include "kmem/kmem_impl.h"
#include "kmem/scenario.h"
#include "vmlab/kmem.h"

static uint64_t mix_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- buddy against the bitmap model ---- */

static void model_nr_free(const uint8_t *freebit, uint32_t n, unsigned maxo, uint64_t *nr)
{
    for (unsigned k = 0; k < maxo; k++) {
        nr[k] = 0;
        for (uint64_t i = 0; i + ((uint64_t)1 << k) <= n; i += (uint64_t)1 << k) {
            int all = 1, parent_all = 1;
            for (uint64_t u = i; u < i + ((uint64_t)1 << k); u++)
                all &= freebit[u];
            if (!all)
                continue;
            if (k + 1 < maxo) {
                uint64_t p = i & ~(((uint64_t)1 << (k + 1)) - 1);
                if (p + ((uint64_t)2 << k) > n)
                    parent_all = 0;
                else
                    for (uint64_t u = p; u < p + ((uint64_t)2 << k); u++)
                        parent_all &= freebit[u];
            } else {
                parent_all = 0;
            }
            nr[k] += !parent_all;
        }
    }
}

TEST(buddy_random_against_model)
{
    for (uint64_t seed = 1; seed <= 40; seed++) {
        uint64_t s = seed;
        uint32_t n = 64 + (uint32_t)(mix_next(&s) % 2000);
        unsigned maxo = 1 + (unsigned)(mix_next(&s) % 8);
        buddy_t b;
        uint8_t *freebit = calloc(n, 1);
        uint32_t *blk = malloc(n * sizeof *blk);
        unsigned *ord = malloc(n * sizeof *ord);
        size_t live = 0;
        uint64_t nr[BUDDY_ORDERS];
        CHECK(freebit && blk && ord);
        CHECK_EQ(buddy_init(&b, n, maxo), 0);
        buddy_free_range(&b, 0, n);
        memset(freebit, 1, n);
        for (int step = 0; step < 3000; step++) {
            if (live && (mix_next(&s) % 100 < 45)) {
                size_t j = mix_next(&s) % live;
                CHECK_EQ(buddy_free(&b, blk[j], ord[j]), 0);
                CHECK_EQ(buddy_free(&b, blk[j], ord[j]), -EINVAL); /* double free refused */
                for (uint32_t u = blk[j]; u < blk[j] + (1u << ord[j]); u++)
                    freebit[u] = 1;
                blk[j] = blk[--live];
                ord[j] = ord[live];
            } else {
                unsigned k = (unsigned)(mix_next(&s) % maxo);
                uint32_t i = buddy_alloc(&b, k);
                uint64_t avail = 0;
                model_nr_free(freebit, n, maxo, nr);
                for (unsigned o = k; o < maxo; o++)
                    avail += nr[o];
                if (i == BUDDY_NIL) {
                    CHECK_EQ(avail, 0);
                    continue;
                }
                CHECK(avail > 0);
                CHECK_EQ(i % (1u << k), 0);
                CHECK(i + (1u << k) <= n);
                for (uint32_t u = i; u < i + (1u << k); u++) {
                    CHECK_MSG(freebit[u], "seed %ju: unit %u handed out twice", (uintmax_t)seed, u);
                    freebit[u] = 0;
                }
                blk[live] = i;
                ord[live++] = k;
            }
            model_nr_free(freebit, n, maxo, nr);
            for (unsigned k = 0; k < maxo; k++)
                CHECK_MSG(nr[k] == b.nr_free[k], "seed %ju step %d order %u: %ju free blocks, model %ju",
                          (uintmax_t)seed, step, k, (uintmax_t)b.nr_free[k], (uintmax_t)nr[k]);
            buddy_check(&b);
        }
        buddy_fini(&b);
        free(freebit);
        free(blk);
        free(ord);
    }
}

/* ---- zones, watermarks, buddyinfo ---- */

static kmem_t *mk(uint64_t mb, unsigned cpus, kmem_arch_t arch, int no_pcp)
{
    kmem_config_t c = {.mem_bytes = mb << 20, .cpus = cpus, .arch = arch, .no_pcp = no_pcp};
    kmem_t *km = NULL;
    diag_t d;
    return kmem_create(&c, &km, &d) == 0 ? km : NULL;
}

TEST(watermarks_by_hand)
{
    /* 64 MiB: lowmem 16384 pages = 65536 kB; min_free_kbytes = isqrt(65536 * 16) = 1024;
     * pages_min 256; DMA 4096 pages: min 64, tmp max(16, 4) -> low 80, high 96;
     * DMA32 12288: min 192, tmp max(48, 12) -> 240, 288; DMA's reserve for
     * DMA32 and Normal allocations 12288 / 256 = 48. */
    kmem_t *km = mk(64, 1, KMEM_ARCH_X86_64, 1);
    kmem_zone_desc_t *dma, *dma32;
    CHECK(km);
    CHECK_EQ(km->nzones, 2);
    CHECK_EQ(km->min_free_kbytes, 1024);
    dma = km->node[0].zones[KMEM_ZONE_DMA];
    dma32 = km->node[0].zones[KMEM_ZONE_DMA32];
    CHECK(dma && dma32 && !km->node[0].zones[KMEM_ZONE_NORMAL]);
    CHECK_EQ(dma->wmark[0], 64);
    CHECK_EQ(dma->wmark[1], 80);
    CHECK_EQ(dma->wmark[2], 96);
    CHECK_EQ(dma32->wmark[0], 192);
    CHECK_EQ(dma32->wmark[1], 240);
    CHECK_EQ(dma32->wmark[2], 288);
    CHECK_EQ(dma->lowmem_reserve[KMEM_ZONE_DMA32], 48);
    CHECK_EQ(dma->lowmem_reserve[KMEM_ZONE_NORMAL], 48);
    CHECK_EQ(dma32->lowmem_reserve[KMEM_ZONE_NORMAL], 0);
    /* zone_batchsize: min(12288 >> 10, 256) / 4 = 3 -> rounddown_pow2(4) - 1 = 3 */
    CHECK_EQ(dma32->pcp_batch, 3);
    kmem_destroy(km);
}

TEST(buddyinfo_known_sequence)
{
    kmem_t *km = mk(64, 1, KMEM_ARCH_X86_64, 1);
    kmem_zoneinfo_t *z;
    size_t n;
    kmem_page_t *a, *b2;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    CHECK(km);
    a = kmem_alloc_pages(km, KMEM_GFP_KERNEL, 0); /* splits one order-10 block of DMA32 */
    b2 = kmem_alloc_pages(km, KMEM_GFP_KERNEL, 2);
    CHECK(a && b2);
    CHECK_EQ(kmem_page_zone(a), KMEM_ZONE_DMA32);
    CHECK_EQ(kmem_buddyinfo(km, &z, &n), 0);
    CHECK_EQ(n, 2);
    f = open_memstream(&buf, &len);
    kmem_print_buddyinfo(f, z, n);
    fclose(f);
    /* order 0 took [0] of a 1024 block: free 1 of each order 0..9; order 2
     * then takes the free order-2 block at 4 */
    CHECK_STR(buf, "Node 0, zone      DMA      0      0      0      0      0      0      0      0      0      0      4 \n"
                   "Node 0, zone    DMA32      1      1      0      1      1      1      1      1      1      1     11 \n");
    CHECK_EQ(kmem_page_to_pfn(km, a), 4096);
    CHECK_EQ(kmem_page_to_pfn(km, b2), 4096 + 4);
    free(buf);
    free(z);
    CHECK_EQ(kmem_free_pages(km, b2, 1), -EINVAL); /* wrong order */
    CHECK_EQ(kmem_free_pages(km, b2, 2), 0);
    CHECK_EQ(kmem_free_pages(km, a, 0), 0);
    CHECK_EQ(kmem_free_pages(km, a, 0), -EINVAL); /* double free */
    CHECK_EQ(kmem_buddyinfo(km, &z, &n), 0);
    CHECK_EQ(z[1].nr_free[10], 12);
    CHECK_EQ(z[1].nr_free[0], 0);
    free(z);
    kmem_destroy(km);
}

TEST(watermark_refuses_exactly)
{
    kmem_t *km = mk(64, 1, KMEM_ARCH_X86_64, 1);
    kmem_zone_desc_t *dma, *dma32;
    uint64_t got = 0;
    CHECK(km);
    while (kmem_alloc_pages(km, KMEM_GFP_KERNEL, 0))
        got++;
    dma = km->node[0].zones[KMEM_ZONE_DMA];
    dma32 = km->node[0].zones[KMEM_ZONE_DMA32];
    /* the slow path stops each zone at min + lowmem_reserve[Normal] */
    CHECK_EQ(dma32->bd.free_units, dma32->wmark[0]);
    CHECK_EQ(dma->bd.free_units, dma->wmark[0] + dma->lowmem_reserve[KMEM_ZONE_NORMAL]);
    CHECK_EQ(got, 16384 - 192 - 64 - 48);
    /* GFP_ATOMIC may go to half of min */
    while (kmem_alloc_pages(km, KMEM_GFP_ATOMIC, 0))
        got++;
    CHECK_EQ(dma32->bd.free_units, dma32->wmark[0] - dma32->wmark[0] / 2);
    kmem_destroy(km);
}

TEST(i386_highmem)
{
    kmem_t *km = mk(1024, 1, KMEM_ARCH_I386, 0);
    kmem_page_t *h, *k;
    CHECK(km);
    CHECK_EQ(km->nzones, 3);
    CHECK_EQ(km->node[0].zones[KMEM_ZONE_NORMAL]->pages, 229376 - 4096);
    CHECK_EQ(km->node[0].zones[KMEM_ZONE_HIGHMEM]->pages, 262144 - 229376);
    h = kmem_alloc_pages(km, KMEM_GFP_HIGHUSER, 0);
    k = kmem_alloc_pages(km, KMEM_GFP_KERNEL, 0);
    CHECK(h && k);
    CHECK_EQ(kmem_page_zone(h), KMEM_ZONE_HIGHMEM);
    CHECK_EQ(kmem_page_zone(k), KMEM_ZONE_NORMAL);
    CHECK(kmem_page_address(km, h) == NULL);
    CHECK(kmem_kmap(km, h) != NULL);
    CHECK(kmem_virt_to_page(km, kmem_page_address(km, k)) == k);
    CHECK_EQ(kmem_free_pages(km, h, 0), 0);
    CHECK_EQ(kmem_free_pages(km, k, 0), 0);
    kmem_destroy(km);
}

TEST(gfp_zero_and_dma)
{
    kmem_t *km = mk(64, 1, KMEM_ARCH_X86_64, 0);
    unsigned char *p;
    kmem_page_t *pg;
    CHECK(km);
    pg = kmem_alloc_pages(km, KMEM_GFP_KERNEL | KMEM_GFP_DMA, 1);
    CHECK(pg && kmem_page_zone(pg) == KMEM_ZONE_DMA);
    p = kmem_page_address(km, pg);
    memset(p, 0xab, 8192);
    CHECK_EQ(kmem_free_pages(km, pg, 1), 0);
    pg = kmem_alloc_pages(km, KMEM_GFP_KERNEL | KMEM_GFP_DMA | KMEM_GFP_ZERO, 1);
    CHECK(pg);
    p = kmem_page_address(km, pg);
    for (int i = 0; i < 8192; i++)
        CHECK_EQ(p[i], 0);
    CHECK(kmem_alloc_pages(km, KMEM_GFP_KERNEL, 11) == NULL);
    kmem_free_pages(km, pg, 1);
    kmem_destroy(km);
}

/* ---- fragmentation indices ---- */

TEST(indices_by_hand)
{
    kmem_zoneinfo_t z = {.node = 0, .zone = "Normal", .norders = 11};
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    z.nr_free[10] = 1; /* all free memory in one order-10 block */
    for (unsigned o = 0; o < 11; o++) {
        CHECK_EQ(kmem_extfrag_index(&z, o), -1000);
        CHECK_EQ(kmem_unusable_index(&z, o), 0);
    }
    f = open_memstream(&buf, &len);
    kmem_print_extfrag(f, &z, 1);
    kmem_print_unusable(f, &z, 1);
    fclose(f);
    CHECK_STR(buf, "Node 0, zone   Normal -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 \n"
                   "Node 0, zone   Normal 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 \n");
    free(buf);
    /* four free order-0 pages: order 1 needs 2 contiguous: 1000 - (1000 + 4000/2)/4 = 250 */
    memset(z.nr_free, 0, sizeof z.nr_free);
    z.nr_free[0] = 4;
    CHECK_EQ(kmem_extfrag_index(&z, 0), -1000);
    CHECK_EQ(kmem_extfrag_index(&z, 1), 250);
    CHECK_EQ(kmem_extfrag_index(&z, 2), 1000 - (1000 + 1000) / 4); /* 500 */
    CHECK_EQ(kmem_unusable_index(&z, 0), 0);
    CHECK_EQ(kmem_unusable_index(&z, 1), 1000);
    /* 2 order-0 and 1 order-2: 6 free pages; order 1: suitable 2 -> (6 - 4) * 1000 / 6 = 333 */
    z.nr_free[0] = 2;
    z.nr_free[2] = 1;
    CHECK_EQ(kmem_unusable_index(&z, 1), 333);
    CHECK_EQ(kmem_unusable_index(&z, 3), 1000);
    CHECK_EQ(kmem_extfrag_index(&z, 3), 1000 - (1000 + 6000 / 8) / 3); /* 417 */
    /* no free memory: extfrag 0, unusable 1000 */
    memset(z.nr_free, 0, sizeof z.nr_free);
    CHECK_EQ(kmem_extfrag_index(&z, 4), 0);
    CHECK_EQ(kmem_unusable_index(&z, 4), 1000);
}

/* ---- slab ---- */

TEST(calculate_order_by_hand)
{
    unsigned objs;
    /* 2 CPUs: min_objects = 4 * (fls(2) + 1) = 12.
     * 4288: max_objects 32768/4288 = 7 -> min 7; get_order(7*4288 = 30016) = 3,
     *   rem 32768 - 30016 = 2752 > 32768/16 = 2048, order 4 > 3; fraction 8: 2752 <= 4096 -> 3, 7 objs */
    CHECK_EQ(kmem_calculate_order(4288, 2, &objs), 3);
    CHECK_EQ(objs, 7);
    /* 1600: get_order(19200) = 3, rem 32768 % 1600 = 768 <= 2048 -> 3, 20 objs */
    CHECK_EQ(kmem_calculate_order(1600, 2, &objs), 3);
    CHECK_EQ(objs, 20);
    /* 192: get_order(2304) = 0, rem 4096 % 192 = 64 <= 256 -> 0, 21 objs */
    CHECK_EQ(kmem_calculate_order(192, 2, &objs), 0);
    CHECK_EQ(objs, 21);
    /* 624: get_order(7488) = 1, 8192 % 624 = 80 <= 512 -> 1, 13 objs */
    CHECK_EQ(kmem_calculate_order(624, 2, &objs), 1);
    CHECK_EQ(objs, 13);
    /* 2048: get_order(24576) = 3, rem 0 -> 16 objs on 8 pages */
    CHECK_EQ(kmem_calculate_order(2048, 2, &objs), 3);
    CHECK_EQ(objs, 16);
    /* 1 CPU: min_objects 8: 2048 -> get_order(16384) = 2, 8 objs */
    CHECK_EQ(kmem_calculate_order(2048, 1, &objs), 2);
    CHECK_EQ(objs, 8);
    /* 8192: max_objects 4 -> min 4: get_order(32768) = 3, rem 0 */
    CHECK_EQ(kmem_calculate_order(8192, 2, &objs), 3);
    CHECK_EQ(objs, 4);
    /* 64 CPUs: min 4 * (7 + 1) = 32; 256: get_order(8192) = 1, rem 0 -> 32 objs */
    CHECK_EQ(kmem_calculate_order(256, 64, &objs), 1);
    CHECK_EQ(objs, 32);
    /* 3000 with 2 CPUs: max 10 -> min 10; get_order(30000) = 3, rem 2768 > 2048;
     * 1/8: 2768 <= 4096 -> 3, 10 objs */
    CHECK_EQ(kmem_calculate_order(3000, 2, &objs), 3);
    CHECK_EQ(objs, 10);
    /* 40000 (> 32 KiB): min_objects 0 -> calc_slab_order(size, 1, 3, 1) fails, then
     * up to MAX_ORDER: get_order(40000) = 4, rem 65536 - 40000 <= 65536 -> 4, 1 obj */
    CHECK_EQ(kmem_calculate_order(40000, 2, &objs), 4);
    CHECK_EQ(objs, 1);
    /* 8: 512 objects per page */
    CHECK_EQ(kmem_calculate_order(8, 2, &objs), 0);
    CHECK_EQ(objs, 512);
    CHECK_EQ(kmem_calculate_order(5u << 20, 2, &objs), -ENOSYS);
}

/* Every cache of this machine's /proc/slabinfo whose objperslab and order
 * are SLUB's default choice: with the present CPU count most caches must
 * agree (some are created with explicit orders or by other allocators). */
TEST(calculate_order_matches_this_machine)
{
    char *text = NULL;
    size_t len = 0, n = 0, agree = 0, tried = 0;
    kmem_slabinfo_t *s = NULL;
    FILE *f = fopen("/proc/slabinfo", "r");
    long cpus = sysconf(_SC_NPROCESSORS_CONF);
    if (!f)
        SKIP("/proc/slabinfo is not readable (needs root)");
    text = malloc(1 << 22);
    CHECK(text);
    len = fread(text, 1, (1 << 22) - 1, f);
    fclose(f);
    CHECK_EQ(kmem_parse_slabinfo(text, len, "/proc/slabinfo", &s, &n, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        unsigned objs;
        int order;
        if (s[i].objsize == 0 || s[i].pagesperslab == 0 || s[i].limit != 0)
            continue; /* not SLUB */
        tried++;
        order = kmem_calculate_order((unsigned)s[i].objsize, (unsigned)cpus, &objs);
        agree += order >= 0 && ((uint64_t)1 << order) == s[i].pagesperslab && objs == s[i].objperslab;
    }
    free(text);
    free(s);
    if (tried == 0)
        SKIP("no SLUB caches in /proc/slabinfo");
    CHECK_MSG(agree * 10 >= tried * 9, "only %zu of %zu caches agree with calculate_order", agree, tried);
}

static int ctor_calls;
static void count_ctor(void *obj)
{
    ctor_calls++;
    memcpy(obj, "constructed", 12);
}

TEST(slab_objects_never_overlap_and_ctor_once)
{
    kmem_t *km = mk(64, 2, KMEM_ARCH_X86_64, 0);
    kmem_cache_t *c[3];
    void **objs = malloc(3000 * sizeof *objs);
    size_t n = 0;
    uint64_t s = 7;
    CHECK(km && objs);
    ctor_calls = 0;
    c[0] = kmem_cache_create(km, "a200", 200, 0, 0, count_ctor);
    c[1] = kmem_cache_create(km, "b24", 24, 0, KMEM_SLAB_HWCACHE_ALIGN, NULL);
    c[2] = kmem_cache_create(km, "c1000", 1000, 64, 0, NULL);
    CHECK(c[0] && c[1] && c[2]);
    CHECK(kmem_cache_create(km, "a200", 8, 0, 0, NULL) == NULL); /* duplicate name */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 900; i++) {
            unsigned w = (unsigned)(mix_next(&s) % 3);
            void *o = kmem_cache_alloc(c[w], KMEM_GFP_KERNEL);
            CHECK(o);
            if (w == 0)
                CHECK(memcmp(o, "constructed", 12) == 0); /* constructed state kept */
            objs[n++] = o;
        }
        for (size_t i = 0; i < n; i++) { /* no two live objects overlap */
            kmem_page_t *pi = kmem_virt_to_page(km, objs[i]);
            CHECK(pi && (pi->flags & PG_SLAB));
            for (size_t j = i + 1; j < n; j++) {
                kmem_page_t *pj = kmem_virt_to_page(km, objs[j]);
                uintptr_t a = (uintptr_t)objs[i], b = (uintptr_t)objs[j];
                size_t la = kmem_cache_size(pi->slab_cache), lb = kmem_cache_size(pj->slab_cache);
                CHECK_MSG(a + la <= b || b + lb <= a, "objects %p and %p overlap", objs[i], objs[j]);
            }
        }
        for (size_t i = 0; i < n / 2; i++) { /* free half, at random */
            size_t j = mix_next(&s) % n;
            kmem_page_t *pg = kmem_virt_to_page(km, objs[j]);
            CHECK_EQ(kmem_cache_free(pg->slab_cache, objs[j]), 0);
            objs[j] = objs[--n];
        }
        kmem_check(km);
    }
    /* ctor ran once per object of every slab made, never on reuse */
    CHECK_EQ((uint64_t)ctor_calls, c[0]->nslabs * c[0]->objs);
    while (n) {
        kmem_page_t *pg = kmem_virt_to_page(km, objs[--n]);
        kmem_cache_free(pg->slab_cache, objs[n]);
    }
    CHECK(kmem_cache_shrink(c[0]) > 0);
    CHECK_EQ(c[0]->nslabs, 0);
    ctor_calls = 0;
    CHECK(kmem_cache_alloc(c[0], 0) != NULL);
    CHECK_EQ((uint64_t)ctor_calls, c[0]->objs); /* a new slab: constructed again */
    free(objs);
    kmem_destroy(km);
}

TEST(colouring_cycles)
{
    /* 200-byte objects, order 0 (1 CPU: min 8 objects): 20 objects, 96 bytes
     * left, colour_off 64: colours 0, 64, 0, 64, ... */
    kmem_t *km = mk(64, 1, KMEM_ARCH_X86_64, 0);
    kmem_cache_t *c;
    CHECK(km);
    c = kmem_cache_create(km, "col", 200, 0, KMEM_SLAB_NO_MAGAZINE, NULL);
    CHECK(c);
    CHECK_EQ(c->objs, 20);
    CHECK_EQ(c->colour_max, 1);
    for (int slab = 0; slab < 6; slab++) {
        void *first = kmem_cache_alloc(c, 0);
        CHECK(first);
        CHECK_EQ((uintptr_t)first & (KMEM_PAGE_SIZE - 1), (slab % 2) * 64);
        for (int i = 1; i < 20; i++)
            CHECK(kmem_cache_alloc(c, 0));
    }
    /* 64-byte aligned 100-byte objects in order 0: size 104 -> 39 objs, 40 bytes left: one colour */
    c = kmem_cache_create(km, "col2", 100, 0, KMEM_SLAB_NO_MAGAZINE, NULL);
    CHECK(c);
    CHECK_EQ(c->size, 104);
    CHECK_EQ(c->colour_max, 0);
    kmem_destroy(km);
}

TEST(slabinfo_parses_back)
{
    kmem_t *km = mk(128, 2, KMEM_ARCH_X86_64, 0);
    kmem_slabinfo_t *a, *b;
    size_t na, nb;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    kmem_wl_t *w = NULL;
    CHECK(km);
    CHECK_EQ(kmem_workload_run(km, &w, KWL_FORK, 3000, 3, NULL), 0);
    CHECK_EQ(kmem_workload_run(km, &w, KWL_FORK, 3000, 3, NULL), 0);
    for (int i = 0; i < 500; i++)
        CHECK(kmem_kmalloc(km, (size_t)(i * 13 % 9000) + 1, KMEM_GFP_KERNEL));
    CHECK_EQ(kmem_slabinfo(km, &a, &na), 0);
    f = open_memstream(&buf, &len);
    kmem_print_slabinfo(f, a, na);
    fclose(f);
    CHECK_EQ(kmem_parse_slabinfo(buf, len, "mem", &b, &nb, NULL), 0);
    CHECK_EQ(nb, na);
    for (size_t i = 0; i < na; i++) {
        kmem_cache_t *c = kmem_cache_find(km, b[i].name);
        CHECK(c);
        CHECK_EQ(b[i].active_objs, c->active);
        CHECK_EQ(b[i].num_objs, c->nslabs * c->objs);
        CHECK_EQ(b[i].objsize, c->size);
        CHECK_EQ(b[i].objperslab, c->objs);
        CHECK_EQ(b[i].pagesperslab, 1u << c->order);
        CHECK_EQ(b[i].num_slabs, c->nslabs);
        CHECK_EQ(b[i].limit + b[i].batchcount + b[i].sharedfactor, 0);
    }
    CHECK(kmem_cache_find(km, "task_struct"));
    CHECK_EQ(kmem_cache_find(km, "task_struct")->objs, 7);
    free(buf);
    free(a);
    free(b);
    kmem_workload_end(km, w);
    kmem_destroy(km);
}

TEST(debug_catches_double_free_overflow_uaf)
{
    kmem_t *km = mk(64, 1, KMEM_ARCH_X86_64, 0);
    kmem_cache_t *c, *other;
    unsigned char *o, *p;
    uint64_t e;
    CHECK(km);
    c = kmem_cache_create(km, "dbg", 100, 0, KMEM_SLAB_RED_ZONE | KMEM_SLAB_POISON, NULL);
    other = kmem_cache_create(km, "other", 100, 0, 0, NULL);
    CHECK(c && other);
    /* 100 -> 104, free pointer +8 = 112, red zone +8 = 120, left pad 8 = 128 */
    CHECK_EQ(c->size, 128);
    o = kmem_cache_alloc(c, 0);
    CHECK(o);
    e = kmem_errors(km);
    CHECK_EQ(kmem_cache_free(c, o), 0);
    CHECK_EQ(kmem_errors(km), e);
    CHECK(kmem_cache_free(c, o) != 0); /* double free */
    CHECK(strstr(kmem_last_error(km), "double free") && strstr(kmem_last_error(km), "dbg"));
    o[10] = 1; /* use after free */
    e = kmem_errors(km);
    for (int i = 0; i < 300 && kmem_errors(km) == e; i++)
        CHECK(kmem_cache_alloc(c, 0));
    CHECK(kmem_errors(km) > e);
    CHECK(strstr(kmem_last_error(km), "use after free"));
    p = kmem_cache_alloc(c, 0);
    CHECK(p);
    p[100] = 0; /* one past the end: the red zone */
    e = kmem_errors(km);
    kmem_cache_free(c, p);
    CHECK(kmem_errors(km) == e + 1 && strstr(kmem_last_error(km), "overflow"));
    p = kmem_cache_alloc(other, 0);
    CHECK(kmem_cache_free(c, p) == -EINVAL);
    CHECK(strstr(kmem_last_error(km), "belongs to cache other, not dbg"));
    CHECK(kmem_cache_free(other, p + 1) == -EINVAL);
    CHECK(kmem_kfree(km, p) == -EINVAL);
    CHECK(strstr(kmem_last_error(km), "other"));
    CHECK(kmem_cache_free(other, (char *)km) == -EINVAL);
    CHECK(strstr(kmem_last_error(km), "not a slab object"));
    CHECK_EQ(kmem_cache_destroy(other), -EBUSY);
    CHECK_EQ(kmem_cache_free(other, p), 0);
    CHECK_EQ(kmem_cache_destroy(other), 0);
    kmem_destroy(km);
}

/* The inline free of a magazine cache (no debugging) refuses what the slow
 * path refuses, on random mixes: an object of another cache (named), a
 * pointer inside an object, a pointer outside the memory, an object whose
 * slab was given back; each refusal is one recorded error and nothing
 * changes (the object stays allocated where it is). */
TEST(fast_free_refuses_like_slow_free)
{
    for (uint64_t seed = 1; seed <= 20; seed++) {
        kmem_t *km = mk(64, 1, KMEM_ARCH_X86_64, 0);
        kmem_cache_t *cs[2];
        void *live[2][300];
        unsigned n[2] = {0, 0};
        uint64_t rs = seed, e = 0;
        char stale_name[64];
        CHECK(km);
        /* small objects in order-0 slabs, and objects in slabs of orders
         * 1..3 with colours (the inline free finds the slab start by
         * alignment to the order and the slot by divisibility) */
        size_t fa_size = seed % 3 == 0 ? 24 + seed * 8 : seed % 3 == 1 ? 700 + seed * 97 : 2900 + seed * 211;
        cs[0] = kmem_cache_create(km, "fa", fa_size, 0, 0, NULL);
        cs[1] = kmem_cache_create(km, "fb", 200, 0, 0, NULL);
        CHECK(cs[0] && cs[1] && cs[0]->fast_cpus == (VMLAB_DEBUG ? 0u : 1u));
        for (int step = 0; step < 4000; step++) {
            uint64_t r = mix_next(&rs);
            unsigned w = (unsigned)(r & 1), act = (unsigned)((r >> 1) % 8);
            if (act < 4 && n[w] < 300) {
                CHECK((live[w][n[w]++] = kmem_cache_alloc(cs[w], 0)) != NULL);
            } else if (act < 6 && n[w]) {
                unsigned k = (unsigned)((r >> 8) % n[w]);
                CHECK_EQ(kmem_cache_free(cs[w], live[w][k]), 0);
                live[w][k] = live[w][--n[w]];
            } else if (act == 6 && n[w]) { /* to the other cache */
                unsigned k = (unsigned)((r >> 8) % n[w]);
                snprintf(stale_name, sizeof stale_name, "belongs to cache %s, not %s", w ? "fb" : "fa",
                         w ? "fa" : "fb");
                CHECK_EQ(kmem_cache_free(cs[!w], live[w][k]), -EINVAL);
                CHECK(strstr(kmem_last_error(km), stale_name));
                CHECK_EQ(kmem_errors(km), ++e);
            } else if (act == 7 && n[w]) { /* inside an object */
                unsigned k = (unsigned)((r >> 8) % n[w]);
                size_t in = 1 + (size_t)((r >> 20) % (kmem_cache_size(cs[w]) - 1));
                CHECK_EQ(kmem_cache_free(cs[w], (char *)live[w][k] + in), -EINVAL);
                CHECK(strstr(kmem_last_error(km), "not the start of an object"));
                CHECK_EQ(kmem_errors(km), ++e);
            }
            if (step % 500 == 0)
                kmem_check(km);
        }
        CHECK_EQ(kmem_cache_free(cs[0], (char *)km), -EINVAL);
        CHECK(strstr(kmem_last_error(km), "not a slab object"));
        CHECK_EQ(kmem_errors(km), ++e);
        for (unsigned w = 0; w < 2; w++)
            while (n[w])
                CHECK_EQ(kmem_cache_free(cs[w], live[w][--n[w]]), 0);
        {
            void *o = kmem_cache_alloc(cs[1], 0); /* freed, then its slab given back */
            CHECK(o);
            CHECK_EQ(kmem_cache_free(cs[1], o), 0);
            CHECK(kmem_cache_shrink(cs[1]) > 0);
            CHECK_EQ(kmem_cache_free(cs[1], o), -EINVAL);
            CHECK(strstr(kmem_last_error(km), "not a slab object"));
            CHECK_EQ(kmem_errors(km), ++e);
        }
        kmem_check(km);
        kmem_cache_shrink(cs[0]);
        CHECK_EQ(cs[0]->active, 0);
        CHECK_EQ(cs[1]->active, 0);
        kmem_destroy(km);
    }
}

/* kmem_cache_free's inline check: for a 32-bit v, v * slot_magic mod 2^64
 * < slot_bound iff v is a slot's offset (a multiple of the size below objs
 * * size), for sizes with and without a power of two, over the low 1 M
 * values, the top 1 M (negative offsets) and a sample between; and another
 * cache's entry (id' != id, colour below 32 KiB) puts v outside the slab. */
TEST(inline_free_slot_check)
{
    static const unsigned sizes[] = {8, 16, 24, 40, 64, 96, 104, 128, 192, 200, 256, 1000, 1024, 3000, 4096, 5000, 8192};
    kmem_t *km = mk(64, 1, KMEM_ARCH_X86_64, 0);
    CHECK(km);
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        kmem_cache_t *c = kmem_cache_create(km, "slotcheck", sizes[k], 0, 0, NULL);
        uint64_t bad = 0, slab;
        CHECK(c && c->slot_bound != 0);
        slab = (uint64_t)c->slab_mask + 1;
        CHECK((uint64_t)c->objs * c->size <= slab && slab <= 0x8000u);
        for (uint64_t v = 0; v < ((uint64_t)1 << 32); v = v < (1u << 20) ? v + 1 : v < 0xfff00000u ? v + 4099 : v + 1) {
            int want = v % c->size == 0 && v / c->size < c->objs;
            bad += ((uint64_t)v * c->slot_magic < c->slot_bound) != want;
        }
        CHECK_EQ(bad, 0);
        for (uint32_t d = 1; d <= 0xffffu; d++) /* id - id' (mod 2^16), extreme offsets and colours */
            for (int e = 0; e < 4; e++) {
                uint32_t a = e & 1 ? (uint32_t)slab - 1 : 0, col = e & 2 ? 0x7fffu : 0;
                uint32_t v = a + (d << 16) - col;
                bad += v < slab;
            }
        CHECK_EQ(bad, 0);
        CHECK_EQ(kmem_cache_destroy(c), 0);
    }
    kmem_destroy(km);
}

/* The owner map's edges: a cache created when all 16-bit ids are taken
 * has none and frees through the struct page alone, still refusing
 * another cache's object; an id comes back when its cache is destroyed; a
 * slab whose colour does not fit the map's low half (128 KiB colour steps)
 * frees through the struct page too.  kmem_check compares the map with the
 * struct pages after each phase. */
TEST(owner_map_edges)
{
    kmem_t *km = mk(64, 1, KMEM_ARCH_X86_64, 0);
    kmem_cache_t *a, *b, *none, *big;
    void *o[64];
    unsigned a_id;
    static uint64_t saved[KMEM_MAX_CACHE_IDS / 64];
    CHECK(km);
    a = kmem_cache_create(km, "a", 200, 0, 0, NULL);
    b = kmem_cache_create(km, "b", 200, 0, 0, NULL);
    CHECK(a && b && a->id && b->id && a->id != b->id);
    a_id = a->id;
    CHECK_EQ(kmem_cache_destroy(a), 0);
    a = kmem_cache_create(km, "a2", 96, 0, 0, NULL);
    CHECK(a && a->id == a_id); /* the lowest free id again */
    memcpy(saved, km->cache_ids, sizeof saved);
    memset(km->cache_ids, 0xff, sizeof km->cache_ids); /* every id taken */
    none = kmem_cache_create(km, "none", 200, 0, 0, NULL);
    CHECK(none && none->id == 0 && none->owner_tag == KMEM_OWNER_NONE);
    memcpy(km->cache_ids, saved, sizeof saved); /* back to the truth */
    for (int i = 0; i < 64; i++)
        CHECK((o[i] = kmem_cache_alloc(none, 0)) != NULL);
    kmem_check(km);
    CHECK_EQ(kmem_cache_free(b, o[0]), -EINVAL);
    CHECK(strstr(kmem_last_error(km), "belongs to cache none, not b"));
    CHECK_EQ(kmem_cache_free(none, (char *)o[1] + 8), -EINVAL);
    CHECK(strstr(kmem_last_error(km), "not the start of an object"));
    {
        void *bo = kmem_cache_alloc(b, 0);
        CHECK(bo);
        CHECK_EQ(kmem_cache_free(none, bo), -EINVAL);
        CHECK(strstr(kmem_last_error(km), "belongs to cache b, not none"));
        CHECK_EQ(kmem_cache_free(b, bo), 0);
    }
    for (int i = 0; i < 64; i++)
        CHECK_EQ(kmem_cache_free(none, o[i]), 0);
    CHECK_EQ(kmem_errors(km), 3);
    kmem_check(km);
    CHECK_EQ(kmem_cache_destroy(none), 0);
    /* colour steps of 128 KiB: the second slab's colour is past 0xffff */
    big = kmem_cache_create(km, "big", 600 << 10, 128 << 10, 0, NULL);
    CHECK(big && big->id && big->colour_off == (128u << 10) && big->colour_max >= 1);
    {
        unsigned n = big->objs + 1; /* two slabs: colours 0 and 128 KiB */
        void *bo[64];
        CHECK(n <= 64);
        for (unsigned i = 0; i < n; i++)
            CHECK((bo[i] = kmem_cache_alloc(big, 0)) != NULL);
        CHECK_EQ(big->nslabs, 2);
        kmem_check(km);
        CHECK_EQ(kmem_cache_free(b, bo[n - 1]), -EINVAL);
        CHECK(strstr(kmem_last_error(km), "belongs to cache big, not b"));
        CHECK_EQ(kmem_cache_free(big, (char *)bo[n - 1] + 64), -EINVAL);
        CHECK(strstr(kmem_last_error(km), "not the start of an object"));
        for (unsigned i = 0; i < n; i++)
            CHECK_EQ(kmem_cache_free(big, bo[i]), 0);
    }
    CHECK_EQ(kmem_errors(km), 5);
    kmem_check(km);
    CHECK_EQ(kmem_cache_destroy(big), 0);
    kmem_check(km);
    kmem_destroy(km);
}

TEST(kmalloc_classes_and_large)
{
    kmem_t *km = mk(64, 1, KMEM_ARCH_X86_64, 0);
    static const struct {
        size_t size;
        const char *cache;
    } cls[] = {{1, "kmalloc-8"}, {8, "kmalloc-8"}, {9, "kmalloc-16"}, {64, "kmalloc-64"}, {65, "kmalloc-96"},
               {96, "kmalloc-96"}, {97, "kmalloc-128"}, {129, "kmalloc-192"}, {193, "kmalloc-256"},
               {1000, "kmalloc-1k"}, {4097, "kmalloc-8k"}, {8192, "kmalloc-8k"}};
    unsigned char *p, *q;
    CHECK(km);
    for (size_t i = 0; i < sizeof cls / sizeof *cls; i++) {
        kmem_cache_t *c = kmem_kmalloc_cache(km, cls[i].size);
        CHECK(c);
        CHECK_STR(kmem_cache_name(c), cls[i].cache);
    }
    CHECK(kmem_kmalloc_cache(km, 8193) == NULL);
    p = kmem_kmalloc(km, 4096, 0);
    CHECK(p && ((uintptr_t)p & 4095) == 0); /* natural alignment */
    CHECK_EQ(kmem_ksize(km, p), 4096);
    kmem_kfree(km, p);
    p = kmem_kmalloc(km, 20000, 0); /* order 3 from the buddy */
    CHECK(p);
    CHECK_EQ(kmem_ksize(km, p), 32768);
    for (int i = 1; i < 8; i++)
        CHECK_EQ(kmem_page_to_pfn(km, kmem_virt_to_page(km, p + i * 4096)),
                 kmem_page_to_pfn(km, kmem_virt_to_page(km, p)) + (uint64_t)i);
    memset(p, 0x5a, 20000);
    q = kmem_krealloc(km, p, 40000, 0);
    CHECK(q && q != p && q[19999] == 0x5a);
    CHECK_EQ(kmem_kfree(km, q), 0);
    p = kmem_kzalloc(km, 50, 0);
    CHECK(p && p[0] == 0 && p[49] == 0);
    q = kmem_krealloc(km, p, 60, 0); /* fits kmalloc-64 */
    CHECK(q == p);
    CHECK_EQ(kmem_kfree(km, q), 0);
    CHECK_EQ(kmem_kfree(km, NULL), 0);
    kmem_destroy(km);
}

TEST(vmalloc_is_a_real_second_mapping)
{
    kmem_t *km = mk(64, 1, KMEM_ARCH_X86_64, 0);
    kmem_page_t *hole[64];
    unsigned char *v;
    size_t runs = 0;
    CHECK(km);
    /* make frames scattered: take 64 pages, give back every other one */
    for (int i = 0; i < 64; i++)
        hole[i] = kmem_alloc_pages(km, KMEM_GFP_KERNEL, 0);
    for (int i = 0; i < 64; i += 2)
        kmem_free_pages(km, hole[i], 0);
    v = kmem_vmalloc(km, 10 * 4096 + 1);
    CHECK(v);
    for (int i = 0; i < 11; i++) {
        kmem_page_t *pg = kmem_vmalloc_to_page(km, v + i * 4096);
        unsigned char *direct;
        CHECK(pg);
        direct = kmem_page_address(km, pg);
        v[i * 4096 + 7] = (unsigned char)(i + 1);
        CHECK_EQ(direct[7], i + 1); /* the same frame seen twice */
        if (i && kmem_page_to_pfn(km, pg) != kmem_page_to_pfn(km, kmem_vmalloc_to_page(km, v + (i - 1) * 4096)) + 1)
            runs++;
    }
    CHECK(runs > 0); /* not physically contiguous */
    CHECK(kmem_vmalloc_to_page(km, v + 11 * 4096) == NULL); /* guard page */
    CHECK_EQ(kmem_vfree(km, v), 0);
    CHECK(kmem_vfree(km, v) == -EINVAL);
    for (int i = 1; i < 64; i += 2)
        kmem_free_pages(km, hole[i], 0);
    kmem_check(km);
    kmem_destroy(km);
}

typedef struct thr {
    kmem_cache_t *c;   /* shared cache */
    unsigned cpu;      /* this thread's CPU */
    int bad;           /* errors seen */
    void **live;       /* objects it holds at the end */
} thr_t;

static void *thr_main(void *arg)
{
    thr_t *t = arg;
    uint64_t s = t->cpu + 99;
    size_t n = 0;
    kmem_set_cpu(t->cpu);
    for (int i = 0; i < (VMLAB_DEBUG ? 20000 : 200000); i++) {
        if (n && (n == 4000 || mix_next(&s) % 2)) {
            size_t j = mix_next(&s) % n;
            unsigned char *o = t->live[j];
            if (o[0] != (unsigned char)t->cpu || o[63] != (unsigned char)t->cpu)
                t->bad++;
            if (kmem_cache_free(t->c, o))
                t->bad++;
            t->live[j] = t->live[--n];
        } else {
            unsigned char *o = kmem_cache_alloc(t->c, 0);
            if (!o) {
                t->bad++;
                continue;
            }
            memset(o, t->cpu, 64);
            t->live[n++] = o;
        }
    }
    while (n)
        kmem_cache_free(t->c, t->live[--n]);
    return NULL;
}

TEST(two_threads_two_cpus)
{
    kmem_t *km = mk(128, 2, KMEM_ARCH_X86_64, 0);
    thr_t t[2];
    pthread_t th[2];
    kmem_cache_t *c;
    CHECK(km);
    c = kmem_cache_create(km, "shared", 64, 0, 0, NULL);
    CHECK(c);
    for (unsigned i = 0; i < 2; i++) {
        t[i] = (thr_t){.c = c, .cpu = i, .live = malloc(4000 * sizeof(void *))};
        CHECK(t[i].live);
        CHECK_EQ(pthread_create(&th[i], NULL, thr_main, &t[i]), 0);
    }
    for (unsigned i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(t[i].bad, 0);
        free(t[i].live);
    }
    kmem_check(km);
    kmem_cache_shrink(c);
    CHECK_EQ(c->active, 0);
    CHECK_EQ(c->nslabs, 0);
    CHECK_EQ(kmem_errors(km), 0);
    kmem_destroy(km);
}

TEST(real_proc_files_parse)
{
    static const char *files[2] = {"/proc/buddyinfo", "/proc/slabinfo"};
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(files[k], "r");
        char *text;
        size_t len, lines = 0, n = 0;
        kmem_slabinfo_t *s = NULL;
        kmem_zoneinfo_t *z = NULL;
        diag_t d;
        if (!f) {
            if (k == 0)
                SKIP("/proc/buddyinfo is not readable");
            continue;
        }
        text = malloc(1 << 22);
        CHECK(text);
        len = fread(text, 1, (1 << 22) - 1, f);
        fclose(f);
        for (size_t i = 0; i < len; i++)
            lines += text[i] == '\n';
        if (k == 0) {
            CHECK_EQ(kmem_parse_buddyinfo(text, len, files[k], &z, &n, &d), 0);
            CHECK_EQ(n, lines);
            CHECK(z[0].norders >= 11);
        } else {
            CHECK_EQ(kmem_parse_slabinfo(text, len, files[k], &s, &n, &d), 0);
            CHECK_EQ(n + 2, lines);
        }
        free(s);
        free(z);
        free(text);
    }
}

TEST(parsers_reject_bad_input)
{
    kmem_slabinfo_t *s;
    kmem_zoneinfo_t *z;
    size_t n;
    diag_t d;
    const char *bad1 = "slabinfo - version: 2.1\n# name\nfoo 1 2 3\n";
    const char *bad2 = "Node 0, zone Normal 1 2 x\n";
    CHECK_EQ(kmem_parse_slabinfo(bad1, strlen(bad1), "si", &s, &n, &d), -EINVAL);
    CHECK_EQ(d.line, 3);
    CHECK_EQ(kmem_parse_buddyinfo(bad2, strlen(bad2), "bi", &z, &n, &d), -EINVAL);
    CHECK_EQ(d.line, 1);
    CHECK(strstr(d.msg, "order 2"));
    CHECK_EQ(kmem_parse_slabinfo("x", 1, "si", &s, &n, &d), -EINVAL);
}

TEST(scenario_errors_name_the_line)
{
    kmem_scenario_t s;
    diag_t d;
    const char *t1 = "cache a 100\n\npages 11 1\n";
    const char *t2 = "cache a 100\nalloc a 3\nfree a 4\n";
    kmem_t *km;
    FILE *f;
    char *buf = NULL;
    size_t len = 0;
    CHECK_EQ(kmem_scenario_parse(t1, strlen(t1), "s.txt", &s, &d), -EINVAL);
    CHECK_EQ(d.line, 3);
    CHECK(strstr(d.msg, "order '11' is out of range (expected 0..10)"));
    CHECK_EQ(kmem_scenario_parse(t2, strlen(t2), "s.txt", &s, &d), 0);
    km = mk(64, 1, KMEM_ARCH_X86_64, 0);
    CHECK(km);
    f = open_memstream(&buf, &len);
    CHECK_EQ(kmem_scenario_run(km, &s, f, OUT_TEXT, &d), -EINVAL);
    fclose(f);
    free(buf);
    CHECK_EQ(d.line, 3);
    kmem_scenario_free(&s);
    kmem_destroy(km);
}
