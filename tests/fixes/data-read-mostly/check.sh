#!/bin/sh
# Exercises: a new __read_mostly variable (section .data..read_mostly).
# Modelled on: kpatch data-read-mostly.
# Passes while the fix is live: /proc/stat ends with a line printing a new
# __read_mostly variable initialised to 27501.
grep -q '^ctxt ' /proc/stat || exit 2
tail -n 1 /proc/stat
grep -q '^kmend_read_mostly 27501$' /proc/stat
