#!/usr/bin/env bash
# One verdict per pair of objects: 'kmend diff' says what 'kmend diff -o'
# does (the same functions, the same exit code); a new global function is
# a change (another object's patch may call it); an exported function can be
# replaced; and a refusal gives the real reason, never a raw addend.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

# --- 9. with or without -o, the same verdict ---

test_expect_success 'a new variable: the same verdict with and without -o' '
	cat >nv.c <<-C &&
	int bump(int x) { return x + 1; }
	C
	cat >nv-patched.c <<-C &&
	static int calls;
	int bump(int x) { calls++; return x + 1; }
	C
	compile_pair nv &&
	readelf -sW nv-patched.o >syms &&
	test_grep " OBJECT +LOCAL +DEFAULT +[0-9]+ calls$" syms &&
	{ "$KMEND" diff nv.o nv-patched.o >plain.out 2>plain.err && rc=0 || rc=$?; } &&
	{ "$KMEND" diff -o nv-out.o nv.o nv-patched.o >emit.out 2>emit.err && orc=0 || orc=$?; } &&
	test_no_raw_addend plain.out plain.err emit.out emit.err &&
	echo "without -o: $rc, with -o: $orc" &&
	test "$rc" -eq "$orc" &&
	test_cmp plain.out emit.out &&
	case $rc in
	0)	test -s nv-out.o &&
		printf "changed  bump\n" >expect && test_cmp expect plain.out ;;
	2)	test_names calls plain.err && test_names calls emit.err &&
		test ! -e nv-out.o ;;
	*)	false ;;
	esac
'

# --- 11. a new global function alone is a change ---

test_expect_success 'a new global function alone is a change, exported to other objects' '
	cat >a.c <<-C &&
	int existing(int x) { return x - 1; }
	C
	cat >a-patched.c <<-C &&
	int existing(int x) { return x - 1; }
	int added_helper(int x) { return x * 7; }
	C
	cat >b.c <<-C &&
	int user(int x) { return x + 1; }
	C
	cat >b-patched.c <<-C &&
	int added_helper(int x);
	int user(int x) { return added_helper(x) + 1; }
	C
	compile_pair a && compile_pair b &&
	kmend_diff 0 a.o a-patched.o &&
	test_functions "new      added_helper" &&
	kmend_diff 0 -o a-out.o a.o a-patched.o &&
	test_functions "new      added_helper" &&
	readelf -sW a-out.o >syms &&
	test_grep " FUNC +GLOBAL +DEFAULT +[0-9]+ added_helper$" syms &&
	kmend_diff 0 -o b-out.o b.o b-patched.o &&
	test_functions "changed  user" &&
	readelf -rW b-out.o >relocs &&
	test_grep "R_X86_64_(PLT|PC)32 +0+ added_helper - 4$" relocs &&
	ld -r a-out.o b-out.o -o both.o &&
	readelf -sW both.o >both.syms &&
	test_grep " FUNC +GLOBAL +DEFAULT +[0-9]+ added_helper$" both.syms &&
	test_grep -v "UND added_helper$" both.syms
'

# --- 12. an exported function ---

cat >"$TRASH/export.h" <<'C'
/* include/linux/export.h of 6.1, CONFIG_HAVE_ARCH_PREL32_RELOCATIONS */
#define ___PASTE(a, b) a##b
#define __PASTE(a, b) ___PASTE(a, b)
#define __UNIQUE_ID(prefix) __PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)
#define __ADDRESSABLE(sym)						\
	static void * __attribute__((section(".discard.addressable"), used)) \
		__UNIQUE_ID(__PASTE(__addressable_, sym)) = (void *)&sym;
#define __KSYMTAB_ENTRY(sym, sec)					\
	__ADDRESSABLE(sym)						\
	asm("	.section \"___ksymtab" sec "+" #sym "\", \"a\"	\n"	\
	    "	.balign	4					\n"	\
	    "__ksymtab_" #sym ":				\n"	\
	    "	.long	" #sym "- .				\n"	\
	    "	.long	__kstrtab_" #sym "- .			\n"	\
	    "	.long	__kstrtabns_" #sym "- .			\n"	\
	    "	.previous					\n")
#define ___EXPORT_SYMBOL(sym, sec, ns)					\
	extern typeof(sym) sym;						\
	extern const char __kstrtab_##sym[];				\
	extern const char __kstrtabns_##sym[];				\
	asm("	.section \"__ksymtab_strings\",\"aMS\",%progbits,1	\n"	\
	    "__kstrtab_" #sym ":					\n"	\
	    "	.asciz 	\"" #sym "\"					\n"	\
	    "__kstrtabns_" #sym ":					\n"	\
	    "	.asciz 	\"" ns "\"					\n"	\
	    "	.previous						\n");	\
	__KSYMTAB_ENTRY(sym, sec)
