#!/usr/bin/env bash
# What makes a symbol of the patched object the same as one of the pristine
# object. A name is not enough: the kind of section it lives in is part of
# what it is (read-only data, __init code), and gcc's numbered names
# (count.N, __func__.N, CSWTCH.N) and names built from __LINE__
# (__BTF_ID__func__foo__NNN) change when unrelated code moves.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

# local_of OBJ FUNC BASE: the numbered local BASE.N that FUNC refers to
local_of() {
	objdump -dr -j ".text.$2" "$1" |
		grep -E -o "(^|[^[:alnum:]_])$3\.[0-9]+" |
		sed 's/^[^[:alnum:]_]//' | sort -u | {
		read -r name && ! read -r _ && echo "$name"
	} || { echo "$2 of $1 does not use exactly one $3.N" >&2; return 1; }
}

# section_of OBJ SYMBOL: the name of the section SYMBOL is defined in
section_of() {
	local ndx
	ndx=$(readelf -sW "$1" | awk -v n="$2" '$8 == n { print $7; exit }')
	readelf -SW "$1" | sed -n "s/^ *\[ *$ndx\] \([^ ]*\) .*/\1/p"
}

# --- 1. the kind of section is part of the identity ---

test_expect_success 'constant data that becomes writable is refused' '
	cat >ro.c <<-C &&
	static const int table[4] = { 2, 3, 5, 7 };
	int lookup(int i) { return table[i & 3]; }
	C
	cat >ro-patched.c <<-C &&
	static int table[4] = { 2, 3, 5, 7 };
	static void __attribute__((noinline, noclone)) set_entry(int i, int v)
	{ table[i & 3] = v; }
	int lookup(int i) { set_entry(i, i); return table[i & 3]; }
	C
	compile_pair ro &&
	test "$(section_of ro.o table)" = .rodata.table &&
	test "$(section_of ro-patched.o table)" = .data.table &&
	kmend_diff 2 ro.o ro-patched.o &&
	test_names table err &&
	test_grep "[Rr]ead-only|[Ww]rit|[Cc]onst" err &&
	kmend_diff 2 -o ro-out.o ro.o ro-patched.o &&
	test_names table err &&
	test ! -e ro-out.o
'

test_expect_success '__ro_after_init data that becomes writable is refused' '
	cat >rai.c <<-C &&
	static int max_users __attribute__((section(".data..ro_after_init"))) = 5;
	int users_left(int v) { return max_users - v; }
	C
	cat >rai-patched.c <<-C &&
	static int max_users = 5;
	int users_left(int v) { if (v < 0) max_users = -v; return max_users - v; }
	C
	compile_pair rai &&
	test "$(section_of rai.o max_users)" = .data..ro_after_init &&
	test "$(section_of rai-patched.o max_users)" = .data.max_users &&
	kmend_diff 2 rai.o rai-patched.o &&
	test_names max_users err &&
	kmend_diff 2 -o rai-out.o rai.o rai-patched.o &&
	test_names max_users err &&
	test ! -e rai-out.o
'

test_expect_success 'an __init helper that is no longer __init is carried as new code' '
	cat >init.c <<-C &&
	static int __attribute__((used, noinline, noclone, section(".init.text")))
	helper(int x) { return x * 3 + 1; }
	int runtime(int x) { return x + 1; }
	C
	cat >init-patched.c <<-C &&
	static int __attribute__((used, noinline, noclone))
	helper(int x) { return x * 3 + 1; }
	int runtime(int x) { return helper(x) + 1; }
	C
	compile_pair init &&
	test "$(section_of init.o helper)" = .init.text &&
	test "$(section_of init-patched.o helper)" = .text.helper &&
	kmend_diff 0 -o init-out.o init.o init-patched.o &&
	test_functions "changed  runtime" "new      helper" &&
	readelf -rW init-out.o >relocs &&
	test_grep "R_X86_64_(PLT|PC)32 +[0-9a-f]+ helper - 4$" relocs &&
	test_grep -v "\.klp\.sym\.vmlinux\.helper" relocs &&
	readelf -sW init-out.o >syms &&
	test_grep " FUNC +LOCAL +DEFAULT +[0-9]+ helper$" syms
'

