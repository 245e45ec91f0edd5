#!/bin/sh
# Exercises: a changed static inline helper: its caller is replaced.
# Modelled on: kpatch shadow-newpid's task_context_switch_counts() hunk.
# Passes while the fix is live: task_context_switch_counts(), a static inline
# helper that only proc_pid_status() calls (inlined there), prints a new
# line: its caller must be replaced.
grep -q '^voluntary_ctxt_switches:' /proc/self/status || exit 2
grep -q '^kmend_inline:	1$' /proc/self/status
