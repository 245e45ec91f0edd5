#!/bin/sh
# Exercises: a changed function with a tracepoint (task_rename), enabled by the check through tracefs.
# Modelled on: kpatch tracepoints-section.
# Passes while the fix is live: a task renamed "kmend-tp" is called
# "kmend-tp-fixed", and the task_rename tracepoint of the new
# __set_task_comm() fires with the new name: the tracepoint's static key
# must patch the module's code when the event is enabled.
t=/sys/kernel/tracing
[ -e $t/trace ] || mount -t tracefs nodev $t 2>/dev/null ||
	mount -t debugfs nodev /sys/kernel/debug
[ -e $t/trace ] || t=/sys/kernel/debug/tracing
echo 1 >$t/events/task/task_rename/enable || exit 2
echo >$t/trace
comm=$(sh -c 'printf kmend-tp >/proc/$$/comm; read -r c </proc/$$/comm; echo "$c"')
echo 0 >$t/events/task/task_rename/enable
echo "comm: $comm"
grep -c 'newcomm=kmend-tp' $t/trace
[ "$comm" = kmend-tp-fixed ] && grep -q 'newcomm=kmend-tp-fixed' $t/trace
