#!/bin/sh
# Exercises: a function of a loadable module (binfmt_misc) loaded before the patch.
# Modelled on: kpatch module.
# Passes while the fix is live: binfmt_misc's status file reads
# "enabled (kmend)".  The module is loaded by the first run of this check,
# before the live patch, and stays loaded: the patch must patch it when it
# is enabled.
modprobe binfmt_misc || exit 2
d=/proc/sys/fs/binfmt_misc
grep -q " $d binfmt_misc" /proc/mounts || mount -t binfmt_misc none $d || exit 2
cat $d/status
grep -q '^enabled (kmend)$' $d/status
