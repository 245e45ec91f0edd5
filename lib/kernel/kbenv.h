/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What Kbuild's top-level Makefile hands scripts/Makefile.build, kept per
 * tree so that later compiles can skip the top-level Makefile.
 *
 * Compiling one file through the top-level Makefile evaluates all of it
 * (its cc-option tests run the compiler some 30 times) and makes its
 * prepare targets (sub-makes of objtool, resolve_btfids, the syscall
 * check): about 1500 processes before the file's own compile.  All that
 * reaches the compile is the variables the Makefile exports, its command
 * line (O=, KCFLAGS=) and its -rR.  The first compile in a tree goes the
 * whole way and captures those variables (km_kbenv_capture_eval());
 * km_kbenv_keep() writes them to CACHE/kbuild-env-ID; views made later
 * run "make -f scripts/Makefile.build obj=. ..." in the objtree with
 * them (km_kbenv_load()).
 *
 * Absolute paths of the capturing view are kept as @KMEND_SRC@ and put
 * back as the loading view's srctree.  A captured value naming the
 * capturing view any other way is not kept: that tree stays on the whole
 * way.  Whether the direct compile is the same as the whole way is checked
 * on every object that has a pristine .cmd in the view (ktree.c).
 */
#ifndef KMEND_KBENV_H
#define KMEND_KBENV_H

#include "kmend.h"

struct km_tree;

/* Bumped whenever what is captured or how it is used changes. */
#define KM_KBENV_FORMAT 1

/*
 * The three --evals (args[0..2], allocated) that make the top-level
 * Makefile write its exported environment to dump (NUL-separated) when
 * it makes target ("." for single targets: after prepare, before the
 * descent into scripts/Makefile.build).  0, -EINVAL for a dump path the
 * evals cannot quote (then nothing is captured), -ENOMEM.
 */
int km_kbenv_capture_args(const char *target, const char *dump, char **args);
void km_kbenv_free_args(char **args);

/*
 * Keeps what the dump holds beyond given (the environment changes make
 * was run with, as km_run() takes them: "NAME=VALUE", or "NAME" to
 * remove), with src (the capturing view's srctree) as @KMEND_SRC@.  0, or
 * a negative errno; -EXDEV when a value names the view otherwise.
 */
int km_kbenv_keep(const struct km_tree *tree, const char *src,
		  const char *dump, char *const *given);

/*
 * The environment changes for a direct descent in the view whose srctree
 * is src: given, then the captured variables, as one NULL-terminated list
 * for km_run() (free with km_kbenv_free()).  0, -ENOENT when the tree has
 * none yet, or another negative errno.
 */
int km_kbenv_load(const struct km_tree *tree, const char *src,
		  char *const *given, char ***env);
void km_kbenv_free(char **env);

/*
 * The command Kbuild recorded in a .cmd file (its first "savedcmd_x :=" or
 * "cmd_x :=" line), as a new string; NULL when none or unreadable.  Both
 * ways of compiling or linking must record the same.
 */
char *km_kbenv_recorded_command(const char *cmd_file);

/* "/tmp/kmend-scratch.X/src" -> "kmend-scratch.X", or NULL. */
char *km_kbenv_parent_name(const char *path);

/* CACHE/kbuild-env-FORMAT-ID, or NULL with errno. */
char *km_kbenv_path(const struct km_tree *tree);

/*
 * The general form, for other makes than a view's compile (the module
 * link, kmod.c): a place is a path that stands for a mark ("@KMEND_MOD@")
 * in the file.  km_kbenv_write() keeps what the dump holds beyond given,
 * places marked (the longest path that matches), then
 * each note as an entry "#NOTE" (marked too); -EXDEV when unique (a
 * capturing directory's own name) remains in what it would keep.
 * km_kbenv_read() gives given, then the file's entries with marks put
 * back (notes included, "#..."), NULL-terminated.
 */
struct km_kbenv_place {
	const char *path;
	const char *mark;
};

int km_kbenv_write(const char *file, const char *dump, char *const *given,
		   const struct km_kbenv_place *places, size_t n,
		   const char *unique, const char *const *notes);
int km_kbenv_read(const char *file, char *const *given,
		  const struct km_kbenv_place *places, size_t n,
		  char ***env);

#endif
