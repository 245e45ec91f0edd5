#!/bin/sh
# Passes while the fix is live: dummy0 reports 4242 received packets.
# The first run loads the dummy module, before the patch, and it stays:
# the patch applies to a module that is already there.
grep -q '^dummy ' /proc/modules || modprobe dummy || exit 2
n=$(cat /sys/class/net/dummy0/statistics/rx_packets) || exit 2
echo "dummy0 rx_packets: $n"
[ "$n" = 4242 ]
