#!/bin/sh
# Exercises: a new pr_debug() site, turned on through dynamic debug.
# Modelled on: kpatch module (pr_debug).
# Passes while the fix is live: the new pr_debug() in loadavg_proc_show() is
# listed by dynamic debug, can be turned on, and then prints.
c=/proc/dynamic_debug/control
[ -e $c ] || { mount -t debugfs nodev /sys/kernel/debug; c=/sys/kernel/debug/dynamic_debug/control; }
[ -e $c ] || exit 2
grep 'kmend: loadavg' $c || exit 1
echo 'format "kmend: loadavg" +p' >$c || exit 1
n=$(dmesg | grep -c 'kmend: loadavg read by')
cat /proc/loadavg >/dev/null
m=$(dmesg | grep -c 'kmend: loadavg read by')
echo "pr_debug messages: $n then $m"
[ "$m" -gt "$n" ]
