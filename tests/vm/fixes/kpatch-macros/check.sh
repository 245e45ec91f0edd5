#!/bin/sh
# Passes while the fix (written for kpatch, with kpatch-macros.h) is live:
# /proc/meminfo says VMALLOCCHUNK, and the kernel's log shows that its
# pre_patch callback (for vmlinux) and then its post_patch callback ran.
grep -i '^vmallocchunk' /proc/meminfo
dmesg | grep 'kpatch-macros fix:' || true
grep -q '^VMALLOCCHUNK:' /proc/meminfo &&
	dmesg | grep 'kpatch-macros fix:' | tail -n 2 | tr '\n' ' ' |
	grep -q 'pre_patch vmlinux.*post_patch'
