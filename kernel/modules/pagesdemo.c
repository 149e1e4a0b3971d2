// SPDX-License-Identifier: GPL-2.0
/*
 * pagesdemo.c - physical pages behind kmalloc, vmalloc and alloc_pages, for
 * a guest test to check against the buddy allocator's /proc files.
 *
 *   echo "kmalloc BYTES"  > /proc/vmlab_pages   (re)allocate the buffer with kmalloc
 *   echo "vmalloc BYTES"  > /proc/vmlab_pages   (re)allocate the buffer with vmalloc
 *   echo "alloc ORDER N"  > /proc/vmlab_pages   N blocks of 2^ORDER pages (alloc_pages)
 *   echo "fragment N"     > /proc/vmlab_pages   take N single pages, give back every other
 *   echo "free 0"         > /proc/vmlab_pages   free everything
 *   cat /proc/vmlab_pages
 *
 * The read side prints "buffer KIND BYTES" and one "pfn N" line per page of
 * the buffer (virt_to_pfn for kmalloc, vmalloc_to_pfn for vmalloc), then a
 * "block ORDER PFN" line per alloc_pages block.  The test, not the module,
 * decides what is contiguous: kmalloc of 4 MiB is one order-10 block from
 * the buddy allocator (kmalloc_large, mm/slab_common.c), so its frames are
 * consecutive and the first is a multiple of 1024; vmalloc maps single
 * pages into the vmalloc area (mm/vmalloc.c __vmalloc_area_node), so its
 * frames are whatever order-0 pages were free.  "fragment" makes that
 * visible: the pages it gives back interleave with pages it keeps, and a
 * later vmalloc on the same CPU takes them from the per-CPU free list.
 *
 * alloc_pages of order > PAGE_ALLOC_COSTLY_ORDER (3) bypasses the per-CPU
 * lists and takes a block from the buddy free lists (mm/page_alloc.c
 * rmqueue_buddy -> __rmqueue_smallest): the smallest free block of at least
 * that order is split in halves down to the order asked for.  The guest
 * test predicts /proc/pagetypeinfo and /proc/buddyinfo after the
 * allocation from the counts before it with that rule.
 */
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#define PAGESDEMO_MAX_BYTES (4UL << 20) /* kmalloc's largest size with MAX_ORDER 11 */
#define PAGESDEMO_MAX_BLOCKS 4096

enum pagesdemo_kind { PD_NONE, PD_KMALLOC, PD_VMALLOC };

static DEFINE_MUTEX(pd_lock);                /* guards everything below */
static enum pagesdemo_kind pd_kind;          /* what pd_buf is */
static void *pd_buf;                         /* the buffer, or NULL */
static size_t pd_bytes;                      /* its size */
static struct page *pd_blocks[PAGESDEMO_MAX_BLOCKS]; /* [0, pd_nblocks) */
static unsigned int pd_order[PAGESDEMO_MAX_BLOCKS];  /* each block's order */
static unsigned int pd_nblocks;              /* alloc_pages blocks held */
static LIST_HEAD(pd_kept);                   /* pages kept by "fragment" */

static void pd_free_buf(void)
{
	if (pd_kind == PD_KMALLOC)
		kfree(pd_buf);
	else if (pd_kind == PD_VMALLOC)
		vfree(pd_buf);
	pd_buf = NULL;
	pd_bytes = 0;
	pd_kind = PD_NONE;
}

