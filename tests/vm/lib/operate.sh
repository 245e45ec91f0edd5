# shellcheck shell=bash
# Modules for the tests of operating live patches (t3300): a target module
# with functions a task can sleep in, a live patch of them, and live
# patches of version_proc_show that print a text of their own (stacked, or
# replacing all before them).  Source after tests/vm/lib/modules.sh.

# km_write_text_patch DIR NAME TEXT REPLACE: NAME.c, a live patch of
# version_proc_show printing TEXT; REPLACE 1 makes it an atomic replace.
km_write_text_patch() {
	local dir=$1 name=$2 text=$3 replace=$4
	cat >"$dir/$name.c" <<EOF
// SPDX-License-Identifier: GPL-2.0
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int ${name}_show(struct seq_file *m, void *v)
{
	seq_puts(m, "$text\n");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "version_proc_show", .new_func = ${name}_show, },
	{ }
};

static struct klp_object objs[] = {
	{ .funcs = funcs, },
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
	.replace = $([ "$replace" = 1 ] && echo true || echo false),
};

static int __init ${name}_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit ${name}_exit(void)
{
}

module_init(${name}_init);
module_exit(${name}_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_INFO(kmend_kernel, "$KREL");
MODULE_INFO(kmend_func, "vmlinux:version_proc_show,0");
MODULE_INFO(kmend_patch, "$name.patch");
$([ "$replace" = 1 ] && echo 'MODULE_INFO(kmend_replace, "Y");')
EOF
}

# km_write_target DIR: kmend_target.ko.  Reading /proc/kmend_target_wait
# sleeps interruptibly in kmend_target_wait() until a signal or 60 s;
# reading /proc/kmend_target_dsleep sleeps uninterruptibly in
# kmend_target_dsleep() for the number of seconds of the module parameter
# dsleep (12).  Both print "old".
km_write_target() {
	cat >"$1/kmend_target.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/wait.h>

static unsigned int dsleep = 12;
module_param(dsleep, uint, 0644);
static DECLARE_WAIT_QUEUE_HEAD(never);

noinline int kmend_target_wait(struct seq_file *m)
{
	int ret = wait_event_interruptible_timeout(never, false, 60 * HZ);

	if (ret < 0)
		return ret;	/* -ERESTARTSYS: the read starts again */
	seq_puts(m, "old\n");
	return 0;
}
EXPORT_SYMBOL_GPL(kmend_target_wait);

noinline int kmend_target_dsleep(struct seq_file *m)
{
	msleep(dsleep * 1000);
	seq_puts(m, "old\n");
	return 0;
}
EXPORT_SYMBOL_GPL(kmend_target_dsleep);

static int wait_show(struct seq_file *m, void *v)
{
	return kmend_target_wait(m);
}

static int dsleep_show(struct seq_file *m, void *v)
{
	return kmend_target_dsleep(m);
}

static int __init kmend_target_init(void)
{
	proc_create_single("kmend_target_wait", 0444, NULL, wait_show);
	proc_create_single("kmend_target_dsleep", 0444, NULL, dsleep_show);
	return 0;
}

static void __exit kmend_target_exit(void)
{
	remove_proc_entry("kmend_target_wait", NULL);
	remove_proc_entry("kmend_target_dsleep", NULL);
}

module_init(kmend_target_init);
module_exit(kmend_target_exit);
MODULE_LICENSE("GPL");
EOF
	cat >"$1/kmend_target_fix.c" <<EOF
// SPDX-License-Identifier: GPL-2.0
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int new_wait(struct seq_file *m)
{
	seq_puts(m, "new\n");
	return 0;
}

static int new_dsleep(struct seq_file *m)
{
	seq_puts(m, "new\n");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "kmend_target_wait", .new_func = new_wait, },
	{ .old_name = "kmend_target_dsleep", .new_func = new_dsleep, },
	{ }
};

static struct klp_object objs[] = {
	{ .name = "kmend_target", .funcs = funcs, },
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init fix_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit fix_exit(void)
{
}

module_init(fix_init);
module_exit(fix_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_INFO(kmend_kernel, "$KREL");
MODULE_INFO(kmend_func, "kmend_target:kmend_target_wait,0");
MODULE_INFO(kmend_func, "kmend_target:kmend_target_dsleep,0");
MODULE_INFO(kmend_patch, "target.patch");
EOF
}
