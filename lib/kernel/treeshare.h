/* SPDX-License-Identifier: GPL-2.0 */
/* Files shared, as hard links, between the cached trees of one series. */
#ifndef KMEND_TREESHARE_H
#define KMEND_TREESHARE_H

#include "kmend.h"

/*
 * Replaces each file of the new source tree src (of the cache directory
 * cache, CACHE/KREL) that another prepared tree of the same kernel series
 * in CACHE has with the same bytes and mode (and not dated in the future),
 * by a hard link to it.  Call it before the tree is prepared.  Trees being prepared are left alone; files that cannot be
 * linked (another file system) stay copies.  0, or a negative errno: the
 * tree is whole either way, only less is shared.
 */
int km_tree_share_files(struct km_ctx *ctx, const char *cache, const char *src);

#endif
