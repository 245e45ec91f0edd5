#!/bin/sh
# Exercises: an existing function's static local (drop_caches' stfu): the new code must use the kernel's instance.
# Modelled on: kpatch gcc-static-local-var.
# Passes while the fix is live: the new drop_caches_sysctl_handler() reads
# the kernel's own static local 'stfu' of the old one.  The first run (before
# the patch) writes 4 to drop_caches, which sets the kernel's stfu; while
# the patch is live, writing 1 must then print "kmend: drop_caches quiet":
# a copy of the static local in the module would still be 0.
if [ ! -e /tmp/kmend-stfu-set ]; then
	echo 4 >/proc/sys/vm/drop_caches
	touch /tmp/kmend-stfu-set
fi
n=$(dmesg | grep -c 'kmend: drop_caches quiet')
echo 1 >/proc/sys/vm/drop_caches
m=$(dmesg | grep -c 'kmend: drop_caches quiet')
echo "quiet messages: $n then $m"
[ "$m" -gt "$n" ]
