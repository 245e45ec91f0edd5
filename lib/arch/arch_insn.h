/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Instruction boundaries, for the differ: the target of a PC-relative
 * relocation is relative to the end of its instruction, which is not always
 * 4 bytes after the relocated field (`movl $5, var(%rip)` has an immediate
 * after it, and an addend of -8).  The target's offset from the field is
 * addend + (end of the instruction - relocation offset).
 *
 * Only lengths and field positions are decoded; an instruction is not
 * checked further than its length requires.
 */
#ifndef KMEND_ARCH_INSN_H
#define KMEND_ARCH_INSN_H

#include <stdbool.h>
#include <stddef.h>

struct arch_insn {
	unsigned char len;        /* total length in bytes */
	unsigned char disp_off;   /* offset of the displacement field, 0 if none */
	unsigned char disp_len;   /* 0,1,2,4 */
	unsigned char imm_off;    /* offset of the first immediate, 0 if none */
	unsigned char imm_len;    /* total immediate bytes (0..8, enter has 2+1) */
	bool rip_relative;        /* ModRM mod=00 rm=101 in 64-bit mode */
};

/*
 * Decodes one instruction at buf (at most size bytes).  0 or -EINVAL when
 * the bytes are not an instruction it knows or run past size.
 *
 * The "immediate" is whatever follows the ModRM operand: an immediate, the
 * offset of a relative call or jump (rel8, rel32), or the address of a
 * moffs move (0xA0-0xA3: 8 bytes, 4 with the 0x67 prefix).
 */
int arch_insn_decode(const unsigned char *buf, size_t size,
		     struct arch_insn *insn);

/*
 * The end (offset from code start) of the instruction containing byte
 * `offset` of code[0..size), decoding linearly from 0; -EINVAL when
 * decoding fails or offset is not inside a decoded instruction.
 */
long arch_insn_end_at(const unsigned char *code, size_t size, size_t offset);

/*
 * A relative branch (jmp, jcc, call with rel8 or rel32): the assembler
 * picks the short form when the target is near and in the same section,
 * so the same branch may be 2 bytes in one build and 5 or 6 in another.
 * kind: 'j' jmp, 'c' call, 'a'..'p' for the sixteen jcc conditions.
 */
struct arch_branch {
	char kind;
	long rel;		/* from the end of the instruction */
	unsigned char rel_off;	/* where the displacement is */
};
bool arch_insn_branch(const unsigned char *buf, const struct arch_insn *insn,
		      struct arch_branch *br);
/* A nop of any length (90, 66 90, 0f 1f /0 ...). */
bool arch_insn_is_nop(const unsigned char *buf, const struct arch_insn *insn);

#endif
