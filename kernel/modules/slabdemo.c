// SPDX-License-Identifier: GPL-2.0
/*
 * slabdemo.c - a slab cache of task_struct's size, driven from /proc, so a
 * guest test can watch its /proc/slabinfo row follow the objects allocated.
 *
 * The lecture's point: the kernel keeps caches of same-sized objects
 * (Bonwick's slab allocator, USENIX 1994; Linux's SLUB, mm/slub.c), and
 * /proc/slabinfo shows each cache's active objects, total objects, object
 * size, objects per slab and pages per slab.  This module creates
 * "vmlab_task", a cache of objects sizeof(struct task_struct) long, and:
 *
 *   echo "alloc N" > /proc/vmlab_slab    allocate N more objects
 *   echo "free N"  > /proc/vmlab_slab    free the N most recent ones
 *   cat /proc/vmlab_slab                 objects held, object size, cache name
 *
 * Exactness.  SLUB's slabinfo counts active = total - free objects on the
 * node partial lists (get_slabinfo, mm/slub.c), so free objects sitting in
 * a CPU's current slab or its per-CPU partial list count as "active".
 * After every command the module calls kmem_cache_shrink(), which flushes
 * the CPU slabs to the node lists and frees empty slabs: then active_objs
 * equals the objects held exactly, and num_slabs = ceil(held / objperslab)
 * when the objects were allocated on one CPU (migrate_disable() keeps the
 * allocation loop there).  The cache has a constructor, which keeps SLUB
 * from merging it into another cache of the same size (slab_unmergeable),
 * so it has a row of its own.
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#define SLABDEMO_MAX 200000 /* objects held at most */

static struct kmem_cache *slabdemo_cache; /* "vmlab_task" */
static void **slabdemo_objs;              /* [0, slabdemo_held): live objects */
static unsigned long slabdemo_held;       /* objects allocated and not freed */
static DEFINE_MUTEX(slabdemo_lock);       /* guards slabdemo_objs, slabdemo_held */

/* Constructor: a recognisable pattern (and no merging, see above). */
static void slabdemo_ctor(void *obj)
{
	memset(obj, 0x5a, sizeof(struct task_struct));
}

static int slabdemo_alloc(unsigned long n)
{
	unsigned long i;
	int err = 0;

	if (n > SLABDEMO_MAX - slabdemo_held)
		return -ENOSPC;
	migrate_disable();
	for (i = 0; i < n; i++) {
		void *p = kmem_cache_alloc(slabdemo_cache, GFP_KERNEL);

		if (!p) {
			err = -ENOMEM;
			break;
		}
		slabdemo_objs[slabdemo_held++] = p;
	}
	migrate_enable();
	return err;
}

static int slabdemo_free(unsigned long n)
{
	if (n > slabdemo_held)
		return -EINVAL;
	while (n--)
		kmem_cache_free(slabdemo_cache, slabdemo_objs[--slabdemo_held]);
	return 0;
}

static ssize_t slabdemo_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *pos)
{
	char buf[64], op[8];
	unsigned long n;
	int err;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%7s %lu", op, &n) != 2)
		return -EINVAL;
	mutex_lock(&slabdemo_lock);
	if (!strcmp(op, "alloc"))
		err = slabdemo_alloc(n);
	else if (!strcmp(op, "free"))
		err = slabdemo_free(n);
	else
		err = -EINVAL;
	kmem_cache_shrink(slabdemo_cache);
	mutex_unlock(&slabdemo_lock);
	return err ? err : len;
}

static int slabdemo_show(struct seq_file *m, void *v)
{
	mutex_lock(&slabdemo_lock);
	seq_printf(m, "cache vmlab_task\nheld %lu\nobject_size %zu\nsize %u\n",
		   slabdemo_held, sizeof(struct task_struct),
		   kmem_cache_size(slabdemo_cache));
	mutex_unlock(&slabdemo_lock);
	return 0;
}

static int slabdemo_open(struct inode *inode, struct file *file)
{
	return single_open(file, slabdemo_show, NULL);
}

static const struct proc_ops slabdemo_ops = {
	.proc_open = slabdemo_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = slabdemo_write,
};

static int __init slabdemo_init(void)
{
	slabdemo_objs = vmalloc(array_size(SLABDEMO_MAX, sizeof(void *)));
	if (!slabdemo_objs)
		return -ENOMEM;
	slabdemo_cache = kmem_cache_create("vmlab_task", sizeof(struct task_struct),
					   0, 0, slabdemo_ctor);
	if (!slabdemo_cache) {
		vfree(slabdemo_objs);
		return -ENOMEM;
	}
	if (!proc_create("vmlab_slab", 0600, NULL, &slabdemo_ops)) {
		kmem_cache_destroy(slabdemo_cache);
		vfree(slabdemo_objs);
		return -ENOMEM;
	}
	return 0;
}

static void __exit slabdemo_exit(void)
{
	remove_proc_entry("vmlab_slab", NULL);
	slabdemo_free(slabdemo_held);
	kmem_cache_destroy(slabdemo_cache);
	vfree(slabdemo_objs);
}

module_init(slabdemo_init);
module_exit(slabdemo_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmlab kernel lab: a kmem_cache of task_struct's size driven from /proc");
