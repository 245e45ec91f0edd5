#!/bin/sh
# Passes while the fix is live: its post_patch callback set the printk
# rate limit's burst to 47 (the kernel's default is 10), and the kernel's
# log shows the callbacks ran in order; post_unpatch puts 10 back.
burst=$(cat /proc/sys/kernel/printk_ratelimit_burst)
echo "printk_ratelimit_burst: $burst"
dmesg | grep 'kmend callbacks:' || true
[ "$burst" = 47 ] || exit 1
dmesg | grep 'kmend callbacks:' | tail -n 2 | tr '\n' ' ' |
	grep -q 'pre_patch.*post_patch'
