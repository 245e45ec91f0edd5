#!/usr/bin/env bash
# kmend build on the real Debian kernel source: what it refuses, with which
# reason and exit code, and that a failed build leaves no output and the
# cached tree as it was.  Needs the kernel packages (scripts/install-deps);
# no VM.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'kmend build refusals on the kernel source' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
TREE=$KMEND_TEST_CACHE/$KREL/tree

build() {
	"$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" "$@"
}

# make_patch FILE SED-EXPRESSION OUT: a -p1 diff of the kernel's FILE
make_patch() {
	mkdir -p "a/$(dirname "$1")" "b/$(dirname "$1")" &&
	cp "$TREE/$1" "a/$1" && sed "$2" "$TREE/$1" >"b/$1" &&
	! cmp -s "a/$1" "b/$1" &&
	{ diff -u "a/$1" "b/$1" >"$3" || test $? -eq 1; }
}

test_expect_success 'prepare the cached tree (reused when present)' '
	build -o warm.ko "$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test -f warm.ko && test -d "$TREE/obj"
'

test_expect_success 'a changed initial value of a variable is refused (exit 2)' '
	make_patch fs/proc/kcore.c "s/^static int kcore_need_update = 1;/static int kcore_need_update = 0;/" data.patch &&
	test_expect_code 2 build -o data.ko data.patch 2>err &&
	test_grep "fs/proc/kcore.c.: variable .kcore_need_update. \(section [^)]*\) changes its initial value" err &&
	test ! -e data.ko
'

test_expect_success 'a changed __init function is refused (exit 2)' '
	make_patch fs/proc/version.c "s/proc_create_single(\"version\", 0,/proc_create_single(\"version\", 0444,/" init.patch &&
	test_expect_code 2 build -o init.ko init.patch 2>err &&
	test_grep "function .proc_version_init. is __init code \(section \.init\.text\)" err &&
	test ! -e init.ko
'

test_expect_success 'a changed __exit function is refused, even when only its WARN flags change' '
	make_patch crypto/algboss.c "/^static void __exit cryptomgr_exit/,/^}/s/BUG_ON(err);/WARN_ON(err);/" exit.patch &&
	test_expect_code 2 build -o exit.ko exit.patch 2>err &&
	test_grep "changed function .cryptomgr_exit. is __exit code \(section \.exit\.text\): built in, the kernel discarded it" err &&
	test ! -e exit.ko
'

test_expect_success 'a comment-only change is no functional change (exit 3)' '
	make_patch fs/proc/cmdline.c "s/^static int cmdline_proc_show/\/* shown by cat \/proc\/cmdline *\/\nstatic int cmdline_proc_show/" comment.patch &&
	test_expect_code 3 build -o comment.ko comment.patch 2>err &&
	test_grep "no functional change in fs/proc/cmdline.c" err &&
	test ! -e comment.ko
'

test_expect_success 'a header change that changes no code leaves the .c change alone' '
	make_patch fs/proc/internal.h "s/^struct proc_dir_entry {/\/* x *\/\nstruct proc_dir_entry {/" header.patch &&
	cat header.patch "$SRC_DIR/examples/cmdline/fix.patch" >both.patch &&
	build -o header.ko both.patch 2>err &&
	test_grep "^header fs/proc/internal.h: [0-9]+ units include it, 0 change, compiling 0$" err &&
	test_grep "changed +cmdline_proc_show [(]fs/proc/cmdline.c[)]" err &&
	test -s header.ko
'

test_expect_success 'a file of a loadable module is compiled as part of it' '
	make_patch fs/fat/cache.c "1s/^/\/* kmend test *\/\n/" module.patch &&
	test_expect_code 3 build -o module.ko module.patch 2>err &&
	test_grep "^  fs/fat/cache.c is part of module fat \(/lib/modules/.*/kernel/fs/fat/fat.ko\)$" err &&
	test_grep "no functional change in fs/fat/cache.c" err &&
	test ! -e module.ko
'

test_expect_success 'a change to an assembly file is refused, saying what to do' '
	make_patch arch/x86/lib/memcpy_64.S "1s/^/\/* kmend test *\/\n/" asm.patch &&
	test_expect_code 2 build -o asm.ko asm.patch 2>err &&
	test_grep "arch/x86/lib/memcpy_64.S: it is assembly: a live patch replaces C functions, compiled the way the kernel was; make the fix in C, or apply it with a reboot" err &&
	test ! -e asm.ko
'

