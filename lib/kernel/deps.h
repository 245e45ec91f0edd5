/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dependency index of a kernel: which translation units of its build
 * include a file (a header, or a .c file #included by another), directly
 * or through other headers.
 *
 * The units are exact: one DW_TAG_compile_unit per compiled source in the
 * debug vmlinux.  What they include is an over-approximation, never an
 * under-approximation: every #include line of every file reached from the
 * units (under any #if, resolved against every directory of Kbuild's
 * include path, and against any file of the tree of that name when none
 * holds it), the headers Kbuild forces with -include, and, as a check on
 * all of this, every file the vmlinux's line tables name for the unit.
 *
 * Built once per kernel and kept in the cache beside the tree
 * (CACHE/deps-ID, ID of the tree's stamp); modules' units can be added
 * to it later as units of another owner.
 */
#ifndef KMEND_DEPS_H
#define KMEND_DEPS_H

#include <stddef.h>

#include "kmend.h"

struct km_tree;
struct km_deps;

/*
 * Opens the index of tree's kernel, building it (with progress lines)
 * from the debug vmlinux when the cache has none for this tree.
 */
int km_deps_open(struct km_ctx *ctx, const struct km_tree *tree,
		 const char *vmlinux, struct km_deps **deps);
void km_deps_free(struct km_deps *deps);

/*
 * The units ("fs/proc/cmdline.c", tree-relative) that include path
 * ("include/linux/fs.h"), sorted, as a NULL-terminated list (free with
 * km_free_list()); an empty list when none does.  NULL and errno on
 * failure.
 */
char **km_deps_includers(const struct km_deps *deps, const char *path);
/* Whether the index knows path at all (some unit reaches it). */
int km_deps_knows(const struct km_deps *deps, const char *path);
size_t km_deps_nr_units(const struct km_deps *deps);

#endif
