/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Data layout, as DWARF describes it: a live patch replaces code, while
 * the running kernel keeps every instance of every type it already holds,
 * laid out as the pristine build laid them out.  New code that reads a
 * member at another offset, or believes a type is bigger, corrupts them.
 *
 * Compares the struct and union types declared in headers (which code of
 * other files shares) between a pristine and a patched object: a change
 * of size, a member that moves, grows, appears or goes is refused with
 * the type, the member and the header.  Objects without DWARF are not
 * checked.  Meant to grow into checking function prototypes and the
 * types of global variables.
 */
#ifndef KMEND_LAYOUT_H
#define KMEND_LAYOUT_H

#include "kmend.h"

struct km_buf;

/*
 * 0 when no type shared through a header changes its layout (or the
 * objects carry no DWARF); -KM_EUNPATCHABLE, each change logged as an
 * error naming name (the unit, for messages); another negative errno.
 * reported (NULL: none) holds the types already reported by other units
 * of the build: those are refused again, and said once.
 */
int km_layout_check(struct km_ctx *ctx, const char *name, const char *orig,
		    const char *patched, struct km_buf *reported);

#endif
