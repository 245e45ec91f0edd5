// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "diff.h"
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
	return 0;
}

void km_diff_release(struct km_diff *d)
{
	size_t i;

	for (i = 0; i < d->nr_funcs; i++)
		free(d->funcs[i].alias);
	free(d->funcs);
	kelf_free(d->orig);
	kelf_free(d->patched);
	memset(d, 0, sizeof(*d));
}

/* --- correlation --- */

static bool is_named(const struct kelf_sym *s)
{
	return s->index && *s->name && s->type != STT_SECTION &&
	       s->type != STT_FILE;
}

/* "__func__.12" -> length of "__func__"; 0 when there is no ".N" suffix. */
static size_t suffix_base_len(const char *name)
{
	const char *dot = strrchr(name, '.');
	const char *p;

	if (!dot || dot == name || !dot[1])
		return 0;
	for (p = dot + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return (size_t)(dot - name);
}

static bool same_base(const struct kelf_sym *a, const struct kelf_sym *b)
{
	size_t la = suffix_base_len(a->name), lb = suffix_base_len(b->name);

	return la && la == lb && !strncmp(a->name, b->name, la);
}

static void twin_symbols(struct kelf_sym *p, struct kelf_sym *o)
{
	p->twin = o;
	o->twin = p;
}

static void correlate_by_name(struct km_diff *d)
{
	struct kelf_sym *p, *o;

	for_each_sym(d->patched, p) {
		if (!is_named(p))
			continue;
		o = kelf_find_symbol(d->orig, p->name);
		if (o && !o->twin && o->type == p->type &&
		    (o->sec != NULL) == (p->sec != NULL))
			twin_symbols(p, o);
	}
}

/* A local symbol of func's relocations with the same base name as sym. */
static struct kelf_sym *find_sibling_ref(const struct kelf_sym *func,
					 const struct kelf_sym *sym)
{
	struct kelf_sym *found = NULL;
	struct kelf_rela *r;
	size_t n, i;

	r = kelf_relas_in(func->sec, func->sym.st_value,
			  func->sym.st_value + func->sym.st_size, &n);
	for (i = 0; i < n; i++) {
		if (r[i].sym->twin || !same_base(r[i].sym, sym))
			continue;
		if (found && found != r[i].sym)
			return NULL;	/* ambiguous */
		found = r[i].sym;
	}
	return found;
}

static bool references(const struct kelf_sym *func, const struct kelf_sym *sym)
{
	struct kelf_rela *r;
	size_t n, i;

	r = kelf_relas_in(func->sec, func->sym.st_value,
			  func->sym.st_value + func->sym.st_size, &n);
	for (i = 0; i < n; i++)
		if (r[i].sym == sym || (r[i].sym->type == STT_SECTION &&
					r[i].sym->sec == sym->sec))
			return true;
	return false;
}

/*
 * Compiler-numbered locals (__func__.3, __already_done.12) are renumbered
 * when the file changes: pair them through the function that uses them.
 */
static void correlate_numbered(struct km_diff *d)
{
	struct kelf_sym *p, *f, *o;

	for_each_sym(d->patched, p) {
		if (p->twin || !is_named(p) || !suffix_base_len(p->name) || !p->sec)
			continue;
		for_each_sym(d->patched, f) {
			if (!kelf_is_function(f) || !f->twin || !references(f, p))
				continue;
			o = find_sibling_ref(f->twin, p);
			if (o && o->type == p->type) {
				twin_symbols(p, o);
				break;
			}
		}
	}
}

static void correlate_sections(struct km_diff *d)
{
	struct kelf_sym *p;
	struct kelf_sec *s;

	for_each_sym(d->patched, p)
		if (p->twin && p->sec && p->twin->sec && p->sec->func == p &&
		    p->twin->sec->func == p->twin) {
			p->sec->twin = p->twin->sec;
			p->twin->sec->twin = p->sec;
		}
	for_each_sec(d->patched, s) {
		struct kelf_sec *o;

		if (s->twin || s->func)
			continue;
		o = kelf_find_section(d->orig, s->name);
		if (o && !o->twin && !o->func) {
			s->twin = o;
			o->twin = s;
		}
	}
}

/* --- comparison --- */

enum target_kind { TARGET_SYM, TARGET_STR, TARGET_ANON };

struct target {
	enum target_kind kind;
	const struct kelf_sym *sym;
	const struct kelf_sec *sec;
	GElf_Sxword off;
	bool pc_relative;
};

/* Where a relocation points, as a symbol + offset where there is one. */
static struct target canonical_target(const struct kelf *e,
				      const struct kelf_rela *r)
{
	struct target t = { TARGET_SYM, r->sym, r->sym->sec, r->addend,
			    arch_is_pc_relative(r->type) };
	const struct kelf_sym *s;
	GElf_Sxword pos;

	if (r->sym->type != STT_SECTION || !r->sym->sec)
		return t;
	if (kelf_is_string_section(r->sym->sec)) {
		t.kind = TARGET_STR;
		return t;
	}
	pos = r->addend + (t.pc_relative ? arch_pc_bias() : 0);
	s = kelf_symbol_for(e, r->sym->sec, pos);
	if (s) {
		t.sym = s;
		t.off = r->addend - (GElf_Sxword)s->sym.st_value;
		return t;
	}
	t.kind = TARGET_ANON;
	return t;
}

/*
 * The string a relocation points at.  A PC-relative addend is off by the
 * distance from the field to the end of the instruction (4 to 8 bytes on
 * x86): compare through the end of the string that starts 8 bytes on, so
 * that equal bytes mean the same target whatever that distance is.
 */
static bool same_string(const struct target *a, const struct target *b)
{
	GElf_Sxword pa = a->off, pb = b->off, i;
	GElf_Sxword min_len = 0;

	if (a->pc_relative != b->pc_relative)
		return false;
	if (a->pc_relative) {
		pa += arch_pc_bias();
		pb += arch_pc_bias();
		min_len = 4;
	}
	for (i = 0;; i++) {
		unsigned char ca, cb;

		if (pa + i < 0 || pb + i < 0 ||
		    (size_t)(pa + i) >= a->sec->size ||
		    (size_t)(pb + i) >= b->sec->size)
			return false;
		ca = a->sec->data[pa + i];
		cb = b->sec->data[pb + i];
		if (ca != cb)
			return false;
		if (!ca && i >= min_len)
			return true;
	}
}

static bool same_section_bytes(const struct kelf_sec *a, const struct kelf_sec *b)
{
	if (a->size != b->size || a->sh.sh_type != b->sh.sh_type)
		return false;
	if (!a->data || !b->data)
		return a->data == b->data;
	return !memcmp(a->data, b->data, a->size);
}

static bool same_symbol(const struct kelf_sym *p, const struct kelf_sym *o)
{
	if (p->twin)
		return p->twin == o;
	/* undefined on both sides: the same external */
	return !p->sec && !o->sec && !strcmp(p->name, o->name);
}

static bool same_target(const struct km_diff *d, const struct kelf_rela *rp,
			const struct kelf_rela *ro)
{
	struct target tp = canonical_target(d->patched, rp);
	struct target to = canonical_target(d->orig, ro);

	if (tp.kind != to.kind)
		return false;
	switch (tp.kind) {
	case TARGET_STR:
		return same_string(&tp, &to);
	case TARGET_ANON:
		return tp.off == to.off && !strcmp(tp.sec->name, to.sec->name) &&
		       same_section_bytes(tp.sec, to.sec);
	default:
		return tp.off == to.off && same_symbol(tp.sym, to.sym);
	}
}

static unsigned int read_le32(const unsigned char *b)
{
	return (unsigned int)b[0] | (unsigned int)b[1] << 8 |
	       (unsigned int)b[2] << 16 | (unsigned int)b[3] << 24;
}

/* Equal bytes, but for the line number field of the section's entries. */
static bool same_bytes(const struct kelf_sym *p, const struct kelf_sym *o)
{
	const unsigned char *a = p->sec->data + p->sym.st_value;
	const unsigned char *b = o->sec->data + o->sym.st_value;
	const struct arch_line_field *lf = arch_line_field(p->sec->name);
	size_t n = p->sym.st_size, end;

	if (!lf || p->type != STT_OBJECT || n < lf->offset + 4)
		return !memcmp(a, b, n);
	end = lf->offset + 4;
	return !memcmp(a, b, lf->offset) && !memcmp(a + end, b + end, n - end) &&
	       !((read_le32(a + lf->offset) ^ read_le32(b + lf->offset)) & ~lf->mask);
}

/* The same relocations at the same places, target by target. */
static bool same_relocations(const struct km_diff *d, const struct kelf_sym *p,
			     const struct kelf_sym *o)
{
	GElf_Addr ps = p->sym.st_value, os = o->sym.st_value;
	struct kelf_rela *rp, *ro;
	size_t np, no, i;

	rp = kelf_relas_in(p->sec, ps, ps + p->sym.st_size, &np);
	ro = kelf_relas_in(o->sec, os, os + o->sym.st_size, &no);
	if (np != no)
		return false;
	for (i = 0; i < np; i++) {
		if (rp[i].offset - ps != ro[i].offset - os ||
		    rp[i].type != ro[i].type || !same_target(d, &rp[i], &ro[i]))
			return false;
	}
	return true;
}

/* Same bytes and the same relocations. */
static bool same_contents(const struct km_diff *d, const struct kelf_sym *p,
			  const struct kelf_sym *o)
{
	if (p->sym.st_size != o->sym.st_size)
		return false;
	if (p->sec->data && o->sec->data && !same_bytes(p, o))
		return false;
	if (!p->sec->data != !o->sec->data)
		return false;
	return same_relocations(d, p, o);
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
static bool only_lines_differ(const struct km_diff *d, const struct kelf_sym *p,
			      const struct kelf_sym *o)
{
	const unsigned char *a, *b;
	size_t n = p->sym.st_size, i = 0, j;

	if (!d->lines || n != o->sym.st_size || !p->sec->data || !o->sec->data ||
	    !same_relocations(d, p, o))
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

static bool is_init_section(const struct kelf_sec *sec)
{
	return km_starts_with(sec->name, ".init.") ||
	       km_starts_with(sec->name, ".exit.") ||
	       km_starts_with(sec->name, ".head.text");
}

static bool is_cold_part(const struct kelf_sym *s)
{
	return strstr(s->name, ".cold") != NULL;
}

static void compare_functions(struct km_diff *d)
{
	struct kelf_sym *p;

	for_each_sym(d->patched, p) {
		if (!kelf_is_function(p) || !kelf_is_text(p->sec))
			continue;
		if (!p->twin)
			p->status = KELF_NEW;
		else if (!same_contents(d, p, p->twin))
			p->status = KELF_CHANGED;
		/* code that already ran at boot: a moved __LINE__ is no change */
		if (p->status == KELF_CHANGED && is_init_section(p->sec) &&
		    only_lines_differ(d, p, p->twin)) {
			km_debug(d->ctx, "%s: only line numbers moved in __init "
				 "function '%s'", d->name, p->name);
			p->status = KELF_SAME;
		}
	}
}

/* foo.cold is reached only by jumps from foo: it changes with foo. */
static void link_cold_parts(struct km_diff *d)
{
	struct kelf_sym *p;

	for_each_sym(d->patched, p) {
		char *base;

		if (!kelf_is_function(p) || !is_cold_part(p))
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

static bool is_writable(const struct kelf_sec *sec)
{
	return (sec->sh.sh_flags & SHF_WRITE) != 0;
}

static void compare_data(struct km_diff *d)
{
	struct kelf_sym *p;

	for_each_sym(d->patched, p) {
		if (!kelf_is_object(p) || arch_is_ignored_section(p->sec->name))
			continue;
		if (!p->twin) {
			p->status = KELF_NEW;
			continue;
		}
		if (same_contents(d, p, p->twin))
			continue;
		p->status = KELF_CHANGED;
		refuse(d, "cannot live patch '%s': %s '%s' (section %s) changes "
		       "its %s: a live patch cannot change data that the "
		       "running kernel already holds", d->name,
		       is_writable(p->sec) ? "variable" : "constant", p->name,
		       p->sec->name,
		       p->twin->sym.st_size != p->sym.st_size ?
		       "size (data layout)" : "initial value");
	}
}

static void check_function(struct km_diff *d, const struct kelf_sym *p)
{
	if (p->sec->func != p) {
		refuse(d, "cannot live patch '%s': function '%s' does not have "
		       "a section of its own: compile with -ffunction-sections "
		       "-fdata-sections", d->name, p->name);
		return;
	}
	if (is_init_section(p->sec)) {
		refuse(d, "cannot live patch '%s': function '%s' is %s code "
		       "(section %s): it ran at boot and is gone; apply the "
		       "fix with a reboot", d->name, p->name,
		       km_starts_with(p->sec->name, ".exit.") ? "__exit" : "__init",
		       p->sec->name);
		return;
	}
	if (p->status == KELF_CHANGED && !is_cold_part(p) &&
	    !arch_has_fentry(p->sec, p->sym.st_value))
		refuse(d, "cannot live patch '%s': function '%s' has no ftrace "
		       "entry (__fentry__ call): it is notrace or not traceable, "
		       "so livepatch cannot redirect it", d->name,
		       p->name);
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
	f->replaces = p->status == KELF_CHANGED && !is_cold_part(p);
	if (f->replaces)
		d->nr_replaced++;
	p->include = true;
	return 0;
}

static int collect_functions(struct km_diff *d)
{
	struct kelf_sym *p;
	int ret;

	for_each_sym(d->patched, p) {
		if (!kelf_is_function(p) || !kelf_is_text(p->sec))
			continue;
		/* a cold part travels with its parent */
		if (is_cold_part(p) && p->parent && p->parent->status != KELF_SAME)
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

	correlate_by_name(d);
	correlate_numbered(d);
	correlate_sections(d);
	compare_functions(d);
	link_cold_parts(d);
	compare_data(d);
	ret = collect_functions(d);
	if (ret)
		return ret;
	if (d->nr_refused)
		return -KM_EUNPATCHABLE;
	if (!d->nr_replaced)
		return KM_DIFF_NOCHANGE;
	return 0;
}
