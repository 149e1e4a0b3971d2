/* SPDX-License-Identifier: MIT */
/*
 * kmem_map.c - the environment of the kmem module: physical memory as a
 * memfd mapped once (the direct map), and the vmalloc area, a PROT_NONE
 * reservation into which frames are mapped again (MAP_FIXED, MAP_SHARED) at
 * contiguous virtual addresses.  The only file of src/kmem that makes system
 * calls.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kmem/kmem_impl.h"

int kmem_map_phys(size_t bytes, int *fd, unsigned char **mem)
{
    int f = memfd_create("vmlab-kmem", MFD_CLOEXEC);
    void *p;
    if (f < 0)
        return -errno;
    if (ftruncate(f, (off_t)bytes) != 0) {
        int e = errno;
        close(f);
        return -e;
    }
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, f, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        close(f);
        return -e;
    }
    *fd = f;
    *mem = p;
    return 0;
}

void kmem_unmap_phys(int fd, unsigned char *mem, size_t bytes)
{
    if (mem)
        munmap(mem, bytes);
    if (fd >= 0)
        close(fd);
}

unsigned char *kmem_map_reserve(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int kmem_map_frame(unsigned char *at, int fd, uint64_t pfn)
{
    void *p = mmap(at, KMEM_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
                   (off_t)(pfn << KMEM_PAGE_SHIFT));
    return p == MAP_FAILED ? -errno : 0;
}

void kmem_map_clear(unsigned char *at, size_t bytes)
{
    mmap(at, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

void kmem_map_release(unsigned char *at, size_t bytes)
{
    if (at)
        munmap(at, bytes);
}
