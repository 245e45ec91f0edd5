#!/bin/sh
# Exercises: shadow variables: allocated at fork, freed at exit, shown in /proc/PID/status.
# Modelled on: kpatch shadow-newpid; samples/livepatch/livepatch-shadow-fix1.c.
# Passes while the fix is live: every task forked after the patch has a
# shadow variable holding the pid of the process that forked it, shown in
# its /proc/PID/status.  The trailing 'true' makes sh fork cat rather than
# exec it.
out=$(sh -c 'echo $$; cat /proc/self/status; true')
pid=$(echo "$out" | head -n 1)
parent=$(echo "$out" | sed -n 's/^kmend_parent:[[:space:]]*//p')
echo "sh: $pid, kmend_parent of its child: '$parent'"
echo "$out" | grep -q '^voluntary_ctxt_switches:' || exit 2
[ -n "$parent" ] && [ "$parent" = "$pid" ]
