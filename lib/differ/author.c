// SPDX-License-Identifier: GPL-2.0
/*
 * The patch author's requests (author.h).  Each section is a table of
 * 8-byte pointers (ignore, force) or of 16-byte callback entries (the
 * function, then its object's name or NULL), with one relocation per
 * pointer: the data say nothing, the relocations say it all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "author.h"
#include "reloc.h"
#include "util.h"

#define refuse(d, ...) do {				\
	km_err((d)->ctx, __VA_ARGS__);			\
	(d)->nr_refused++;				\
} while (0)

static const char *const kind_names[KM_NR_CALLBACK_KINDS] = {
	[KM_PRE_PATCH] = "pre_patch",
	[KM_POST_PATCH] = "post_patch",
	[KM_PRE_UNPATCH] = "pre_unpatch",
	[KM_POST_UNPATCH] = "post_unpatch",
};

const char *km_callback_kind_name(enum km_callback_kind kind)
{
	return kind < KM_NR_CALLBACK_KINDS ? kind_names[kind] : "?";
}

/* ".kmend.callbacks.pre_patch" -> "callbacks.pre_patch" */
static const char *author_suffix(const char *name)
{
	if (km_starts_with(name, ".kmend."))
		return name + strlen(".kmend.");
	if (km_starts_with(name, ".kpatch."))
		return name + strlen(".kpatch.");
	return NULL;
}

bool km_is_author_section(const char *name)
{
	return author_suffix(name) != NULL;
}

/* The target of the pointer at offset `at` of sec, or -ENOENT. */
static int pointer_at(struct km_diff *d, const struct kelf_sec *sec,
		      GElf_Addr at, struct kelf_target *t)
{
	struct kelf_rela *r;
	size_t n;

	r = kelf_relas_in(sec, at, at + 8, &n);
	if (!n)
		return -ENOENT;
	if (n != 1 || r->offset != at)
		return -EINVAL;
	return kelf_target_of(d->ctx, d->patched, sec, r, t);
}

/* The function a pointer names (a symbol of the patched object). */
static struct kelf_sym *function_at(struct km_diff *d,
				    const struct kelf_sec *sec, GElf_Addr at)
{
	struct kelf_target t;

	if (pointer_at(d, sec, at, &t) || !t.sym || !t.sec || t.off ||
	    !kelf_is_function(t.sym))
		return NULL;
	return t.sym;
}

/* The string a pointer names (a literal of the patched object), or NULL. */
static const char *string_at(struct km_diff *d, const struct kelf_sec *sec,
			     GElf_Addr at)
{
	struct kelf_target t;
	GElf_Sxword off;

	if (pointer_at(d, sec, at, &t) || !t.sec || !t.sec->data)
		return NULL;
	off = kelf_target_section_offset(&t);
	if (off < 0 || (size_t)off >= t.sec->size ||
	    !memchr(t.sec->data + off, '\0', t.sec->size - (size_t)off))
		return NULL;
	return (const char *)t.sec->data + off;
}

static bool is_valid_object_name(const char *name)
{
	size_t n = strlen(name), i;

	if (!n || n > 55)
		return false;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_-", name[i]))
			return false;
	return true;
}

static bool is_entries_of(struct km_diff *d, const struct kelf_sec *sec,
			  size_t entsize)
{
	if (sec->size % entsize == 0 && sec->data)
		return true;
	refuse(d, "cannot build '%s': section %s holds %zu bytes, not a whole "
	       "number of %zu-byte entries: was it written by the macros of "
	       "<kmend/livepatch.h>?", d->name, sec->name, sec->size, entsize);
	return false;
}

static int add_callback(struct km_diff *d, enum km_callback_kind kind,
			struct kelf_sym *fn, const char *object)
{
	struct km_diff_callback *cb;
	void *n = realloc(d->callbacks,
			  (d->nr_callbacks + 1) * sizeof(*d->callbacks));

	if (!n)
		return -ENOMEM;
	d->callbacks = n;
	cb = &d->callbacks[d->nr_callbacks];
	memset(cb, 0, sizeof(*cb));
	cb->kind = kind;
	cb->sym = fn;
	if (object) {
		cb->object = strdup(object);
		if (!cb->object)
			return -ENOMEM;
	}
	d->nr_callbacks++;
	return 0;
}

/* A callback is new code of the patch: the kernel has nothing to call. */
static bool is_new_function(struct km_diff *d, const struct kelf_sym *fn,
			    enum km_callback_kind kind)
{
	if (!fn->twin)
		return true;
	refuse(d, "cannot build '%s': %s callback '%s' is a function the "
	       "kernel already has: a callback must be a function the patch "
	       "adds", d->name, km_callback_kind_name(kind), fn->name);
	return false;
}

static int read_callbacks(struct km_diff *d, struct kelf_sec *sec,
			  enum km_callback_kind kind)
{
	size_t i;
	int ret;

	if (!is_entries_of(d, sec, 16))
		return 0;
	for (i = 0; i < sec->size / 16; i++) {
		struct kelf_sym *fn = function_at(d, sec, i * 16);
		const char *object = NULL;
		struct kelf_target t;

		if (!fn) {
			refuse(d, "cannot build '%s': entry %zu of %s does not "
			       "name a function of the file", d->name, i,
			       sec->name);
			continue;
		}
		if (!pointer_at(d, sec, i * 16 + 8, &t)) {
			object = string_at(d, sec, i * 16 + 8);
			if (!object || !is_valid_object_name(object)) {
				refuse(d, "cannot build '%s': the object of %s "
				       "callback '%s' is not a string naming "
				       "vmlinux or a module", d->name,
				       km_callback_kind_name(kind), fn->name);
				continue;
			}
		}
		if (!is_new_function(d, fn, kind))
			continue;
		ret = add_callback(d, kind, fn, object);
		if (ret)
			return ret;
	}
	return 0;
}

