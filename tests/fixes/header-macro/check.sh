#!/bin/sh
# Exercises: a header change: a new macro in fs/proc/internal.h used by one file.
# Modelled on: kpatch's header-file changes (patch author guide).
# Passes while the fix is live: /proc/loadavg has a second line with a string
# from a macro that the fix adds to fs/proc/internal.h.
cat /proc/loadavg
grep -q '^kmend-header$' /proc/loadavg
