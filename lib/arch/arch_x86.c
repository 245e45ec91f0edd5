// SPDX-License-Identifier: GPL-2.0
/* x86_64 facts: relocation types, special sections of the 6.x kernels. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch_insn.h"

#include "arch.h"
#include "kelf.h"
#include "util.h"

/*
 * Entry sizes of the kernel's tables, per kernel version: what changed
 * between the series kmend targets (6.1, 6.12) makes a layout of its own.
 */
#define SPECIAL(n, size, ...) { .name = n, .entsize = size, __VA_ARGS__ }

#define COMMON_SPECIALS \
	SPECIAL("__mcount_loc", 8), \
	SPECIAL(".orc_unwind_ip", 4, .parallel = ".orc_unwind", \
		.parallel_entsize = 6), \
	SPECIAL(".return_sites", 4), \
	SPECIAL(".retpoline_sites", 4), \
	SPECIAL(".call_sites", 4), \
	SPECIAL(".ibt_endbr_seal", 4), \
	SPECIAL(".smp_locks", 4), \
	SPECIAL("__ex_table", 12), \
	SPECIAL("__bug_table", 12), \
	SPECIAL(".static_call_sites", 8, .klp_policy = ARCH_EXTERN_DROP), \
	/* \
	 * struct jump_entry: code, target, key (flags in its low bits).  A key \
	 * the kernel does not export (a tracepoint's, a pr_debug() site's in \
	 * its __dyndbg descriptor) is a livepatch relocation: 6.1 writes those \
	 * of vmlinux while the module loads, before jump_label_add_module() \
	 * reads the entries (see klp_apply_section_relocs()). \
	 */ \
	SPECIAL("__jump_table", 16)

/* 6.1 and 6.2: struct alt_instr of 12 bytes, paravirt patch sites. */
static const struct arch_special specials_6_1[] = {
	COMMON_SPECIALS,
	/* struct alt_instr: instr_offset, repl_offset, cpuid, instrlen,
	 * replacementlen */
	SPECIAL(".altinstructions", 12, .repl_offset_at = 4, .repl_len_at = 11),
	SPECIAL(".parainstructions", 16),
};

/*
 * 6.3 on: struct alt_instr grows a u16 of flags beside the cpuid (14
 * bytes); 6.12 has no .parainstructions (paravirt calls are alternatives)
 * but compiles with call padding (-fpatchable-function-entry=16,16): one
 * pointer a function to its padding, that modules keep and x86 reads not.
 */
static const struct arch_special specials_6_3[] = {
	COMMON_SPECIALS,
	/* instr_offset, repl_offset, cpuid:16 flags:16, instrlen,
	 * replacementlen */
	SPECIAL(".altinstructions", 14, .repl_offset_at = 4, .repl_len_at = 13),
	SPECIAL(".parainstructions", 16),
	SPECIAL("__patchable_function_entries", 8,
		.klp_policy = ARCH_EXTERN_DROP),
};

#define LAYOUT(n, tab) { .name = n, .specials = tab, \
			 .nr = sizeof(tab) / sizeof(tab[0]) }

static const struct arch_layout layouts[] = {
	LAYOUT("6.1", specials_6_1),
	LAYOUT("6.3", specials_6_3),
};

const struct arch_layout *arch_layout_default(void)
{
	return &layouts[0];
}

/* "6.12.117+deb12-amd64" -> 6, 12: the layout of the newest version <= it */
const struct arch_layout *arch_layout_for_kernel(const char *krel)
{
	unsigned int maj = 0, min = 0;
	const struct arch_layout *best = NULL;
	size_t i;

	if (!krel || sscanf(krel, "%u.%u", &maj, &min) != 2)
		return NULL;
	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		unsigned int lmaj = 0, lmin = 0;

		if (sscanf(layouts[i].name, "%u.%u", &lmaj, &lmin) == 2 &&
		    (lmaj < maj || (lmaj == maj && lmin <= min)))
			best = &layouts[i];
	}
	return best;
}

/*
 * The layout whose struct alt_instr fits the entries of an object's
 * .altinstructions: each entry has its two PC-relative relocations at
 * offsets 0 and 4; NULL when no layout fits (or there is no such table).
 */
const struct arch_layout *arch_layout_fitting(const struct kelf_sec *alt)
{
	size_t i, r;

	if (!alt || !alt->size)
		return NULL;
	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		const struct arch_special *sp =
			arch_special_in(&layouts[i], ".altinstructions");
		bool fits = sp && alt->size % sp->entsize == 0;

		for (r = 0; fits && r < alt->nr_relas; r++) {
			size_t at = (size_t)alt->relas[r].offset % sp->entsize;

			fits = at == 0 || at == sp->repl_offset_at;
		}
		if (fits)
			return &layouts[i];
	}
	return NULL;
}

