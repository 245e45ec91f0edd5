// SPDX-License-Identifier: GPL-2.0
/* Linking the livepatch module with Kbuild (kblink.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kbenv.h"
#include "kblink.h"
#include "util.h"

#define MOD_MARK "@KMEND_MOD@"
#define NAME_MARK "@KMEND_NAME@"
#define HEADERS_NOTE "headers "
#define CMD_NOTE "cmd "

/* ---- what Kbuild recorded --------------------------------------------- */

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Does the module's name start at p, as a name (kmod_NAME is one too)? */
static bool is_name_at(const char *s, const char *p, const char *name)
{
	size_t n = strlen(name);
	bool starts = p == s || !is_ident(p[-1]) ||
		      (p - s >= 5 && !strncmp(p - 5, "kmod_", 5) &&
		       (p - s == 5 || !is_ident(p[-6])));

	return starts && !strncmp(p, name, n) && !is_ident(p[n]);
}

/* s with the module's name as NAME_MARK, as a new string. */
static char *generalize_name(const char *s, const char *name)
{
	struct km_buf b = KM_BUF_INIT;
	const char *p = s;
	int ret = 0;

	while (!ret && *p) {
		if (is_name_at(s, p, name)) {
			ret = km_buf_adds(&b, NAME_MARK);
			p += strlen(name);
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

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * "cmd .NAME.ko.cmd=COMMAND" for every .cmd file Kbuild wrote in the
 * module's directory (not the patch objects', which kmend writes), the
 * name as NAME_MARK, sorted; NULL-terminated, NULL with errno.
 */
static char **recorded_commands(const struct km_kblink *l)
{
	DIR *d = opendir(l->dir);
	struct dirent *de;
	char **notes = NULL;
	size_t n = 0;
	int err = d ? 0 : errno;

	while (!err && (de = readdir(d))) {
		char *path, *cmd, *note = NULL, *general = NULL;
		void *grown;

		if (de->d_name[0] != '.' || !km_ends_with(de->d_name, ".cmd") ||
		    km_starts_with(de->d_name, ".kmend-patch-"))
			continue;
		path = km_strfmt("%s/%s", l->dir, de->d_name);
		cmd = path ? km_kbenv_recorded_command(path) : NULL;
		if (cmd)
			note = km_strfmt(CMD_NOTE "%s=%s", de->d_name, cmd);
		if (note)
			general = generalize_name(note, l->name);
		grown = general ? realloc(notes, (n + 2) * sizeof(*notes))
				: NULL;
		if (grown) {
			notes = grown;
			notes[n++] = general;
			notes[n] = NULL;
		} else if (cmd || !path) {
			free(general);
			err = ENOMEM;
		}
		free(path);
		free(cmd);
		free(note);
	}
	if (d)
		closedir(d);
	if (!err && !notes)
		notes = calloc(1, sizeof(*notes));
	if (err || !notes) {
		km_free_list(notes);
		errno = err ? err : ENOMEM;
		return NULL;
	}
	qsort(notes, n, sizeof(*notes), by_string);
	return notes;
}

/* ---- the whole way ------------------------------------------------------ */

static char *dump_path(const struct km_kblink *l)
{
	char *copy = strdup(l->dir), *slash = copy ? strrchr(copy, '/') : NULL;
	char *path;

	if (!slash) {
		free(copy);
		return NULL;
	}
	*slash = '\0';
	path = km_strfmt("%s/kbuild-link-env.dump", *copy ? copy : "/");
	free(copy);
	return path;
}

static bool dump_has_extmod(const char *dump, const char *dir)
{
	struct km_buf text = KM_BUF_INIT;
	char *want = km_strfmt("KBUILD_EXTMOD=%s", dir);
	const char *p;
	bool found = false;

	if (want && !km_read_file(dump, &text) && text.buf)
		for (p = text.buf; p < text.buf + text.len; p += strlen(p) + 1)
			if (!strcmp(p, want))
				found = true;
	km_buf_release(&text);
	free(want);
	return found;
}

/* Keeps what the whole way exported and recorded; a cache: errors cost. */
static void keep_env(struct km_ctx *ctx, const struct km_kblink *l,
		     const char *dump)
{
	char *real = realpath(l->dir, NULL);
	/* the build's directory (kmend-build.XXXXXX) must not be kept */
	char *unique = km_kbenv_parent_name(l->dir);
	struct km_kbenv_place places[] = { { l->dir, MOD_MARK },
					   { real, MOD_MARK } };
	char *headers = km_strfmt(HEADERS_NOTE "%s", l->headers);
	char **cmds = recorded_commands(l), **notes = NULL;
	size_t n = 0, i;
	int ret = -ENOMEM;

	while (cmds && cmds[n])
		n++;
	notes = cmds && headers ? calloc(n + 2, sizeof(*notes)) : NULL;
	if (notes && unique) {
		notes[0] = headers;
		for (i = 0; i < n; i++)
			notes[i + 1] = cmds[i];
		ret = dump_has_extmod(dump, l->dir) ? 0 : -ENODATA;
	}
	if (!ret)
		ret = km_kbenv_write(l->env, dump, km_kbuild_env(), places, 2,
				     unique, (const char *const *)notes);
	if (ret)
		km_debug(ctx, "cannot keep Kbuild's environment for linking in "
			 "'%s': %s", l->env, strerror(-ret));
	free(notes);
	km_free_list(cmds);
	free(headers);
	free(real);
	free(unique);
}

static int link_whole_way(struct km_ctx *ctx, const struct km_kblink *l,
			  struct km_buf *out)
{
	char *mdir = km_strfmt("M=%s", l->dir);
	char *dump = l->env ? dump_path(l) : NULL;
	char *capture[3] = { NULL };
	char *argv[10] = { "make", "-C", (char *)l->headers, mdir,
			   "KBUILD_MODPOST_WARN=1" };
	size_t i = 5, t;
	int ret = mdir ? 0 : -ENOMEM;

	/* "modules" is made by the top-level Makefile only */
	if (!ret && dump)
		ret = km_kbenv_capture_args("modules", dump, capture);
	if (ret == -EINVAL)
		ret = 0;	/* a path the evals cannot quote: no capture */
	if (ret)
		goto out;
	for (t = 0; capture[0] && t < 3; t++)
		argv[i++] = capture[t];
	argv[i++] = "modules";
	argv[i] = NULL;
	if (dump)
		unlink(dump);
	ret = km_run(ctx, NULL, argv, km_kbuild_env(), out);
	if (!ret && capture[0] && km_is_file(dump))
		keep_env(ctx, l, dump);
out:
	if (dump)
		unlink(dump);
	free(mdir);
	free(dump);
	km_kbenv_free_args(capture);
	return ret;
}

/* ---- direct ------------------------------------------------------------- */

/* The value of name in env (the last one wins, as for putenv()), or NULL. */
static const char *env_value(char *const *env, const char *name)
{
	size_t n = strlen(name);
	const char *value = NULL;

	for (; *env; env++)
		if (!strncmp(*env, name, n) && (*env)[n] == '=')
			value = *env + n + 1;
	return value;
}

/*
 * The kept environment, split into what make gets (env) and the notes
 * (sorted commands, "cmd ..."); 0, or -ENOENT when there is none to use.
 */
static int load_env(const struct km_kblink *l, char ***env, char ***cmds)
{
	const struct km_kbenv_place place = { l->dir, MOD_MARK };
	char **all = NULL, **e = NULL, **c = NULL;
	size_t n = 0, ne = 0, nc = 0, i;
	bool headers_match = false;
	int ret = km_kbenv_read(l->env, km_kbuild_env(), &place, 1, &all);

	if (ret)
		return ret == -ENOMEM ? ret : -ENOENT;
	while (all[n])
		n++;
	e = calloc(n + 1, sizeof(*e));
	c = calloc(n + 1, sizeof(*c));
	if (!e || !c) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if (all[i][0] != '#') {
			e[ne++] = all[i];
		} else if (km_starts_with(all[i] + 1, CMD_NOTE)) {
			c[nc] = strdup(all[i] + 1);
			if (!c[nc++]) {
				ret = -ENOMEM;
				goto fail;
			}
			free(all[i]);
		} else {
			if (km_starts_with(all[i] + 1, HEADERS_NOTE) &&
			    !strcmp(all[i] + 1 + strlen(HEADERS_NOTE), l->headers))
				headers_match = true;
			free(all[i]);
		}
		all[i] = NULL;
	}
	free(all);
	all = NULL;
	if (!headers_match || !nc || !env_value(e, "srctree")) {
		ret = -ENOENT;
		goto fail;
	}
	qsort(c, nc, sizeof(*c), by_string);
	*env = e;
	*cmds = c;
	return 0;
fail:
	km_free_list(all);
	km_free_list(e);
	km_free_list(c);
	return ret;
}

/* One of the top-level Makefile's makes for external modules. */
static int run_direct_make(struct km_ctx *ctx, const struct km_kblink *l,
			   char **env, const char *makefile, bool build,
			   struct km_buf *out)
{
	const char *srctree = env_value(env, "srctree");
	const char *abs_src = env_value(env, "abs_srctree");
	const char *abs_obj = env_value(env, "abs_objtree");
	char *file = km_strfmt("%s/scripts/%s", srctree, makefile);
	char *mdir = km_strfmt("M=%s", l->dir);
	char *obj = km_strfmt("obj=%s", l->dir);
	char *incdir = abs_src ? km_strfmt("--include-dir=%s", abs_src) : NULL;
	char *argv[16];
	size_t i = 0;
	int ret = -ENOMEM;

	if (!file || !mdir || !obj || (abs_src && !incdir))
		goto out;
	argv[i++] = "make";
	argv[i++] = "-rR";
	argv[i++] = "--no-print-directory";
	if (incdir && (!abs_obj || strcmp(abs_src, abs_obj)))
		argv[i++] = incdir;
	argv[i++] = "-f";
	argv[i++] = file;
	if (build) {
		argv[i++] = obj;
		argv[i++] = "need-builtin=1";
		argv[i++] = "need-modorder=1";
	}
	argv[i++] = mdir;
	argv[i++] = "KBUILD_MODPOST_WARN=1";
	argv[i] = NULL;
	ret = km_run(ctx, l->headers, argv, env, out);
out:
	free(file);
	free(mdir);
	free(obj);
	free(incdir);
	return ret;
}

static bool same_lists(char **a, char **b)
{
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b))
			return false;
	return !*a && !*b;
}

