/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel tree of a target: its source, unpacked once into the cache and
 * prepared (make olddefconfig prepare, never a full build), and scratch
 * views of it in which single files are patched and compiled by Kbuild.
 *
 * The cached tree is shared by every kmend on the machine and is never
 * modified once prepared: a flock() on CACHE/lock is held shared for as long
 * as a struct km_tree is in use, exclusive while a tree is being prepared.
 * See docs/cache.md.
 */
#ifndef KMEND_KTREE_H
#define KMEND_KTREE_H

#include <stdbool.h>

#include "kmend.h"
#include "target.h"

struct km_kbuild;

/* Bumped whenever the layout or the preparation of the cache changes. */
#define KM_CACHE_FORMAT 1

struct km_tree {
	char *krel;		/* 6.1.0-56-amd64, for messages */
	char *cache;		/* CACHE (target's cache directory of this KREL) */
	char *src;		/* CACHE/tree: the prepared source */
	char *obj;		/* CACHE/tree/obj: its Kbuild output tree */
	int lock_fd;		/* shared lock on CACHE/lock while in use */
	char *id;		/* 16 hex digits naming what the tree was
				 * prepared from (its stamp): keys what is
				 * cached beside it (objcache.h, deps.h) */
};

/*
 * Makes sure CACHE/tree holds the prepared tree of target t (unpacking and
 * preparing it when the cache is empty or stale) and takes a shared lock on
 * it, held until km_tree_release().  Needs t->config and t->source.
 */
int km_tree_prepare(struct km_ctx *ctx, const struct km_target *t,
		    struct km_tree *tree);
void km_tree_release(struct km_tree *tree);

/*
 * A scratch view of a tree for one build: DIR/src is a real directory of
 * symlinks into the cached tree, except along the touched paths, whose
 * directories are real and whose files are real copies (so that patching
 * them leaves the cache alone).  DIR/src/obj is the prepared objtree:
 * a copy of it while the tree has no captured Kbuild environment
 * (kbenv.h), as the top-level Makefile's prepare may write into it; with
 * one, compiles go straight to scripts/Makefile.build, which writes only
 * in the objects' directories, and the objtree's include, scripts and
 * tools (what prepare made) are symlinks into the tree.
 */
struct km_scratch {
	const struct km_tree *tree;
	char *dir;		/* the temporary directory */
	char *src;		/* DIR/src: srctree of the view */
	char *obj;		/* DIR/src/obj: objtree of the view */
	bool keep;		/* set by the caller: km_scratch_release() keeps DIR */
	/* set by the caller: a directory of headers for patch authors, searched
	 * after the kernel's own (CPATH) by the compiles that follow */
	const char *author_include;
	struct km_kbuild *kbuild;	/* Kbuild's answers (kbuild.h) */
	char **direct_env;	/* kbenv.h: the environment for compiling
				 * without the top-level Makefile, or NULL */
};

/*
 * Creates the view in a new directory under $TMPDIR.  touched_paths is a
 * NULL-terminated list of paths relative to the tree's top (the files a
 * patch changes, creates or deletes; see km_patch_touched_paths()).
 */
int km_scratch_create(struct km_ctx *ctx, const struct km_tree *tree,
		      const char *const *touched_paths,
		      struct km_scratch *scratch);
/*
 * Puts the tree's own copies of the touched paths back into the view
 * (undoing a patch), with their times; a path the tree lacks is removed.
 */
int km_scratch_restore(struct km_ctx *ctx, const struct km_scratch *scratch,
		       const char *const *touched_paths);
/* Removes the view (unless scratch->keep, then logs where it is). */
void km_scratch_release(struct km_ctx *ctx, struct km_scratch *scratch);

/*
 * Compiles the NULL-terminated list of objects ("fs/proc/cmdline.o") with
 * Kbuild in the view, with -ffunction-sections -fdata-sections added.  Each
 * object is compiled afresh.  A .c file that this kernel's configuration
 * does not build is an error of its own (-ENOENT, "fs/x.c is not built in
 * KREL's configuration"), one that kmend cannot place in the kernel is
 * refused (-KM_EUNPATCHABLE, see kbuild.h); compiler errors are logged with
 * their file.
 */
int km_scratch_compile(struct km_ctx *ctx, const struct km_scratch *scratch,
		       const char *const *objects);
/*
 * Preprocesses the objects' sources (x.o -> OBJ/x.i, Kbuild's own rule, with
 * the object's real flags), all in one make.  The same checks as
 * km_scratch_compile(); a source the preprocessor rejects is logged.
 */
int km_scratch_preprocess(struct km_ctx *ctx, const struct km_scratch *scratch,
			  const char *const *objects);
/* Where km_scratch_preprocess() left the object's source: OBJ/x.i (.s for
 * an assembly source). */
char *km_scratch_preprocessed_path(const struct km_scratch *scratch,
				   const char *object);
/* OBJ/dir/.x.o.cmd: how Kbuild compiled the object. */
char *km_scratch_cmd_path(const struct km_scratch *scratch, const char *object);
/* Path of a compiled object inside the view, for copying it out. */
char *km_scratch_object_path(const struct km_scratch *scratch,
			     const char *object);
/*
 * The name the compiler gave source ("kernel/sched/deadline.c") when it
 * compiled object, as __FILE__ and #line know it ("../kernel/sched/
 * deadline.c": Kbuild's srctree is ".." in the view), when the object's
 * .cmd file lists source among what it read.  NULL with errno ENOENT when
 * it does not, or errno of reading the .cmd file.
 */
char *km_scratch_compiled_name(const struct km_scratch *scratch,
			       const char *object, const char *source);
/* True when Kbuild compiled the object for a loadable module (-DMODULE). */
bool km_scratch_object_is_module(const struct km_scratch *scratch,
				 const char *object);
/*
 * The module Kbuild compiled the object for (its -DKBUILD_MODNAME:
 * "binfmt_misc"; "a:b" for an object linked into several modules), or NULL
 * with errno (ENOENT: none given).
 */
char *km_scratch_module_name(const struct km_scratch *scratch,
			     const char *object);

/* "fs/proc/cmdline.c" -> "fs/proc/cmdline.o"; NULL unless a .c or .S file. */
char *km_object_of_source(const char *path);

#endif
