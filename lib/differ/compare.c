// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "identity.h"
#include "reloc.h"
#include "util.h"

/* --- special-section entries by function --- */

static struct km_entries *entries_table(const struct km_diff *d,
					const struct kelf *e)
{
	return e == d->patched ? d->pentries : d->oentries;
}

const struct km_entries *km_entries_of(const struct km_diff *d,
				       const struct kelf *e,
				       const struct kelf_sym *func)
{
	return &entries_table(d, e)[func->index];
}

static int entries_add(struct km_entries *l, const struct km_entry *x)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		void *n = realloc(l->v, cap * sizeof(*l->v));

		if (!n)
			return -ENOMEM;
		l->v = n;
		l->cap = cap;
	}
	l->v[l->n++] = *x;
	return 0;
}

/*
 * Entries of the size kmend knows, each naming its code at the anchor: an
 * entry of another kernel's layout (6.3 made .altinstructions 14 bytes)
 * puts its relocations elsewhere, which this catches.
 */
static bool has_known_layout(const struct kelf_sec *sec,
			     const struct arch_special *sp)
{
	size_t i, n;

	if (!sec->data || sec->size % sp->entsize ||
	    (sec->sh.sh_entsize && sec->sh.sh_entsize != sp->entsize))
		return false;
	for (i = 0; i < sec->size / sp->entsize; i++) {
		GElf_Addr at = i * sp->entsize + sp->anchor;

		kelf_relas_in(sec, at, at + 1, &n);
		if (n != 1)
			return false;
		if (!sp->repl_len_at)
			continue;
		at = i * sp->entsize + sp->repl_offset_at;
		kelf_relas_in(sec, at, at + 1, &n);
		if (n != 1)
			return false;
	}
	return true;
}

static int index_section_entries(struct km_diff *d, struct kelf *e,
				 struct kelf_sec *sec,
				 const struct arch_special *sp)
{
	struct km_entries *table = entries_table(d, e);
	size_t i, n;
	int ret;

	for (i = 0; i < sec->size / sp->entsize; i++) {
		GElf_Addr at = i * sp->entsize + sp->anchor;
		struct kelf_rela *r = kelf_relas_in(sec, at, at + 1, &n);
		struct kelf_target t;
		struct km_entry x = { sec, sp, i, 0 };

		ret = kelf_target_of(d->ctx, e, sec, r, &t);
		if (ret)
			return ret;
		if (!t.sym || !t.sec || t.sym->type != STT_FUNC)
			continue;
		x.at = t.off;
		ret = entries_add(&table[t.sym->index], &x);
		if (ret)
			return ret;
	}
	return 0;
}

/* The functions a section's relocations name, for a message. */
static char *functions_named_by(struct km_diff *d, struct kelf *e,
				const struct kelf_sec *sec)
{
	struct km_buf b = KM_BUF_INIT;
	const struct kelf_sym *last = NULL;
	struct kelf_rela *r;

	for_each_rela(sec, r) {
		struct kelf_target t;

		if (kelf_target_of(d->ctx, e, sec, r, &t) || !t.sym || !t.sec ||
		    t.sym->type != STT_FUNC || t.sym == last)
			continue;
		last = t.sym;
		if (!strstr(b.buf ? b.buf : "", t.sym->name))
			km_buf_addf(&b, "%s%s", b.len ? ", " : "", t.sym->name);
	}
	return b.buf ? km_buf_detach(&b) : strdup("?");
}

/* An unknown layout is a refusal, never "no entries" (once per section). */
static int refuse_layout(struct km_diff *d, struct kelf *e,
			 const struct kelf_sec *sec,
			 const struct arch_special *sp)
{
	char *funcs;

	if (e == d->orig && d->nr_refused)
		return 0;
	funcs = functions_named_by(d, e, sec);
	if (!funcs)
		return -ENOMEM;
	km_err(d->ctx, "cannot live patch '%s': section %s does not have the "
	       "layout kmend knows (%zu-byte entries naming their code at "
	       "+%zu), so the entries of %s cannot be compared: this kernel's "
	       "tables are not supported yet", d->name, sec->name, sp->entsize,
	       sp->anchor, funcs);
	free(funcs);
	d->nr_refused++;
	return 0;
}

static int index_object_entries(struct km_diff *d, struct kelf *e)
{
	struct kelf_sec *sec;
	int ret;

	for_each_sec(e, sec) {
		const struct arch_special *sp = arch_special_section(sec->name);

		/* ORC follows the code: equal code, equal unwind data */
		if (!sp || sp->parallel)
			continue;
		if (!has_known_layout(sec, sp)) {
			ret = refuse_layout(d, e, sec, sp);
			if (ret)
				return ret;
			continue;
		}
		ret = index_section_entries(d, e, sec, sp);
		if (ret)
			return ret;
	}
	return 0;
}