#define EXPORT_SYMBOL(sym) ___EXPORT_SYMBOL(sym, "", "")
C

test_expect_success 'a changed exported function is replaced, not exported again' '
	cat >ex.c <<-C &&
	#include "export.h"
	static int thing = 4;
	int get_thing(int x) { return thing + x; }
	EXPORT_SYMBOL(get_thing);
	int other(int x) { return x * 3; }
	C
	sed "s/return thing + x;/return thing + x + 1;/" ex.c >ex-patched.c &&
	! cmp -s ex.c ex-patched.c &&
	compile_pair ex &&
	readelf -SW ex.o >sections &&
	test_grep " ___ksymtab\+get_thing +PROGBITS .* A +0 +0 +4$" sections &&
	test_grep " __ksymtab_strings +PROGBITS" sections &&
	readelf -rW ex.o >relocs &&
	test_grep "R_X86_64_PC32 +0+ get_thing \+ 0$" relocs &&
	kmend_diff 0 ex.o ex-patched.o &&
	test_functions "changed  get_thing" &&
	kmend_diff 0 -o ex-out.o ex.o ex-patched.o &&
	test_functions "changed  get_thing" &&
	readelf -SW ex-out.o >out.sections &&
	test_grep -v "ksymtab" out.sections
'

# 6.5 on (6.12): EXPORT_SYMBOL writes one .export_symbol entry that
# modpost reads (license, namespace, the address), no __ksymtab
test_expect_success 'a changed exported function (6.12 .export_symbol) is replaced, not exported again' '
	cat >ex612.c <<-\C &&
	#define EXPORT_SYMBOL_GPL(sym) asm(".section \".export_symbol\",\"a\"\n" \
		"__export_symbol_" #sym ":\n .asciz \"GPL\"\n .ascii \"\\0\"\n" \
		" .balign 8\n .quad " #sym "\n .previous\n")
	static int thing = 4;
	int get_thing(int x) { return thing + x; }
	EXPORT_SYMBOL_GPL(get_thing);
	int other(int x) { return x * 3; }
	C
	sed "s/return thing + x;/return thing + x + 1;/" ex612.c >ex612-patched.c &&
	! cmp -s ex612.c ex612-patched.c &&
	compile_pair ex612 &&
	readelf -rW ex612.o >relocs &&
	grep -A2 "^Relocation section .\.rela\.export_symbol" relocs >export &&
	test_grep "R_X86_64_64 +0+ get_thing \+ 0$" export &&
	kmend_diff 0 -o ex612-out.o ex612.o ex612-patched.o &&
	test_functions "changed  get_thing" &&
	readelf -SW ex612-out.o >out.sections &&
	test_grep -v "export_symbol" out.sections
'

# --- 15. refusals give the real reason ---

cat >"$TRASH/shared.c" <<'C'
#define noinstr __attribute__((noinline, no_instrument_function, section(".noinstr.text")))
#define __init __attribute__((noinline, section(".init.text")))
int noinstr enter_idle(int x) { return x + 1; }
int noinstr exit_idle(int x) { return x - 1; }
int __init setup_a(void) { return 10; }
int __init setup_b(void) { return 20; }
int use(int x) { return enter_idle(x) + exit_idle(x); }
C

test_expect_success 'a changed noinstr function sharing .noinstr.text: the real reason' '
	cp shared.c noinstr.c &&
	sed "s/return x + 1;/return x + 2;/" shared.c >noinstr-patched.c &&
	compile_pair noinstr &&
	readelf -sW noinstr.o >syms &&
	test_grep "0+10 +[0-9]+ FUNC +GLOBAL +DEFAULT +[0-9]+ exit_idle$" syms &&
	kmend_diff 2 noinstr.o noinstr-patched.o &&
	test_names enter_idle err &&
	test_grep -v "function-sections" err &&
	kmend_diff 2 -o noinstr-out.o noinstr.o noinstr-patched.o &&
	test_names enter_idle err &&
	test_grep -v "function-sections" err &&
	test ! -e noinstr-out.o
'

test_expect_success 'a changed __init function sharing .init.text: the real reason' '
	cp shared.c init.c &&
	sed "s/return 10;/return 11;/" shared.c >init-patched.c &&
	compile_pair init &&
	readelf -sW init.o >syms &&
	test_grep "0+10 +[0-9]+ FUNC +GLOBAL +DEFAULT +[0-9]+ setup_b$" syms &&
	kmend_diff 2 init.o init-patched.o &&
	test_names setup_a err &&
	test_grep "__init" err &&
	test_grep -v "function-sections" err
'

test_done
