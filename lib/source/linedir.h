/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Keeping __LINE__ of the code a fix does not touch: the patched source is
 * rewritten so that #line directives give the lines after each change the
 * numbers they had, as the kernel's klp-build does.  Without them one line
 * added at the top of net/core/dev.c changes every function that passes
 * __LINE__ to __might_sleep(), __warn_printk() ...
 */
#ifndef KMEND_LINEDIR_H
#define KMEND_LINEDIR_H

#include "kmend.h"
#include "linemap.h"

/*
 * Rewrites patched_path, the patched version of orig_path, with a
 * directive `#line N "name"` before the first line after each change where
 * one may start (not inside a comment, a macro continuation or
 * parentheses), N being that line's number in orig_path; lines added by
 * the fix just continue the numbering.  A directive in a group the
 * preprocessor skips (#ifdef CONFIG_X with X off) does nothing: after a
 * directive inside an #if group, the numbering is given again after each
 * conditional that follows, until a directive is outside every group.
 * name is the file's name as the compiler knows it (see
 * km_scratch_compiled_name()).
 *
 * The file as the fix made it, without directives, is kept as
 * patched_path.patched when directives were added.  map gets where each
 * unchanged line of orig_path went, as the compiler numbers it (with the
 * directives' resets).  Returns the number of directives, or a negative
 * errno.
 */
int km_linedir_rewrite(struct km_ctx *ctx, const char *orig_path,
		       const char *patched_path, const char *name,
		       struct km_linemap *map);

#endif
