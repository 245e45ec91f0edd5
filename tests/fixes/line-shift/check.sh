#!/bin/sh
# Exercises: lines added above every function of fs/proc/base.c, one function changed.
# Modelled on: kpatch warn-detect (__LINE__ shifts).
# Passes while the fix is live: /proc/self/limits ends with the fix's line.
# The fix adds three lines near the top of fs/proc/base.c, above every
# function of the file: only proc_pid_limits() may be replaced (line numbers
# that moved are no change).
grep -q '^Max open files' /proc/self/limits || exit 2
grep -q '^kmend_limits 1$' /proc/self/limits