# --- 3. compiler-numbered locals follow their function, not their number ---

cat >"$TRASH/num.c" <<'C'
int first(int x) { static int count; return count += x + 1; }
int second(int x) { static int count; return count += x + 2; }
int third(int x) { static int lock; return lock ^= x; }
C

test_expect_success 'a static removed from one function: the others are untouched' '
	cp num.c num1.c &&
	sed "s/^int third(int x) .*/int third(int x) { return x ^ 1; }/" num.c >num1-patched.c &&
	! cmp -s num1.c num1-patched.c &&
	compile_pair num1 &&
	# the numbers moved: first now has the number second had
	test "$(local_of num1.o third lock)" = lock.0 &&
	now=$(local_of num1-patched.o first count) &&
	test "$now" = "$(local_of num1.o second count)" &&
	kmend_diff 0 num1.o num1-patched.o &&
	test_functions "changed  third"
'

test_expect_success 'a changed function refers to the kernel copy of its own static' '
	cp num.c num2.c &&
	sed -e "s/^int third(int x) .*/int third(int x) { return x ^ 1; }/" \
	    -e "s/count += x + 1;/count += x + 3;/" num.c >num2-patched.c &&
	compile_pair num2 &&
	mine=$(local_of num2.o first count) &&
	now=$(local_of num2-patched.o first count) &&
	test "$now" != "$mine" &&
	kmend_diff 0 -o num2-out.o num2.o num2-patched.o &&
	test_functions "changed  first" "changed  third" &&
	readelf -rW num2-out.o >relocs &&
	test_grep "\.klp\.sym\.vmlinux\.$mine,0 - 4$" relocs &&
	grep -E -o "\.klp\.sym\.vmlinux\.(count|lock)\.[0-9]+,0" relocs | sort -u >used &&
	echo ".klp.sym.vmlinux.$mine,0" >expect &&
	test_cmp expect used
'

test_expect_success '__func__ strings renumbered: no refusal, no false change' '
	cat >func.c <<-C &&
	int printf(const char *, ...);
	void show_one(int x) { printf("%s: %d\n", __func__, x); }
	void show_two(int x) { printf("%s: %d\n", __func__, x); }
	void show_six(int x) { printf("%s: %d\n", __func__, x); }
	C
	sed "s/^void show_six(int x) .*/void show_six(int x) { printf(\"six: %d\\\\n\", x); }/" \
		func.c >func-patched.c &&
	! cmp -s func.c func-patched.c &&
	compile_pair func &&
	now=$(local_of func-patched.o show_one __func__) &&
	test "$now" = "$(local_of func.o show_two __func__)" &&
	kmend_diff 0 func.o func-patched.o &&
	test_functions "changed  show_six" &&
	kmend_diff 0 -o func-out.o func.o func-patched.o &&
	test_functions "changed  show_six"
'

# --- 7. weak functions ---

# Passes today; it guards the case for when kmend resolves weak symbols
# against the kernel: a weak default is not part of the change.
test_expect_success 'a weak function next to a changed one is not listed' '
	cat >weak.c <<-C &&
	int __attribute__((weak)) arch_thing(void) { return 0; }
	int user(int x) { return arch_thing() + x; }
	C
	sed "s/return arch_thing() + x;/return arch_thing() + x + 1;/" weak.c >weak-patched.c &&
	! cmp -s weak.c weak-patched.c &&
	compile_pair weak &&
	readelf -sW weak.o >syms &&
	test_grep " FUNC +WEAK +DEFAULT +[0-9]+ arch_thing$" syms &&
	kmend_diff 0 weak.o weak-patched.o &&
	test_functions "changed  user"
'

# --- 14. names that carry a line or a counter ---

cat >"$TRASH/btf.c" <<'C'
/* include/linux/btf_ids.h of 6.1: the name holds __COUNTER__ and __LINE__ */
#define ___PASTE(a, b) a##b
#define __PASTE(a, b) ___PASTE(a, b)
#define ____BTF_ID(symbol)						\
asm(".pushsection .BTF_ids,\"a\";\n"					\
    ".local " #symbol ";\n"						\
    ".type " #symbol ", STT_OBJECT;\n"					\
    ".size " #symbol ", 4;\n"						\
    #symbol ":\n"							\
    ".zero 4\n"								\
    ".popsection;\n");
