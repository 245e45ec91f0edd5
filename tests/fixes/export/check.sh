#!/bin/sh
# Exercises: a changed exported function (get_task_mm), also inlined into mm_access.
# Modelled on: kpatch module-call-external (exported symbols).
# Passes while the fix is live: the exported get_task_mm() gives no mm for a
# task named kmend-nomm, so its /proc/PID/cmdline reads empty; other tasks'
# still read.
[ -n "$(tr '\0' ' ' </proc/$$/cmdline)" ] || exit 2
# A task may only rename itself: this one does, then waits to be killed.
sh -c 'printf kmend-nomm >/proc/$$/comm; while :; do sleep 1; done' &
p=$!
n=0
while [ "$(cat /proc/$p/comm)" != kmend-nomm ]; do
	n=$((n + 1))
	[ $n -lt 10 ] || { kill $p; exit 2; }
	sleep 1
done
c=$(tr '\0' ' ' </proc/$p/cmdline)
kill $p
echo "cmdline of kmend-nomm: '$c'"
[ -z "$c" ]
