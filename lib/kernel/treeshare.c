// SPDX-License-Identifier: GPL-2.0
/*
 * Kernels of one series (6.1.0-54, 6.1.0-55, 6.1.0-56 ...) have nearly the
 * same source: a new tree shares each file that is byte for byte the same
 * in an already prepared sibling tree, as a hard link.  Prepared trees are
 * never written (docs/cache.md), so a shared inode is never changed under
 * either tree.  Sharing happens before the new tree is prepared, and a
 * sibling's file dated in the future is not shared, so Kbuild sees no
 * source newer than what it prepared, in either tree.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "treeshare.h"
#include "util.h"

/* The walk of nftw() has no user pointer: one share at a time. */
static struct share_walk {
	const char *src;	/* the new tree */
	size_t src_len;
	const char *sibling;	/* the sibling's tree */
	time_t now;		/* files dated later are not shared */
	unsigned long files;
	unsigned long long bytes;
	int err;
} walk;

static bool same_bytes(int a, int b)
{
	static char ba[1 << 16], bb[1 << 16];
	ssize_t na, nb;

	for (;;) {
		na = read(a, ba, sizeof(ba));
		if (na < 0)
			return false;
		nb = read(b, bb, (size_t)na ? (size_t)na : 1);
		if (nb != na)
			return false;
		if (na == 0)
			return true;
		if (memcmp(ba, bb, (size_t)na))
			return false;
	}
}

static bool same_file(const char *a, const char *b)
{
	int fa = open(a, O_RDONLY | O_CLOEXEC);
	int fb = fa < 0 ? -1 : open(b, O_RDONLY | O_CLOEXEC);
	bool same = fa >= 0 && fb >= 0 && same_bytes(fa, fb);

	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

/* Replaces path by a hard link to other, atomically. */
static int link_over(const char *other, const char *path)
{
	char *tmp = km_strfmt("%s.kmend-share", path);
	int ret = 0;

	if (!tmp)
		return -ENOMEM;
	if (link(other, tmp))
		ret = -errno;	/* tmp may be a file of the tree: leave it */
	else if (rename(tmp, path)) {
		ret = -errno;
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

/*
 * Whether the sibling has a real directory at rel: sharing goes only
 * through those, as a symlink there may lead out of its tree, to files
 * nobody keeps unwritten.  -ENOMEM when out of memory.
 */
static int twin_is_dir(const char *rel)
{
	char *twin = km_strfmt("%s%s", walk.sibling, rel);
	struct stat st;
	int real;

	if (!twin)
		return -ENOMEM;
	real = !lstat(twin, &st) && S_ISDIR(st.st_mode);
	free(twin);
	return real;
}

static int share_one(const char *path, const struct stat *st, int type,
		     struct FTW *ftw)
{
	const char *rel = path + walk.src_len;
	struct stat other;
	char *twin;
	int dir;

	(void)ftw;
	if (!strcmp(rel, "/obj"))
		return FTW_SKIP_SUBTREE;	/* Kbuild's output: the tree's own */
	if (type == FTW_D) {
		dir = twin_is_dir(rel);
		if (dir >= 0)
			return dir ? FTW_CONTINUE : FTW_SKIP_SUBTREE;
		walk.err = dir;
		return FTW_STOP;
	}
	if (type != FTW_F || !S_ISREG(st->st_mode) || st->st_nlink != 1 ||
	    !st->st_size)
		return FTW_CONTINUE;
	twin = km_strfmt("%s%s", walk.sibling, rel);
	if (!twin) {
		walk.err = -ENOMEM;
		return FTW_STOP;
	}
	if (!lstat(twin, &other) && S_ISREG(other.st_mode) &&
	    other.st_size == st->st_size && other.st_dev == st->st_dev &&
	    (other.st_mode & 07777) == (st->st_mode & 07777) &&
	    other.st_mtim.tv_sec <= walk.now &&
	    same_file(path, twin) && !link_over(twin, path)) {
		walk.files++;
		walk.bytes += (unsigned long long)st->st_size;
	}
	free(twin);
	return FTW_CONTINUE;
}

/* The first line of the top Makefile that starts with key, or NULL. */
static char *makefile_line(const char *tree, const char *key)
{
	char *path = km_strfmt("%s/Makefile", tree), *line = NULL, *found = NULL;
	size_t cap = 0;
	FILE *f = path ? fopen(path, "re") : NULL;

	while (f && !found && getline(&line, &cap, f) > 0)
		if (km_starts_with(line, key))
			found = strdup(line);
	if (f)
		fclose(f);
	free(line);
	free(path);
	return found;
}

/* Both trees are of one series: the same VERSION and PATCHLEVEL. */
static bool same_series(const char *a, const char *b)
{
	static const char *const keys[] = { "VERSION =", "PATCHLEVEL =" };
	bool same = true;
	size_t i;

	for (i = 0; same && i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *x = makefile_line(a, keys[i]), *y = makefile_line(b, keys[i]);

		same = x && y && !strcmp(x, y);
		free(x);
		free(y);
	}
	return same;
}

/*
 * Shares with the tree of the sibling cache directory sib, if it is a
 * prepared tree of the same series that nobody is preparing now (its lock
 * is held shared meanwhile).
 */
static int share_with(struct km_ctx *ctx, const char *src, const char *sib)
{
	char *lock = km_strfmt("%s/lock", sib), *stamp = km_strfmt("%s/stamp", sib);
	char *tree = km_strfmt("%s/tree", sib);
	int fd = -1, ret = 0;
	struct stat st;
	double start;

	if (!lock || !stamp || !tree) {
		ret = -ENOMEM;
		goto out;
	}
	fd = open(lock, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_SH | LOCK_NB) || stat(stamp, &st) ||
	    !km_is_dir(tree) || !same_series(src, tree))
		goto out;
	start = km_now();
	walk = (struct share_walk){ .src = src, .src_len = strlen(src),
				    .sibling = tree, .now = time(NULL) };
	if (nftw(src, share_one, 64, FTW_PHYS | FTW_ACTIONRETVAL) < 0 &&
	    !walk.err)
		walk.err = -errno;
	ret = walk.err;
	if (walk.files)
		km_info(ctx, "sharing %lu files (%llu MB) with %s ... %.1f s",
			walk.files, walk.bytes >> 20, tree, km_now() - start);
out:
	if (fd >= 0)
		close(fd);
	free(lock);
	free(stamp);
	free(tree);
	return ret;
}

int km_tree_share_files(struct km_ctx *ctx, const char *cache, const char *src)
{
	char *root = strdup(cache), *slash;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (!root)
		return -ENOMEM;
	slash = strrchr(root, '/');
	if (slash)
		*slash = '\0';
	d = slash ? opendir(root) : NULL;
	while (d && !ret && (de = readdir(d))) {
		char *sib;

		if (de->d_name[0] == '.')
			continue;
		sib = km_strfmt("%s/%s", root, de->d_name);
		if (!sib) {
			ret = -ENOMEM;
			break;
		}
		if (strcmp(sib, cache))
			ret = share_with(ctx, src, sib);
		free(sib);
	}
	if (d)
		closedir(d);
	free(root);
	return ret;
}
