// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "author.h"
#include "arch.h"
#include "build.h"
#include "deps.h"
#include "filekind.h"
#include "diff.h"
#include "emit.h"
#include "kbuild.h"
#include "kmod.h"
#include "kmodule.h"
#include "ksym.h"
#include "ktree.h"
#include "linedir.h"
#include "kbenv.h"
#include "objcache.h"
#include "patch.h"
#include "proof.h"
#include "precheck.h"
#include "util.h"

/* One translation unit the patches touch. */
struct unit {
	char *source;		/* for messages: fs/proc/cmdline.c, or
				 * "kernel/sched/rt.c, in kernel/sched/build_policy.o" */
	char *object;		/* fs/proc/cmdline.o */
	char **reads;		/* the touched sources it reads, NULL-terminated */
	char *orig;		/* WORK/orig-N.o */
	char *patched;		/* WORK/patched-N.o */
	char *output;		/* WORK/patch-N.o, when it has changes */
	struct km_module *module;	/* the loadable module it is part of;
					 * NULL: vmlinux */
	char *label;		/* "SOURCE (module M)", for the differ */
	struct km_diff diff;
	bool have_diff;
	bool changed;
	bool candidate;		/* only a changed header brings it in: it is
				 * compiled when its preprocessed code changes */
	bool kept_i;		/* WORK/pristine-N.i holds its pristine code */
	char digest[KM_OBJCACHE_DIGEST_MAX];	/* of its pristine code */
};

/* A header the patches change. */
struct header {
	char *path;		/* include/linux/foo.h */
	char *name;		/* as the compiler names it: ../include/... */
	struct km_linemap lines;
	size_t nr_includers;	/* units of the kernel that include it */
	size_t nr_changed;	/* of them, those whose code changes */
};

struct build {
	struct km_ctx *ctx;
	const struct km_build_opts *opts;
	struct km_target target;
	struct km_patch *patches;
	size_t nr_patches;
	char **sources;		/* the touched .c files */
	size_t nr_sources;
	struct km_linemap *lines;	/* where their lines went, once patched */
	struct header *headers;	/* the touched headers */
	size_t nr_headers;
	struct km_deps *deps;
	struct unit *units;
	size_t nr_units;
	struct km_ksyms ksyms;
	bool have_ksyms;
	struct km_module **modules;	/* the loadable modules the units are in */
	size_t nr_modules;
	struct km_tree tree;
	bool have_tree;
	struct km_scratch scratch;
	bool have_scratch;
	char *work;
	char *name;
	char *output;
	struct km_kmod_func *funcs;
	size_t nr_funcs;
	struct km_kmod_callback *callbacks;
	size_t nr_callbacks;
	/* namespaces of the exported symbols the patch uses: a set */
	struct km_hash namespaces;
	/* new globals of the patch's files: the module defines them */
	struct km_hash patch_globals;
	struct km_buf layouts_reported;	/* type layout changes said (layout.c) */
	int refused;
	struct km_proof proof;
	bool have_proof;
	char *proof_object;	/* WORK/proof.o, linked into the module */
	char **identity;	/* "kmend_buildid=OBJECT:ID" modinfo lines */
	size_t nr_identity;
};

static void step_done(struct build *b, const char *what, double t0)
{
	km_info(b->ctx, "  %-46s %5.1f s", what, km_now() - t0);
}

static int read_patches(struct build *b)
{
	size_t i;
	int ret;

	b->patches = calloc(b->opts->nr_patches, sizeof(*b->patches));
	if (!b->patches)
		return -ENOMEM;
	for (i = 0; i < b->opts->nr_patches; i++) {
		ret = km_patch_read(b->ctx, b->opts->patches[i], &b->patches[i]);
		if (ret)
			return ret;
		b->patches[i].fuzz = b->opts->fuzz;
		b->nr_patches++;
	}
	return 0;
}

static bool has_name(char *const *list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], name))
			return true;
	return false;
}

static size_t count_names(char *const *list)
{
	size_t n = 0;

	while (list && list[n])
		n++;
	return n;
}

/* Appends a copy of name to the NULL-terminated *list. */
static int add_name(char ***list, const char *name)
{
	size_t n = count_names(*list);
	char **grown = realloc(*list, (n + 2) * sizeof(**list));

	if (!grown)
		return -ENOMEM;
	*list = grown;
	grown[n] = strdup(name);
	grown[n + 1] = NULL;
	return grown[n] ? 0 : -ENOMEM;
}

/* Why a file of the patch cannot be carried live, or NULL when it can. */
static const char *refusal_of(const struct km_patch_file *f)
{
	switch (km_file_kind(f->path)) {
	case KM_FILE_ASM:
		return "it is assembly: a live patch replaces C functions, "
		       "compiled the way the kernel was; make the fix in C, or "
		       "apply it with a reboot";
	case KM_FILE_BUILD:
		return "it changes how the kernel is configured or built, "
		       "which a live patch cannot change";
	case KM_FILE_OTHER:
		return "only changes to .c files are supported";
	default:
		break;
	}
	if (km_is_patch_machinery(f->path))
		return "it is part of the livepatch and ftrace machinery that "
		       "applies live patches: apply the fix with a reboot";
	if (f->flags & KM_PATCH_NEW)
		return "it creates the file";
	if (f->flags & KM_PATCH_DELETED)
		return "it deletes the file";
	if (f->flags & (KM_PATCH_RENAMED | KM_PATCH_COPIED))
		return "it renames or copies the file";
	return NULL;
}

/* What a live patch carries: changes to existing .c files of the kernel. */
static int check_file(struct build *b, const struct km_patch *p,
		      const struct km_patch_file *f)
{
	const char *why;

	if (km_file_kind(f->path) == KM_FILE_NOT_CODE) {
		km_info(b->ctx, "  note: %s: not kernel code (documentation, "
			"tools or selftests): left out", f->path);
		return 0;
	}
	why = refusal_of(f);
	if (!why)
		return 0;
	km_err(b->ctx, "cannot live patch '%s': %s: %s", p->path, f->path, why);
	b->refused++;
	return 0;
}

static int add_source(struct build *b, const char *source)
{
	int ret;

	if (has_name(b->sources, b->nr_sources, source))
		return 0;
	ret = add_name(&b->sources, source);
	if (!ret)
		b->nr_sources++;
	return ret;
}

/* Whether the unit reads its own source alone (kernel/fork.c, fork.o). */
static bool reads_own_source(const struct unit *u)
{
	char *own = u->reads && u->reads[0] && !u->reads[1] ?
		    km_object_of_source(u->reads[0]) : NULL;
	bool is_own = own && !strcmp(own, u->object);

	free(own);
	return is_own;
}

/* "a.c" for fork.o reading fork.c, "a.c, b.c, in x.o" for the others. */
static int set_label(struct unit *u)
{
	struct km_buf label = KM_BUF_INIT;
	size_t i;

	for (i = 0; u->reads && u->reads[i]; i++)
		km_buf_addf(&label, "%s%s", i ? ", " : "", u->reads[i]);
	if (!reads_own_source(u))
		km_buf_addf(&label, ", in %s", u->object);
	if (!label.buf)
		return -ENOMEM;
	free(u->source);
	u->source = km_buf_detach(&label);
	return 0;
}

