// SPDX-License-Identifier: GPL-2.0
/*
 * The differ: pair the symbols (correlate.c), compare them (compare.c),
 * and decide what the live patch carries and what it cannot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "callers.h"
#include "author.h"
#include "compare.h"
#include "correlate.h"
#include "diff.h"
#include "identity.h"
#include "layout.h"
#include "reloc.h"
#include "util.h"

#define refuse(d, ...) do {				\
	km_err((d)->ctx, __VA_ARGS__);			\
	(d)->nr_refused++;				\
} while (0)

const char *km_status_name(enum kelf_status status)
{
	switch (status) {
	case KELF_CHANGED:
		return "changed";
	case KELF_NEW:
		return "new";
	default:
		return "same";
	}
}

const char *km_func_role(const struct km_diff_func *f)
{
	if (f->sym->copy)
		return "carried";
	if (f->sym->via)
		return "replaced";
	return km_status_name(f->status);
}

/* The layout an object's alternatives show; 6.1's when they show none. */
static const struct arch_layout *layout_of_objects(const struct km_diff *d)
{
	const struct arch_layout *l;

	l = arch_layout_fitting(kelf_find_section(d->patched, ".altinstructions"));
	if (!l)
		l = arch_layout_fitting(kelf_find_section(d->orig,
							  ".altinstructions"));
	return l ? l : arch_layout_default();
}

int km_diff_open(struct km_ctx *ctx, struct km_diff *d, const char *orig,
		 const char *patched)
{
	memset(d, 0, sizeof(*d));
	d->ctx = ctx;
	d->orig = kelf_open(ctx, orig);
	if (!d->orig)
		return -errno;
	d->patched = kelf_open(ctx, patched);
	if (!d->patched) {
		int err = errno;

		kelf_free(d->orig);
		d->orig = NULL;
		return -err;
	}
	d->name = d->patched->path;
	d->layout = layout_of_objects(d);
	return 0;
}

void km_diff_release(struct km_diff *d)
{
	size_t i;

	for (i = 0; i < d->nr_funcs; i++)
		free(d->funcs[i].alias);
	free(d->funcs);
	free(d->referenced);
	km_author_release(d);
	km_entries_release(d);
	kelf_free(d->orig);
	kelf_free(d->patched);
	memset(d, 0, sizeof(*d));
}

/* --- functions --- */

static unsigned int read_le32(const unsigned char *b)
{
	return (unsigned int)b[0] | (unsigned int)b[1] << 8 |
	       (unsigned int)b[2] << 16 | (unsigned int)b[3] << 24;
}

/*
 * Is the differing run [i, j) of bytes one 32-bit immediate that held
 * __LINE__: an old line number whose line moved to the new value?
 */
static bool is_moved_line(const struct km_diff *d, const unsigned char *a,
			  const unsigned char *b, size_t size, size_t i, size_t j)
{
	size_t start = j > 4 ? j - 4 : 0;

	for (; start <= i && start + 4 <= size; start++) {
		long old_line = (long)read_le32(a + start);
		long new_line = (long)read_le32(b + start);

		if (old_line > 0 && old_line < (1L << 20) &&
		    km_linemap_new_line(d->lines, old_line) == new_line)
			return true;
	}
	return false;
}

/* Do the functions differ only in line numbers, as the line map moved them? */
static bool only_lines_differ(struct km_diff *d, const struct kelf_sym *p,
			      const struct kelf_sym *o)
{
	const unsigned char *a, *b;
	size_t n = p->sym.st_size, i = 0, j;

	if (!d->lines || n != o->sym.st_size || !p->sec->data || !o->sec->data ||
	    !km_same_relocations(d, p, o) || !km_same_entries_but_lines(d, p, o))
		return false;
	a = o->sec->data + o->sym.st_value;
	b = p->sec->data + p->sym.st_value;
	while (i < n) {
		if (a[i] == b[i]) {
			i++;
			continue;
		}
		for (j = i; j < n && a[j] != b[j]; j++)
			;
		if (j - i > 4 || !is_moved_line(d, a, b, n, i, j))
			return false;
		i = j;
	}
	return true;
}

