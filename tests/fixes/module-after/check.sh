#!/bin/sh
# Exercises: a function of a loadable module (bonding) loaded after the patch, removed after each check.
# Modelled on: kpatch module-LOADED; livepatch selftests test-livepatch.sh.
# Passes while the fix is live: /proc/net/bonding/bond0 starts with the fix's
# line.  Each run loads bonding and removes it again, so the module comes
# after the live patch: the kernel must patch it as it loads.
modprobe bonding max_bonds=1 || exit 2
cat /proc/net/bonding/bond0
grep -q '^kmend: bonding fixed$' /proc/net/bonding/bond0; rc=$?
ls -d /sys/kernel/livepatch/*/bonding 2>/dev/null
rmmod bonding || exit 2
exit $rc
