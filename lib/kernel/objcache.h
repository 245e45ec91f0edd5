/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pristine objects of a kernel, compiled once and reused by later builds:
 * CACHE/objects/ID/dir/x.o and dir/x.o.cmd (Kbuild's record of how it was
 * compiled, which later steps read), ID the tree's (ktree.h), so that
 * another source, config, compiler or set of flags never finds them.
 *
 * Entries are written under a temporary name and renamed, the .cmd before
 * the object: builds that share the cache (under the tree's shared lock)
 * see an entry whole or not at all, and two that store the same object
 * store the same bytes.  Preparing a tree anew removes them all.
 */
#ifndef KMEND_OBJCACHE_H
#define KMEND_OBJCACHE_H

#include "kmend.h"

struct km_scratch;

/*
 * Puts the cached pristine object ("fs/proc/cmdline.o") and its .cmd into
 * the view, as if Kbuild had just compiled it there: 0, or -ENOENT when
 * the cache has none (or another negative errno).
 */
int km_objcache_restore(const struct km_scratch *scratch, const char *object);
/* Keeps the view's freshly compiled pristine object and its .cmd. */
int km_objcache_store(const struct km_scratch *scratch, const char *object);

/*
 * A digest of the object's pristine preprocessed code (a line of text,
 * KM_OBJCACHE_DIGEST_MAX bytes at most), so that a later build need not
 * preprocess the pristine source again: 0, -ENOENT when none is kept.
 */
#define KM_OBJCACHE_DIGEST_MAX 64
int km_objcache_get_digest(const struct km_scratch *scratch,
			   const char *object, char *digest);
int km_objcache_put_digest(const struct km_scratch *scratch,
			   const char *object, const char *digest);

#endif
