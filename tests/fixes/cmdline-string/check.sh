#!/bin/sh
# Exercises: a changed string in a /proc show function.
# Modelled on: kpatch cmdline-string; the kernel's samples/livepatch/livepatch-sample.c.
# Passes while the fix is live: /proc/cmdline ends with kmend_cmdline=1.
cat /proc/cmdline
grep -q ' kmend_cmdline=1$' /proc/cmdline