static struct unit *find_unit(struct build *b, const char *object)
{
	size_t i;

	for (i = 0; i < b->nr_units; i++)
		if (!strcmp(b->units[i].object, object))
			return &b->units[i];
	return NULL;
}

/* The unit of object, which reads the touched source. */
static int add_unit(struct build *b, const char *object, const char *source)
{
	struct unit *u = find_unit(b, object);
	void *n;
	int ret;

	if (!u) {
		n = realloc(b->units, (b->nr_units + 1) * sizeof(*b->units));
		if (!n)
			return -ENOMEM;
		b->units = n;
		u = &b->units[b->nr_units];
		memset(u, 0, sizeof(*u));
		u->object = strdup(object);
		u->orig = km_strfmt("%s/orig-%zu.o", b->work, b->nr_units);
		u->patched = km_strfmt("%s/patched-%zu.o", b->work,
				       b->nr_units);
		b->nr_units++;
		if (!u->object || !u->orig || !u->patched)
			return -ENOMEM;
	}
	ret = add_name(&u->reads, source);
	return ret ? ret : set_label(u);
}

static int add_header(struct build *b, const char *path)
{
	struct header *h;
	size_t i;

	for (i = 0; i < b->nr_headers; i++)
		if (!strcmp(b->headers[i].path, path))
			return 0;
	h = realloc(b->headers, (b->nr_headers + 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	b->headers = h;
	h = &b->headers[b->nr_headers++];
	memset(h, 0, sizeof(*h));
	h->path = strdup(path);
	return h->path ? 0 : -ENOMEM;
}

static bool is_changed_file(const struct km_patch_file *f)
{
	return !(f->flags & (KM_PATCH_NEW | KM_PATCH_DELETED | KM_PATCH_RENAMED |
			     KM_PATCH_COPIED));
}

static int collect_sources(struct build *b)
{
	size_t i, j;
	int ret;

	for (i = 0; i < b->nr_patches; i++) {
		const struct km_patch *p = &b->patches[i];

		for (j = 0; j < p->nr_files; j++) {
			const struct km_patch_file *f = &p->files[j];
			enum km_file_kind kind = km_file_kind(f->path);

			ret = check_file(b, p, f);
			if (ret || !is_changed_file(f))
				;
			else if (kind == KM_FILE_C)
				ret = add_source(b, f->path);
			else if (kind == KM_FILE_HEADER)
				ret = add_header(b, f->path);
			if (ret)
				return ret;
		}
	}
	if (b->refused)
		return -KM_EUNPATCHABLE;
	if (!b->nr_sources && !b->nr_headers) {
		km_info(b->ctx, "no functional change: the patches change no "
			"kernel code");
		return KM_BUILD_NOCHANGE;
	}
	return 0;
}

static const char **unit_objects(const struct build *b)
{
	const char **objs = calloc(b->nr_units + 1, sizeof(*objs));
	size_t i;

	for (i = 0; objs && i < b->nr_units; i++)
		objs[i] = b->units[i].object;
	return objs;
}

static int copy_out_objects(struct build *b, bool patched)
{
	size_t i;
	int ret;

	for (i = 0; i < b->nr_units; i++) {
		struct unit *u = &b->units[i];
		char *src = km_scratch_object_path(&b->scratch, u->object);

		if (!src)
			return -ENOMEM;
		ret = km_copy_scratch_file(src, patched ? u->patched : u->orig);
		if (ret)
			km_err(b->ctx, "cannot copy '%s': %s", src, strerror(-ret));
		free(src);
		if (ret)
			return ret;
	}
	return 0;
}

static struct km_module *find_module(const struct build *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->nr_modules; i++)
		if (!strcmp(b->modules[i]->name, name))
			return b->modules[i];
	return NULL;
}

/* The module name, once per module: its .ko and symbols. */
static int open_module(struct build *b, struct unit *u, const char *name)
{
	struct km_module *m;
	void *grown;
	int ret;

	u->module = find_module(b, name);
	if (u->module)
		return 0;
	grown = realloc(b->modules, (b->nr_modules + 1) * sizeof(*b->modules));
	m = calloc(1, sizeof(*m));
	if (grown)
		b->modules = grown;
	if (!grown || !m) {
		free(m);
		return -ENOMEM;
	}
	ret = km_module_open(b->ctx, b->target.modules, name, u->source, m);
	if (ret) {
		free(m);
		return ret;
	}
	b->modules[b->nr_modules++] = m;
	u->module = m;
	return 0;
}

/*
 * A unit Kbuild compiles for a loadable module (-DMODULE) is patched in
 * that module: its klp_object, its symbols, its .ko in the module tree.
 */
static int place_in_modules(struct build *b)
{
	size_t i;
	int ret = 0, refused = 0;

	for (i = 0; !ret && i < b->nr_units; i++) {
		struct unit *u = &b->units[i];
		char *name;

		if (!km_scratch_object_is_module(&b->scratch, u->object))
			continue;
		name = km_scratch_module_name(&b->scratch, u->object);
		if (!name) {
			km_err(b->ctx, "cannot live patch %s: Kbuild compiled it "
			       "for a loadable module but did not say which "
			       "(no KBUILD_MODNAME)", u->source);
			refused++;
		} else if (strchr(name, ':')) {
			km_err(b->ctx, "cannot live patch %s: it is linked into "
			       "several modules (%s), which kmend does not "
			       "patch yet", u->source, name);
			refused++;
		} else {
			ret = open_module(b, u, name);
			if (ret == -KM_EUNPATCHABLE) {
				refused++;
				ret = 0;
			} else if (!ret) {
				km_info(b->ctx, "  %s is part of module %s (%s)",
					u->source, u->module->name,
					u->module->path);
			}
		}
		free(name);
	}
	if (!ret && refused)
		ret = -KM_EUNPATCHABLE;
	return ret;
}

/* The objects Kbuild builds from each touched source (kbuild.h). */
static int place_sources(struct build *b)
{
	size_t i, j;
	int ret = 0, refused = 0;

	for (i = 0; i < b->nr_sources; i++) {
		char **objs = NULL;
		int err = km_kbuild_place(b->ctx, &b->scratch, b->sources[i],
					  &objs);

		for (j = 0; !err && objs[j]; j++)
			err = add_unit(b, objs[j], b->sources[i]);
		km_kbuild_objects_free(objs);
		if (err == -KM_EUNPATCHABLE)
			refused++;
		else if (err && !ret)
			ret = err;
	}
	if (!ret && refused)
		ret = -KM_EUNPATCHABLE;
	return ret;
}

/* Forgets that u reads its source number i. */
static void drop_read(struct unit *u, size_t i)
{
	free(u->reads[i]);
	memmove(&u->reads[i], &u->reads[i + 1],
		(count_names(u->reads) - i) * sizeof(*u->reads));
}

static void release_unit(struct unit *u)
{
	size_t i;

	for (i = 0; u->reads && u->reads[i]; i++)
		free(u->reads[i]);
	free(u->reads);
	free(u->source);
	free(u->label);
	free(u->object);
	free(u->orig);
	free(u->patched);
	free(u->output);
	if (u->have_diff)
		km_diff_release(&u->diff);
}

static bool is_read(const struct build *b, const char *source)
{
	size_t i;

	for (i = 0; i < b->nr_units; i++)
		if (has_name(b->units[i].reads, count_names(b->units[i].reads),
			     source))
			return true;
	return false;
}

/*
 * An includer may #include a source only under an option that is off
 * (#ifdef CONFIG_SMP): what the compiler read, as the .cmd file of the
 * pristine object lists it, is the last word.
 */
static int check_reads(struct build *b)
{
	size_t i, j, kept = 0;
	int ret = 0;

	for (i = 0; i < b->nr_units; i++) {
		struct unit *u = &b->units[i];

		for (j = 0; u->reads[j];) {
			char *name = km_scratch_compiled_name(&b->scratch,
							      u->object,
							      u->reads[j]);
			if (name) {
				j++;
			} else if (errno == ENOENT) {
				km_debug(b->ctx, "%s does not read %s in this "
					 "configuration", u->object, u->reads[j]);
				drop_read(u, j);
			} else {
				km_err(b->ctx, "cannot read how Kbuild compiled "
				       "%s: %s", u->object, strerror(errno));
				return -errno;
			}
			free(name);
		}
		if (!u->reads[0]) {
			release_unit(u);
			continue;
		}
		b->units[kept++] = *u;
		if (set_label(&b->units[kept - 1]))
			ret = -ENOMEM;
	}
	b->nr_units = kept;
	for (i = 0; !ret && i < b->nr_sources; i++) {
		if (is_read(b, b->sources[i]))
			continue;
		km_err(b->ctx, "%s is not built in %s's configuration: the "
		       "files that #include it do so only under options this "
		       "configuration leaves off; a fix to it changes nothing "
		       "in this kernel", b->sources[i], b->target.krel);
		ret = -ENOENT;
	}
	return ret;
}

/* ---- headers: the units that include them, and those that change ------ */

static size_t unit_limit(const struct build *b)
{
	return b->opts->max_units ? b->opts->max_units : KM_BUILD_MAX_UNITS;
}

static size_t count_candidates(const struct build *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->nr_units; i++)
		n += b->units[i].candidate;
	return n;
}

