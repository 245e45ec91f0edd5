#!/bin/sh
# Exercises: a changed exported function (get_task_mm), also inlined into mm_access.
# Modelled on: kpatch module-call-external (exported symbols).
# Passes while the fix is live: the exported get_task_mm() gives no mm for a
# task named kmend-nomm, so its /proc/PID/cmdline reads empty; other tasks'
# still read.
[ -n "$(tr '\0' ' ' </proc/$$/cmdline)" ] || exit 2
sleep 1000 &
p=$!
echo kmend-nomm >/proc/$p/comm
c=$(tr '\0' ' ' </proc/$p/cmdline)
kill $p
echo "cmdline of kmend-nomm: '$c'"
[ -z "$c" ]
