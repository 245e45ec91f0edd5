/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fix: unified diffs (git format or plain diff -u), read into the list
 * of files they touch, and applied with GNU patch to a scratch tree.
 */
#ifndef KMEND_PATCH_H
#define KMEND_PATCH_H

#include <stddef.h>

#include "kmend.h"

/* struct km_patch_file.flags */
enum {
	KM_PATCH_NEW     = 1 << 0,	/* created: --- /dev/null, new file mode */
	KM_PATCH_DELETED = 1 << 1,	/* removed: +++ /dev/null, deleted file mode */
	KM_PATCH_RENAMED = 1 << 2,	/* git rename: old_path is the old name */
	KM_PATCH_COPIED  = 1 << 3,	/* git copy: old_path is the original */
	KM_PATCH_NOT_C   = 1 << 4,	/* not a .c file: a header, Makefile ... */
};

struct km_patch_file {
	char *path;		/* in the tree, prefix stripped; for a deleted
				   file the name it had */
	char *old_path;		/* before the patch; NULL for a new file */
	unsigned int flags;
	unsigned int hunks;
	unsigned int line;	/* line of its header in the patch file */
};

/* The most fuzz that means anything with 3 lines of context. */
#define KM_PATCH_MAX_FUZZ 3

struct km_patch {
	char *path;		/* the patch file as given */
	char *abspath;		/* the same, absolute (patch runs in the tree) */
	int strip;		/* patch -p level: 1 (a/ b/) or 0 */
	/* patch --fuzz: context lines a hunk may ignore; 0 (the default):
	 * every context line must match, only offsets are allowed */
	unsigned int fuzz;
	struct km_patch_file *files;
	size_t nr_files;
};

/*
 * Reads a unified diff.  -ENOENT (or another errno): unreadable; -EINVAL:
 * not a unified diff, malformed, binary, or paths outside the tree.  Each
 * error is logged with the file name and what to do.
 */
int km_patch_read(struct km_ctx *ctx, const char *path,
		  struct km_patch *patch);
void km_patch_release(struct km_patch *patch);

/*
 * Applies the patch to the tree in dir with GNU patch, after a dry run, so
 * that a patch that does not apply changes nothing.  The touched files and
 * their directories must be real in dir, not symlinks (-EINVAL otherwise: a
 * scratch view's symlinks lead into the shared cache).  A hunk that does not
 * apply is reported with its file and number: -EINVAL.
 */
int km_patch_apply(struct km_ctx *ctx, const struct km_patch *patch,
		   const char *dir);
/* Applies patches[0..n-1] in order; on failure undoes the ones applied. */
int km_patch_apply_all(struct km_ctx *ctx, const struct km_patch *patches,
		       size_t n, const char *dir);

/*
 * Every path the patches touch (new, old and renamed names), once each, as
 * a NULL-terminated array for km_scratch_create(); free with
 * km_patch_paths_free().  NULL with errno set on failure.
 */
char **km_patch_touched_paths(const struct km_patch *patches, size_t n);
void km_patch_paths_free(char **paths);

#endif
