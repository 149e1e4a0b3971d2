/* SPDX-License-Identifier: MIT */
/*
 * phys.c - physical memory: nodes, zones and struct page (mm/page_alloc.c of
 * Linux 6.1, in user space), and the page allocator's front end.
 *
 * Layout: memory is split evenly among nodes in MAX_ORDER blocks (4 MiB); each
 * node's frames fall into zones by physical address: x86_64 ZONE_DMA below 16
 * MiB, ZONE_DMA32 below 4 GiB, ZONE_NORMAL above; i386 ZONE_DMA below 16 MiB,
 * ZONE_NORMAL below 896 MiB, ZONE_HIGHMEM above.  Every frame is managed (no
 * kernel image is reserved).
 *
 * Watermarks exactly as the kernel computes them at boot: min_free_kbytes =
 * clamp(int_sqrt(lowmem_kbytes * 16), 128, 262144) (calculate_min_free_kbytes);
 * per zone, min = pages_min * managed / lowmem_pages (highmem: managed / 1024
 * clamped to [32, 128]), then tmp = max(min >> 2, managed * 10 / 10000)
 * (watermark_scale_factor 10), low = min + tmp, high = low + tmp
 * (__setup_per_zone_wmarks); lowmem_reserve[j] of zone i = managed pages of
 * zones i+1..j / sysctl_lowmem_reserve_ratio[i] (256, 256, 32)
 * (setup_per_zone_lowmem_reserve).
 *
 * Allocation (get_page_from_freelist): gfp_zone() gives the highest zone
 * allowed; zones are tried from it downward, the local node first, then the
 * others; a zone is used when, after the allocation, its free pages stay above
 * the watermark plus lowmem_reserve[highest zone] (__zone_watermark_ok: free -
 * (2^order - 1) > mark + reserve, and a free block of order >= order exists).
 * The first pass uses the low watermark; the slow path retries with min
 * (halved for __GFP_HIGH); then the allocation fails (there is no reclaim).
 *
 * Order-0 pages pass through per-CPU lists (struct per_cpu_pages): refilled
 * with `batch` pages under the zone lock, drained by `batch` when `high` is
 * exceeded (zone_batchsize, zone_highsize of 6.1, high = max(low / cpus,
 * 4 * batch)).  Pages on them count as allocated in buddyinfo, as in Linux.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmem/kmem_impl.h"
#include "vmlab/env.h"

__thread unsigned kmem_cur_cpu;
__thread unsigned kmem_cur_cc_off;
#define cur_cpu kmem_cur_cpu

void kmem_set_cpu(unsigned cpu)
{
    kmem_cur_cpu = cpu;
    kmem_cur_cc_off = (unsigned)((cpu < KMEM_MAX_CPUS ? cpu : KMEM_MAX_CPUS) * sizeof(kmem_cpu_cache_t));
}
unsigned kmem_cpu(void) { return kmem_cur_cpu; }

static const char *const zone_names[KMEM_NR_ZONES] = {"DMA", "DMA32", "Normal", "HighMem"};
static const unsigned lowmem_reserve_ratio[KMEM_NR_ZONES] = {256, 256, 32, 0};

int kmem_report(kmem_t *km, int err, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&km->lock);
    va_start(ap, fmt);
    vsnprintf(km->last_error, sizeof km->last_error, fmt, ap);
    va_end(ap);
    km->nerrors++;
    pthread_mutex_unlock(&km->lock);
    return -err;
}

uint64_t kmem_errors(const kmem_t *km) { return km->nerrors; }
const char *kmem_last_error(const kmem_t *km) { return km->last_error; }

static uint64_t int_sqrt(uint64_t x)
{
    uint64_t r = 0, b = (uint64_t)1 << 62;
    while (b > x)
        b >>= 2;
    while (b) {
        if (x >= r + b) {
            x -= r + b;
            r = (r >> 1) + b;
        } else {
            r >>= 1;
        }
        b >>= 2;
    }
    return r;
}

static uint64_t mult_frac(uint64_t x, uint64_t n, uint64_t d) { return (x / d) * n + ((x % d) * n) / d; }

static unsigned rounddown_pow2(unsigned x)
{
    unsigned p = 1;
    while (p * 2 <= x)
        p *= 2;
    return p;
}

/* The zone bounds (pfn) of an architecture: [bound[z], bound[z + 1]). */
static void zone_bounds(kmem_arch_t arch, uint64_t b[KMEM_NR_ZONES + 1])
{
    b[KMEM_ZONE_DMA] = 4096; /* 16 MiB */
    if (arch == KMEM_ARCH_I386) {
        b[0] = 0, b[1] = 4096, b[2] = 4096, b[3] = 229376, b[4] = UINT64_MAX; /* 896 MiB */
    } else {
        b[0] = 0, b[1] = 4096, b[2] = (uint64_t)1 << 20, b[3] = UINT64_MAX, b[4] = UINT64_MAX;
    }
}

