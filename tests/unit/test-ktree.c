// SPDX-License-Identifier: GPL-2.0
/*
 * lib/kernel/ktree: unit tests of the scratch view on a small fake tree (run
 * without arguments, by tests/run), and a driver for the shell tests
 * tests/cli/t15xx-*.sh, which need the real kernel tree:
 *
 *   test-ktree [-v] [-s SOURCE] prepare CACHE_ROOT [KREL]
 *   test-ktree [-v] [--keep] build CACHE_ROOT OUTDIR PATCH...
 *
 * "build" is what kmend build does with the tree: prepare, make a view of
 * the touched files, compile the pristine objects, apply the patches,
 * compile again, and copy the objects to OUTDIR/orig and OUTDIR/patched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "ktree.h"
#include "patch.h"
#include "target.h"
#include "treeshare.h"
#include "unit.h"
#include "util.h"

static void log_to_stderr(void *data, enum km_level level, const char *msg)
{
	static const char *const prefix[] = {
		[KM_ERROR] = "error: ", [KM_WARN] = "warning: ",
		[KM_INFO] = "", [KM_DEBUG] = "debug: ",
	};

	fprintf(stderr, "%s%s\n", prefix[level], msg);
}

/* ---- the driver ------------------------------------------------------------ */

struct driver {
	struct km_ctx ctx;
	bool keep;
	const char *source;	/* -s DIR|TARBALL */
	struct km_target target;
	struct km_tree tree;
	struct km_patch *patches;
	size_t nr_patches;
};

static int find_target(struct driver *d, const char *cache_root,
		       const char *krel)
{
	struct km_target_opts opts = { .krel = krel, .cache_dir = cache_root,
				       .source = d->source };
	int ret = km_target_find(&d->ctx, &opts, &d->target);

	if (!ret)
		ret = km_target_require(&d->ctx, &d->target,
					KM_NEED_CONFIG | KM_NEED_SOURCE);
	return ret;
}

static int cmd_prepare(struct driver *d, int argc, char **argv)
{
	int ret;

	if (argc < 1)
		return -EINVAL;
	ret = find_target(d, argv[0], argc > 1 ? argv[1] : NULL);
	if (!ret)
		ret = km_tree_prepare(&d->ctx, &d->target, &d->tree);
	if (!ret)
		printf("tree %s\n", d->tree.src);
	return ret;
}

static int read_patches(struct driver *d, int argc, char **argv)
{
	int i, ret;

	d->patches = calloc((size_t)argc, sizeof(*d->patches));
	if (!d->patches)
		return -ENOMEM;
	for (i = 0; i < argc; i++) {
		ret = km_patch_read(&d->ctx, argv[i], &d->patches[i]);
		if (ret)
			return ret;
		d->nr_patches++;
	}
	return 0;
}

/* The objects of the patched .c files that exist before and after. */
static char **objects_of(const struct driver *d)
{
	char **objs = calloc(1, sizeof(*objs));
	size_t n = 0, i, j;

	for (i = 0; objs && i < d->nr_patches; i++) {
		for (j = 0; j < d->patches[i].nr_files; j++) {
			const struct km_patch_file *f = &d->patches[i].files[j];
			char **grown;

			if (f->flags & (KM_PATCH_NOT_C | KM_PATCH_NEW |
					KM_PATCH_DELETED))
				continue;
			grown = realloc(objs, (n + 2) * sizeof(*objs));
			if (!grown)
				break;
			objs = grown;
			objs[n] = km_object_of_source(f->path);
			objs[++n] = NULL;
		}
	}
	return objs;
}

static int copy_objects(struct driver *d, const struct km_scratch *scratch,
			char **objs, const char *outdir, const char *kind)
{
	int ret = 0;

	for (; !ret && *objs; objs++) {
		char *from = km_scratch_object_path(scratch, *objs);
		char *to = km_strfmt("%s/%s/%s", outdir, kind, *objs);
		char *dir = to ? strdup(to) : NULL;

		if (!from || !to || !dir) {
			ret = -ENOMEM;
		} else {
			*strrchr(dir, '/') = '\0';
			ret = km_mkdir_p(dir, 0755);
			if (!ret)
				ret = km_copy_file(from, to);
			if (!ret)
				printf("%s %s\n", kind, to);
			else
				km_err(&d->ctx, "cannot copy '%s' to '%s': %s",
				       from, to, strerror(-ret));
		}
		free(from);
		free(to);
		free(dir);
	}
	return ret;
}

