#!/usr/bin/env bash
# lib/ktree on the real kernel: prepare the cached tree (shared with the
# other tests through $KMEND_TEST_CACHE), compile fs/proc/cmdline.c pristine
# and patched in a scratch view, and the errors of files that cannot be
# built or patched.  Needs linux-image, linux-source (scripts/install-deps).
# shellcheck disable=SC2016,SC1091,SC2034 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"

DRIVER=$SRC_DIR/build/tests/unit/test-ktree
CACHE=${KMEND_TEST_CACHE:-${KMEND_CACHE:-$HOME/.cache/kmend}}
# the target kernel, as every test takes it: KREL, KSERIES
# shellcheck source=tests/vm/lib/modules.sh
. "$TEST_DIR/vm/lib/modules.sh"
SERIES=$KSERIES

if [ -z "$KREL" ] || [ ! -f "/usr/src/linux-source-$SERIES.tar.xz" ]; then
	test_skip 'prepare and compile in the real kernel tree' \
		'no linux-image and linux-source: run scripts/install-deps'
	test_done
	exit
fi
TREE=$CACHE/$KREL/tree

test_expect_success 'prepare the cached tree (cold or warm)' '
	"$DRIVER" prepare "$CACHE" "$KREL" >prep.out 2>err &&
	test_grep "^tree $TREE$" prep.out &&
	test -f "$CACHE/$KREL/stamp" &&
	test -f "$TREE/obj/include/generated/autoconf.h" &&
	test_grep "^kmend-cache-format " "$CACHE/$KREL/stamp"
'

test_expect_success 'a warm prepare reuses the tree as it is' '
	stamp=$(stat -c %Y.%i "$CACHE/$KREL/stamp") &&
	"$DRIVER" prepare "$CACHE" "$KREL" >prep.out 2>err &&
	test_grep -v "unpacking|preparing" err &&
	test "$(stat -c %Y.%i "$CACHE/$KREL/stamp")" = "$stamp"
'

# mkfix FILE SED-SCRIPT PATCH: a -p1 fix of the cached tree's FILE
mkfix() {
	mkdir -p "a/$(dirname "$1")" "b/$(dirname "$1")"
	cp "$TREE/$1" "a/$1" && cp "$TREE/$1" "b/$1"
	sed -i "$2" "b/$1"
	diff -u --label "a/$1" --label "b/$1" "a/$1" "b/$1" >"$3" && return 1
	rm -rf a b
	return 0
}

# disasm OBJ SECTION: the section's code with relocations, no file name
disasm() {
	objdump -dr --no-show-raw-insn -j "$2" "$1" | sed -n '/^Disassembly/,$p'
}

test_expect_success 'fs/proc/cmdline.c pristine and patched differ in cmdline_proc_show only' '
	mkfix fs/proc/cmdline.c "s/seq_putc(m, .\\\\n.);/seq_puts(m, \" kmend\\\\n\");/" fix.patch &&
	test_grep "^\+.*kmend" fix.patch &&
	{ "$DRIVER" -v build "$CACHE" out fix.patch >objs 2>err || { cat err; false; }; } &&
	test_grep "^orig out/orig/fs/proc/cmdline.o$" objs &&
	test_grep "^patched out/patched/fs/proc/cmdline.o$" objs &&
	disasm out/orig/fs/proc/cmdline.o .text.cmdline_proc_show >orig.s &&
	disasm out/patched/fs/proc/cmdline.o .text.cmdline_proc_show >patched.s &&
	test -s orig.s && ! cmp -s orig.s patched.s &&
	test_grep "seq_putc" orig.s && test_grep -v "seq_putc" patched.s &&
	disasm out/orig/fs/proc/cmdline.o .init.text >orig-init.s &&
	disasm out/patched/fs/proc/cmdline.o .init.text >patched-init.s &&
	test_cmp orig-init.s patched-init.s &&
	test_grep "compiling 1 file" err
'

test_expect_success 'the object is compiled like Kbuild does: objtool ran, -ffunction-sections' '
	"$DRIVER" --keep build "$CACHE" out2 fix.patch >objs 2>err &&
	scratch=$(sed -n "s/^scratch tree kept in //p" err) &&
	test -n "$scratch" &&
	test_grep "ffunction-sections" "$scratch/src/obj/fs/proc/.cmdline.o.cmd" &&
	test_grep "objtool" "$scratch/src/obj/fs/proc/.cmdline.o.cmd" &&
	test -f "$scratch/src/fs/proc/cmdline.c" && ! test -L "$scratch/src/fs/proc/cmdline.c" &&
	test -L "$scratch/src/kernel" &&
	rm -rf "$scratch"
'

test_expect_success 'a fix whose context differs names file, hunk and the fuzz it needs; the cache is unchanged' '
	mkfix fs/proc/cmdline.c "s/seq_putc(m, .\\\\n.);/seq_puts(m, \"x\");/" bad.patch &&
	sed -i "s/^ \(.*\)seq_puts(m, saved_command_line);/ \1seq_puts(m, other_line);/" bad.patch &&
	sum_before=$(sha256sum "$TREE/fs/proc/cmdline.c") &&
	test_expect_code 1 "$DRIVER" build "$CACHE" out3 bad.patch 2>err &&
	test_grep "fs/proc/cmdline.c: hunk #1 of 1 does not apply" err &&
	test_grep "bad.patch. applies to the kernel source in .* only with fuzz [1-3] .*: this source is not the one the fix was written for; .* give --fuzz [1-3]$" err &&
	test "$sum_before" = "$(sha256sum "$TREE/fs/proc/cmdline.c")" &&
	test -z "$(find "$TREE" -newer "$CACHE/$KREL/stamp" -print -quit)"
'

test_expect_success 'a file this configuration does not build is named as such' '
	mkfix fs/binfmt_elf_fdpic.c "0,/^#include/s//\/* x *\/\n#include/" fdpic.patch &&
	test_expect_code 1 "$DRIVER" build "$CACHE" out4 fdpic.patch 2>err &&
	test_grep "fs/binfmt_elf_fdpic.c is not built in $KREL.s configuration" err
'

test_expect_success 'a file of a loadable module is refused' '
	mkfix fs/ext4/bitmap.c "0,/^#include/s//\/* x *\/\n#include/" ext4.patch &&
	test_expect_code 2 "$DRIVER" build "$CACHE" out5 ext4.patch 2>err &&
	test_grep "fs/ext4/bitmap.o belongs to a loadable module" err
'

test_expect_success 'a fix that does not compile: the compiler error and its file' '
	mkfix fs/proc/cmdline.c "s/return 0;/return no_such_variable;/" broken.patch &&
	test_expect_code 1 "$DRIVER" build "$CACHE" out6 broken.patch 2>err &&
	test_grep "compiling fs/proc/cmdline.c for $KREL failed" err &&
	test_grep "fs/proc/cmdline.c:[0-9]+:[0-9]+: error: .no_such_variable" err
'

test_done
