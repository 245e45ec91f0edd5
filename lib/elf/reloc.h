/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a relocation points.  An addend alone does not say: a PC-relative
 * field in an instruction is followed by whatever the instruction has after
 * its displacement (an immediate, for `movl $5, var(%rip)`), so the target
 * is found from the instruction itself, never from a fixed bias.
 */
#ifndef KMEND_RELOC_H
#define KMEND_RELOC_H

#include "kelf.h"

struct kelf_target {
	/*
	 * The FUNC or OBJECT symbol whose bytes hold the target, or the
	 * undefined symbol of an external; NULL for data without a symbol
	 * (string literals, anonymous constants, .LCn labels).
	 */
	struct kelf_sym *sym;
	struct kelf_sec *sec;	/* NULL for an external */
	/* from sym's start when sym is set, else from sec's start */
	GElf_Sxword off;
	/* the target is addend + bias from the relocation's symbol */
	long bias;
	/*
	 * Set when the target is the end of sym and the start of next: the
	 * bytes say nothing about which of the two the code means (a loop's
	 * end pointer, or the next variable).
	 */
	struct kelf_sym *next;
};

/*
 * The target of r, a relocation of sec.  -EINVAL (logged, naming the place)
 * when the instruction that holds a PC-relative field cannot be decoded.
 */
int kelf_target_of(struct km_ctx *ctx, const struct kelf *e,
		   const struct kelf_sec *sec, const struct kelf_rela *r,
		   struct kelf_target *t);

/*
 * By symbol index: does some relocation of e name the symbol, or the
 * section it is in (code reaches a static as .data.once+8)?  NULL on
 * failure (ENOMEM).
 */
bool *kelf_referenced_symbols(const struct kelf *e);

/* Is the target an external (an undefined symbol)? */
static inline bool kelf_target_is_external(const struct kelf_target *t)
{
	return t->sym && !t->sec;
}

/* Where in its section the target is. */
static inline GElf_Sxword kelf_target_section_offset(const struct kelf_target *t)
{
	return t->sym && t->sec ? (GElf_Sxword)t->sym->sym.st_value + t->off
				: t->off;
}

#endif
