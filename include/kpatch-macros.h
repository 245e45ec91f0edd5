/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpatch's patch-author macros, for patches written for kpatch-build, on
 * top of kmend's own interface (<kmend/livepatch.h>): the same names, the
 * same meaning, written for kmend from kpatch's documentation
 * (docs/patch-author-guide.md).  A patch that says
 *
 *	#include "kpatch-macros.h"
 *
 * builds unchanged with kmend build.  See docs/patch-authors.md.
 */
#ifndef __KPATCH_MACROS_H_
#define __KPATCH_MACROS_H_

#include <linux/compiler.h>
#include <linux/jiffies.h>
#include <linux/printk.h>
#include <kmend/livepatch.h>

/* kpatch names the callbacks' argument so. */
typedef struct klp_object patch_object;

typedef int (*kpatch_pre_patch_call_t)(patch_object *obj);
typedef void (*kpatch_post_patch_call_t)(patch_object *obj);
typedef void (*kpatch_pre_unpatch_call_t)(patch_object *obj);
typedef void (*kpatch_post_unpatch_call_t)(patch_object *obj);

/* Callbacks of the object (vmlinux or module) the file is built into. */
#define KPATCH_PRE_PATCH_CALLBACK(fn)	 KMEND_PRE_PATCH_CALLBACK(fn)
#define KPATCH_POST_PATCH_CALLBACK(fn)	 KMEND_POST_PATCH_CALLBACK(fn)
#define KPATCH_PRE_UNPATCH_CALLBACK(fn)	 KMEND_PRE_UNPATCH_CALLBACK(fn)
#define KPATCH_POST_UNPATCH_CALLBACK(fn) KMEND_POST_UNPATCH_CALLBACK(fn)

/* Changes to a whole section (by name), or to a function, are not carried. */
#define KPATCH_IGNORE_SECTION(sec)	KMEND_IGNORE_SECTION(sec)
#define KPATCH_IGNORE_FUNCTION(fn)	KMEND_IGNORE_FUNCTION(fn)

/* See KMEND_FORCE_UNSAFE: noted, then patched with the consistency model. */
#define KPATCH_FORCE_UNSAFE(fn)		KMEND_FORCE_UNSAFE(fn)

/*
 * printk is __cold: gcc moves the code around a call to it out of line
 * (.text.unlikely, .cold parts), which shows up as changes far from the
 * fix.  Behind a test gcc cannot decide at compile time, the call stays on
 * a path of its own and the surrounding code keeps its layout.
 */
#define KPATCH_PRINTK(fmt, ...)						\
({									\
	if (READ_ONCE(jiffies))						\
		printk(fmt, ##__VA_ARGS__);				\
})

#include "kpatch-syscall.h"

#endif /* __KPATCH_MACROS_H_ */
