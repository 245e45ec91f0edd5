/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Live patches kept across reboots: KM_INSTALL_DIR/KREL/NAME.ko for each
 * kernel release, and KREL/order, their names in the order they were
 * installed (the order they load in at boot: a patch stacked above
 * another, or replacing it, comes after it).  kmend.service runs
 * 'kmend load --installed' early at boot: the booted kernel's patches
 * load, the others wait for their kernel.
 */
#ifndef KMEND_INSTALL_H
#define KMEND_INSTALL_H

#include <stddef.h>

#include "kmend.h"

#define KM_INSTALL_DIR "/var/lib/kmend"

struct km_installed {
	char *krel;
	char **names;		/* in load order */
	size_t nr_names;
};

/*
 * Keep the module at path for the kernel it was built for; a patch of the
 * same name installed before is replaced (and moves to the end of the
 * order).  *name and *krel (may be NULL) get them, to free.
 */
int km_install(struct km_ctx *ctx, const char *root, const char *path,
	       char **name, char **krel);

/*
 * Forget name (a patch name or a module file) for krel (NULL: every
 * kernel it is installed for).  -ENOENT when it is not installed.
 */
int km_uninstall(struct km_ctx *ctx, const char *root, const char *name,
		 const char *krel);

/* The patches installed for krel; none is not an error. */
int km_installed_read(const char *root, const char *krel,
		      struct km_installed *out);
void km_installed_release(struct km_installed *in);

/* The kernel releases that have patches installed, sorted. */
int km_installed_kernels(const char *root, char ***krels, size_t *nr);

/* root/krel/name.ko, to free. */
char *km_installed_path(const char *root, const char *krel, const char *name);

#endif