const struct arch_special *arch_special_in(const struct arch_layout *l,
					   const char *name)
{
	size_t i;

	if (!l)
		l = arch_layout_default();
	for (i = 0; i < l->nr; i++)
		if (!strcmp(l->specials[i].name, name))
			return &l->specials[i];
	return NULL;
}

/* Whether a section is a table of code places, in any layout. */
const struct arch_special *arch_special_section(const char *name)
{
	size_t i;
	const struct arch_special *sp = NULL;

	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]) && !sp; i++)
		sp = arch_special_in(&layouts[i], name);
	return sp;
}

/*
 * struct _ddebug: four pointers, then lineno:18 in the next word;
 * struct bug_entry: two 32-bit offsets, then the u16 line, u16 flags.
 */
static const struct arch_line_field line_fields[] = {
	{ "__dyndbg", 32, 0x3ffff },
	{ "__bug_table", 8, 0xffff },
};

const struct arch_line_field *arch_line_field(const char *section)
{
	size_t i;

	for (i = 0; i < sizeof(line_fields) / sizeof(line_fields[0]); i++)
		if (!strcmp(line_fields[i].section, section))
			return &line_fields[i];
	return NULL;
}

/*
 * Export entries (___ksymtab+foo, its string and CRC) keep naming the old
 * function, which livepatch redirects: the patch needs none of them.
 */
static bool is_export_section(const char *name)
{
	return km_starts_with(name, "___ksymtab") ||
	       km_starts_with(name, "__ksymtab") ||
	       km_starts_with(name, "___kcrctab") ||
	       km_starts_with(name, "__kcrctab") ||
	       !strcmp(name, ".export_symbol");	/* 6.5 on: read by modpost */
}

const char *arch_runtime_const_ptr(const char *section)
{
	return km_starts_with(section, "runtime_ptr_") && section[12] ?
	       section + 12 : NULL;
}

const char *arch_runtime_const_shift(const char *section)
{
	return km_starts_with(section, "runtime_shift_") && section[14] ?
	       section + 14 : NULL;
}

/* the value runtime_const_ptr() puts in the code until the kernel patches it */
#define RUNTIME_PTR_PLACEHOLDER 0x0123456789abcdefULL

/*
 * movabs $imm64, %reg is REX.W(+B) B8+r imm64, 10 bytes; mov disp32(%rip),
 * %reg is REX.W(+R) 8B modrm(00 reg 101) disp32, 7 bytes, and a 3-byte nop
 * keeps the length.
 */
int arch_runtime_ptr_to_load(unsigned char *code, size_t size, size_t imm_off,
			     size_t *rela_off, unsigned int *type,
			     GElf_Sxword *addend)
{
	unsigned long long imm = 0;
	unsigned char *insn, rex, reg;
	int i;

	if (imm_off < 2 || imm_off > size || size - imm_off < 8)
		return -EINVAL;
	insn = code + imm_off - 2;
	for (i = 7; i >= 0; i--)
		imm = imm << 8 | insn[2 + i];
	if ((insn[0] & 0xfe) != 0x48 || (insn[1] & 0xf8) != 0xb8 ||
	    imm != RUNTIME_PTR_PLACEHOLDER)
		return -EINVAL;
	rex = 0x48 | (insn[0] & 1) << 2;
	reg = insn[1] & 7;
	insn[0] = rex;
	insn[1] = 0x8b;
	insn[2] = 0x05 | reg << 3;
	memset(insn + 3, 0, 4);
	insn[7] = 0x0f;		/* nopl (%rax) */
	insn[8] = 0x1f;
	insn[9] = 0x00;
	*rela_off = imm_off + 1;
	*type = R_X86_64_PC32;
	*addend = -4;
	return 0;
}

bool arch_is_ignored_section(const char *name)
{
	/* the printk format index and builtin modinfo: for tools only */
	return is_export_section(name) ||
	       !strcmp(name, ".printk_index") ||
	       !strcmp(name, ".modinfo") ||
	       km_starts_with(name, ".discard") ||
	       km_starts_with(name, ".note") ||
	       km_starts_with(name, ".debug") ||
	       km_starts_with(name, ".rela.debug") ||
	       !strcmp(name, ".comment") ||
	       !strcmp(name, ".orc_unwind");	/* follows .orc_unwind_ip */
}

