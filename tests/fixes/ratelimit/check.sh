#!/bin/sh
# Exercises: a new pr_info_ratelimited(): a new static ratelimit state in a function.
# Modelled on: kpatch special-static.
# Passes while the fix is live: show_softirqs() prints a new line and a
# pr_info_ratelimited() message (a new static ratelimit state, like
# kpatch's special-static test).
n=$(dmesg | grep -c 'kmend: softirqs read by')
grep -q '^ *HI:' /proc/softirqs || exit 2
grep -q '^kmend_ratelimit: 1$' /proc/softirqs || exit 1
m=$(dmesg | grep -c 'kmend: softirqs read by')
echo "ratelimited messages: $n then $m"
[ "$m" -gt "$n" ]
