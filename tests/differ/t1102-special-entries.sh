#!/usr/bin/env bash
# A function is more than its bytes and relocations: its entries in the
# kernel's tables (__jump_table, .altinstructions, __bug_table, __ex_table)
# and the anonymous constants it copies from .rodata are part of it. A
# change there alone, with the same code bytes, changes the function; and
# what the entries point at (the file name of a WARN_ON()) travels with the
# new code. The asm mimics the x86 macros of Linux 6.1, with their layouts.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

cat >"$TRASH/kernel.h" <<'C'
/* arch/x86 of Linux 6.1, reduced to what the tests need */
#define __stringify_1(x...) #x
#define __stringify(x...) __stringify_1(x)
struct static_key { int enabled; long type; };

/*
 * arch_static_branch(): a 5-byte nop and a __jump_table entry
 * { s32 code; s32 target; long key }, the key's low bit the branch
 */
#define static_branch(key, branch) ({ int _on = 0;			\
	asm goto("1: .byte 0x0f,0x1f,0x44,0x00,0x00\n"			\
		 ".pushsection __jump_table, \"aw\"\n .balign 8\n"	\
		 ".long 1b - .\n .long %l[l_yes] - .\n"			\
		 ".quad %c0 + %c1 - .\n"				\
		 ".popsection" : : "i" (key), "i" (branch) : : l_yes);	\
	goto l_no; l_yes: _on = 1; l_no: _on; })
#define static_branch_unlikely(key) static_branch(key, 0)
#define static_branch_likely(key) static_branch(key, 1)

/*
 * _BUG_FLAGS(): ud2 and a __bug_table entry
 * { s32 bug_addr_disp; s32 file_disp; u16 line; u16 flags }
 */
#define BUGFLAG_WARNING		(1 << 0)
#define BUGFLAG_ONCE		(1 << 1)
#define BUGFLAG_TAINT(taint)	((taint) << 8)
#define TAINT_WARN		9
#define __WARN_FLAGS(flags)						\
	asm volatile("1:\t.byte 0x0f, 0x0b\n"				\
		     ".pushsection __bug_table,\"aw\"\n"		\
		     "2:\t.long 1b - .\t# bug_entry::bug_addr\n"	\
		     "\t.long %c0 - .\t# bug_entry::file\n"		\
		     "\t.word %c1\t# bug_entry::line\n"			\
		     "\t.word %c2\t# bug_entry::flags\n"		\
		     "\t.org 2b+%c3\n"					\
		     ".popsection\n"					\
		     : : "i" (__FILE__), "i" (__LINE__),		\
			 "i" (BUGFLAG_WARNING | (flags)), "i" (12))
#define WARN_ON(cond) ({ int __ret = !!(cond);				\
	if (__builtin_expect(__ret, 0))					\
		__WARN_FLAGS(BUGFLAG_TAINT(TAINT_WARN));		\
	__builtin_expect(__ret, 0); })
#define WARN_ON_ONCE(cond) ({ int __ret = !!(cond);			\
	if (__builtin_expect(__ret, 0))					\
		__WARN_FLAGS(BUGFLAG_ONCE | BUGFLAG_TAINT(TAINT_WARN));	\
	__builtin_expect(__ret, 0); })

/*
 * ALTERNATIVE(): the old instructions, an .altinstructions entry
 * { s32 instr_offset; s32 repl_offset; u16 cpuid; u8 instrlen;
 * u8 replacementlen } and the replacement in .altinstr_replacement
 */
#define X86_FEATURE_XMM2	(0*32+26)
#define X86_FEATURE_LFENCE_RDTSC (3*32+18)
#define ALTERNATIVE(oldinstr, newinstr, cpuid)				\
	"661:\n\t" oldinstr "\n662:\n"					\
	".skip -(((6651f-6641f)-(662b-661b)) > 0) * "			\
		"((6651f-6641f)-(662b-661b)),0x90\n"			\
	"663:\n"							\
	".pushsection .altinstructions,\"a\"\n"				\
	" .long 661b - .\n"						\
	" .long 6641f - .\n"						\
	" .word " __stringify(cpuid) "\n"				\
	" .byte 663b-661b\n"						\
	" .byte 6651f-6641f\n"						\
	".popsection\n"							\
	".pushsection .altinstr_replacement, \"ax\"\n"			\
	"6641:\n\t" newinstr "\n6651:\n"				\
	".popsection\n"

/* _ASM_EXTABLE_TYPE(): an __ex_table entry { s32 insn; s32 fixup; s32 data } */
#define EX_TYPE_DEFAULT		1
#define EX_TYPE_UACCESS		3
#define _ASM_EXTABLE_TYPE(from, to, type)				\
	" .pushsection \"__ex_table\",\"a\"\n"				\
	" .balign 4\n"							\
	" .long (" #from ") - .\n"					\
	" .long (" #to ") - .\n"					\
	" .long " __stringify(type) " \n"				\
	" .popsection\n"
