// SPDX-License-Identifier: GPL-2.0
/*
 * The cached, prepared kernel tree and the scratch views built on it.
 *
 * Cache layout (see docs/cache.md):
 *   CACHE/lock     flock(): shared while a tree is in use, exclusive while
 *                  one is prepared
 *   CACHE/tree/    the source, with the Kbuild output tree in tree/obj
 *   CACHE/stamp    what the tree was prepared from; written last, so a tree
 *                  without a matching stamp is never used
 *   CACHE/tmp.*    unpacking in progress (removed by the next prepare)
 *   CACHE/objects/ pristine objects (objcache.c) and CACHE/deps, the
 *                  dependency index (deps.c): both named by the tree's id,
 *                  removed with the tree
 *
 * The tree is prepared where it stays: Kbuild's tools (objtool,
 * resolve_btfids) record absolute paths, so a prepared tree cannot be moved.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "kbenv.h"
#include "kbuild.h"
#include "ktree.h"
#include "treeshare.h"
#include "util.h"

#define KM_KCFLAGS "KCFLAGS=-ffunction-sections -fdata-sections"
/* How often a shared user may find the tree replaced under its feet. */
#define KM_PREPARE_TRIES 3


/* ---- missing tools ---------------------------------------------------- */

struct km_tool {
	const char *what;	/* program, or absolute path of a header */
	const char *package;
};

static const struct km_tool prepare_tools[] = {
	{ "make", "make" },
	{ "gcc", "gcc" },
	{ "tar", "tar" },
	{ "xz", "xz-utils" },
	{ "flex", "flex" },
	{ "bison", "bison" },
	{ "bc", "bc" },
	{ "perl", "perl" },
	{ "pahole", "dwarves" },
	{ "/usr/include/openssl/opensslv.h", "libssl-dev" },
	{ "/usr/include/libelf.h", "libelf-dev" },
	{ "/usr/include/zlib.h", "zlib1g-dev" },
};

static bool is_tool_present(const struct km_tool *tool)
{
	if (tool->what[0] == '/')
		return km_is_file(tool->what);
	return km_is_in_path(tool->what);
}

static int check_prepare_tools(struct km_ctx *ctx)
{
	struct km_buf pkgs = KM_BUF_INIT;
	size_t i;
	int missing = 0;

	for (i = 0; i < sizeof(prepare_tools) / sizeof(prepare_tools[0]); i++) {
		const struct km_tool *tool = &prepare_tools[i];

		if (is_tool_present(tool))
			continue;
		km_err(ctx, "cannot prepare the kernel tree: '%s' not found: "
		       "install the Debian package %s", tool->what,
		       tool->package);
		km_buf_addf(&pkgs, " %s", tool->package);
		missing++;
	}
	if (missing)
		km_err(ctx, "to install them all: apt-get install%s "
		       "(or run scripts/install-deps)", pkgs.buf);
	km_buf_release(&pkgs);
	return missing ? -ENOENT : 0;
}

/* ---- the stamp ----------------------------------------------------------- */

