// SPDX-License-Identifier: GPL-2.0
/* The top-level Makefile's exported environment, kept per tree (kbenv.h). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbenv.h"
#include "ktree.h"
#include "util.h"

#define KBENV_SRC "@KMEND_SRC@"
#define KBENV_MAGIC "kmend-kbuild-env"

/*
 * Set by make or by the recipe's shell for themselves, never for the
 * compile: make hands its own flags down anew, the shell its directory.
 */
static const char *const own_vars[] = {
	"MAKEFLAGS", "MFLAGS", "GNUMAKEFLAGS", "MAKEOVERRIDES", "MAKELEVEL",
	"MAKE_TERMOUT", "MAKE_TERMERR", "MAKE_RESTARTS", "PWD", "OLDPWD",
	"SHLVL", "_",
};

char *km_kbenv_path(const struct km_tree *tree)
{
	if (!tree->id) {
		errno = ENOENT;
		return NULL;
	}
	return km_strfmt("%s/kbuild-env-%d-%s", tree->cache, KM_KBENV_FORMAT,
			 tree->id);
}

/*
 * "$(build-dir)" is "." for single targets in every Kbuild kmend serves
 * (6.1 to 6.12); the eval adds a prerequisite to it, run after prepare
 * and before the descent, in make's exported environment.  An --eval
 * reaches every sub-make, and some of prepare's make "." too: only the
 * top-level Makefile's own make writes the dump.
 */
char *km_kbenv_capture_eval(const char *dump)
{
	if (strpbrk(dump, "'$,\n\\")) {
		errno = EINVAL;
		return NULL;
	}
	return km_strfmt("--eval=.: kmend-kbuild-env\n"
			 "kmend-kbuild-env: ; @$(if $(filter "
			 "$(abs_srctree)/Makefile,$(firstword $(MAKEFILE_LIST)))"
			 ",env -0 > '%s',:)", dump);
}

static bool is_own_var(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(own_vars) / sizeof(own_vars[0]); i++)
		if (strlen(own_vars[i]) == len && !strncmp(own_vars[i], name, len))
			return true;
	return false;
}

/* The value of name in the environment make was run with, or NULL. */
static const char *given_value(char *const *given, const char *name,
			       size_t len)
{
	const char *value = NULL;
	bool decided = false;
	char *copy;

	for (; given && *given; given++) {
		if (strncmp(*given, name, len))
			continue;
		if ((*given)[len] == '=') {
			value = *given + len + 1;
			decided = true;
		} else if (!(*given)[len]) {
			value = NULL;
			decided = true;
		}
	}
	if (decided)
		return value;
	copy = strndup(name, len);
	value = copy ? getenv(copy) : NULL;
	free(copy);
	return value;
}

/* Appends text to b with every path replaced by KBENV_SRC. */
static int add_generalized(struct km_buf *b, const char *text,
			   const char *const *paths)
{
	while (*text) {
		size_t i, skip = 0;

		for (i = 0; paths[i] && !skip; i++)
			if (*paths[i] && km_starts_with(text, paths[i]))
				skip = strlen(paths[i]);
		if (skip) {
			if (km_buf_adds(b, KBENV_SRC))
				return -ENOMEM;
			text += skip;
		} else {
			if (km_buf_add(b, text, 1))
				return -ENOMEM;
			text++;
		}
	}
	return 0;
}

/* The capturing view's own name ("kmend-scratch.XXXXXX"). */
static char *view_name(const char *src)
{
	const char *end = strrchr(src, '/'), *start;

	if (!end || end == src)
		return NULL;
	for (start = end; start > src && start[-1] != '/'; start--)
		;
	return strndup(start, (size_t)(end - start));
}

/* One entry of the dump, kept in out when make set or changed it. */
static int keep_entry(struct km_buf *out, const char *entry,
		      char *const *given, const char *const *paths,
		      const char *name_of_view)
{
	const char *eq = strchr(entry, '=');
	size_t len = eq ? (size_t)(eq - entry) : 0;
	const char *before;
	size_t start = out->len;
	int ret;

	if (!len || is_own_var(entry, len))
		return 0;
	before = given_value(given, entry, len);
	if (before && !strcmp(before, eq + 1))
		return 0;
	ret = add_generalized(out, entry, paths);
	if (!ret && name_of_view && strstr(out->buf + start, name_of_view))
		ret = -EXDEV;
	if (!ret)
		ret = km_buf_add(out, "", 1);
	return ret;
}

