#!/usr/bin/env bash
# The sections the patch-author headers write (include/kmend/livepatch.h,
# kpatch-macros.h): callbacks are recognised, with their object, become new
# code and are never a change of the kernel; ignored functions and sections
# are honoured; bad entries are refused with the reason.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

INCLUDE=$TEST_DIR/../include

# Just enough of the kernel's headers for the author headers to compile.
test_expect_success 'setup: stand-ins for the kernel headers' '
	mkdir -p stub/linux &&
	cat >stub/linux/compiler.h <<-C &&
	#define __used __attribute__((__used__))
	#define ___PASTE(a, b) a##b
	#define __PASTE(a, b) ___PASTE(a, b)
	#define __UNIQUE_ID(p) __PASTE(__PASTE(__UNIQUE_ID_, p), __COUNTER__)
	#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
	C
	: >stub/linux/gfp.h && : >stub/linux/printk.h &&
	echo "extern unsigned long volatile jiffies;" >stub/linux/jiffies.h &&
	echo "int printk(const char *fmt, ...);" >>stub/linux/jiffies.h &&
	echo "struct klp_object { const char *name; };" >stub/linux/livepatch.h &&
	: >stub/linux/syscalls.h
'

# shellcheck disable=SC2086 # DIFF_CFLAGS is a list of flags
author_cc() {
	gcc $DIFF_CFLAGS -Istub -I"$INCLUDE" -DCONFIG_X86_64 "${@:3}" -c "$1" -o "$2"
}

test_expect_success 'callbacks: new code, listed with their kind and object' '
	cat >cb.c <<-C &&
	int state;
	int show(int x) { return x + state; }
	C
	cat >cb-patched.c <<-C &&
	#include <kmend/livepatch.h>
	int state;
	int show(int x) { return x + state; }
	static int on_pre(struct klp_object *o) { return state ? -22 : 0; }
	static void on_post(struct klp_object *o) { state = 42; }
	static void on_unpatched(struct klp_object *o) { state = 0; }
	KMEND_PRE_PATCH_CALLBACK(on_pre);
	KMEND_POST_PATCH_CALLBACK(on_post);
	KMEND_OBJECT_POST_UNPATCH_CALLBACK("ext4", on_unpatched);
	C
	gcc $DIFF_CFLAGS -c cb.c -o cb.o && author_cc cb-patched.c cb-patched.o &&
	kmend_diff 0 cb.o cb-patched.o &&
	test_functions "callback post_patch on_post" \
		"callback post_unpatch on_unpatched (ext4)" \
		"callback pre_patch on_pre" \
		"new      on_post" "new      on_pre" "new      on_unpatched"
'

test_expect_success 'the patch object carries the callbacks, not their sections' '
	kmend_diff 0 -o cb-out.o cb.o cb-patched.o &&
	readelf -sW cb-out.o >syms &&
	test_grep "FUNC +GLOBAL +DEFAULT +[0-9]+ __kmend_new_cb[0-9]$" syms &&
	test "$(grep -c " __kmend_new_cb[0-9]$" syms)" = 3 &&
	readelf -SW cb-out.o >sections &&
	test_grep -v "\.kmend\." sections &&
	test_grep -v "\.kmend\." err
'

test_expect_success 'call padding (6.12): a callback is named where its code is' '
	gcc $DIFF_CFLAGS -fpatchable-function-entry=16,16 -c cb.c -o cbpad.o &&
	author_cc cb-patched.c cbpad-patched.o -fpatchable-function-entry=16,16 &&
	readelf -sW cbpad-patched.o >in-syms &&
	test_grep "^ +[0-9]+: 0+10 .* on_pre$" in-syms &&
	kmend_diff 0 -o cbpad-out.o cbpad.o cbpad-patched.o &&
	readelf -sW cbpad-out.o >syms &&
	for f in on_pre on_post on_unpatched; do
		at=$(awk -v f=$f "\$8 == f { print \$2, \$3, \$7 }" syms) &&
		test -n "$at" &&
		test "$(grep -c " __kmend_new_cb[0-9]$" syms)" = 3 &&
		awk -v at="$at" "\$8 ~ /^__kmend_new_cb/ && \$2 \" \" \$3 \" \" \$7 == at { n++ } END { exit n != 1 }" syms ||
		{ echo "no callback alias at $f ($at):"; cat syms; exit 1; }
	done
'