/* FNV-1a: detects a changed config, it is no defence against anyone. */
static uint64_t hash_bytes(const char *data, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)data[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int first_line_of(struct km_ctx *ctx, char *const argv[],
			 struct km_buf *out)
{
	int ret = km_run(ctx, NULL, argv, km_kbuild_env(), out);
	char *nl;

	if (ret)
		return ret < 0 ? ret : -EIO;
	nl = out->buf ? strchr(out->buf, '\n') : NULL;
	if (nl) {
		*nl = '\0';
		out->len = (size_t)(nl - out->buf);
	}
	return 0;
}

/*
 * Everything the prepared tree depends on: the source (path, size, mtime),
 * the config, the compiler, where the tree is (its tools record absolute
 * paths) and the format of the cache.
 */
static char *stamp_of(struct km_ctx *ctx, const struct km_target *t,
		      const char *src)
{
	char *cc_argv[] = { "gcc", "--version", NULL };
	struct km_buf config = KM_BUF_INIT, cc = KM_BUF_INIT;
	struct km_buf stamp = KM_BUF_INIT;
	struct stat st;
	int ret;

	if (stat(t->source, &st)) {
		ret = -errno;
		km_err(ctx, "cannot read kernel source '%s': %s", t->source,
		       strerror(errno));
		errno = -ret;
		return NULL;
	}
	ret = km_read_file(t->config, &config);
	if (ret) {
		km_err(ctx, "cannot read kernel config '%s': %s", t->config,
		       strerror(-ret));
		errno = -ret;
		return NULL;
	}
	ret = first_line_of(ctx, cc_argv, &cc);
	if (ret) {
		km_err(ctx, "cannot run 'gcc --version': install gcc");
		km_buf_release(&config);
		errno = ENOENT;
		return NULL;
	}
	km_buf_addf(&stamp, "kmend-cache-format %d\n", KM_CACHE_FORMAT);
	km_buf_addf(&stamp, "krel %s\n", t->krel);
	km_buf_addf(&stamp, "source %s %jd %jd.%09ld\n", t->source,
		    (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec,
		    st.st_mtim.tv_nsec);
	km_buf_addf(&stamp, "config %s %016" PRIx64 "\n", t->config,
		    hash_bytes(config.buf, config.len));
	km_buf_addf(&stamp, "cc %s\n", cc.buf);
	km_buf_addf(&stamp, "make %s\n", KM_KCFLAGS);
	km_buf_addf(&stamp, "tree %s\n", src);
	km_buf_release(&config);
	km_buf_release(&cc);
	if (!stamp.buf) {
		errno = ENOMEM;
		return NULL;
	}
	return km_buf_detach(&stamp);
}

static char *cache_path(const struct km_tree *tree, const char *name)
{
	return km_strfmt("%s/%s", tree->cache, name);
}

static bool is_tree_current(const struct km_tree *tree, const char *stamp)
{
	struct km_buf have = KM_BUF_INIT;
	char *path = cache_path(tree, "stamp");
	char *autoconf = km_strfmt("%s/include/generated/autoconf.h", tree->obj);
	bool ok;

	ok = path && autoconf && km_read_file(path, &have) == 0 &&
	     strcmp(have.buf, stamp) == 0 && km_is_file(autoconf);
	km_buf_release(&have);
	free(path);
	free(autoconf);
	return ok;
}

/* ---- locking --------------------------------------------------------------- */

static int lock_cache(struct km_ctx *ctx, struct km_tree *tree, int op)
{
	return km_flock_wait(ctx, tree->lock_fd, op, "", op == LOCK_EX ?
			     "waiting for other kmend builds to finish with %s" :
			     "waiting for another kmend to prepare %s",
			     tree->src);
}

static int open_lock(struct km_ctx *ctx, struct km_tree *tree)
{
	char *path = cache_path(tree, "lock");
	int ret;

	if (!path)
		return -ENOMEM;
	tree->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	ret = tree->lock_fd < 0 ? -errno : 0;
	if (ret)
		km_err(ctx, "cannot open the cache lock '%s': %s", path,
		       strerror(-ret));
	free(path);
	return ret;
}

/* ---- preparing -------------------------------------------------------------- */

/*
 * The stale tree and what an interrupted prepare left behind; only under
 * the exclusive lock, after the stamp is gone.
 */
static int remove_leftovers(struct km_ctx *ctx, struct km_tree *tree)
{
	struct dirent *de;
	DIR *d = opendir(tree->cache);
	int ret = 0;

	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		char *path;

		if (!km_starts_with(de->d_name, "tmp.") &&
		    strcmp(de->d_name, "tree") != 0 &&
		    strcmp(de->d_name, "objects") != 0 &&
		    !km_starts_with(de->d_name, "deps"))
			continue;
		path = cache_path(tree, de->d_name);
		if (!path) {
			ret = -ENOMEM;
			break;
		}
		km_debug(ctx, "removing %s", path);
		ret = km_rm_rf(path);
		if (ret)
			km_err(ctx, "cannot remove '%s': %s", path,
			       strerror(-ret));
		free(path);
	}
	closedir(d);
	return ret;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void log_output_tail(struct km_ctx *ctx, const struct km_buf *out,
			    int lines)
{
	const char *p, *start;
	int n = 0;

	if (!out->buf || !out->len)
		return;
	start = out->buf;
	for (p = out->buf + out->len - 1; p > out->buf; p--) {
		if (*p == '\n' && p != out->buf + out->len - 1 && ++n == lines) {
			start = p + 1;
			break;
		}
	}
	km_err(ctx, "%s", start);
}

static int run_step(struct km_ctx *ctx, const char *what, const char *cwd,
		    char *const argv[])
{
	struct km_buf out = KM_BUF_INIT;
	double start = km_now();
	int ret;

	ret = km_run(ctx, cwd, argv, km_kbuild_env(), &out);
	if (ret == 0) {
		km_info(ctx, "%s ... %.1f s", what, km_now() - start);
	} else if (ret < 0) {
		km_err(ctx, "%s failed: cannot run '%s': %s", what, argv[0],
		       strerror(-ret));
	} else {
		km_err(ctx, "%s failed (exit %d), its last lines:", what, ret);
		log_output_tail(ctx, &out, 25);
		ret = -EIO;
	}
	km_buf_release(&out);
	return ret;
}

/* The directory of an unpacked source that holds its top-level Makefile. */
static char *find_tree_root(const char *dir)
{
	char *makefile = km_strfmt("%s/Makefile", dir), *root = NULL;
	struct dirent *de;
	int subdirs = 0;
	DIR *d;

	if (makefile && km_is_file(makefile)) {
		free(makefile);
		return strdup(dir);
	}
	free(makefile);
	d = opendir(dir);
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		char *sub;

		if (de->d_name[0] == '.')
			continue;
		subdirs++;
		sub = km_strfmt("%s/%s/Makefile", dir, de->d_name);
		if (sub && km_is_file(sub) && !root)
			root = km_strfmt("%s/%s", dir, de->d_name);
		free(sub);
	}
	closedir(d);
	if (subdirs != 1) {
		free(root);
		return NULL;
	}
	return root;
}

static int unpack_tarball(struct km_ctx *ctx, const char *tarball,
			  const char *dest)
{
	char *argv[] = { "tar", "-xf", (char *)tarball, "-C", (char *)dest,
			 NULL };
	char *what = km_strfmt("unpacking %s", base_name(tarball));
	int ret;

	if (!what)
		return -ENOMEM;
	ret = run_step(ctx, what, NULL, argv);
	free(what);
	return ret;
}

/* A tree given as a directory may be built: copy it, then clean the copy. */
static int copy_source_dir(struct km_ctx *ctx, const char *src,
			   const char *dest)
{
	char *copy_argv[] = {
		"sh", "-c",
		"tar -C \"$1\" --exclude-vcs --anchored --exclude=./obj -cf - . "
		"| tar -C \"$2\" -xf -",
		"sh", (char *)src, (char *)dest, NULL,
	};
	char *clean_argv[] = { "make", "-s", "mrproper", NULL };
	int ret;

	ret = run_step(ctx, "copying the kernel source", NULL, copy_argv);
	if (!ret)
		ret = run_step(ctx, "cleaning the copy (make mrproper)", dest,
			       clean_argv);
	return ret;
}

/* Unpacks or copies the source, then moves it to CACHE/tree. */
static int install_source(struct km_ctx *ctx, const struct km_target *t,
			  struct km_tree *tree)
{
	char *staging = cache_path(tree, "tmp.XXXXXX"), *root = NULL;
	int ret;

	if (!staging)
		return -ENOMEM;
	if (!mkdtemp(staging)) {
		ret = -errno;
		km_err(ctx, "cannot create a directory in '%s': %s",
		       tree->cache, strerror(errno));
		free(staging);
		return ret;
	}
	if (km_is_dir(t->source))
		ret = copy_source_dir(ctx, t->source, staging);
	else
		ret = unpack_tarball(ctx, t->source, staging);
	if (!ret) {
		root = find_tree_root(staging);
		if (!root) {
			km_err(ctx, "'%s' holds no kernel tree (no top-level "
			       "Makefile): give a linux-source tarball or tree",
			       t->source);
			ret = -EINVAL;
		}
	}
	if (!ret && rename(root, tree->src)) {
		ret = -errno;
		km_err(ctx, "cannot move the source to '%s': %s", tree->src,
		       strerror(errno));
	}
	km_rm_rf(staging);
	free(staging);
	free(root);
	return ret;
}

/* .config from the target's config, without Debian's signing keys. */
static int write_config(struct km_ctx *ctx, const struct km_target *t,
			struct km_tree *tree)
{
	char *config = km_strfmt("%s/.config", tree->obj);
	char *script = km_strfmt("%s/scripts/config", tree->src);
	char *argv[] = {
		"bash", script, "--file", config,
		"--set-str", "SYSTEM_TRUSTED_KEYS", "",
		"--set-str", "MODULE_SIG_KEY", "",
		"--set-str", "SYSTEM_REVOCATION_KEYS", "",
		NULL,
	};
	int ret;

	if (!config || !script) {
		ret = -ENOMEM;
		goto out;
	}
	ret = km_mkdir_p(tree->obj, 0755);
	if (!ret)
		ret = km_copy_file(t->config, config);
	if (ret) {
		km_err(ctx, "cannot copy config '%s' to '%s': %s", t->config,
		       config, strerror(-ret));
		goto out;
	}
	ret = run_step(ctx, "writing .config", NULL, argv);
out:
	free(config);
	free(script);
	return ret;
}

static char *jobs_arg(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return km_strfmt("-j%ld", n > 0 ? n : 1);
}

static int run_kbuild_prepare(struct km_ctx *ctx, struct km_tree *tree)
{
	char *jobs = jobs_arg();
	/* The same KCFLAGS as in the views, or Kbuild redoes the prepare. */
	char *argv[] = { "make", "-C", tree->src, jobs, "O=obj", KM_KCFLAGS,
			 "olddefconfig", "prepare", NULL };
	int ret;

	if (!jobs)
		return -ENOMEM;
	ret = run_step(ctx, "preparing the tree (make olddefconfig prepare)",
		       NULL, argv);
	free(jobs);
	return ret;
}

static int write_stamp(struct km_ctx *ctx, struct km_tree *tree,
		       const char *stamp)
{
	char *path = cache_path(tree, "stamp");
	int ret;

	if (!path)
		return -ENOMEM;
	ret = km_write_file_atomic(path, stamp, strlen(stamp));
	if (ret)
		km_err(ctx, "cannot write '%s': %s", path, strerror(-ret));
	free(path);
	return ret;
}

static int invalidate_stamp(struct km_ctx *ctx, struct km_tree *tree)
{
	char *path = cache_path(tree, "stamp");
	int ret = 0;

	if (!path)
		return -ENOMEM;
	if (unlink(path) && errno != ENOENT) {
		ret = -errno;
		km_err(ctx, "cannot remove '%s': %s", path, strerror(errno));
	}
	free(path);
	return ret;
}

/* Sharing the files of sibling trees saves disk, and nothing else. */
static void share_files(struct km_ctx *ctx, struct km_tree *tree)
{
	int ret = km_tree_share_files(ctx, tree->cache, tree->src);

	if (ret)
		km_warn(ctx, "could not share the files of %s with the other "
			"kernels' trees (%s): it takes its full size",
			tree->src, strerror(-ret));
}

/* Under the exclusive lock: a fresh tree, stamped when complete. */
static int build_tree(struct km_ctx *ctx, const struct km_target *t,
		      struct km_tree *tree, const char *stamp)
{
	double start = km_now();
	int ret;

	km_info(ctx, "preparing the %s kernel tree in %s", t->krel, tree->src);
	ret = check_prepare_tools(ctx);
	if (!ret)
		ret = invalidate_stamp(ctx, tree);
	if (!ret)
		ret = remove_leftovers(ctx, tree);
	if (!ret)
		ret = install_source(ctx, t, tree);
	if (!ret)
		share_files(ctx, tree);
	if (!ret)
		ret = write_config(ctx, t, tree);
	if (!ret)
		ret = run_kbuild_prepare(ctx, tree);
	if (!ret)
		ret = write_stamp(ctx, tree, stamp);
	if (!ret)
		km_info(ctx, "kernel tree ready ... %.1f s", km_now() - start);
	else
		km_err(ctx, "could not prepare the kernel tree of %s in '%s'",
		       t->krel, tree->cache);
	return ret;
}

static int init_tree_paths(struct km_tree *tree, const struct km_target *t)
{
	tree->lock_fd = -1;
	tree->krel = strdup(t->krel);
	tree->cache = strdup(t->cache);
	tree->src = km_strfmt("%s/tree", t->cache);
	tree->obj = km_strfmt("%s/tree/obj", t->cache);
	return tree->krel && tree->cache && tree->src && tree->obj ? 0 : -ENOMEM;
}

static int check_target(struct km_ctx *ctx, const struct km_target *t)
{
	if (!t->krel || !t->cache)
		return -EINVAL;
	if (!t->config) {
		km_err(ctx, "kernel config of %s not found: install "
		       "linux-image-%s (/boot/config-%s)", t->krel, t->krel,
		       t->krel);
		return -ENOENT;
	}
	if (!t->source) {
		km_err(ctx, "kernel source of %s not found: install "
		       "linux-source-%s or give the tree with -s DIR|TARBALL",
		       t->krel, t->series ? t->series : "X.Y");
		return -ENOENT;
	}
	return 0;
}

/* Takes the shared lock on a current tree, preparing it first if needed. */
static int acquire_current_tree(struct km_ctx *ctx, const struct km_target *t,
				struct km_tree *tree, const char *stamp)
{
	int tries, ret;

	for (tries = 0; tries < KM_PREPARE_TRIES; tries++) {
		ret = lock_cache(ctx, tree, LOCK_SH);
		if (ret)
			return ret;
		if (is_tree_current(tree, stamp)) {
			km_debug(ctx, "using the prepared tree %s", tree->src);
			return 0;
		}
		flock(tree->lock_fd, LOCK_UN);
		ret = lock_cache(ctx, tree, LOCK_EX);
		if (ret)
			return ret;
		if (!is_tree_current(tree, stamp))
			ret = build_tree(ctx, t, tree, stamp);
		flock(tree->lock_fd, LOCK_UN);
		if (ret)
			return ret;
	}
	km_err(ctx, "the kernel tree in '%s' keeps changing: another kmend "
	       "prepares it for a different config or source; use another "
	       "cache directory (--cache)", tree->cache);
	return -EBUSY;
}

int km_tree_prepare(struct km_ctx *ctx, const struct km_target *t,
		    struct km_tree *tree)
{
	char *stamp = NULL;
	int ret;

	memset(tree, 0, sizeof(*tree));
	tree->lock_fd = -1;
	ret = check_target(ctx, t);
	if (ret)
		return ret;
	ret = init_tree_paths(tree, t);
	if (!ret) {
		ret = km_mkdir_p(tree->cache, 0755);
		if (ret)
			km_err(ctx, "cannot create cache directory '%s': %s",
			       tree->cache, strerror(-ret));
	}
	if (!ret)
		ret = open_lock(ctx, tree);
	if (!ret) {
		stamp = stamp_of(ctx, t, tree->src);
		if (!stamp)
			ret = -errno;
	}
	if (!ret) {
		tree->id = km_strfmt("%016" PRIx64, hash_bytes(stamp,
							       strlen(stamp)));
		ret = tree->id ? 0 : -ENOMEM;
	}
	if (!ret)
		ret = acquire_current_tree(ctx, t, tree, stamp);
	free(stamp);
	if (ret)
		km_tree_release(tree);
	return ret;
}

void km_tree_release(struct km_tree *tree)
{
	if (tree->lock_fd >= 0)
		close(tree->lock_fd);
	free(tree->krel);
	free(tree->cache);
	free(tree->src);
	free(tree->obj);
	free(tree->id);
	memset(tree, 0, sizeof(*tree));
	tree->lock_fd = -1;
}

/* ---- scratch views ------------------------------------------------------- */

static bool is_safe_relative_path(const char *path)
{
	const char *p = path;

	if (!*path || *path == '/')
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/')
			p++;
	}
	return true;
}

