#!/usr/bin/env bash
# Compiling and linking without the top-level Makefile (lib/kernel/kbenv.c,
# lib/module/kblink.c): the first compile in a tree goes through the
# top-level Makefile and keeps what it exports (CACHE/KREL/kbuild-env-1-ID);
# later views run scripts/Makefile.build directly, in an objtree that links
# what prepare made.  The direct compile must be the top-level one: same
# command, same code, the cached tree untouched; a kept environment that
# compiles otherwise is caught against the pristine object, removed, and
# taken again.  The module's link likewise (kbuild-link-env-1-ID, with the
# commands Kbuild recorded): a direct link that records another command, or
# fails, is done again the whole way.  On the real kernel; no VM.
# shellcheck disable=SC2016,SC1091,SC2034,SC2317 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_kernel_build)
if [ -n "$why" ]; then
	test_skip 'kmend build compiles without the top-level Makefile' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
KCACHE=$KMEND_TEST_CACHE/$KREL
TREE=$KCACHE/tree
FIX=$SRC_DIR/examples/cmdline/fix.patch

build() {
	"$KMEND" -v build -k "$KREL" --cache "$KMEND_TEST_CACHE" "$@"
}

# kept_scratch ERR: the scratch view a --keep build left, from its log
kept_scratch() {
	sed -n "s/^scratch tree kept in //p" "$1"
}

# the compile command Kbuild recorded for fs/proc/cmdline.o in view $1
recorded() {
	sed -n 's/^\(saved\)\{0,1\}cmd_fs\/proc\/cmdline\.o := //p' \
		"$1/src/obj/fs/proc/.cmdline.o.cmd"
}

# drop_fno_common ENV: a kept environment (NUL-separated) whose
# KBUILD_CFLAGS lost -fno-common, as if the kernel compiled otherwise
drop_fno_common() {
	python3 - "$1" <<-\EOF
	import sys
	p = sys.argv[1]
	b = open(p, "rb").read()
	i = b.index(b"\0KBUILD_CFLAGS=")
	j = b.index(b" -fno-common", i)
	open(p, "wb").write(b[:j] + b[j + len(b" -fno-common"):])
	EOF
}

disasm() {
	objdump -dr --no-show-raw-insn "$1" | sed -n '/^Disassembly/,$p'
}

test_expect_success 'without a kept environment: the top-level Makefile, then one is kept' '
	rm -f "$KCACHE"/kbuild-env-* &&
	build --keep -o whole.ko "$FIX" >out 2>err &&
	whole=$(kept_scratch err) && test -n "$whole" &&
	test_grep "DESCEND +objtool" err &&
	test_grep -v "make in /[^ ]*/src/obj:$" err &&
	test -d "$whole/src/obj/include" && ! test -L "$whole/src/obj/include" &&
	env=$(ls "$KCACHE"/kbuild-env-1-*) && test -f "$env" &&
	tr "\0" "\n" <"$env" >env.txt &&
	test_grep "^KBUILD_CFLAGS=.*-mcmodel=kernel" env.txt &&
	{ ! grep -q "^abs_srctree=" env.txt ||
	  test_grep "^abs_srctree=@KMEND_SRC@$" env.txt; } &&
	test_grep -v "kmend-scratch" env.txt &&
	test_grep -v "^(MAKEFLAGS|MAKELEVEL|PWD)=" env.txt &&
	cp "$env" env.first && echo "$env" >env.path && echo "$whole" >whole.path
'

test_expect_success 'with it: scripts/Makefile.build directly, the same command and code' '
	whole=$(cat whole.path) &&
	build --keep -o direct.ko "$FIX" >out 2>err &&
	direct=$(kept_scratch err) && test -n "$direct" &&
	test_grep "make in /[^ ]*/src/obj:$" err &&
	test_grep -v "DESCEND +objtool" err &&
	test -L "$direct/src/obj/include" && test -L "$direct/src/obj/tools" &&
	! test -L "$direct/src/obj/fs" &&
	recorded "$whole" >whole.cmd && recorded "$direct" >direct.cmd &&
	test -s whole.cmd && test_cmp whole.cmd direct.cmd &&
	disasm "$whole/src/obj/fs/proc/cmdline.o" >whole.s &&
	disasm "$direct/src/obj/fs/proc/cmdline.o" >direct.s &&
	test_cmp whole.s direct.s &&
	test -z "$(find "$TREE" -newer "$KCACHE/stamp" -print -quit)" &&
	rm -rf "$whole" "$direct" "$(sed -n "s/^work files kept in //p" err)"
