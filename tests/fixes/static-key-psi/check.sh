#!/bin/sh
# Exercises: a changed function testing a static key of vmlinux (psi_disabled).
# Modelled on: kpatch module (jump labels).
# Passes while the fix is live: /proc/pressure/cpu starts with the fix's
# line and still has its averages (psi_show() tests psi_disabled, a static
# key of vmlinux, first).
cat /proc/pressure/cpu
grep -q '^some avg10=' /proc/pressure/cpu &&
head -n 1 /proc/pressure/cpu | grep -q '^kmend psi$'
