/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The livepatch module: a generated klp_patch naming each replaced
 * function, linked by Kbuild against the target's headers together with
 * the patch objects, then given its livepatch relocations.
 */
#ifndef KMEND_KMOD_H
#define KMEND_KMOD_H

#include <stdbool.h>
#include <stddef.h>

#include "kmend.h"

struct km_kmod_func {
	char *object;		/* its module ("binfmt_misc"); NULL: vmlinux */
	char *old_name;		/* the kernel's function */
	unsigned long sympos;	/* its kallsyms position, 0 when unique */
	char *new_name;		/* global name of the new code */
};

/* A callback the klp_patch registers (Documentation/livepatch/callbacks.rst). */
struct km_kmod_callback {
	char *object;		/* a module's name; NULL: vmlinux */
	const char *kind;	/* the klp_callbacks member: "pre_patch" ... */
	char *func;		/* global name of the function in the patch */
};

struct km_kmod {
	const char *name;	/* module and patch name: [A-Za-z0-9_]+ */
	const char *krel;
	const char *headers;	/* /lib/modules/KREL/build */
	const char *const *objects;	/* patch objects, to link */
	size_t nr_objects;
	const struct km_kmod_func *funcs;	/* grouped by object or not */
	size_t nr_funcs;
	const char *const *patches;	/* the diffs, for modinfo */
	size_t nr_patches;
	bool replace;		/* .replace = true: retires the patches before */
	const struct km_kmod_callback *callbacks;	/* one per object and kind */
	size_t nr_callbacks;
	/* symbol namespaces the patch's code uses (MODULE_IMPORT_NS) */
	const char *const *namespaces;
	size_t nr_namespaces;
	/* "OBJECT:BUILDID" of the kernel and the patched modules it was built
	 * for (modinfo kmend_buildid: kmend load and verify check them) */
	const char *const *build_ids;
	size_t nr_build_ids;
	/* where Kbuild's environment for linking is kept, to link without
	 * the headers' top-level Makefile (kblink.h); NULL: the whole way */
	const char *kbuild_env;
};

/* A module name from a file name: "fix-1.patch" -> "kmend_fix_1". */
char *km_kmod_default_name(const char *patch_path);
bool km_kmod_is_valid_name(const char *name);

/* Writes the module's source into workdir, links it, writes out_ko. */
int km_kmod_build(struct km_ctx *ctx, const struct km_kmod *m,
		  const char *workdir, const char *out_ko);

#endif
