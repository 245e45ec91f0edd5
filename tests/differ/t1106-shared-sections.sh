#!/usr/bin/env bash
# Functions that share a section with others (an attribute names it:
# __sched puts them in .sched.text, noinstr in .noinstr.text, __ref in
# .ref.text): the patch object carries each included function's bytes
# alone, in a section of the same name, with its relocations and special
# entries moved along, and none of its neighbours.  C compiled at test time.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

cat >"$TRASH/sched.c" <<'C'
#define __sched __attribute__((noinline, section(".sched.text")))
#define noinstr __attribute__((noinline, no_instrument_function, section(".noinstr.text")))
int other(int);
int __sched first_wait(int x) { return other(x) + 100; }
int __sched second_wait(int x) { return other(x * 3) + 200; }
static int __sched third_wait(int x) { return other(x - 1) + 300; }
int third(int x) { return third_wait(x) + 1; }
int noinstr enter_user(int x) { return x ^ 1; }
static int noinstr quiet_step(int x) { return other(x) ^ 0x55; }
int step(int x) { return quiet_step(x) + other(7); }
C

test_expect_success 'a changed __sched function: only its bytes are carried' '
	cp sched.c s2.c &&
	sed "s/other(x \* 3) + 200/other(x * 3) + 201/" sched.c >s2-patched.c &&
	compile_pair s2 &&
	readelf -sW s2-patched.o >syms.in &&
	size=$(awk "\$8 == \"second_wait\" { print \$3 }" syms.in) &&
	test -n "$size" &&
	kmend_diff 0 -o s2-out.o s2.o s2-patched.o &&
	printf "changed  second_wait\n" >expect &&
	test_cmp expect out &&
	readelf -SW s2-out.o >sections &&
	test_grep " \.sched\.text +PROGBITS +0+ [0-9a-f]+ 0*$(printf %x "$size") " sections &&
	readelf -sW s2-out.o >syms &&
	test_grep "FUNC +LOCAL +DEFAULT +[0-9]+ second_wait$" syms &&
	awk "\$8 == \"second_wait\" { print \$2 }" syms >value &&
	echo 0000000000000000 >expect && test_cmp expect value &&
	test_grep -v "first_wait\|third_wait" syms
'

test_expect_success 'its relocations and ftrace entry move with it' '
	objdump -dr s2-out.o >dis &&
	test_grep "R_X86_64_PLT32	__fentry__-0x4" dis &&
	test_grep "R_X86_64_PLT32	other-0x4" dis &&
	readelf -rW s2-out.o >relocs &&
	sed -n "/\.rela__mcount_loc/,/^\$/p" relocs >mcount &&
	test_grep "R_X86_64_64 .* second_wait \+ 0" mcount &&
	test $(grep -c "R_X86_64_64" mcount) = 1
'

test_expect_success 'a static __sched function is replaced out of the shared section' '
	cp sched.c s3.c &&
	sed "s/other(x - 1) + 300/other(x - 1) + 301/" sched.c >s3-patched.c &&
	compile_pair s3 &&
	kmend_diff 0 -o s3-out.o s3.o s3-patched.o &&
	printf "changed  third_wait\n" >expect &&
	test_cmp expect out
'

test_expect_success 'a static noinstr function: carried alone, its caller replaced' '
	cp sched.c ni.c &&
	sed "s/other(x) ^ 0x55/other(x) ^ 0x56/" sched.c >ni-patched.c &&
	compile_pair ni &&
	kmend_diff 0 -o ni-out.o ni.o ni-patched.o &&
	printf "%s\n" "carried  quiet_step" "replaced step" >expect &&
	test_cmp expect out &&
	readelf -sW ni-out.o >syms &&
	test_grep "FUNC +LOCAL +DEFAULT +[0-9]+ quiet_step$" syms &&
	test_grep -v "enter_user" syms
'

test_expect_success 'a global noinstr function is still refused: entry code calls it' '
	cp sched.c gn.c &&
	sed "s/return x ^ 1;/return x ^ 2;/" sched.c >gn-patched.c &&
	compile_pair gn &&
	kmend_diff 2 gn.o gn-patched.o &&
	test_grep "function .enter_user. has no ftrace entry \(notrace\), so livepatch cannot redirect it, and it is global" err
'

test_done
