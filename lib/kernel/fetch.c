// SPDX-License-Identifier: GPL-2.0
/*
 * kmend fetch: a Debian kernel's packages into the cache.
 *
 * The packages of one kernel release KREL, all of one Debian version V:
 *   linux-image-KREL (or -unsigned)  vmlinuz, config, modules   V
 *   linux-headers-KREL               the out-of-tree build dir  V
 *   linux-headers-...-common         what its Makefile includes V
 *   linux-kbuild-...                 scripts/ and tools/ (host) the served one
 *   linux-image-KREL-dbg             vmlinux, System.map only   V
 *   linux-source-X.Y                 the source tarball         V
 * V is the image's; a package not served at V is an error naming it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fetch.h"
#include "target.h"
#include "util.h"

/* Room the fetch needs on the cache's disk, unpacked, with the downloads. */
#define KM_FETCH_MIN_FREE	(4ULL << 30)

enum fetch_pkg {
	PKG_IMAGE,
	PKG_HEADERS,
	PKG_COMMON,
	PKG_KBUILD,
	PKG_DBG,
	PKG_SOURCE,
	PKG_NR,
};

struct fetch {
	struct km_ctx *ctx;
	const char *krel;
	char *series;		/* 6.1, 6.12 */
	char *version;		/* the image's Debian version */
	char *pkg[PKG_NR];	/* package names */
	char *ver[PKG_NR];	/* their versions */
	char *kdir;		/* CACHE/KREL */
	char *root;		/* CACHE/KREL/debian */
	char *staging;		/* CACHE/KREL/debian.partial: unpacked here */
	char *debs;		/* CACHE/KREL/debs.partial: downloads */
	int lock_fd;		/* CACHE/KREL/fetch.lock, held while fetching */
};

