#!/usr/bin/env bash
# The differ on objects compiled from real C at test time: what changes, what
# does not, and what cannot be live patched.
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

cat >"$TRASH/base.c" <<'C'
#include <stdio.h>
static int counter;
int helper(int x) { return x * 2; }
static int __attribute__((noinline)) twice(int x) { counter++; return x + x; }
int report(int x) { printf("value %d\n", x); return twice(x) + 1; }
int unrelated(int x) { return helper(x) + 3; }
int limit = 10;
C

test_expect_success 'a changed function body is found, its neighbours are not' '
	cp base.c body.c &&
	sed "s/return helper(x) + 3/return helper(x) + 4/" base.c >body-patched.c &&
	compile_pair body &&
	"$KMEND" diff body.o body-patched.o >out &&
	printf "changed  unrelated\n" >expect &&
	test_cmp expect out
'

test_expect_success 'a changed string literal changes the function using it' '
	cp base.c str.c &&
	sed "s/value %d/VALUE %d/" base.c >str-patched.c &&
	compile_pair str &&
	"$KMEND" diff -o str-out.o str.o str-patched.o >out &&
	printf "changed  report\n" >expect &&
	test_cmp expect out &&
	readelf -p .rodata.report.str1.1 str-out.o >strings &&
	test_grep "VALUE %d" strings
'

test_expect_success 'no functional change exits 3' '
	cp base.c same.c &&
	sed "s/^int limit = 10;/int limit = 10; \/* a comment *\//" base.c >same-patched.c &&
	compile_pair same &&
	test_expect_code 3 "$KMEND" diff same.o same-patched.o >out 2>err &&
	test_grep "no functional change" err &&
	test ! -s out
'

test_expect_success 'a new function called by a changed one is carried along' '
	cp base.c new.c &&
	sed -e "s/^int unrelated(int x) { return helper(x) + 3; }/static int __attribute__((noinline)) added(int x) { return x - 7; }\nint unrelated(int x) { return added(x) + 3; }/" base.c >new-patched.c &&
	compile_pair new &&
	"$KMEND" diff -o new-out.o new.o new-patched.o >out &&
	sort out >sorted &&
	printf "changed  unrelated\nnew      added\n" | sort >expect &&
	test_cmp expect sorted &&
	readelf -sW new-out.o >syms &&
	test_grep " FUNC +LOCAL +DEFAULT +[0-9]+ added$" syms
'

test_expect_success 'a call to a static function becomes a livepatch symbol' '
	"$KMEND" diff -o str-out.o str.o str-patched.o >/dev/null &&
	readelf -rW str-out.o >relocs &&
	test_grep "\.klp\.sym\.vmlinux\.twice,0 - 4" relocs &&
	test_grep " printf - 4" relocs &&
	readelf -sW str-out.o >syms &&
	test_grep "GLOBAL DEFAULT +UND \.klp\.sym\.vmlinux\.twice,0" syms &&
	test_grep "FUNC +GLOBAL DEFAULT +[0-9]+ __kmend_new_0" syms
'

test_expect_success 'the new code keeps its ftrace call site (__mcount_loc)' '
	readelf -rW str-out.o >relocs &&
	test_grep "R_X86_64_64 .* report \+ 0" relocs
'

test_expect_success 'a call to another function, same bytes, is a change' '
	cat >call.c <<-C &&
	int first(int x);
	int second(int x);
	int caller(int x) { return first(x) + 1; }
	int bystander(int x) { return second(x) + 1; }
	C
	sed "s/return first(x) + 1/return second(x) + 1/" call.c >call-patched.c &&
	compile_pair call &&
	"$KMEND" diff call.o call-patched.o >out &&
	printf "changed  caller\n" >expect &&
	test_cmp expect out
'

