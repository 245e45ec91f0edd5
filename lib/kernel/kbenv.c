// SPDX-License-Identifier: GPL-2.0
/* The top-level Makefile's exported environment, kept per tree (kbenv.h). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

char *km_kbenv_recorded_command(const char *path)
{
	struct km_buf text = KM_BUF_INIT;
	const char *line;
	char *cmd = NULL;

	if (km_read_file(path, &text) || !text.buf)
		goto out;
	for (line = text.buf; line && *line;) {
		const char *end = strchr(line, '\n'), *sep;
		size_t len = end ? (size_t)(end - line) : strlen(line);

		sep = memmem(line, len, " := ", 4);
		if (sep && (km_starts_with(line, "cmd_") ||
			    km_starts_with(line, "savedcmd_"))) {
			sep += 4;
			while (*sep == ' ')
				sep++;
			cmd = strndup(sep, len - (size_t)(sep - line));
			break;
		}
		line = end ? end + 1 : NULL;
	}
out:
	km_buf_release(&text);
	return cmd;
}

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
 * Three --evals, each one word: GNU make hands an --eval down to every
 * sub-make in MAKEFLAGS, and Kbuild reads MAKEFLAGS's words split at
 * blanks, escaped or not (scripts/Makefile.modpost adds -n when a word not
 * starting with "--" holds an "i"): so no blank, and the dump is written
 * by a script next to it.  Its "-" lets a script that cannot run (a
 * noexec $TMPDIR) cost the capture only.  No guard either: the target is
 * one only the top-level Makefile makes, and in any case after prepare,
 * the last to write.  An --eval is read before any makefile, so its first
 * rule would become the default goal of the sub-makes run without one
 * (prepare's scripts/Makefile.build): the helper's name starts with a
 * period, which no default goal does, and .DEFAULT_GOAL is cleared for the
 * makefile's own first rule.  A make that only hands its goals on to the
 * top-level Makefile's final make (6.12 with M=) makes the target too,
 * after that one: the script writes only in the final make, the one that
 * exports srctree.
 */
int km_kbenv_capture_args(const char *target, const char *dump, char **args)
{
	char *script, *text;
	int ret;

	args[0] = args[1] = args[2] = NULL;
	if (strpbrk(dump, "'$\n\\ \t;#%:="))
		return -EINVAL;
	script = km_strfmt("%s.sh", dump);
	/* the make that read the whole top-level Makefile exports srctree;
	 * the one that only passes its goals on to it (6.12) does not */
	text = km_strfmt("#!/bin/sh\n[ -n \"$srctree\" ] || exit 0\n"
			 "exec env -0 >'%s'\n", dump);
	ret = script && text ? km_write_scratch_file(script, text, strlen(text))
			     : -ENOMEM;
	if (!ret && chmod(script, 0755))
		ret = -errno;
	if (!ret) {
		args[0] = km_strfmt("--eval=%s:.kmend-kbuild-env", target);
		args[1] = km_strfmt("--eval=.kmend-kbuild-env:;@-%s", script);
		args[2] = strdup("--eval=.DEFAULT_GOAL:=");
		if (!args[0] || !args[1] || !args[2])
			ret = -ENOMEM;
	}
	if (ret)
		km_kbenv_free_args(args);
	free(script);
	free(text);
	return ret == -ENOMEM ? ret : ret ? -EINVAL : 0;
}

void km_kbenv_free_args(char **args)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		free(args[i]);
		args[i] = NULL;
	}
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

/* Appends text to b with every place's path replaced by its mark. */
static int add_generalized(struct km_buf *b, const char *text,
			   const struct km_kbenv_place *places, size_t n)
{
	while (*text) {
		const struct km_kbenv_place *hit = NULL;
		size_t i;

		for (i = 0; i < n; i++)	/* the longest that matches */
			if (places[i].path && *places[i].path &&
			    km_starts_with(text, places[i].path) &&
			    (!hit || strlen(places[i].path) > strlen(hit->path)))
				hit = &places[i];
		if (hit) {
			if (km_buf_adds(b, hit->mark))
				return -ENOMEM;
			text += strlen(hit->path);
		} else {
			if (km_buf_add(b, text, 1))
				return -ENOMEM;
			text++;
		}
	}
	return 0;
}