static bool is_code(const struct kelf_sym *s)
{
	return kelf_is_function(s) && kelf_is_text(s->sec);
}

static void compare_functions(struct km_diff *d)
{
	struct kelf_sym *p;

	for_each_sym(d->patched, p) {
		if (!is_code(p))
			continue;
		d->comparing_init = km_is_init_code(p);
		if (!p->twin)
			p->status = KELF_NEW;
		else if (!km_same_contents(d, p, p->twin))
			p->status = KELF_CHANGED;
		d->comparing_init = false;
		/* code that already ran at boot: a moved __LINE__ is no change */
		if (p->status == KELF_CHANGED && km_is_init_code(p) &&
		    only_lines_differ(d, p, p->twin)) {
			km_debug(d->ctx, "%s: only line numbers moved in __init "
				 "function '%s'", d->name, p->name);
			p->status = KELF_SAME;
		}
	}
}

/* A function the fix removes stays in the kernel: say so, it is no change. */
static void note_removed_functions(struct km_diff *d)
{
	struct kelf_sym *o;

	for_each_sym(d->orig, o) {
		if (!is_code(o) || o->twin || km_is_init_code(o) || km_is_cold_part(o) ||
		    km_is_numbered_name(o->name) ||
		    kelf_find_symbol(d->patched, o->name))
			continue;
		km_info(d->ctx, "    note: '%s' is gone from %s: a live patch "
			"leaves the kernel's copy in place (callers elsewhere may "
			"still reach it)", o->name, d->name);
	}
}

/* foo.cold is reached only by jumps from foo: it changes with foo. */
static void link_cold_parts(struct km_diff *d)
{
	struct kelf_sym *p;

	for_each_sym(d->patched, p) {
		char *base;

		if (!kelf_is_function(p) || !km_is_cold_part(p))
			continue;
		base = strndup(p->name, (size_t)(strstr(p->name, ".cold") - p->name));
		if (!base)
			continue;
		p->parent = kelf_find_symbol(d->patched, base);
		free(base);
		if (p->parent && p->status != KELF_SAME &&
		    p->parent->status == KELF_SAME)
			p->parent->status = KELF_CHANGED;
	}
}

/* --- data --- */

static void refuse_moved(struct km_diff *d, const struct kelf_sym *p)
{
	const struct kelf_sym *o = p->moved;

	refuse(d, "cannot live patch '%s': variable '%s' moves from %s "
	       "(section %s) to %s (section %s): the kernel keeps its copy "
	       "where it is, so this is a change of data a live patch cannot "
	       "make; keep the declaration as it is, or add new state with a "
	       "shadow variable", d->name, p->name,
	       km_kind_name(km_section_kind(o->sec)), o->sec->name,
	       km_kind_name(km_section_kind(p->sec)), p->sec->name);
}

static void refuse_changed_data(struct km_diff *d, const struct kelf_sym *p)
{
	bool resized = p->twin->sym.st_size != p->sym.st_size;
	enum km_sec_kind kind = km_section_kind(p->sec);

	if (km_kind_is_init(kind)) {
		refuse(d, "cannot live patch '%s': %s '%s' (section %s) "
		       "changes: it was used at boot and is gone; apply the "
		       "fix with a reboot", d->name, km_kind_name(kind),
		       p->name, p->sec->name);
		return;
	}
	refuse(d, "cannot live patch '%s': %s '%s' (section %s) changes "
	       "its %s: a live patch cannot change data that the running "
	       "kernel already holds; change the code that uses it instead, "
	       "or add new state with a shadow variable", d->name,
	       km_kind_is_readonly(kind) ? "constant" : "variable", p->name,
	       p->sec->name, resized ? "size (data layout)" : "initial value");
}

/*
 * A variable nothing in the object refers to, in a section that is not its
 * own (.data.NAME, .bss.NAME, .rodata.NAME): an entry of a table the kernel
 * walks (a module parameter, a PCI fixup, ...), which only the kernel's
 * boot or module loader would register.
 */