/* A unit that includes header: compiled only when its code changes,
 * unless a touched .c file brings it in anyway. */
static int add_candidate(struct build *b, const char *source,
			 const char *header)
{
	char *object = km_object_of_source(source);
	struct unit *u = object ? find_unit(b, object) : NULL;
	int ret;

	if (!object)
		return -ENOMEM;
	if (u && !u->candidate) {
		free(object);
		return 0;
	}
	ret = add_unit(b, object, header);
	if (!ret && !u)
		find_unit(b, object)->candidate = true;
	free(object);
	return ret;
}

static int place_header(struct build *b, struct header *h)
{
	char **units = km_deps_includers(b->deps, h->path);
	size_t i;
	int ret = 0;

	if (!units)
		return -errno;
	for (i = 0; !ret && units[i]; i++)
		ret = add_candidate(b, units[i], h->path);
	h->nr_includers = i;
	km_free_list(units);
	if (!ret && !h->nr_includers) {
		km_err(b->ctx, "%s is included by no file built into %s's "
		       "vmlinux (kmend does not index modules yet): a fix to it "
		       "changes nothing kmend can patch in this kernel",
		       h->path, b->target.krel);
		ret = -ENOENT;
	}
	return ret;
}

static void log_too_many(const struct build *b, size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double minutes = (double)n * 2 * KM_BUILD_CPP_SECONDS /
			 (double)(cpus > 0 ? cpus : 1) / 60;
	size_t i;

	for (i = 0; i < b->nr_headers; i++)
		km_err(b->ctx, "header %s: %zu units of %s include it",
		       b->headers[i].path, b->headers[i].nr_includers,
		       b->target.krel);
	km_err(b->ctx, "not building: finding which of these %zu units the "
	       "change affects means preprocessing each of them twice, about "
	       "%.0f minutes on this machine, over the limit of %zu units; "
	       "raise it with --max-units %zu, or change a header fewer files "
	       "include", n, minutes < 1 ? 1 : minutes, unit_limit(b), n);
}

static int place_headers(struct build *b)
{
	double t0 = km_now();
	size_t i, n;
	int ret;

	if (!b->nr_headers)
		return 0;
	ret = km_deps_open(b->ctx, &b->tree, b->target.vmlinux, &b->deps);
	for (i = 0; !ret && i < b->nr_headers; i++)
		ret = place_header(b, &b->headers[i]);
	if (ret)
		return ret;
	n = count_candidates(b);
	if (n > unit_limit(b)) {
		log_too_many(b, n);
		return -E2BIG;
	}
	step_done(b, "finding the units that include the headers", t0);
	return 0;
}

/* The candidates' objects; only those without a digest when undigested. */
static const char **candidate_objects(const struct build *b, bool undigested)
{
	const char **objs = calloc(b->nr_units + 1, sizeof(*objs));
	size_t i, n = 0;

	for (i = 0; objs && i < b->nr_units; i++)
		if (b->units[i].candidate &&
		    !(undigested && b->units[i].digest[0]))
			objs[n++] = b->units[i].object;
	return objs;
}

static char *kept_preprocessed(const struct build *b, size_t index)
{
	return km_strfmt("%s/pristine-%zu.i", b->work, index);
}

static int read_code(const char *path, struct km_buf *code);

/*
 * Two independent 64-bit hashes of the code: a digest stands for the
 * code itself between builds, so a collision must be out of reach.
 */
static void digest_of(const struct km_buf *code, char *digest)
{
	uint64_t fnv = 0xcbf29ce484222325ULL, mix = 0x9e3779b97f4a7c15ULL;
	size_t i;

	for (i = 0; i < code->len; i++) {
		unsigned char c = (unsigned char)code->buf[i];

		fnv = (fnv ^ c) * 0x100000001b3ULL;
		mix = (mix + c) * 0xff51afd7ed558ccdULL;
		mix ^= mix >> 29;
	}
	/* "1:": how read_code() reads, should it ever change */
	snprintf(digest, KM_OBJCACHE_DIGEST_MAX, "1:%016llx%016llx %zu",
		 (unsigned long long)fnv, (unsigned long long)mix, code->len);
}

/* The digest of the code the preprocessor just wrote for u, in the view. */
static int digest_preprocessed(struct build *b, const struct unit *u,
			       char *digest)
{
	struct km_buf code = KM_BUF_INIT;
	char *path = km_scratch_preprocessed_path(&b->scratch, u->object);
	int ret = path ? read_code(path, &code) : -ENOMEM;

	if (!ret)
		digest_of(&code, digest);
	km_buf_release(&code);
	free(path);
	return ret;
}

/* Digests of the candidates' pristine code that earlier builds kept. */
static size_t load_digests(struct build *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->nr_units; i++)
		if (b->units[i].candidate &&
		    !km_objcache_get_digest(&b->scratch, b->units[i].object,
					    b->units[i].digest))
			n++;
	return n;
}

/*
 * The digests of the candidates just preprocessed pristine, kept in the
 * cache; their output goes to WORK (it names the headers: see
 * name_headers()).
 */