static void setup_watermarks(kmem_t *km)
{
    uint64_t lowmem = 0, pages_min;
    for (unsigned i = 0; i < km->nzones; i++)
        if (km->zone_list[i].type != KMEM_ZONE_HIGHMEM)
            lowmem += km->zone_list[i].pages;
    km->lowmem_pages = lowmem;
    km->min_free_kbytes = int_sqrt(lowmem * 4 * 16);
    if (km->min_free_kbytes < 128)
        km->min_free_kbytes = 128;
    if (km->min_free_kbytes > 262144)
        km->min_free_kbytes = 262144;
    pages_min = km->min_free_kbytes >> (KMEM_PAGE_SHIFT - 10);
    for (unsigned i = 0; i < km->nzones; i++) {
        kmem_zone_desc_t *z = &km->zone_list[i];
        uint64_t tmp = lowmem ? pages_min * z->pages / lowmem : 0;
        if (z->type == KMEM_ZONE_HIGHMEM) {
            uint64_t m = z->pages / 1024;
            z->wmark[0] = m < 32 ? 32 : m > 128 ? 128 : m;
        } else {
            z->wmark[0] = tmp;
        }
        tmp = tmp >> 2 > mult_frac(z->pages, 10, 10000) ? tmp >> 2 : mult_frac(z->pages, 10, 10000);
        z->wmark[1] = z->wmark[0] + tmp;
        z->wmark[2] = z->wmark[1] + tmp;
    }
    for (unsigned n = 0; n < km->cfg.nodes; n++)
        for (unsigned i = 0; i + 1 < KMEM_NR_ZONES; i++) {
            kmem_zone_desc_t *z = km->node[n].zones[i];
            uint64_t managed = 0;
            if (!z)
                continue;
            for (unsigned j = i + 1; j < KMEM_NR_ZONES; j++) {
                kmem_zone_desc_t *u = km->node[n].zones[j];
                managed += u ? u->pages : 0;
                z->lowmem_reserve[j] = lowmem_reserve_ratio[i] ? managed / lowmem_reserve_ratio[i] : 0;
            }
        }
    for (unsigned i = 0; i < km->nzones; i++) {
        kmem_zone_desc_t *z = &km->zone_list[i];
        unsigned batch = (unsigned)(z->pages >> 10 < 256 ? z->pages >> 10 : 256) / 4;
        uint64_t high;
        if (batch < 1)
            batch = 1;
        batch = rounddown_pow2(batch + batch / 2) - 1;
        if (batch < 1)
            batch = 1;
        high = z->wmark[1] / km->cfg.cpus;
        if (high < (uint64_t)batch * 4)
            high = (uint64_t)batch * 4;
        z->pcp_batch = batch;
        z->pcp_high = (unsigned)high;
        for (unsigned t = 0; t < KMEM_NR_ZONES; t++)
            z->low_mark[t] = z->wmark[1] + z->lowmem_reserve[t];
    }
}

static void build_zonelists(kmem_t *km)
{
    for (unsigned n = 0; n < km->cfg.nodes; n++)
        for (unsigned high = 0; high < KMEM_NR_ZONES; high++) {
            unsigned k = 0;
            for (unsigned nn = 0; nn < km->cfg.nodes; nn++)
                for (int t = (int)high; t >= 0; t--) {
                    kmem_zone_desc_t *z = km->node[(n + nn) % km->cfg.nodes].zones[t];
                    if (z)
                        km->zonelist[n][high][k++] = z;
                }
            km->zonelist[n][high][k] = NULL;
        }
    for (unsigned c = 0; c < KMEM_MAX_CPUS; c++) {
        km->cpu_node[c] = (uint8_t)(c % km->cfg.nodes);
        km->cpu_zone[c] = km->zonelist[km->cpu_node[c]][KMEM_ZONE_NORMAL][0];
    }
}

