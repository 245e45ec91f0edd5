// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fetch.h"
#include "target.h"
#include "util.h"

char *km_series_of(const char *krel)
{
	const char *dot = strchr(krel, '.');
	size_t n;

	if (!dot)
		return strdup(krel);
	n = strspn(dot + 1, "0123456789");
	return strndup(krel, (size_t)(dot + 1 - krel) + n);
}

static int version_cmp(const char *a, const char *b)
{
	return strverscmp(a, b);
}

/* The newest KREL with a config in /boot (what linux-image installs). */
static char *newest_installed_krel(void)
{
	struct dirent *de;
	char *best = NULL;
	DIR *d = opendir("/boot");

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		const char *krel;

		if (!km_starts_with(de->d_name, "config-"))
			continue;
		krel = de->d_name + strlen("config-");
		if (!best || version_cmp(krel, best) > 0) {
			free(best);
			best = strdup(krel);
		}
	}
	closedir(d);
	return best;
}

static char *default_krel(void)
{
	struct utsname u;
	char *build;

	if (uname(&u) == 0) {
		build = km_strfmt("/lib/modules/%s/build", u.release);
		if (build && km_is_dir(build)) {
			free(build);
			return strdup(u.release);
		}
		free(build);
	}
	return newest_installed_krel();
}

/* path if it exists, else NULL (allocated). */
static char *existing(char *path)
{
	if (path && (km_is_file(path) || km_is_dir(path)))
		return path;
	free(path);
	return NULL;
}

char *km_cache_root(const char *cache_dir)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (cache_dir)
		return strdup(cache_dir);
	if (xdg && *xdg)
		return km_strfmt("%s/kmend", xdg);
	if (home && *home)
		return km_strfmt("%s/.cache/kmend", home);
	return strdup("/var/cache/kmend");
}

static bool has_symvers(const char *headers)
{
	char *path = km_strfmt("%s/Module.symvers", headers);
	bool has = path && km_is_file(path);

	free(path);
	return has;
}

int km_target_find(struct km_ctx *ctx, const struct km_target_opts *opts,
		   struct km_target *t)
{
	const char *pre;
	char *root;
	int ret;

	memset(t, 0, sizeof(*t));
	t->fetch_lock = -1;
	t->krel = opts->krel ? strdup(opts->krel) : default_krel();
	if (!t->krel) {
		km_err(ctx, "no kernel found: /boot has no config-KREL; "
		       "install linux-image-amd64 or name one with -k KREL");
		return -ENOENT;
	}
	t->series = km_series_of(t->krel);
	root = km_cache_root(opts->cache_dir);
	t->cache = root ? km_strfmt("%s/%s", root, t->krel) : NULL;
	ret = root ? km_fetched_hold(ctx, root, t->krel, &t->fetched,
				     &t->fetch_lock) : -ENOMEM;
	free(root);
	if (!ret && (!t->series || !t->cache))
		ret = -ENOMEM;
	if (ret) {
		km_target_release(t);
		return ret;
	}
	if (opts->source && !km_is_file(opts->source) &&
	    !km_is_dir(opts->source)) {
		km_err(ctx, "kernel source '%s' does not exist: give a kernel "
		       "tree or a linux-source tarball", opts->source);
		km_target_release(t);
		return -ENOENT;
	}
	if (opts->vmlinux && !km_is_file(opts->vmlinux)) {
		km_err(ctx, "vmlinux '%s' does not exist: give the kernel's "
		       "vmlinux with symbols", opts->vmlinux);
		km_target_release(t);
		return -ENOENT;
	}
	if (opts->config && !km_is_file(opts->config)) {
		km_err(ctx, "kernel config '%s' does not exist: give the "
		       ".config the kernel was built with", opts->config);
		km_target_release(t);
		return -ENOENT;
	}
	if (opts->headers && !has_symvers(opts->headers)) {
		km_err(ctx, "kernel headers '%s' have no Module.symvers: give "
		       "the kernel's build tree or its linux-headers directory "
		       "(where 'make modules_prepare' ran)", opts->headers);
		km_target_release(t);
		return -ENOENT;
	}
	/* A fetched kernel is whole and of one version: all of it or none. */
	pre = t->fetched ? t->fetched : "";
	t->config = existing(opts->config ? realpath(opts->config, NULL) :
			     km_strfmt("%s/boot/config-%s", pre, t->krel));
	if (opts->source)
		t->source = existing(realpath(opts->source, NULL));
	else
		t->source = existing(km_strfmt("%s/usr/src/linux-source-%s.tar.xz",
					       pre, t->series));
	if (opts->vmlinux)
		t->vmlinux = existing(realpath(opts->vmlinux, NULL));
	else
		t->vmlinux = existing(km_strfmt("%s/usr/lib/debug/boot/vmlinux-%s",
						pre, t->krel));
	if (opts->headers)
		t->headers = existing(realpath(opts->headers, NULL));
	else
		t->headers = existing(t->fetched ?
			km_strfmt("%s/usr/src/linux-headers-%s", pre, t->krel) :
			km_strfmt("/lib/modules/%s/build", t->krel));
	if (t->headers)
		t->symvers = existing(km_strfmt("%s/Module.symvers", t->headers));
	t->image = existing(km_strfmt("%s/boot/vmlinuz-%s", pre, t->krel));
	t->modules = existing(km_strfmt("%s/lib/modules/%s", pre, t->krel));
	if (t->fetched)
		km_debug(ctx, "kernel %s: from the cache, %s", t->krel,
			 t->fetched);
	return 0;
}

