// SPDX-License-Identifier: GPL-2.0
/*
 * Which objects Kbuild builds from a source file, asked of Kbuild itself.
 *
 * Kbuild compiles any file of a directory it enters when asked to, listed
 * or not, so compiling a file says nothing about whether the kernel holds
 * it.  What does: its object listed in its directory's Makefile (as Kbuild
 * reads it, with this configuration), and that directory entered by an
 * ancestor's Makefile, up to the top-level Kbuild, which enters the arch
 * Makefile's core-y, libs-y and drivers-y (arch/x86/pci/ is one).  A file
 * that is no object may be #included by one of its directory (the
 * scheduler's build_policy.c and build_utility.c include most of
 * kernel/sched/): its objects are those of its includers.
 *
 * Three answers, never two: built, off (named only under an option this
 * configuration leaves out) and unknown (named nowhere Kbuild looks, so
 * kmend cannot tell, and says so).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbuild.h"
#include "ktree.h"
#include "util.h"

/* How deep #include "x.c" chains are followed (a.c includes b.c ...). */
#define KM_INCLUDE_DEPTH 3

/*
 * Kbuild's own reading of a directory's Makefile: which objects it builds
 * (into the kernel or as modules), into which subdirectories it descends,
 * and what it names under options this configuration leaves out (obj-
 * after $(CONFIG_X) expanded to nothing, and the parts of composite
 * objects).  The top-level directory takes the arch Makefile's additions
 * as ARCH_CORE, ARCH_LIB and ARCH_DRIVERS on the command line.
 */
static const char query_makefile[] =
	"# written by kmend: lists what Kbuild builds in $(obj)\n"
	"src := $(obj)\n"
	"obj-y :=\nobj-m :=\nobj- :=\nobj-n :=\n"
	"lib-y :=\nlib-m :=\nlib- :=\nlib-n :=\n"
	"subdir-y :=\nsubdir-m :=\n"
	"-include include/config/auto.conf\n"
	"include $(srctree)/scripts/Kbuild.include\n"
	"-include $(srctree)/scripts/Makefile.compiler\n"
	"kbuild-dir := $(srctree)/$(src)\n"
	"include $(or $(wildcard $(kbuild-dir)/Kbuild),$(kbuild-dir)/Makefile)\n"
	"kmend-parts = $(foreach m,$(filter %.o,$(1)),"
	"$(foreach s,$(2),$($(m:.o=$(s)))))\n"
	"kmend-off := $(obj-) $(obj-n) $(lib-) $(lib-n) "
	"$(call kmend-parts,$(obj-) $(obj-n),-objs -y -m -) "
	"$(call kmend-parts,$(obj-y) $(obj-m),-)\n"
	"kmend-prefix = $(if $(filter .,$(obj)),$(1),$(addprefix $(obj)/,$(1)))\n"
	"include $(srctree)/scripts/Makefile.lib\n"
	"kmend-query:\n"
	"\t@echo 'built: $(real-obj-y) $(real-obj-m) $(lib-y) $(lib-m)'\n"
	"\t@echo 'modules: $(real-obj-m)'\n"
	"\t@echo 'subdirs: $(subdir-ym)'\n"
	"\t@echo 'off: $(call kmend-prefix,$(patsubst %/,%,$(kmend-off)))'\n";

/* The arch Makefile's additions, as the top-level Makefile exports them. */
static const char arch_query_rule[] =
	"--eval=kmend-arch-dirs: ; @printf '%s\\n' "
	"'ARCH_CORE=$(ARCH_CORE)' 'ARCH_LIB=$(ARCH_LIB)' "
	"'ARCH_DRIVERS=$(ARCH_DRIVERS)'";

static const char *const arch_vars[] = { "ARCH_CORE=", "ARCH_LIB=",
					 "ARCH_DRIVERS=" };
#define NR_ARCH_VARS (sizeof(arch_vars) / sizeof(arch_vars[0]))

struct dir_answer {
	char *dir;
	char *out;		/* the query's output; NULL: Kbuild failed */
};

