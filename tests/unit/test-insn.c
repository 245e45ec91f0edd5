// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of lib/arch/arch_x86_insn: lengths and field positions of the
 * instructions gcc and the kernel's asm emit, and arch_insn_end_at().
 *
 *   test-insn              the checks below
 *   test-insn OBJ...       prints "SECTION OFFSET LENGTH" (hex offset) for
 *                          every instruction of every code section, decoded
 *                          linearly as objdump -d does, for
 *                          tests/differ/t1010-insn-decoder.sh to compare;
 *                          and checks arch_insn_end_at() on every byte of
 *                          every function.  Exit 1 on a failure of either.
 */
#include <gelf.h>

#include "arch_insn.h"
#include "kelf.h"
#include "unit.h"

struct insn_case {
	const char *what;
	const char *bytes;
	size_t size;
	struct arch_insn want;
};

/* bytes given as a string literal, its size without the final NUL */
#define B(s) s, sizeof(s) - 1
/* len, disp_off, disp_len, imm_off, imm_len, rip_relative */
#define I(...) { __VA_ARGS__ }

static const struct insn_case cases[] = {
	{ "endbr64", B("\xf3\x0f\x1e\xfa"), I(4, 0, 0, 0, 0, false) },
	{ "movl $5, var(%rip): imm32 after the displacement",
	  B("\xc7\x05\0\0\0\0\x05\0\0\0"), I(10, 2, 4, 6, 4, true) },
	{ "cmpb $1, var(%rip)", B("\x80\x3d\0\0\0\0\x01"), I(7, 2, 4, 6, 1, true) },
	{ "movw $5, var(%rip): 0x66 makes imm16",
	  B("\x66\xc7\x05\0\0\0\0\x05\0"), I(9, 3, 4, 7, 2, true) },
	{ "addq $0x12345678, (%rdi)", B("\x48\x81\x07\x78\x56\x34\x12"),
	  I(7, 0, 0, 3, 4, false) },
	{ "addw $0x1234, (%rdi)", B("\x66\x81\x07\x34\x12"), I(5, 0, 0, 3, 2, false) },
	{ "0x66 with REX.W: imm32", B("\x66\x48\x81\x07\x78\x56\x34\x12"),
	  I(8, 0, 0, 4, 4, false) },
	{ "movabs $imm64, %rax", B("\x48\xb8\x88\x77\x66\x55\x44\x33\x22\x11"),
	  I(10, 0, 0, 2, 8, false) },
	{ "mov $imm32, %eax", B("\xb8\x01\0\0\0"), I(5, 0, 0, 1, 4, false) },
	{ "mov $imm16, %ax", B("\x66\xb8\x01\0"), I(4, 0, 0, 2, 2, false) },
	{ "movabs moffs64, %al", B("\xa0\x88\x77\x66\x55\x44\x33\x22\x11"),
	  I(9, 0, 0, 1, 8, false) },
	{ "addr32 mov moffs32, %al", B("\x67\xa0\x44\x33\x22\x11"),
	  I(6, 0, 0, 2, 4, false) },
	{ "movabs %rax, moffs64", B("\x48\xa3\x88\x77\x66\x55\x44\x33\x22\x11"),
	  I(10, 0, 0, 2, 8, false) },
	{ "testb $1, (%rdi): F6 /0 has ib", B("\xf6\x07\x01"), I(3, 0, 0, 2, 1, false) },
	{ "testl $0x100, 8(%rdi): F7 /0 has iz",
	  B("\xf7\x47\x08\x00\x01\0\0"), I(7, 2, 1, 3, 4, false) },
	{ "testw $0x1234, (%rdi)", B("\x66\xf7\x07\x34\x12"), I(5, 0, 0, 3, 2, false) },
	{ "notl (%rdi): F7 /2 has none", B("\xf7\x17"), I(2, 0, 0, 0, 0, false) },
	{ "negb %al: F6 /3 has none", B("\xf6\xd8"), I(2, 0, 0, 0, 0, false) },
	{ "SIB base=101 mod=00: disp32, not rip-relative",
	  B("\x48\x8b\x04\xc5\0\0\0\0"), I(8, 4, 4, 0, 0, false) },
	{ "%gs: per-cpu, rip-relative", B("\x65\x48\x8b\x05\0\0\0\0"),
	  I(8, 4, 4, 0, 0, true) },
	{ "%gs: per-cpu, absolute", B("\x65\x48\x8b\x04\x25\0\0\0\0"),
	  I(9, 5, 4, 0, 0, false) },
	{ "addq $1, %gs:var(%rip)", B("\x65\x48\x83\x05\0\0\0\0\x01"),
	  I(9, 4, 4, 8, 1, true) },
	{ "REX.B does not change rm=101 to a base", B("\x44\x8b\x05\0\0\0\0"),
	  I(7, 3, 4, 0, 0, true) },
	{ "mov 0(%r13): mod=01 rm=101", B("\x49\x8b\x45\x00"), I(4, 3, 1, 0, 0, false) },
	{ "mov (%r12): SIB", B("\x49\x8b\x04\x24"), I(4, 0, 0, 0, 0, false) },
	{ "addr32 mov (%edi)", B("\x67\x8b\x07"), I(3, 0, 0, 0, 0, false) },
	{ "lock cmpxchg %rdx, (%rdi)", B("\xf0\x48\x0f\xb1\x17"), I(5, 0, 0, 0, 0, false) },
	{ "cmpxchg16b (%rdi)", B("\x48\x0f\xc7\x0f"), I(4, 0, 0, 0, 0, false) },
	{ "xchg %eax, (%rdi)", B("\x87\x07"), I(2, 0, 0, 0, 0, false) },
	{ "rep stosq", B("\xf3\x48\xab"), I(3, 0, 0, 0, 0, false) },
	{ "rep movsb", B("\xf3\xa4"), I(2, 0, 0, 0, 0, false) },
	{ "lfence", B("\x0f\xae\xe8"), I(3, 0, 0, 0, 0, false) },
	{ "rdmsr", B("\x0f\x32"), I(2, 0, 0, 0, 0, false) },
	{ "wrmsr", B("\x0f\x30"), I(2, 0, 0, 0, 0, false) },
	{ "cpuid", B("\x0f\xa2"), I(2, 0, 0, 0, 0, false) },
	{ "swapgs", B("\x0f\x01\xf8"), I(3, 0, 0, 0, 0, false) },
	{ "stac", B("\x0f\x01\xcb"), I(3, 0, 0, 0, 0, false) },
	{ "lgdt (%rdi)", B("\x0f\x01\x17"), I(3, 0, 0, 0, 0, false) },
	{ "ud2", B("\x0f\x0b"), I(2, 0, 0, 0, 0, false) },
	{ "rdpid %rax", B("\xf3\x0f\xc7\xf8"), I(4, 0, 0, 0, 0, false) },
	{ "mov %cr3, %rax", B("\x0f\x20\xd8"), I(3, 0, 0, 0, 0, false) },
	{ "mov to/from CRn ignores mod", B("\x0f\x20\x18"), I(3, 0, 0, 0, 0, false) },
	{ "nopl 0(%rax)", B("\x0f\x1f\x40\x00"), I(4, 3, 1, 0, 0, false) },
	{ "nopw 0(%rax,%rax,1)", B("\x66\x0f\x1f\x44\x00\x00"), I(6, 5, 1, 0, 0, false) },
	{ "cs nopw 0(%rax,%rax,1)", B("\x66\x2e\x0f\x1f\x84\x00\0\0\0\0"),
	  I(10, 6, 4, 0, 0, false) },
	{ "xchg %ax, %ax", B("\x66\x90"), I(2, 0, 0, 0, 0, false) },
	{ "bt $3, (%rdi)", B("\x0f\xba\x27\x03"), I(4, 0, 0, 3, 1, false) },
	{ "bts %rax, var(%rip)", B("\x48\x0f\xab\x05\0\0\0\0"), I(8, 4, 4, 0, 0, true) },
	{ "shld $4, %eax, %edx", B("\x0f\xa4\xc2\x04"), I(4, 0, 0, 3, 1, false) },
	{ "imul $0x12345, %eax, %eax", B("\x69\xc0\x45\x23\x01\x00"),
	  I(6, 0, 0, 2, 4, false) },
	{ "imul $3, %eax, %eax", B("\x6b\xc0\x03"), I(3, 0, 0, 2, 1, false) },
	{ "push $imm32", B("\x68\x01\0\0\0"), I(5, 0, 0, 1, 4, false) },
	{ "push $imm8", B("\x6a\x01"), I(2, 0, 0, 1, 1, false) },
	{ "je rel8", B("\x74\x05"), I(2, 0, 0, 1, 1, false) },
	{ "je rel32", B("\x0f\x84\0\0\0\0"), I(6, 0, 0, 2, 4, false) },
	{ "call rel32", B("\xe8\0\0\0\0"), I(5, 0, 0, 1, 4, false) },
	{ "cs call rel32 (retpoline thunk call)", B("\x2e\xe8\0\0\0\0"),
	  I(6, 0, 0, 2, 4, false) },
	{ "jmp rel32", B("\xe9\0\0\0\0"), I(5, 0, 0, 1, 4, false) },
	{ "jmp rel8", B("\xeb\xfe"), I(2, 0, 0, 1, 1, false) },
	{ "xbegin rel32", B("\xc7\xf8\0\0\0\0"), I(6, 0, 0, 2, 4, false) },
	{ "xabort $3", B("\xc6\xf8\x03"), I(3, 0, 0, 2, 1, false) },
	{ "int3", B("\xcc"), I(1, 0, 0, 0, 0, false) },
	{ "ret", B("\xc3"), I(1, 0, 0, 0, 0, false) },
	{ "ret $8", B("\xc2\x08\x00"), I(3, 0, 0, 1, 2, false) },
	{ "enter $16, $0: iw and ib", B("\xc8\x10\x00\x00"), I(4, 0, 0, 1, 3, false) },
	{ "movbe (%rdi), %eax: 0F 38", B("\x0f\x38\xf0\x07"), I(4, 0, 0, 0, 0, false) },
	{ "pextrd $1, %xmm0, %eax: 0F 3A has ib", B("\x66\x0f\x3a\x16\xc0\x01"),
	  I(6, 0, 0, 5, 1, false) },
	{ "vpxor: VEX C5", B("\xc5\xed\xef\xd9"), I(4, 0, 0, 0, 0, false) },
	{ "vpalignr: VEX C4 map 0F3A, ib", B("\xc4\xe3\x6d\x0f\xd9\x04"),
	  I(6, 0, 0, 5, 1, false) },
	{ "vpshufb: VEX C4 map 0F38", B("\xc4\xe2\x6d\x00\xd9"), I(5, 0, 0, 0, 0, false) },
	{ "vmovdqa var(%rip), %ymm0", B("\xc5\xfd\x6f\x05\0\0\0\0"),
	  I(8, 4, 4, 0, 0, true) },
	{ "vzeroupper: no ModRM", B("\xc5\xf8\x77"), I(3, 0, 0, 0, 0, false) },
	{ "vmovdqu64 0x40(%rdi), %zmm0: EVEX", B("\x62\xf1\xfe\x48\x6f\x47\x01"),
	  I(7, 6, 1, 0, 0, false) },
	{ "vpternlogd: EVEX map 0F3A, ib", B("\x62\xf3\x6d\x48\x25\xd9\x96"),
	  I(7, 0, 0, 6, 1, false) },
	{ "14 prefixes and an opcode: 15 bytes",
	  B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x90"),
	  I(15, 0, 0, 0, 0, false) },
};

