#!/bin/sh
# Exercises: a changed function with unsafe_put_user() (__ex_table entries).
# Modelled on: kpatch fixup-section.
# Passes while the fix is live: getdents64 hides a file named kmend-hidden
# (filldir64() writes to user memory with unsafe_put_user(): its exception
# table entries must be carried), and lists the others.
mkdir -p /tmp/kmend-dir || exit 2
touch /tmp/kmend-dir/kmend-hidden /tmp/kmend-dir/kmend-visible || exit 2
# shellcheck disable=SC2010 # what getdents64 lists is the point
ls -a /tmp/kmend-dir
# shellcheck disable=SC2010
ls -a /tmp/kmend-dir | grep -qx 'kmend-visible' || exit 3
[ -e /tmp/kmend-dir/kmend-hidden ] || exit 2
# shellcheck disable=SC2010
! ls -a /tmp/kmend-dir | grep -qx 'kmend-hidden'
