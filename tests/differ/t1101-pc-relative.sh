#!/usr/bin/env bash
# PC-relative references into a section that several variables share.
# -fdata-sections gives each variable a section of its own, but not the
# variables of a named section (__read_mostly, .data.once): gcc refers to
# them as section+addend, and the addend of a RIP-relative operand is
# off by the bytes that follow the displacement in the instruction: -4 for
# a load, -5 for "cmpl $1, b(%rip)", -8 for "movl $5, a(%rip)". Reading
# "section+addend+4" as the variable gives the variable before it.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

# sym_value OBJ NAME: the value (offset in its section) of NAME, in decimal
sym_value() {
	local v
	v=$(readelf -sW "$1" | awk -v n="$2" '$8 == n { print $2; exit }')
	[ -n "$v" ] || { echo "no symbol $2 in $1"; return 1; }
	printf '%d\n' "0x$v"
}

# reloc_addend OBJ SECTION TARGET: the addend of the first relocation of
# SECTION against TARGET (a symbol or section name), in decimal
reloc_addend() {
	local r
	r=$(readelf -rW "$1" | awk -v s="'.rela$2'" -v t="$3" '
		/^Relocation section/ { in_s = ($3 == s) }
		in_s && $5 == t { print $6 $7; exit }')
	[ -n "$r" ] || { echo "no relocation against $3 in $2 of $1" >&2; return 1; }
	printf '%d\n' "${r%%[0-9a-f]*}0x${r#[+-]}"
}

cat >"$TRASH/rm.c" <<'C'
#define __read_mostly __attribute__((section(".data..read_mostly")))
static int a __read_mostly;
static int b __read_mostly;
int spare __read_mostly;
static int c __read_mostly;
static int d __read_mostly;

void set_a(void) { a = 5; }
int test_b(void) { return b == 1; }
int get_c(void) { return c; }
int sum(void) { return a + b + c + d; }
C

# Passes today: it checks that gcc lays the objects out as the tests below
# assume (the instructions, the addends).
test_expect_success 'setup: the pristine object stores and compares through section+addend' '
	cp rm.c base.c && cp rm.c base-patched.c && compile_pair base &&
	readelf -SW base.o >sections &&
	test_grep " \.data\.\.read_mostly " sections &&
	objdump -dr -j .text.set_a base.o >set_a.dis &&
	test_grep "movl +\\\$0x5,0x0\(%rip\)" set_a.dis &&
	objdump -dr -j .text.test_b base.o >test_b.dis &&
	test_grep "cmpl +\\\$0x1,0x0\(%rip\)" test_b.dis &&
	a=$(sym_value base.o a) && b=$(sym_value base.o b) &&
	test "$a" -ne 0 && test "$b" -ne 0 &&
	test "$(reloc_addend base.o .text.set_a .data..read_mostly)" -eq $((a - 8)) &&
	test "$(reloc_addend base.o .text.test_b .data..read_mostly)" -eq $((b - 5))
'

test_expect_success 'variables reordered in a shared section: no functional change' '
	cp rm.c order.c &&
	sed -e "/^static int a __read_mostly;/d" \
	    -e "s/^static int d __read_mostly;/&\nstatic int a __read_mostly;/" \
	    rm.c >order-patched.c &&
	! cmp -s order.c order-patched.c &&
	compile_pair order &&
	test "$(sym_value order.o a)" -ne "$(sym_value order-patched.o a)" &&
	test "$(sym_value order.o b)" -ne "$(sym_value order-patched.o b)" &&
	kmend_diff 3 order.o order-patched.o &&
	test_functions &&
	test_grep "no functional change" err
'

test_expect_success 'a changed function stores to the right kernel variables' '
	cp rm.c store.c &&
	sed "s/^void set_a(void) { a = 5; }/void set_a(void) { a = 5; c = 7; }/" \
		rm.c >store-patched.c &&
	! cmp -s store.c store-patched.c &&
	compile_pair store &&
	objdump -dr -j .text.set_a store-patched.o >dis &&
	test_grep "movl +\\\$0x7,0x0\(%rip\)" dis &&
	kmend_diff 0 -o store-out.o store.o store-patched.o &&
	test_functions "changed  set_a" &&
	readelf -rW store-out.o >relocs &&
	test_grep "R_X86_64_PC32 +0+ \.klp\.sym\.vmlinux\.a,0 - 8$" relocs &&
	test_grep "R_X86_64_PC32 +0+ \.klp\.sym\.vmlinux\.c,0 - 8$" relocs &&
	test_grep -v "\.klp\.sym\.vmlinux\.(b|d|spare)," relocs
'

test_expect_success 'a changed function compares the right kernel variable' '
	cp rm.c cmp.c &&
	sed "s/return b == 1;/return b == 1 ? 7 : 2;/" rm.c >cmp-patched.c &&
	! cmp -s cmp.c cmp-patched.c &&
	compile_pair cmp &&
	objdump -dr -j .text.test_b cmp-patched.o >dis &&
	test_grep "cmpl +\\\$0x1,0x0\(%rip\)" dis &&
	kmend_diff 0 -o cmp-out.o cmp.o cmp-patched.o &&
	test_functions "changed  test_b" &&
	readelf -rW cmp-out.o >relocs &&
	test_grep "R_X86_64_PC32 +0+ \.klp\.sym\.vmlinux\.b,0 - 5$" relocs &&
	test_grep -v "\.klp\.sym\.vmlinux\.(a|c|d|spare)," relocs
'

test_expect_success 'a variable removed from a shared section moves no untouched function' '
	cp rm.c rmvar.c &&
	sed -e "/^int spare __read_mostly;/d" \
	    -e "s/^void set_a(void) { a = 5; }/void set_a(void) { a = 6; }/" \
	    rm.c >rmvar-patched.c &&
	compile_pair rmvar &&
	# test_b compares b, and b follows spare in the section
	test $(($(sym_value rmvar.o spare) + 4)) -eq "$(sym_value rmvar.o b)" &&
	test "$(sym_value rmvar.o b)" -ne "$(sym_value rmvar-patched.o b)" &&
	kmend_diff 0 -o rmvar-out.o rmvar.o rmvar-patched.o &&
	test_functions "changed  set_a" &&
	readelf -rW rmvar-out.o >relocs &&
	test_grep "R_X86_64_PC32 +0+ \.klp\.sym\.vmlinux\.a,0 - 8$" relocs &&
	test_grep -v "spare|\.klp\.sym\.vmlinux\.(b|c|d)," relocs
'

cat >"$TRASH/once.c" <<'C'
int printf(const char *, ...);
#define __data_once __attribute__((section(".data.once")))
static _Bool warned_a __data_once;
static _Bool warned_b __data_once;

void report_a(int x) { if (!warned_a) { warned_a = 1; printf("a %d\n", x); } }
void report_b(int x) { if (!warned_b) { warned_b = 1; printf("b %d\n", x); } }
C

test_expect_success 'a flag at offset 0 of .data.once set by a changed function' '
	cp once.c once0.c &&
	sed "s/\"b %d\\\\n\"/\"B %d\\\\n\"/" once.c >once0-patched.c &&
	! cmp -s once0.c once0-patched.c &&
	compile_pair once0 &&
	test "$(sym_value once0.o warned_b)" -eq 0 &&
	objdump -dr -j .text.report_b once0.o >dis &&
	test_grep "movb +\\\$0x1,0x0\(%rip\)" dis &&
	test "$(reloc_addend once0.o .text.report_b .data.once)" -eq -5 &&
	kmend_diff 0 -o once0-out.o once0.o once0-patched.o &&
	test_functions "changed  report_b" &&
	readelf -rW once0-out.o >relocs &&
	test_grep "R_X86_64_PC32 +0+ \.klp\.sym\.vmlinux\.warned_b,0 - 5$" relocs &&
	test_grep -v "warned_a" relocs
'

test_done