static void ignore_function(struct km_diff *d, struct kelf_sym *fn,
			    const char *why)
{
	struct kelf_sym *p;

	if (fn->status != KELF_SAME)
		km_info(d->ctx, "    note: %s '%s' of %s: its changes are not "
			"carried, as the patch asks", why, fn->name, d->name);
	fn->status = KELF_SAME;
	for_each_sym(d->patched, p)
		if (p->parent == fn)
			p->status = KELF_SAME;
}

static void read_ignored_functions(struct km_diff *d, struct kelf_sec *sec)
{
	size_t i;

	if (!is_entries_of(d, sec, 8))
		return;
	for (i = 0; i < sec->size / 8; i++) {
		struct kelf_sym *fn = function_at(d, sec, i * 8);

		if (fn)
			ignore_function(d, fn, "ignored function");
		else
			refuse(d, "cannot build '%s': entry %zu of %s does not "
			       "name a function of the file", d->name, i,
			       sec->name);
	}
}

static int read_ignored_sections(struct km_diff *d, struct kelf_sec *sec)
{
	size_t i;

	if (!is_entries_of(d, sec, 8))
		return 0;
	for (i = 0; i < sec->size / 8; i++) {
		const char *name = string_at(d, sec, i * 8);
		void *n;

		if (!name) {
			refuse(d, "cannot build '%s': entry %zu of %s is not a "
			       "section name", d->name, i, sec->name);
			continue;
		}
		n = realloc(d->ignored_sections, (d->nr_ignored_sections + 1) *
			    sizeof(*d->ignored_sections));
		if (!n)
			return -ENOMEM;
		d->ignored_sections = n;
		d->ignored_sections[d->nr_ignored_sections] = strdup(name);
		if (!d->ignored_sections[d->nr_ignored_sections])
			return -ENOMEM;
		d->nr_ignored_sections++;
	}
	return 0;
}

bool km_is_ignored_by_author(const struct km_diff *d,
			     const struct kelf_sec *sec)
{
	size_t i;

	for (i = 0; sec && i < d->nr_ignored_sections; i++)
		if (!strcmp(sec->name, d->ignored_sections[i]))
			return true;
	return false;
}

static void ignore_sections(struct km_diff *d)
{
	struct kelf_sym *p;

	for_each_sym(d->patched, p)
		if (kelf_is_function(p) && km_is_ignored_by_author(d, p->sec))
			ignore_function(d, p, "function in ignored section");
}

/* 6.1's klp_func has no per-function switch: say what happens instead. */
static void read_forced_functions(struct km_diff *d, struct kelf_sec *sec)
{
	size_t i;

	if (!is_entries_of(d, sec, 8))
		return;
	for (i = 0; i < sec->size / 8; i++) {
		struct kelf_sym *fn = function_at(d, sec, i * 8);

		km_info(d->ctx, "    note: %s asks to switch '%s' without the "
			"consistency check (FORCE_UNSAFE): this kernel's livepatch "
			"has no such switch per function; it is patched like the "
			"others (if the transition stalls, writing 1 to "
			"/sys/kernel/livepatch/NAME/force forces the whole patch)",
			d->name, fn ? fn->name : "?");
	}
}

static int read_section(struct km_diff *d, struct kelf_sec *sec)
{
	const char *what = author_suffix(sec->name);
	int kind;

	for (kind = 0; kind < KM_NR_CALLBACK_KINDS; kind++)
		if (km_starts_with(what, "callbacks.") &&
		    !strcmp(what + strlen("callbacks."), kind_names[kind]))
			return read_callbacks(d, sec, kind);
	if (!strcmp(what, "ignore.functions"))
		read_ignored_functions(d, sec);
	else if (!strcmp(what, "ignore.sections"))
		return read_ignored_sections(d, sec);
	else if (!strcmp(what, "force"))
		read_forced_functions(d, sec);
	else
		refuse(d, "cannot build '%s': section %s is not one kmend "
		       "knows (callbacks.{pre,post}_{patch,unpatch}, "
		       "ignore.functions, ignore.sections, force)", d->name,
		       sec->name);
	return 0;
}

int km_read_author_sections(struct km_diff *d)
{
	struct kelf_sec *sec;
	int ret;

	for_each_sec(d->patched, sec) {
		if (!km_is_author_section(sec->name) || kelf_is_rela(sec))
			continue;
		ret = read_section(d, sec);
		if (ret)
			return ret;
	}
	ignore_sections(d);
	return 0;
}

void km_author_release(struct km_diff *d)
{
	size_t i;

	for (i = 0; i < d->nr_callbacks; i++) {
		free(d->callbacks[i].object);
		free(d->callbacks[i].alias);
	}
	free(d->callbacks);
	for (i = 0; i < d->nr_ignored_sections; i++)
		free(d->ignored_sections[i]);
	free(d->ignored_sections);
	d->callbacks = NULL;
	d->nr_callbacks = 0;
	d->ignored_sections = NULL;
	d->nr_ignored_sections = 0;
}
