#!/bin/sh
# Passes while the fix is live: uname(2) reports the machine as kmend64.
# The fix is a plain diff of SYSCALL_DEFINE1(newuname): its body is the
# notrace __do_sys_newuname(), so kmend replaces the syscall's wrappers.
echo "uname -m: $(uname -m)"
test "$(uname -m)" = kmend64
