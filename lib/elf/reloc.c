// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>

#include "arch.h"
#include "reloc.h"
#include "util.h"

/* The function of a text section that holds offset: decoding starts there. */
static GElf_Addr code_start(const struct kelf *e, const struct kelf_sec *sec,
			    GElf_Addr offset)
{
	struct kelf_sym *f;

	if (sec->func)
		return sec->func->sym.st_value;
	f = kelf_symbol_at(e, sec, offset);
	return f && f->type == STT_FUNC ? f->sym.st_value : 0;
}

static int reloc_bias(struct km_ctx *ctx, const struct kelf *e,
		      const struct kelf_sec *sec, const struct kelf_rela *r,
		      long *bias)
{
	GElf_Addr start;
	int ret;

	*bias = 0;
	if (!arch_is_pc_relative(r->type) || !kelf_is_text(sec))
		return 0;
	start = code_start(e, sec, r->offset);
	ret = arch_pc_bias(sec->data + start, sec->size - start,
			   r->offset - start, bias);
	if (ret)
		km_err(ctx, "cannot read '%s': cannot decode the instruction "
		       "at %s+0x%lx (relocation to '%s')", e->path, sec->name,
		       (unsigned long)r->offset, r->sym->name);
	return ret;
}

/* Does the instruction holding r read or write memory through it? */
static bool is_access(const struct kelf *e, const struct kelf_sec *sec,
		      const struct kelf_rela *r)
{
	GElf_Addr start;

	if (!kelf_is_text(sec) || !sec->data || !arch_is_pc_relative(r->type))
		return false;
	start = code_start(e, sec, r->offset);
	return arch_is_memory_access(sec->data + start, sec->size - start,
				     r->offset - start);
}

/*
 * The FUNC/OBJECT holding off, else the one ending exactly at off (&a[N]),
 * else a zero-size one at off (an empty struct: a lockdep key without
 * lockdep).  *next: another one starting at that end, when there is one.
 */
static struct kelf_sym *symbol_holding(const struct kelf *e,
				       const struct kelf_sec *sec,
				       GElf_Sxword off, struct kelf_sym **next)
{
	struct kelf_sym *s, *end = NULL, *start = NULL, *empty = NULL;
	size_t nr_empty = 0;

	*next = NULL;
	if (off < 0 || (GElf_Xword)off > sec->size)
		return NULL;
	for_each_sym(e, s) {
		GElf_Xword v = s->sym.st_value, z = s->sym.st_size;

		if (s->sec != sec || (s->type != STT_FUNC && s->type != STT_OBJECT))
			continue;
		if ((GElf_Xword)off > v && (GElf_Xword)off < v + z)
			return s;
		if ((GElf_Xword)off == v && z && !start)
			start = s;
		if (z && (GElf_Xword)off == v + z && !end)
			end = s;
		if (!z && (GElf_Xword)off == v) {
			empty = s;
			nr_empty++;
		}
	}
	if (end && start) {
		*next = start;
		return end;
	}
	if (start || end)
		return start ? start : end;
	return nr_empty == 1 ? empty : NULL;
}

int kelf_target_of(struct km_ctx *ctx, const struct kelf *e,
		   const struct kelf_sec *sec, const struct kelf_rela *r,
		   struct kelf_target *t)
{
	struct kelf_sym *s = r->sym;
	GElf_Sxword at;
	long bias;
	int ret;

	ret = reloc_bias(ctx, e, sec, r, &bias);
	if (ret)
		return ret;
	t->sec = s->sec;
	t->bias = bias;
	t->next = NULL;
	if (!s->sec) {		/* an external */
		t->sym = s;
		t->off = km_add_sat(r->addend, bias);
		return 0;
	}
	if (s->type == STT_FUNC || s->type == STT_OBJECT) {
		t->sym = s;
		t->off = km_add_sat(r->addend, bias);
		return 0;
	}
	/* a section symbol or a label (.LC6): find what the bytes belong to */
	at = km_add_sat(km_add_sat((GElf_Sxword)s->sym.st_value, r->addend), bias);
	t->sym = symbol_holding(e, s->sec, at, &t->next);
	if (t->next && (is_access(e, sec, r) ||
			arch_is_record_section(s->sec->name))) {
		/* nothing is read past an object's end, and a record's end is
		 * not a place: both mean the object that starts there */
		t->sym = t->next;
		t->next = NULL;
		at -= (GElf_Sxword)t->sym->sym.st_value;
		t->off = at;
		return 0;
	}
	t->off = t->sym ? at - (GElf_Sxword)t->sym->sym.st_value : at;
	return 0;
}

bool *kelf_referenced_symbols(const struct kelf *e)
{
	bool *ref = calloc(e->nr_syms ? e->nr_syms : 1, sizeof(*ref));
	bool *sec_ref = calloc(e->nr_secs ? e->nr_secs : 1, sizeof(*sec_ref));
	struct kelf_sec *sec;
	struct kelf_sym *s;
	struct kelf_rela *r;

	if (!ref || !sec_ref) {
		free(ref);
		free(sec_ref);
		return NULL;
	}
	for_each_sec(e, sec)
		for_each_rela(sec, r) {
			ref[r->sym->index] = true;
			/* through the section symbol: whatever the section holds */
			if (r->sym->type == STT_SECTION && r->sym->sec)
				sec_ref[r->sym->sec->index] = true;
		}
	for_each_sym(e, s)
		if (s->sec && sec_ref[s->sec->index])
			ref[s->index] = true;
	free(sec_ref);
	return ref;
}
