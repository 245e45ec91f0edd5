#!/bin/sh
# Exercises: a patch written for kpatch: "kpatch-macros.h", KPATCH_*_CALLBACK taking a patch_object.
# Modelled on: kpatch macro-callbacks.
# Passes while the fix is live: a patch written for kpatch (it includes
# "kpatch-macros.h" and registers KPATCH_*_CALLBACK()s taking a
# patch_object) builds unchanged; its post-patch callback ran after the
# pre-patch one, so /proc/cmdline ends with kmend_kpatch=2.
cat /proc/cmdline
grep -q ' kmend_kpatch=2$' /proc/cmdline
