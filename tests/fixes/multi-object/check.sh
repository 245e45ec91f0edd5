#!/bin/sh
# Exercises: one patch over vmlinux and two modules.
# Modelled on: kpatch module + cmdline-string.
# Passes while the fix is live: one patch changes vmlinux (/proc/cmdline),
# binfmt_misc (loaded before the patch, stays loaded) and bonding (loaded
# after it, removed after each run).
modprobe binfmt_misc || exit 2
d=/proc/sys/fs/binfmt_misc
grep -q " $d binfmt_misc" /proc/mounts || mount -t binfmt_misc none $d || exit 2
modprobe bonding max_bonds=1 || exit 2
rc=0
grep -q ' kmend_multi=1$' /proc/cmdline || rc=1
grep -q '^enabled (kmend multi)$' $d/status || rc=1
grep -q '^kmend: multi fixed$' /proc/net/bonding/bond0 || rc=1
rmmod bonding || exit 2
echo "cmdline: $(cat /proc/cmdline); binfmt_misc: $(cat $d/status)"
exit $rc