static bool is_objtree_path(const char *path)
{
	return !strcmp(path, "obj") || km_starts_with(path, "obj/");
}

/* Fills view with symlinks to the entries of orig (but skip, if given). */
static int link_entries(const char *orig, const char *view, const char *skip)
{
	struct dirent *de;
	DIR *d = opendir(orig);
	int ret = 0;

	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		char *target, *link;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (skip && !strcmp(de->d_name, skip)))
			continue;
		target = km_strfmt("%s/%s", orig, de->d_name);
		link = km_strfmt("%s/%s", view, de->d_name);
		if (!target || !link)
			ret = -ENOMEM;
		else if (symlink(target, link))
			ret = -errno;
		free(target);
		free(link);
	}
	closedir(d);
	return ret;
}

/*
 * Makes way for a real entry of type kind (S_IFDIR, S_IFREG) at view: 1
 * when view is one already; 0 when it was a symlink into the tree (now
 * removed) or absent; wrong_kind when it is anything else; or -errno.
 */
static int unlink_view_link(const char *view, mode_t kind, int wrong_kind)
{
	struct stat st;

	if (lstat(view, &st))
		return errno == ENOENT ? 0 : -errno;
	if ((st.st_mode & S_IFMT) == kind)
		return 1;
	if (!S_ISLNK(st.st_mode))
		return wrong_kind;
	return unlink(view) ? -errno : 0;
}

