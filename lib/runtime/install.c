// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "install.h"
#include "modinfo.h"
#include "util.h"

static const char *errstr(int err)
{
	return strerror(err < 0 ? -err : err);
}

char *km_installed_path(const char *root, const char *krel, const char *name)
{
	return km_strfmt("%s/%s/%s.ko", root, krel, name);
}

static bool is_safe_component(const char *s)
{
	return s && s[0] && s[0] != '.' && !strchr(s, '/');
}

static int add_name(struct km_installed *in, const char *name, size_t len)
{
	char **names = realloc(in->names, (in->nr_names + 1) * sizeof(*names));

	if (!names)
		return -ENOMEM;
	in->names = names;
	in->names[in->nr_names] = strndup(name, len);
	if (!in->names[in->nr_names])
		return -ENOMEM;
	in->nr_names++;
	return 0;
}

int km_installed_read(const char *root, const char *krel,
		      struct km_installed *out)
{
	struct km_buf b = KM_BUF_INIT;
	char *path = km_strfmt("%s/%s/order", root, krel);
	const char *p;
	int ret;

	memset(out, 0, sizeof(*out));
	out->krel = strdup(krel);
	if (!path || !out->krel) {
		free(path);
		km_installed_release(out);
		return -ENOMEM;
	}
	ret = km_read_file(path, &b);
	if (ret == -ENOENT)
		ret = 0;
	for (p = b.buf; !ret && p && *p;) {
		size_t n = strcspn(p, "\n");

		if (n)
			ret = add_name(out, p, n);
		p += n + (p[n] == '\n');
	}
	km_buf_release(&b);
	free(path);
	if (ret)
		km_installed_release(out);
	return ret;
}

void km_installed_release(struct km_installed *in)
{
	size_t i;

	for (i = 0; i < in->nr_names; i++)
		free(in->names[i]);
	free(in->names);
	free(in->krel);
	memset(in, 0, sizeof(*in));
}

static int write_order(const char *root, const struct km_installed *in,
		       const char *skip, const char *append)
{
	struct km_buf b = KM_BUF_INIT;
	char *path = km_strfmt("%s/%s/order", root, in->krel);
	size_t i;
	int ret = path ? 0 : -ENOMEM;

	for (i = 0; i < in->nr_names && !ret; i++)
		if (!skip || strcmp(in->names[i], skip))
			ret = km_buf_addf(&b, "%s\n", in->names[i]);
	if (!ret && append)
		ret = km_buf_addf(&b, "%s\n", append);
	if (!ret)
		ret = km_write_file_atomic(path, b.buf ? b.buf : "", b.len);
	km_buf_release(&b);
	free(path);
	return ret;
}

static int check_installable(struct km_ctx *ctx, const char *path,
			     const struct km_modinfo *mi, char **name,
			     char **krel)
{
	if (!km_modinfo_is_livepatch(mi)) {
		km_err(ctx, "cannot install '%s': not a livepatch module (its "
		       "modinfo has no livepatch=Y); build one with 'kmend "
		       "build'", path);
		return -EINVAL;
	}
	*krel = km_modinfo_vermagic_krel(mi);
	*name = km_modinfo_module_name(mi);
	if (!*krel || !is_safe_component(*krel)) {
		km_err(ctx, "cannot install '%s': it has no usable vermagic; "
		       "is it a kernel module?", path);
		return -ENOEXEC;
	}
	if (!*name || !is_safe_component(*name)) {
		km_err(ctx, "cannot install '%s': it has no module name", path);
		return -ENOEXEC;
	}
	return 0;
}

static int store_module(struct km_ctx *ctx, const char *root,
			const char *path, const char *name, const char *krel)
{
	struct km_installed in;
	char *dir = km_strfmt("%s/%s", root, krel);
	char *dst = km_installed_path(root, krel, name);
	int ret = dir && dst ? 0 : -ENOMEM;

	if (!ret)
		ret = km_mkdir_p(dir, 0755);
	if (ret)
		km_err(ctx, "cannot install '%s': cannot create %s: %s", path,
		       dir ? dir : root, errstr(ret));
	if (!ret) {
		ret = km_copy_file(path, dst);
		if (ret)
			km_err(ctx, "cannot install '%s': cannot write %s: %s",
			       path, dst, errstr(ret));
	}
	if (!ret)
		ret = km_installed_read(root, krel, &in);
	if (!ret) {
		ret = write_order(root, &in, name, name);
		km_installed_release(&in);
		if (ret)
			km_err(ctx, "cannot install '%s': cannot write %s/order: "
			       "%s", path, dir, errstr(ret));
	}
	free(dir);
	free(dst);
	return ret;
}

