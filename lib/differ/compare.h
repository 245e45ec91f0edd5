/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Is a symbol of the patched object the same as its twin?  The same bytes,
 * relocations that reach the same targets (the twin of a symbol, or equal
 * contents for what the compiler made up: string literals, numbered
 * constants, data without a symbol), and, for a function, the same entries
 * in every special section (__bug_table, __jump_table, alternatives ...).
 */
#ifndef KMEND_COMPARE_H
#define KMEND_COMPARE_H

#include "arch.h"
#include "diff.h"
#include "reloc.h"

/* An entry of a special section, owned by the function its anchor names. */
struct km_entry {
	const struct kelf_sec *sec;
	const struct arch_special *sp;
	size_t index;
	GElf_Sxword at;		/* the anchor's offset in the function */
};

struct km_entries {
	struct km_entry *v;
	size_t n, cap;
};

/* Indexes the special-section entries of both objects by function. */
int km_index_entries(struct km_diff *d);
void km_entries_release(struct km_diff *d);
const struct km_entries *km_entries_of(const struct km_diff *d,
				       const struct kelf *e,
				       const struct kelf_sym *func);

/*
 * Same bytes, relocations and (functions) entries.  A comparison that
 * cannot be made (an undecodable instruction) says "differs" and records
 * the error in d->error.
 */
bool km_same_contents(struct km_diff *d, struct kelf_sym *p, struct kelf_sym *o);
/* Equal in the bytes the section's line fields leave out; relocations too. */
bool km_same_relocations(struct km_diff *d, const struct kelf_sym *p,
			 const struct kelf_sym *o);
/*
 * A target at the end of one symbol and the start of the next: in the
 * pristine object (the kernel's layout) it is the next one's start; in the
 * patched object too when their twins are adjacent in the same order in
 * the pristine one, since then both mean the same kernel address.
 * Otherwise t stays ambiguous (t->next set).
 */
void km_settle_boundary(const struct km_diff *d, const struct kelf *e,
			struct kelf_target *t);
/* Whole sections: same bytes and relocation targets. */
bool km_same_section(struct km_diff *d, const struct kelf_sec *p,
		     const struct kelf_sec *o);
/* Forgets what comparisons found (pairs have changed since). */
void km_compare_forget(struct km_diff *d);
/* A read-only constant the compiler made up: copied, compared by content. */
bool km_is_carried_constant(const struct kelf_sym *s);

/*
 * The special-section entries of p and o are the same, but for line
 * fields (a WARN_ON()'s line in __bug_table) that the line map moved.
 */
bool km_same_entries_but_lines(struct km_diff *d, const struct kelf_sym *p,
			       const struct kelf_sym *o);

#endif