static int digest_pristine(struct build *b)
{
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < b->nr_units; i++) {
		struct unit *u = &b->units[i];
		char *from, *to;

		if (!u->candidate || u->digest[0])
			continue;
		ret = digest_preprocessed(b, u, u->digest);
		if (!ret && km_objcache_put_digest(&b->scratch, u->object,
						   u->digest))
			km_debug(b->ctx, "cannot keep the digest of %s",
				 u->object);
		from = km_scratch_preprocessed_path(&b->scratch, u->object);
		to = kept_preprocessed(b, i);
		if (!ret)
			ret = from && to ? (rename(from, to) ? -errno : 0)
					 : -ENOMEM;
		u->kept_i = !ret;
		free(from);
		free(to);
	}
	return ret;
}

/* The compiler's name of h in a line marker of text (# 1 "../x.h" 1). */
static char *marker_name(const char *text, const char *path)
{
	const char *line;
	size_t n = strlen(path);

	for (line = text; line && *line; line = strchr(line, '\n'),
	     line = line ? line + 1 : NULL) {
		const char *q = line[0] == '#' && line[1] == ' ' ?
				strchr(line, '"') : NULL;
		const char *end = q ? strchr(q + 1, '"') : NULL;
		size_t len = end ? (size_t)(end - q - 1) : 0;

		if (!end || len < n || memchr(q, '\n', (size_t)(end - q)) ||
		    strncmp(end - n, path, n) ||
		    (len > n && end[-(long)n - 1] != '/'))
			continue;
		return strndup(q + 1, len);
	}
	return NULL;
}

/* How the compiler names each header, from a unit that reads it. */
static int name_headers(struct build *b)
{
	size_t i, j;
	int ret = 0;

	for (i = 0; !ret && i < b->nr_headers; i++) {
		struct header *h = &b->headers[i];

		for (j = 0; !ret && !h->name && j < b->nr_units; j++) {
			struct km_buf text = KM_BUF_INIT;
			char *path;

			if (!b->units[j].kept_i ||
			    !has_name(b->units[j].reads,
				      count_names(b->units[j].reads), h->path))
				continue;
			path = kept_preprocessed(b, j);
			ret = path ? km_read_file(path, &text) : -ENOMEM;
			if (!ret && text.buf)
				h->name = marker_name(text.buf, h->path);
			km_buf_release(&text);
			free(path);
		}
		/* no fresh pristine output: Kbuild's srctree in a view */
		if (!ret && !h->name && !(h->name = km_strfmt("../%s", h->path)))
			ret = -ENOMEM;
	}
	return ret;
}

/* #line directives keep __LINE__ of the header's untouched lines. */
static int add_header_directives(struct build *b, struct header *h)
{
	char *orig = km_strfmt("%s/%s", b->tree.src, h->path);
	char *patched = km_strfmt("%s/%s", b->scratch.src, h->path);
	int ret;

	km_linemap_release(&h->lines);
	ret = orig && patched ? km_linedir_rewrite(b->ctx, orig, patched,
						   h->name, &h->lines)
			      : -ENOMEM;
	free(orig);
	free(patched);
	return ret < 0 ? ret : 0;
}

static int add_headers_directives(struct build *b)
{
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < b->nr_headers; i++)
		if (b->headers[i].name)
			ret = add_header_directives(b, &b->headers[i]);
	return ret;
}

static bool is_line_marker(const char *line)
{
	return line[0] == '#' && line[1] == ' ' && line[2] >= '0' &&
	       line[2] <= '9';
}

static bool is_blank_line(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\n')
			return false;
	return true;
}

/*
 * The preprocessor's output without its line markers ("# 12 "x.h" 2") and
 * blank lines (what directives and comments leave): the code alone.
 */
static int read_code(const char *path, struct km_buf *code)
{
	struct km_buf text = KM_BUF_INIT;
	const char *line;
	int ret = km_read_file(path, &text);

	for (line = text.buf; !ret && line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line + 1) : strlen(line);

		if (!is_line_marker(line) && !is_blank_line(line, len))
			ret = km_buf_add(code, line, len);
		line += len;
	}
	km_buf_release(&text);
	return ret;
}

/* Whether the unit's code, as the preprocessor gives it, changed. */
static int code_changed(struct build *b, size_t index)
{
	char now[KM_OBJCACHE_DIGEST_MAX];
	int ret = digest_preprocessed(b, &b->units[index], now);

	return ret ? ret : strcmp(now, b->units[index].digest) != 0;
}

static void count_change(struct build *b, const struct unit *u)
{
	size_t i;

	for (i = 0; i < b->nr_headers; i++)
		if (has_name(u->reads, count_names(u->reads),
			     b->headers[i].path))
			b->headers[i].nr_changed++;
}

static bool is_assembly(const struct build *b, const struct unit *u)
{
	char *pre = km_scratch_preprocessed_path(&b->scratch, u->object);
	bool is_asm = pre && km_ends_with(pre, ".s");

	free(pre);
	return is_asm;
}

/* An assembly file's code cannot be live patched. */
static int refuse_assembly(struct build *b, const struct unit *u)
{
	km_err(b->ctx, "cannot live patch %s: the change alters assembly "
	       "code, which a live patch cannot replace", u->source);
	return -KM_EUNPATCHABLE;
}

/* Keeps the candidates whose code changed; the others are released. */
static int drop_unchanged(struct build *b)
{
	size_t i, kept = 0;
	int ret = 0, refused = 0;

	for (i = 0; i < b->nr_units; i++) {
		struct unit *u = &b->units[i];
		int changed = u->candidate ? code_changed(b, i) : 1;

		if (changed < 0 && !ret)
			ret = changed;
		if (changed > 0 && u->candidate) {
			count_change(b, u);
			if (is_assembly(b, u))
				refused += refuse_assembly(b, u) != 0;
		}
		if (changed <= 0) {
			release_unit(u);
			continue;
		}
		b->units[kept++] = *u;
	}
	b->nr_units = kept;
	if (!ret && refused)
		ret = -KM_EUNPATCHABLE;
	return ret;
}

static char **touched_paths(const struct build *b)
{
	char **paths = km_patch_touched_paths(b->patches, b->nr_patches);

	if (!paths && !errno)
		errno = ENOMEM;
	return paths;
}

/* Applies the patches, with directives in the headers, for pruning. */
static int apply_for_pruning(struct build *b)
{
	int ret = km_patch_apply_all(b->ctx, b->patches, b->nr_patches,
				     b->scratch.src);

	return ret ? ret : add_headers_directives(b);
}

static int restore_pristine(struct build *b)
{
	char **paths = touched_paths(b);
	int ret;

	if (!paths)
		return -errno;
	ret = km_scratch_restore(b->ctx, &b->scratch,
				 (const char *const *)paths);
	km_patch_paths_free(paths);
	return ret;
}

/*
 * A fix that does not apply to this kernel's source is an error before
 * anything is compiled (the pristine compile of an uncached kernel takes
 * seconds): applied and taken back at once.
 */
static int check_patches_apply(struct build *b)
{
	int ret = km_patch_apply_all(b->ctx, b->patches, b->nr_patches,
				     b->scratch.src);

	return ret ? ret : restore_pristine(b);
}