/*
 * Both forms of the ftrace entry: "call __fentry__" as gcc writes it with
 * -mrecord-mcount, and the 5-byte nop objtool --mcount leaves in its place,
 * with the relocation kept as R_X86_64_NONE (and a __mcount_loc entry).
 */
static bool is_fentry_call(const struct kelf_rela *r)
{
	return (r->type == R_X86_64_PLT32 || r->type == R_X86_64_PC32 ||
		r->type == R_X86_64_NONE) &&
	       !strcmp(r->sym->name, "__fentry__");
}

bool arch_has_fentry(const struct kelf_sec *sec, GElf_Addr func_offset)
{
	size_t n, i;
	struct kelf_rela *r;

	/* "call __fentry__" is the first instruction, after an endbr64. */
	r = kelf_relas_in(sec, func_offset, func_offset + 9, &n);
	for (i = 0; i < n; i++)
		if (is_fentry_call(&r[i]))
			return true;
	return false;
}

bool arch_is_record_section(const char *name)
{
	return !strcmp(name, "__dyndbg") || !strcmp(name, "__dyndbg_classes") ||
	       !strcmp(name, ".data.once") || !strcmp(name, ".data..once") ||
	       !strcmp(name, "__tracepoints");
}

/* gas writes PLT32 for every call and jump to a symbol, PC32 for lea */
bool arch_is_branch(unsigned int type)
{
	return type == R_X86_64_PLT32;
}

bool arch_is_pc_relative(unsigned int type)
{
	return type == R_X86_64_PC32 || type == R_X86_64_PLT32 ||
	       type == R_X86_64_PC64;
}

int arch_pc_bias(const unsigned char *code, size_t size, size_t offset,
		 long *bias)
{
	long end = code ? arch_insn_end_at(code, size, offset) : -EINVAL;

	if (end < 0 || (size_t)end < offset + 4)
		return -EINVAL;
	*bias = end - (long)offset;
	return 0;
}

static bool is_legacy_prefix(unsigned char b)
{
	return b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 ||
	       b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 ||
	       b == 0x65;
}

/* lea computes an address; 0f 18-1f are hints and nops that access nothing */
static bool is_address_only(const unsigned char *insn, size_t len)
{
	size_t i = 0;

	while (i < len && is_legacy_prefix(insn[i]))
		i++;
	if (i < len && (insn[i] & 0xf0) == 0x40)	/* REX */
		i++;
	if (i >= len)
		return true;
	if (insn[i] == 0x8d)
		return true;
	return insn[i] == 0x0f && i + 1 < len &&
	       insn[i + 1] >= 0x18 && insn[i + 1] <= 0x1f;
}

static bool is_prefix(unsigned char b)
{
	return b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 ||
	       b == 0x2e || b == 0x3e || b == 0x26 || b == 0x36 ||
	       b == 0x64 || b == 0x65 || (b >= 0x40 && b <= 0x4f);
}

/* call rel32, jmp rel32, or jcc rel32 (0f 80..8f), after any prefixes */
static bool is_rel32_branch(const unsigned char *insn, size_t len,
			    size_t field)
{
	size_t i = 0;

	while (i < len && is_prefix(insn[i]))
		i++;
	if (i < len && (insn[i] == 0xe8 || insn[i] == 0xe9))
		return field == i + 1 && len == i + 5;
	return i + 1 < len && insn[i] == 0x0f && (insn[i + 1] & 0xf0) == 0x80 &&
	       field == i + 2 && len == i + 6;
}

bool arch_is_direct_branch(const unsigned char *code, size_t size,
			   size_t offset)
{
	size_t at = 0;

	while (at < size) {
		struct arch_insn insn;

		if (arch_insn_decode(code + at, size - at, &insn))
			return false;
		if (offset < at + insn.len)
			return is_rel32_branch(code + at, insn.len, offset - at);
		at += insn.len;
	}
	return false;
}

bool arch_is_memory_access(const unsigned char *code, size_t size,
			   size_t offset)
{
	size_t at = 0;

	while (at < size) {
		struct arch_insn insn;

		if (arch_insn_decode(code + at, size - at, &insn))
			return false;
		if (offset < at + insn.len) {
			return insn.disp_len == 4 && insn.disp_off &&
			       offset == at + insn.disp_off &&
			       !is_address_only(code + at, insn.len);
		}
		at += insn.len;
	}
	return false;
}

size_t arch_reloc_width(unsigned int type)
{
	switch (type) {
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_32:
	case R_X86_64_32S:
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		return 4;
	case R_X86_64_NONE:
		return 0;
	default:
		return 8;
	}
}
