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
/* CACHE/KREL/fetch.lock: a fetch holds it alone, a build or test shared */
#define KM_FETCH_LOCK	"fetch.lock"

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

/*
 * km_fetched_root(), read under CACHE/KREL/fetch.lock held shared, which
 * *lock_fd keeps (-1 when the kernel was never fetched) until it is closed:
 * a fetch in progress is waited for, and no kmend fetch --force replaces
 * the kernel meanwhile.  0, or a negative errno (said in an error line).
 */
int km_fetched_hold(struct km_ctx *ctx, const char *cache_root,
		    const char *krel, char **root, int *lock_fd);

#endif
