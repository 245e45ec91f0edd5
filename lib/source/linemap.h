/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where each unchanged line of a source file went in its patched version,
 * from `diff -U0`: what __LINE__ became, so that code that differs only in
 * line numbers can be told from code that changed.
 */
#ifndef KMEND_LINEMAP_H
#define KMEND_LINEMAP_H

#include <stddef.h>

#include "kmend.h"

struct km_line_hunk {
	long old_start, old_count;
	long new_start, new_count;
};

struct km_linemap {
	struct km_line_hunk *hunks;
	size_t nr_hunks;
	/*
	 * Old lines before which a #line directive gives the old numbering
	 * back (see linedir.h), ascending: what the hunks before one moved,
	 * it no longer moves.
	 */
	long *resets;
	size_t nr_resets;
};

/* Compares the two files with diff(1); 0 or a negative errno. */
int km_linemap_from_files(struct km_ctx *ctx, const char *old_path,
			  const char *new_path, struct km_linemap *map);
/* Adds a #line reset before old line old_line (ascending order). */
int km_linemap_add_reset(struct km_linemap *map, long old_line);
/*
 * The new number of unchanged line old_line, as the compiler numbers it;
 * 0 when the line changed.
 */
long km_linemap_new_line(const struct km_linemap *map, long old_line);
void km_linemap_release(struct km_linemap *map);

#endif
