#!/bin/sh
# Passes when the new c_start() of crypto/proc.c is live.  vmlinux has three
# static c_start() functions (arch/x86/kernel/cpu/proc.c, fs/proc/consoles.c,
# crypto/proc.c, two of them in files named proc.c): the patch must replace
# the third by its kallsyms position, and leave /proc/cpuinfo and
# /proc/consoles as they were.
head -n 1 /proc/crypto | grep -q '^kmend: crypto list fixed$' &&
grep -q '^name ' /proc/crypto &&
grep -q '^processor' /proc/cpuinfo &&
grep -q '^ttyS0' /proc/consoles
