// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "author.h"
#include "arch.h"
#include "build.h"
#include "filekind.h"
#include "diff.h"
#include "emit.h"
#include "kbuild.h"
#include "kmod.h"
#include "kmodule.h"
#include "ksym.h"
#include "ktree.h"
#include "linedir.h"
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
	case KM_FILE_HEADER:
		return "changes to headers are not supported yet";
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

static int collect_sources(struct build *b)
{
	size_t i, j;
	int ret;

	for (i = 0; i < b->nr_patches; i++) {
		const struct km_patch *p = &b->patches[i];

		for (j = 0; j < p->nr_files; j++) {
			ret = check_file(b, p, &p->files[j]);
			if (!ret && km_file_kind(p->files[j].path) == KM_FILE_C &&
			    !(p->files[j].flags & (KM_PATCH_NEW | KM_PATCH_DELETED)))
				ret = add_source(b, p->files[j].path);
			if (ret)
				return ret;
		}
	}
	if (b->refused)
		return -KM_EUNPATCHABLE;
	if (!b->nr_sources) {
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
		ret = km_copy_file(src, patched ? u->patched : u->orig);
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

static int compile_units(struct build *b, bool patched)
{
	const char **objs = unit_objects(b);
	double t0 = km_now();
	int ret;

	if (!objs)
		return -ENOMEM;
	/* the pristine kernel never sees them: they are the patch's */
	b->scratch.author_include = patched ? b->opts->author_include : NULL;
	ret = km_scratch_compile(b->ctx, &b->scratch, objs);
	free(objs);
	if (!ret && !patched)
		ret = place_in_modules(b);
	if (!ret && !patched)
		ret = check_reads(b);
	if (!ret)
		ret = copy_out_objects(b, patched);
	if (!ret)
		step_done(b, patched ? "compiling the patched files" :
				       "compiling the pristine files", t0);
	return ret;
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
		b->lines = calloc(b->nr_sources, sizeof(*b->lines));
		ret = b->lines ? 0 : -ENOMEM;
	}
	for (i = 0; !ret && i < b->nr_sources; i++)
		ret = add_line_directives(b, b->sources[i], &b->lines[i]);
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
	b->work = km_make_tempdir("kmend-build");
	if (!b->output || !b->work)
		return -errno ? -errno : -ENOMEM;
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
	free(b->units);
	for (i = 0; i < b->nr_sources; i++) {
		free(b->sources[i]);
		if (b->lines)
			km_linemap_release(&b->lines[i]);
	}
	free(b->sources);
	free(b->lines);
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
		ret = place_sources(&b);
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
