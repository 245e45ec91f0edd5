#!/bin/sh
# Passes while the fix is live: binfmt_misc's status reads "enabled kmend".
# Each run loads the module and removes it again: while the patch is on,
# the module comes after it, and the kernel patches it as it loads.
modprobe binfmt_misc || exit 2
mkdir -p /tmp/binfmt && mount -t binfmt_misc none /tmp/binfmt || exit 2
s=$(cat /tmp/binfmt/status)
umount /tmp/binfmt && rmmod binfmt_misc || exit 2
echo "binfmt_misc status: $s"
[ "$s" = "enabled kmend" ]
