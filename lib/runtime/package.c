// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "modinfo.h"
#include "package.h"
#include "util.h"

static const char *errstr(int err)
{
	return strerror(err < 0 ? -err : err);
}

/* Debian package names: lowercase letters, digits, '+', '-', '.'. */
static char *package_name(const char *name, const char *krel)
{
	char *pkg = km_strfmt("kmend-patch-%s-%s", name, krel), *p;

	for (p = pkg; p && *p; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '.')
			*p = '-';
	}
	return pkg;
}

static bool is_valid_version(const char *v)
{
	if (!isdigit((unsigned char)v[0]))
		return false;
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && !strchr(".+~-:", *v))
			return false;
	return true;
}

static int write_text(const char *dir, const char *file, const char *text,
		      mode_t mode)
{
	char *path = km_strfmt("%s/%s", dir, file);
	int ret = path ? km_write_file_atomic(path, text, strlen(text)) :
			 -ENOMEM;

	if (!ret && chmod(path, mode))
		ret = -errno;
	free(path);
	return ret;
}

/* The installed version of the kernel image package, or "" when none. */
static char *kernel_package_version(struct km_ctx *ctx, const char *krel)
{
	char *pkg = km_strfmt("linux-image-%s", krel);
	char *argv[] = { "dpkg-query", "-W", "-f=${Version}", pkg, NULL };
	struct km_buf out = KM_BUF_INIT;
	char *v;

	if (!pkg)
		return NULL;
	if (km_run(NULL, NULL, argv, NULL, &out) == 0 && out.buf &&
	    is_valid_version(out.buf)) {
		v = km_buf_detach(&out);
	} else {
		km_warn(ctx, "%s is not installed here: the package depends on "
			"it without a version (give --kernel-version)", pkg);
		v = strdup("");
	}
	km_buf_release(&out);
	free(pkg);
	return v;
}

static const char postinst[] =
	"#!/bin/sh\n"
	"# Written by kmend package: keep the live patch for its kernel, and\n"
	"# apply it now when that kernel runs.  A patch that does not apply\n"
	"# is uninstalled again: the machine is as it was.\n"
	"set -e\n"
	"ko=%s/%s/%s.ko\n"
	"if [ \"$1\" = configure ]; then\n"
	"\tkmend install \"$ko\"\n"
	"\tif [ \"$(uname -r)\" = '%s' ] && [ -d /sys/kernel/livepatch ]; then\n"
	"\t\tif ! kmend -q load \"$ko\" >/dev/null; then\n"
	"\t\t\tkmend uninstall -k '%s' '%s'\n"
	"\t\t\techo \"%s: the live patch did not apply; see above\" >&2\n"
	"\t\t\texit 1\n"
	"\t\tfi\n"
	"\tfi\n"
	"fi\n"
	"exit 0\n";

static const char prerm[] =
	"#!/bin/sh\n"
	"# Written by kmend package: take the live patch off the running\n"
	"# kernel, then stop loading it at boot.\n"
	"set -e\n"
	"case \"$1\" in\n"
	"remove|upgrade|deconfigure)\n"
	"\tif [ -d '/sys/kernel/livepatch/%s' ]; then\n"
	"\t\tkmend -q unload '%s'\n"
	"\tfi\n"
	"\tkmend uninstall -k '%s' '%s' 2>/dev/null || true\n"
	"\t;;\n"
	"esac\n"
	"exit 0\n";

static int write_patch_scripts(const char *debian, const char *name,
			       const char *krel, const char *pkg)
{
	char *post = km_strfmt(postinst, KM_PACKAGE_MODULE_DIR, krel, name,
			       krel, krel, name, pkg);
	char *pre = km_strfmt(prerm, name, name, krel, name);
	int ret = post && pre ? 0 : -ENOMEM;

	if (!ret)
		ret = write_text(debian, "postinst", post, 0755);
	if (!ret)
		ret = write_text(debian, "prerm", pre, 0755);
	free(post);
	free(pre);
	return ret;
}

static char *patch_description(const struct km_modinfo *mi, const char *name,
			       const char *krel)
{
	struct km_buf b = KM_BUF_INIT;
	const char *v;
	size_t pos;
	int ret;

	ret = km_buf_addf(&b, "live patch %s for Linux %s\n"
			  " Built by kmend; applied without a reboot and at "
			  "each boot of\n %s (kmend.service).\n", name, krel,
			  krel);
	km_modinfo_for_each(mi, "kmend_patch", pos, v)
		if (!ret && !strchr(v, '\n'))
			ret = km_buf_addf(&b, " Fix: %s\n", v);
	km_modinfo_for_each(mi, "kmend_func", pos, v)
		if (!ret && !strchr(v, '\n'))
			ret = km_buf_addf(&b, " Replaces: %s\n", v);
	if (ret) {
		km_buf_release(&b);
		return NULL;
	}
	return km_buf_detach(&b);
}

