#!/bin/sh
# Exercises: a changed string in a file with a weak function (arch_report_meminfo, overridden by x86).
# Modelled on: kpatch meminfo-string.
# Passes while the fix is live: /proc/meminfo spells VMALLOCCHUNK in
# capitals, and its DirectMap lines (from x86's arch_report_meminfo(), which
# overrides the file's weak one) are still there.
grep -q '^DirectMap4k:' /proc/meminfo || exit 2
grep -i '^vmallocchunk:' /proc/meminfo
grep -q '^VMALLOCCHUNK: ' /proc/meminfo