int km_index_entries(struct km_diff *d)
{
	int ret;

	d->pentries = calloc(d->patched->nr_syms, sizeof(*d->pentries));
	d->oentries = calloc(d->orig->nr_syms, sizeof(*d->oentries));
	if (!d->pentries || !d->oentries)
		return -ENOMEM;
	ret = index_object_entries(d, d->patched);
	if (!ret)
		ret = index_object_entries(d, d->orig);
	return ret;
}

void km_entries_release(struct km_diff *d)
{
	size_t i;

	for (i = 0; d->pentries && i < d->patched->nr_syms; i++)
		free(d->pentries[i].v);
	for (i = 0; d->oentries && i < d->orig->nr_syms; i++)
		free(d->oentries[i].v);
	free(d->pentries);
	free(d->oentries);
	d->pentries = d->oentries = NULL;
}

/* --- targets --- */

static bool is_adjacent(const struct kelf_sym *a, const struct kelf_sym *b)
{
	return a->sec && a->sec == b->sec &&
	       a->sym.st_value + a->sym.st_size == b->sym.st_value;
}

void km_settle_boundary(const struct km_diff *d, const struct kelf *e,
			struct kelf_target *t)
{
	if (!t->next)
		return;
	if (e == d->patched && !(t->sym->twin && t->next->twin &&
				 is_adjacent(t->sym->twin, t->next->twin)))
		return;
	t->sym = t->next;
	t->off = 0;
	t->next = NULL;
}

/* The target of r, settled; false (and d->error) when it cannot be read. */
static bool target_of(struct km_diff *d, struct kelf *e,
		      const struct kelf_sec *sec, const struct kelf_rela *r,
		      struct kelf_target *t)
{
	int ret = kelf_target_of(d->ctx, e, sec, r, t);

	if (ret) {
		if (!d->error)
			d->error = ret;
		return false;
	}
	km_settle_boundary(d, e, t);
	return true;
}

static unsigned int read_le32(const unsigned char *b)
{
	return (unsigned int)b[0] | (unsigned int)b[1] << 8 |
	       (unsigned int)b[2] << 16 | (unsigned int)b[3] << 24;
}

bool km_is_carried_constant(const struct kelf_sym *s)
{
	return s->sec && s->bind == STB_LOCAL && s->type == STT_OBJECT &&
	       km_section_kind(s->sec) == KM_KIND_RODATA &&
	       km_is_compiler_constant(s->name);
}

static bool same_region(struct km_diff *d, const struct kelf_sec *ps,
			GElf_Sxword pa, const struct kelf_sec *os,
			GElf_Sxword oa, size_t len);

/* Unit by unit up to the terminating zero unit: the same string. */
static bool same_string(const struct kelf_sec *ps, GElf_Sxword pa,
			const struct kelf_sec *os, GElf_Sxword oa)
{
	size_t unit = ps->sh.sh_entsize ? ps->sh.sh_entsize : 1;
	static const unsigned char zero[16];

	if (unit > sizeof(zero) || unit != (os->sh.sh_entsize ? os->sh.sh_entsize : 1))
		return false;
	if (pa < 0 || oa < 0 || !ps->data || !os->data)
		return false;
	for (;; pa += unit, oa += unit) {
		if ((size_t)pa + unit > ps->size || (size_t)oa + unit > os->size)
			return false;
		if (memcmp(ps->data + pa, os->data + oa, unit))
			return false;
		if (!memcmp(ps->data + pa, zero, unit))
			return true;
	}
}

static bool same_anonymous(struct km_diff *d, const struct kelf_target *tp,
			   const struct kelf_target *to, size_t len)
{
	/*
	 * A string of a mergeable section has no identity but its bytes: the
	 * section it is in follows the function the compiler put it with
	 * (.rodata.foo.str1.1 becomes .rodata.foo.part.0.str1.1).
	 */
	if (kelf_is_string_section(tp->sec) || kelf_is_string_section(to->sec))
		return kelf_is_string_section(tp->sec) &&
		       kelf_is_string_section(to->sec) &&
		       km_section_kind(tp->sec) == km_section_kind(to->sec) &&
		       same_string(tp->sec, tp->off, to->sec, to->off);
	if (strcmp(tp->sec->name, to->sec->name) ||
	    km_section_kind(tp->sec) != km_section_kind(to->sec))
		return false;
	/* no symbol says how far it reaches: all of the section counts,
	 * unless the caller knows the length (an alternative's code) */
	if (len == (size_t)-1)
		return tp->off == to->off && same_region(d, tp->sec, 0, to->sec, 0, len);
	return same_region(d, tp->sec, tp->off, to->sec, to->off, len);
}

