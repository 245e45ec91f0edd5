# shellcheck shell=bash
# Helpers for the differ tests: compile small C files the way the kernel is
# compiled (fentry, function and data sections, kernel code model).

DIFF_CFLAGS="-O2 -pg -mfentry -mrecord-mcount -ffunction-sections -fdata-sections -fno-PIE -mcmodel=kernel -fno-asynchronous-unwind-tables -fno-stack-protector"

# compile_pair NAME: NAME.c is the pristine source, NAME-patched.c the fix
compile_pair() {
	gcc $DIFF_CFLAGS -c "$1.c" -o "$1.o"
	gcc $DIFF_CFLAGS -c "$1-patched.c" -o "$1-patched.o"
}