test_expect_success 'a string moved in the string table but unchanged is no change' '
	cat >strs.c <<-C &&
	int printf(const char *, ...);
	void one(void) { printf("one\\n"); }
	void two(void) { printf("two\\n"); }
	C
	sed "s/\"one\\\\n\"/\"one!\\\\n\"/" strs.c >strs-patched.c &&
	grep -q "one!" strs-patched.c &&
	gcc $DIFF_CFLAGS -fno-data-sections -c strs.c -o strs.o &&
	gcc $DIFF_CFLAGS -fno-data-sections -c strs-patched.c -o strs-patched.o &&
	"$KMEND" diff strs.o strs-patched.o >out &&
	printf "changed  one\n" >expect &&
	test_cmp expect out
'

test_expect_success 'a function in a table of function pointers can be replaced' '
	cat >ops.c <<-C &&
	struct ops { int (*show)(int); int (*hide)(int); };
	static int show(int x) { return x + 1; }
	static int hide(int x) { return x - 1; }
	const struct ops my_ops = { show, hide };
	struct ops my_mutable_ops = { show, hide };
	C
	sed "s/return x + 1;/return x + 2;/" ops.c >ops-patched.c &&
	compile_pair ops &&
	"$KMEND" diff ops.o ops-patched.o >out &&
	printf "changed  show\n" >expect &&
	test_cmp expect out
'

test_expect_success 'a changed initial value of a variable is refused' '
	cp base.c data.c &&
	sed "s/^int limit = 10;/int limit = 11;/" base.c >data-patched.c &&
	compile_pair data &&
	test_expect_code 2 "$KMEND" diff data.o data-patched.o >out 2>err &&
	test_grep "variable .limit. \(section \.data\.limit\) changes its initial value" err
'

test_expect_success 'a changed size of a variable is refused as a layout change' '
	cp base.c layout.c &&
	sed "s/^int limit = 10;/long limit = 10;/" base.c >layout-patched.c &&
	compile_pair layout &&
	test_expect_code 2 "$KMEND" diff layout.o layout-patched.o 2>err &&
	test_grep "limit.*changes its size \(data layout\)" err
'

test_expect_success 'a changed __init function is refused' '
	cat >init.c <<-C &&
	int setting;
	__attribute__((section(".init.text"), noinline)) int setup(void) { setting = 1; return 0; }
	C
	sed "s/setting = 1/setting = 2/" init.c >init-patched.c &&
	compile_pair init &&
	test_expect_code 2 "$KMEND" diff init.o init-patched.o 2>err &&
	test_grep "function .setup. is __init code \(section \.init\.text\)" err
'

test_expect_success 'a notrace function is refused: livepatch cannot hook it' '
	cat >nt.c <<-C &&
	__attribute__((no_instrument_function)) int quiet(int x) { return x + 1; }
	C
	sed "s/x + 1/x + 2/" nt.c >nt-patched.c &&
	compile_pair nt &&
	test_expect_code 2 "$KMEND" diff nt.o nt-patched.o 2>err &&
	test_grep "function .quiet. has no ftrace entry" err
'

test_expect_success 'objects without function sections are refused, no output left' '
	gcc -O2 -pg -mfentry -c base.c -o plain.o &&
	sed "s/x \* 2/x * 3/" base.c >plain-patched.c &&
	gcc -O2 -pg -mfentry -c plain-patched.c -o plain-patched.o &&
	test_expect_code 2 "$KMEND" diff -o plain-out.o plain.o plain-patched.o 2>err &&
	test_grep "does not have a section of its own: compile with -ffunction-sections" err &&
	test ! -e plain-out.o
'

test_expect_success 'bad input: a missing or non-ELF file is a clear error' '
	test_expect_code 1 "$KMEND" diff missing.o str.o 2>err &&
	test_grep "cannot open .missing.o.: No such file" err &&
	test_expect_code 1 "$KMEND" diff base.c str.o 2>err &&
	test_grep "cannot read .base.c.: not an ELF file" err &&
	test_expect_code 4 "$KMEND" diff str.o 2>err &&
	test_grep "^usage: kmend diff" err
'

test_done
