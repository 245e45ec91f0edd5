#!/bin/sh
# Exercises: a changed function with a static key of vmlinux (sched_schedstats), toggled by the check.
# Modelled on: kpatch module (jump labels); livepatch selftests.
# Passes while the fix is live and the static key works in the new code:
# with kernel.sched_schedstats on, /proc/self/sched shows the schedstat
# block, where the fix adds a line.  The block sits behind
# schedstat_enabled(), a static key of vmlinux (sched_schedstats): if the
# module's __jump_table entry were lost, the new code would not see the key
# turned on, and the line would be missing.
echo 1 >/proc/sys/kernel/sched_schedstats || exit 2
out=$(cat /proc/self/sched)
echo 0 >/proc/sys/kernel/sched_schedstats
echo "$out" | grep -q 'sum_sleep_runtime' || exit 3
echo "$out" | grep 'kmend'
echo "$out" | grep -q '^kmend_schedstats: on$'