static bool same_target(struct km_diff *d, const struct kelf_target *tp,
			const struct kelf_target *to, size_t len)
{
	if (kelf_target_is_external(tp) || kelf_target_is_external(to))
		return kelf_target_is_external(tp) && kelf_target_is_external(to) &&
		       tp->off == to->off && !strcmp(tp->sym->name, to->sym->name);
	if (!tp->sym || !to->sym)
		return !tp->sym && !to->sym && same_anonymous(d, tp, to, len);
	if (tp->off != to->off)
		return false;
	/* the end of one and the start of the next: both must match */
	if (tp->next || to->next)
		return tp->next && to->next && tp->sym->twin == to->sym &&
		       tp->next->twin == to->next;
	/* boot code calling what left __init: it ran already, no change */
	if (d->comparing_init && tp->sym->moved == to->sym)
		return true;
	if (km_is_carried_constant(tp->sym) || km_is_carried_constant(to->sym))
		return km_is_carried_constant(tp->sym) &&
		       km_is_carried_constant(to->sym) &&
		       km_same_contents(d, tp->sym, to->sym);
	return tp->sym->twin == to->sym;
}

/*
 * One relocation of each side, at the same place of ranges starting at pa
 * and oa: the same type, reaching the same target (len: see same_target).
 */
static bool same_reloc(struct km_diff *d, const struct kelf_sec *ps,
		       const struct kelf_rela *rp, GElf_Addr pa,
		       const struct kelf_sec *os, const struct kelf_rela *ro,
		       GElf_Addr oa, size_t len)
{
	struct kelf_target tp, to;

	if (rp->offset - pa != ro->offset - oa || rp->type != ro->type)
		return false;
	if (!target_of(d, d->patched, ps, rp, &tp) ||
	    !target_of(d, d->orig, os, ro, &to))
		return false;
	return same_target(d, &tp, &to, len);
}

/* The relocations of [pa, pa+len) and [oa, oa+len): same places, targets. */
static bool same_relocs_in(struct km_diff *d, const struct kelf_sec *ps,
			   GElf_Addr pa, const struct kelf_sec *os,
			   GElf_Addr oa, GElf_Xword len)
{
	struct kelf_rela *rp, *ro;
	size_t np, no, i;

	rp = kelf_relas_in(ps, pa, pa + len, &np);
	ro = kelf_relas_in(os, oa, oa + len, &no);
	if (np != no)
		return false;
	for (i = 0; i < np; i++)
		if (!same_reloc(d, ps, &rp[i], pa, os, &ro[i], oa, (size_t)-1))
			return false;
	return true;
}

static bool same_region(struct km_diff *d, const struct kelf_sec *ps,
			GElf_Sxword pa, const struct kelf_sec *os,
			GElf_Sxword oa, size_t len)
{
	bool same;

	if (len == (size_t)-1) {
		if (ps->size != os->size || ps->sh.sh_type != os->sh.sh_type)
			return false;
		len = ps->size;
	}
	if (pa < 0 || oa < 0 || (size_t)pa + len > ps->size ||
	    (size_t)oa + len > os->size)
		return false;
	if (ps->data && os->data && memcmp(ps->data + pa, os->data + oa, len))
		return false;
	if (!ps->data != !os->data)
		return false;
	if (!(pa == 0 && oa == 0 && len == ps->size))
		return same_relocs_in(d, ps, (GElf_Addr)pa, os, (GElf_Addr)oa, len);
	/* a whole section: compared once (see km_same_contents) */
	if (ps->cmp_with == os)
		return ps->cmp_result >= 0;
	((struct kelf_sec *)ps)->cmp_with = os;
	((struct kelf_sec *)ps)->cmp_result = 0;
	d->cmp_depth++;
	same = same_relocs_in(d, ps, 0, os, 0, len);
	d->cmp_depth--;
	((struct kelf_sec *)ps)->cmp_result = same ? 1 : -1;
	if (same && d->cmp_depth)
		((struct kelf_sec *)ps)->cmp_with = NULL;
	return same;
}

bool km_same_section(struct km_diff *d, const struct kelf_sec *p,
		     const struct kelf_sec *o)
{
	return same_region(d, p, 0, o, 0, (size_t)-1);
}

/* --- symbols --- */

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

bool km_same_relocations(struct km_diff *d, const struct kelf_sym *p,
			 const struct kelf_sym *o)
{
	return same_relocs_in(d, p->sec, p->sym.st_value, o->sec,
			      o->sym.st_value, p->sym.st_size);
}

/* The length an entry gives for the code its relocation at `at` names. */
static size_t entry_target_len(const struct kelf_sec *sec,
			       const struct arch_special *sp, size_t index,
			       GElf_Addr at)
{
	const unsigned char *e = sec->data + index * sp->entsize;

	if (!sp->repl_len_at || at != index * sp->entsize + sp->repl_offset_at)
		return (size_t)-1;
	return e[sp->repl_len_at];
}