struct km_kbuild {
	char *query;		/* DIR/kmend-query.mk */
	struct dir_answer *dirs;
	size_t nr_dirs;
	bool arch_asked;
	char *arch[NR_ARCH_VARS];	/* "ARCH_CORE=..."; NULL when not known */
};

struct km_kbuild *km_kbuild_new(const char *dir)
{
	struct km_kbuild *kb = calloc(1, sizeof(*kb));
	int ret;

	if (!kb)
		return NULL;
	kb->query = km_strfmt("%s/kmend-query.mk", dir);
	ret = kb->query ? km_write_scratch_file(kb->query, query_makefile,
					       sizeof(query_makefile) - 1)
			: -ENOMEM;
	if (ret) {
		km_kbuild_free(kb);
		errno = -ret;
		return NULL;
	}
	return kb;
}

void km_kbuild_free(struct km_kbuild *kb)
{
	size_t i;

	if (!kb)
		return;
	for (i = 0; i < kb->nr_dirs; i++) {
		free(kb->dirs[i].dir);
		free(kb->dirs[i].out);
	}
	for (i = 0; i < NR_ARCH_VARS; i++)
		free(kb->arch[i]);
	free(kb->dirs);
	free(kb->query);
	free(kb);
}

/* ---- asking Kbuild ------------------------------------------------------ */

/* The value of the line "key..." of out, as a new string; NULL if none. */
static char *line_value(const char *out, const char *key)
{
	size_t klen = strlen(key);
	const char *line = out;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len >= klen && !strncmp(line, key, klen))
			return strndup(line + klen, len - klen);
		line = end ? end + 1 : NULL;
	}
	return NULL;
}

/* Whether the line "key..." of a query's output lists word. */
static bool query_lists(const char *out, const char *key, const char *word)
{
	char *value = line_value(out, key);
	bool found = value && km_has_word(value, word);

	free(value);
	return found;
}

/*
 * CACHE/KREL/arch-ID: the answer of the top-level Makefile for the tree
 * of ID, which no fix changes (Makefile changes are refused): asking it
 * costs a full evaluation of the top-level Makefile, some 30 compiler runs.
 */
static char *arch_answer_path(const struct km_scratch *scratch)
{
	const struct km_tree *tree = scratch->tree;

	return tree->id ? km_strfmt("%s/arch-%s", tree->cache, tree->id) : NULL;
}

static int ask_arch_make(struct km_ctx *ctx, const struct km_scratch *scratch,
			 struct km_buf *out)
{
	char *argv[] = { "make", "-s", "-C", scratch->src, "O=obj", "ARCH=x86",
			 (char *)arch_query_rule, "kmend-arch-dirs", NULL };
	int ret = km_run(ctx, NULL, argv, km_kbuild_env(), out);

	return ret || out->buf ? ret : -EIO;
}

static bool has_arch_answer(const struct km_kbuild *kb)
{
	size_t i;

	for (i = 0; i < NR_ARCH_VARS; i++)
		if (!kb->arch[i])
			return false;
	return true;
}

/* A cache: a failure to write it only costs the next build the make. */
static void keep_arch_answer(struct km_ctx *ctx,
			     const struct km_scratch *scratch,
			     const struct km_kbuild *kb)
{
	struct km_buf b = KM_BUF_INIT;
	char *path = arch_answer_path(scratch);
	size_t i;
	int ret = path ? 0 : -ENOMEM;

	for (i = 0; !ret && i < NR_ARCH_VARS; i++)
		ret = km_buf_addf(&b, "%s\n", kb->arch[i]);
	if (!ret)
		ret = km_write_file_atomic(path, b.buf, b.len);
	if (ret)
		km_debug(ctx, "cannot keep the arch answer in '%s'", path);
	km_buf_release(&b);
	free(path);
}

/* Fills kb->arch from a query's output; whether all of it was there. */
static bool parse_arch_answer(struct km_kbuild *kb, const char *out)
{
	size_t i;

	for (i = 0; i < NR_ARCH_VARS; i++) {
		char *value = line_value(out, arch_vars[i]);

		free(kb->arch[i]);
		kb->arch[i] = value ? km_strfmt("%s%s", arch_vars[i], value)
				    : NULL;
		free(value);
	}
	return has_arch_answer(kb);
}