static int refuse_modules(struct driver *d, const struct km_scratch *scratch,
			  char **objs)
{
	for (; *objs; objs++) {
		if (km_scratch_object_is_module(scratch, *objs)) {
			km_err(&d->ctx, "%s belongs to a loadable module: kmend "
			       "patches only the kernel itself for now", *objs);
			return -KM_EUNPATCHABLE;
		}
	}
	return 0;
}

static int build_in_scratch(struct driver *d, struct km_scratch *scratch,
			    const char *outdir)
{
	char **objs = objects_of(d);
	const char *const *list = (const char *const *)objs;
	int ret;

	if (!objs)
		return -ENOMEM;
	ret = km_scratch_compile(&d->ctx, scratch, list);
	if (!ret)
		ret = refuse_modules(d, scratch, objs);
	if (!ret)
		ret = copy_objects(d, scratch, objs, outdir, "orig");
	if (!ret)
		ret = km_patch_apply_all(&d->ctx, d->patches, d->nr_patches,
					 scratch->src);
	if (!ret)
		ret = km_scratch_compile(&d->ctx, scratch, list);
	if (!ret)
		ret = copy_objects(d, scratch, objs, outdir, "patched");
	km_patch_paths_free(objs);
	return ret;
}

static int cmd_build(struct driver *d, int argc, char **argv)
{
	struct km_scratch scratch;
	char **touched = NULL;
	int ret;

	if (argc < 3)
		return -EINVAL;
	ret = read_patches(d, argc - 2, argv + 2);
	if (!ret)
		ret = find_target(d, argv[0], NULL);
	if (!ret)
		ret = km_tree_prepare(&d->ctx, &d->target, &d->tree);
	if (!ret) {
		touched = km_patch_touched_paths(d->patches, d->nr_patches);
		ret = touched ? 0 : -errno;
	}
	if (!ret)
		ret = km_scratch_create(&d->ctx, &d->tree,
					(const char *const *)touched, &scratch);
	if (!ret) {
		ret = build_in_scratch(d, &scratch, argv[1]);
		scratch.keep = d->keep;
		km_scratch_release(&d->ctx, &scratch);
	}
	km_patch_paths_free(touched);
	return ret;
}

static void driver_release(struct driver *d)
{
	size_t i;

	for (i = 0; i < d->nr_patches; i++)
		km_patch_release(&d->patches[i]);
	free(d->patches);
	km_tree_release(&d->tree);
	km_target_release(&d->target);
}

static int run_driver(int argc, char **argv)
{
	struct driver d = { 0 };
	int ret;

	d.tree.lock_fd = -1;
	d.target.fetch_lock = -1;
	km_ctx_init(&d.ctx, log_to_stderr, NULL);
	for (; argc && argv[0][0] == '-'; argc--, argv++) {
		if (!strcmp(argv[0], "-v"))
			d.ctx.verbose++;
		else if (!strcmp(argv[0], "--keep"))
			d.keep = true;
		else if (!strcmp(argv[0], "-s") && argc > 1)
			d.source = (argc--, *++argv);
	}
	if (argc >= 1 && !strcmp(argv[0], "prepare"))
		ret = cmd_prepare(&d, argc - 1, argv + 1);
	else if (argc >= 1 && !strcmp(argv[0], "build"))
		ret = cmd_build(&d, argc - 1, argv + 1);
	else
		ret = -EINVAL;
	if (ret == -EINVAL && !d.nr_patches && argc < 2)
		fprintf(stderr, "usage: test-ktree [-v] [--keep] [-s SRC] prepare CACHE "
			"[KREL] | build CACHE OUTDIR PATCH...\n");
	driver_release(&d);
	return ret == -KM_EUNPATCHABLE ? 2 : ret ? 1 : 0;
}

/* ---- unit tests on a fake tree ------------------------------------------- */

static bool is_kind(const char *root, const char *name, mode_t kind)
{
	char *path = km_strfmt("%s/%s", root, name);
	struct stat st;
	bool ok = path && lstat(path, &st) == 0 &&
		  (st.st_mode & S_IFMT) == kind;

	free(path);
	return ok;
}