static int write_patch_control(struct km_ctx *ctx, const char *debian,
			       const struct km_package_opts *o,
			       const struct km_modinfo *mi, const char *name,
			       const char *krel, const char *pkg)
{
	char *kv = o->kernel_version ? strdup(o->kernel_version) :
		   kernel_package_version(ctx, krel);
	char *desc = patch_description(mi, name, krel);
	char *control = NULL;
	int ret;

	if (kv && desc)
		control = km_strfmt(
			"Package: %s\nVersion: %s\nArchitecture: amd64\n"
			"Maintainer: %s\nSection: kernel\nPriority: optional\n"
			"Depends: kmend, linux-image-%s%s%s%s\n"
			"Description: %s",
			pkg, o->version, o->maintainer, krel,
			*kv ? " (= " : "", kv, *kv ? ")" : "", desc);
	ret = control ? write_text(debian, "control", control, 0644) : -ENOMEM;
	free(control);
	free(desc);
	free(kv);
	return ret;
}

static int run_dpkg_deb(struct km_ctx *ctx, const char *root, const char *deb)
{
	char *argv[] = { "dpkg-deb", "--root-owner-group", "-Zxz", "--build",
			 (char *)root, (char *)deb, NULL };
	struct km_buf out = KM_BUF_INIT;
	int ret = km_run(ctx, NULL, argv, NULL, &out);

	if (ret)
		km_err(ctx, "cannot build %s: dpkg-deb %s%s", deb,
		       ret == 127 ? "is not installed (apt-get install dpkg)" :
				    "failed: ", ret == 127 ? "" :
				    out.buf ? out.buf : "");
	km_buf_release(&out);
	return ret ? (ret < 0 ? ret : -EIO) : 0;
}

/* What a patch package is made of, in a fresh tree under work. */
static int fill_patch_tree(struct km_ctx *ctx, const char *work,
			   const struct km_package_opts *o,
			   const struct km_modinfo *mi, const char *name,
			   const char *krel, const char *pkg)
{
	char *moddir = km_strfmt("%s%s/%s", work, KM_PACKAGE_MODULE_DIR, krel);
	char *ko = km_strfmt("%s/%s.ko", moddir, name);
	char *debian = km_strfmt("%s/DEBIAN", work);
	int ret = moddir && ko && debian ? 0 : -ENOMEM;

	if (!ret && chmod(work, 0755))
		ret = -errno;	/* the root of the package's tree is "/" */
	if (!ret)
		ret = km_mkdir_p(moddir, 0755);
	if (!ret)
		ret = km_mkdir_p(debian, 0755);
	if (!ret)
		ret = km_copy_file(o->module, ko);
	if (!ret)
		ret = chmod(ko, 0644) ? -errno : 0;
	if (!ret)
		ret = write_patch_control(ctx, debian, o, mi, name, krel, pkg);
	if (!ret)
		ret = write_patch_scripts(debian, name, krel, pkg);
	if (ret)
		km_err(ctx, "cannot write the package tree in %s: %s", work,
		       errstr(ret));
	free(moddir);
	free(ko);
	free(debian);
	return ret;
}

static int check_packable(struct km_ctx *ctx, const struct km_package_opts *o,
			  const struct km_modinfo *mi)
{
	if (!km_modinfo_is_livepatch(mi)) {
		km_err(ctx, "cannot package '%s': not a livepatch module (its "
		       "modinfo has no livepatch=Y); build one with 'kmend "
		       "build'", o->module);
		return -EINVAL;
	}
	if (!is_valid_version(o->version)) {
		km_err(ctx, "cannot package '%s': '%s' is not a Debian version "
		       "(it starts with a digit: 1, 1.2, 2+fix1)", o->module,
		       o->version);
		return -EINVAL;
	}
	return 0;
}

static int build_deb(struct km_ctx *ctx, const char *work, const char *pkg,
		     const struct km_package_opts *o, char **deb_out)
{
	char *deb = km_strfmt("%s/%s_%s_amd64.deb", o->out_dir, pkg,
			      o->version);
	int ret = deb ? run_dpkg_deb(ctx, work, deb) : -ENOMEM;

	if (!ret && deb_out) {
		*deb_out = deb;
		deb = NULL;
	}
	free(deb);
	return ret;
}

int km_package_patch(struct km_ctx *ctx, const struct km_package_opts *o,
		     char **deb)
{
	struct km_modinfo mi;
	char *name = NULL, *krel = NULL, *pkg = NULL, *work = NULL;
	int ret;

	ret = km_modinfo_read(ctx, o->module, &mi);
	if (ret)
		return ret;
	ret = check_packable(ctx, o, &mi);
	if (!ret) {
		name = km_modinfo_module_name(&mi);
		krel = km_modinfo_vermagic_krel(&mi);
		if (!name || !krel) {
			km_err(ctx, "cannot package '%s': it has no module "
			       "name or vermagic", o->module);
			ret = -ENOEXEC;
		}
	}
	if (!ret) {
		pkg = package_name(name, krel);
		work = pkg ? km_make_tempdir(ctx, "kmend-package") : NULL;
		ret = !pkg ? -ENOMEM : !work ? -errno : 0;
	}
	if (!ret)
		ret = fill_patch_tree(ctx, work, o, &mi, name, krel, pkg);
	if (!ret)
		ret = build_deb(ctx, work, pkg, o, deb);
	if (work)
		km_rm_rf(work);
	km_modinfo_release(&mi);
	free(work);
	free(pkg);
	free(krel);
	free(name);
	return ret;
}