static void ask_arch(struct km_ctx *ctx, const struct km_scratch *scratch,
		     struct km_kbuild *kb)
{
	struct km_buf out = KM_BUF_INIT;
	char *cached = arch_answer_path(scratch);
	int ret;

	kb->arch_asked = true;
	if (cached && !km_read_file(cached, &out) && out.buf &&
	    parse_arch_answer(kb, out.buf)) {
		free(cached);
		km_buf_release(&out);
		return;
	}
	free(cached);
	km_buf_reset(&out);
	ret = ask_arch_make(ctx, scratch, &out);
	if (ret || !parse_arch_answer(kb, out.buf))
		km_debug(ctx, "cannot ask the top-level Makefile for the arch "
			 "directories: %s", out.buf ? out.buf : "");
	else
		keep_arch_answer(ctx, scratch, kb);
	km_buf_release(&out);
}

static const struct dir_answer *find_answer(const struct km_kbuild *kb,
					    const char *dir)
{
	size_t i;

	for (i = 0; i < kb->nr_dirs; i++)
		if (!strcmp(kb->dirs[i].dir, dir))
			return &kb->dirs[i];
	return NULL;
}

/* Runs the query makefile for dir; its output, or NULL when it failed. */
static char *run_query(struct km_ctx *ctx, const struct km_scratch *scratch,
		       const char *dir)
{
	struct km_kbuild *kb = scratch->kbuild;
	char *obj_arg = km_strfmt("obj=%s", dir);
	char *argv[16] = { "make", "-s", "-C", scratch->obj, "-f", kb->query,
			   obj_arg, "srctree=..", "ARCH=x86", "SRCARCH=x86",
			   "BITS=64" };
	struct km_buf out = KM_BUF_INIT;
	size_t i, n = 11;
	char *answer = NULL;

	if (!obj_arg)
		return NULL;
	if (!strcmp(dir, ".")) {
		if (!kb->arch_asked)
			ask_arch(ctx, scratch, kb);
		for (i = 0; i < NR_ARCH_VARS; i++)
			if (kb->arch[i])
				argv[n++] = kb->arch[i];
	}
	argv[n++] = "kmend-query";
	argv[n] = NULL;
	if (km_run(ctx, NULL, argv, km_kbuild_env(), &out) == 0 && out.buf)
		answer = km_buf_detach(&out);
	else
		km_debug(ctx, "cannot ask Kbuild what %s builds: %s", dir,
			 out.buf ? out.buf : "");
	km_buf_release(&out);
	free(obj_arg);
	return answer;
}

/* Kbuild's query output for dir (asked once); NULL when it failed. */
static const char *ask_dir(struct km_ctx *ctx, const struct km_scratch *scratch,
			   const char *dir)
{
	struct km_kbuild *kb = scratch->kbuild;
	const struct dir_answer *known = find_answer(kb, dir);
	struct dir_answer *a;
	void *grown;

	if (known)
		return known->out;
	grown = realloc(kb->dirs, (kb->nr_dirs + 1) * sizeof(*kb->dirs));
	if (!grown)
		return NULL;
	kb->dirs = grown;
	a = &kb->dirs[kb->nr_dirs];
	a->dir = strdup(dir);
	if (!a->dir)
		return NULL;
	a->out = run_query(ctx, scratch, dir);
	kb->nr_dirs++;
	return a->out;
}

/* "dir/Kbuild" or "dir/Makefile", whichever Kbuild reads; NULL if none. */
static char *makefile_of(const struct km_scratch *scratch, const char *dir)
{
	static const char *const names[] = { "Kbuild", "Makefile" };
	size_t i;

	for (i = 0; i < 2; i++) {
		char *rel = strcmp(dir, ".") ? km_strfmt("%s/%s", dir, names[i])
					     : strdup(names[i]);
		char *full = rel ? km_strfmt("%s/%s", scratch->src, rel) : NULL;
		bool exists = full && km_is_file(full);

		free(full);
		if (exists)
			return rel;
		free(rel);
	}
	return NULL;
}

