/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which objects Kbuild builds from a source file, asked of Kbuild itself in
 * a scratch view: each directory's Makefile read with scripts/Makefile.lib,
 * from the top-level Kbuild (with the arch Makefile's core-y, libs-y and
 * drivers-y) down to the file's directory, and the files of its directory
 * that #include it (kernel/sched/build_policy.c includes deadline.c).
 *
 * When kmend cannot tell, it says so: a source it cannot place is never
 * taken for one that is not built.
 */
#ifndef KMEND_KBUILD_H
#define KMEND_KBUILD_H

#include "kmend.h"

struct km_scratch;
struct km_kbuild;		/* Kbuild's answers in one view, per directory */

enum km_built {
	KM_BUILT,		/* built, into vmlinux or a module */
	KM_BUILT_OFF,		/* named only under options this config leaves off */
	KM_BUILT_UNKNOWN,	/* named by no Makefile Kbuild reads, or Kbuild
				 * could not be asked */
};

/* The answers of the view's Kbuild; writes the query makefile in dir. */
struct km_kbuild *km_kbuild_new(const char *dir);
void km_kbuild_free(struct km_kbuild *kb);

/*
 * Whether Kbuild builds object ("kernel/fork.o"): listed in its directory,
 * which Kbuild enters from the top.  For KM_BUILT_OFF and KM_BUILT_UNKNOWN,
 * *why (when why is not NULL) gets the reason, to be freed.  A negative
 * errno only when memory runs out.
 */
int km_kbuild_object(struct km_ctx *ctx, const struct km_scratch *scratch,
		     const char *object, char **why);

/*
 * The directories Kbuild enters, from the top, on its way to a built
 * object: "arch/x86/pci" (the top-level Kbuild enters it, not arch/x86),
 * "kernel kernel/sched".  NULL with errno ENOENT when it is not built.
 */
char *km_kbuild_descent(struct km_ctx *ctx, const struct km_scratch *scratch,
			const char *object);

/*
 * The objects whose compilation reads source ("kernel/sched/deadline.c"):
 * its own object when Kbuild builds it, and the built objects of the files
 * of its directory that #include it.  0 and a NULL-terminated list (free
 * with km_kbuild_objects_free()); -ENOENT, logged, when this configuration
 * builds none of them; -KM_EUNPATCHABLE, logged, when kmend cannot tell.
 */
int km_kbuild_place(struct km_ctx *ctx, const struct km_scratch *scratch,
		    const char *source, char ***objects);
void km_kbuild_objects_free(char **objects);

#endif
