// SPDX-License-Identifier: GPL-2.0
/*
 * Pairing the symbols of the pristine and the patched object.  Names the
 * programmer wrote pair by name, within the same kind of section.  Names the
 * compiler numbered never pair by their number: a clone pairs when its base
 * name is unique on both sides, and a numbered static pairs through the
 * functions and variables that use it, when every use agrees.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "correlate.h"
#include "identity.h"
#include "reloc.h"
#include "util.h"

static bool is_named(const struct kelf_sym *s)
{
	return s->index && *s->name && s->type != STT_SECTION &&
	       s->type != STT_FILE;
}

static bool is_numbered(const struct kelf_sym *s)
{
	return is_named(s) && km_is_numbered_name(s->name);
}

static void twin_symbols(struct kelf_sym *p, struct kelf_sym *o)
{
	p->twin = o;
	o->twin = p;
	p->ambiguous = false;
}

static bool same_kind(const struct kelf_sym *p, const struct kelf_sym *o)
{
	if (!p->sec || !o->sec)
		return !p->sec && !o->sec;
	return km_section_kind(p->sec) == km_section_kind(o->sec);
}

static bool can_pair(const struct kelf_sym *p, const struct kelf_sym *o)
{
	return !o->twin && !p->twin && o->type == p->type &&
	       (o->sec != NULL) == (p->sec != NULL);
}

static void correlate_by_name(struct km_diff *d)
{
	struct kelf_sym *p, *o;

	for_each_sym(d->patched, p) {
		if (!is_named(p) || is_numbered(p))
			continue;
		o = kelf_find_symbol(d->orig, p->name);
		if (!o || !can_pair(p, o))
			continue;
		if (same_kind(p, o))
			twin_symbols(p, o);
		else
			p->moved = o;
	}
}

/* The only unpaired numbered symbol of e with that base name and type. */
static struct kelf_sym *only_with_base(struct kelf *e, const struct kelf_sym *like)
{
	struct kelf_sym *s, *found = NULL;

	for_each_sym(e, s) {
		if (s->twin || !is_numbered(s) || s->type != like->type ||
		    !s->sec || !km_same_base_name(s->name, like->name))
			continue;
		if (found)
			return NULL;
		found = s;
	}
	return found;
}

/* Clones (foo.constprop.0, foo.isra.1) whose base name is unique. */
static void correlate_unique_clones(struct km_diff *d)
{
	struct kelf_sym *p, *o;

	for_each_sym(d->patched, p) {
		if (p->twin || !is_numbered(p) || !kelf_is_function(p) ||
		    km_is_local_label(p->name))
			continue;
		if (only_with_base(d->patched, p) != p)
			continue;
		o = only_with_base(d->orig, p);
		if (o && can_pair(p, o) && same_kind(p, o))
			twin_symbols(p, o);
	}
}

/* --- pairing through uses --- */

#define VOTE_CONFLICT ((struct kelf_sym *)-1)

struct votes {
	struct kelf_sym **for_p;	/* by patched symbol index */
	struct kelf_sym **for_o;	/* by pristine symbol index */
};

struct refs {
	struct kelf_sym **v;
	size_t n, cap;
};

static bool is_vote_candidate(const struct kelf_sym *s)
{
	return is_numbered(s) && s->sec && !km_is_local_label(s->name) &&
	       (s->type == STT_OBJECT || s->type == STT_FUNC);
}

static int refs_add(struct refs *r, struct kelf_sym *s)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->v[i] == s)
			return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		void *n = realloc(r->v, cap * sizeof(*r->v));

		if (!n)
			return -ENOMEM;
		r->v = n;
		r->cap = cap;
	}
	r->v[r->n++] = s;
	return 0;
}