static bool has_text(const char *root, const char *name, const char *text)
{
	char *path = km_strfmt("%s/%s", root, name);
	struct km_buf b = KM_BUF_INIT;
	bool ok = path && km_read_file(path, &b) == 0 && strstr(b.buf, text);

	km_buf_release(&b);
	free(path);
	return ok;
}

static int make_fake_tree(struct suite *s, struct km_tree *tree)
{
	char *cmd;
	int ret;

	memset(tree, 0, sizeof(*tree));
	tree->lock_fd = -1;
	tree->krel = strdup("6.1.0-0-fake");
	tree->src = km_strfmt("%s/tree", s->dir);
	tree->obj = km_strfmt("%s/tree/obj", s->dir);
	cmd = km_strfmt("cmd_x := gcc -o %s/tools/objtool/x.o x.c\n", tree->obj);
	if (!tree->krel || !tree->src || !tree->obj || !cmd) {
		free(cmd);
		return -ENOMEM;
	}
	ret = put_file(tree->src, "Makefile", "all:\n");
	if (!ret)
		ret = put_file(tree->src, "fs/proc/cmdline.c", "int a;\n");
	if (!ret)
		ret = put_file(tree->src, "fs/proc/other.c", "int b;\n");
	if (!ret)
		ret = put_file(tree->src, "include/linux/x.h", "#define X\n");
	if (!ret)
		ret = put_file(tree->obj, ".config", "CONFIG_X=y\n");
	if (!ret)
		ret = put_file(tree->obj, "tools/objtool/.x.o.cmd", cmd);
	free(cmd);
	return ret;
}

static void test_scratch_view(struct suite *s, struct km_ctx *ctx)
{
	const char *const touched[] = { "fs/proc/cmdline.c",
					"fs/new/dir/new.c", NULL };
	const char *const bad[] = { "fs/../../etc/passwd", NULL };
	struct km_scratch scratch;
	struct km_tree tree;
	char *dir;
	int ret;

	ret = make_fake_tree(s, &tree);
	if (!ret)
		ret = km_scratch_create(ctx, &tree, touched, &scratch);
	check(s, ret == 0, "a scratch view of a fake tree");
	if (ret)
		goto out;
	check(s, is_kind(scratch.src, "Makefile", S_IFLNK) &&
	      is_kind(scratch.src, "include", S_IFLNK),
	      "untouched entries are symlinks into the tree");
	check(s, is_kind(scratch.src, "fs", S_IFDIR) &&
	      is_kind(scratch.src, "fs/proc", S_IFDIR) &&
	      is_kind(scratch.src, "fs/proc/other.c", S_IFLNK),
	      "directories on a touched path are real, their siblings links");
	check(s, is_kind(scratch.src, "fs/proc/cmdline.c", S_IFREG) &&
	      has_text(scratch.src, "fs/proc/cmdline.c", "int a;"),
	      "a touched file is a real copy");
	check(s, is_kind(scratch.src, "fs/new/dir", S_IFDIR),
	      "the directory of a new file is created, real");
	check(s, is_kind(scratch.src, "obj", S_IFDIR) &&
	      has_text(scratch.obj, ".config", "CONFIG_X=y"),
	      "the objtree is a real copy");
	check(s, has_text(scratch.obj, "tools/objtool/.x.o.cmd", scratch.obj),
	      "the tools' .cmd files point at the copy");
	dir = strdup(scratch.dir);
	km_scratch_release(ctx, &scratch);
	check(s, dir && !km_is_dir(dir), "release removes the view");
	free(dir);
	km_buf_reset(&s->log);
	ret = km_scratch_create(ctx, &tree, bad, &scratch);
	check(s, ret == -EINVAL && logged(s, "not a path inside"),
	      "a touched path leaving the tree is refused");
out:
	km_tree_release(&tree);
}

/* Whether root/a and other/b are one inode (a hard link). */
static bool same_inode(const char *root, const char *a, const char *other,
		       const char *b)
{
	char *x = km_strfmt("%s/%s", root, a), *y = km_strfmt("%s/%s", other, b);
	struct stat sx, sy;
	bool same = x && y && !lstat(x, &sx) && !lstat(y, &sy) &&
		    sx.st_dev == sy.st_dev && sx.st_ino == sy.st_ino;

	free(x);
	free(y);
	return same;
}