C

cat >"$TRASH/sp.c" <<'C'
#include "kernel.h"
struct static_key key_a, key_b;

int keyed(int x)
{
	if (static_branch_unlikely(&key_a))
		return x * 2;
	return x;
}

void fenced(void)
{
	asm volatile(ALTERNATIVE("mfence", "lfence", X86_FEATURE_XMM2) ::: "memory");
}

int warned(int x)
{
	WARN_ON(x > 10);
	return x + 1;
}

int load(const int *p)
{
	int v;

	asm volatile("1: movl (%1), %0\n2:\n"
		     _ASM_EXTABLE_TYPE(1b, 2b, EX_TYPE_DEFAULT)
		     : "=r" (v) : "r" (p));
	return v;
}
C

# special_case NAME SED-SCRIPT: NAME.c is sp.c, NAME-patched.c sp.c edited
special_case() {
	cp sp.c "$1.c" &&
	sed "$2" sp.c >"$1-patched.c" &&
	! cmp -s "$1.c" "$1-patched.c" &&
	compile_pair_in_tree "$1"
}

# same_text NAME FUNC: FUNC has the same bytes in both objects of NAME
same_text() {
	objdump -d -j ".text.$2" "$1.o" | sed 1,3d >"$1.$2.dis" &&
	objdump -d -j ".text.$2" "$1-patched.o" | sed 1,3d >"$1-patched.$2.dis" &&
	test_cmp "$1.$2.dis" "$1-patched.$2.dis"
}

# section_size OBJ NAME: the size of section NAME, as readelf shows it
section_size() {
	readelf -SW "$1" | sed 's/^ *\[ *[0-9]*\] //' |
		awk -v n="$2" '$1 == n { print $5 }'
}

# --- 4. changes in special sections alone ---

# Passes today: it checks the layouts the tests below rely on, and that two
# compilations of one source are no change (same __FILE__ on both sides).
test_expect_success 'setup: the pristine object has an entry in each table' '
	cp sp.c base.c && cp sp.c base-patched.c && compile_pair_in_tree base &&
	readelf -SW base.o >sections &&
	for s in __jump_table .altinstructions .altinstr_replacement __bug_table __ex_table
	do
		test_grep " $s +PROGBITS" sections || return 1
	done &&
	# one entry each, of the 6.1 sizes
	test "$(section_size base.o __bug_table)" = 00000c &&
	test "$(section_size base.o __jump_table)" = 000010 &&
	test "$(section_size base.o .altinstructions)" = 00000c &&
	test "$(section_size base.o __ex_table)" = 00000c &&
	kmend_diff 3 base.o base-patched.o
'

test_expect_success 'a static key swapped for another (same code bytes) changes the function' '
	special_case key "s/static_branch_unlikely(&key_a)/static_branch_unlikely(\&key_b)/" &&
	same_text key keyed &&
	kmend_diff 0 key.o key-patched.o &&
	test_functions "changed  keyed" &&
	kmend_diff 0 -o key-out.o key.o key-patched.o &&
	test_functions "changed  keyed" &&
	readelf -rW key-out.o >relocs &&
	test_grep "R_X86_64_PC64 +0+ key_b \+ 0$" relocs &&
	test_grep -v " key_a " relocs
'

test_expect_success 'a static branch made likely (key+1 in the entry) changes the function' '
	special_case likely "s/static_branch_unlikely(&key_a)/static_branch_likely(\&key_a)/" &&
	same_text likely keyed &&
	kmend_diff 0 likely.o likely-patched.o &&
	test_functions "changed  keyed" &&
	kmend_diff 0 -o likely-out.o likely.o likely-patched.o &&
	readelf -rW likely-out.o >relocs &&
	test_grep "R_X86_64_PC64 +0+ key_a \+ 1$" relocs
'

test_expect_success 'an alternative for another CPU feature changes the function' '
	special_case feature "s/X86_FEATURE_XMM2)/X86_FEATURE_LFENCE_RDTSC)/" &&
	same_text feature fenced &&
	kmend_diff 0 feature.o feature-patched.o &&
	test_functions "changed  fenced" &&
	kmend_diff 0 -o feature-out.o feature.o feature-patched.o &&
	readelf -x .altinstructions feature-out.o >entries &&
	test_grep "0x00000000 00000000 00000000 72000303" entries
'

test_expect_success 'an alternative with another replacement changes the function' '
	special_case repl "s/\"lfence\"/\"sfence\"/" &&
	same_text repl fenced &&
	kmend_diff 0 repl.o repl-patched.o &&
	test_functions "changed  fenced" &&
	kmend_diff 0 -o repl-out.o repl.o repl-patched.o &&
	objdump -d -j .altinstr_replacement repl-out.o >dis &&
	test_grep "sfence" dis
'