static void report_headers(const struct build *b)
{
	size_t i;

	for (i = 0; i < b->nr_headers; i++) {
		const struct header *h = &b->headers[i];

		km_info(b->ctx, "header %s: %zu unit%s include it, %zu change, "
			"compiling %zu", h->path, h->nr_includers,
			h->nr_includers == 1 ? "" : "s", h->nr_changed,
			h->nr_changed);
	}
}

/*
 * Which candidates the header changes touch: their preprocessor output,
 * before and after the patches, compared without line markers (a unit
 * that includes a header only under an option that is off, or uses
 * nothing the fix changed, gives the same code).
 */
static int prune_candidates(struct build *b)
{
	const char **fresh = NULL, **all = NULL;
	double t0 = km_now();
	size_t n = count_candidates(b), cached;
	int ret;

	if (!n)
		return 0;
	cached = load_digests(b);
	km_info(b->ctx, "  preprocessing the %zu unit%s that include the "
		"header%s, before (%zu known from the cache) and after the "
		"fix ...", n, n == 1 ? "" : "s", b->nr_headers == 1 ? "" : "s",
		cached);
	fresh = candidate_objects(b, true);
	all = candidate_objects(b, false);
	ret = fresh && all ? 0 : -ENOMEM;
	if (!ret && fresh[0])
		ret = km_scratch_preprocess(b->ctx, &b->scratch, fresh);
	if (!ret)
		ret = digest_pristine(b);
	if (!ret)
		ret = name_headers(b);
	if (!ret)
		ret = apply_for_pruning(b);
	if (!ret)
		ret = km_scratch_preprocess(b->ctx, &b->scratch, all);
	if (!ret)
		ret = drop_unchanged(b);
	if (!ret)
		ret = restore_pristine(b);
	free(fresh);
	free(all);
	if (ret)
		return ret;
	report_headers(b);
	step_done(b, "finding the units whose code changes", t0);
	if (!b->nr_units) {
		km_info(b->ctx, "no functional change: the fix changes the "
			"code of no unit of %s", b->target.krel);
		return KM_BUILD_NOCHANGE;
	}
	return 0;
}

/*
 * The pristine objects the cache holds go into the view as if compiled
 * there; the others are listed for compiling.
 */
static const char **uncached_objects(struct build *b, size_t *hits)
{
	const char **objs = calloc(b->nr_units + 1, sizeof(*objs));
	size_t i, n = 0;

	*hits = 0;
	for (i = 0; objs && i < b->nr_units; i++) {
		int ret = km_objcache_restore(&b->scratch, b->units[i].object);

		if (!ret)
			(*hits)++;
		else
			objs[n++] = b->units[i].object;
		if (ret && ret != -ENOENT)
			km_debug(b->ctx, "cannot take %s from the cache: %s",
				 b->units[i].object, strerror(-ret));
	}
	return objs;
}

/* The cache only saves time: failing to fill it is worth a warning. */
static void store_pristine(struct build *b, const char *const *objs)
{
	for (; *objs; objs++) {
		int ret = km_objcache_store(&b->scratch, *objs);

		if (ret)
			km_warn(b->ctx, "cannot keep %s in the object cache of "
				"%s: %s", *objs, b->tree.cache, strerror(-ret));
	}
}

static int compile_units(struct build *b, bool patched)
{
	size_t hits = 0, n = b->nr_units;
	const char **objs = patched ? unit_objects(b) : uncached_objects(b, &hits);
	double t0 = km_now();
	char what[96];
	int ret;

	if (!objs)
		return -ENOMEM;
	/* the pristine kernel never sees them: they are the patch's */
	b->scratch.author_include = patched ? b->opts->author_include : NULL;
	ret = km_scratch_compile(b->ctx, &b->scratch, objs);
	if (!ret && !patched)
		store_pristine(b, objs);
	free(objs);
	if (!ret && !patched)
		ret = place_in_modules(b);
	if (!ret && !patched)
		ret = check_reads(b);
	if (!ret)
		ret = copy_out_objects(b, patched);
	if (ret)
		return ret;
	if (patched)
		snprintf(what, sizeof(what), "compiling the patched files");
	else if (hits)
		snprintf(what, sizeof(what), "compiling the pristine files "
			 "(%zu of %zu from the cache)", hits, n);
	else
		snprintf(what, sizeof(what), "compiling the pristine files");
	step_done(b, what, t0);
	return 0;
}

static size_t source_index(const struct build *b, const char *source)
{
	size_t i;

	for (i = 0; i < b->nr_sources; i++)
		if (!strcmp(b->sources[i], source))
			break;
	return i;
}

static const struct unit *reader_of(const struct build *b, const char *source)
{
	size_t i;

	for (i = 0; i < b->nr_units; i++)
		if (has_name(b->units[i].reads, count_names(b->units[i].reads),
			     source))
			return &b->units[i];
	return NULL;
}

/*
 * The lines the fix did not touch keep their numbers (__LINE__), with
 * #line directives naming the file as the compiler did in the pristine
 * build (linedir.h).
 */
static int add_line_directives(struct build *b, const char *source,
			       struct km_linemap *lines)
{
	const struct unit *u = reader_of(b, source);
	char *name = u ? km_scratch_compiled_name(&b->scratch, u->object,
						  source) : NULL;
	char *orig = km_strfmt("%s/%s", b->tree.src, source);
	char *patched = km_strfmt("%s/%s", b->scratch.src, source);
	int ret;

	if (!name) {
		km_err(b->ctx, "cannot tell how the compiler names %s: %s",
		       source, strerror(errno));
		ret = -EIO;
	} else if (!orig || !patched) {
		ret = -ENOMEM;
	} else {
		ret = km_linedir_rewrite(b->ctx, orig, patched, name, lines);
	}
	free(name);
	free(orig);
	free(patched);
	return ret < 0 ? ret : 0;
}

static int apply_patches(struct build *b)
{
	double t0 = km_now();
	size_t i;
	int ret = km_patch_apply_all(b->ctx, b->patches, b->nr_patches,
				     b->scratch.src);

	if (!ret) {
		b->lines = calloc(b->nr_sources + 1, sizeof(*b->lines));
		ret = b->lines ? 0 : -ENOMEM;
	}
	for (i = 0; !ret && i < b->nr_sources; i++)
		ret = add_line_directives(b, b->sources[i], &b->lines[i]);
	if (!ret)
		ret = add_headers_directives(b);
	if (!ret)
		step_done(b, "applying the patches", t0);
	return ret;
}

/* The position of f in its module (run-pre proves its code: prove_units). */
static int module_sympos(struct build *b, const struct unit *u,
			 const struct km_diff_func *f, unsigned long *pos)
{
	return km_module_sympos(b->ctx, u->module, f->orig, pos);
}

