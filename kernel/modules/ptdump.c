// SPDX-License-Identifier: GPL-2.0
/*
 * ptdump.c - print the page-table walk of one virtual address of one
 * process: each level's index, entry and flags, the frame at the end.
 *
 *   insmod ptdump.ko pid=PID addr=0xADDR && rmmod ptdump
 *
 * prints (KERN_INFO, read with dmesg) one line a level, for example
 *   ptdump: pid 57 va 0x4c6100
 *   ptdump: pgd idx 0 entry 0x000000000219d067 pfn 0x219d P RW US A D
 *   ptdump: p4d idx 0 entry 0x000000000219d067 pfn 0x219d P RW US A D (folded)
 *   ...
 *   ptdump: pte idx 198 entry 0x8000000001e4d867 pfn 0x1e4d P RW US A D NX
 *   ptdump: phys 0x1e4d100
 * and the last line "ptdump: end" (or "ptdump: stop LEVEL none|huge|bad").
 * The flags are x86-64's (Intel SDM vol. 3A, 4.5: P RW US PWT PCD A D PS G
 * NX); a folded level (p4d with 4-level paging) repeats its parent entry.
 * The walk holds mmap_read_lock and the PTE lock (pte_offset_map_lock) as
 * the kernel's own walkers do, so the entries printed are one consistent
 * snapshot.  The guest test checks the last PFN against /proc/PID/pagemap.
 * The pid lookup and the pgd..pmd walk are ptwalk.h's (shared with
 * pagewrite.c).
 */
#include <linux/module.h>

#include "ptwalk.h"

static int pid = -1;
module_param(pid, int, 0444);
MODULE_PARM_DESC(pid, "the process whose page tables are walked");
static unsigned long addr;
module_param(addr, ulong, 0444);
MODULE_PARM_DESC(addr, "the virtual address to translate");

static void ptdump_entry(const char *level, unsigned long idx, u64 e,
			 unsigned long pfn, bool folded)
{
	pr_info("ptdump: %s idx %lu entry %#018llx pfn %#lx%s%s%s%s%s%s%s%s%s%s%s\n",
		level, idx, (unsigned long long)e, pfn,
		e & _PAGE_PRESENT ? " P" : "", e & _PAGE_RW ? " RW" : "",
		e & _PAGE_USER ? " US" : "", e & _PAGE_PWT ? " PWT" : "",
		e & _PAGE_PCD ? " PCD" : "", e & _PAGE_ACCESSED ? " A" : "",
		e & _PAGE_DIRTY ? " D" : "", e & _PAGE_PSE ? " PS" : "",
		e & _PAGE_GLOBAL ? " G" : "", e & _PAGE_NX ? " NX" : "",
		folded ? " (folded)" : "");
}

static void ptdump_walk(struct mm_struct *mm, unsigned long va)
{
	struct ptwalk w;
	pte_t *pte, entry;
	spinlock_t *ptl;

	ptwalk_upper(mm, va, &w);
	ptdump_entry("pgd", pgd_index(va), pgd_val(*w.pgd), pgd_pfn(*w.pgd), false);
	if (w.level >= PTWALK_P4D)
		ptdump_entry("p4d", pgtable_l5_enabled() ? p4d_index(va) : 0,
			     p4d_val(*w.p4d), p4d_pfn(*w.p4d), !pgtable_l5_enabled());
	if (w.level >= PTWALK_PUD)
		ptdump_entry("pud", pud_index(va), pud_val(*w.pud), pud_pfn(*w.pud), false);
	if (w.level >= PTWALK_PMD)
		ptdump_entry("pmd", pmd_index(va), pmd_val(*w.pmd), pmd_pfn(*w.pmd), false);
	if (w.stop != PTWALK_TABLE) {
		pr_info("ptdump: stop %s %s\n", ptwalk_level_name[w.level],
			ptwalk_stop_name[w.stop]);
		return;
	}
	pte = pte_offset_map_lock(mm, w.pmd, va, &ptl);
	entry = *pte;
	pte_unmap_unlock(pte, ptl);
	ptdump_entry("pte", pte_index(va), pte_val(entry), pte_pfn(entry), false);
	if (!pte_present(entry)) {
		pr_info("ptdump: stop pte %s\n", pte_none(entry) ? "none" : "not-present");
		return;
	}
	pr_info("ptdump: phys %#llx\n",
		((unsigned long long)pte_pfn(entry) << PAGE_SHIFT) | offset_in_page(va));
	pr_info("ptdump: end\n");
}

static int __init ptdump_init(void)
{
	struct mm_struct *mm = ptwalk_get_mm(pid);

	if (!mm)
		return -ESRCH;
	pr_info("ptdump: pid %d va %#lx\n", pid, addr);
	mmap_read_lock(mm);
	ptdump_walk(mm, addr);
	mmap_read_unlock(mm);
	mmput(mm);
	return 0;
}

static void __exit ptdump_exit(void)
{
}

module_init(ptdump_init);
module_exit(ptdump_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmlab kernel lab: print a process's page-table walk for one address");
