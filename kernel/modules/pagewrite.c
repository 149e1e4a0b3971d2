// SPDX-License-Identifier: GPL-2.0
/*
 * pagewrite.c - write into another process's memory by walking its page
 * tables: the CS:APP notes' "hello" -> "world" module, done properly for
 * Linux 6.1.
 *
 *   insmod pagewrite.ko pid=PID addr=0xADDR [text=world] [mode=walk|gup]
 *
 * The module's init does the write and returns 0, or fails insmod with the
 * reason (the log says which check refused).  It stays loaded so the test
 * can read the result; rmmod it afterwards.
 *
 * mode=walk (the notes' method): under mmap_read_lock(mm), walk
 * pgd -> p4d -> pud -> pmd with pgd_offset/p4d_offset/pud_offset/pmd_offset
 * and map the PTE with pte_offset_map_lock(), which takes the page-table
 * lock so the PTE cannot change while the page is written.  The write is
 * refused unless the VMA is writable and the PTE is present and writable:
 *   - not present (never touched, or swapped out): -EFAULT; writing would
 *     need a page fault, which this mode does not take;
 *   - present but read-only in a writable VMA: the page is shared
 *     copy-on-write (after fork, or the shared zero page): -EACCES; writing
 *     the shared frame would change the other process too.
 * The bytes go through the kernel's direct mapping of the frame
 * (kmap_local_page), while the PTE lock is still held, and the PTE is
 * marked dirty and young as a user write would have.
 *
 * mode=gup: get_user_pages_remote(FOLL_WRITE) faults the page in and breaks
 * copy-on-write as a write by the process would (mm/gup.c, mm/memory.c
 * do_wp_page), then the frame it returns is written.  This is what
 * ptrace and /proc/PID/mem do (access_process_vm).
 *
 * Huge pages (a PUD or PMD leaf) are refused with -EOPNOTSUPP: the lab's
 * kernel has no transparent huge pages.  The pid lookup and the pgd..pmd
 * walk are ptwalk.h's (shared with ptdump.c).
 */
#include <linux/highmem.h>
#include <linux/module.h>

#include "ptwalk.h"

static int pid = -1;
module_param(pid, int, 0444);
MODULE_PARM_DESC(pid, "the process to write into");
static unsigned long addr;
module_param(addr, ulong, 0444);
MODULE_PARM_DESC(addr, "the virtual address to write at");
static char *text = "world";
module_param(text, charp, 0444);
MODULE_PARM_DESC(text, "the bytes to write (no terminating NUL is written)");
static char *mode = "walk";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "walk: page tables, refuse non-present/read-only; gup: get_user_pages_remote");

/* Walk mm's page tables to addr's PTE and write len bytes of src there. */
static int pagewrite_walk(struct mm_struct *mm, struct vm_area_struct *vma,
			  unsigned long va, const char *src, size_t len)
{
	struct ptwalk w;
	pte_t *pte, entry;
	spinlock_t *ptl;
	struct page *page;
	char *kva;

	if (ptwalk_upper(mm, va, &w) != PTWALK_TABLE) {
		pr_info("pagewrite: %#lx: %s entry %s\n", va, ptwalk_level_name[w.level],
			w.stop == PTWALK_HUGE ? "maps a huge page" :
			w.stop == PTWALK_BAD ? "is malformed" : "is empty: page not present");
		return w.stop == PTWALK_HUGE ? -EOPNOTSUPP : -EFAULT;
	}
	pte = pte_offset_map_lock(mm, w.pmd, va, &ptl);
	entry = *pte;
	if (!pte_present(entry)) {
		pte_unmap_unlock(pte, ptl);
		pr_info("pagewrite: %#lx: page not present (not touched yet, or swapped out)\n", va);
		return -EFAULT;
	}
	if (!pte_write(entry)) {
		pte_unmap_unlock(pte, ptl);
		pr_info("pagewrite: %#lx: PTE read-only: the frame is shared copy-on-write\n", va);
		return -EACCES;
	}
	page = pte_page(entry);
	kva = kmap_local_page(page);
	memcpy(kva + offset_in_page(va), src, len);
	kunmap_local(kva);
	set_pte_at(mm, va, pte, pte_mkyoung(pte_mkdirty(entry)));
	pte_unmap_unlock(pte, ptl);
	pr_info("pagewrite: wrote %zu bytes at %#lx in pid %d (pfn %#lx) by page-table walk\n",
		len, va, pid, page_to_pfn(page));
	return 0;
}

/* The access_process_vm way: fault in, break COW, write the frame. */
static int pagewrite_gup(struct mm_struct *mm, unsigned long va,
			 const char *src, size_t len)
{
	struct page *page;
	char *kva;
	long got;

	got = get_user_pages_remote(mm, va, 1, FOLL_WRITE, &page, NULL, NULL);
	if (got != 1)
		return got < 0 ? (int)got : -EFAULT;
	kva = kmap_local_page(page);
	memcpy(kva + offset_in_page(va), src, len);
	kunmap_local(kva);
	set_page_dirty_lock(page);
	pr_info("pagewrite: wrote %zu bytes at %#lx in pid %d (pfn %#lx) by get_user_pages_remote\n",
		len, va, pid, page_to_pfn(page));
	put_page(page);
	return 0;
}

static int __init pagewrite_init(void)
{
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	size_t len = strlen(text);
	bool gup;
	int err;

	if (!strcmp(mode, "gup"))
		gup = true;
	else if (!strcmp(mode, "walk"))
		gup = false;
	else
		return -EINVAL;
	if (len == 0 || offset_in_page(addr) + len > PAGE_SIZE) {
		pr_info("pagewrite: %#lx + %zu crosses a page boundary\n", addr, len);
		return -EINVAL;
	}
	mm = ptwalk_get_mm(pid);
	if (!mm)
		return -ESRCH;
	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (!vma || vma->vm_start > addr) {
		pr_info("pagewrite: %#lx is not mapped in pid %d\n", addr, pid);
		err = -EFAULT;
	} else if (!(vma->vm_flags & VM_WRITE)) {
		pr_info("pagewrite: %#lx is in a read-only mapping\n", addr);
		err = -EACCES;
	} else if (gup) {
		err = pagewrite_gup(mm, addr, text, len);
	} else {
		err = pagewrite_walk(mm, vma, addr, text, len);
	}
	mmap_read_unlock(mm);
	mmput(mm);
	return err;
}

static void __exit pagewrite_exit(void)
{
}

module_init(pagewrite_init);
module_exit(pagewrite_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmlab kernel lab: write another process's memory through its page tables");