test_expect_success 'WARN_ON() made WARN_ON_ONCE() (__bug_table flags) changes the function' '
	special_case once "s/WARN_ON(x > 10)/WARN_ON_ONCE(x > 10)/" &&
	same_text once warned &&
	readelf -x __bug_table once.o >old && readelf -x __bug_table once-patched.o >new &&
	test_grep "0x00000000 00000000 00000000 [0-9a-f]{4}0109" old &&
	test_grep "0x00000000 00000000 00000000 [0-9a-f]{4}0309" new &&
	kmend_diff 0 once.o once-patched.o &&
	test_functions "changed  warned" &&
	kmend_diff 0 -o once-out.o once.o once-patched.o &&
	readelf -x __bug_table once-out.o >entries &&
	test_grep "0x00000000 00000000 00000000 [0-9a-f]{4}0309" entries
'

test_expect_success 'another exception table type (__ex_table data) changes the function' '
	special_case extable "s/1b, 2b, EX_TYPE_DEFAULT/1b, 2b, EX_TYPE_UACCESS/" &&
	same_text extable load &&
	kmend_diff 0 extable.o extable-patched.o &&
	test_functions "changed  load" &&
	kmend_diff 0 -o extable-out.o extable.o extable-patched.o &&
	readelf -x __ex_table extable-out.o >entries &&
	test_grep "0x00000000 00000000 00000000 03000000" entries
'

# --- 5. a local table initialised from an anonymous .rodata block ---

test_expect_success 'a local table of function pointers copied from .rodata' '
	{
		for i in $(seq 1 25); do echo "void f$i(void);"; done &&
		echo "void run(int i)" && echo "{" &&
		printf "\tvoid (*t[24])(void) = {" &&
		for i in $(seq 1 24); do printf " f%d," "$i"; done &&
		printf " };\n\tt[i]();\n}\n"
	} >fptr.c &&
	sed "s/ f24, };/ f25, };/" fptr.c >fptr-patched.c &&
	! cmp -s fptr.c fptr-patched.c &&
	gcc $DIFF_CFLAGS $KERNEL_NOFPU_CFLAGS -c fptr.c -o fptr.o &&
	gcc $DIFF_CFLAGS $KERNEL_NOFPU_CFLAGS -c fptr-patched.c -o fptr-patched.o &&
	# run copies the table from .rodata, which has no symbol
	objdump -dr -j .text.run fptr.o >dis &&
	test_grep "R_X86_64_32S\s+\.rodata$" dis &&
	test_grep -v "R_X86_64.*\sf[0-9]+" dis &&
	readelf -rW fptr.o >relocs &&
	sed -n "/^Relocation section .\.rela\.rodata./,/^\$/p" relocs >rodata.relocs &&
	test_grep " f1 \+ 0$" rodata.relocs && test_grep " f24 \+ 0$" rodata.relocs &&
	ndx=$(readelf -SW fptr.o | sed -n "s/^ *\[ *\([0-9]*\)\] \.rodata .*/\1/p") &&
	test -n "$ndx" &&
	readelf -sW fptr.o | awk -v n="$ndx" "\$7 == n && \$4 != \"SECTION\"" >rodata.syms &&
	test ! -s rodata.syms &&
	same_text fptr run &&
	kmend_diff 0 fptr.o fptr-patched.o &&
	test_functions "changed  run" &&
	kmend_diff 0 -o fptr-out.o fptr.o fptr-patched.o &&
	readelf -rW fptr-out.o >out.relocs &&
	test_grep " f25 \+ 0$" out.relocs &&
	test_grep -v " f24 \+ 0$" out.relocs
'

# --- 6. what a table entry points at travels with the new code ---

test_expect_success 'the file name of a WARN_ON() in changed code is carried' '
	special_case warnfile "s/return x + 1;/return x + 2;/" &&
	readelf -sW warnfile.o >syms &&
	test_grep " NOTYPE +LOCAL +DEFAULT +[0-9]+ \.LC[0-9]+$" syms &&
	readelf -rW warnfile.o >relocs &&
	sed -n "/^Relocation section .\.rela__bug_table./,/^\$/p" relocs >bug.relocs &&
	test_grep "R_X86_64_PC32 +0+ \.LC[0-9]+ \+ 0$" bug.relocs &&
	kmend_diff 0 -o warnfile-out.o warnfile.o warnfile-patched.o &&
	test_functions "changed  warned" &&
	readelf -rW warnfile-out.o >out.relocs &&
	test_grep -v "\.klp\.sym\.vmlinux\.\.LC" out.relocs &&
	readelf -SW warnfile-out.o |
		sed -n "s/^ *\[ *[0-9]*\] \(\.rodata[^ ]*\) .*/\1/p" >rodata.names &&
	while read -r s; do readelf -p "$s" warnfile-out.o; done <rodata.names >strings &&
	test_grep "warnfile\.c" strings
'

test_done