int kmem_create(const kmem_config_t *cfg, kmem_t **out, diag_t *d)
{
    kmem_config_t c = cfg ? *cfg : (kmem_config_t){0};
    uint64_t bounds[KMEM_NR_ZONES + 1], per_node, blk = (uint64_t)1 << (KMEM_MAX_ORDER - 1);
    kmem_t *km;
    int rc;

    *out = NULL;
    if (!c.mem_bytes)
        c.mem_bytes = (uint64_t)512 << 20;
    if (!c.nodes)
        c.nodes = 1;
    if (!c.cpus)
        c.cpus = 1;
    if (c.nodes > KMEM_MAX_NODES)
        return diag_set(d, "", 0, EINVAL, "--nodes %u is too many (expected 1..%d)", c.nodes, KMEM_MAX_NODES);
    if (c.cpus > KMEM_MAX_CPUS)
        return diag_set(d, "", 0, EINVAL, "--cpus %u is too many (expected 1..%d)", c.cpus, KMEM_MAX_CPUS);
    if (c.mem_bytes % (blk << KMEM_PAGE_SHIFT))
        return diag_set(d, "", 0, EINVAL, "--mem %ju is not a multiple of 4 MiB (expected whole MAX_ORDER blocks)",
                        (uintmax_t)c.mem_bytes);
    if (c.mem_bytes / (blk << KMEM_PAGE_SHIFT) < c.nodes * 2ull)
        return diag_set(d, "", 0, EINVAL, "--mem %ju MiB is too small for %u node(s) (expected at least 8 MiB a node)",
                        (uintmax_t)(c.mem_bytes >> 20), c.nodes);
    if (c.arch == KMEM_ARCH_I386 && c.mem_bytes > ((uint64_t)4 << 30))
        return diag_set(d, "", 0, EINVAL, "--mem %ju MiB is too large for i386 (expected at most 4096 MiB, no PAE)",
                        (uintmax_t)(c.mem_bytes >> 20));
    if (c.mem_bytes > ((uint64_t)64 << 30))
        return diag_set(d, "", 0, EINVAL, "--mem %ju MiB is too large (expected at most 64 GiB)",
                        (uintmax_t)(c.mem_bytes >> 20));
    km = calloc(1, sizeof *km);
    if (!km)
        return -ENOMEM;
    km->cfg = c;
    km->memfd = -1;
    km->npages = c.mem_bytes >> KMEM_PAGE_SHIFT;
    vl_list_init(&km->caches);
    vl_list_init(&km->vmareas);
    pthread_mutex_init(&km->lock, NULL);
    km->pages_bytes = km->npages * sizeof(kmem_page_t);
    km->pages = env_big_alloc(km->pages_bytes);
    km->slab_owner = env_big_alloc(km->npages * sizeof *km->slab_owner);
    km->cache_ids[0] = 1; /* id 0: none */
    rc = km->pages && km->slab_owner ? kmem_map_phys(c.mem_bytes, &km->memfd, &km->mem) : -ENOMEM;
    if (rc) {
        kmem_destroy(km);
        return diag_set(d, "", 0, -rc, "cannot map %ju MiB of physical memory: %s", (uintmax_t)(c.mem_bytes >> 20),
                        strerror(-rc));
    }
    zone_bounds(c.arch, bounds);
    per_node = km->npages / blk / c.nodes * blk;
    for (unsigned n = 0; n < c.nodes; n++) {
        uint64_t ns = n * per_node, ne = n + 1 == c.nodes ? km->npages : ns + per_node;
        for (unsigned t = 0; t < KMEM_NR_ZONES; t++) {
            uint64_t s = ns > bounds[t] ? ns : bounds[t], e = ne < bounds[t + 1] ? ne : bounds[t + 1];
            kmem_zone_desc_t *z;
            if (s >= e)
                continue;
            z = &km->zone_list[km->nzones++];
            snprintf(z->name, sizeof z->name, "%s", zone_names[t]);
            z->type = (kmem_zone_t)t;
            z->node = n;
            z->start_pfn = s;
            z->pages = e - s;
            pthread_mutex_init(&z->lock, NULL);
            km->node[n].zones[t] = z;
            for (uint64_t p = s; p < e; p++) {
                kmem_page_t *pg = &km->pages[p];
                pg->zone = (uint8_t)t;
                pg->node = (uint8_t)n;
                vl_list_init(&pg->lru);
            }
            z->pcp = calloc(c.cpus, sizeof *z->pcp);
            if (!z->pcp || (rc = buddy_init(&z->bd, (uint32_t)z->pages, KMEM_MAX_ORDER)) != 0) {
                kmem_destroy(km);
                return diag_set(d, "", 0, ENOMEM, "out of memory for the zone tables");
            }
            for (unsigned cpu = 0; cpu < c.cpus; cpu++)
                vl_list_init(&z->pcp[cpu].list);
            buddy_free_range(&z->bd, 0, (uint32_t)z->pages);
        }
    }
    setup_watermarks(km);
    build_zonelists(km);
    km->vm_size = c.mem_bytes < ((size_t)1 << 30) ? (size_t)1 << 30 : (size_t)c.mem_bytes;
    km->vm_base = kmem_map_reserve(km->vm_size);
    if (!km->vm_base || kmem_kmalloc_init(km) != 0) {
        kmem_destroy(km);
        return diag_set(d, "", 0, ENOMEM, "out of memory for the vmalloc area or the kmalloc caches");
    }
    VL_DEBUG_CHECK(kmem_check(km));
    *out = km;
    return 0;
}

