#!/usr/bin/env bash
# The differ and the kernel's tables, on C compiled at test time that lays
# them out as the kernel does: a pr_debug() descriptor (__dyndbg) whose line
# alone moved is no change, one whose format changed is refused; the
# __jump_table entry of changed code names its static key, exported or not
# (a pr_debug() descriptor's, a tracepoint's), through a livepatch
# relocation, which the kernel writes before it reads the entry.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

cat >"$TRASH/tables.c" <<'C'
int printf(const char *, ...);
struct ddebug {
	const char *modname, *function, *filename, *format;
	unsigned int lineno:18, class_id:6, flags:8;
	long key[2];
} __attribute__((aligned(8)));

static struct ddebug desc __attribute__((section("__dyndbg"), used)) =
	{ "mod", "report", "tables.c", "value %d\n", 100, 63, 0, { 1, 0 } };
static long plain_key[2] = { 1, 0 };

/* the kernel's arch_static_branch(): a nop and a __jump_table entry */
#define BRANCH(key) ({ int _on = 0;					\
	asm goto("1: .byte 0x0f,0x1f,0x44,0x00,0x00\n"			\
		 ".pushsection __jump_table, \"aw\"\n .balign 8\n"	\
		 ".long 1b - ., %l[on] - .\n .quad %c0 - .\n"		\
		 ".popsection" : : "i" (key) : : on);			\
	goto off; on: _on = 1; off: _on; })

int report(int x)
{
	if (BRANCH(&desc.key))
		printf(desc.format, x);
	return x + 1;
}

int gated(int x)
{
	if (BRANCH(&plain_key))
		return x * 2;
	return x;
}
C

test_expect_success 'a pr_debug() descriptor whose line alone moved is no change' '
	cp tables.c line.c &&
	sed "s/\"value %d\\\\n\", 100,/\"value %d\\\\n\", 101,/" tables.c >line-patched.c &&
	! cmp -s line.c line-patched.c &&
	compile_pair line &&
	test_expect_code 3 "$KMEND" diff line.o line-patched.o 2>err &&
	test_grep "no functional change" err
'

test_expect_success 'a pr_debug() descriptor whose format changed is refused' '
	cp tables.c fmt.c &&
	sed "s/\"value %d\\\\n\", 100,/\"VALUE %d\\\\n\", 100,/" tables.c >fmt-patched.c &&
	! cmp -s fmt.c fmt-patched.c &&
	compile_pair fmt &&
	test_expect_code 2 "$KMEND" diff fmt.o fmt-patched.o 2>err &&
	test_grep "variable .desc. \(section __dyndbg\) changes its initial value" err
'

test_expect_success 'changed code with a pr_debug() key: the entry names the kernel'"'"'s descriptor' '
	cp tables.c dbg.c &&
	sed "s/return x + 1;/return x + 2;/" tables.c >dbg-patched.c &&
	compile_pair dbg &&
	"$KMEND" diff -o dbg-out.o dbg.o dbg-patched.o >out 2>err &&
	printf "changed  report\n" >expect && test_cmp expect out &&
	test_grep -v "stays off" err &&
	readelf -rW dbg-out.o >relocs &&
	sed -n "/__jump_table/,/^\$/p" relocs >jump &&
	test_grep "R_X86_64_PC64 .* \.klp\.sym\.vmlinux\.desc,0 \\+ 28" jump &&
	test_grep "R_X86_64_PC32 .* report \\+ 8" jump
'

test_expect_success 'changed code with an unexported static key: the entry names the key' '
	cp tables.c key.c &&
	sed "s/return x \* 2;/return x * 3;/" tables.c >key-patched.c &&
	compile_pair key &&
	"$KMEND" diff -o key-out.o key.o key-patched.o >out 2>err &&
	printf "changed  gated\n" >expect && test_cmp expect out &&
	readelf -rW key-out.o >relocs &&
	sed -n "/__jump_table/,/^\$/p" relocs >jump &&
	test_grep "R_X86_64_PC64 .* \.klp\.sym\.vmlinux\.plain_key,0 \\+ 0" jump
'

test_done
