#!/bin/sh
# Passes when the fix is live: /proc/cmdline ends with kmend.fixed=1.
echo "/proc/cmdline: $(cat /proc/cmdline)"
grep -q ' kmend.fixed=1$' /proc/cmdline
