#!/bin/sh
# Passes while the fix is live: the signal_generate tracepoint, which the
# fixed __send_signal_locked() fires through a static key the kernel does
# not export, reports res=40 and up (the fix adds 40) for a SIGUSR1.
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
cd /sys/kernel/tracing || exit 2
echo 0 >tracing_on
echo >trace
echo 1 >events/signal/signal_generate/enable
echo 1 >tracing_on
sleep 30 &
pid=$!
kill -USR1 "$pid"
echo 0 >tracing_on
echo 0 >events/signal/signal_generate/enable
grep 'signal_generate: sig=10 ' trace | tail -n 1
grep -q 'signal_generate: sig=10 .* res=4[0-9]$' trace
