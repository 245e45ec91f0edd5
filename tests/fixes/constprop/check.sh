#!/bin/sh
# Exercises: a function that exists only as a .constprop.0 clone.
# Modelled on: kpatch gcc-constprop.
# Passes while the fix is live: the spectre_v1 line of the sysfs CPU
# vulnerabilities ends with "(kmend)".  cpu_show_common() exists in vmlinux
# only as its clone cpu_show_common.constprop.0.
f=/sys/devices/system/cpu/vulnerabilities/spectre_v1
cat $f
grep -q ' (kmend)$' $f
