#!/bin/sh
# Exercises: a syscall written as a plain diff (SYSCALL_DEFINE1(newuname)).
# Modelled on: kpatch syscall.
# Passes while the fix is live: uname(2) reports a version ending in
# " kmend" (busybox uname calls the newuname syscall), and the release is
# still the kernel's (as /proc/sys/kernel/osrelease, which is not read
# through the syscall, says).
uname -v
[ "$(uname -r)" = "$(cat /proc/sys/kernel/osrelease)" ] || exit 2
uname -v | grep -q ' kmend$'
