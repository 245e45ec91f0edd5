/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmend's interface for the authors of live patches.
 *
 *	#include <kmend/livepatch.h>
 *
 * in a file the fix changes (kmend build puts this directory on the
 * include path of the patched compile only; see docs/patch-authors.md).
 *
 * Callbacks: each macro records, in a section of its own that kmend reads
 * and never carries into the kernel, a function the live patch registers
 * in the callbacks of one klp_object (Documentation/livepatch/
 * callbacks.rst).  The function becomes new code of the live patch.
 *
 * Shadow variables: new state attached to data the running kernel already
 * holds (Documentation/livepatch/shadow-vars.rst), through the kernel's
 * klp_shadow_*() functions.
 */
#ifndef _KMEND_LIVEPATCH_H
#define _KMEND_LIVEPATCH_H

#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/livepatch.h>

/*
 * One entry per callback, 16 bytes: the function, then the name of the
 * object it belongs to ("vmlinux" or a module's name), NULL for the object
 * the file that registers it is built into.  kmend reads these entries
 * from the sections .kmend.callbacks.{pre_patch,post_patch,pre_unpatch,
 * post_unpatch}.
 */
struct kmend_pre_patch_callback {
	int (*fn)(struct klp_object *obj);
	const char *object;
};

struct kmend_post_patch_callback {
	void (*fn)(struct klp_object *obj);
	const char *object;
};

struct kmend_pre_unpatch_callback {
	void (*fn)(struct klp_object *obj);
	const char *object;
};

struct kmend_post_unpatch_callback {
	void (*fn)(struct klp_object *obj);
	const char *object;
};

/* The object the registering file is built into: kmend fills it in. */
#define __KMEND_THIS_OBJECT ((const char *)0)

#define __kmend_section(name) __attribute__((__section__(name)))

/* The type of the entry checks the callback's prototype. */
#define __KMEND_CALLBACK(kind, obj, func)				\
	static const struct kmend_##kind##_callback __used		\
	__kmend_section(".kmend.callbacks." #kind)			\
	__UNIQUE_ID(__kmend_##kind##_) = { .fn = (func), .object = (obj) }

/*
 * Callbacks of the object the file is built into: vmlinux for built-in
 * code, the module for code built as a module.
 *
 * pre_patch runs before the object is patched and may refuse it (a
 * negative errno: the patch is not applied); post_patch runs once the
 * object is patched; pre_unpatch before it is unpatched; post_unpatch
 * once it is.  One callback of each kind per object.
 */
#define KMEND_PRE_PATCH_CALLBACK(func)	 __KMEND_CALLBACK(pre_patch, __KMEND_THIS_OBJECT, func)
#define KMEND_POST_PATCH_CALLBACK(func)	 __KMEND_CALLBACK(post_patch, __KMEND_THIS_OBJECT, func)
#define KMEND_PRE_UNPATCH_CALLBACK(func) __KMEND_CALLBACK(pre_unpatch, __KMEND_THIS_OBJECT, func)
#define KMEND_POST_UNPATCH_CALLBACK(func) __KMEND_CALLBACK(post_unpatch, __KMEND_THIS_OBJECT, func)

/*
 * Callbacks of a named object: "vmlinux", or a module's name ("ext4"), whose
 * callbacks run when the module is loaded (or at once if it already is).
 */
#define KMEND_OBJECT_PRE_PATCH_CALLBACK(obj, func)			\
	__KMEND_CALLBACK(pre_patch, obj, func)
#define KMEND_OBJECT_POST_PATCH_CALLBACK(obj, func)			\
	__KMEND_CALLBACK(post_patch, obj, func)
#define KMEND_OBJECT_PRE_UNPATCH_CALLBACK(obj, func)			\
	__KMEND_CALLBACK(pre_unpatch, obj, func)
#define KMEND_OBJECT_POST_UNPATCH_CALLBACK(obj, func)			\
	__KMEND_CALLBACK(post_unpatch, obj, func)

/*
 * What kmend should not treat as a change.  KMEND_IGNORE_FUNCTION(fn): the
 * differences of fn (a side effect of another change) are not carried, the
 * kernel's fn stays.  KMEND_IGNORE_SECTION(".text.foo"): the same for all
 * that a section holds.  An entry is a pointer (8 bytes) to the function or
 * to the section's name, in .kmend.ignore.functions or .kmend.ignore.sections.
 */
#define KMEND_IGNORE_FUNCTION(fn)					\
	static void *__used __kmend_section(".kmend.ignore.functions")	\
	__UNIQUE_ID(__kmend_ignore_function_) = (void *)(fn)

#define KMEND_IGNORE_SECTION(name)					\
	static const char *__used __kmend_section(".kmend.ignore.sections") \
	__UNIQUE_ID(__kmend_ignore_section_) = (name)

/*
 * A function the author asks to be switched without the consistency check.
 * The 6.1 livepatch core has no such switch per function (klp_func has no
 * 'immediate' since 4.16): kmend says so when it builds and patches the
 * function like any other.  Entries: pointers in .kmend.force.
 */
#define KMEND_FORCE_UNSAFE(fn)						\
	static void *__used __kmend_section(".kmend.force")		\
	__UNIQUE_ID(__kmend_force_) = (void *)(fn)

/*
 * Shadow variables.  id names the kind of state (pick a constant of your
 * own for each); obj is the address of the data it is attached to (a task,
 * a socket ...); type is the state's C type.  All return a pointer to the
 * state or NULL.
 */
/* The state of obj, NULL when it has none. */
#define KMEND_SHADOW_GET(obj, id, type)					\
	((type *)klp_shadow_get((obj), (id)))
/* New zeroed state; NULL (and a kernel warning) if obj already has one. */
#define KMEND_SHADOW_ALLOC(obj, id, type, gfp)				\
	((type *)klp_shadow_alloc((obj), (id), sizeof(type), (gfp), NULL, NULL))
/* The state of obj, allocated and zeroed on first use. */
#define KMEND_SHADOW_GET_OR_ALLOC(obj, id, type, gfp)			\
	((type *)klp_shadow_get_or_alloc((obj), (id), sizeof(type), (gfp), \
					 NULL, NULL))
/* Frees the state of obj (when obj itself goes away). */
#define KMEND_SHADOW_FREE(obj, id)	klp_shadow_free((obj), (id), NULL)
/* Frees the state of every object (in a post_unpatch callback). */
#define KMEND_SHADOW_FREE_ALL(id)	klp_shadow_free_all((id), NULL)

#endif /* _KMEND_LIVEPATCH_H */