test_expect_success 'a callback that the kernel already has is refused' '
	cat >old.c <<-C &&
	struct klp_object;
	void cleanup(struct klp_object *o) { }
	int show(int x) { return x; }
	C
	cat >old-patched.c <<-C &&
	#include <kmend/livepatch.h>
	void cleanup(struct klp_object *o) { }
	int show(int x) { return x + 1; }
	KMEND_POST_UNPATCH_CALLBACK(cleanup);
	C
	gcc $DIFF_CFLAGS -c old.c -o old.o && author_cc old-patched.c old-patched.o &&
	kmend_diff 2 old.o old-patched.o &&
	test_grep "post_unpatch callback .cleanup. is a function the kernel already has: a callback must be a function the patch adds" err
'

test_expect_success 'an ignored function is no change; the other change stays' '
	cat >ig.c <<-C &&
	int noisy(int x) { return x * 3; }
	int real(int x) { return x - 1; }
	C
	cat >ig-patched.c <<-C &&
	#include <kmend/livepatch.h>
	int noisy(int x) { return x * 3 + 1; }
	int real(int x) { return x - 2; }
	KMEND_IGNORE_FUNCTION(noisy);
	C
	gcc $DIFF_CFLAGS -c ig.c -o ig.o && author_cc ig-patched.c ig-patched.o &&
	kmend_diff 0 ig.o ig-patched.o &&
	test_functions "changed  real" &&
	test_grep "note: ignored function .noisy." err
'

test_expect_success 'an ignored section: its functions are no change' '
	cat >is.c <<-C &&
	__attribute__((section(".text.odd"))) int odd(int x) { return x; }
	int real(int x) { return x - 1; }
	C
	cat >is-patched.c <<-C &&
	#include <kmend/livepatch.h>
	__attribute__((section(".text.odd"))) int odd(int x) { return x + 5; }
	int real(int x) { return x - 2; }
	KMEND_IGNORE_SECTION(".text.odd");
	C
	gcc $DIFF_CFLAGS -c is.c -o is.o && author_cc is-patched.c is-patched.o &&
	kmend_diff 0 is.o is-patched.o &&
	test_functions "changed  real" &&
	test_grep "note: function in ignored section .odd." err
'

test_expect_success 'only ignored changes: no functional change' '
	cat >only-patched.c <<-C &&
	#include <kmend/livepatch.h>
	int noisy(int x) { return x * 3 + 1; }
	int real(int x) { return x - 1; }
	KMEND_IGNORE_FUNCTION(noisy);
	C
	author_cc only-patched.c only-patched.o &&
	kmend_diff 3 ig.o only-patched.o
'

test_expect_success 'kpatch-macros.h: the same callbacks, ignores and force note' '
	cat >kp-patched.c <<-C &&
	#include "kpatch-macros.h"
	int noisy(int x) { return x * 3 + 1; }
	int real(int x) { KPATCH_PRINTK("real %d\n", x); return x - 2; }
	static int pre(patch_object *obj) { return 0; }
	static void post(patch_object *obj) { }
	KPATCH_PRE_PATCH_CALLBACK(pre);
	KPATCH_POST_PATCH_CALLBACK(post);
	KPATCH_IGNORE_FUNCTION(noisy);
	KPATCH_FORCE_UNSAFE(real);
	C
	author_cc kp-patched.c kp-patched.o &&
	kmend_diff 0 ig.o kp-patched.o &&
	grep -v "\.cold$" out >out.main && mv out.main out &&
	test_functions "callback post_patch post" "callback pre_patch pre" \
		"changed  real" "new      post" "new      pre" &&
	test_grep "note: ignored function .noisy." err &&
	test_grep "asks to switch .real. without the consistency check" err
'

test_expect_success 'a section of the author kind kmend does not know is refused' '
	cat >unk-patched.c <<-C &&
	int noisy(int x) { return x * 3; }
	int real(int x) { return x - 2; }
	static void *odd __attribute__((used, section(".kmend.whatever"))) = real;
	C
	gcc $DIFF_CFLAGS -c unk-patched.c -o unk-patched.o &&
	kmend_diff 2 ig.o unk-patched.o &&
	test_grep "section .kmend.whatever is not one kmend knows" err
'

test_expect_success 'a callback whose object is not a name is refused' '
	cat >bad-patched.c <<-C &&
	#include <kmend/livepatch.h>
	int noisy(int x) { return x * 3; }
	int real(int x) { return x - 2; }
	static void post(struct klp_object *o) { }
	KMEND_OBJECT_POST_PATCH_CALLBACK("no good!", post);
	C
	author_cc bad-patched.c bad-patched.o &&
	kmend_diff 2 ig.o bad-patched.o &&
	test_grep "the object of post_patch callback .post. is not a string naming vmlinux or a module" err
'

test_done
