#!/bin/sh
# Exercises: a function that exists only as an .isra.0 clone, with a .cold part.
# Modelled on: kpatch gcc-isra.
# Passes while the fix is live: executing /kmend-isra-probe fails with
# ENOTRECOVERABLE ("State not recoverable") instead of "not found".  The
# fixed do_execveat_common() exists in vmlinux only as its clone
# do_execveat_common.isra.0.
out=$(/kmend-isra-probe 2>&1)
echo "exec: $out"
echo "$out" | grep -qi 'not recoverable'
