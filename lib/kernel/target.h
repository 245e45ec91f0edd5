/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The target kernel: where its pieces are on this machine.  Debian puts
 * them in fixed places, one package each; a missing piece is reported with
 * the package that provides it.
 */
#ifndef KMEND_TARGET_H
#define KMEND_TARGET_H

#include "kmend.h"

struct km_target_opts {
	const char *krel;	/* -k; NULL: running kernel or newest installed */
	const char *source;	/* -s DIR|TARBALL; NULL: /usr/src/linux-source-X.Y.tar.xz */
	const char *vmlinux;	/* --vmlinux; NULL: the dbg package's */
	const char *config;	/* --config; NULL: /boot/config-KREL */
	const char *headers;	/* --headers; NULL: /lib/modules/KREL/build */
	const char *cache_dir;	/* --cache; NULL: $XDG_CACHE_HOME/kmend */
};

struct km_target {
	char *krel;		/* 6.1.0-56-amd64 */
	char *series;		/* 6.1 */
	char *config;		/* /boot/config-KREL */
	char *source;		/* source tarball or unpacked tree */
	char *vmlinux;		/* vmlinux with symbols (debug package) */
	char *headers;		/* /lib/modules/KREL/build */
	char *symvers;		/* Module.symvers of the headers */
	char *image;		/* /boot/vmlinuz-KREL, for kmend test */
	char *modules;		/* /lib/modules/KREL */
	char *cache;		/* cache directory of this KREL */
	char *fetched;		/* CACHE/KREL/debian (kmend fetch), or NULL */
	int fetch_lock;		/* CACHE/KREL/fetch.lock held shared, or -1 */
};

/* Pieces a command needs; km_target_require() checks them. */
enum {
	KM_NEED_CONFIG  = 1 << 0,
	KM_NEED_SOURCE  = 1 << 1,
	KM_NEED_VMLINUX = 1 << 2,
	KM_NEED_HEADERS = 1 << 3,
	KM_NEED_IMAGE   = 1 << 4,
	KM_NEED_MODULES = 1 << 5,
	KM_NEED_BUILD   = KM_NEED_CONFIG | KM_NEED_SOURCE | KM_NEED_VMLINUX |
			  KM_NEED_HEADERS,
};

/*
 * Fills t with what exists; absent pieces stay NULL.  -ENOENT: no KREL.
 * A fetched kernel is held (its fetch.lock shared) until the release, so
 * that no kmend fetch replaces it while it is read.
 */
int km_target_find(struct km_ctx *ctx, const struct km_target_opts *opts,
		   struct km_target *t);
/* -ENOENT with one error line per missing piece naming its package. */
int km_target_require(struct km_ctx *ctx, const struct km_target *t,
		      unsigned int need);
void km_target_release(struct km_target *t);

/* "6.1.0-56-amd64" -> "6.1" (allocated) */
char *km_series_of(const char *krel);
/* cache_dir (--cache) when given, else $XDG_CACHE_HOME/kmend ... (allocated) */
char *km_cache_root(const char *cache_dir);

#endif