#define __BTF_ID(symbol) ____BTF_ID(symbol)
#define __ID(prefix) __PASTE(__PASTE(prefix, __COUNTER__), __LINE__)
#define BTF_ID(prefix, name) __BTF_ID(__ID(__BTF_ID__##prefix##__##name##__))
#define BTF_ID_LIST(name)						\
asm(".pushsection .BTF_ids,\"a\";\n"					\
    ".local " #name ";\n"						\
    #name ":;\n"							\
    ".popsection;\n");							\
extern unsigned int name[];

/* a comment */
BTF_ID_LIST(my_ids)
BTF_ID(func, do_thing)
BTF_ID(struct, task_struct)

int first_id(void) { return my_ids[0]; }
int second_id(void) { return my_ids[1]; }
C

test_expect_success 'BTF ids renamed by a moved line: no functional change' '
	cp btf.c btf1.c &&
	sed "s|^/\* a comment \*/|/* a comment\n * on two lines */|" btf.c >btf1-patched.c &&
	! cmp -s btf1.c btf1-patched.c &&
	compile_pair btf1 &&
	readelf -sW btf1.o >syms && readelf -sW btf1-patched.o >psyms &&
	old=$(grep -E -o "__BTF_ID__func__do_thing__[0-9]+" syms) &&
	new=$(grep -E -o "__BTF_ID__func__do_thing__[0-9]+" psyms) &&
	test "$old" != "$new" &&
	kmend_diff 3 btf1.o btf1-patched.o &&
	test_functions &&
	test_grep "no functional change" err
'

cat >"$TRASH/sw.c" <<'C'
int pick(int x) { return x + 1; }
int sw_a(int x)
{
	switch (x) {
	case 0: return 11; case 1: return 27; case 2: return 33; case 3: return 48;
	case 4: return 51; case 5: return 69; case 6: return 72; case 7: return 85;
	}
	return 0;
}
int sw_b(int x)
{
	switch (x) {
	case 0: return 3; case 1: return 9; case 2: return 1; case 3: return 77;
	case 4: return 15; case 5: return 91; case 6: return 12; case 7: return 40;
	}
	return -1;
}
C

cat >"$TRASH/pick-table.c" <<'C'
static int __attribute__((noinline)) pick_table(int x)
{
	switch (x) {
	case 0: return 6; case 1: return 2; case 2: return 8; case 3: return 4;
	case 4: return 1; case 5: return 9; case 6: return 5; case 7: return 7;
	}
	return 0;
}
int pick(int x) { return pick_table(x) + 1; }
C

test_expect_success 'CSWTCH tables renumbered by a new switch above: only its functions' '
	cp sw.c sw1.c &&
	{ cat pick-table.c && sed 1d sw.c; } >sw1-patched.c &&
	compile_pair sw1 &&
	readelf -sW sw1.o >syms &&
	test_grep " OBJECT +LOCAL +DEFAULT +[0-9]+ CSWTCH\.[0-9]+$" syms &&
	# sw_a now has the number of the table of sw_b
	now=$(local_of sw1-patched.o sw_a CSWTCH) &&
	test "$now" = "$(local_of sw1.o sw_b CSWTCH)" &&
	kmend_diff 0 sw1.o sw1-patched.o &&
	test_functions "changed  pick" "new      pick_table" &&
	kmend_diff 0 -o sw1-out.o sw1.o sw1-patched.o &&
	test_functions "changed  pick" "new      pick_table"
'

test_expect_success 'CSWTCH tables renumbered by moved functions: no functional change' '
	cp sw.c sw2.c &&
	{ sed -n "1p;/^int sw_b/,\$p" sw.c && sed -n "/^int sw_a/,/^}/p" sw.c; } >sw2-patched.c &&
	test "$(wc -l <sw2-patched.c)" -eq "$(wc -l <sw2.c)" &&
	compile_pair sw2 &&
	now=$(local_of sw2-patched.o sw_b CSWTCH) &&
	test "$now" = "$(local_of sw2.o sw_a CSWTCH)" &&
	kmend_diff 3 sw2.o sw2-patched.o &&
	test_functions &&
	test_grep "no functional change" err
'

test_done