void kmem_destroy(kmem_t *km)
{
    if (!km)
        return;
    kmem_vmalloc_destroy_all(km);
    kmem_slab_destroy_all(km);
    for (unsigned i = 0; i < km->nzones; i++) {
        buddy_fini(&km->zone_list[i].bd);
        free(km->zone_list[i].pcp);
        pthread_mutex_destroy(&km->zone_list[i].lock);
    }
    kmem_map_release(km->vm_base, km->vm_size);
    kmem_unmap_phys(km->memfd, km->mem, km->cfg.mem_bytes);
    if (km->pages)
        env_big_free(km->pages, km->pages_bytes);
    if (km->slab_owner)
        env_big_free(km->slab_owner, km->npages * sizeof *km->slab_owner);
    pthread_mutex_destroy(&km->lock);
    free(km);
}

/* gfp_zone(): the highest zone an allocation may use. */
static kmem_zone_t gfp_zone(const kmem_t *km, unsigned gfp)
{
    if (gfp & KMEM_GFP_DMA)
        return KMEM_ZONE_DMA;
    if (gfp & KMEM_GFP_DMA32)
        return km->cfg.arch == KMEM_ARCH_I386 ? KMEM_ZONE_NORMAL : KMEM_ZONE_DMA32;
    if ((gfp & KMEM_GFP_HIGHMEM) && km->cfg.arch == KMEM_ARCH_I386)
        return KMEM_ZONE_HIGHMEM;
    return KMEM_ZONE_NORMAL;
}

/* __zone_watermark_ok with the zone lock held or not (a racy read is fine,
 * as the kernel's zone_watermark_fast). */
static int watermark_ok(const kmem_zone_desc_t *z, unsigned order, uint64_t mark, kmem_zone_t highest)
{
    int64_t free_pages = (int64_t)z->bd.free_units - (((int64_t)1 << order) - 1);
    if (free_pages <= (int64_t)(mark + z->lowmem_reserve[highest]))
        return 0;
    for (unsigned o = order; o < KMEM_MAX_ORDER; o++)
        if (z->bd.nr_free[o])
            return 1;
    return order == 0 ? 0 : 0;
}

static void prep_page(kmem_t *km, kmem_page_t *pg, unsigned order, unsigned gfp)
{
    pg->flags = order ? PG_HEAD : 0;
    pg->refcount = 1;
    pg->order = (uint8_t)order;
    pg->slab = NULL;
    pg->private_ = 0;
    if (gfp & KMEM_GFP_ZERO)
        memset(km->mem + (kmem_pfn(km, pg) << KMEM_PAGE_SHIFT), 0, KMEM_PAGE_SIZE << order);
}

