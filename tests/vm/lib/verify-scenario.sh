#!/bin/sh
# Runs inside the test VM (kmend test --script), in a directory with the
# modules of t3700: kmend verify and the pre-load checks on the real
# kernel, as a user sees them.  Prints "ok N - what" or "not ok N - what"
# per check; exits 1 when a check failed.
# shellcheck disable=SC2317 # the predicates run through check()
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
check() { what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
show() { sed 's/^/#   /' "$@"; }
nothing_loaded() {
	[ -z "$(ls /sys/kernel/livepatch)" ] &&
		! grep -q "^kmend_cmd_" /proc/modules
}
json_ok() { grep -q '"ok":true' "$1" && ! grep -q '"status":"fail"' "$1"; }
# verify FILE: runs kmend verify, keeps out/err/rc, shows them
verify() {
	t0=$(cut -d" " -f1 /proc/uptime)
	kmend verify "$@" >out 2>err; rc=$?
	echo "# kmend verify took $(awk -v t0="$t0" "{ print \$1 - t0 }" /proc/uptime) s"
	echo "# kmend verify $* (exit $rc)"
	show out err
}

# What kmend verify reads: /proc/kcore and /proc/kallsyms (with the
# addresses: root with kptr_restrict 0 or 1 sees them), ftrace's
# enabled_functions (tracefs) and the kprobes list (debugfs).
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo "# kptr_restrict $(cat /proc/sys/kernel/kptr_restrict)"
# kptr_restrict 2 hides kallsyms' addresses even from root: the memory
# comparison is skipped, said why, and nothing fails
echo 2 >/proc/sys/kernel/kptr_restrict
verify kmend_cmd_a.ko
check "kptr_restrict 2: run-pre skipped, saying why, exit 0" \
	sh -c "[ $rc -eq 0 ] && grep -q '^skipped run-pre  */proc/kallsyms hides the addresses (kptr_restrict is 2' out"
echo 0 >/proc/sys/kernel/kptr_restrict
check "/proc/kcore is readable" [ -r /proc/kcore ]
check "/proc/kallsyms shows addresses" \
	grep -q "^ffffffff[0-9a-f]* [Tt] cmdline_proc_show$" /proc/kallsyms

echo "# uptime $(cut -d" " -f1 /proc/uptime) s"
# ---- 1. a module built for this kernel: every check passes ----
verify kmend_cmd_a.ko
check "own kernel: exit 0" [ "$rc" -eq 0 ]
check "own kernel: release passes" grep -q "^pass  *release  *built for $KREL" out
check "own kernel: build-id vmlinux passes" grep -q "^pass  *build-id vmlinux " out
check "own kernel: no conflict on cmdline_proc_show" \
	grep -q "^pass  *conflicts vmlinux:cmdline_proc_show  *no other live patch, kprobe or ftrace user" out
check "own kernel: run-pre against /proc/kcore passes" \
	grep -q "^pass  *run-pre vmlinux:cmdline_proc_show .* bytes at 0xffffffff[0-9a-f]*, as built (changed)" out
check "own kernel: nothing skipped, nothing failed" \
	sh -c '! grep -q "^skipped\|^FAIL\|^note" out'
check "own kernel: no message on stderr" [ ! -s err ]
kmend verify --json kmend_cmd_a.ko >json; rc=$?
show json; echo
check "own kernel: --json says ok, exit 0" sh -c "[ $rc -eq 0 ] && grep -q '\"ok\":true' json && ! grep -q '\"status\":\"skipped\"' json"

echo "# uptime $(cut -d" " -f1 /proc/uptime) s"
# ---- 2. modules built for another kernel: refused, nothing loaded ----
for other in other_release other_build; do
	case $other in
	other_release)
		want="^FAIL  *release  *it was built for kernel 6.1.0-99-amd64, but this kernel is $KREL"
		want_load="it was built for kernel 6.1.0-99-amd64, but this kernel is $KREL";;
	other_build)
		want="^FAIL  *build-id vmlinux  *it was built for vmlinux with build-id 0000000000.*another build of the same release"
		want_load="cannot load '$other.ko': build-id vmlinux: it was built for vmlinux with build-id 0000000000";;
	esac
	verify "$other.ko"
	check "$other: kmend verify exits 1" [ "$rc" -eq 1 ]
	check "$other: kmend verify names the check" grep -q "$want" out
	check "$other: kmend verify says it must not be loaded" \
		grep -q "'$other.ko' must not be loaded on this kernel: see the FAIL lines" err
	check "$other: run-pre not compared" \
		grep -q "^skipped run-pre  *not compared: the module is for another kernel" out
	kmend verify --json "$other.ko" >json; rc=$?
	check "$other: --json: ok is false, exit 1" sh -c "[ $rc -eq 1 ] && grep -q '\"ok\":false' json"
	kmend load "$other.ko" >out 2>err; rc=$?
	echo "# kmend load $other.ko (exit $rc)"; show out err
	check "$other: kmend load exits 1" [ "$rc" -eq 1 ]
	check "$other: kmend load says why" grep -q "$want_load" err
	check "$other: nothing loaded" nothing_loaded
