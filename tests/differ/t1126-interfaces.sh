#!/usr/bin/env bash
# A fix that changes the prototype of a global function, or the type of a
# global variable, is refused from the objects' DWARF (layout.c): code in
# other files, which the patch does not replace, still calls or uses it
# the old way, and livepatch would send those old callers to the new
# function.  A static function's prototype may change: its callers are in
# the object and change with it.  C compiled at test time, with -g.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

cat >"$TRASH/api.c" <<'C'
struct file;
int other(long);
long limit = 10;
int lookup(long key, struct file *f) { return other(key) + (f != 0) + (int)limit; }
static __attribute__((noinline)) int helper(int x) { return other(x) * 2; }
int use_helper(int x) { return helper(x) + 1; }
C

compile_g() {
	gcc $DIFF_CFLAGS -g -c "$1.c" -o "$1.o" &&
	gcc $DIFF_CFLAGS -g -c "$1-patched.c" -o "$1-patched.o"
}

test_expect_success 'a global function that gains a parameter is refused' '
	cp api.c proto.c &&
	sed "s/^int lookup(long key, struct file \*f) { return other(key)/int lookup(long key, struct file *f, int flags) { return other(key + flags)/" api.c >proto-patched.c &&
	! cmp -s proto.c proto-patched.c &&
	compile_g proto &&
	kmend_diff 2 proto.o proto-patched.o &&
	test_grep "global function .lookup. \([^)]*proto.c\) changes its prototype from .int \(long int, struct file \*\). to .int \(long int, struct file \*, int\).: code in other files still calls it the old way; keep its prototype, and give the new calling convention a new function" err
'

test_expect_success 'a global variable that changes type is refused' '
	cp api.c var.c &&
	sed "s/^long limit = 10;/unsigned long limit = 10;/" api.c >var-patched.c &&
	compile_g var &&
	kmend_diff 2 var.o var-patched.o &&
	test_grep "global variable .limit. \([^)]*var.c\) changes its type from .long int. to .long unsigned int.: code in other files still uses it the old way; keep its type, and keep new state in a shadow variable" err
'

test_expect_success 'a static function may change its prototype: its callers change with it' '
	cp api.c static.c &&
	sed "s/^static __attribute__((noinline)) int helper(int x) { return other(x) \* 2; }/static __attribute__((noinline)) int helper(int x, int y) { return other(x) * y; }/; s/return helper(x) + 1;/return helper(x, 3) + 1;/" api.c >static-patched.c &&
	! cmp -s static.c static-patched.c &&
	compile_g static &&
	kmend_diff 0 static.o static-patched.o &&
	test_grep -v "prototype" err &&
	test_grep "use_helper" out
'

test_expect_success 'the same body in a new order is no change: prototypes equal' '
	cp api.c same.c &&
	sed "s/^long limit = 10;/long limit = 10; \/* a comment *\//" api.c >same-patched.c &&
	compile_g same &&
	kmend_diff 3 same.o same-patched.o
'

test_done
