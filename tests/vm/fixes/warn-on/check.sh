#!/bin/sh
# Passes while the fix is live: /proc/cmdline ends with kmend.warn_on=1.
# The fixed function has a WARN_ON(): its __bug_table entry names the file
# through a compiler-local string, which the module must carry itself.
echo "/proc/cmdline: $(cat /proc/cmdline)"
grep -q ' kmend.warn_on=1$' /proc/cmdline
