#!/bin/sh
# Exercises: pre/post patch and unpatch callbacks with the kernel klp-build's livepatch_helpers.h.
# Modelled on: kpatch macro-callbacks; samples/livepatch/livepatch-callbacks-demo.c.
# Passes while the fix is live and its callbacks ran: the pre-patch callback
# sets a new static variable to 1, the post-patch callback to 2, and the new
# uptime_proc_show() prints it.  The kernel log must show the pre-patch
# callback before the post-patch one.
cat /proc/uptime
grep -q '^kmend_callbacks 2$' /proc/uptime || exit 1
dmesg | grep 'kmend: p[a-z-]* callback' | tail -n 2 >/tmp/kmend-cb
printf 'pre-patch\npost-patch\n' >/tmp/kmend-cb-expect
sed 's/.*kmend: \([a-z-]*\) callback.*/\1/' /tmp/kmend-cb | diff /tmp/kmend-cb-expect -
