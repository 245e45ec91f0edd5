#!/bin/sh
# Exercises: a new static variable with an initial value.
# Modelled on: kpatch data-new.
# Passes while the fix is live: /proc/uptime counts its reads in a new static
# variable that starts at 100, so two reads give two increasing numbers
# above 100.
a=$(sed -n 's/^kmend_reads //p' /proc/uptime)
b=$(sed -n 's/^kmend_reads //p' /proc/uptime)
echo "kmend_reads: '$a' then '$b'"
head -n 1 /proc/uptime | grep -q '^[0-9]*\.[0-9]* [0-9]*\.[0-9]*$' || exit 2
[ -n "$a" ] && [ "$a" -gt 100 ] && [ "$b" -eq $((a + 1)) ]
