#!/bin/sh
# Passes when the new proc_tgid_stat() runs: it calls the static
# do_task_stat() and reads the static task_state_array through livepatch
# relocations, so the stat line must be intact and followed by the state
# of the reading task as the table names it.
out=$(cat /proc/self/stat) || exit 1
echo "$out" | head -n 1 | grep -q '^[0-9]* (cat) R ' &&
echo "$out" | grep -q '^kmend: state R (running)$'
