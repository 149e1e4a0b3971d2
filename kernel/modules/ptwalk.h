/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptwalk.h - what the page-table modules (pagewrite.c, ptdump.c) share:
 * a process's mm from its pid, and the walk of its upper page-table levels
 * (pgd -> p4d -> pud -> pmd) down to the PMD entry that points to a PTE
 * table, stopping where a level has no table below it.
 *
 * The walk is x86-64's, as the kernel's own walkers do it (mm/pagewalk.c,
 * mm/gup.c): pgd_offset, p4d_offset (folded into the pgd with 4-level
 * paging), pud_offset, pmd_offset; at each level an empty entry (none), a
 * leaf (a huge page: PS set) or a malformed one (bad) ends it.  The caller
 * holds mmap_read_lock(mm), so no table is freed under the walk; the PTE
 * itself is the caller's (pte_offset_map_lock), since one module only reads
 * it and the other writes the frame under its lock.
 */
#ifndef VMLAB_PTWALK_H
#define VMLAB_PTWALK_H

#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>

/* Levels above the PTE, in walk order (index into ptwalk_level_name). */
enum ptwalk_level { PTWALK_PGD, PTWALK_P4D, PTWALK_PUD, PTWALK_PMD };

static const char *const ptwalk_level_name[] = { "pgd", "p4d", "pud", "pmd" };

/* Why the walk of the upper levels ended. */
enum ptwalk_stop {
	PTWALK_TABLE,	/* the PMD entry points to a PTE table: go on */
	PTWALK_NONE,	/* an empty entry: nothing mapped below */
	PTWALK_HUGE,	/* a PUD or PMD leaf maps a huge page */
	PTWALK_BAD,	/* a malformed entry (pgd_bad and friends) */
};

static const char *const ptwalk_stop_name[] = { "table", "none", "huge", "bad" };

/*
 * One walk.  Invariants: the pointers of levels 0..level are set (the
 * others NULL); stop == PTWALK_TABLE exactly when level == PTWALK_PMD and
 * *pmd points to a PTE table.
 */
struct ptwalk {
	pgd_t *pgd;		/* the PGD entry of va */
	p4d_t *p4d;		/* the P4D entry (the PGD entry when folded) */
	pud_t *pud;		/* the PUD entry */
	pmd_t *pmd;		/* the PMD entry */
	enum ptwalk_level level; /* the deepest level reached */
	enum ptwalk_stop stop;	/* why the walk ended there */
};

/* pid's mm with a reference (mmput it), or NULL: no such task, or no mm. */
static inline struct mm_struct *ptwalk_get_mm(int pid)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *p;

	p = find_get_pid(pid);
	task = get_pid_task(p, PIDTYPE_PID);
	put_pid(p);
	if (!task)
		return NULL;
	mm = get_task_mm(task);
	put_task_struct(task);
	return mm;
}

/* Walk mm's pgd..pmd for va into *w; returns w->stop.  mmap lock held. */
static inline enum ptwalk_stop ptwalk_upper(struct mm_struct *mm,
					    unsigned long va, struct ptwalk *w)
{
	memset(w, 0, sizeof(*w));
	w->level = PTWALK_PGD;
	w->pgd = pgd_offset(mm, va);
	if (pgd_none(*w->pgd) || pgd_bad(*w->pgd))
		goto stop_pgd;
	w->level = PTWALK_P4D;
	w->p4d = p4d_offset(w->pgd, va);
	if (p4d_none(*w->p4d) || p4d_bad(*w->p4d))
		goto stop_p4d;
	w->level = PTWALK_PUD;
	w->pud = pud_offset(w->p4d, va);
	if (pud_none(*w->pud) || pud_leaf(*w->pud) || pud_bad(*w->pud))
		goto stop_pud;
	w->level = PTWALK_PMD;
	w->pmd = pmd_offset(w->pud, va);
	if (pmd_none(*w->pmd) || pmd_leaf(*w->pmd) || pmd_bad(*w->pmd))
		goto stop_pmd;
	return w->stop = PTWALK_TABLE;
stop_pgd:
	return w->stop = pgd_none(*w->pgd) ? PTWALK_NONE : PTWALK_BAD;
stop_p4d:
	return w->stop = p4d_none(*w->p4d) ? PTWALK_NONE : PTWALK_BAD;
stop_pud:
	return w->stop = pud_none(*w->pud) ? PTWALK_NONE :
			 pud_leaf(*w->pud) ? PTWALK_HUGE : PTWALK_BAD;
stop_pmd:
	return w->stop = pmd_none(*w->pmd) ? PTWALK_NONE :
			 pmd_leaf(*w->pmd) ? PTWALK_HUGE : PTWALK_BAD;
}

#endif /* VMLAB_PTWALK_H */
