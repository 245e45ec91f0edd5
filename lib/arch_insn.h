/* SPDX-License-Identifier: GPL-2.0 */
/* x86-64 instruction lengths: where a relocated field's instruction ends. */
#ifndef KMEND_ARCH_INSN_H
#define KMEND_ARCH_INSN_H

#include <stdbool.h>
#include <stddef.h>

struct arch_insn {
	unsigned char len;
	unsigned char disp_off;
	unsigned char disp_len;
	unsigned char imm_off;
	unsigned char imm_len;
	bool rip_relative;
};

int arch_insn_decode(const unsigned char *buf, size_t size,
		     struct arch_insn *insn);
long arch_insn_end_at(const unsigned char *code, size_t size, size_t offset);

#endif
