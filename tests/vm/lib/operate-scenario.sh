#!/bin/sh
# Runs inside the test VM (kmend test --script), in a directory with the
# modules of t3300: operating live patches on the real kernel.  Prints
# "ok N - what" or "not ok N - what" per check, and figures as
# "figure NAME VALUE"; exits 1 when a check failed.
# shellcheck disable=SC2317 # the predicates run through check()
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
check() { what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
version() { cat /proc/version; }
ORIG=$(version)
is_orig() { [ "$(version)" = "$ORIG" ]; }
shows() { [ "$(version)" = "$1" ]; }
# neither a module nor a live patch of each name is left
gone() {
	for m in "$@"; do
		! grep -q "^$m " /proc/modules && [ ! -d "/sys/kernel/livepatch/$m" ] || return 1
	done
}
snapshot() { { lsmod; ls /sys/kernel/livepatch; version; } 2>&1; }
# the "applied in X s" of a kmend load's stderr
applied_in() { sed -n "s/.* applied in \([0-9.]*\) s$/\1/p" "$1"; }
reverted() { gone kmend_target_fix && grep -q 'reverted and removed' err; }
not_fixed() { ! grep -q " kmend.fixed=1$" /proc/cmdline; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

# ---- bad input: a clear error, exit 1, nothing changed ----
before=$(snapshot)
bad() {
	what=$1 want=$2; shift 2
	"$@" >out 2>err; rc=$?
	if [ $rc -eq 1 ] && grep -q "$want" err && [ "$(snapshot)" = "$before" ]; then
		ok "bad input: $what (exit 1, nothing changed)"
	else
		fail "bad input: $what (exit $rc)"; cat err
	fi
	sed 's/^/#   /' err
}
# truncated.ko, corrupt.ko and other.ko are made on the host (t3300)
bad "a truncated module" "cannot read 'truncated.ko'" kmend load truncated.ko
bad "a corrupt module" "cannot read 'corrupt.ko'" kmend load corrupt.ko
bad "a module that is not a live patch" "not a livepatch module" kmend load kmend_plain.ko
bad "a patch for another kernel" "it was built for kernel 6.1.0-99-amd64, but this kernel is $KREL" kmend load other.ko
bad "unloading an unknown name" "no live patch named 'kmend_nonesuch' is loaded" kmend unload kmend_nonesuch
bad "installing a module that is not a live patch" "not a livepatch module" kmend install kmend_plain.ko
kmend load ver_a.ko >/dev/null 2>&1
before=$(snapshot)
bad "loading the same patch twice" "a live patch named 'ver_a' is already loaded" kmend load ver_a.ko
kmend unload ver_a 2>/dev/null
check "the patch loaded by the bad-input tests is gone" is_orig

# ---- stacked patches on one function, unloaded in either order ----
kmend -q load ver_a.ko >/dev/null && kmend -q load ver_b.ko >/dev/null
check "stacked: the newest patch wins" shows "patched by ver_b"
kmend status >status.txt
check "status lists both in load order, b above a" \
	grep -q "^    above: *ver_a$" status.txt
sed 's/^/#   /' status.txt
kmend status --json >status.json
check "status --json names both and what b stacks on" \
	grep -q '"name":"ver_b".*"stacked_on":\["ver_a"\]' status.json
kmend -q unload ver_a
check "stacked: unloading the lower one keeps the upper one" shows "patched by ver_b"
kmend -q unload ver_b
check "stacked: then unloading the upper one restores the kernel" is_orig
kmend -q load ver_a.ko >/dev/null && kmend -q load ver_b.ko >/dev/null
kmend -q unload ver_b
check "stacked: unloading the upper one first falls back to the lower one" shows "patched by ver_a"
kmend -q unload ver_a
check "stacked: and the lower one last restores the kernel" is_orig

# ---- atomic replace retires the patches before it ----
kmend -q load ver_a.ko >/dev/null && kmend -q load ver_b.ko >/dev/null
kmend load ver_c.ko >/dev/null 2>err
check "replace: the replacing patch wins" shows "patched by ver_c"
check "replace: ver_a and ver_b are retired and their modules removed" \
	gone ver_a ver_b
check "replace: kmend says so" grep -q "'ver_a' was replaced: its module is removed" err
kmend -q unload ver_c
check "replace: unloading it restores the kernel" is_orig

# ---- kmend build --replace: a cumulative patch built by kmend ----
if [ -e kmend_cmd_r.ko ]; then
	kmend -q load kmend_cmd_a.ko >/dev/null && kmend -q load ver_a.ko >/dev/null
	kmend load kmend_cmd_r.ko >/dev/null 2>err
	check "build --replace: the cumulative patch carries the fix" grep -q " kmend.fixed=1$" /proc/cmdline
	check "build --replace: it retired kmend_cmd_a and ver_a, modules removed" \
		gone kmend_cmd_a ver_a
	check "build --replace: ver_a's change is gone with it" is_orig
	kmend status --json >status.json
	check "build --replace: status says replace" grep -q '"name":"kmend_cmd_r".*"replace":true' status.json
	kmend -q unload kmend_cmd_r
	check "build --replace: unloading it restores the kernel" not_fixed
fi

# ---- a task sleeping in a replaced function holds up the transition ----
insmod kmend_target.ko
cat /proc/kmend_target_wait >wait.out &
reader=$!
sleep 1
kmend load --grace 1 --timeout 30 kmend_target_fix.ko >out 2>err; rc=$?
sed 's/^/#   /' err
check "sleeping task: load completes (exit 0)" [ $rc -eq 0 ]
check "sleeping task: kmend names it by pid, comm and the replaced function" \
	grep -q "pid $reader (cat) patch_state 0, runs kmend_target_wait: .*kmend_target_wait" err
check "sleeping task: kmend signalled it" grep -q "signalled 1 blocking process" err
wait $reader
check "sleeping task: its read restarted in the new function" grep -qx new wait.out
kmend -q unload kmend_target_fix

# an uninterruptible sleep cannot be signalled: the deadline reverts
cat /proc/kmend_target_dsleep >dsleep.out &
reader=$!
sleep 1
kmend load --grace 1 --timeout 4 kmend_target_fix.ko >out 2>err &
loader=$!
sleep 2
kmend blocking >blocking.txt 2>&1
sed 's/^/#   /' blocking.txt
check "blocking: lists the sleeping task with its stack" \
	grep -q "^$reader cat patch_state 0 runs kmend_target_dsleep" blocking.txt
kmend blocking --json >blocking.json
check "blocking --json: the task, its state and stack" \
	grep -q "\"pid\":$reader,.*\"holds\":\"kmend_target_dsleep\",\"stack\":\\[" blocking.json
kmend load ver_a.ko >out2 2>err2; rc=$?
check "loading while another transition is in progress: exit 1, refused" \
	sh -c "[ $rc -eq 1 ] && grep -q \"the live patch 'kmend_target_fix' is in transition\" err2 && [ ! -d /sys/kernel/livepatch/ver_a ]"
wait $loader; rc=$?
sed 's/^/#   /' err
check "deadline: exit 6" [ $rc -eq 6 ]
check "deadline: the error names the task" grep -q "pid $reader (cat) patch_state 0, runs kmend_target_dsleep" err
check "deadline: reverted and removed, the kernel as it was" \
	reverted
wait $reader
check "deadline: the sleeping task finished in the old function" grep -qx old dsleep.out

# ---- transition times, idle ----
for i in 1 2 3 4 5; do
	kmend load ver_a.ko >/dev/null 2>err && applied_in err >>idle.times
	kmend -q unload ver_a
done
echo "figure idle-load-seconds-median $(median <idle.times) of $(wc -l <idle.times)"

# ---- 50 load/unload cycles under four processes calling the patched function ----
: >bad.log
for _ in 1 2 3 4; do
	( while [ ! -e stop ]; do
		v=$(cat /proc/version) || { echo "error: cat failed" >>bad.log; continue; }
		case $v in
		"$ORIG"|"patched by ver_a") ;;
		*) echo "unexpected: $v" >>bad.log ;;
		esac
	done ) &
done
cycles=0
for i in $(seq 1 50); do
	kmend load ver_a.ko >/dev/null 2>err || { cat err; break; }
	applied_in err >>busy.times
	kmend -q unload ver_a || break
	cycles=$i
done
touch stop
wait
check "50 cycles under load: all done" [ "$cycles" -eq 50 ]
check "50 cycles under load: every call returned the old or the new text" [ ! -s bad.log ]
head -5 bad.log
echo "figure cycles $cycles"
echo "figure busy-load-seconds-median $(median <busy.times) of $(wc -l <busy.times)"
check "the kernel is as it was at the start" is_orig
if dmesg | grep -E "Oops|WARNING|BUG:|Call Trace"; then
	fail "kernel log clean"
else
	ok "kernel log clean"
fi
exit $failed
