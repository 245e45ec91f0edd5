#!/usr/bin/env bash
# Proof before touching the kernel: run-pre at build time against the debug
# vmlinux (a real other Debian source version is refused naming the
# function and offset), the build-ids and proof the module carries, and
# kmend verify / kmend load on a fake runtime tree (identity, stacking, an
# IPMODIFY hook).  No VM.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'run-pre and kmend verify' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
VMLINUX=/usr/lib/debug/boot/vmlinux-$KREL
OTHER_SRC=${KMEND_OTHER_SOURCE:-$HOME/.cache/kmend/corpus/6.1.190-1/linux-source-6.1}

test_expect_success 'a fix of the matching source passes run-pre and records its proof' '
	"$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" -o fix.ko \
		"$SRC_DIR/examples/static-refs/fix.patch" 2>err &&
	test_grep "compiler: gcc .*, as $KREL" err &&
	test_grep "run-pre: the kernel.s code is the source.s" err &&
	readelf -S -W fix.ko | grep -q " \.kmend\.proof .* 00 *0 *0 *1$" &&
	readelf -p .kmend.proof fix.ko >proof &&
	test_grep "func vmlinux proc_tgid_stat 0 changed" proof &&
	test_grep "func vmlinux do_task_stat 0 called" proof &&
	test_grep "mask 0 5 ftrace-call" proof
'

test_expect_success 'the module records the build-id of the kernel it was built for' '
	id=$(readelf -n "$VMLINUX" | sed -n "s/.*Build ID: //p" | head -1) &&
	modinfo -F kmend_buildid fix.ko >ids &&
	echo "vmlinux:$id" >expect &&
	test_cmp expect ids
'

# A fake /sys and /proc of the kernel the module was built for.
make_root() {
	rm -rf root && mkdir -p root/sys/kernel root/sys/kernel/livepatch \
		root/sys/kernel/tracing root/sys/kernel/debug/kprobes &&
	objcopy -O binary --only-section=.notes "$VMLINUX" root/sys/kernel/notes &&
	: >root/sys/kernel/tracing/enabled_functions &&
	: >root/sys/kernel/debug/kprobes/list
}

verify() {
	KMEND_RUNTIME_ROOT=$PWD/root KMEND_RUNTIME_RELEASE=${REL:-$KREL} \
		"$KMEND" verify "$@"
}

test_expect_success 'kmend verify: every check passes on the kernel it was built for' '
	make_root &&
	verify fix.ko >out &&
	test_grep "^pass  *release" out &&
	test_grep "^pass  *build-id vmlinux" out &&
	test_grep "^pass  *conflicts vmlinux:proc_tgid_stat" out &&
	test_grep "^skipped run-pre .*/proc/kcore" out &&
	verify --json fix.ko >json &&
	python3 -c "import json,sys; d=json.load(open(\"json\")); sys.exit(0 if d[\"ok\"] and d[\"checks\"][0][\"status\"]==\"pass\" else 1)"
'

test_expect_success 'kmend verify: another build of the same release fails (exit 1)' '
	make_root &&
	printf "\004\000\000\000\024\000\000\000\003\000\000\000GNU\000aaaaaaaaaaaaaaaaaaaa" >root/sys/kernel/notes &&
	test_expect_code 1 verify fix.ko >out 2>err &&
	test_grep "^FAIL  *build-id vmlinux .*running one has 6161616161" out &&
	test_grep "must not be loaded on this kernel" err
'

test_expect_success 'kmend verify: another release fails (exit 1)' '
	make_root &&
	REL=6.1.0-1-amd64 test_expect_code 1 verify fix.ko >out 2>err &&
	test_grep "^FAIL  *release .*built for kernel $KREL, but this kernel is 6.1.0-1-amd64" out
'

