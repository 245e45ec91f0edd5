#!/bin/sh
# Passes while the fix is live: every task has a number of its own, kept
# in a shadow variable and shown as "newpid:" in /proc/PID/status (given
# when the status is first read); two tasks have different numbers, and
# one task keeps its number.
a=$(sh -c 'grep "^newpid:" /proc/self/status')
b=$(grep "^newpid:" /proc/$$/status)
b2=$(grep "^newpid:" /proc/$$/status)
echo "child: ${a:-no newpid}; this shell: ${b:-no newpid}, again: ${b2:-no newpid}"
[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] && [ "$b" = "$b2" ]