static const struct insn_case bad_cases[] = {
	{ "nothing", B(""), I(0) },
	{ "a displacement cut short", B("\xc7\x05\0\0\0"), I(0) },
	{ "an immediate cut short", B("\xc7\x05\0\0\0\0\x05\0\0"), I(0) },
	{ "prefixes only", B("\x66\xf3"), I(0) },
	{ "push %es: not in 64-bit mode", B("\x06"), I(0) },
	{ "0F 04: no such opcode", B("\x0f\x04"), I(0) },
	{ "0F 38 alone", B("\x0f\x38"), I(0) },
	{ "VEX of an unknown map", B("\xc4\xe7\x6d\x0f\xd9\x04"), I(0) },
	{ "more than 15 bytes",
	  B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x90"),
	  I(0) },
};

static bool same_insn(const struct arch_insn *a, const struct arch_insn *b)
{
	return a->len == b->len && a->disp_off == b->disp_off &&
	       a->disp_len == b->disp_len && a->imm_off == b->imm_off &&
	       a->imm_len == b->imm_len && a->rip_relative == b->rip_relative;
}

static void check_cases(struct suite *s)
{
	struct arch_insn insn;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct insn_case *c = &cases[i];
		int ret = arch_insn_decode((const unsigned char *)c->bytes,
					   c->size, &insn);

		if (ret || !same_insn(&insn, &c->want))
			printf("#   got %d: len %u disp %u+%u imm %u+%u rip %d\n",
			       ret, insn.len, insn.disp_off, insn.disp_len,
			       insn.imm_off, insn.imm_len, insn.rip_relative);
		check(s, !ret && same_insn(&insn, &c->want), c->what);
	}
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct insn_case *c = &bad_cases[i];
		char what[128];

		snprintf(what, sizeof(what), "-EINVAL: %s", c->what);
		check(s, arch_insn_decode((const unsigned char *)c->bytes,
					  c->size, &insn) == -EINVAL, what);
	}
}

