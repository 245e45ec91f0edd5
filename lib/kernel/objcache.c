// SPDX-License-Identifier: GPL-2.0
/* The pristine object cache (objcache.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "objcache.h"
#include "ktree.h"
#include "util.h"

static char *entry_path(const struct km_scratch *scratch, const char *object,
			const char *suffix)
{
	const struct km_tree *tree = scratch->tree;

	return km_strfmt("%s/objects/%s/%s%s", tree->cache, tree->id, object,
			 suffix);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
}

static int make_parent(const char *path)
{
	char *dir = dir_of(path);
	int ret = dir ? km_mkdir_p(dir, 0755) : -ENOMEM;

	free(dir);
	return ret;
}

/* Copies src to dst through dst.tmp.PID: dst is whole or absent. */
static int copy_whole(const char *src, const char *dst)
{
	char *tmp = km_strfmt("%s.tmp.%ld", dst, (long)getpid());
	int ret = tmp ? make_parent(dst) : -ENOMEM;

	if (!ret)
		ret = km_copy_file(src, tmp);
	if (!ret && rename(tmp, dst))
		ret = -errno;
	if (ret && tmp)
		unlink(tmp);
	free(tmp);
	return ret;
}

int km_objcache_restore(const struct km_scratch *scratch, const char *object)
{
	char *obj = entry_path(scratch, object, "");
	char *cmd = entry_path(scratch, object, ".cmd");
	char *view_obj = km_scratch_object_path(scratch, object);
	char *view_cmd = km_scratch_cmd_path(scratch, object);
	int ret = 0;

	if (!obj || !cmd || !view_obj || !view_cmd)
		ret = -ENOMEM;
	else if (!km_is_file(obj) || !km_is_file(cmd))
		ret = -ENOENT;
	if (!ret)
		ret = make_parent(view_obj);
	if (!ret)
		ret = km_copy_scratch_file(cmd, view_cmd);
	if (!ret)
		ret = km_copy_scratch_file(obj, view_obj);
	free(obj);
	free(cmd);
	free(view_obj);
	free(view_cmd);
	return ret;
}

int km_objcache_store(const struct km_scratch *scratch, const char *object)
{
	char *obj = entry_path(scratch, object, "");
	char *cmd = entry_path(scratch, object, ".cmd");
	char *view_obj = km_scratch_object_path(scratch, object);
	char *view_cmd = km_scratch_cmd_path(scratch, object);
	int ret = obj && cmd && view_obj && view_cmd ? 0 : -ENOMEM;

	if (!ret)
		ret = copy_whole(view_cmd, cmd);
	if (!ret)
		ret = copy_whole(view_obj, obj);
	free(obj);
	free(cmd);
	free(view_obj);
	free(view_cmd);
	return ret;
}

int km_objcache_get_digest(const struct km_scratch *scratch,
			   const char *object, char *digest)
{
	char *path = entry_path(scratch, object, ".digest");
	struct km_buf text = KM_BUF_INIT;
	int ret = path ? km_read_file(path, &text) : -ENOMEM;

	if (!ret && (!text.buf || !text.len || text.len >= KM_OBJCACHE_DIGEST_MAX))
		ret = -ENOENT;
	if (!ret)
		memcpy(digest, text.buf, text.len + 1);
	km_buf_release(&text);
	free(path);
	return ret;
}

int km_objcache_put_digest(const struct km_scratch *scratch,
			   const char *object, const char *digest)
{
	char *path = entry_path(scratch, object, ".digest");
	int ret = path ? make_parent(path) : -ENOMEM;

	if (!ret)
		ret = km_write_file_atomic(path, digest, strlen(digest));
	free(path);
	return ret;
}