static void pd_free_all(void)
{
	struct page *page, *next;

	pd_free_buf();
	while (pd_nblocks) {
		pd_nblocks--;
		__free_pages(pd_blocks[pd_nblocks], pd_order[pd_nblocks]);
	}
	list_for_each_entry_safe(page, next, &pd_kept, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

static int pd_alloc_buf(enum pagesdemo_kind kind, unsigned long bytes)
{
	if (bytes == 0 || bytes > PAGESDEMO_MAX_BYTES || bytes % PAGE_SIZE)
		return -EINVAL;
	pd_free_buf();
	pd_buf = kind == PD_KMALLOC ? kmalloc(bytes, GFP_KERNEL) : vmalloc(bytes);
	if (!pd_buf)
		return -ENOMEM;
	memset(pd_buf, 0, bytes); /* touch: every page really backed */
	pd_kind = kind;
	pd_bytes = bytes;
	return 0;
}

static int pd_alloc_blocks(unsigned long order, unsigned long n)
{
	if (order >= MAX_ORDER || n > PAGESDEMO_MAX_BLOCKS - pd_nblocks)
		return -EINVAL;
	while (n--) {
		struct page *page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);

		if (!page)
			return -ENOMEM;
		pd_order[pd_nblocks] = order;
		pd_blocks[pd_nblocks++] = page;
	}
	return 0;
}

/* Take n single pages on this CPU; keep the odd ones, free the even ones. */
static int pd_fragment(unsigned long n)
{
	LIST_HEAD(give);
	struct page *page, *next;
	unsigned long i;
	int err = 0;

	if (n > 65536)
		return -EINVAL;
	migrate_disable();
	for (i = 0; i < n; i++) {
		page = alloc_page(GFP_KERNEL);
		if (!page) {
			err = -ENOMEM;
			break;
		}
		list_add_tail(&page->lru, i % 2 ? &pd_kept : &give);
	}
	list_for_each_entry_safe(page, next, &give, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	migrate_enable();
	return err;
}

static ssize_t pd_write(struct file *file, const char __user *ubuf, size_t len,
			loff_t *pos)
{
	char buf[64], op[10];
	unsigned long a = 0, b = 0;
	int n, err;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	n = sscanf(buf, "%9s %lu %lu", op, &a, &b);
	if (n < 2)
		return -EINVAL;
	mutex_lock(&pd_lock);
	if (!strcmp(op, "kmalloc") && n == 2)
		err = pd_alloc_buf(PD_KMALLOC, a);
	else if (!strcmp(op, "vmalloc") && n == 2)
		err = pd_alloc_buf(PD_VMALLOC, a);
	else if (!strcmp(op, "alloc") && n == 3)
		err = pd_alloc_blocks(a, b);
	else if (!strcmp(op, "fragment") && n == 2)
		err = pd_fragment(a);
	else if (!strcmp(op, "free"))
		err = (pd_free_all(), 0);
	else
		err = -EINVAL;
	mutex_unlock(&pd_lock);
	return err ? err : len;
}

static int pd_show(struct seq_file *m, void *v)
{
	size_t off;
	unsigned int i;

	mutex_lock(&pd_lock);
	seq_printf(m, "buffer %s %zu\n", pd_kind == PD_KMALLOC ? "kmalloc" :
		   pd_kind == PD_VMALLOC ? "vmalloc" : "none", pd_bytes);
	for (off = 0; off < pd_bytes; off += PAGE_SIZE) {
		char *p = (char *)pd_buf + off;

		seq_printf(m, "pfn %lu\n", pd_kind == PD_KMALLOC ?
			   page_to_pfn(virt_to_page(p)) : vmalloc_to_pfn(p));
	}
	for (i = 0; i < pd_nblocks; i++)
		seq_printf(m, "block %u %lu\n", pd_order[i], page_to_pfn(pd_blocks[i]));
	mutex_unlock(&pd_lock);
	return 0;
}

static int pd_open(struct inode *inode, struct file *file)
{
	/* 1024 pfn lines fit in the first buffer single_open grows to. */
	return single_open_size(file, pd_show, NULL, 64 * 1024);
}

static const struct proc_ops pd_ops = {
	.proc_open = pd_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = pd_write,
};

static int __init pd_init(void)
{
	return proc_create("vmlab_pages", 0600, NULL, &pd_ops) ? 0 : -ENOMEM;
}

static void __exit pd_exit(void)
{
	remove_proc_entry("vmlab_pages", NULL);
	pd_free_all();
}

module_init(pd_init);
module_exit(pd_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmlab kernel lab: frames behind kmalloc, vmalloc and alloc_pages");