/*
 * The entry's line field (a WARN_ON()'s line in __bug_table) holds a line
 * that only moved, as the line map says: the other bits must be equal.
 */
static bool same_moved_line(struct km_diff *d, const struct arch_line_field *lf,
			    const unsigned char *a, const unsigned char *b)
{
	unsigned int x = read_le32(a + lf->offset), y = read_le32(b + lf->offset);

	if ((x ^ y) & ~lf->mask)
		return false;
	return (x & lf->mask) == (y & lf->mask) ||
	       km_linemap_new_line(d->lines, (long)(y & lf->mask)) ==
	       (long)(x & lf->mask);
}

static bool same_entry_bytes(struct km_diff *d, const struct km_entry *a,
			     const struct km_entry *b, bool moved_lines)
{
	size_t sz = a->sp->entsize;
	const unsigned char *x = a->sec->data + a->index * sz;
	const unsigned char *y = b->sec->data + b->index * sz;
	const struct arch_line_field *lf;
	size_t end;

	lf = moved_lines && d->lines ? arch_line_field(a->sec->name) : NULL;
	if (!lf || sz < lf->offset + 4)
		return !memcmp(x, y, sz);
	end = lf->offset + 4;
	return !memcmp(x, y, lf->offset) && !memcmp(x + end, y + end, sz - end) &&
	       same_moved_line(d, lf, x, y);
}

static bool same_entry(struct km_diff *d, const struct km_entry *a,
		       const struct km_entry *b, bool moved_lines)
{
	size_t sz = a->sp->entsize, np, no, i;
	GElf_Addr pa = a->index * sz, oa = b->index * sz;
	struct kelf_rela *rp, *ro;

	if (a->sp != b->sp || a->at != b->at ||
	    !same_entry_bytes(d, a, b, moved_lines))
		return false;
	rp = kelf_relas_in(a->sec, pa, pa + sz, &np);
	ro = kelf_relas_in(b->sec, oa, oa + sz, &no);
	if (np != no)
		return false;
	for (i = 0; i < np; i++) {
		/* the anchor names the function itself, at a->at */
		if (rp[i].offset - pa == a->sp->anchor)
			continue;
		if (!same_reloc(d, a->sec, &rp[i], pa, b->sec, &ro[i], oa,
				entry_target_len(a->sec, a->sp, a->index,
						 rp[i].offset)))
			return false;
	}
	return true;
}

static bool same_entries(struct km_diff *d, const struct kelf_sym *p,
			 const struct kelf_sym *o, bool moved_lines)
{
	const struct km_entries *ep = km_entries_of(d, d->patched, p);
	const struct km_entries *eo = km_entries_of(d, d->orig, o);
	size_t i;

	if (ep->n != eo->n)
		return false;
	for (i = 0; i < ep->n; i++)
		if (!same_entry(d, &ep->v[i], &eo->v[i], moved_lines))
			return false;
	return true;
}

bool km_same_entries_but_lines(struct km_diff *d, const struct kelf_sym *p,
			       const struct kelf_sym *o)
{
	return same_entries(d, p, o, true);
}

static bool compare_contents(struct km_diff *d, const struct kelf_sym *p,
			     const struct kelf_sym *o)
{
	if (p->sym.st_size != o->sym.st_size || !p->sec || !o->sec)
		return false;
	if (!p->sec->data != !o->sec->data)
		return false;
	if (p->sec->data && !same_bytes(p, o))
		return false;
	if (!km_same_relocations(d, p, o))
		return false;
	return p->type != STT_FUNC || same_entries(d, p, o, false);
}

void km_compare_forget(struct km_diff *d)
{
	struct kelf_sym *s;
	struct kelf_sec *sec;

	for_each_sym(d->patched, s)
		s->cmp_with = NULL;
	for_each_sec(d->patched, sec)
		sec->cmp_with = NULL;
}

bool km_same_contents(struct km_diff *d, struct kelf_sym *p, struct kelf_sym *o)
{
	bool same;

	/*
	 * A cycle of constants naming each other is equal unless shown not.
	 * "Differs" holds whatever was assumed; "same" found inside another
	 * comparison rests on its assumption, so it is not remembered.
	 */
	if (p->cmp_with == o)
		return p->cmp_result >= 0;
	p->cmp_with = o;
	p->cmp_result = 0;
	d->cmp_depth++;
	same = compare_contents(d, p, o);
	d->cmp_depth--;
	p->cmp_result = same ? 1 : -1;
	if (same && d->cmp_depth)
		p->cmp_with = NULL;
	return same;
}