int km_install(struct km_ctx *ctx, const char *root, const char *path,
	       char **name_out, char **krel_out)
{
	struct km_modinfo mi;
	char *name = NULL, *krel = NULL;
	int ret;

	ret = km_modinfo_read(ctx, path, &mi);
	if (ret)
		return ret;
	ret = check_installable(ctx, path, &mi, &name, &krel);
	km_modinfo_release(&mi);
	if (!ret)
		ret = store_module(ctx, root, path, name, krel);
	if (!ret && name_out) {
		*name_out = name;
		name = NULL;
	}
	if (!ret && krel_out) {
		*krel_out = krel;
		krel = NULL;
	}
	free(name);
	free(krel);
	return ret;
}

static bool is_installed(const struct km_installed *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->nr_names; i++)
		if (!strcmp(in->names[i], name))
			return true;
	return false;
}

/* 1 when removed, 0 when it was not installed for krel. */
static int uninstall_one(const char *root, const char *name, const char *krel)
{
	struct km_installed in;
	char *ko;
	int ret;

	ret = km_installed_read(root, krel, &in);
	if (ret)
		return ret;
	ko = km_installed_path(root, krel, name);
	if (!ko) {
		km_installed_release(&in);
		return -ENOMEM;
	}
	if (!is_installed(&in, name) && !km_is_file(ko)) {
		ret = 0;
	} else {
		ret = write_order(root, &in, name, NULL);
		if (!ret && unlink(ko) && errno != ENOENT)
			ret = -errno;
		if (!ret)
			ret = 1;
	}
	free(ko);
	km_installed_release(&in);
	return ret;
}

/* A name, or the module name inside a .ko file. */
static char *patch_name_of(const char *arg)
{
	struct km_modinfo mi;
	char *name;

	if (km_ends_with(arg, ".ko") && km_is_file(arg) &&
	    km_modinfo_read(NULL, arg, &mi) == 0) {
		name = km_modinfo_module_name(&mi);
		km_modinfo_release(&mi);
		return name;
	}
	return km_module_name_of_path(arg);
}

int km_uninstall(struct km_ctx *ctx, const char *root, const char *arg,
		 const char *krel)
{
	char *name = patch_name_of(arg), **krels = NULL;
	size_t i, nr = 0;
	int ret = 0, removed = 0;

	if (!name || !is_safe_component(name) ||
	    (krel && !is_safe_component(krel))) {
		km_err(ctx, "cannot uninstall '%s': not a live patch name",
		       arg);
		free(name);
		return -EINVAL;
	}
	if (krel)
		ret = uninstall_one(root, name, krel);
	else
		ret = km_installed_kernels(root, &krels, &nr);
	removed = ret > 0;
	for (i = 0; i < nr && ret >= 0; i++) {
		ret = uninstall_one(root, name, krels[i]);
		if (ret > 0) {
			km_info(ctx, "'%s' uninstalled for %s", name, krels[i]);
			removed++;
		}
	}
	for (i = 0; i < nr; i++)
		free(krels[i]);
	free(krels);
	if (ret < 0)
		km_err(ctx, "cannot uninstall '%s' from %s: %s", name, root,
		       errstr(ret));
	else if (!removed) {
		km_err(ctx, "'%s' is not installed%s%s; see 'kmend install "
		       "--list'", name, krel ? " for " : "", krel ? krel : "");
		ret = -ENOENT;
	}
	free(name);
	return ret < 0 ? ret : 0;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int km_installed_kernels(const char *root, char ***krels, size_t *nr)
{
	struct dirent *de;
	DIR *d = opendir(root);
	int ret = 0;

	*krels = NULL;
	*nr = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (de = readdir(d))) {
		char **k, *dir;

		if (de->d_name[0] == '.')
			continue;
		dir = km_strfmt("%s/%s", root, de->d_name);
		if (!dir || !km_is_dir(dir)) {
			ret = dir ? 0 : -ENOMEM;
			free(dir);
			continue;
		}
		free(dir);
		k = realloc(*krels, (*nr + 1) * sizeof(*k));
		if (!k) {
			ret = -ENOMEM;
			break;
		}
		*krels = k;
		k[*nr] = strdup(de->d_name);
		ret = k[*nr] ? 0 : -ENOMEM;
		if (!ret)
			(*nr)++;
	}
	closedir(d);
	if (!ret && *nr)
		qsort(*krels, *nr, sizeof(**krels), compare_strings);
	return ret;
}