static int add_func(struct build *b, const struct unit *u,
		    const struct km_diff_func *f, const char *file)
{
	struct km_kmod_func *kf;
	void *n = realloc(b->funcs, (b->nr_funcs + 1) * sizeof(*b->funcs));
	int ret;

	if (!n)
		return -ENOMEM;
	b->funcs = n;
	kf = &b->funcs[b->nr_funcs];
	memset(kf, 0, sizeof(*kf));
	ret = u->module ? module_sympos(b, u, f, &kf->sympos) :
			  km_ksyms_sympos(b->ctx, &b->ksyms, file, f->orig,
					  &kf->sympos);
	if (ret)
		return ret;
	kf->old_name = strdup(f->orig->name);
	kf->new_name = strdup(f->alias);
	kf->object = u->module ? strdup(u->module->name) : NULL;
	b->nr_funcs++;
	if (u->module && !kf->object)
		return -ENOMEM;
	return kf->old_name && kf->new_name ? 0 : -ENOMEM;
}

static void report_functions(struct build *b, const struct unit *u,
			     const struct km_diff *d)
{
	size_t i;

	for (i = 0; i < d->nr_funcs; i++)
		km_info(b->ctx, "    %-8s %s (%s)", km_func_role(&d->funcs[i]),
			d->funcs[i].sym->name, u->source);
}

/* Adds the new global functions and variables of d to b->patch_globals. */
static int note_new_globals(struct build *b, const struct km_diff *d)
{
	struct kelf_sym *p;

	for_each_sym(d->patched, p) {
		if (p->twin || !p->sec || p->bind == STB_LOCAL ||
		    (!kelf_is_function(p) && !kelf_is_object(p)))
			continue;
		if (km_hash_add(&b->patch_globals, p->name, p))
			return -ENOMEM;
	}
	return 0;
}

/* Diffs one unit; KM_DIFF_NOCHANGE when nothing changed in it. */
static int diff_unit(struct build *b, size_t index)
{
	struct unit *u = &b->units[index];
	int ret;

	ret = km_diff_open(b->ctx, &u->diff, u->orig, u->patched);
	if (ret)
		return ret;
	u->have_diff = true;
	u->diff.layouts_reported = &b->layouts_reported;
	/* the target's version decides the tables' layout, not a guess */
	if (arch_layout_for_kernel(b->target.krel))
		u->diff.layout = arch_layout_for_kernel(b->target.krel);
	u->diff.name = u->source;
	if (u->module) {
		free(u->label);
		u->label = km_strfmt("%s (module %s)", u->source,
				     u->module->name);
		if (!u->label)
			return -ENOMEM;
		u->diff.name = u->label;
	}
	/* __LINE__ of the other files of the object would not follow it */
	if (reads_own_source(u) && b->lines)
		u->diff.lines = &b->lines[source_index(b, u->reads[0])];
	ret = km_diff_objects(&u->diff);
	if (ret == -KM_EUNPATCHABLE && u->module)
		km_info(b->ctx, "    note: module %s's __init and __exit code "
			"runs only when it loads or unloads: to change that, "
			"reload the module (modprobe -r %s; modprobe %s)",
			u->module->name, u->module->name, u->module->name);
	if (ret == KM_DIFF_NOCHANGE)
		km_info(b->ctx, "    no functional change in %s", u->source);
	if (ret)
		return ret;
	report_functions(b, u, &u->diff);
	u->changed = true;
	return note_new_globals(b, &u->diff);
}

/* A weak function the kernel overrides never runs: nothing to replace. */
static bool is_overridden(struct build *b, const struct unit *u,
			  const struct km_diff_func *f)
{
	if (!km_ksyms_is_overridden(&b->ksyms, f->orig))
		return false;
	km_info(b->ctx, "    note: '%s' of %s is weak, and %s runs another "
		"definition of it: its change has no effect there and is not "
		"applied", f->orig->name, u->source, b->target.krel);
	return true;
}

static const struct km_kmod_callback *
find_callback(const struct build *b, const char *object, const char *kind)
{
	size_t i;

	for (i = 0; i < b->nr_callbacks; i++)
		if (!strcmp(b->callbacks[i].kind, kind) &&
		    (b->callbacks[i].object == object ||
		     (object && b->callbacks[i].object &&
		      !strcmp(b->callbacks[i].object, object))))
			return &b->callbacks[i];
	return NULL;
}

/*
 * The object a callback belongs to, NULL for vmlinux: the one it names
 * (module names with '_' for '-', as the kernel has them), else the one
 * its file is built into.
 */
static char *callback_object(const struct unit *u,
			     const struct km_diff_callback *cb)
{
	char *name, *p;

	if (!cb->object || !cb->object[0])
		return u->module ? strdup(u->module->name) : NULL;
	if (!strcmp(cb->object, "vmlinux"))
		return NULL;
	name = strdup(cb->object);
	for (p = name; p && *p; p++)
		if (*p == '-')
			*p = '_';
	return name;
}

/* klp_object has one callback of each kind: two are an author's error. */
static int add_callback(struct build *b, const struct unit *u,
			const struct km_diff_callback *cb)
{
	const char *kind = km_callback_kind_name(cb->kind);
	char *object = callback_object(u, cb);
	const struct km_kmod_callback *other;
	struct km_kmod_callback *kc;
	void *n;

	if (!object && ((cb->object && cb->object[0] &&
			 strcmp(cb->object, "vmlinux")) ||
			((!cb->object || !cb->object[0]) && u->module)))
		return -ENOMEM;
	other = find_callback(b, object, kind);
	if (other) {
		km_err(b->ctx, "cannot build the patch: two %s callbacks for %s "
		       "('%s' of %s, and another): the kernel registers one "
		       "callback of each kind per object; call both from one "
		       "function", kind, object ? object : "vmlinux",
		       cb->sym->name, u->source);
		free(object);
		return -EINVAL;
	}
	n = realloc(b->callbacks, (b->nr_callbacks + 1) * sizeof(*b->callbacks));
	if (!n) {
		free(object);
		return -ENOMEM;
	}
	b->callbacks = n;
	kc = &b->callbacks[b->nr_callbacks++];
	kc->object = object;
	kc->kind = kind;
	kc->func = strdup(cb->alias);
	km_info(b->ctx, "    callback %s %s (%s)", kind,
		cb->sym->name, object ? object : "vmlinux");
	return kc->func ? 0 : -ENOMEM;
}

/* Writes the patch object of a changed unit and lists what it replaces. */
static int emit_unit(struct build *b, size_t index)
{
	struct unit *u = &b->units[index];
	struct km_ksym_resolver kr = { b->ctx, &b->ksyms, NULL, u->object,
				       &b->patch_globals, &b->namespaces };
	struct km_module_resolver mr = { b->ctx, &b->ksyms, u->module,
					 u->object, &b->patch_globals,
					 &b->namespaces };
	struct km_resolver res = { km_ksyms_resolve, &kr };
	char prefix[64];
	size_t i;
	int ret;

	kr.file = km_object_source_file(u->diff.orig);
	if (u->module) {
		res.resolve = km_module_resolve;
		res.data = &mr;
	}
	u->output = km_strfmt("%s/patch-%zu.o", b->work, index);
	snprintf(prefix, sizeof(prefix), KM_NEW_FUNC_PREFIX "%zu_", index);
	ret = u->output ? km_emit_object(&u->diff, &res, prefix, u->output)
			: -ENOMEM;
	for (i = 0; !ret && i < u->diff.nr_funcs; i++) {
		const struct km_diff_func *f = &u->diff.funcs[i];

		if (f->replaces && (u->module || !is_overridden(b, u, f)))
			ret = add_func(b, u, f, kr.file);
	}
	for (i = 0; !ret && i < u->diff.nr_callbacks; i++)
		ret = add_callback(b, u, &u->diff.callbacks[i]);
	return ret;
}