test_expect_success 'a change to the livepatch core itself is refused' '
	make_patch kernel/livepatch/core.c "s/^static bool klp_is_module(struct klp_object \*obj)/static bool klp_is_module(struct klp_object *obj) \/* x *\//" klp.patch &&
	test_expect_code 2 build -o klp.ko klp.patch 2>err &&
	test_grep "kernel/livepatch/core.c: it is part of the livepatch and ftrace machinery that applies live patches: apply the fix with a reboot" err &&
	test ! -e klp.ko
'

test_expect_success 'a change to a Makefile or Kconfig is refused' '
	make_patch fs/proc/Makefile "1s/^/# kmend test\n/" mk.patch &&
	test_expect_code 2 build -o mk.ko mk.patch 2>err &&
	test_grep "fs/proc/Makefile: it changes how the kernel is configured or built" err
'

test_expect_success 'documentation and selftests in a fix are left out with a note' '
	make_patch Documentation/filesystems/proc.rst "1s/^/.. kmend test\n/" doc.patch &&
	make_patch tools/testing/selftests/proc/proc-uptime.h "1s/^/\/* kmend test *\/\n/" selftest.patch &&
	cat doc.patch selftest.patch "$SRC_DIR/examples/cmdline/fix.patch" >mixed.patch &&
	build -o mixed.ko mixed.patch 2>err &&
	test_grep "note: Documentation/filesystems/proc.rst: not kernel code \(documentation, tools or selftests\): left out" err &&
	test_grep "note: tools/testing/selftests/proc/proc-uptime.h: not kernel code" err &&
	test_grep "^ +changed +cmdline_proc_show \(fs/proc/cmdline.c\)$" err &&
	test -f mixed.ko
'

test_expect_success 'a fix of documentation alone is no functional change (exit 3)' '
	test_expect_code 3 build -o doc.ko doc.patch 2>err &&
	test_grep "no functional change: the patches change no kernel code" err &&
	test ! -e doc.ko
'

test_expect_success 'a patch that does not apply names the hunk; the cache is untouched' '
	sum=$(md5sum <"$TREE/fs/proc/cmdline.c") &&
	sed "s/seq_putc(m, .\\\\n.);/seq_putc(m, 0);/" "$SRC_DIR/examples/cmdline/fix.patch" >stale.patch &&
	! cmp -s stale.patch "$SRC_DIR/examples/cmdline/fix.patch" &&
	test_expect_code 1 build -o stale.ko stale.patch 2>err &&
	test_grep "fs/proc/cmdline.c" err &&
	test_grep "[Hh]unk #1" err &&
	test ! -e stale.ko &&
	test "$(md5sum <"$TREE/fs/proc/cmdline.c")" = "$sum" &&
	test_grep -v "kmend" "$TREE/fs/proc/cmdline.c"
'

test_expect_success 'a file that is not a diff is a clear error' '
	echo "hello" >notes.txt &&
	test_expect_code 1 build notes.txt 2>err &&
	test_grep "notes.txt.* is not a unified diff" err
'

test_expect_success 'an unknown kernel names the packages to install' '
	test_expect_code 1 "$KMEND" build -k 9.9.9-99-amd64 "$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep "kernel config not found: install linux-image-9.9.9-99-amd64" err &&
	test_grep "vmlinux with symbols not found: install linux-image-9.9.9-99-amd64-dbg" err &&
	test_grep "kernel headers not found: install linux-headers-9.9.9-99-amd64" err
'

test_expect_success 'a missing --vmlinux or source is named' '
	test_expect_code 1 build --vmlinux /nonexistent/vmlinux "$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep "vmlinux ./nonexistent/vmlinux. does not exist" err &&
	test_expect_code 1 build -s /nonexistent/src "$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep "kernel source ./nonexistent/src. does not exist" err
'

test_expect_success 'an invalid module name is refused before any work' '
	test_expect_code 1 build -n "bad-name!" "$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep ".bad-name!. is not a valid module name" err
'

test_expect_success 'a refused build leaves no scratch or work directory behind' '
	mkdir tmp &&
	TMPDIR=$PWD/tmp test_expect_code 2 build -o data.ko data.patch 2>err &&
	test -z "$(ls -A tmp)" &&
	TMPDIR=$PWD/tmp test_expect_code 1 build -o stale.ko stale.patch 2>err &&
	test -z "$(ls -A tmp)"
'

test_expect_success 'a TMPDIR that does not exist is named, with what to do (exit 1)' '
	TMPDIR=$PWD/nonexistent test_expect_code 1 build -o tmpdir.ko \
		"$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep "^kmend: error: cannot create a temporary directory in .$PWD/nonexistent. \(\\\$TMPDIR\): No such file or directory; set TMPDIR to a writable directory$" err &&
	test ! -e tmpdir.ko && test ! -e nonexistent
'

test_done
