#!/bin/sh
# Passes while the fix is live: /proc/loadavg has a second line from a new
# global function that another file of the same fix defines.
cat /proc/loadavg
grep -q '^kmend 42$' /proc/loadavg