static void check_end_at(struct suite *s)
{
	/* endbr64; movl $5, var(%rip); ret */
	static const unsigned char code[] = {
		0xf3, 0x0f, 0x1e, 0xfa,
		0xc7, 0x05, 0, 0, 0, 0, 0x05, 0, 0, 0,
		0xc3,
	};
	static const unsigned char bad[] = { 0x90, 0x06, 0x90 };
	size_t reloc = 6;	/* R_X86_64_PC32 var-8 on the displacement */
	long addend = -8, end = arch_insn_end_at(code, sizeof(code), reloc);
	bool ok = true;
	size_t i;

	for (i = 0; i < sizeof(code); i++)
		ok &= arch_insn_end_at(code, sizeof(code), i) ==
		      (i < 4 ? 4 : i < 14 ? 14 : 15);
	check(s, ok, "end_at: each byte gives the end of its instruction");
	check(s, end == 14 && addend + (end - (long)reloc) == 0,
	      "end_at: movl $5, var(%rip) with addend -8 targets var+0");
	check(s, arch_insn_end_at(code, sizeof(code), sizeof(code)) == -EINVAL,
	      "end_at: an offset past the code is -EINVAL");
	check(s, arch_insn_end_at(code, 10, 2) == 4 &&
	      arch_insn_end_at(code, 10, 5) == -EINVAL,
	      "end_at: an instruction running past size is -EINVAL");
	check(s, arch_insn_end_at(bad, sizeof(bad), 0) == 1 &&
	      arch_insn_end_at(bad, sizeof(bad), 2) == -EINVAL,
	      "end_at: an undecodable byte before the offset is -EINVAL");
}