/* The numbered symbols user's bytes refer to, in order of first use. */
static int collect_refs(struct km_diff *d, struct kelf *e,
			const struct kelf_sym *user, struct refs *out)
{
	GElf_Addr start = user->sym.st_value;
	struct kelf_rela *r;
	size_t n, i;
	int ret;

	out->n = 0;
	r = kelf_relas_in(user->sec, start, start + user->sym.st_size, &n);
	for (i = 0; i < n; i++) {
		struct kelf_target t;

		ret = kelf_target_of(d->ctx, e, user->sec, &r[i], &t);
		if (ret)
			return ret;
		if (t.sym && t.sec && is_vote_candidate(t.sym)) {
			ret = refs_add(out, t.sym);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static void vote(struct votes *v, struct kelf_sym *p, struct kelf_sym *o)
{
	struct kelf_sym **fp = &v->for_p[p->index], **fo = &v->for_o[o->index];

	*fp = !*fp || *fp == o ? o : VOTE_CONFLICT;
	*fo = !*fo || *fo == p ? p : VOTE_CONFLICT;
}

static bool is_like(const struct kelf_sym *s, const struct kelf_sym *first)
{
	return s->type == first->type && km_same_base_name(s->name, first->name);
}

/* How many of r's symbols like `first` have the same contents as s. */
static size_t count_same(struct km_diff *d, const struct refs *r,
			 const struct kelf_sym *first, struct kelf_sym *s,
			 bool s_is_patched, struct kelf_sym **match)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++) {
		struct kelf_sym *x = r->v[i];

		if (!is_like(x, first))
			continue;
		if (s_is_patched ? km_same_contents(d, s, x)
				 : km_same_contents(d, x, s)) {
			*match = x;
			n++;
		}
	}
	return n;
}

/*
 * Several statics of one name in a user whose code changed: the order of
 * use proves nothing, but contents may (a dynamic debug descriptor names
 * its format and its line).  A pair whose contents match each other and
 * nothing else gets a vote; the rest stay ambiguous.
 */
static void vote_by_contents(struct km_diff *d, struct votes *v,
			     const struct refs *rp, const struct refs *ro,
			     struct kelf_sym *first)
{
	size_t i;

	for (i = 0; i < rp->n; i++) {
		struct kelf_sym *p = rp->v[i], *o = NULL, *back = NULL;

		if (!is_like(p, first))
			continue;
		if (count_same(d, ro, first, p, true, &o) == 1 &&
		    count_same(d, rp, first, o, false, &back) == 1 && back == p)
			vote(v, p, o);
		else
			p->ambiguous = true;
	}
}

/*
 * Same base names in the same order: one vote per pair; else ambiguous.
 * Order of use tells apart several statics of one name in a user only when
 * the user's code is the same on both sides (in_step): once the code
 * changed, the compiler may lay the branches out in another order.
 */
static void vote_by_base(struct km_diff *d, struct votes *v,
			 const struct refs *rp, const struct refs *ro,
			 bool in_step)
{
	size_t i, j, k, np, no;

	for (i = 0; i < rp->n; i++) {
		struct kelf_sym *first = rp->v[i];

		for (j = 0, np = 0; j < i; j++)
			if (km_same_base_name(rp->v[j]->name, first->name) &&
			    rp->v[j]->type == first->type)
				break;
		if (j < i)
			continue;	/* this base was done at its first use */
		for (j = i, np = 0; j < rp->n; j++)
			np += km_same_base_name(rp->v[j]->name, first->name) &&
			      rp->v[j]->type == first->type;
		for (k = 0, no = 0; k < ro->n; k++)
			no += km_same_base_name(ro->v[k]->name, first->name) &&
			      ro->v[k]->type == first->type;
		if (np == no && np > 1 && !in_step &&
		    first->type == STT_OBJECT) {
			vote_by_contents(d, v, rp, ro, first);
			continue;
		}
		if (np != no || (np > 1 && !in_step)) {
			/* which is which cannot be told: unless paired
			 * through another use, these stay unpaired */
			for (j = i; no && j < rp->n; j++)
				if (km_same_base_name(rp->v[j]->name, first->name))
					rp->v[j]->ambiguous = true;
			continue;
		}
		for (j = i, k = 0; j < rp->n; j++) {
			if (!km_same_base_name(rp->v[j]->name, first->name) ||
			    rp->v[j]->type != first->type)
				continue;
			while (!km_same_base_name(ro->v[k]->name, first->name) ||
			       ro->v[k]->type != first->type)
				k++;
			vote(v, rp->v[j], ro->v[k++]);
		}
	}
}

/* The same bytes and relocations at the same places (targets aside). */
static bool is_in_step(const struct kelf_sym *p, const struct kelf_sym *o)
{
	struct kelf_rela *rp, *ro;
	size_t np, no, i;

	if (p->sym.st_size != o->sym.st_size || !p->sec->data != !o->sec->data ||
	    (p->sec->data && memcmp(p->sec->data + p->sym.st_value,
				    o->sec->data + o->sym.st_value,
				    p->sym.st_size)))
		return false;
	rp = kelf_relas_in(p->sec, p->sym.st_value,
			   p->sym.st_value + p->sym.st_size, &np);
	ro = kelf_relas_in(o->sec, o->sym.st_value,
			   o->sym.st_value + o->sym.st_size, &no);
	if (np != no)
		return false;
	for (i = 0; i < np; i++)
		if (rp[i].offset - p->sym.st_value != ro[i].offset - o->sym.st_value ||
		    rp[i].type != ro[i].type || rp[i].addend != ro[i].addend)
			return false;
	return true;
}

static bool is_user(const struct kelf_sym *s)
{
	return s->twin && s->sec && s->sym.st_size &&
	       (s->type == STT_FUNC || s->type == STT_OBJECT);
}

static int collect_votes(struct km_diff *d, struct votes *v)
{
	struct refs rp = { 0 }, ro = { 0 };
	struct kelf_sym *p;
	int ret = 0;

	for_each_sym(d->patched, p) {
		if (!is_user(p))
			continue;
		ret = collect_refs(d, d->patched, p, &rp);
		if (!ret)
			ret = collect_refs(d, d->orig, p->twin, &ro);
		if (ret)
			break;
		vote_by_base(d, v, &rp, &ro, is_in_step(p, p->twin));
	}
	free(rp.v);
	free(ro.v);
	return ret;
}

/* Pairs what every use agrees on; the number of new pairs. */
static size_t pair_agreed(struct km_diff *d, const struct votes *v)
{
	struct kelf_sym *p, *o;
	size_t n = 0;

	for_each_sym(d->patched, p) {
		o = v->for_p[p->index];
		if (!o || o == VOTE_CONFLICT) {
			if (o == VOTE_CONFLICT)
				p->ambiguous = true;
			continue;
		}
		if (v->for_o[o->index] != p || !can_pair(p, o))
			continue;
		if (!same_kind(p, o)) {
			p->moved = o;	/* the same static, in another section */
			continue;
		}
		twin_symbols(p, o);
		n++;
	}
	return n;
}

static int correlate_by_use(struct km_diff *d)
{
	struct votes v;
	size_t round;
	int ret = 0;

	v.for_p = calloc(d->patched->nr_syms, sizeof(*v.for_p));
	v.for_o = calloc(d->orig->nr_syms, sizeof(*v.for_o));
	if (!v.for_p || !v.for_o)
		ret = -ENOMEM;
	/* a pair found may be the user that pairs the next (a clone's statics) */
	for (round = 0; !ret && round < 8; round++) {
		memset(v.for_p, 0, d->patched->nr_syms * sizeof(*v.for_p));
		memset(v.for_o, 0, d->orig->nr_syms * sizeof(*v.for_o));
		ret = collect_votes(d, &v);
		if (ret || !pair_agreed(d, &v))
			break;
	}
	free(v.for_p);
	free(v.for_o);
	return ret;
}

/* An unpaired numbered object of e with like's base name, type and section. */
static struct kelf_sym *unpaired_like(struct kelf *e, const struct kelf_sym *like,
				      size_t *count)
{
	struct kelf_sym *s, *found = NULL;

	*count = 0;
	for_each_sym(e, s) {
		if (s->twin || !is_numbered(s) || s->type != like->type ||
		    !s->sec || !km_same_base_name(s->name, like->name))
			continue;
		(*count)++;
		found = s;
	}
	return found;
}

/*
 * What use could not pair.  A table entry nothing refers to
 * (__UNIQUE_ID_fixup7) pairs when its base name is unique in its section on
 * both sides, so that a change of it is seen.  A static that code uses and
 * that has an unpaired namesake on the other side (its function was
 * inlined, renamed or split) may be that namesake: it is ambiguous, never
 * taken for new data.
 */
static int correlate_leftovers(struct km_diff *d)
{
	bool *pref = kelf_referenced_symbols(d->patched);
	bool *oref = kelf_referenced_symbols(d->orig);
	struct kelf_sym *p, *o;
	size_t np, no;

	if (!pref || !oref) {
		free(pref);
		free(oref);
		return -ENOMEM;
	}
	for_each_sym(d->patched, p) {
		if (p->twin || !is_vote_candidate(p) || p->type != STT_OBJECT)
			continue;
		o = unpaired_like(d->orig, p, &no);
		if (!o)
			continue;
		unpaired_like(d->patched, p, &np);
		if (np == 1 && no == 1 && !pref[p->index] && !oref[o->index] &&
		    !strcmp(p->sec->name, o->sec->name) && can_pair(p, o))
			twin_symbols(p, o);
		else if (pref[p->index])
			p->ambiguous = true;
	}
	free(pref);
	free(oref);
	return 0;
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

int km_correlate(struct km_diff *d)
{
	int ret;

	correlate_by_name(d);
	correlate_unique_clones(d);
	ret = correlate_by_use(d);
	if (!ret)
		ret = correlate_leftovers(d);
	if (ret)
		return ret;
	correlate_sections(d);
	/* comparisons made while pairing saw pairs still missing */
	km_compare_forget(d);
	return 0;
}