/* view (a symlink into orig, or absent) becomes a real directory. */
static int make_dir_real(const char *view, const char *orig)
{
	int ret = unlink_view_link(view, S_IFDIR, -ENOTDIR);

	if (ret)
		return ret < 0 ? ret : 0;
	if (mkdir(view, 0755))
		return -errno;
	return km_is_dir(orig) ? link_entries(orig, view, NULL) : 0;
}

/* A real copy with the original's mode and times (so Kbuild rebuilds nothing). */
static int copy_file_as_is(const char *orig, const char *view)
{
	struct timespec times[2];
	struct stat st;
	int ret;

	if (stat(orig, &st))
		return -errno;
	ret = km_copy_scratch_file(orig, view);
	if (ret)
		return ret;
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	if (chmod(view, st.st_mode & 07777) ||
	    utimensat(AT_FDCWD, view, times, 0))
		return -errno;
	return 0;
}

static int make_file_real(const char *view, const char *orig)
{
	struct stat st;
	int ret = unlink_view_link(view, S_IFREG, -EISDIR);

	if (ret)
		return ret < 0 ? ret : 0;
	if (lstat(orig, &st)) {
		/* A file the patch creates: its directory is enough. */
		return errno == ENOENT ? 0 : -errno;
	}
	if (!S_ISREG(st.st_mode))
		return -EISDIR;
	return copy_file_as_is(orig, view);
}

/* Real directories down to path, and a real copy of the file itself. */
static int materialize_path(const struct km_scratch *scratch, const char *path)
{
	char *rel = strdup(path), *slash;
	int ret = 0;

	if (!rel)
		return -ENOMEM;
	for (slash = strchr(rel, '/'); !ret && slash;
	     slash = strchr(slash + 1, '/')) {
		char *view, *orig;

		*slash = '\0';
		view = km_strfmt("%s/%s", scratch->src, rel);
		orig = km_strfmt("%s/%s", scratch->tree->src, rel);
		ret = view && orig ? make_dir_real(view, orig) : -ENOMEM;
		free(view);
		free(orig);
		*slash = '/';
	}
	if (!ret) {
		char *view = km_strfmt("%s/%s", scratch->src, rel);
		char *orig = km_strfmt("%s/%s", scratch->tree->src, rel);

		ret = view && orig ? make_file_real(view, orig) : -ENOMEM;
		free(view);
		free(orig);
	}
	free(rel);
	return ret;
}