static kmem_page_t *zone_take(kmem_t *km, kmem_zone_desc_t *z, unsigned order)
{
    uint32_t i;
    if (order == 0 && !km->cfg.no_pcp) {
        kmem_pcp_t *pcp = &z->pcp[cur_cpu];
        vl_list_t *l;
        if (!pcp->count) {
            pthread_mutex_lock(&z->lock);
            for (unsigned b = 0; b < z->pcp_batch; b++) {
                kmem_page_t *pg;
                i = buddy_alloc(&z->bd, 0);
                if (i == BUDDY_NIL)
                    break;
                pg = &km->pages[z->start_pfn + i];
                pg->flags = PG_PCP;
                vl_list_add_tail(&pcp->list, &pg->lru);
                pcp->count++;
            }
            pthread_mutex_unlock(&z->lock);
            if (!pcp->count)
                return NULL;
        }
        l = pcp->list.next;
        vl_list_del(l);
        pcp->count--;
        return vl_list_entry(l, kmem_page_t, lru);
    }
    pthread_mutex_lock(&z->lock);
    i = buddy_alloc(&z->bd, order);
    pthread_mutex_unlock(&z->lock);
    return i == BUDDY_NIL ? NULL : &km->pages[z->start_pfn + i];
}

static __attribute__((noinline)) kmem_page_t *alloc_pages_slow(kmem_t *km, unsigned gfp, unsigned order)
{
    kmem_zone_t high = gfp_zone(km, gfp);
    if (order >= KMEM_MAX_ORDER || cur_cpu >= km->cfg.cpus)
        return NULL;
    for (int pass = 0; pass < 2; pass++)
        for (kmem_zone_desc_t **zp = km->zonelist[km->cpu_node[cur_cpu]][high]; *zp; zp++) {
            kmem_zone_desc_t *z = *zp;
            uint64_t mark = pass == 0 ? z->wmark[1] : (gfp & KMEM_GFP_HIGH) ? z->wmark[0] - z->wmark[0] / 2 : z->wmark[0];
            kmem_page_t *pg;
            if (!watermark_ok(z, order, mark, high)) {
                /* pages already on this CPU's list are the kernel's too */
                if (!(order == 0 && !km->cfg.no_pcp && z->pcp[cur_cpu].count))
                    continue;
            }
            pg = zone_take(km, z, order);
            if (!pg)
                continue;
            prep_page(km, pg, order, gfp);
            VL_DEBUG_CHECK(kmem_check_zones(km));
            return pg;
        }
    return NULL;
}

kmem_page_t *kmem_alloc_pages(kmem_t *km, unsigned gfp, unsigned order)
{
    /* the common case inline (rmqueue_pcplist): order 0 from this CPU's list
     * of the first zone of the zonelist, above its low watermark */
    unsigned cpu = cur_cpu;
    if (order == 0 && !(gfp & (KMEM_GFP_ZERO | KMEM_GFP_DMA | KMEM_GFP_DMA32 | KMEM_GFP_HIGHMEM)) &&
        !km->cfg.no_pcp && cpu < km->cfg.cpus && !VMLAB_DEBUG) {
        kmem_zone_desc_t *z = km->cpu_zone[cpu];
        kmem_pcp_t *pcp = &z->pcp[cpu];
        if (pcp->count && z->bd.free_units > z->low_mark[KMEM_ZONE_NORMAL]) {
            vl_list_t *l = pcp->list.next;
            kmem_page_t *pg = vl_list_entry(l, kmem_page_t, lru);
            vl_list_del(l);
            pcp->count--;
            pg->flags = 0;
            pg->refcount = 1;
            pg->order = 0;
            pg->slab = NULL;
            pg->private_ = 0;
            return pg;
        }
    }
    return alloc_pages_slow(km, gfp, order);
}

static void pcp_drain(kmem_t *km, kmem_zone_desc_t *z, kmem_pcp_t *pcp, unsigned n)
{
    pthread_mutex_lock(&z->lock);
    while (n-- && pcp->count) {
        vl_list_t *l = pcp->list.prev; /* coldest */
        kmem_page_t *pg = vl_list_entry(l, kmem_page_t, lru);
        vl_list_del(l);
        pcp->count--;
        pg->flags = PG_BUDDY;
        buddy_free(&z->bd, (uint32_t)(kmem_pfn(km, pg) - z->start_pfn), 0);
    }
    pthread_mutex_unlock(&z->lock);
}

