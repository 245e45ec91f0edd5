#!/bin/sh
# Exercises: a new WARN_ON() in a changed function (__bug_table entry).
# Modelled on: kpatch bug-table-section, warn-detect.
# Passes while the fix is live: /proc/devices' header comes from the new
# devinfo_show(), which has a new WARN_ON() (its __bug_table entry must be
# carried; it never fires, and any WARNING fails the test run).
head -n 1 /proc/devices
grep -q '^Character devices (kmend):$' /proc/devices &&
grep -q '^Block devices:$' /proc/devices
