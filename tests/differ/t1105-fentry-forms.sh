#!/usr/bin/env bash
# Both forms of the ftrace entry: gcc's "call __fentry__" (-mrecord-mcount,
# Debian's 6.1), and the 5-byte nop that objtool --mcount leaves in its
# place, with an R_X86_64_NONE relocation to __fentry__ and a __mcount_loc
# entry it writes itself (kernels built with CONFIG_FTRACE_MCOUNT_USE_OBJTOOL).
# The objects are compiled at test time and annotated by the kernel's own
# objtool from the target's headers.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"
. "$TEST_DIR/vm/lib/modules.sh"

OBJTOOL=${KBUILD_DIR:+$KBUILD_DIR/tools/objtool/objtool}
if [ -z "$OBJTOOL" ] || [ ! -x "$OBJTOOL" ]; then
	test_skip 'the nop form of the ftrace entry' "no objtool in the target's headers: install linux-headers-amd64"
	test_done
	exit
fi

NOP_CFLAGS="-O2 -pg -mfentry -ffunction-sections -fdata-sections -fno-PIE -mcmodel=kernel -fno-asynchronous-unwind-tables -fno-stack-protector"

cat >"$TRASH/f.c" <<'C'
int other(int);
int traced(int x) { return other(x) + 1; }
__attribute__((no_instrument_function)) int quiet(int x) { return other(x) + 1; }
C

# compile_nop NAME: like compile_pair, then objtool --mcount on both
compile_nop() {
	gcc $NOP_CFLAGS -c "$1.c" -o "$1.o" &&
	gcc $NOP_CFLAGS -c "$1-patched.c" -o "$1-patched.o" &&
	"$OBJTOOL" --mcount "$1.o" && "$OBJTOOL" --mcount "$1-patched.o"
}

test_expect_success 'objtool --mcount writes the nop form' '
	cp f.c form.c && cp f.c form-patched.c &&
	compile_nop form &&
	objdump -d form.o >dis &&
	sed -n "/<traced>:/,/^\$/p" dis >traced &&
	test_grep "^ +0:	0f 1f 44 00 00 " traced &&
	readelf -rW form.o >relocs &&
	test_grep "R_X86_64_NONE .* __fentry__ - 4" relocs
'

test_expect_success 'a changed function with the nop form is replaced, its entry kept' '
	cp f.c nop.c &&
	sed "/^int traced/s/+ 1/+ 2/" f.c >nop-patched.c &&
	compile_nop nop &&
	kmend_diff 0 -o nop-out.o nop.o nop-patched.o &&
	printf "changed  traced\n" >expect &&
	test_cmp expect out &&
	readelf -rW nop-out.o >relocs &&
	test_grep "R_X86_64_NONE .* __fentry__ - 4" relocs &&
	sed -n "/\.rela__mcount_loc/,/^\$/p" relocs >mcount &&
	test_grep "R_X86_64_64 .* traced \+ 0" mcount
'

test_expect_success 'a notrace function compiled the same way still has no entry' '
	cp f.c nt.c &&
	sed "/quiet/s/+ 1/+ 2/" f.c >nt-patched.c &&
	compile_nop nt &&
	kmend_diff 2 nt.o nt-patched.o &&
	test_grep "function .quiet. has no ftrace entry" err
'

test_done
