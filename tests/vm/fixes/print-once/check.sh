#!/bin/sh
# Passes while the fix is live: /proc/self/oom_score is 5000 or more, and
# the fix's pr_info_once() printed exactly once for several reads: its
# once-flag is new data in the module, not the flag of the pr_warn_once()
# in oom_adj_write() of the same file (which must still print once).
s=$(cat /proc/self/oom_score)
cat /proc/self/oom_score >/dev/null
cat /proc/self/oom_score >/dev/null
echo 0 >/proc/self/oom_adj
n=$(dmesg | grep -c 'kmend: oom_score read by')
d=$(dmesg | grep -c 'oom_adj is deprecated')
echo "oom_score: $s, once-messages: $n, deprecation messages: $d"
[ "$d" -eq 1 ] || exit 2
[ "$s" -ge 5000 ] && [ "$n" -eq 1 ]