/* Names the given environment had that make removed: kept as "NAME". */
static int keep_removed(struct km_buf *out, const struct km_buf *dump,
			char *const *given)
{
	extern char **environ;
	char *const *e;
	int ret = 0;

	for (e = environ; !ret && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
		const char *p;
		bool found = false;

		if (!len || is_own_var(*e, len) || !given_value(given, *e, len))
			continue;
		for (p = dump->buf; p < dump->buf + dump->len;
		     p += strlen(p) + 1)
			if (!strncmp(p, *e, len) && p[len] == '=')
				found = true;
		if (!found) {
			ret = km_buf_add(out, *e, len);
			if (!ret)
				ret = km_buf_add(out, "", 1);
		}
	}
	return ret;
}

int km_kbenv_keep(const struct km_tree *tree, const char *src,
		  const char *dump_path, char *const *given)
{
	struct km_buf dump = KM_BUF_INIT, out = KM_BUF_INIT;
	char *path = km_kbenv_path(tree), *real = realpath(src, NULL);
	char *name_of_view = view_name(src);
	const char *paths[] = { src, real, NULL };
	const char *p;
	int ret;

	if (!path || !name_of_view) {
		ret = -ENOMEM;
		goto out;
	}
	if (real && strlen(real) > strlen(src)) {
		paths[0] = real;	/* the longer first */
		paths[1] = src;
	}
	ret = km_read_file(dump_path, &dump);
	if (!ret && (!dump.buf || !dump.len || dump.buf[dump.len - 1]))
		ret = -EBADMSG;
	if (!ret)
		ret = km_buf_add(&out, KBENV_MAGIC, sizeof(KBENV_MAGIC));
	for (p = dump.buf; !ret && p < dump.buf + dump.len; p += strlen(p) + 1)
		ret = keep_entry(&out, p, given, paths, name_of_view);
	if (!ret)
		ret = keep_removed(&out, &dump, given);
	if (!ret)
		ret = km_write_file_atomic(path, out.buf, out.len);
out:
	km_buf_release(&dump);
	km_buf_release(&out);
	free(path);
	free(real);
	free(name_of_view);
	return ret;
}

/* entry with every KBENV_SRC replaced by src, as a new string. */
static char *specialize(const char *entry, const char *src)
{
	struct km_buf b = KM_BUF_INIT;
	const char *p = entry, *hit;
	int ret = 0;

	while (!ret && (hit = strstr(p, KBENV_SRC))) {
		ret = km_buf_add(&b, p, (size_t)(hit - p));
		if (!ret)
			ret = km_buf_adds(&b, src);
		p = hit + strlen(KBENV_SRC);
	}
	if (!ret)
		ret = km_buf_adds(&b, p);
	if (ret) {
		km_buf_release(&b);
		return NULL;
	}
	return km_buf_detach(&b);
}

void km_kbenv_free(char **env)
{
	km_free_list(env);
}

int km_kbenv_load(const struct km_tree *tree, const char *src,
		  char *const *given, char ***env_out)
{
	struct km_buf text = KM_BUF_INIT;
	char *path = km_kbenv_path(tree), **env = NULL;
	size_t n = 0, i = 0, ngiven = 0;
	const char *p, *end;
	int ret;

	*env_out = NULL;
	if (!path)
		return -errno;
	ret = km_read_file(path, &text);
	free(path);
	if (ret)
		return ret;
	end = text.buf + text.len;
	if (!text.len || text.buf[text.len - 1] ||
	    strcmp(text.buf, KBENV_MAGIC)) {
		km_buf_release(&text);
		return -EBADMSG;
	}
	for (p = text.buf; p < end; p += strlen(p) + 1)
		n++;
	while (given && given[ngiven])
		ngiven++;
	env = calloc(ngiven + n + 1, sizeof(*env));
	ret = env ? 0 : -ENOMEM;
	for (; !ret && i < ngiven; i++)
		if (!(env[i] = strdup(given[i])))
			ret = -ENOMEM;
	for (p = text.buf + sizeof(KBENV_MAGIC); !ret && p < end;
	     p += strlen(p) + 1, i++)
		if (!(env[i] = specialize(p, src)))
			ret = -ENOMEM;
	km_buf_release(&text);
	if (ret) {
		km_free_list(env);
		return ret;
	}
	*env_out = env;
	return 0;
}
