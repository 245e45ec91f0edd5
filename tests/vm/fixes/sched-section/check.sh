#!/bin/sh
# Passes while the fix is live: a sleep at nice 19 returns at once.  The
# fixed do_nanosleep() is __sched: it shares .sched.text with the other
# sleeping functions of kernel/time/hrtimer.c, and the module carries its
# bytes alone.
renice -n 19 -p $$ >/dev/null
start=$(date +%s)
sleep 3
took=$(( $(date +%s) - start ))
echo "sleep 3 at nice 19 took ${took}s"
test "$took" -lt 2
