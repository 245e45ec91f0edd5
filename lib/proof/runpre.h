/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run-pre: the code kmend compiled from the pristine source must be the
 * code the target kernel runs.  Two functions are compared instruction by
 * instruction, with what linking, the kernel build and the running kernel
 * legitimately change masked out (docs/run-pre.md says why each is safe):
 *
 *   KM_MASK_RELOC       the field a relocation writes (an address, a call's
 *                       offset): filled in by the linker or the loader
 *   KM_MASK_FENTRY      the ftrace call at the entry: "call __fentry__" in
 *                       an object, a 5-byte nop in vmlinux, a call again
 *                       while something traces or patches the function
 *   KM_MASK_JUMP_LABEL  a static-key site: jmp or nop of the same length,
 *                       by objtool's jump_label hack or by the key's state
 *   the next ones the running kernel rewrites, the file never has them:
 *   KM_MASK_ALTERNATIVE an alternative's original instructions
 *   KM_MASK_PARAVIRT    a paravirt call site
 *   KM_MASK_RETPOLINE   a call or jump through a retpoline thunk
 *   KM_MASK_RETURN      a jump to the return thunk
 *   KM_MASK_STATIC_CALL a static call's call or jump
 *   KM_MASK_ENDBR       an endbr64 that IBT sealing turns into a nop
 *
 * A relative jump may be short in one build and long in the other (the
 * assembler relaxes jumps within a section; with -ffunction-sections a
 * jump to another function is a long one with a relocation): where the
 * lengths differ, the two must be the same kind of branch to the same
 * place, through the map from one function's offsets to the other's.
 */
#ifndef KMEND_RUNPRE_H
#define KMEND_RUNPRE_H

#include <stdbool.h>
#include <stddef.h>

enum km_mask_kind {
	KM_MASK_NONE = 0,
	KM_MASK_RELOC,
	KM_MASK_FENTRY,
	KM_MASK_JUMP_LABEL,
	KM_MASK_ALTERNATIVE,
	KM_MASK_PARAVIRT,
	KM_MASK_RETPOLINE,
	KM_MASK_RETURN,
	KM_MASK_STATIC_CALL,
	KM_MASK_ENDBR,
	KM_MASK_NR,
};

/* "relocation", "ftrace call" ...: for messages and the proof record. */
const char *km_mask_name(enum km_mask_kind kind);
int km_mask_parse(const char *name);

/* One function's code on one side, with a mask kind per byte (or 0). */
struct km_code {
	const unsigned char *bytes;
	size_t size;
	unsigned char *mask;	/* size bytes, owned by the caller */
};

/* The first difference: offsets and lengths of both instructions. */
struct km_code_diff {
	size_t a_off, b_off;
	size_t a_len, b_len;	/* 0: that side has no instruction there */
	const char *what;
};

/*
 * Compares the code of an object (a) with the linked code (b).  0 when
 * they are the same; 1 when not, with *d filled; -ENOMEM.  When map is
 * not NULL it gets, for each offset of a that starts an instruction (and
 * a->size), the matching offset of b, -1 elsewhere: a->size + 1 entries.
 */
int km_code_compare(const struct km_code *a, const struct km_code *b,
		    struct km_code_diff *d, long *map);

/*
 * Compares linked code (ref) with the bytes the running kernel has, byte
 * for byte but where ref's mask says the kernel may have written.  -1
 * when the same, else the first differing offset.
 */
long km_code_compare_live(const struct km_code *ref,
			  const unsigned char *live);

/* "e8 00 00 00 00" for the len bytes at p (at most 15), in buf. */
const char *km_code_hex(const unsigned char *p, size_t len, char *buf,
			size_t bufsize);

#endif
