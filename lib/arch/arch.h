/* SPDX-License-Identifier: GPL-2.0 */
/* What kmend needs to know about the instruction set, behind one interface. */
#ifndef KMEND_ARCH_H
#define KMEND_ARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "kelf.h"

/*
 * A special section: an array of fixed-size entries, each naming a place in
 * the code by a relocation at offset `anchor` of the entry.  An entry goes
 * into a live patch when that place is in a function the patch carries.
 */
struct arch_special {
	const char *name;
	size_t entsize;
	size_t anchor;
	const char *parallel;	/* entries of this section follow ours 1:1 */
	size_t parallel_entsize;
	/* relocations to the kernel at other offsets of an entry: */
	enum {
		ARCH_EXTERN_OK,		/* resolved at load, like code */
		ARCH_EXTERN_DROP,	/* drop the entry (an optimization only) */
	} klp_policy;
	/* an entry naming code elsewhere (an alternative's replacement):
	 * the offset of that relocation, and of the u8 length of the code */
	size_t repl_offset_at, repl_len_at;
};

/*
 * A field of a kernel table that a mere shift of line numbers changes
 * (the line of a pr_debug() call site): the differ does not count it.
 */
struct arch_line_field {
	const char *section;
	size_t offset;		/* of a 32-bit little-endian word */
	unsigned int mask;	/* its bits that hold the line */
};

const struct arch_line_field *arch_line_field(const char *section);

/*
 * The special sections of one kernel version (their entry sizes change
 * between versions: struct alt_instr is 12 bytes in 6.1, 14 from 6.3 on).
 */
struct arch_layout {
	const char *name;	/* the first version it describes: "6.3" */
	const struct arch_special *specials;
	size_t nr;
};

struct kelf_sec;

/* 6.1's: the layout of an object that shows no other */
const struct arch_layout *arch_layout_default(void);
/* The layout of kernel release krel ("6.12.117+deb12-amd64"); NULL: unknown */
const struct arch_layout *arch_layout_for_kernel(const char *krel);
/* The layout whose alt_instr fits this .altinstructions; NULL: none fits */
const struct arch_layout *arch_layout_fitting(const struct kelf_sec *alt);
/* name's entry in layout l (NULL: the default layout), or NULL */
const struct arch_special *arch_special_in(const struct arch_layout *l,
					   const char *name);
/* name's entry in any layout: is name a special section at all? */
const struct arch_special *arch_special_section(const char *name);
/* Sections that carry nothing a live patch needs (.discard.*, notes ...). */
bool arch_is_ignored_section(const char *name);
/*
 * Runtime constants (6.11 on): runtime_ptr_SYM and runtime_shift_SYM list
 * the immediates of code that the kernel patches at boot with SYM's value,
 * in vmlinux only.  The name of SYM, or NULL for any other section.
 */
const char *arch_runtime_const_ptr(const char *section);
const char *arch_runtime_const_shift(const char *section);
/*
 * Rewrites the instruction of code whose 64-bit immediate is at imm_off
 * (movabs $placeholder, %reg) into a load of the variable that holds the
 * value (mov SYM(%rip), %reg, then nops): *rela_off, *type and *addend
 * are the relocation to SYM to add.  -EINVAL when the bytes are not that
 * instruction.
 */
int arch_runtime_ptr_to_load(unsigned char *code, size_t size, size_t imm_off,
			     size_t *rela_off, unsigned int *type,
			     GElf_Sxword *addend);
/* Does the function start with the ftrace call livepatch redirects? */
bool arch_has_fentry(const struct kelf_sec *sec, GElf_Addr func_offset);
/* How far past a PC-relative relocation's field its instruction may end. */
bool arch_is_pc_relative(unsigned int type);
/*
 * For a PC-relative field at `offset` of code (decoded from its start):
 * what to add to the addend for the target, the distance from the field to
 * the end of its instruction.  -EINVAL when the code cannot be decoded.
 */
int arch_pc_bias(const unsigned char *code, size_t size, size_t offset,
		 long *bias);

/*
 * A section of separate records the kernel walks (dynamic debug
 * descriptors, once-flags, tracepoints): a place at the end of one record
 * is the start of the next, never an end pointer.
 */
bool arch_is_record_section(const char *name);

/* How many bytes a relocation of this type writes (8 when not known). */
size_t arch_reloc_width(unsigned int type);

/* A relocation of a direct call or jump (not an address taken). */
bool arch_is_branch(unsigned int type);

/*
 * Is the field at `offset` of code the memory operand of an instruction
 * that reads or writes there (not lea, not an immediate)?  Such an access
 * means the object starting at the target, never the end of the one
 * before it.
 */
bool arch_is_memory_access(const unsigned char *code, size_t size,
			   size_t offset);
/*
 * Is the field at `offset` of code the 32-bit offset of a direct call or
 * jump (call, jmp, jcc rel32)?  A use of a function that only transfers
 * control to it, never one that takes its address.
 */
bool arch_is_direct_branch(const unsigned char *code, size_t size,
			   size_t offset);

#endif