static int missing(struct km_ctx *ctx, const char *what, const char *given,
		   const char *package, const char *krel)
{
	if (given)
		km_err(ctx, "%s '%s' does not exist", what, given);
	else
		km_err(ctx, "%s not found: install %s, or bring the kernel "
		       "into kmend's cache with 'kmend fetch %s'", what,
		       package, krel);
	return 1;
}

int km_target_require(struct km_ctx *ctx, const struct km_target *t,
		      unsigned int need)
{
	int bad = 0;
	char *pkg;

	if ((need & KM_NEED_CONFIG) && !t->config) {
		pkg = km_strfmt("linux-image-%s (/boot/config-%s)", t->krel, t->krel);
		bad += missing(ctx, "kernel config", NULL, pkg ? pkg : "linux-image", t->krel);
		free(pkg);
	}
	if ((need & KM_NEED_SOURCE) && !t->source) {
		pkg = km_strfmt("linux-source-%s (/usr/src/linux-source-%s.tar.xz) "
				"or give the tree with -s DIR|TARBALL",
				t->series, t->series);
		bad += missing(ctx, "kernel source", NULL, pkg ? pkg : "linux-source", t->krel);
		free(pkg);
	}
	if ((need & KM_NEED_VMLINUX) && !t->vmlinux) {
		pkg = km_strfmt("linux-image-%s-dbg (/usr/lib/debug/boot/vmlinux-%s) "
				"or give it with --vmlinux", t->krel, t->krel);
		bad += missing(ctx, "vmlinux with symbols", NULL,
			       pkg ? pkg : "linux-image-dbg", t->krel);
		free(pkg);
	}
	if ((need & KM_NEED_HEADERS) && (!t->headers || !t->symvers)) {
		pkg = km_strfmt("linux-headers-%s (/lib/modules/%s/build)",
				t->krel, t->krel);
		bad += missing(ctx, "kernel headers", NULL,
			       pkg ? pkg : "linux-headers", t->krel);
		free(pkg);
	}
	if ((need & KM_NEED_IMAGE) && !t->image) {
		pkg = km_strfmt("linux-image-%s (/boot/vmlinuz-%s)", t->krel, t->krel);
		bad += missing(ctx, "kernel image", NULL, pkg ? pkg : "linux-image", t->krel);
		free(pkg);
	}
	if ((need & KM_NEED_MODULES) && !t->modules) {
		pkg = km_strfmt("linux-image-%s (/lib/modules/%s)", t->krel, t->krel);
		bad += missing(ctx, "kernel modules", NULL, pkg ? pkg : "linux-image", t->krel);
		free(pkg);
	}
	return bad ? -ENOENT : 0;
}

void km_target_release(struct km_target *t)
{
	free(t->krel);
	free(t->series);
	free(t->config);
	free(t->source);
	free(t->vmlinux);
	free(t->headers);
	free(t->symvers);
	free(t->image);
	free(t->modules);
	free(t->cache);
	free(t->fetched);
	if (t->fetch_lock >= 0)
		close(t->fetch_lock);
	memset(t, 0, sizeof(*t));
	t->fetch_lock = -1;
}