static bool is_table_entry(struct km_diff *d, const struct kelf_sym *p)
{
	const char *sec = p->sec->name;
	size_t n = strlen(p->name), m = strlen(sec);

	if (km_kind_is_init(km_section_kind(p->sec)) || !d->referenced ||
	    d->referenced[p->index])
		return false;
	if (m > n && !strcmp(sec + m - n, p->name) && sec[m - n - 1] == '.')
		return false;	/* a section of its own */
	return true;
}

static void compare_data(struct km_diff *d)
{
	struct kelf_sym *p;

	for_each_sym(d->patched, p) {
		if (!kelf_is_object(p) || arch_is_ignored_section(p->sec->name) ||
		    km_is_author_section(p->sec->name) ||
		    km_is_ignored_by_author(d, p->sec))
			continue;
		if (p->moved && !p->twin) {
			p->status = KELF_CHANGED;
			refuse_moved(d, p);
			continue;
		}
		if (!p->twin) {
			p->status = KELF_NEW;
			if (is_table_entry(d, p))
				refuse(d, "cannot live patch '%s': new entry '%s' "
				       "in section %s, a table the kernel reads at "
				       "boot or load time: a live patch cannot "
				       "register it", d->name, p->name,
				       p->sec->name);
			continue;
		}
		/* never shared with the kernel: copied where used */
		if (km_is_carried_constant(p) || km_same_contents(d, p, p->twin))
			continue;
		p->status = KELF_CHANGED;
		refuse_changed_data(d, p);
	}
}

/* --- tables the kernel walks --- */

/* Sections some relocation of e points into. */
static bool *referenced_sections(const struct kelf *e)
{
	bool *ref = calloc(e->nr_secs, sizeof(*ref));
	struct kelf_sec *s;
	struct kelf_rela *r;

	if (!ref)
		return NULL;
	for_each_sec(e, s)
		for_each_rela(s, r)
			if (r->sym->sec)
				ref[r->sym->sec->index] = true;
	return ref;
}

static bool has_entries_outside_symbols(const struct kelf *e,
					const struct kelf_sec *sec)
{
	struct kelf_rela *r;

	for_each_rela(sec, r)
		if (!kelf_symbol_at(e, sec, r->offset))
			return true;
	return false;
}

/*
 * A section nothing points into, with entries that no variable holds, is a
 * table the kernel walks (PCI fixups, initcalls, ...).  kmend cannot tell
 * what its entries mean: when one changes, refuse rather than drop it.
 */
static int check_tables(struct km_diff *d)
{
	bool *ref = referenced_sections(d->patched);
	struct kelf_sec *s;

	if (!ref)
		return -ENOMEM;
	for_each_sec(d->patched, s) {
		const struct kelf_sec *o;

		if (!(s->sh.sh_flags & SHF_ALLOC) || kelf_is_text(s) ||
		    ref[s->index] || !s->nr_relas || s->sh.sh_type == SHT_RELA ||
		    arch_special_section(s->name) ||
		    arch_runtime_const_ptr(s->name) ||
		    arch_runtime_const_shift(s->name) ||
		    arch_is_ignored_section(s->name) ||
		    km_is_author_section(s->name) ||
		    km_is_ignored_by_author(d, s) ||
		    km_kind_is_init(km_section_kind(s)) ||
		    !has_entries_outside_symbols(d->patched, s))
			continue;
		o = kelf_find_section(d->orig, s->name);
		if (o && km_same_section(d, s, o))
			continue;
		refuse(d, "cannot live patch '%s': section %s, a table the "
		       "kernel reads at boot or load time, %s: kmend does not "
		       "know its layout, and a live patch cannot register or "
		       "change its entries", d->name, s->name,
		       o ? "changes" : "is new");
	}
	free(ref);
	return 0;
}

/* --- what the patch carries --- */