test_expect_success 'kmend load refuses a module for another build before calling the kernel' '
	make_root &&
	printf "\004\000\000\000\024\000\000\000\003\000\000\000GNU\000aaaaaaaaaaaaaaaaaaaa" >root/sys/kernel/notes &&
	KMEND_RUNTIME_ROOT=$PWD/root KMEND_RUNTIME_RELEASE=$KREL \
	KMEND_LIVEPATCH_SYSFS=$PWD/root/sys/kernel/livepatch \
		test_expect_code 1 "$KMEND" load fix.ko 2>err &&
	test_grep "cannot load .fix.ko.: build-id vmlinux: it was built for vmlinux with build-id" err &&
	! test_grep "livepatch is not enabled" err
'

test_expect_success 'kmend verify: a function another live patch replaces is shown (stacking)' '
	make_root &&
	mkdir -p root/sys/kernel/livepatch/older/vmlinux/proc_tgid_stat,1 &&
	echo "proc_tgid_stat (1) R I   	tramp: ftrace_regs_caller" >root/sys/kernel/tracing/enabled_functions &&
	verify fix.ko >out &&
	test_grep "^note  *conflicts vmlinux:proc_tgid_stat .*already replaced by live patch .older." out
'

test_expect_success 'kmend verify: the patch itself loaded is not an IPMODIFY conflict' '
	make_root &&
	self=$(modinfo -F name fix.ko) &&
	mkdir -p "root/sys/kernel/livepatch/$self/vmlinux/proc_tgid_stat,1" &&
	echo "proc_tgid_stat (1) R I   	tramp: ftrace_regs_caller" >root/sys/kernel/tracing/enabled_functions &&
	verify fix.ko >out &&
	test_grep "^note  *conflicts vmlinux:proc_tgid_stat .*already replaced by this patch, .$self., which is loaded" out
'

test_expect_success 'kmend verify and load: an IPMODIFY hook (kprobe with a post handler) is refused (exit 2)' '
	make_root &&
	echo "proc_tgid_stat (1) R I   	tramp: kprobe_ftrace_handler" >root/sys/kernel/tracing/enabled_functions &&
	echo "ffffffff81400000  k  proc_tgid_stat+0x0    [FTRACE]" >root/sys/kernel/debug/kprobes/list &&
	test_expect_code 2 verify fix.ko >out &&
	test_grep "^FAIL  *conflicts vmlinux:proc_tgid_stat .*hooked by a kprobe with a post handler" out &&
	KMEND_RUNTIME_ROOT=$PWD/root KMEND_RUNTIME_RELEASE=$KREL \
	KMEND_LIVEPATCH_SYSFS=$PWD/root/sys/kernel/livepatch \
		test_expect_code 2 "$KMEND" load fix.ko 2>err &&
	test_grep "instruction pointer" err
'

test_expect_success 'kmend verify: not a kmend module' '
	test_expect_code 1 "$KMEND" verify "$SRC_DIR/README.md" 2>err &&
	test_grep "README.md" err
'

if [ -d "$OTHER_SRC" ]; then
	test_expect_success 'run-pre: the source of another Debian version is refused, naming the function and offset' '
		cat >other.patch <<-\EOF_PATCH &&
		--- a/kernel/audit_tree.c
		+++ b/kernel/audit_tree.c
		@@ -628,6 +628,8 @@
		 	prune_tree_chunks(tree, true);
		 
		 	spin_lock(&hash_lock);
		+	if (!tree->root)
		+		cond_resched();
		 	if (!tree->root && !tree->goner) {
		 		tree->goner = 1;
		 		spin_unlock(&hash_lock);
		EOF_PATCH
		test_expect_code 2 "$KMEND" build -k "$KREL" \
			--cache "${KMEND_OTHER_CACHE:-$HOME/.cache/kmend-test-other}" \
			-s "$OTHER_SRC" -o other.ko other.patch 2>err &&
		test_grep "run-pre: .kill_rules. \\(called, from audit_tree.c\\) is not the code $KREL runs: at kill_rules\\+0x[0-9a-f]+ the pristine build has \[" err &&
		test_grep "likely cause: the source is not the one this kernel was built from" err &&
		! test -e other.ko
	'
else
	test_skip 'run-pre with another Debian source version' "no $OTHER_SRC (scripts/stable-corpus fetches it)"
fi

test_done