/* 0: linked, as the whole way would; else why not (logged). */
static int link_direct(struct km_ctx *ctx, const struct km_kblink *l,
		       char **env, char **want, struct km_buf *out)
{
	static const char *const makefiles[] = { "Makefile.build",
		"Makefile.modpost", "Makefile.modfinal" };
	char **have;
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < 3; i++)
		ret = run_direct_make(ctx, l, env, makefiles[i], i == 0, out);
	if (ret) {
		km_debug(ctx, "linking without the top-level Makefile failed "
			 "(%d): %s", ret, out->buf ? out->buf : "");
		return ret < 0 ? ret : -EIO;
	}
	have = recorded_commands(l);
	if (!have)
		return -errno;
	if (!same_lists(have, want)) {
		for (i = 0; have[i] || want[i]; i++) {
			if (have[i] && want[i] && !strcmp(have[i], want[i]))
				continue;
			km_debug(ctx, "Kbuild linked otherwise than the top-level "
				 "Makefile did: now %s, then %s",
				 have[i] ? have[i] : "(none)",
				 want[i] ? want[i] : "(none)");
			break;
		}
		ret = -ESTALE;
	}
	km_free_list(have);
	return ret;
}

/* What Kbuild wrote in the module's directory: Kbuild and sources stay. */
static void remove_outputs(const struct km_kblink *l)
{
	DIR *d = opendir(l->dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		const char *n = de->d_name;
		char *path;

		if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "Kbuild") ||
		    km_ends_with(n, ".c") || km_starts_with(n, "kmend-patch-") ||
		    km_starts_with(n, ".kmend-patch-"))
			continue;
		path = km_strfmt("%s/%s", l->dir, n);
		if (path)
			unlink(path);
		free(path);
	}
	if (d)
		closedir(d);
}

int km_kblink_run(struct km_ctx *ctx, const struct km_kblink *l,
		  struct km_buf *out)
{
	char **env = NULL, **want = NULL;
	int ret = l->env ? load_env(l, &env, &want) : -ENOENT;

	if (ret == -ENOMEM)
		return ret;
	if (!ret) {
		ret = link_direct(ctx, l, env, want, out);
		km_free_list(env);
		km_free_list(want);
		if (!ret)
			return 0;
		km_debug(ctx, "linking the whole way again, and keeping what it "
			 "does anew in '%s'", l->env);
		unlink(l->env);
		remove_outputs(l);
		km_buf_reset(out);
	}
	return link_whole_way(ctx, l, out);
}
