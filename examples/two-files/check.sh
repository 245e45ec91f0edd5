#!/bin/sh
# Passes only when both fixed handlers (two .c files) are live.
grep -q '^kmend: version handler fixed$' /proc/version &&
grep -q '^kmend: loadavg handler fixed$' /proc/loadavg