static int diff_units(struct build *b)
{
	double t0 = km_now();
	size_t i;
	int ret, refused = 0;

	if (km_hash_init(&b->patch_globals, 64) ||
	    km_hash_init(&b->namespaces, 8))
		return -ENOMEM;
	for (i = 0; i < b->nr_units; i++) {
		ret = diff_unit(b, i);
		if (ret == -KM_EUNPATCHABLE)
			refused++;
		else if (ret < 0)
			return ret;
	}
	for (i = 0; !refused && i < b->nr_units; i++) {
		if (!b->units[i].changed)
			continue;
		ret = emit_unit(b, i);
		if (ret == -KM_EUNPATCHABLE)
			refused++;
		else if (ret < 0)
			return ret;
	}
	if (refused)
		return -KM_EUNPATCHABLE;
	if (!b->nr_funcs && !b->nr_callbacks) {
		km_info(b->ctx, "no functional change: nothing to live patch");
		return KM_BUILD_NOCHANGE;
	}
	step_done(b, "comparing the objects", t0);
	return 0;
}

/* The function a relocation of patched code names, in its object. */
static struct kelf_sym *called_function(const struct kelf *e,
					const struct kelf_rela *r)
{
	struct kelf_sym *t = r->sym;

	if (t && t->type == STT_SECTION && t->sec)
		t = kelf_symbol_for(e, t->sec, r->addend + 4);
	return t && kelf_is_function(t) ? t : NULL;
}

/*
 * The unchanged functions of the object the new code uses in the kernel
 * (by name or by position): their code is the patch's premise too.
 */
static int prove_called(struct build *b, const struct unit *u,
			const struct km_diff_func *f, const char *file)
{
	const struct kelf_sym *s = f->sym;
	struct kelf_rela *r;
	size_t n, i;
	int ret = 0;

	if (!s->sec)
		return 0;
	r = kelf_relas_in(s->sec, s->sym.st_value,
			  s->sym.st_value + s->sym.st_size, &n);
	for (i = 0; !ret && i < n; i++) {
		struct kelf_sym *t = called_function(u->diff.patched, &r[i]);

		if (!t || !t->twin || t->status != KELF_SAME || t == s ||
		    !t->twin->sec || km_starts_with(t->twin->sec->name, ".init") ||
		    (t->bind != STB_LOCAL && !u->module &&
		     km_ksyms_is_exported(&b->ksyms, t->name)))
			continue;
		/* a weak one another file overrides: the kernel runs the other */
		if (!u->module && km_ksyms_is_overridden(&b->ksyms, t->twin))
			continue;
		ret = km_proof_check(&b->proof, u->diff.orig, t->twin, file,
				     u->module, "called");
	}
	return ret;
}

static int prove_unit(struct build *b, const struct unit *u)
{
	const char *file = km_object_source_file(u->diff.orig);
	size_t i;
	int ret = 0, refused = 0;

	for (i = 0; ret >= 0 && i < u->diff.nr_funcs; i++) {
		const struct km_diff_func *f = &u->diff.funcs[i];

		ret = 0;
		if (f->orig && (f->replaces || f->sym->copy) &&
		    (u->module || !km_ksyms_is_overridden(&b->ksyms, f->orig)))
			ret = km_proof_check(&b->proof, u->diff.orig, f->orig,
					     file, u->module,
					     km_func_role(f));
		if (!ret)
			ret = prove_called(b, u, f, file);
		if (ret == -KM_EUNPATCHABLE) {
			refused++;
			ret = 0;
		}
	}
	return ret ? ret : refused ? -KM_EUNPATCHABLE : 0;
}

/* Run-pre (proof.h): the pristine build is the code the kernel runs. */
static int prove_units(struct build *b)
{
	double t0 = km_now();
	size_t i;
	int ret, refused = 0;

	ret = km_proof_init(&b->proof, b->ctx, &b->ksyms, b->target.krel);
	if (ret)
		return ret;
	b->have_proof = true;
	km_proof_compilers(&b->proof, b->target.config);
	for (i = 0; i < b->nr_units; i++) {
		if (!b->units[i].changed)
			continue;
		ret = prove_unit(b, &b->units[i]);
		if (ret == -KM_EUNPATCHABLE)
			refused++;
		else if (ret)
			return ret;
	}
	if (refused)
		return -KM_EUNPATCHABLE;
	b->proof_object = km_strfmt("%s/proof.o", b->work);
	if (!b->proof_object)
		return -ENOMEM;
	for (i = 0; i < b->nr_units && !b->units[i].have_diff; i++)
		;
	ret = km_proof_write_object(&b->proof, b->units[i].diff.orig,
				    b->proof_object);
	if (!ret)
		step_done(b, "run-pre: the kernel's code is the source's", t0);
	km_debug(b->ctx, "run-pre checked %zu functions", b->proof.nr_funcs);
	return ret;
}

static int add_identity(struct build *b, const char *object, const char *file)
{
	char *id = km_build_id_of_file(file);
	void *n;

	if (!id) {
		km_warn(b->ctx, "warning: '%s' has no build-id: kmend load cannot "
			"tell a module built for another %s", file, object);
		return 0;
	}
	n = realloc(b->identity, (b->nr_identity + 1) * sizeof(*b->identity));
	if (n)
		b->identity = n;
	if (n)
		b->identity[b->nr_identity] = km_strfmt("%s:%s", object, id);
	free(id);
	if (!n || !b->identity[b->nr_identity])
		return -ENOMEM;
	b->nr_identity++;
	return 0;
}

/* The build-ids of the kernel and of the patched modules (modinfo). */
static int collect_identity(struct build *b)
{
	size_t i;
	int ret = add_identity(b, "vmlinux", b->target.vmlinux);

	for (i = 0; !ret && i < b->nr_modules; i++)
		ret = add_identity(b, b->modules[i]->name, b->modules[i]->path);
	return ret;
}

/* The namespaces of b->namespaces as a NULL-terminated list. */
static const char **namespace_list(const struct build *b, size_t *n)
{
	const char **list = calloc(b->namespaces.count + 1, sizeof(*list));
	size_t i;

	*n = 0;
	for (i = 0; list && i < b->namespaces.nr_buckets; i++) {
		const struct km_hash_entry *e;

		for (e = b->namespaces.buckets[i]; e; e = e->next)
			list[(*n)++] = e->key;
	}
	return list;
}

static void note_namespaces(struct build *b, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		km_info(b->ctx, "    imports symbol namespace %s", list[i]);
}