static __attribute__((noinline)) int free_pages_slow(kmem_t *km, kmem_page_t *pg, unsigned order)
{
    kmem_zone_desc_t *z;
    uint64_t pfn;
    int rc;
    if (!pg || pg < km->pages || pg >= km->pages + km->npages)
        return kmem_report(km, EINVAL, "free_pages: %p is not a struct page of this memory", (void *)pg);
    pfn = kmem_pfn(km, pg);
    z = kmem_zone_of(km, pg);
    /* an allocated head has refcount >= 1 and its order; freed pages and
     * tails have refcount 0 */
    if (order >= KMEM_MAX_ORDER || pg->refcount <= 0 || (pg->flags & PG_PCP) || pg->order != order)
        return kmem_report(km, EINVAL, "free_pages: pfn %ju is not an allocated block of order %u", (uintmax_t)pfn,
                           order);
    pg->refcount = 0;
    pg->slab = NULL;
    if (order == 0 && !km->cfg.no_pcp && cur_cpu < km->cfg.cpus) {
        kmem_pcp_t *pcp = &z->pcp[cur_cpu];
        pg->flags = PG_PCP;
        vl_list_add(&pcp->list, &pg->lru);
        if (__builtin_expect(++pcp->count > z->pcp_high, 0))
            pcp_drain(km, z, pcp, z->pcp_batch);
        VL_DEBUG_CHECK(kmem_check_zones(km));
        return 0;
    }
    pg->flags = PG_BUDDY;
    pthread_mutex_lock(&z->lock);
    rc = buddy_free(&z->bd, (uint32_t)(pfn - z->start_pfn), order);
    pthread_mutex_unlock(&z->lock);
    if (rc)
        return kmem_report(km, EINVAL, "free_pages: pfn %ju is not an allocated block of order %u", (uintmax_t)pfn,
                           order);
    VL_DEBUG_CHECK(kmem_check_zones(km));
    return rc;
}

int kmem_free_pages(kmem_t *km, kmem_page_t *pg, unsigned order)
{
    kmem_zone_desc_t *z;
    unsigned cpu = cur_cpu;
    /* the common case inline (free_unref_page): an order-0 page onto this
     * CPU's list */
    if (order == 0 && pg >= km->pages && pg < km->pages + km->npages && pg->refcount > 0 && pg->order == 0 &&
        !(pg->flags & PG_PCP) && !km->cfg.no_pcp && cpu < km->cfg.cpus && !VMLAB_DEBUG) {
        kmem_pcp_t *pcp;
        z = km->node[pg->node].zones[pg->zone];
        pcp = &z->pcp[cpu];
        pg->refcount = 0;
        pg->slab = NULL;
        pg->flags = PG_PCP;
        vl_list_add(&pcp->list, &pg->lru);
        if (__builtin_expect(++pcp->count > z->pcp_high, 0))
            pcp_drain(km, z, pcp, z->pcp_batch);
        return 0;
    }
    return free_pages_slow(km, pg, order);
}

void *kmem_get_free_pages(kmem_t *km, unsigned gfp, unsigned order)
{
    kmem_page_t *pg = kmem_alloc_pages(km, gfp & ~KMEM_GFP_HIGHMEM, order);
    return pg ? kmem_page_address(km, pg) : NULL;
}

int kmem_free_pages_addr(kmem_t *km, void *addr, unsigned order)
{
    kmem_page_t *pg = kmem_virt_to_page(km, addr);
    if (!pg || ((uintptr_t)addr & (KMEM_PAGE_SIZE - 1)))
        return kmem_report(km, EINVAL, "free_pages: %p is not a page-aligned direct-map address", addr);
    return kmem_free_pages(km, pg, order);
}

uint64_t kmem_page_to_pfn(const kmem_t *km, const kmem_page_t *page) { return kmem_pfn(km, page); }

kmem_page_t *kmem_pfn_to_page(const kmem_t *km, uint64_t pfn) { return pfn < km->npages ? &km->pages[pfn] : NULL; }