char *km_kbenv_parent_name(const char *path)
{
	const char *end = strrchr(path, '/'), *start;

	if (!end || end == path)
		return NULL;
	for (start = end; start > path && start[-1] != '/'; start--)
		;
	return strndup(start, (size_t)(end - start));
}

/* One entry of the dump, kept in out when make set or changed it. */
static int keep_entry(struct km_buf *out, const char *entry,
		      char *const *given, const struct km_kbenv_place *places,
		      size_t n, const char *unique)
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
	ret = add_generalized(out, entry, places, n);
	if (!ret && unique && strstr(out->buf + start, unique))
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

int km_kbenv_write(const char *file, const char *dump, char *const *given,
		   const struct km_kbenv_place *places, size_t n,
		   const char *unique, const char *const *notes)
{
	struct km_buf text = KM_BUF_INIT, out = KM_BUF_INIT;
	const char *p;
	int ret;

	ret = km_read_file(dump, &text);
	if (!ret && (!text.buf || !text.len || text.buf[text.len - 1]))
		ret = -EBADMSG;
	if (!ret)
		ret = km_buf_add(&out, KBENV_MAGIC, sizeof(KBENV_MAGIC));
	for (p = text.buf; !ret && p < text.buf + text.len; p += strlen(p) + 1)
		ret = keep_entry(&out, p, given, places, n, unique);
	if (!ret)
		ret = keep_removed(&out, &text, given);
	for (; !ret && notes && *notes; notes++) {
		size_t start = out.len;

		ret = km_buf_add(&out, "#", 1);
		if (!ret)
			ret = add_generalized(&out, *notes, places, n);
		if (!ret && unique && strstr(out.buf + start, unique))
			ret = -EXDEV;
		if (!ret)
			ret = km_buf_add(&out, "", 1);
	}
	if (!ret)
		ret = km_write_file_atomic(file, out.buf, out.len);
	km_buf_release(&text);
	km_buf_release(&out);
	return ret;
}

int km_kbenv_keep(const struct km_tree *tree, const char *src,
		  const char *dump_path, char *const *given)
{
	char *path = km_kbenv_path(tree), *real = realpath(src, NULL);
	char *name_of_view = km_kbenv_parent_name(src);
	struct km_kbenv_place places[] = { { src, KBENV_SRC },
					   { real, KBENV_SRC } };
	int ret;

	ret = path && name_of_view ? 0 : -ENOMEM;
	if (!ret)
		ret = km_kbenv_write(path, dump_path, given, places, 2,
				     name_of_view, NULL);
	free(path);
	free(real);
	free(name_of_view);
	return ret;
}

/* entry with every place's mark replaced by its path, as a new string. */
static char *specialize(const char *entry, const struct km_kbenv_place *places,
			size_t n)
{
	struct km_buf b = KM_BUF_INIT;
	const char *p = entry;
	int ret = 0;

	while (!ret && *p) {
		const struct km_kbenv_place *hit = NULL;
		size_t i;

		for (i = 0; i < n && !hit; i++)
			if (km_starts_with(p, places[i].mark))
				hit = &places[i];
		if (hit) {
			ret = km_buf_adds(&b, hit->path);
			p += strlen(hit->mark);
		} else {
			ret = km_buf_add(&b, p, 1);
			p++;
		}
	}
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

int km_kbenv_read(const char *file, char *const *given,
		  const struct km_kbenv_place *places, size_t nplaces,
		  char ***env_out)
{
	struct km_buf text = KM_BUF_INIT;
	char **env = NULL;
	size_t n = 0, i = 0, ngiven = 0;
	const char *p, *end;
	int ret;

	*env_out = NULL;
	ret = km_read_file(file, &text);
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
		if (!(env[i] = specialize(p, places, nplaces)))
			ret = -ENOMEM;
	km_buf_release(&text);
	if (ret) {
		km_free_list(env);
		return ret;
	}
	*env_out = env;
	return 0;
}

int km_kbenv_load(const struct km_tree *tree, const char *src,
		  char *const *given, char ***env)
{
	const struct km_kbenv_place place = { src, KBENV_SRC };
	char *path = km_kbenv_path(tree);
	int ret;

	*env = NULL;
	if (!path)
		return -errno;
	ret = km_kbenv_read(path, given, &place, 1, env);
	free(path);
	return ret;
}