static int link_module(struct build *b)
{
	const char **objs = calloc(b->nr_units + 2, sizeof(*objs));
	struct km_kmod m = { 0 };
	const char **namespaces = NULL;
	char *kdir = km_strfmt("%s/module", b->work);
	char *link_env = b->tree.id ? km_strfmt("%s/kbuild-link-env-%d-%s",
						 b->tree.cache, KM_KBENV_FORMAT,
						 b->tree.id) : NULL;
	double t0 = km_now();
	size_t i;
	int ret;

	ret = objs && kdir ? km_mkdir_p(kdir, 0755) : -ENOMEM;
	for (i = 0; !ret && i < b->nr_units; i++)
		if (b->units[i].output)
			objs[m.nr_objects++] = b->units[i].output;
	if (!ret && b->proof_object)
		objs[m.nr_objects++] = b->proof_object;
	m.build_ids = (const char *const *)b->identity;
	m.nr_build_ids = b->nr_identity;
	m.name = b->name;
	m.krel = b->target.krel;
	m.headers = b->target.headers;
	m.kbuild_env = link_env;
	m.objects = objs;
	m.funcs = b->funcs;
	m.nr_funcs = b->nr_funcs;
	m.patches = b->opts->patches;
	m.nr_patches = b->opts->nr_patches;
	m.replace = b->opts->replace;
	m.callbacks = b->callbacks;
	m.nr_callbacks = b->nr_callbacks;
	namespaces = ret ? NULL : namespace_list(b, &m.nr_namespaces);
	if (!ret && !namespaces)
		ret = -ENOMEM;
	m.namespaces = namespaces;
	if (!ret)
		note_namespaces(b, namespaces, m.nr_namespaces);
	if (!ret)
		ret = km_kmod_build(b->ctx, &m, kdir, b->output);
	if (!ret)
		step_done(b, "linking the module with Kbuild", t0);
	free(objs);
	free(kdir);
	free(link_env);
	free(namespaces);
	return ret;
}

static int load_symbols(struct build *b)
{
	double t0 = km_now();
	int ret = km_ksyms_load(b->ctx, b->target.vmlinux, b->target.symvers,
				&b->ksyms);

	if (ret)
		return ret;
	b->have_ksyms = true;
	step_done(b, "reading the kernel's symbols", t0);
	return 0;
}

static int prepare_tree(struct build *b)
{
	double t0 = km_now();
	int ret = km_tree_prepare(b->ctx, &b->target, &b->tree);

	if (ret)
		return ret;
	b->have_tree = true;
	step_done(b, "the prepared source tree", t0);
	return 0;
}

static int create_scratch(struct build *b)
{
	char **paths = km_patch_touched_paths(b->patches, b->nr_patches);
	double t0 = km_now();
	int ret;

	if (!paths)
		return -errno;
	ret = km_scratch_create(b->ctx, &b->tree, (const char *const *)paths,
				&b->scratch);
	km_patch_paths_free(paths);
	if (ret)
		return ret;
	b->have_scratch = true;
	b->scratch.keep = b->opts->keep;
	step_done(b, "making a scratch view of the tree", t0);
	return 0;
}

static int setup(struct build *b)
{
	int ret;

	ret = km_target_find(b->ctx, &b->opts->target, &b->target);
	if (ret)
		return ret;
	ret = km_target_require(b->ctx, &b->target, KM_NEED_BUILD);
	if (ret)
		return ret;
	b->name = b->opts->name ? strdup(b->opts->name) :
		  km_kmod_default_name(b->opts->patches[0]);
	if (!b->name)
		return -ENOMEM;
	if (!km_kmod_is_valid_name(b->name)) {
		km_err(b->ctx, "'%s' is not a valid module name: use letters, "
		       "digits and '_' (55 at most)", b->name);
		return -EINVAL;
	}
	b->output = b->opts->output ? strdup(b->opts->output) :
		    km_strfmt("%s.ko", b->name);
	if (!b->output)
		return -ENOMEM;
	b->work = km_make_tempdir(b->ctx, "kmend-build");
	if (!b->work)
		return -errno;
	km_info(b->ctx, "building live patch '%s' for %s", b->name,
		b->target.krel);
	return 0;
}

static void cleanup(struct build *b)
{
	size_t i;

	if (b->have_scratch)
		km_scratch_release(b->ctx, &b->scratch);
	if (b->have_tree)
		km_tree_release(&b->tree);
	if (b->have_proof)
		km_proof_release(&b->proof);
	free(b->proof_object);
	for (i = 0; i < b->nr_identity; i++)
		free(b->identity[i]);
	free(b->identity);
	if (b->have_ksyms)
		km_ksyms_release(&b->ksyms);
	for (i = 0; i < b->nr_patches; i++)
		km_patch_release(&b->patches[i]);
	free(b->patches);
	for (i = 0; i < b->nr_units; i++)
		release_unit(&b->units[i]);
	km_hash_release(&b->patch_globals);
	km_buf_release(&b->layouts_reported);
	free(b->units);
	for (i = 0; i < b->nr_sources; i++) {
		free(b->sources[i]);
		if (b->lines)
			km_linemap_release(&b->lines[i]);
	}
	free(b->sources);
	free(b->lines);
	for (i = 0; i < b->nr_headers; i++) {
		free(b->headers[i].path);
		free(b->headers[i].name);
		km_linemap_release(&b->headers[i].lines);
	}
	free(b->headers);
	km_deps_free(b->deps);
	for (i = 0; i < b->nr_modules; i++) {
		km_module_release(b->modules[i]);
		free(b->modules[i]);
	}
	free(b->modules);
	for (i = 0; i < b->nr_funcs; i++) {
		free(b->funcs[i].object);
		free(b->funcs[i].old_name);
		free(b->funcs[i].new_name);
	}
	free(b->funcs);
	for (i = 0; i < b->nr_callbacks; i++) {
		free(b->callbacks[i].object);
		free(b->callbacks[i].func);
	}
	free(b->callbacks);
	km_hash_release(&b->namespaces);
	if (b->work && b->opts->keep)
		km_info(b->ctx, "work files kept in %s", b->work);
	else if (b->work)
		km_rm_rf(b->work);
	free(b->work);
	free(b->name);
	free(b->output);
	km_target_release(&b->target);
}

int km_build(struct km_ctx *ctx, const struct km_build_opts *opts)
{
	struct build b = { .ctx = ctx, .opts = opts };
	double t0 = km_now();
	int ret;

	ret = setup(&b);
	if (!ret)
		ret = read_patches(&b);
	if (!ret)
		ret = collect_sources(&b);
	if (!ret)
		ret = load_symbols(&b);
	if (!ret)
		ret = prepare_tree(&b);
	if (!ret)
		ret = create_scratch(&b);
	if (!ret)
		ret = check_patches_apply(&b);
	if (!ret)
		ret = place_sources(&b);
	if (!ret)
		ret = place_headers(&b);
	if (!ret)
		ret = prune_candidates(&b);
	if (!ret)
		ret = compile_units(&b, false);
	if (!ret)
		ret = apply_patches(&b);
	if (!ret)
		ret = compile_units(&b, true);
	if (!ret)
		ret = diff_units(&b);
	if (!ret)
		ret = prove_units(&b);
	if (!ret)
		ret = collect_identity(&b);
	if (!ret)
		ret = link_module(&b);
	if (!ret)
		km_info(ctx, "wrote %s (%zu function%s replaced%s) in %.1f s",
			b.output, b.nr_funcs, b.nr_funcs == 1 ? "" : "s",
			b.nr_callbacks ? ", callbacks" : "", km_now() - t0);
	cleanup(&b);
	return ret;
}