/* "kernel/sched" -> "kernel", "kernel" -> "."; NULL for ".". */
static char *parent_dir(const char *dir)
{
	const char *slash = strrchr(dir, '/');

	if (!strcmp(dir, "."))
		return NULL;
	return slash ? strndup(dir, (size_t)(slash - dir)) : strdup(".");
}

__attribute__((format(printf, 2, 3)))
static int set_why(char **why, const char *fmt, ...)
{
	char *text;
	va_list ap;
	int n;

	if (!why)
		return 0;
	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	free(*why);
	*why = n < 0 ? NULL : text;
	return *why ? 0 : -ENOMEM;
}

/*
 * Whether Kbuild enters dir on its way from the top-level Kbuild; when it
 * does, the directories of that way, from the top, are added to path.
 */
static int dir_verdict(struct km_ctx *ctx, const struct km_scratch *scratch,
		       const char *dir, char **why, struct km_buf *path)
{
	char *anc = parent_dir(dir), *next;
	int ret = KM_BUILT_UNKNOWN;

	if (!anc)
		return strcmp(dir, ".") ? -ENOMEM : KM_BUILT;
	for (; anc; next = parent_dir(anc), free(anc), anc = next) {
		char *mk = makefile_of(scratch, anc);
		const char *out;

		if (!mk)
			continue;
		out = ask_dir(ctx, scratch, anc);
		if (!out) {
			ret = set_why(why, "Kbuild could not read %s", mk);
			ret = ret ? ret : KM_BUILT_UNKNOWN;
		} else if (query_lists(out, "subdirs: ", dir)) {
			ret = dir_verdict(ctx, scratch, anc, why, path);
			if (ret == KM_BUILT && path &&
			    km_buf_addf(path, "%s%s", path->len ? " " : "", dir))
				ret = -ENOMEM;
		} else if (query_lists(out, "off: ", dir)) {
			ret = set_why(why, "%s enters %s/ only under options "
				      "this configuration leaves off", mk, dir);
			ret = ret ? ret : KM_BUILT_OFF;
		} else {
			free(mk);
			continue;
		}
		free(mk);
		free(anc);
		return ret;
	}
	ret = set_why(why, "no Makefile that Kbuild reads enters %s/", dir);
	return ret ? ret : KM_BUILT_UNKNOWN;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
}

static int object_verdict(struct km_ctx *ctx, const struct km_scratch *scratch,
			  const char *object, char **why, struct km_buf *path)
{
	char *dir = dir_of(object), *mk = NULL;
	const char *out;
	int ret;

	if (why)
		*why = NULL;
	if (!dir)
		return -ENOMEM;
	mk = makefile_of(scratch, dir);
	if (!mk) {
		ret = set_why(why, "%s/ has no Makefile", dir);
		ret = ret ? ret : KM_BUILT_UNKNOWN;
	} else if (!(out = ask_dir(ctx, scratch, dir))) {
		ret = set_why(why, "Kbuild could not read %s", mk);
		ret = ret ? ret : KM_BUILT_UNKNOWN;
	} else if (query_lists(out, "built: ", object)) {
		ret = dir_verdict(ctx, scratch, dir, why, path);
	} else if (query_lists(out, "off: ", object)) {
		ret = set_why(why, "%s lists %s only under options this "
			      "configuration leaves off", mk, object);
		ret = ret ? ret : KM_BUILT_OFF;
	} else {
		ret = set_why(why, "%s does not list %s", mk, object);
		ret = ret ? ret : KM_BUILT_UNKNOWN;
	}
	free(dir);
	free(mk);
	return ret;
}

int km_kbuild_object(struct km_ctx *ctx, const struct km_scratch *scratch,
		     const char *object, char **why)
{
	return object_verdict(ctx, scratch, object, why, NULL);
}

char *km_kbuild_descent(struct km_ctx *ctx, const struct km_scratch *scratch,
			const char *object)
{
	struct km_buf path = KM_BUF_INIT;
	int ret = object_verdict(ctx, scratch, object, NULL, &path);

	if (ret == KM_BUILT && !path.buf)
		ret = km_buf_adds(&path, "");
	if (ret != KM_BUILT) {
		km_buf_release(&path);
		errno = ret < 0 ? -ret : ENOENT;
		return NULL;
	}
	return km_buf_detach(&path);
}

