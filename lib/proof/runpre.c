// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch_insn.h"
#include "runpre.h"

static const char *const mask_names[KM_MASK_NR] = {
	[KM_MASK_NONE] = "none",
	[KM_MASK_RELOC] = "relocation",
	[KM_MASK_FENTRY] = "ftrace-call",
	[KM_MASK_JUMP_LABEL] = "static-key",
	[KM_MASK_ALTERNATIVE] = "alternative",
	[KM_MASK_PARAVIRT] = "paravirt",
	[KM_MASK_RETPOLINE] = "retpoline",
	[KM_MASK_RETURN] = "return-thunk",
	[KM_MASK_STATIC_CALL] = "static-call",
	[KM_MASK_ENDBR] = "endbr",
};

const char *km_mask_name(enum km_mask_kind kind)
{
	return kind < KM_MASK_NR ? mask_names[kind] : "?";
}

int km_mask_parse(const char *name)
{
	int i;

	for (i = 1; i < KM_MASK_NR; i++)
		if (!strcmp(mask_names[i], name))
			return i;
	return -EINVAL;
}

const char *km_code_hex(const unsigned char *p, size_t len, char *buf,
			size_t bufsize)
{
	size_t i, at = 0;

	buf[0] = '\0';
	if (len > 15)
		len = 15;
	for (i = 0; i < len && at + 4 < bufsize; i++)
		at += (size_t)snprintf(buf + at, bufsize - at, "%s%02x",
				       i ? " " : "", p[i]);
	return buf;
}

/* One instruction of each side, matched. */
struct pair {
	size_t a, b;
	struct arch_insn ia, ib;
};

struct aligner {
	const struct km_code *a, *b;
	struct pair *pairs;
	size_t nr;
	long *map;
	struct km_code_diff *d;
};

static enum km_mask_kind mask_at(const struct km_code *c, size_t off)
{
	return c->mask && off < c->size ? c->mask[off] : KM_MASK_NONE;
}

/* Sites where the whole instruction may be another of its kind. */
static bool is_whole_site(enum km_mask_kind k)
{
	return k == KM_MASK_FENTRY || k == KM_MASK_JUMP_LABEL;
}

static bool is_branch(const struct km_code *c, size_t off,
		      const struct arch_insn *insn, struct arch_branch *br)
{
	return arch_insn_branch(c->bytes + off, insn, br);
}

static int differ(struct km_code_diff *d, size_t a, size_t alen, size_t b,
		  size_t blen, const char *what)
{
	d->a_off = a;
	d->a_len = alen;
	d->b_off = b;
	d->b_len = blen;
	d->what = what;
	return 1;
}

/* A site's other form: a nop, a jump or a call. */
static bool is_site_form(const struct km_code *c, size_t off,
			 const struct arch_insn *insn)
{
	struct arch_branch br;

	return arch_insn_is_nop(c->bytes + off, insn) ||
	       is_branch(c, off, insn, &br);
}

/* Whether two instructions of different lengths may still be the same. */
static bool may_be_relaxed(const struct aligner *al, size_t a, size_t b,
			   const struct arch_insn *ia,
			   const struct arch_insn *ib)
{
	struct arch_branch ba, bb;

	if (is_whole_site(mask_at(al->a, a)))
		return is_site_form(al->b, b, ib);
	return is_branch(al->a, a, ia, &ba) && is_branch(al->b, b, ib, &bb) &&
	       ba.kind == bb.kind;
}

static int add_pair(struct aligner *al, size_t a, size_t b,
		    const struct arch_insn *ia, const struct arch_insn *ib)
{
	struct pair *p = &al->pairs[al->nr++];

	p->a = a;
	p->b = b;
	p->ia = *ia;
	p->ib = *ib;
	al->map[a] = (long)b;
	return 0;
}

/* Walks both functions an instruction at a time: the map of offsets. */
static int align(struct aligner *al)
{
	size_t a = 0, b = 0;

	while (a < al->a->size && b < al->b->size) {
		struct arch_insn ia, ib;
		bool da = !arch_insn_decode(al->a->bytes + a, al->a->size - a, &ia);
		bool db = !arch_insn_decode(al->b->bytes + b, al->b->size - b, &ib);

		if (!da || !db)
			return differ(al->d, a, da ? ia.len : 0, b,
				      db ? ib.len : 0, "an instruction kmend "
				      "cannot decode");
		if (ia.len != ib.len && !may_be_relaxed(al, a, b, &ia, &ib))
			return differ(al->d, a, ia.len, b, ib.len,
				      "different instructions");
		add_pair(al, a, b, &ia, &ib);
		a += ia.len;
		b += ib.len;
	}
	if (a < al->a->size || b < al->b->size)
		return differ(al->d, a, a < al->a->size ? 1 : 0, b,
			      b < al->b->size ? 1 : 0,
			      "one function ends where the other goes on");
	al->map[a] = (long)b;
	return 0;
}

static bool is_masked(const struct aligner *al, const struct pair *p,
		      size_t k)
{
	return mask_at(al->a, p->a + k) || mask_at(al->b, p->b + k);
}

/* Two branches of one kind: the same place, relocated or mapped. */
static bool same_target(const struct aligner *al, const struct pair *p)
{
	struct arch_branch ba, bb;
	long ta, tb;

	if (!is_branch(al->a, p->a, &p->ia, &ba) ||
	    !is_branch(al->b, p->b, &p->ib, &bb) || ba.kind != bb.kind)
		return false;
	if (mask_at(al->a, p->a + ba.rel_off) == KM_MASK_RELOC ||
	    mask_at(al->b, p->b + bb.rel_off) == KM_MASK_RELOC)
		return true;
	ta = (long)(p->a + p->ia.len) + ba.rel;
	tb = (long)(p->b + p->ib.len) + bb.rel;
	if (ta < 0 || ta > (long)al->a->size)
		return false;
	return al->map[ta] == tb;
}

static bool same_pair(const struct aligner *al, const struct pair *p)
{
	size_t k;

	if (is_whole_site(mask_at(al->a, p->a)))
		return true;
	if (same_target(al, p))
		return true;
	if (p->ia.len != p->ib.len)
		return false;
	for (k = 0; k < p->ia.len; k++)
		if (!is_masked(al, p, k) &&
		    al->a->bytes[p->a + k] != al->b->bytes[p->b + k])
			return false;
	return true;
}

int km_code_compare(const struct km_code *a, const struct km_code *b,
		    struct km_code_diff *d, long *map)
{
	struct aligner al = { a, b, NULL, 0, map, d };
	size_t i;
	int ret;

	al.pairs = calloc(a->size + 1, sizeof(*al.pairs));
	if (!map)
		al.map = malloc((a->size + 1) * sizeof(*al.map));
	if (!al.pairs || !al.map) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i <= a->size; i++)
		al.map[i] = -1;
	ret = align(&al);
	for (i = 0; !ret && i < al.nr; i++)
		if (!same_pair(&al, &al.pairs[i]))
			ret = differ(d, al.pairs[i].a, al.pairs[i].ia.len,
				     al.pairs[i].b, al.pairs[i].ib.len,
				     "different instructions");
out:
	free(al.pairs);
	if (!map)
		free(al.map);
	return ret;
}

long km_code_compare_live(const struct km_code *ref, const unsigned char *live)
{
	size_t i;

	for (i = 0; i < ref->size; i++)
		if (!mask_at(ref, i) && ref->bytes[i] != live[i])
			return (long)i;
	return -1;
}
