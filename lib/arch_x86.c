// SPDX-License-Identifier: GPL-2.0
/* x86_64 facts: relocation types, special sections of the 6.x kernels. */
#include <string.h>

#include "arch.h"
#include "util.h"

/* Entry sizes of the kernel's tables (arch/x86 of 6.1 and 6.12). */
static const struct arch_special specials[] = {
	{ "__mcount_loc",      8,  0, NULL, 0, ARCH_EXTERN_OK, NULL, NULL },
	{ ".orc_unwind_ip",    4,  0, ".orc_unwind", 6, ARCH_EXTERN_OK, NULL, NULL },
	{ ".return_sites",     4,  0, NULL, 0, ARCH_EXTERN_OK, NULL, NULL },
	{ ".retpoline_sites",  4,  0, NULL, 0, ARCH_EXTERN_OK, NULL, NULL },
	{ ".call_sites",       4,  0, NULL, 0, ARCH_EXTERN_OK, NULL, NULL },
	{ ".ibt_endbr_seal",   4,  0, NULL, 0, ARCH_EXTERN_OK, NULL, NULL },
	{ ".smp_locks",        4,  0, NULL, 0, ARCH_EXTERN_OK, NULL, NULL },
	{ "__ex_table",        12, 0, NULL, 0, ARCH_EXTERN_OK, NULL, NULL },
	{ "__bug_table",       12, 0, NULL, 0, ARCH_EXTERN_OK, NULL, NULL },
	{ ".altinstructions",  12, 0, NULL, 0, ARCH_EXTERN_OK, NULL, NULL },
	{ ".parainstructions", 16, 0, NULL, 0, ARCH_EXTERN_OK, NULL, NULL },
	{ ".static_call_sites", 8, 0, NULL, 0, ARCH_EXTERN_DROP, NULL, NULL },
	/*
	 * A pr_debug() site's static key is in its __dyndbg descriptor, a
	 * variable the kernel does not export: without its entry the new
	 * code's pr_debug() stays off, which changes no behaviour but debug
	 * output.
	 */
	{ "__jump_table",      16, 0, NULL, 0, ARCH_EXTERN_REFUSE, "__dyndbg",
	  "its pr_debug() stays off in the new code (dynamic debug keys are "
	  "not exported)" },
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

bool arch_is_ignored_section(const char *name)
{
	return km_starts_with(name, ".discard") ||
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

long arch_pc_bias(void)
{
	return 4;
}
