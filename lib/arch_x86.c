// SPDX-License-Identifier: GPL-2.0
/* x86_64 facts: relocation types, special sections of the 6.x kernels. */
#include <errno.h>
#include <string.h>

#include "arch_insn.h"

#include "arch.h"
#include "util.h"

/* Entry sizes of the kernel's tables (arch/x86 of 6.1 and 6.12). */
#define SPECIAL(n, size, ...) { .name = n, .entsize = size, __VA_ARGS__ }

static const struct arch_special specials[] = {
	SPECIAL("__mcount_loc", 8),
	SPECIAL(".orc_unwind_ip", 4, .parallel = ".orc_unwind",
		.parallel_entsize = 6),
	SPECIAL(".return_sites", 4),
	SPECIAL(".retpoline_sites", 4),
	SPECIAL(".call_sites", 4),
	SPECIAL(".ibt_endbr_seal", 4),
	SPECIAL(".smp_locks", 4),
	SPECIAL("__ex_table", 12),
	SPECIAL("__bug_table", 12),
	/* struct alt_instr: instr_offset, repl_offset, cpuid, instrlen,
	 * replacementlen */
	SPECIAL(".altinstructions", 12, .repl_offset_at = 4, .repl_len_at = 11),
	SPECIAL(".parainstructions", 16),
	SPECIAL(".static_call_sites", 8, .klp_policy = ARCH_EXTERN_DROP),
	/*
	 * A pr_debug() site's static key is in its __dyndbg descriptor, a
	 * variable the kernel does not export: without its entry the new
	 * code's pr_debug() stays off, which changes no behaviour but debug
	 * output.
	 */
	SPECIAL("__jump_table", 16, .klp_policy = ARCH_EXTERN_REFUSE,
		.drop_target_section = "__dyndbg",
		.drop_effect = "its pr_debug() stays off in the new code (dynamic "
			       "debug keys are not exported)"),
};

const struct arch_special *arch_special_section(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(specials) / sizeof(specials[0]); i++)
		if (!strcmp(specials[i].name, name))
			return &specials[i];
	return NULL;
}

/* struct _ddebug: four pointers, then lineno:18 in the next word. */
static const struct arch_line_field line_fields[] = {
	{ "__dyndbg", 32, 0x3ffff },
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
	       km_starts_with(name, "__kcrctab");
}

bool arch_is_ignored_section(const char *name)
{
	return is_export_section(name) ||
	       km_starts_with(name, ".discard") ||
	       km_starts_with(name, ".note") ||
	       km_starts_with(name, ".debug") ||
	       km_starts_with(name, ".rela.debug") ||
	       !strcmp(name, ".comment") ||
	       !strcmp(name, ".orc_unwind");	/* follows .orc_unwind_ip */
}

static bool is_fentry_call(const struct kelf_rela *r)
{
	return (r->type == R_X86_64_PLT32 || r->type == R_X86_64_PC32) &&
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
