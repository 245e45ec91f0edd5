#!/usr/bin/env bash
# Strings of mergeable sections have no identity but their bytes: when the
# compiler moves one into the string section of another function (psi_show
# became psi_show.part.0 in kernel/sched/psi.c, and "full" moved from
# .rodata.psi_show.str1.1+0 to .rodata.psi_show.part.0.str1.1+0xb), a
# constant that points to it has not changed.  Written in assembly, so that
# the sections are exactly those.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

# write_modes FILE STRSEC LEADING STRING: a table of one string pointer and
# a function that reads it; the string sits after LEADING in STRSEC
write_modes() {
	cat >"$1" <<-S
	.section $2,"aMS",@progbits,1
	${3:+.string \"$3\"}
	.LCs: .string "$4"
	.section .rodata.modes,"a"
	.align 8
	.type modes, @object
	.size modes, 8
	modes: .quad .LCs
	.section .text.show,"ax",@progbits
	.globl show
	.type show, @function
	show: call __fentry__
	movq modes(%rip), %rax
	ret
	.size show, .-show
	S
}

test_expect_success 'a string that moved to another function'"'"'s section: no change' '
	write_modes moved.s .rodata.show.str1.1 "" full &&
	write_modes moved-patched.s .rodata.show.part.0.str1.1 "some other" full &&
	gcc -c moved.s -o moved.o && gcc -c moved-patched.s -o moved-patched.o &&
	readelf -rW moved-patched.o >relocs &&
	test_grep "R_X86_64_64 .* \.rodata\.show\.part\.0\.str1\.1 \+ b$" relocs &&
	kmend_diff 3 moved.o moved-patched.o &&
	test_grep "no functional change" err
'

test_expect_success 'a string whose bytes changed still changes the constant' '
	write_modes text.s .rodata.show.str1.1 "" full &&
	write_modes text-patched.s .rodata.show.part.0.str1.1 "some other" some &&
	gcc -c text.s -o text.o && gcc -c text-patched.s -o text-patched.o &&
	kmend_diff 2 text.o text-patched.o &&
	test_grep "constant .modes. \(section \.rodata\.modes\) changes its initial value" err
'

test_done
