/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fetching a Debian kernel into kmend's cache, not into the system: the
 * image (vmlinuz, config, modules), the headers with their -common and
 * linux-kbuild packages, the linux-source of the same Debian version and the
 * debug vmlinux and System.map out of the -dbg package, downloaded with
 * apt-get download and unpacked with dpkg-deb under CACHE/KREL/debian, laid
 * out as on an installed system.  km_target_find() looks there when the
 * system does not have a piece.  See docs/kmend-fetch.md.
 */
#ifndef KMEND_FETCH_H
#define KMEND_FETCH_H

#include <stdbool.h>

#include "kmend.h"

/* CACHE/KREL/debian, the root the packages are unpacked into */
#define KM_FETCH_DIR	"debian"
/* written last: the fetched root is complete */
#define KM_FETCH_STAMP	".kmend-fetched"

struct km_fetch_opts {
	const char *cache_dir;	/* --cache; NULL: the default cache root */
	bool force;		/* fetch again even when the cache has it */
};

/*
 * Brings kernel krel into the cache.  0 when the cache has it (fetched now
 * or before); -ENOENT when the archive does not serve one of its packages
 * (each named in an error line); -ENOSPC when the disk has not the room;
 * another negative errno when a download or an unpacking failed.  Nothing
 * half-done is left: the root appears complete or not at all.
 */
int km_fetch_kernel(struct km_ctx *ctx, const struct km_fetch_opts *opts,
		    const char *krel);

/* CACHE/KREL/debian when it holds a complete fetch, else NULL (allocated). */
char *km_fetched_root(const char *cache_root, const char *krel);

#endif
