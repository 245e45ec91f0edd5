/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A live patch as a Debian package, so that a fleet gets it from its APT
 * repository like any other update: the module under
 * /usr/lib/kmend/patches/KREL/, a dependency on the exact kernel image
 * package it is for, and maintainer scripts that install it (kmend
 * install) and load it when that kernel runs, and unload and uninstall it
 * on removal.  Built with dpkg-deb.  The kmend package itself (the static
 * kmend, kmend.service) is the other kind this writes.
 */
#ifndef KMEND_PACKAGE_H
#define KMEND_PACKAGE_H

#include "kmend.h"

struct km_package_opts {
	const char *module;		/* the .ko (patch packages) */
	const char *out_dir;		/* where the .deb goes */
	const char *version;		/* the package's version */
	const char *maintainer;
	/* the kernel package's version for "=", NULL: asked of dpkg-query,
	 * "" for none */
	const char *kernel_version;
	const char *kmend_static;	/* the kmend package's binary */
	const char *unit;		/* kmend.service's text */
	const char *man_dir;		/* man pages to ship, or NULL */
};

#define KM_PACKAGE_MAINTAINER	"kmend <root@localhost>"
#define KM_PACKAGE_MODULE_DIR	"/usr/lib/kmend/patches"

/* The .deb of a live patch; *deb (may be NULL) gets its path, to free. */
int km_package_patch(struct km_ctx *ctx, const struct km_package_opts *o,
		     char **deb);
/* The .deb of kmend itself: the static binary, the unit, the man pages. */
int km_package_tool(struct km_ctx *ctx, const struct km_package_opts *o,
		    char **deb);

#endif