done

echo "# uptime $(cut -d" " -f1 /proc/uptime) s"
# ---- 3. patch B on a function patch A already replaces ----
kmend -q load kmend_cmd_a.ko >/dev/null 2>err || show err
check "patch A is live" grep -q "kmend.a=1" /proc/cmdline
verify kmend_cmd_b.ko
check "stacked: exit 0" [ "$rc" -eq 0 ]
check "stacked: a note names patch A" \
	grep -q "^note  *conflicts vmlinux:cmdline_proc_show  *'cmdline_proc_show' is already replaced by live patch 'kmend_cmd_a'" out
check "stacked: run-pre still passes on the live-patched function" \
	grep -q "^pass  *run-pre vmlinux:cmdline_proc_show " out
kmend verify --json kmend_cmd_b.ko >json; rc=$?
check "stacked: --json says ok with a note" \
	sh -c "[ $rc -eq 0 ] && grep -q '\"ok\":true' json && grep -q '\"status\":\"note\"' json"
verify kmend_cmd_a.ko
check "patch A itself, while loaded: exit 0, run-pre passes" \
	sh -c "[ $rc -eq 0 ] && grep -q '^pass  *run-pre vmlinux:cmdline_proc_show ' out"
kmend load kmend_cmd_b.ko >out 2>err; rc=$?
echo "# kmend load kmend_cmd_b.ko (exit $rc)"; show out err
check "stacked: kmend load B exits 0 and notes A" \
	sh -c "[ $rc -eq 0 ] && grep -q \"note: 'cmdline_proc_show' is already replaced by live patch 'kmend_cmd_a'\" err"
check "stacked: B runs" grep -q "kmend.b=1" /proc/cmdline
kmend -q unload kmend_cmd_b && kmend -q unload kmend_cmd_a
check "stacked: both unloaded" nothing_loaded

echo "# uptime $(cut -d" " -f1 /proc/uptime) s"
# ---- 4. kprobes on the function ----
# A kprobe of kprobe_events has no post handler: a note, loading allowed.
echo "p:kmend_probe cmdline_proc_show" >/sys/kernel/tracing/kprobe_events &&
	echo 1 >/sys/kernel/tracing/events/kprobes/kmend_probe/enable
check "kprobe: on the function" grep -q "cmdline_proc_show+0x0" /sys/kernel/debug/kprobes/list
show /sys/kernel/debug/kprobes/list
verify kmend_cmd_a.ko
check "kprobe: exit 0" [ "$rc" -eq 0 ]
check "kprobe: noted" \
	grep -q "^note  *conflicts vmlinux:cmdline_proc_show  *a kprobe is on 'cmdline_proc_show'" out
check "kprobe: run-pre passes (the ftrace call is live)" \
	grep -q "^pass  *run-pre vmlinux:cmdline_proc_show " out
echo 0 >/sys/kernel/tracing/events/kprobes/kmend_probe/enable
echo "-:kmend_probe" >>/sys/kernel/tracing/kprobe_events

# A kprobe with a post handler (module kmend_kprobe_post) is an IPMODIFY
# ftrace user: livepatch cannot share the function, refused with exit 2.
insmod kmend_kprobe_post.ko
check "kprobe with a post handler: IPMODIFY in enabled_functions" \
	grep -q "^cmdline_proc_show ([0-9]*) R I" /sys/kernel/tracing/enabled_functions
show /sys/kernel/tracing/enabled_functions
verify kmend_cmd_a.ko
check "kprobe with a post handler: kmend verify exits 2" [ "$rc" -eq 2 ]
check "kprobe with a post handler: named" \
	grep -q "^FAIL  *conflicts vmlinux:cmdline_proc_show  *'cmdline_proc_show' is hooked by a kprobe with a post handler that modifies the instruction pointer" out
kmend load kmend_cmd_a.ko >out 2>err; rc=$?
echo "# kmend load kmend_cmd_a.ko (exit $rc)"; show out err
check "kprobe with a post handler: kmend load exits 2" [ "$rc" -eq 2 ]
check "kprobe with a post handler: kmend load says why" \
	grep -q "cannot load 'kmend_cmd_a.ko': conflicts vmlinux:cmdline_proc_show: .*instruction pointer" err
check "kprobe with a post handler: nothing loaded" nothing_loaded
rmmod kmend_kprobe_post
verify kmend_cmd_a.ko
check "kprobe removed: kmend verify passes again" \
	sh -c "[ $rc -eq 0 ] && grep -q '^pass  *conflicts vmlinux:cmdline_proc_show' out"

if dmesg | grep -E "Oops|WARNING|BUG:|Call Trace"; then
	fail "kernel log clean"
else
	ok "kernel log clean"
fi
exit $failed
