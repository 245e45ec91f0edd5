#!/bin/sh
# Exercises: a new static function called by a changed one.
# Modelled on: kpatch new-function.
# Passes while the fix is live: /proc/version has a second line written by
# a new static function of fs/proc/version.c.
cat /proc/version
grep -q '^Linux version ' /proc/version || exit 2
grep -q '^kmend new function: x86_64$' /proc/version