/* The value of "Field: value" in apt-cache show's first stanza, or NULL. */
static char *stanza_field(const char *text, const char *field)
{
	size_t n = strlen(field);
	const char *p = text;

	while (p && *p && *p != '\n') {
		if (!strncmp(p, field, n) && p[n] == ':' && p[n + 1] == ' ')
			return strndup(p + n + 2, strcspn(p + n + 2, "\n"));
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/*
 * apt-cache show of spec (PKG or PKG=VER), the candidate only; 0 with the
 * stanza in out, -ENOENT when the archive does not know it.
 */
static int apt_show(struct fetch *f, const char *spec, struct km_buf *out)
{
	char *argv[] = { "apt-cache", "show", "--no-all-versions",
			 (char *)spec, NULL };
	int ret = km_run(f->ctx, NULL, argv, NULL, out);

	if (ret < 0) {
		km_err(f->ctx, "cannot run apt-cache: %s: kmend fetch needs "
		       "Debian's apt", strerror(-ret));
		return ret;
	}
	if (ret || !out->buf || !strstr(out->buf, "Package: "))
		return -ENOENT;
	return 0;
}

/* The name in a Depends field that starts with prefix and ends with suffix. */
static char *depends_on(const char *depends, const char *prefix,
			const char *suffix)
{
	const char *p = depends;

	while (p && *p) {
		size_t n;
		char *name;

		p += strspn(p, " ,|");
		n = strcspn(p, " ,|(");
		name = strndup(p, n);
		if (!name)
			return NULL;
		if (km_starts_with(name, prefix) && km_ends_with(name, suffix))
			return name;
		free(name);
		p += n;
		p += strcspn(p, ",|");
	}
	return NULL;
}

/* Package name at the image's version, served or not (errors logged). */
static int resolve_at_version(struct fetch *f, enum fetch_pkg k)
{
	struct km_buf out = KM_BUF_INIT;
	char *spec = km_strfmt("%s=%s", f->pkg[k], f->version);
	int ret;

	if (!spec)
		return -ENOMEM;
	ret = apt_show(f, spec, &out);
	if (ret == -ENOENT)
		km_err(f->ctx, "kernel %s: the archive does not serve %s "
		       "(apt-cache show %s): run 'apt-get update', or give "
		       "the pieces with -s, --vmlinux", f->krel, spec, spec);
	else if (!ret)
		f->ver[k] = strdup(f->version);
	free(spec);
	km_buf_release(&out);
	return ret;
}

/* The image: linux-image-KREL, else its -unsigned twin; sets f->version. */
static int resolve_image(struct fetch *f)
{
	static const char *const suffixes[] = { "", "-unsigned" };
	struct km_buf out = KM_BUF_INIT;
	size_t i;
	int ret = -ENOENT;

	for (i = 0; i < 2 && ret == -ENOENT; i++) {
		free(f->pkg[PKG_IMAGE]);
		f->pkg[PKG_IMAGE] = km_strfmt("linux-image-%s%s", f->krel,
					      suffixes[i]);
		if (!f->pkg[PKG_IMAGE])
			return -ENOMEM;
		km_buf_reset(&out);
		ret = apt_show(f, f->pkg[PKG_IMAGE], &out);
	}
	if (ret == -ENOENT)
		km_err(f->ctx, "kernel %s is not served by the archive: no "
		       "package linux-image-%s (nor linux-image-%s-unsigned); "
		       "'apt-cache policy linux-image-%s*' lists the kernels "
		       "it serves", f->krel, f->krel, f->krel, f->series);
	if (!ret) {
		f->version = stanza_field(out.buf, "Version");
		f->ver[PKG_IMAGE] = f->version ? strdup(f->version) : NULL;
		ret = f->ver[PKG_IMAGE] ? 0 : -EINVAL;
	}
	km_buf_release(&out);
	return ret;
}

/* The headers, and from their Depends the -common and kbuild packages. */
static int resolve_headers(struct fetch *f)
{
	struct km_buf out = KM_BUF_INIT;
	char *spec, *depends = NULL;
	int ret;

	f->pkg[PKG_HEADERS] = km_strfmt("linux-headers-%s", f->krel);
	if (!f->pkg[PKG_HEADERS])
		return -ENOMEM;
	ret = resolve_at_version(f, PKG_HEADERS);
	if (ret)
		return ret;
	spec = km_strfmt("%s=%s", f->pkg[PKG_HEADERS], f->version);
	ret = spec ? apt_show(f, spec, &out) : -ENOMEM;
	if (!ret)
		depends = stanza_field(out.buf, "Depends");
	if (depends) {
		f->pkg[PKG_COMMON] = depends_on(depends, "linux-headers-",
						"-common");
		f->pkg[PKG_KBUILD] = depends_on(depends, "linux-kbuild-", "");
	}
	if (!ret && (!f->pkg[PKG_COMMON] || !f->pkg[PKG_KBUILD])) {
		km_err(f->ctx, "kernel %s: %s does not depend on a "
		       "linux-headers-*-common and a linux-kbuild-* package "
		       "(Depends: %s)", f->krel, spec, depends ? depends : "");
		ret = -EINVAL;
	}
	if (!ret)
		ret = resolve_at_version(f, PKG_COMMON);
	free(depends);
	free(spec);
	km_buf_release(&out);
	return ret;
}

/*
 * linux-kbuild-X.Y is shared by the ABIs of a series and depends on
 * ">= V": the one at V when served, else the newest served.
 */
static int resolve_kbuild(struct fetch *f)
{
	struct km_buf out = KM_BUF_INIT;
	char *spec = km_strfmt("%s=%s", f->pkg[PKG_KBUILD], f->version);
	int ret = spec ? apt_show(f, spec, &out) : -ENOMEM;

	if (!ret) {
		f->ver[PKG_KBUILD] = strdup(f->version);
	} else if (ret == -ENOENT) {
		km_buf_reset(&out);
		ret = apt_show(f, f->pkg[PKG_KBUILD], &out);
		if (!ret)
			f->ver[PKG_KBUILD] = stanza_field(out.buf, "Version");
		if (!ret && (!f->ver[PKG_KBUILD] ||
			     strverscmp(f->ver[PKG_KBUILD], f->version) < 0)) {
			km_err(f->ctx, "kernel %s: the archive serves %s %s, "
			       "older than the kernel's %s", f->krel,
			       f->pkg[PKG_KBUILD], f->ver[PKG_KBUILD] ?
			       f->ver[PKG_KBUILD] : "?", f->version);
			ret = -ENOENT;
		} else if (ret == -ENOENT) {
			km_err(f->ctx, "kernel %s: the archive does not serve "
			       "%s", f->krel, f->pkg[PKG_KBUILD]);
		}
	}
	free(spec);
	km_buf_release(&out);
	return ret;
}

/* Every package, each at its version; all missing ones are named. */
static int resolve_packages(struct fetch *f)
{
	int ret, bad = 0;

	ret = resolve_image(f);
	if (ret)
		return ret;
	ret = resolve_headers(f);
	if (ret == -ENOENT)
		bad++;
	else if (ret)
		return ret;
	else if ((ret = resolve_kbuild(f)) == -ENOENT)
		bad++;
	else if (ret)
		return ret;
	f->pkg[PKG_DBG] = km_strfmt("linux-image-%s-dbg", f->krel);
	f->pkg[PKG_SOURCE] = km_strfmt("linux-source-%s", f->series);
	if (!f->pkg[PKG_DBG] || !f->pkg[PKG_SOURCE])
		return -ENOMEM;
	if ((ret = resolve_at_version(f, PKG_DBG)) == -ENOENT)
		bad++;
	else if (ret)
		return ret;
	if ((ret = resolve_at_version(f, PKG_SOURCE)) == -ENOENT)
		bad++;
	else if (ret)
		return ret;
	return bad ? -ENOENT : 0;
}

static int check_free_space(struct fetch *f)
{
	struct statvfs s;

	if (statvfs(f->kdir, &s))
		return -errno;
	if ((unsigned long long)s.f_bavail * s.f_frsize >= KM_FETCH_MIN_FREE)
		return 0;
	km_err(f->ctx, "kernel %s: not enough room in '%s' (%llu MB free, "
	       "a fetch needs %llu MB): free some, or fetch into another "
	       "cache with --cache DIR", f->krel, f->kdir,
	       (unsigned long long)s.f_bavail * s.f_frsize >> 20,
	       KM_FETCH_MIN_FREE >> 20);
	return -ENOSPC;
}

static int download(struct fetch *f)
{
	char *argv[2 + PKG_NR + 1] = { "apt-get", "download" };
	struct km_buf out = KM_BUF_INIT;
	int i, ret = 0;

	for (i = 0; i < PKG_NR && !ret; i++) {
		argv[2 + i] = km_strfmt("%s=%s", f->pkg[i], f->ver[i]);
		if (!argv[2 + i])
			ret = -ENOMEM;
	}
	if (!ret) {
		km_info(f->ctx, "kernel %s: downloading %d packages of "
			"version %s", f->krel, PKG_NR, f->version);
		ret = km_run(f->ctx, f->debs, argv, NULL, &out);
		if (ret) {
			km_err(f->ctx, "kernel %s: apt-get download failed "
			       "(is the archive reachable?): %s", f->krel,
			       out.buf ? out.buf : "");
			ret = ret < 0 ? ret : -EIO;
		}
	}
	for (i = 2; argv[i]; i++)
		free(argv[i]);
	km_buf_release(&out);
	return ret;
}

/* The downloaded .deb of package k (apt-get names it PKG_VER_ARCH.deb). */
static char *deb_of(struct fetch *f, enum fetch_pkg k)
{
	struct km_buf out = KM_BUF_INIT;
	char *glob = km_strfmt("%s/%s_*.deb", f->debs, f->pkg[k]);
	char *argv[] = { "sh", "-c", "ls -d $1", "sh", glob, NULL };
	char *deb = NULL;

	if (glob && km_run(f->ctx, NULL, argv, NULL, &out) == 0 && out.buf)
		deb = strndup(out.buf, strcspn(out.buf, "\n"));
	free(glob);
	km_buf_release(&out);
	return deb;
}

/* dpkg-deb's data of package k into the staging root; paths: only those. */
static int unpack(struct fetch *f, enum fetch_pkg k, const char *paths)
{
	static const char script[] =
		"set -o pipefail; dpkg-deb --fsys-tarfile \"$1\" | "
		"tar -x -C \"$2\" $3";
	struct km_buf out = KM_BUF_INIT;
	char *deb = deb_of(f, k);
	char *argv[] = { "bash", "-c", (char *)script, "bash", deb,
			 f->staging, (char *)(paths ? paths : ""), NULL };
	int ret;

	if (!deb) {
		km_err(f->ctx, "kernel %s: apt-get download left no .deb of %s "
		       "in '%s'", f->krel, f->pkg[k], f->debs);
		return -ENOENT;
	}
	km_info(f->ctx, "kernel %s: unpacking %s", f->krel, f->pkg[k]);
	ret = km_run(f->ctx, NULL, argv, NULL, &out);
	if (ret) {
		km_err(f->ctx, "kernel %s: cannot unpack '%s': %s", f->krel,
		       deb, out.buf ? out.buf : "");
		ret = ret < 0 ? ret : -EIO;
	}
	free(deb);
	km_buf_release(&out);
	return ret;
}

static int unpack_all(struct fetch *f)
{
	char *dbg = km_strfmt("./usr/lib/debug/boot/vmlinux-%s "
			      "./usr/lib/debug/boot/System.map-%s",
			      f->krel, f->krel);
	int i, ret = dbg ? 0 : -ENOMEM;

	for (i = 0; i < PKG_NR && !ret; i++)
		ret = unpack(f, (enum fetch_pkg)i, i == PKG_DBG ? dbg : NULL);
	free(dbg);
	return ret;
}

/*
 * The headers as installed point at the system: build is an absolute
 * symlink to /usr/src/linux-headers-KREL and their Makefile includes the
 * -common one by its absolute path.  Both are made to point into the root.
 */
static int relocate_headers(struct fetch *f)
{
	struct km_buf mk = KM_BUF_INIT, fixed = KM_BUF_INIT;
	char *build = km_strfmt("%s/lib/modules/%s/build", f->staging, f->krel);
	char *makefile = km_strfmt("%s/usr/src/linux-headers-%s/Makefile",
				   f->staging, f->krel);
	char *target = km_strfmt("../../../usr/src/linux-headers-%s", f->krel);
	const char *p;
	int ret = build && makefile && target ? 0 : -ENOMEM;

	if (!ret) {
		unlink(build);
		if (symlink(target, build))
			ret = -errno;
	}
	if (!ret)
		ret = km_read_file(makefile, &mk);
	for (p = mk.buf; !ret && p && *p;) {
		size_t n = strcspn(p, "\n");

		if (km_starts_with(p, "include /usr/src/"))
			ret = km_buf_addf(&fixed, "include %s/usr/src/%.*s\n",
					  f->root, (int)(n - 17), p + 17);
		else
			ret = km_buf_addf(&fixed, "%.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	if (!ret)
		ret = km_write_file_atomic(makefile, fixed.buf, fixed.len);
	if (ret)
		km_err(f->ctx, "kernel %s: cannot point the headers at the "
		       "cache ('%s'): %s", f->krel, makefile, strerror(-ret));
	km_buf_release(&mk);
	km_buf_release(&fixed);
	free(build);
	free(makefile);
	free(target);
	return ret;
}

/*
 * The image package ships no modules.dep (its postinst runs depmod): kmend
 * finds a fix's module there, and the test VM's modprobe reads it.
 */
static int index_modules(struct fetch *f, const char *root)
{
	char *argv[] = { "depmod", "-b", (char *)root, (char *)f->krel, NULL };
	struct km_buf out = KM_BUF_INIT;
	int ret;

	km_info(f->ctx, "kernel %s: indexing its modules (depmod)", f->krel);
	ret = km_run(f->ctx, NULL, argv, NULL, &out);
	if (ret == -ENOENT)
		km_err(f->ctx, "kernel %s: depmod not found: install kmod",
		       f->krel);
	else if (ret)
		km_err(f->ctx, "kernel %s: depmod -b '%s' failed: %s", f->krel,
		       root, out.buf ? out.buf : "");
	km_buf_release(&out);
	return ret > 0 ? -EIO : ret;
}

/* Each piece kmend uses is there, else the package did not hold it. */
static int check_pieces(struct fetch *f)
{
	static const char *const forms[][2] = {
		{ "/boot/vmlinuz-", "" }, { "/boot/config-", "" },
		{ "/usr/lib/debug/boot/vmlinux-", "" },
		{ "/usr/lib/debug/boot/System.map-", "" },
		{ "/usr/src/linux-headers-", "/Module.symvers" },
		{ "/lib/modules/", "/build/scripts/Makefile.build" },
		{ "/lib/modules/", "/modules.dep" },
	};
	char *src = km_strfmt("%s/usr/src/linux-source-%s.tar.xz", f->staging,
			      f->series);
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char *path = km_strfmt("%s%s%s%s", f->staging, forms[i][0],
				       f->krel, forms[i][1]);

		if (!path || !km_is_file(path)) {
			km_err(f->ctx, "kernel %s: the packages of version %s "
			       "have no '%s'", f->krel, f->version,
			       path ? path + strlen(f->staging) : "?");
			bad++;
		}
		free(path);
	}
	if (!src || !km_is_file(src)) {
		km_err(f->ctx, "kernel %s: %s %s has no "
		       "/usr/src/linux-source-%s.tar.xz", f->krel,
		       f->pkg[PKG_SOURCE], f->version, f->series);
		bad++;
	}
	free(src);
	return bad ? -ENOENT : 0;
}

static int write_stamp(struct fetch *f)
{
	struct km_buf s = KM_BUF_INIT;
	char *path = km_strfmt("%s/%s", f->staging, KM_FETCH_STAMP);
	int i, ret = path ? 0 : -ENOMEM;

	for (i = 0; i < PKG_NR && !ret; i++)
		ret = km_buf_addf(&s, "%s %s\n", f->pkg[i], f->ver[i]);
	if (!ret)
		ret = km_write_file_atomic(path, s.buf, s.len);
	free(path);
	km_buf_release(&s);
	return ret;
}

/* Download, unpack, relocate, check; then the staging root becomes root. */
static int fetch_into_staging(struct fetch *f)
{
	int ret;

	km_rm_rf(f->staging);
	km_rm_rf(f->debs);
	ret = km_mkdir_p(f->staging, 0755);
	if (!ret)
		ret = km_mkdir_p(f->debs, 0755);
	if (ret) {
		km_err(f->ctx, "cannot create '%s': %s", f->staging,
		       strerror(-ret));
		return ret;
	}
	ret = download(f);
	if (!ret)
		ret = unpack_all(f);
	km_rm_rf(f->debs);
	if (!ret)
		ret = relocate_headers(f);
	if (!ret)
		ret = index_modules(f, f->staging);
	if (!ret)
		ret = check_pieces(f);
	if (!ret)
		ret = write_stamp(f);
	if (!ret) {
		km_rm_rf(f->root);
		if (rename(f->staging, f->root))
			ret = -errno;
	}
	if (ret)
		km_rm_rf(f->staging);
	return ret;
}

static void fetch_release(struct fetch *f)
{
	int i;

	for (i = 0; i < PKG_NR; i++) {
		free(f->pkg[i]);
		free(f->ver[i]);
	}
	free(f->series);
	free(f->version);
	free(f->kdir);
	free(f->root);
	free(f->staging);
	free(f->debs);
	if (f->lock_fd >= 0)
		close(f->lock_fd);
}

static bool is_krel(const char *krel)
{
	return *krel && krel[0] >= '0' && krel[0] <= '9' &&
	       !strchr(krel, '/') && strspn(krel, "0123456789.+-_~abcdefghij"
					    "klmnopqrstuvwxyz") == strlen(krel);
}

/* A fetched root of a kmend before modules.dep was made at fetch time. */
static bool lacks_module_index(const char *root, const char *krel)
{
	char *dep = km_strfmt("%s/lib/modules/%s/modules.dep", root, krel);
	bool lacks = dep && !km_is_file(dep);

	free(dep);
	return lacks;
}

/* km_flock_wait() naming the kernel: "kernel KREL: waiting ... ..." */
static int lock_kernel(struct km_ctx *ctx, const char *krel, int fd, int op,
		       const char *waiting)
{
	char *who = km_strfmt("kernel %s: ", krel);
	int ret = who ? km_flock_wait(ctx, fd, op, who, "%s", waiting)
		      : -ENOMEM;

	free(who);
	return ret;
}

/*
 * One fetch of a kernel at a time, and none while a build or a test reads
 * it (km_fetched_hold): a second fetch waits for the first, then finds the
 * kernel in the cache.  The lock is released when the fd closes.
 */
static int lock_fetch(struct fetch *f)
{
	char *path = km_strfmt("%s/" KM_FETCH_LOCK, f->kdir);
	int ret = 0;

	if (!path)
		return -ENOMEM;
	f->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (f->lock_fd < 0) {
		ret = -errno;
		km_err(f->ctx, "cannot open the fetch lock '%s': %s", path,
		       strerror(-ret));
	} else {
		ret = lock_kernel(f->ctx, f->krel, f->lock_fd, LOCK_EX,
				  "waiting for another kmend fetching or "
				  "using it");
	}
	free(path);
	return ret;
}

/*
 * Under the lock: the kernel is in the cache (another kmend may have
 * fetched it while this one waited), completed with the module index if
 * it lacks it.  1 when it is, 0 when it must be fetched.
 */
static int have_in_cache(struct fetch *f, bool force)
{
	char *stamp = km_strfmt("%s/" KM_FETCH_STAMP, f->root);
	int ret = stamp ? 0 : -ENOMEM;

	if (!ret && !force && km_is_file(stamp)) {
		if (lacks_module_index(f->root, f->krel))
			ret = index_modules(f, f->root);
		if (!ret)
			km_info(f->ctx, "kernel %s: already in the cache (%s)",
				f->krel, f->root);
		ret = ret ? ret : 1;
	}
	free(stamp);
	return ret;
}

int km_fetch_kernel(struct km_ctx *ctx, const struct km_fetch_opts *opts,
		    const char *krel)
{
	char *croot = km_cache_root(opts->cache_dir), *have;
	struct fetch f = { .ctx = ctx, .krel = krel, .lock_fd = -1 };
	double t0 = km_now();
	int ret;

	if (!is_krel(krel)) {
		km_err(ctx, "'%s' is not a kernel release (like "
		       "6.1.0-56-amd64 or 6.12.117+deb12-amd64)", krel);
		free(croot);
		return -EINVAL;
	}
	have = croot ? km_fetched_root(croot, krel) : NULL;
	if (have && !opts->force && !lacks_module_index(have, krel)) {
		km_info(ctx, "kernel %s: already in the cache (%s)", krel, have);
		free(have);
		free(croot);
		return 0;
	}
	f.series = km_series_of(krel);
	f.kdir = croot ? km_strfmt("%s/%s", croot, krel) : NULL;
	f.root = f.kdir ? km_strfmt("%s/" KM_FETCH_DIR, f.kdir) : NULL;
	f.staging = f.kdir ? km_strfmt("%s/" KM_FETCH_DIR ".partial", f.kdir)
			   : NULL;
	f.debs = f.kdir ? km_strfmt("%s/debs.partial", f.kdir) : NULL;
	free(croot);
	ret = f.series && f.root && f.staging && f.debs ? 0 : -ENOMEM;
	/* a cached kernel only lacking its module index needs no archive */
	if (!ret && !(have && !opts->force))
		ret = resolve_packages(&f);
	free(have);
	if (!ret) {
		ret = km_mkdir_p(f.kdir, 0755);
		if (ret)
			km_err(ctx, "cannot create cache directory '%s': %s",
			       f.kdir, strerror(-ret));
	}
	if (!ret)
		ret = lock_fetch(&f);
	if (!ret)
		ret = have_in_cache(&f, opts->force);
	if (ret == 1) {
		fetch_release(&f);
		return 0;
	}
	if (!ret && !f.version)
		ret = resolve_packages(&f);
	if (!ret)
		ret = check_free_space(&f);
	if (!ret)
		ret = fetch_into_staging(&f);
	if (!ret)
		km_info(ctx, "kernel %s: fetched version %s into %s in %.0f s",
			krel, f.version, f.root, km_now() - t0);
	fetch_release(&f);
	return ret;
}

char *km_fetched_root(const char *cache_root, const char *krel)
{
	char *root = km_strfmt("%s/%s/" KM_FETCH_DIR, cache_root, krel);
	char *stamp = root ? km_strfmt("%s/" KM_FETCH_STAMP, root) : NULL;
	bool ok = stamp && km_is_file(stamp);

	free(stamp);
	if (ok)
		return root;
	free(root);
	return NULL;
}

/* Waits for a shared hold on lock_path; 0, or -errno if it cannot be had. */
static int hold_shared(struct km_ctx *ctx, const char *krel,
		       const char *lock_path, int *lock_fd)
{
	int fd, ret;

	fd = open(lock_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	ret = lock_kernel(ctx, krel, fd, LOCK_SH,
			  "waiting for a kmend fetch of it to end");
	if (ret)
		close(fd);
	else
		*lock_fd = fd;
	return ret;
}

int km_fetched_hold(struct km_ctx *ctx, const char *cache_root,
		    const char *krel, char **root, int *lock_fd)
{
	char *path = km_strfmt("%s/%s/" KM_FETCH_LOCK, cache_root, krel);
	int pass, ret = path ? 0 : -ENOMEM;

	*root = NULL;
	*lock_fd = -1;
	/*
	 * No lock file: never fetched, or fetched by a kmend that made none.
	 * A first fetch can make the lock and the root between the two looks,
	 * so a root found unheld is looked at once more.
	 */
	for (pass = 0; pass < 2 && !ret; pass++) {
		free(*root);
		*root = NULL;
		ret = hold_shared(ctx, krel, path, lock_fd);
		if (ret) {
			km_err(ctx, "cannot hold the fetch lock '%s': %s; "
			       "make it readable, or give another --cache",
			       path, strerror(-ret));
			break;
		}
		*root = km_fetched_root(cache_root, krel);
		if (!*root || *lock_fd >= 0)
			break;
	}
	free(path);
	return ret;
}
