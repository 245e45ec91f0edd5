#!/bin/sh
# Passes while the fix is live in vmlinux and in two modules: /proc/cmdline
# ends with kmend.modules=1, dummy0 reports 4242 received packets (dummy
# loaded before the patch), binfmt_misc's status reads "enabled kmend"
# (loaded after the patch, at each run).
grep -q '^dummy ' /proc/modules || modprobe dummy || exit 2
modprobe binfmt_misc || exit 2
mkdir -p /tmp/binfmt && mount -t binfmt_misc none /tmp/binfmt || exit 2
s=$(cat /tmp/binfmt/status)
umount /tmp/binfmt && rmmod binfmt_misc || exit 2
n=$(cat /sys/class/net/dummy0/statistics/rx_packets) || exit 2
echo "/proc/cmdline: $(cat /proc/cmdline)"
echo "dummy0 rx_packets: $n"
echo "binfmt_misc status: $s"
rc=0
grep -q ' kmend.modules=1$' /proc/cmdline || rc=1
[ "$n" = 4242 ] || rc=1
[ "$s" = "enabled kmend" ] || rc=1
exit $rc
