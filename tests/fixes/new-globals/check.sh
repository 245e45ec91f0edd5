#!/bin/sh
# Exercises: a new global variable with an initial value, defined in one file and changed from another.
# Modelled on: kpatch new-globals.
# Passes while the fix is live: a new global variable, defined (= 4242) and
# printed by fs/proc/version.c, incremented by fs/proc/loadavg.c: both files
# must share the one instance in the module.
v1=$(sed -n 's/^kmend_global: //p' /proc/version)
cat /proc/loadavg >/dev/null
cat /proc/loadavg >/dev/null
v2=$(sed -n 's/^kmend_global: //p' /proc/version)
echo "kmend_global: '$v1' then '$v2'"
[ -n "$v1" ] && [ "$v1" -ge 4242 ] && [ "$v2" -eq $((v1 + 2)) ]