/* ---- placing a source ------------------------------------------------- */

static size_t skip_blanks_back(const char *text, size_t i)
{
	while (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t'))
		i--;
	return i;
}

/* Does the text hold a line #include "name" (blanks allowed around '#')? */
static bool includes_file(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = strstr(text, name); p; p = strstr(p + 1, name)) {
		size_t i = (size_t)(p - text);

		if (i == 0 || text[i - 1] != '"' || p[n] != '"')
			continue;
		i = skip_blanks_back(text, i - 1);
		if (i < 7 || strncmp(text + i - 7, "include", 7))
			continue;
		i = skip_blanks_back(text, i - 7);
		if (i == 0 || text[i - 1] != '#')
			continue;
		i = skip_blanks_back(text, i - 1);
		if (i == 0 || text[i - 1] == '\n')
			return true;
	}
	return false;
}

static bool is_source_name(const char *name)
{
	return name[0] != '.' &&
	       (km_ends_with(name, ".c") || km_ends_with(name, ".S"));
}

static int add_name(char ***list, size_t *n, const char *name)
{
	char **grown = realloc(*list, (*n + 2) * sizeof(**list));

	if (!grown)
		return -ENOMEM;
	*list = grown;
	grown[*n] = strdup(name);
	if (!grown[*n])
		return -ENOMEM;
	grown[++*n] = NULL;
	return 0;
}

/* Adds the .c and .S files of dir (but source) with #include "name". */
static int find_includers_in(const struct km_scratch *scratch,
			     const char *dir, const char *name,
			     const char *source, char ***includers, size_t *n)
{
	char *path = km_strfmt("%s/%s", scratch->src, dir);
	struct dirent *de;
	int ret = 0;
	DIR *d;

	if (!path)
		return -ENOMEM;
	d = opendir(path);
	free(path);
	if (!d)
		return 0;
	while (!ret && (de = readdir(d))) {
		struct km_buf text = KM_BUF_INIT;
		char *rel, *full;

		if (!is_source_name(de->d_name))
			continue;
		rel = strcmp(dir, ".") ? km_strfmt("%s/%s", dir, de->d_name)
				       : strdup(de->d_name);
		full = rel ? km_strfmt("%s/%s", scratch->src, rel) : NULL;
		if (!full)
			ret = -ENOMEM;
		else if (strcmp(rel, source) && km_is_file(full) &&
			 !km_read_file(full, &text) && text.buf &&
			 includes_file(text.buf, name))
			ret = add_name(includers, n, rel);
		km_buf_release(&text);
		free(rel);
		free(full);
	}
	closedir(d);
	return ret;
}

/*
 * The files that #include source by its path from their own directory:
 * in its directory (#include "deadline.c"), or one or two above it
 * (#include "selftest/allowedips.c").
 */
static int find_includers(const struct km_scratch *scratch, const char *source,
			  char ***includers)
{
	char *dir = dir_of(source), *name = NULL, *up;
	const char *slash = strrchr(source, '/');
	size_t n = 0;
	int level, ret = 0;

	*includers = NULL;
	name = strdup(slash ? slash + 1 : source);
	for (level = 0; !ret && level < 3; level++) {
		char *longer;

		if (!dir || !name) {
			ret = -ENOMEM;
			break;
		}
		ret = find_includers_in(scratch, dir, name, source, includers,
					&n);
		up = parent_dir(dir);
		if (!up)
			break;
		slash = strrchr(dir, '/');
		longer = km_strfmt("%s/%s", slash ? slash + 1 : dir, name);
		free(name);
		free(dir);
		name = longer;
		dir = up;
	}
	free(dir);
	free(name);
	return ret;
}
struct placing {
	struct km_ctx *ctx;
	const struct km_scratch *scratch;
	char **objects;
	size_t nr_objects;
	char *why;		/* of the source asked about, not its includers */
	char *includers;	/* "a.c, b.c": who includes it, for messages */
};