static int materialize_touched(struct km_ctx *ctx,
			       const struct km_scratch *scratch,
			       const char *const *touched)
{
	int ret;

	for (; touched && *touched; touched++) {
		if (!is_safe_relative_path(*touched) ||
		    is_objtree_path(*touched)) {
			km_err(ctx, "cannot patch '%s': not a path inside the "
			       "kernel tree", *touched);
			return -EINVAL;
		}
		ret = materialize_path(scratch, *touched);
		if (ret) {
			km_err(ctx, "cannot make a copy of '%s' in '%s': %s",
			       *touched, scratch->src, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int copy_objtree(struct km_ctx *ctx, const struct km_scratch *scratch)
{
	char *argv[] = { "cp", "-a", "--", scratch->tree->obj, scratch->obj,
			 NULL };
	struct km_buf out = KM_BUF_INIT;
	int ret = km_run(ctx, NULL, argv, NULL, &out);

	if (ret) {
		km_err(ctx, "cannot copy the prepared objtree '%s' to '%s': %s",
		       scratch->tree->obj, scratch->obj,
		       ret < 0 ? strerror(-ret) : out.buf);
		ret = ret < 0 ? ret : -EIO;
	}
	km_buf_release(&out);
	return ret;
}

static int copy_tree_as_is(const char *orig, const char *view,
			   const char *const *linked);

/* One entry of a directory copied as it is: a file, a symlink, a directory. */
static int copy_entry_as_is(const char *orig, const char *view)
{
	struct stat st;
	char target[PATH_MAX];
	ssize_t n;

	if (lstat(orig, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return copy_tree_as_is(orig, view, NULL);
	if (S_ISREG(st.st_mode))
		return copy_file_as_is(orig, view);
	if (!S_ISLNK(st.st_mode))
		return 0;
	n = readlink(orig, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	return symlink(target, view) ? -errno : 0;
}

static bool is_listed(const char *name, const char *const *list)
{
	for (; list && *list; list++)
		if (!strcmp(name, *list))
			return true;
	return false;
}

/* A copy of orig, but a symlink to each of its entries named in linked. */
static int copy_tree_as_is(const char *orig, const char *view,
			   const char *const *linked)
{
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (mkdir(view, 0755) && errno != EEXIST)
		return -errno;
	d = opendir(orig);
	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		char *from, *to;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		from = km_strfmt("%s/%s", orig, de->d_name);
		to = km_strfmt("%s/%s", view, de->d_name);
		if (!from || !to)
			ret = -ENOMEM;
		else if (is_listed(de->d_name, linked))
			ret = symlink(from, to) ? -errno : 0;
		else
			ret = copy_entry_as_is(from, to);
		free(from);
		free(to);
	}
	closedir(d);
	return ret;
}

/*
 * What the tree's prepare made and scripts/Makefile.build only reads: the
 * light objtree links them; it copies the rest (some 70 small files), so
 * that whatever Kbuild writes or creates lands in the view.
 */
static int make_light_objtree(struct km_ctx *ctx,
			      const struct km_scratch *scratch)
{
	static const char *const linked[] = { "include", "scripts", "tools",
					      NULL };
	int ret = copy_tree_as_is(scratch->tree->obj, scratch->obj, linked);

	if (ret)
		km_err(ctx, "cannot make the objtree of '%s' in '%s': %s",
		       scratch->tree->obj, scratch->obj, strerror(-ret));
	return ret;
}

/* Replaces every from by to in the text file path, keeping its times. */
static int replace_in_file(const char *path, const char *from, const char *to)
{
	struct km_buf in = KM_BUF_INIT, out = KM_BUF_INIT;
	struct timespec times[2];
	size_t from_len = strlen(from);
	const char *p, *hit;
	struct stat st;
	int ret;

	if (stat(path, &st))
		return -errno;
	ret = km_read_file(path, &in);
	if (ret || !strstr(in.buf, from))
		goto out;
	for (p = in.buf; !ret && (hit = strstr(p, from)); p = hit + from_len) {
		ret = km_buf_add(&out, p, (size_t)(hit - p));
		if (!ret)
			ret = km_buf_adds(&out, to);
	}
	if (!ret)
		ret = km_buf_adds(&out, p);
	if (!ret)
		ret = km_write_scratch_file(path, out.buf, out.len);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	if (!ret && (chmod(path, st.st_mode & 07777) ||
		     utimensat(AT_FDCWD, path, times, 0)))
		ret = -errno;
out:
	km_buf_release(&in);
	km_buf_release(&out);
	return ret;
}

static bool is_dependency_file(const char *name)
{
	return km_ends_with(name, ".cmd") || km_ends_with(name, ".d");
}

static int relocate_dir(const char *dir, const char *from, const char *to)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (de = readdir(d))) {
		char *path;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = km_strfmt("%s/%s", dir, de->d_name);
		if (!path)
			ret = -ENOMEM;
		else if (de->d_type == DT_DIR)
			ret = relocate_dir(path, from, to);
		else if (de->d_type == DT_REG && is_dependency_file(de->d_name))
			ret = replace_in_file(path, from, to);
		free(path);
	}
	closedir(d);
	return ret;
}

/*
 * Kbuild builds objtool and resolve_btfids with absolute output paths and
 * records them in the tools' .cmd and .d files.  Pointing those at the copy
 * keeps make from rebuilding both tools in every view (5 s and more).
 */
static int relocate_tool_builds(struct km_ctx *ctx,
				const struct km_scratch *scratch)
{
	char *tools = km_strfmt("%s/tools", scratch->obj);
	int ret;

	if (!tools)
		return -ENOMEM;
	ret = relocate_dir(tools, scratch->tree->obj, scratch->obj);
	if (ret)
		km_err(ctx, "cannot adjust the tool builds in '%s': %s", tools,
		       strerror(-ret));
	free(tools);
	return ret;
}

/* Whether the tree has a Kbuild environment: then compiles go direct. */
static int load_direct_env(struct km_ctx *ctx, struct km_scratch *scratch)
{
	int ret = km_kbenv_load(scratch->tree, scratch->src, km_kbuild_env(),
				&scratch->direct_env);

	if (ret == -ENOMEM)
		return ret;
	if (ret && ret != -ENOENT)
		km_debug(ctx, "not using the Kbuild environment of '%s': %s",
			 scratch->tree->cache, strerror(-ret));
	return 0;
}

int km_scratch_create(struct km_ctx *ctx, const struct km_tree *tree,
		      const char *const *touched_paths,
		      struct km_scratch *scratch)
{
	double start = km_now();
	int ret;

	memset(scratch, 0, sizeof(*scratch));
	scratch->tree = tree;
	scratch->dir = km_make_tempdir(ctx, "kmend-scratch");
	if (!scratch->dir)
		return -errno;
	scratch->src = km_strfmt("%s/src", scratch->dir);
	scratch->obj = km_strfmt("%s/src/obj", scratch->dir);
	if (!scratch->src || !scratch->obj) {
		ret = -ENOMEM;
		goto fail;
	}
	if (mkdir(scratch->src, 0755)) {
		ret = -errno;
		goto fail;
	}
	ret = link_entries(tree->src, scratch->src, "obj");
	if (ret) {
		km_err(ctx, "cannot link the kernel tree '%s' into '%s': %s",
		       tree->src, scratch->src, strerror(-ret));
		goto fail;
	}
	ret = materialize_touched(ctx, scratch, touched_paths);
	if (!ret)
		ret = load_direct_env(ctx, scratch);
	if (!ret && scratch->direct_env)
		ret = make_light_objtree(ctx, scratch);
	else if (!ret)
		ret = copy_objtree(ctx, scratch);
	if (!ret && !scratch->direct_env)
		ret = relocate_tool_builds(ctx, scratch);
	if (!ret && !(scratch->kbuild = km_kbuild_new(scratch->dir)))
		ret = -errno;
	if (ret)
		goto fail;
	km_debug(ctx, "scratch view %s ... %.1f s", scratch->dir,
		 km_now() - start);
	return 0;
fail:
	km_scratch_release(ctx, scratch);
	return ret;
}

static int restore_path(const struct km_scratch *scratch, const char *path)
{
	char *view = km_strfmt("%s/%s", scratch->src, path);
	char *orig = km_strfmt("%s/%s", scratch->tree->src, path);
	int ret;

	if (!view || !orig)
		ret = -ENOMEM;
	else if (km_is_file(orig))
		ret = copy_file_as_is(orig, view);
	else
		ret = unlink(view) && errno != ENOENT ? -errno : 0;
	free(view);
	free(orig);
	return ret;
}

int km_scratch_restore(struct km_ctx *ctx, const struct km_scratch *scratch,
		       const char *const *touched_paths)
{
	int ret;

	for (; touched_paths && *touched_paths; touched_paths++) {
		ret = restore_path(scratch, *touched_paths);
		if (ret) {
			km_err(ctx, "cannot restore '%s' in '%s': %s",
			       *touched_paths, scratch->src, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void km_scratch_release(struct km_ctx *ctx, struct km_scratch *scratch)
{
	if (scratch->dir) {
		if (scratch->keep)
			km_info(ctx, "scratch tree kept in %s", scratch->dir);
		else
			km_rm_rf(scratch->dir);
	}
	km_kbuild_free(scratch->kbuild);
	km_kbenv_free(scratch->direct_env);
	free(scratch->dir);
	free(scratch->src);
	free(scratch->obj);
	memset(scratch, 0, sizeof(*scratch));
}

char *km_scratch_object_path(const struct km_scratch *scratch,
			     const char *object)
{
	return km_strfmt("%s/%s", scratch->obj, object);
}

/* OBJ/dir/.name.o.cmd: how Kbuild compiled the object. */
static char *cmd_file_of(const struct km_scratch *scratch, const char *object)
{
	const char *slash = strrchr(object, '/');

	if (!slash)
		return km_strfmt("%s/.%s.cmd", scratch->obj, object);
	return km_strfmt("%s/%.*s/.%s.cmd", scratch->obj,
			 (int)(slash - object), object, slash + 1);
}

char *km_scratch_cmd_path(const struct km_scratch *scratch, const char *object)
{
	return cmd_file_of(scratch, object);
}

bool km_scratch_object_is_module(const struct km_scratch *scratch,
				 const char *object)
{
	struct km_buf cmd = KM_BUF_INIT;
	char *path = cmd_file_of(scratch, object);
	bool is_module;

	is_module = path && km_read_file(path, &cmd) == 0 &&
		    km_has_word(cmd.buf, "-DMODULE");
	km_buf_release(&cmd);
	free(path);
	return is_module;
}

char *km_scratch_module_name(const struct km_scratch *scratch,
			     const char *object)
{
	static const char key[] = "-DKBUILD_MODNAME='\"";
	struct km_buf cmd = KM_BUF_INIT;
	char *path = cmd_file_of(scratch, object), *name = NULL;
	const char *p;
	int err = path ? -km_read_file(path, &cmd) : ENOMEM;

	p = !err && cmd.buf ? strstr(cmd.buf, key) : NULL;
	if (p) {
		p += strlen(key);
		name = strndup(p, strcspn(p, "\"'\n"));
		err = name ? 0 : ENOMEM;
	} else if (!err) {
		err = ENOENT;
	}
	km_buf_release(&cmd);
	free(path);
	errno = err;
	return name;
}

/* The source of an object that exists in the view, or NULL. */
static char *source_of_object(const struct km_scratch *scratch,
			      const char *object)
{
	static const char *const exts[] = { ".c", ".S" };
	size_t i, n = strlen(object) - 2;

	for (i = 0; i < 2; i++) {
		char *rel = km_strfmt("%.*s%s", (int)n, object, exts[i]);
		char *full = rel ? km_strfmt("%s/%s", scratch->src, rel) : NULL;
		bool exists = full && km_is_file(full);

		free(full);
		if (exists)
			return rel;
		free(rel);
	}
	return NULL;
}

/* The value of "key := value" in a .cmd file, as a new string. */
static char *cmd_value(const char *cmd, const char *key)
{
	const char *p = cmd;
	size_t klen = strlen(key);

	while ((p = strstr(p, key))) {
		if ((p == cmd || p[-1] == '\n') && !strncmp(p + klen, " := ", 4)) {
			p += klen + 4;
			return strndup(p, strcspn(p, "\n"));
		}
		p += klen;
	}
	return NULL;
}

char *km_scratch_compiled_name(const struct km_scratch *scratch,
			       const char *object, const char *source)
{
	struct km_buf cmd = KM_BUF_INIT;
	char *path = cmd_file_of(scratch, object);
	char *own = source_of_object(scratch, object);
	char *key = km_strfmt("source_%s", object);
	char *given = NULL, *name = NULL;
	size_t prefix;
	int err = ENOMEM;

	if (!path || !own || !key)
		goto out;
	err = -km_read_file(path, &cmd);
	if (err)
		goto out;
	err = ENOENT;
	given = cmd.buf ? cmd_value(cmd.buf, key) : NULL;
	if (!given || !km_ends_with(given, own))
		goto out;
	prefix = strlen(given) - strlen(own);
	name = km_strfmt("%.*s%s", (int)prefix, given, source);
	if (!name)
		err = ENOMEM;
	else if (strcmp(own, source) && !km_has_word(cmd.buf, name))
		goto out;
	else
		err = 0;
out:
	if (err) {
		free(name);
		name = NULL;
	}
	km_buf_release(&cmd);
	free(path);
	free(own);
	free(key);
	free(given);
	errno = err;
	return name;
}

char *km_object_of_source(const char *path)
{
	size_t n = strlen(path);

	if (n < 3 || (!km_ends_with(path, ".c") && !km_ends_with(path, ".S")))
		return NULL;
	return km_strfmt("%.*s.o", (int)(n - 2), path);
}

static bool is_valid_object(const char *object)
{
	return is_safe_relative_path(object) && km_ends_with(object, ".o") &&
	       strlen(object) > 2 && !is_objtree_path(object);
}

/* Kbuild compiles any file of a directory it enters, listed or not. */
static int check_built(struct km_ctx *ctx, const struct km_scratch *scratch,
		       const char *object, const char *source)
{
	char *why = NULL;
	int built = km_kbuild_object(ctx, scratch, object, &why);

	if (built == KM_BUILT_OFF)
		km_err(ctx, "%s is not built in %s's configuration (%s): a fix "
		       "to it changes nothing in this kernel", source,
		       scratch->tree->krel, why);
	else if (built == KM_BUILT_UNKNOWN)
		km_err(ctx, "cannot compile %s: kmend cannot tell whether %s's "
		       "vmlinux or modules hold %s (%s)", source,
		       scratch->tree->krel, object, why);
	free(why);
	if (built < 0)
		return built;
	if (built == KM_BUILT_OFF)
		return -ENOENT;
	return built == KM_BUILT ? 0 : -KM_EUNPATCHABLE;
}

static int check_objects(struct km_ctx *ctx, const struct km_scratch *scratch,
			 const char *const *objects)
{
	const char *const *o;
	int ret = 0;

	for (o = objects; *o; o++) {
		char *source;
		int err;

		if (!is_valid_object(*o)) {
			km_err(ctx, "cannot compile '%s': not an object path "
			       "inside the kernel tree (like fs/proc/cmdline.o)",
			       *o);
			return -EINVAL;
		}
		source = source_of_object(scratch, *o);
		if (!source) {
			km_err(ctx, "cannot compile '%s': there is no %.*s.c in "
			       "the source of %s", *o, (int)strlen(*o) - 2, *o,
			       scratch->tree->krel);
			err = -ENOENT;
		} else {
			err = check_built(ctx, scratch, *o, source);
		}
		free(source);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

/* Each object is compiled afresh, whatever the timestamps say. */
static int remove_old_objects(const struct km_scratch *scratch,
			      const char *const *objects)
{
	const char *const *o;

	for (o = objects; *o; o++) {
		char *path = km_scratch_object_path(scratch, *o);
		char *cmd = cmd_file_of(scratch, *o);
		int ret = 0;

		if (!path || !cmd)
			ret = -ENOMEM;
		else if ((unlink(path) && errno != ENOENT) ||
			 (unlink(cmd) && errno != ENOENT))
			ret = -errno;
		free(path);
		free(cmd);
		if (ret)
			return ret;
	}
	return 0;
}

static bool is_error_line(const char *line, size_t len)
{
	return memmem(line, len, "error:", 6) ||
	       memmem(line, len, "objtool:", 8) ||
	       memmem(line, len, "In function", 11) ||
	       memmem(line, len, "No rule to make target", 22);
}

/* The compiler's own lines, with Kbuild's "../" before source paths gone. */
static int log_compiler_errors(struct km_ctx *ctx, const char *out)
{
	const char *line = out;
	int n = 0;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (is_error_line(line, len) && n < 40) {
			if (len > 3 && !strncmp(line, "../", 3)) {
				line += 3;
				len -= 3;
			}
			km_err(ctx, "  %.*s", (int)len, line);
			n++;
		}
		line = end ? end + 1 : NULL;
	}
	return n;
}

static void report_failed_objects(struct km_ctx *ctx,
				  const struct km_scratch *scratch,
				  const char *const *objects,
				  const struct km_buf *out)
{
	const char *const *o;

	for (o = objects; *o; o++) {
		char *path = km_scratch_object_path(scratch, *o);
		char *source = source_of_object(scratch, *o);

		if (path && !km_is_file(path))
			km_err(ctx, "compiling %s for %s failed",
			       source ? source : *o, scratch->tree->krel);
		free(path);
		free(source);
	}
	if (!out->buf || !log_compiler_errors(ctx, out->buf))
		log_output_tail(ctx, out, 25);
}

static bool are_objects_present(struct km_ctx *ctx,
				const struct km_scratch *scratch,
				const char *const *objects)
{
	const char *const *o;
	bool all = true;

	for (o = objects; *o; o++) {
		char *path = km_scratch_object_path(scratch, *o);

		if (!path || !km_is_file(path)) {
			km_err(ctx, "make compiled nothing for %s in '%s'", *o,
			       scratch->src);
			all = false;
		}
		free(path);
	}
	return all;
}

/*
 * Kbuild's single-target build descends into every subdirectory whose name
 * starts the target's path: for arch/x86/pci/fixup.o, into arch/x86/pci
 * (which the top-level Kbuild enters, from the arch Makefile's drivers-y)
 * and into arch/x86 too, which then compiles the file as one of its own,
 * with its own flags, at the same time.  Overriding single-subdirs of
 * scripts/Makefile.build (an --eval reaches every sub-make) keeps the
 * descent on the way of the kernel's own build.
 */
static char *descent_arg(struct km_ctx *ctx, const struct km_scratch *scratch,
			 const char *const *objects)
{
	struct km_buf dirs = KM_BUF_INIT;
	char *arg = NULL;

	for (; *objects; objects++) {
		char *way = km_kbuild_descent(ctx, scratch, *objects);

		if (!way) {
			km_buf_release(&dirs);
			return NULL;
		}
		km_buf_addf(&dirs, " %s", way);
		free(way);
	}
	if (dirs.buf)
		arg = km_strfmt("--eval=override single-subdirs = "
				"$(filter%s,$(subdir-ym))", dirs.buf);
	km_buf_release(&dirs);
	if (!arg)
		errno = ENOMEM;
	return arg;
}

/* How often Kbuild's output says it compiled object ("  CC      x.o"). */
static int times_compiled(const char *out, const char *object)
{
	const char *line = out;
	size_t n = strlen(object);
	int times = 0;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if ((km_starts_with(line, "  CC ") || km_starts_with(line, "  AS ")) &&
		    len > n && line[len - n - 1] == ' ' &&
		    !strncmp(line + len - n, object, n))
			times++;
		line = end ? end + 1 : NULL;
	}
	return times;
}

static bool is_compiled_once(struct km_ctx *ctx, const char *out,
			     const char *const *objects)
{
	bool once = true;

	for (; *objects; objects++) {
		if (times_compiled(out, *objects) <= 1)
			continue;
		km_err(ctx, "Kbuild compiled %s more than once, from different "
		       "directories: kmend cannot tell which flags are the "
		       "kernel's", *objects);
		once = false;
	}
	return once;
}

/* "x.o" -> "x.i" (or "x.s" for x.S): Kbuild's preprocessor rules. */
static char *preprocessed_target(const struct km_scratch *scratch,
				 const char *object)
{
	char *source = source_of_object(scratch, object);
	bool is_asm = source && km_ends_with(source, ".S");

	free(source);
	return km_strfmt("%.*s%s", (int)strlen(object) - 1, object,
			 is_asm ? "s" : "i");
}

char *km_scratch_preprocessed_path(const struct km_scratch *scratch,
				   const char *object)
{
	char *target = preprocessed_target(scratch, object);
	char *path = target ? km_scratch_object_path(scratch, target) : NULL;

	free(target);
	return path;
}

static char **preprocessed_targets(const struct km_scratch *scratch,
				   const char *const *objects, size_t n)
{
	char **targets = calloc(n + 1, sizeof(*targets));
	size_t i;

	for (i = 0; targets && i < n; i++) {
		targets[i] = preprocessed_target(scratch, objects[i]);
		if (!targets[i]) {
			km_free_list(targets);
			return NULL;
		}
	}
	return targets;
}

static int remove_old_preprocessed(const struct km_scratch *scratch,
				   char *const *targets)
{
	for (; *targets; targets++) {
		char *path = km_scratch_object_path(scratch, *targets);
		int ret = 0;

		if (!path)
			return -ENOMEM;
		if (unlink(path) && errno != ENOENT)
			ret = -errno;
		free(path);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Kbuild's environment, with CPATH naming the author's headers when set:
 * gcc searches CPATH after every -I of the command line, so the kernel's
 * own headers win, and Kbuild does not see it (no flag changes, nothing
 * of the prepared tree is redone).
 */
static char **compile_env(const struct km_scratch *scratch)
{
	char *const *base = scratch->direct_env ? scratch->direct_env
						: km_kbuild_env();
	size_t n = 0;
	char **env;

	while (base[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	memcpy(env, base, n * sizeof(*env));
	if (scratch->author_include) {
		env[n] = km_strfmt("CPATH=%s", scratch->author_include);
		if (!env[n]) {
			free(env);
			return NULL;
		}
	}
	return env;
}

static void free_compile_env(const struct km_scratch *scratch, char **env)
{
	size_t n = 0;

	if (!env)
		return;
	while (env[n])
		n++;
	if (scratch->author_include && n)
		free(env[n - 1]);
	free(env);
}

/*
 * The top-level Makefile's descent for single targets, without it: in the
 * objtree, scripts/Makefile.build for "." with the Makefile's exported
 * variables (in env), its command line and its -rR.
 */
static size_t direct_argv(char **argv, char *include_dir)
{
	size_t i = 0;

	argv[i++] = "make";
	argv[i++] = "-rR";
	argv[i++] = "--no-print-directory";
	argv[i++] = include_dir;
	argv[i++] = "-f";
	argv[i++] = "../scripts/Makefile.build";
	argv[i++] = "obj=.";
	argv[i++] = "need-builtin=1";
	argv[i++] = "need-modorder=1";
	return i;
}

/* The whole way: make in the view's srctree, as a user would. */
static size_t toplevel_argv(const struct km_scratch *scratch, char **argv)
{
	size_t i = 0;

	argv[i++] = "make";
	argv[i++] = "-C";
	argv[i++] = scratch->src;
	return i;
}

/* Keeps the environment the whole way captured (a cache: errors only cost). */
static void keep_direct_env(struct km_ctx *ctx, const struct km_scratch *scratch,
			    const char *dump, char **env)
{
	int ret;

	if (!km_is_file(dump))
		return;
	ret = km_kbenv_keep(scratch->tree, scratch->src, dump, env);
	if (ret)
		km_debug(ctx, "cannot keep the Kbuild environment of '%s': %s",
			 scratch->tree->cache, strerror(-ret));
	unlink(dump);
}

/*
 * make in the view for targets, on the way of the objects' descent: direct
 * when the tree has a Kbuild environment, else the whole way, capturing it.
 */
static int run_kbuild_targets(struct km_ctx *ctx,
			      const struct km_scratch *scratch,
			      const char *const *objects,
			      const char *const *targets, size_t n,
			      struct km_buf *out)
{
	char **argv = NULL, *jobs = jobs_arg(), *descent = NULL;
	char *dump = NULL, *capture[3] = { NULL }, *include_dir = NULL;
	char **env = compile_env(scratch);
	bool direct = scratch->direct_env != NULL;
	size_t i, t;
	int ret;

	descent = descent_arg(ctx, scratch, objects);
	argv = calloc(n + 16, sizeof(*argv));
	if (direct) {
		include_dir = km_strfmt("--include-dir=%s", scratch->src);
	} else if (scratch->tree->id) {
		dump = km_strfmt("%s/kbuild-env.dump", scratch->dir);
		if (dump && km_kbenv_capture_args(".", dump, capture) == -ENOMEM) {
			free(dump);	/* reported below */
			dump = NULL;
		}
	}
	if (!jobs || !descent || !argv || !env || (direct && !include_dir) ||
	    (!direct && scratch->tree->id && !dump)) {
		ret = -ENOMEM;
		goto out;
	}
	i = direct ? direct_argv(argv, include_dir)
		   : toplevel_argv(scratch, argv);
	argv[i++] = jobs;
	argv[i++] = "O=obj";
	argv[i++] = KM_KCFLAGS;
	argv[i++] = descent;
	for (t = 0; capture[0] && t < 3; t++)
		argv[i++] = capture[t];
	for (t = 0, ret = 0; t < n; t++) {
		/* the top-level Makefile's own name for them: $(build-dir)/x */
		argv[i + t] = direct ? km_strfmt("./%s", targets[t])
				     : (char *)targets[t];
		if (!argv[i + t])
			ret = -ENOMEM;
	}
	if (!ret)
		ret = km_run(ctx, direct ? scratch->obj : NULL, argv, env, out);
	km_debug(ctx, "make in %s:\n%s", direct ? scratch->obj : scratch->src,
		 out->buf ? out->buf : "");
	if (ret < 0)
		km_err(ctx, "cannot run make: %s: install make", strerror(-ret));
	else if (!ret && capture[0])
		keep_direct_env(ctx, scratch, dump, env);
	for (t = 0; direct && t < n; t++)
		free(argv[i + t]);
out:
	free_compile_env(scratch, env);
	free(argv);
	free(jobs);
	free(descent);
	free(dump);
	km_kbenv_free_args(capture);
	free(include_dir);
	return ret;
}

int km_scratch_preprocess(struct km_ctx *ctx, const struct km_scratch *scratch,
			  const char *const *objects)
{
	struct km_buf out = KM_BUF_INIT;
	char **targets;
	size_t n = 0;
	int ret;

	while (objects[n])
		n++;
	if (!n)
		return 0;
	ret = check_objects(ctx, scratch, objects);
	if (ret)
		return ret;
	targets = preprocessed_targets(scratch, objects, n);
	if (!targets)
		return -ENOMEM;
	ret = remove_old_preprocessed(scratch, targets);
	if (!ret)
		ret = run_kbuild_targets(ctx, scratch, objects,
					 (const char *const *)targets, n, &out);
	if (ret > 0) {
		km_err(ctx, "preprocessing failed in '%s':", scratch->src);
		if (!out.buf || !log_compiler_errors(ctx, out.buf))
			log_output_tail(ctx, &out, 25);
		ret = -EIO;
	} else if (!ret && !are_objects_present(ctx, scratch,
					(const char *const *)targets)) {
		ret = -EIO;
	}
	km_buf_release(&out);
	km_free_list(targets);
	return ret;
}

/* The command Kbuild recorded for object in the view, or NULL. */
static char *recorded_command(const struct km_scratch *scratch,
			      const char *object)
{
	char *path = cmd_file_of(scratch, object);
	char *cmd = path ? km_kbenv_recorded_command(path) : NULL;

	free(path);
	return cmd;
}

/*
 * The commands of the objects the view holds (pristine ones, before the
 * patched compile), one per object, NULL where none: what a direct compile
 * must give again.
 */
static char **recorded_commands(const struct km_scratch *scratch,
				const char *const *objects, size_t n)
{
	char **cmds = calloc(n + 1, sizeof(*cmds));
	size_t i;

	for (i = 0; cmds && i < n; i++)
		cmds[i] = recorded_command(scratch, objects[i]);
	return cmds;
}

static void free_commands(char **cmds, size_t n)
{
	size_t i;

	for (i = 0; cmds && i < n; i++)
		free(cmds[i]);
	free(cmds);
}

/* The first word where a and b differ, for a message: "(none)" past one's end. */
static void first_difference(const char *a, const char *b, char **wa, char **wb)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	while (*a && *b && a[-1] != ' ' && b[-1] != ' ' && a[-1] == b[-1]) {
		a--;
		b--;
	}
	*wa = *a ? strndup(a, strcspn(a, " ")) : strdup("(none)");
	*wb = *b ? strndup(b, strcspn(b, " ")) : strdup("(none)");
}

/*
 * A direct compile (kbenv.h) must be the top-level Makefile's: where the
 * view held a pristine object, its command and the new one are the same.
 * When they are not, the kept environment goes, and the next build goes
 * the whole way again.
 */
static int check_same_commands(struct km_ctx *ctx,
			       const struct km_scratch *scratch,
			       const char *const *objects, char **before)
{
	size_t i;
	int ret = 0;

	for (i = 0; objects[i]; i++) {
		char *now, *path, *was_word = NULL, *now_word = NULL;

		if (!before[i])
			continue;
		now = recorded_command(scratch, objects[i]);
		if (now && !strcmp(now, before[i])) {
			free(now);
			continue;
		}
		path = km_kbenv_path(scratch->tree);
		first_difference(before[i], now ? now : "", &was_word,
				 &now_word);
		km_err(ctx, "Kbuild compiled %s with another command than its "
		       "pristine object ('%s' where the pristine one has "
		       "'%s'): kmend removed '%s', how it compiles without the "
		       "top-level Makefile; build again", objects[i],
		       now_word ? now_word : "?", was_word ? was_word : "?",
		       path ? path : "?");
		if (path)
			unlink(path);
		free(path);
		free(was_word);
		free(now_word);
		free(now);
		ret = -EIO;
	}
	return ret;
}

int km_scratch_compile(struct km_ctx *ctx, const struct km_scratch *scratch,
		       const char *const *objects)
{
	struct km_buf out = KM_BUF_INIT;
	double start = km_now();
	char **before = NULL;
	size_t n = 0;
	int ret;

	while (objects[n])
		n++;
	if (!n)
		return 0;
	ret = check_objects(ctx, scratch, objects);
	if (ret)
		return ret;
	if (scratch->direct_env) {
		before = recorded_commands(scratch, objects, n);
		if (!before)
			return -ENOMEM;
	}
	ret = remove_old_objects(scratch, objects);
	if (!ret)
		ret = run_kbuild_targets(ctx, scratch, objects, objects, n,
					 &out);
	if (ret > 0) {
		report_failed_objects(ctx, scratch, objects, &out);
		ret = -EIO;
	} else if (ret < 0) {
		/* logged */
	} else if (!are_objects_present(ctx, scratch, objects)) {
		ret = -EIO;
	} else if (!is_compiled_once(ctx, out.buf ? out.buf : "", objects)) {
		ret = -KM_EUNPATCHABLE;
	} else if (before &&
		   check_same_commands(ctx, scratch, objects, before)) {
		ret = -EIO;
	} else {
		km_debug(ctx, "compiling %zu file%s ... %.1f s", n,
			n == 1 ? "" : "s", km_now() - start);
	}
	km_buf_release(&out);
	free_commands(before, n);
	return ret;
}