void *kmem_page_address(const kmem_t *km, const kmem_page_t *page)
{
    if (page->zone == KMEM_ZONE_HIGHMEM)
        return NULL;
    return km->mem + (kmem_pfn(km, page) << KMEM_PAGE_SHIFT);
}

void *kmem_kmap(const kmem_t *km, const kmem_page_t *page)
{
    return km->mem + (kmem_pfn(km, page) << KMEM_PAGE_SHIFT);
}

kmem_page_t *kmem_virt_to_page(const kmem_t *km, const void *addr)
{
    uintptr_t a = (uintptr_t)addr, b = (uintptr_t)km->mem;
    kmem_page_t *pg;
    if (a < b || a - b >= km->npages << KMEM_PAGE_SHIFT)
        return NULL;
    pg = &km->pages[(a - b) >> KMEM_PAGE_SHIFT];
    return pg->zone == KMEM_ZONE_HIGHMEM ? NULL : pg;
}

kmem_zone_t kmem_page_zone(const kmem_page_t *page) { return (kmem_zone_t)page->zone; }
unsigned kmem_page_node(const kmem_page_t *page) { return page->node; }
void kmem_get_page(kmem_page_t *page) { __atomic_add_fetch(&page->refcount, 1, __ATOMIC_RELAXED); }
int kmem_put_page(kmem_page_t *page) { return __atomic_sub_fetch(&page->refcount, 1, __ATOMIC_ACQ_REL); }
int kmem_page_count(const kmem_page_t *page) { return page->refcount; }
uintptr_t *kmem_page_private(kmem_page_t *page) { return &page->private_; }

uint64_t kmem_total_pages(const kmem_t *km) { return km->npages; }

uint64_t kmem_free_page_count(const kmem_t *km)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < km->nzones; i++)
        n += km->zone_list[i].bd.free_units;
    return n;
}

int kmem_buddyinfo(kmem_t *km, kmem_zoneinfo_t **out, size_t *n)
{
    kmem_zoneinfo_t *z = calloc(km->nzones ? km->nzones : 1, sizeof *z);
    if (!z)
        return -ENOMEM;
    for (unsigned i = 0; i < km->nzones; i++) {
        kmem_zone_desc_t *zd = &km->zone_list[i];
        z[i].node = (int)zd->node;
        snprintf(z[i].zone, sizeof z[i].zone, "%s", zd->name);
        z[i].norders = KMEM_MAX_ORDER;
        pthread_mutex_lock(&zd->lock);
        for (unsigned k = 0; k < KMEM_MAX_ORDER; k++)
            z[i].nr_free[k] = zd->bd.nr_free[k];
        pthread_mutex_unlock(&zd->lock);
    }
    *out = z;
    *n = km->nzones;
    return 0;
}

/* The zones alone: callable with a cache's lock held (slab growth). */
void kmem_check_zones(kmem_t *km)
{
    for (unsigned i = 0; i < km->nzones; i++) {
        kmem_zone_desc_t *z = &km->zone_list[i];
        uint64_t onpcp = 0;
        buddy_check(&z->bd);
        for (unsigned cpu = 0; cpu < km->cfg.cpus; cpu++) {
            vl_list_t *it;
            uint64_t len = 0;
            vl_list_for_each(it, &z->pcp[cpu].list)
            {
                kmem_page_t *pg = vl_list_entry(it, kmem_page_t, lru);
                uint64_t pfn = kmem_pfn(km, pg);
                VL_ASSERT(pg->flags == PG_PCP && pfn >= z->start_pfn && pfn < z->start_pfn + z->pages);
                VL_ASSERT(buddy_used_order(&z->bd, (uint32_t)(pfn - z->start_pfn)) == 0);
                VL_ASSERT(++len <= z->pcp[cpu].count);
            }
            VL_ASSERT(len == z->pcp[cpu].count);
            onpcp += len;
        }
        VL_ASSERT(z->bd.free_units + onpcp <= z->pages);
        VL_ASSERT(z->wmark[0] <= z->wmark[1] && z->wmark[1] <= z->wmark[2]);
    }
}

void kmem_check(kmem_t *km)
{
    kmem_check_zones(km);
    kmem_slab_owner_check(km);
    {
        vl_list_t *it;
        vl_list_for_each(it, &km->caches) kmem_cache_check(vl_list_entry(it, kmem_cache_t, link));
    }
}