static bool has_object(const struct placing *pl, const char *object)
{
	size_t i;

	for (i = 0; i < pl->nr_objects; i++)
		if (!strcmp(pl->objects[i], object))
			return true;
	return false;
}

static int note_includer(struct placing *pl, const char *name)
{
	char *joined = pl->includers ? km_strfmt("%s, %s", pl->includers, name)
				     : strdup(name);

	if (!joined)
		return -ENOMEM;
	free(pl->includers);
	pl->includers = joined;
	return 0;
}

/*
 * Adds the objects built from source to pl; returns KM_BUILT when there is
 * one, else KM_BUILT_OFF or KM_BUILT_UNKNOWN, or a negative errno.
 */
static int place(struct placing *pl, const char *source, int depth)
{
	char *object = km_object_of_source(source), **includers = NULL;
	char **why = depth ? NULL : &pl->why;
	bool built = false, unknown = false, included = false;
	size_t i;
	int own, ret;

	if (!object)
		return -ENOMEM;
	own = km_kbuild_object(pl->ctx, pl->scratch, object, why);
	ret = own < 0 ? own : 0;
	if (own == KM_BUILT) {
		built = true;
		if (!has_object(pl, object))
			ret = add_name(&pl->objects, &pl->nr_objects, object);
	}
	if (!ret)
		ret = find_includers(pl->scratch, source, &includers);
	for (i = 0; !ret && includers && includers[i]; i++) {
		int verdict;

		included = true;
		if (depth >= KM_INCLUDE_DEPTH) {
			unknown = true;
			break;
		}
		if (!depth)
			ret = note_includer(pl, includers[i]);
		verdict = ret ? ret : place(pl, includers[i], depth + 1);
		if (verdict < 0)
			ret = verdict;
		built = built || verdict == KM_BUILT;
		unknown = unknown || verdict == KM_BUILT_UNKNOWN;
	}
	km_kbuild_objects_free(includers);
	free(object);
	if (ret < 0)
		return ret;
	if (built)
		return KM_BUILT;
	if (unknown || (own == KM_BUILT_UNKNOWN && !included))
		return KM_BUILT_UNKNOWN;
	return KM_BUILT_OFF;
}

static void log_unplaced(struct km_ctx *ctx, const struct km_scratch *scratch,
			 const char *source, const struct placing *pl,
			 int verdict)
{
	const char *krel = scratch->tree->krel;

	if (verdict == KM_BUILT_OFF && pl->includers)
		km_err(ctx, "%s is not built in %s's configuration (%s; the "
		       "files that #include it, %s, are not built either): a "
		       "fix to it changes nothing in this kernel", source,
		       krel, pl->why, pl->includers);
	else if (verdict == KM_BUILT_OFF)
		km_err(ctx, "%s is not built in %s's configuration (%s): a fix "
		       "to it changes nothing in this kernel", source, krel,
		       pl->why);
	else
		km_err(ctx, "cannot live patch %s: kmend cannot tell which "
		       "object of %s is built from it (%s%s%s), so it cannot "
		       "tell what the fix changes; a file built by a rule of "
		       "its own (boot code, the vDSO, firmware) cannot be live "
		       "patched", source, krel, pl->why,
		       pl->includers ? "; #included by " : "",
		       pl->includers ? pl->includers : "");
}

int km_kbuild_place(struct km_ctx *ctx, const struct km_scratch *scratch,
		    const char *source, char ***objects)
{
	struct placing pl = { ctx, scratch, NULL, 0, NULL, NULL };
	int ret;

	*objects = NULL;
	ret = place(&pl, source, 0);
	if (ret == KM_BUILT) {
		*objects = pl.objects;
		pl.objects = NULL;
		ret = 0;
	} else if (ret > 0) {
		log_unplaced(ctx, scratch, source, &pl, ret);
		ret = ret == KM_BUILT_OFF ? -ENOENT : -KM_EUNPATCHABLE;
	}
	km_kbuild_objects_free(pl.objects);
	free(pl.why);
	free(pl.includers);
	return ret;
}

void km_kbuild_objects_free(char **objects)
{
	size_t i;

	for (i = 0; objects && objects[i]; i++)
		free(objects[i]);
	free(objects);
}
