#!/usr/bin/env bash
# Compiling without the top-level Makefile (lib/kernel/kbenv.c): the first
# compile in a tree goes through the top-level Makefile and keeps what it
# exports (CACHE/KREL/kbuild-env-FORMAT-ID); later views run
# scripts/Makefile.build directly, in an objtree that links what prepare
# made.  The direct compile must be the top-level one: same command, same
# code, the cached tree untouched; a kept environment that compiles
# otherwise is caught against the pristine object, removed, and taken
# again.  On the real kernel; no VM.
# shellcheck disable=SC2016,SC1091,SC2034 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=
[ -n "$KM_ROOT" ] && why=$(km_fetch_or_why "$KREL")
[ -z "$why" ] && why=$(km_why_no_kmend_build)
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

disasm() {
	objdump -dr --no-show-raw-insn "$1" | sed -n '/^Disassembly/,$p'
}

test_expect_success 'without a kept environment: the top-level Makefile, then one is kept' '
	rm -f "$KCACHE"/kbuild-env-* &&
	build --keep -o whole.ko "$FIX" >out 2>err &&
	whole=$(kept_scratch err) && test -n "$whole" &&
	test_grep "DESCEND +objtool" err &&
	test_grep -v "run: make -rR" err &&
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
	test_grep "run: make -rR" err &&
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
	python3 - "$env" <<-\EOF &&
	import sys
	p = sys.argv[1]
	b = open(p, "rb").read()
	i = b.index(b"\0KBUILD_CFLAGS=")
	j = b.index(b" -fno-common", i)
	open(p, "wb").write(b[:j] + b[j + len(b" -fno-common"):])
	EOF
	test_expect_code 1 build -o bad.ko "$FIX" >out 2>err &&
	test_grep "Kbuild compiled fs/proc/cmdline.o with another command than its pristine object \(.-f[a-zA-Z-]+. where the pristine one has .-fno-common.\): kmend removed .[^ ]*/kbuild-env-1-[0-9a-f]+., how it compiles without the top-level Makefile; build again" err &&
	! test -e bad.ko && ! test -e "$env" &&
	build -o again.ko "$FIX" >out 2>err &&
	test_grep "DESCEND +objtool" err &&
	cmp "$env" env.first &&
	build -o direct2.ko "$FIX" >out 2>err &&
	test_grep "run: make -rR" err &&
	test -z "$(find "$TREE" -newer "$KCACHE/stamp" -print -quit)"
'

test_done