'

test_expect_success 'a kept environment that compiles otherwise is caught, removed and taken again' '
	env=$(cat env.path) &&
	drop_fno_common "$env" &&
	test_expect_code 1 build -o bad.ko "$FIX" >out 2>err &&
	test_grep "Kbuild compiled fs/proc/cmdline.o with another command than its pristine object \(.-f[a-zA-Z-]+. where the pristine one has .-fno-common.\): kmend removed .[^ ]*/kbuild-env-1-[0-9a-f]+., how it compiles without the top-level Makefile; build again" err &&
	! test -e bad.ko && ! test -e "$env" &&
	build -o again.ko "$FIX" >out 2>err &&
	test_grep "DESCEND +objtool" err &&
	cmp "$env" env.first &&
	build -o direct2.ko "$FIX" >out 2>err &&
	test_grep "make in /[^ ]*/src/obj:$" err &&
	test -z "$(find "$TREE" -newer "$KCACHE/stamp" -print -quit)"
'

test_expect_success 'the link: the whole way keeps its environment and the commands it recorded' '
	rm -f "$KCACHE"/kbuild-link-env-* &&
	build -o whole-link.ko "$FIX" >out 2>err &&
	test "$(grep -c "run: make -rR" err)" = 1 &&
	lenv=$(ls "$KCACHE"/kbuild-link-env-1-*) && test -f "$lenv" &&
	tr "\0" "\n" <"$lenv" >lenv.txt &&
	test_grep "^KBUILD_EXTMOD=@KMEND_MOD@$" lenv.txt &&
	test_grep "^#headers /" lenv.txt &&
	test_grep "^#cmd \.kmend-livepatch\.o\.cmd=.*-DMODULE" lenv.txt &&
	test_grep "^#cmd \.@KMEND_NAME@\.ko\.cmd=" lenv.txt &&
	test_grep "^#cmd \.Module\.symvers\.cmd=.*modpost" lenv.txt &&
	test_grep -v "kmend-build\.|kmend_fix" lenv.txt &&
	cp "$lenv" lenv.first && echo "$lenv" >lenv.path
'

test_expect_success 'the link direct: three makes, the same commands, the same module' '
	build -o direct-link.ko "$FIX" >out 2>err &&
	test "$(grep -c "run: make -rR" err)" = 4 &&
	test_grep -v "linking the whole way again" err &&
	km_module_view whole-link.ko >whole.view &&
	km_module_view direct-link.ko >direct.view &&
	test_cmp whole.view direct.view
'

test_expect_success 'a kept link environment that links otherwise: the whole way again, kept anew' '
	lenv=$(cat lenv.path) &&
	drop_fno_common "$lenv" &&
	build -o relinked.ko "$FIX" >out 2>err &&
	test_grep "Kbuild linked otherwise than the top-level Makefile did: now cmd \.[^=]*\.o\.cmd=.*-DMODULE" err &&
	test_grep "linking the whole way again" err &&
	km_module_view relinked.ko >relinked.view && test_cmp whole.view relinked.view &&
	cmp "$lenv" lenv.first
'

test_expect_success 'a kept link environment whose makes fail: the whole way again' '
	lenv=$(cat lenv.path) &&
	python3 - "$lenv" <<-\EOF &&
	import sys
	p = sys.argv[1]
	b = open(p, "rb").read()
	b = b.replace(b"\0srctree=", b"\0srctree=/nonexistent", 1)
	open(p, "wb").write(b)
	EOF
	build -o relinked2.ko "$FIX" >out 2>err &&
	test_grep "linking without the top-level Makefile failed" err &&
	test_grep "linking the whole way again" err &&
	km_module_view relinked2.ko >relinked2.view && test_cmp whole.view relinked2.view &&
	cmp "$lenv" lenv.first &&
	rm -f whole-link.ko direct-link.ko relinked.ko relinked2.ko
'

test_done
