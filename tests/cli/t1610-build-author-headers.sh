#!/usr/bin/env bash
# kmend build and the headers for patch authors, on the real Debian kernel
# source (no VM): an installed kmend finds its headers; without them, the
# compile error names the header; the user's CPATH neither hides them nor
# reaches the kernel's own compiles; two callbacks of one kind for one
# object are an error that names them.  Needs the kernel packages.
# shellcheck disable=SC2016,SC1091,SC2034 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'kmend build with the patch-author headers' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
FIXES=$TEST_DIR/vm/fixes
TREE=$KMEND_TEST_CACHE/$KREL/tree

# installs the kmend under test as it is built (-o: nothing remade, even
# where a source changed while the suite runs)
test_expect_success 'an installed kmend builds a kpatch-macros.h patch unchanged' '
	make -C "$SRC_DIR" --no-print-directory -o all -o static install PREFIX=/opt/km \
		DESTDIR="$PWD/root" >install.log 2>&1 &&
	test -f root/opt/km/lib/kmend/include/kpatch-macros.h &&
	env -u KMEND_INCLUDE root/opt/km/bin/kmend build -k "$KREL" \
		--cache "$KMEND_TEST_CACHE" -n kp -o kp.ko \
		"$FIXES/kpatch-macros/fix.patch" >out 2>err &&
	test_grep "^ +callback pre_patch kpatch_pre_patch \(vmlinux\)$" err &&
	test -f kp.ko
'

test_expect_success 'without the headers, the compile error names the header' '
	mkdir -p empty &&
	{ KMEND_INCLUDE=$PWD/empty "$KMEND" build -k "$KREL" \
		--cache "$KMEND_TEST_CACHE" -n kp2 -o kp2.ko \
		"$FIXES/kpatch-macros/fix.patch" >out 2>err && rc=0 || rc=$?; } &&
	test "$rc" = 1 &&
	test_grep "kpatch-macros.h: No such file" err &&
	test ! -e kp2.ko
'

test_expect_success 'the user'"'"'s CPATH does not replace the headers or reach the kernel' '
	mkdir -p poison/linux &&
	echo "#error the user CPATH was used" >poison/kpatch-macros.h &&
	echo "#error the user CPATH was used" >poison/linux/livepatch_helpers.h &&
	CPATH=$PWD/poison C_INCLUDE_PATH=$PWD/poison "$KMEND" build -k "$KREL" \
		--cache "$KMEND_TEST_CACHE" -n kp3 -o kp3.ko \
		"$FIXES/kpatch-macros/fix.patch" >out 2>err &&
	test_grep -v "user CPATH" err && test -f kp3.ko
'

test_expect_success 'two post_patch callbacks for vmlinux: an error naming them' '
	mkdir -p a/fs/proc b/fs/proc &&
	cp "$TREE/fs/proc/version.c" a/fs/proc/ &&
	cp "$TREE/fs/proc/version.c" b/fs/proc/ &&
	cat >>b/fs/proc/version.c <<-C &&
	#include <kmend/livepatch.h>
	static void kmend_second_post(struct klp_object *obj) { }
	KMEND_POST_PATCH_CALLBACK(kmend_second_post);
	C
	{ diff -u a/fs/proc/version.c b/fs/proc/version.c >second.patch || test $? = 1; } &&
	{ "$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" -n two -o two.ko \
		"$FIXES/callbacks/fix.patch" second.patch >out 2>err && rc=0 || rc=$?; } &&
	test "$rc" = 1 &&
	test_grep "two post_patch callbacks for vmlinux" err &&
	test_grep "call both from one function" err &&
	test ! -e two.ko
'

test_done