/*
 * Functions without a section of their own: with -ffunction-sections only
 * attributes (__sched, noinstr, .ref.text ...) put several in one, and the
 * emitter carries each one's bytes alone; plain .text means the object was
 * not compiled for live patching at all.
 */
static bool lacks_function_sections(const struct kelf_sym *p)
{
	return p->sec->func != p && !strcmp(p->sec->name, ".text");
}

static void check_function(struct km_diff *d, const struct kelf_sym *p)
{
	enum km_sec_kind kind = km_section_kind(p->sec);

	if (kind == KM_KIND_EXIT_TEXT) {
		refuse(d, "cannot live patch '%s': %s function '%s' is %s "
		       "(section %s): built in, the kernel discarded it, and in "
		       "a module it runs only at unload, which a live patch "
		       "cannot reach; apply the fix with a reboot (or, for a "
		       "module, by reloading it)", d->name,
		       km_status_name(p->status), p->name, km_kind_name(kind),
		       p->sec->name);
		return;
	}
	if (km_kind_is_init(kind)) {
		refuse(d, "cannot live patch '%s': %s function '%s' is %s "
		       "(section %s): it %s at boot and is gone; apply the fix "
		       "with a reboot", d->name, km_status_name(p->status),
		       p->name, km_kind_name(kind), p->sec->name,
		       p->status == KELF_NEW ? "would have run" : "ran");
		return;
	}
	if (lacks_function_sections(p))
		refuse(d, "cannot live patch '%s': function '%s' does not have "
		       "a section of its own: compile with -ffunction-sections "
		       "-fdata-sections", d->name, p->name);
}

static int add_func(struct km_diff *d, struct kelf_sym *p)
{
	struct km_diff_func *f;
	void *n = realloc(d->funcs, (d->nr_funcs + 1) * sizeof(*d->funcs));

	if (!n)
		return -ENOMEM;
	d->funcs = n;
	f = &d->funcs[d->nr_funcs++];
	memset(f, 0, sizeof(*f));
	f->sym = p;
	f->orig = p->twin;
	f->status = p->status;
	f->replaces = p->status == KELF_CHANGED && !km_is_cold_part(p) && !p->copy;
	if (f->replaces)
		d->nr_replaced++;
	if (p->status == KELF_NEW && p->bind != STB_LOCAL)
		d->nr_new_global++;
	p->include = true;
	return 0;
}

static int collect_functions(struct km_diff *d)
{
	struct kelf_sym *p;
	int ret;

	for_each_sym(d->patched, p) {
		if (!is_code(p))
			continue;
		/* a cold part travels with its parent */
		if (km_is_cold_part(p) && p->parent && p->parent->status != KELF_SAME)
			p->status = p->twin ? KELF_CHANGED : KELF_NEW;
		if (p->status == KELF_SAME)
			continue;
		check_function(d, p);
		ret = add_func(d, p);
		if (ret)
			return ret;
	}
	return 0;
}

int km_diff_objects(struct km_diff *d)
{
	int ret;

	ret = km_layout_check(d->ctx, d->name, d->orig->path, d->patched->path,
			      d->layouts_reported);
	if (!ret)
		ret = km_correlate(d);
	if (!ret)
		ret = km_index_entries(d);
	if (ret)
		return ret;
	d->referenced = kelf_referenced_symbols(d->patched, true);
	if (!d->referenced)
		return -ENOMEM;
	compare_functions(d);
	note_removed_functions(d);
	link_cold_parts(d);
	ret = km_read_author_sections(d);
	if (ret)
		return ret;
	compare_data(d);
	ret = check_tables(d);
	if (!ret)
		ret = km_replace_untraceable(d);
	if (!ret)
		ret = collect_functions(d);
	if (!ret)
		ret = d->error;
	if (ret)
		return ret;
	if (d->nr_refused)
		return -KM_EUNPATCHABLE;
	if (!d->nr_replaced && !d->nr_new_global && !d->nr_callbacks)
		return KM_DIFF_NOCHANGE;
	return 0;
}