static const char tool_postinst[] =
	"#!/bin/sh\n"
	"# Written by kmend package: load the installed live patches at boot.\n"
	"set -e\n"
	"if [ \"$1\" = configure ] && [ -d /run/systemd/system ]; then\n"
	"\tsystemctl daemon-reload || true\n"
	"fi\n"
	"if [ \"$1\" = configure ]; then\n"
	"\tsystemctl enable kmend.service 2>/dev/null || "
	"ln -sf /lib/systemd/system/kmend.service "
	"/etc/systemd/system/sysinit.target.wants/kmend.service\n"
	"fi\n"
	"exit 0\n";

static const char tool_prerm[] =
	"#!/bin/sh\n"
	"set -e\n"
	"if [ \"$1\" = remove ]; then\n"
	"\tsystemctl disable kmend.service 2>/dev/null || "
	"rm -f /etc/systemd/system/sysinit.target.wants/kmend.service\n"
	"fi\n"
	"exit 0\n";

static int copy_man_pages(const char *work, const char *man_dir)
{
	char *dst = km_strfmt("%s/usr/share/man/man1", work);
	char *script = km_strfmt("cp \"$1\"/*.1 \"$2\"/ && gzip -9n \"$2\"/*.1");
	char *argv[] = { "sh", "-c", script, "sh", (char *)man_dir, dst, NULL };
	int ret = dst && script ? km_mkdir_p(dst, 0755) : -ENOMEM;

	if (!ret && km_run(NULL, NULL, argv, NULL, NULL))
		ret = -EIO;
	free(dst);
	free(script);
	return ret;
}

static int fill_tool_tree(const char *work, const struct km_package_opts *o)
{
	char *bin = km_strfmt("%s/usr/bin", work);
	char *unit = km_strfmt("%s/lib/systemd/system", work);
	char *debian = km_strfmt("%s/DEBIAN", work);
	char *kmend = km_strfmt("%s/kmend", bin ? bin : "");
	char *control = km_strfmt(
		"Package: kmend\nVersion: %s\nArchitecture: amd64\n"
		"Maintainer: %s\nSection: admin\nPriority: optional\n"
		"Description: live patches for the running Linux kernel\n"
		" kmend loads, lists and unloads live patches, and loads the\n"
		" installed ones at boot (kmend.service).\n",
		o->version, o->maintainer);
	int ret = bin && unit && debian && kmend && control ? 0 : -ENOMEM;

	if (!ret && chmod(work, 0755))
		ret = -errno;	/* the root of the package's tree is "/" */
	if (!ret)
		ret = km_mkdir_p(bin, 0755);
	if (!ret)
		ret = km_mkdir_p(unit, 0755);
	if (!ret)
		ret = km_mkdir_p(debian, 0755);
	if (!ret)
		ret = km_copy_file(o->kmend_static, kmend);
	if (!ret && chmod(kmend, 0755))
		ret = -errno;
	if (!ret)
		ret = write_text(unit, "kmend.service", o->unit, 0644);
	if (!ret)
		ret = write_text(debian, "control", control, 0644);
	if (!ret)
		ret = write_text(debian, "postinst", tool_postinst, 0755);
	if (!ret)
		ret = write_text(debian, "prerm", tool_prerm, 0755);
	if (!ret && o->man_dir)
		ret = copy_man_pages(work, o->man_dir);
	free(bin);
	free(unit);
	free(debian);
	free(kmend);
	free(control);
	return ret;
}

int km_package_tool(struct km_ctx *ctx, const struct km_package_opts *o,
		    char **deb)
{
	char *work;
	int ret;

	if (!is_valid_version(o->version)) {
		km_err(ctx, "cannot package kmend: '%s' is not a Debian version",
		       o->version);
		return -EINVAL;
	}
	if (!km_is_file(o->kmend_static)) {
		km_err(ctx, "cannot package kmend: no static kmend '%s'; build "
		       "it with 'make static'", o->kmend_static);
		return -ENOENT;
	}
	if (o->man_dir && !km_is_dir(o->man_dir)) {
		km_err(ctx, "cannot package kmend: no man page directory '%s'; "
		       "build the pages with 'make man'", o->man_dir);
		return -ENOENT;
	}
	work = km_make_tempdir(ctx, "kmend-package");
	if (!work)
		return -errno;
	ret = fill_tool_tree(work, o);
	if (ret)
		km_err(ctx, "cannot write the kmend package tree: %s",
		       errstr(ret));
	if (!ret)
		ret = build_deb(ctx, work, "kmend", o, deb);
	km_rm_rf(work);
	free(work);
	return ret;
}