/*
 * Every byte of the function [start, start + size) of code gives the end
 * of its instruction, decoding from the function's start.  The number of
 * failures.
 */
static long check_function_ends(const unsigned char *code, size_t size)
{
	struct arch_insn insn;
	size_t pos = 0, i;
	long failures = 0;

	while (pos < size) {
		if (arch_insn_decode(code + pos, size - pos, &insn))
			return 1;
		for (i = pos; i < pos + insn.len; i++)
			failures += arch_insn_end_at(code, size, i) !=
				    (long)(pos + insn.len);
		pos += insn.len;
	}
	return failures;
}

/* The start of the first function of sec after offset, or its size. */
static size_t next_function(const struct kelf *e, const struct kelf_sec *sec,
			    size_t offset)
{
	const struct kelf_sym *sym;
	size_t next = sec->size;

	for_each_sym(e, sym)
		if (sym->sec == sec && kelf_is_function(sym) &&
		    sym->sym.st_value > offset && sym->sym.st_value < next)
			next = sym->sym.st_value;
	return next;
}

/* Prints the instructions of sec; the number of places it cannot decode. */
static long dump_section(const struct kelf *e, const struct kelf_sec *sec,
			 long *count)
{
	struct arch_insn insn;
	size_t pos = 0;
	long failures = 0;

	while (pos < sec->size) {
		if (arch_insn_decode(sec->data + pos, sec->size - pos, &insn)) {
			printf("%s %zx bad\n", sec->name, pos);
			failures++;
			pos = next_function(e, sec, pos);
			continue;
		}
		printf("%s %zx %u\n", sec->name, pos, insn.len);
		pos += insn.len;
		(*count)++;
	}
	return failures;
}

static int dump_object(struct km_ctx *ctx, const char *path)
{
	struct kelf *e = kelf_open(ctx, path);
	const struct kelf_sec *sec;
	const struct kelf_sym *sym;
	long insns = 0, failures = 0, end_failures = 0, bytes = 0;

	if (!e) {
		fprintf(stderr, "cannot read '%s'\n", path);
		return 1;
	}
	for_each_sec(e, sec)
		if (kelf_is_text(sec) && sec->data)
			failures += dump_section(e, sec, &insns);
	for_each_sym(e, sym) {
		if (!kelf_is_function(sym) || !sym->sec->data ||
		    sym->sym.st_value + sym->sym.st_size > sym->sec->size)
			continue;
		end_failures += check_function_ends(sym->sec->data +
						    sym->sym.st_value,
						    sym->sym.st_size);
		bytes += sym->sym.st_size;
	}
	fprintf(stderr, "%s: %ld instructions, %ld undecodable; end_at on "
		"%ld function bytes, %ld wrong\n", path, insns, failures, bytes,
		end_failures);
	kelf_free(e);
	return failures || end_failures ? 1 : 0;
}

static void log_to_stderr(void *data, enum km_level level, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

int main(int argc, char **argv)
{
	struct suite s;
	struct km_ctx ctx;
	int i, ret = 0;

	if (argc > 1) {
		km_ctx_init(&ctx, log_to_stderr, NULL);
		for (i = 1; i < argc; i++)
			ret |= dump_object(&ctx, argv[i]);
		return ret;
	}
	if (suite_init(&s, "kmend-test-insn"))
		return 1;
	check_cases(&s);
	check_end_at(&s);
	return suite_finish(&s);
}