/* CACHE/name: a tree of series 6.1 with its lock (and stamp: prepared). */
static int make_share_tree(const char *cache, const char *name, bool stamp)
{
	char *dir = km_strfmt("%s/%s", cache, name);
	char *tree = dir ? km_strfmt("%s/tree", dir) : NULL;
	int ret = tree ? 0 : -ENOMEM;

	if (!ret)
		ret = put_file(tree, "Makefile", "VERSION = 6\nPATCHLEVEL = 1\n");
	if (!ret)
		ret = put_file(tree, "kernel/same.c", "int same;\n");
	if (!ret)
		ret = put_file(tree, "kernel/other.c", "int other;\n");
	if (!ret)
		ret = put_file(tree, "kernel/own.c", name);
	if (!ret)
		ret = put_file(dir, "lock", "");
	if (!ret && stamp)
		ret = put_file(dir, "stamp", "kmend-cache-format 1\n");
	free(tree);
	free(dir);
	return ret;
}

static void test_share_files(struct suite *s, struct km_ctx *ctx)
{
	char *cache = km_strfmt("%s/share", s->dir);
	char *sib = km_strfmt("%s/share/a/tree", s->dir);
	char *fresh = km_strfmt("%s/share/b/tree", s->dir);
	char *dir = km_strfmt("%s/share/b", s->dir);
	char *outside = km_strfmt("%s/outside", s->dir);
	char *link = km_strfmt("%s/share/a/tree/drivers", s->dir);
	char *lock = km_strfmt("%s/share/a/lock", s->dir);
	int ret = cache && sib && fresh && dir && outside && link && lock ?
		  0 : -ENOMEM, fd;

	if (!ret)
		ret = make_share_tree(cache, "a", true);
	if (!ret)
		ret = make_share_tree(cache, "b", false);
	/* the sibling's drivers/ is a symlink out of its tree */
	if (!ret)
		ret = put_file(outside, "x.c", "int x;\n");
	if (!ret && symlink(outside, link))
		ret = -errno;
	if (!ret)
		ret = put_file(fresh, "drivers/x.c", "int x;\n");
	/* a file of the tree named like sharing's temporary file */
	if (!ret)
		ret = put_file(fresh, "kernel/other.c.kmend-share", "mine\n");
	check(s, ret == 0, "two fake trees of one series");
	if (ret)
		goto out;

	fd = open(lock, O_RDONLY | O_CLOEXEC);
	ret = fd >= 0 && !flock(fd, LOCK_EX) ?
	      km_tree_share_files(ctx, dir, fresh) : -1;
	if (fd >= 0)
		close(fd);
	check(s, ret == 0 && !same_inode(fresh, "kernel/same.c", sib,
					 "kernel/same.c"),
	      "a sibling being prepared (its lock held) is left alone");

	ret = km_tree_share_files(ctx, dir, fresh);
	check(s, ret == 0 && same_inode(fresh, "kernel/same.c", sib,
					"kernel/same.c") &&
	      !same_inode(fresh, "kernel/own.c", sib, "kernel/own.c") &&
	      has_text(fresh, "kernel/own.c", "b"),
	      "a same file is shared with the prepared sibling, no other");
	check(s, has_text(fresh, "kernel/other.c.kmend-share", "mine"),
	      "a file named like sharing's temporary file stays");
	check(s, !same_inode(fresh, "drivers/x.c", outside, "x.c"),
	      "no file is shared through a symlink of the sibling's tree");
out:
	free(cache);
	free(sib);
	free(fresh);
	free(dir);
	free(outside);
	free(link);
	free(lock);
}

static void test_object_names(struct suite *s)
{
	char *a = km_object_of_source("fs/proc/cmdline.c");
	char *b = km_object_of_source("arch/x86/entry/entry_64.S");
	char *c = km_object_of_source("include/linux/sched.h");

	check(s, a && !strcmp(a, "fs/proc/cmdline.o") && b &&
	      !strcmp(b, "arch/x86/entry/entry_64.o") && !c,
	      "objects of .c and .S files, none for a header");
	free(a);
	free(b);
	free(c);
}

static int run_unit_tests(void)
{
	struct suite s;

	if (suite_init(&s, "kmend-test-ktree"))
		return 1;
	test_scratch_view(&s, &s.ctx);
	test_object_names(&s);
	test_share_files(&s, &s.ctx);
	return suite_finish(&s);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return run_driver(argc - 1, argv + 1);
	return run_unit_tests();
}
