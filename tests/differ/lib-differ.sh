# shellcheck shell=bash
# Helpers for the differ tests: compile small C files the way the kernel is
# compiled (fentry, function and data sections, kernel code model).

DIFF_CFLAGS="-O2 -pg -mfentry -mrecord-mcount -ffunction-sections -fdata-sections -fno-PIE -mcmodel=kernel -fno-asynchronous-unwind-tables -fno-stack-protector"

# compile_pair NAME: NAME.c is the pristine source, NAME-patched.c the fix
compile_pair() {
	gcc $DIFF_CFLAGS -c "$1.c" -o "$1.o"
	gcc $DIFF_CFLAGS -c "$1-patched.c" -o "$1-patched.o"
}

# The kernel's x86 flags that change how gcc lays out code and data (no FPU
# or vector registers: structures are copied with plain moves or rep movs).
# shellcheck disable=SC2034 # used by the test scripts
KERNEL_NOFPU_CFLAGS="-mno-sse -mno-mmx -mno-sse2 -mno-3dnow -mno-avx -mno-red-zone"

# test_no_raw_addend FILE...: a message says symbol+offset, never a raw
# negative addend printed unsigned (+0xffffffffffffffff).
test_no_raw_addend() {
	local f
	for f in "$@"; do
		if grep -E -q -- '0x[fF]{8}' "$f"; then
			echo "a raw addend in $f:"; cat "$f"
			return 1
		fi
	done
}

# kmend_diff RC ARGS...: runs 'kmend diff ARGS' with its standard output
# sorted into out and its standard error in err; fails unless it exits RC,
# or when either shows a raw addend.
kmend_diff() {
	local want=$1 rc
	shift
	"$KMEND" diff "$@" >out.unsorted 2>err && rc=0 || rc=$?
	LC_ALL=C sort out.unsorted >out
	test_no_raw_addend out err || return 1
	if [ "$rc" -ne "$want" ]; then
		echo "expected exit code $want, got $rc from: kmend diff $*"
		cat out err
		return 1
	fi
}

# test_functions LINE...: kmend_diff's out lists exactly these lines
# ("changed  NAME", "new      NAME"), in any order.
test_functions() {
	if [ $# -eq 0 ]; then
		: >expect
	else
		printf '%s\n' "$@" | LC_ALL=C sort >expect
	fi
	test_cmp expect out
}

# test_names NAME FILE: FILE names NAME as a word of its own (not as part
# of a section name such as .rodata.NAME or a longer identifier).
test_names() {
	if ! grep -E -q -- "(^|[^[:alnum:]_.])$1([^[:alnum:]_.]|[.]([^[:alnum:]_]|\$)|\$)" "$2"; then
		echo "'$1' is not named in $2:"; cat "$2"
		return 1
	fi
}

# compile_pair_in_tree NAME [CFLAGS...]: as compile_pair, with more flags,
# and both sides compiled as NAME.c from a directory of their own (pristine/
# and patched/), so that __FILE__ is the same on both sides, as it is when
# the kernel's tree is compiled twice
compile_pair_in_tree() {
	local name=$1 side
	shift
	for side in pristine patched; do
		mkdir -p "$side"
		[ ! -e kernel.h ] || cp kernel.h "$side/"
	done
	cp "$name.c" "pristine/$name.c"
	cp "$name-patched.c" "patched/$name.c"
	(cd pristine && gcc $DIFF_CFLAGS "$@" -c "$name.c" -o "../$name.o") &&
	(cd patched && gcc $DIFF_CFLAGS "$@" -c "$name.c" -o "../$name-patched.o")
}
