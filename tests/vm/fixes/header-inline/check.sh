#!/bin/sh
# Passes when the fix is live: timens_add_boottime(), an inline function of
# include/linux/time_namespace.h, adds 1000000 s to the boot time, and its
# callers in two units show it: /proc/uptime (fs/proc/uptime.c) and
# sysinfo(2), which busybox's uptime reads (kernel/sys.c).
echo "/proc/uptime: $(cat /proc/uptime)"
echo "uptime: $(uptime)"
up=$(cut -d. -f1 /proc/uptime)
[ "$up" -ge 1000000 ] || exit 1
uptime | grep -q ' up 1[0-9] days'
