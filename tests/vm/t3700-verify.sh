#!/usr/bin/env bash
# kmend verify and the pre-load checks on the real kernel, in one VM boot
# (kmend test --script tests/vm/lib/verify-scenario.sh): a module kmend
# built for this kernel passes every check, run-pre against /proc/kcore
# included; modules for another release or another build of it are
# refused by verify and load with nothing loaded; a second patch of a
# function a live patch already replaces is a note, and its run-pre
# passes on the live-patched code; a kprobe is a note, a kprobe with a
# post handler (an IPMODIFY ftrace user) is refused.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_vm)
[ -z "$why" ] && why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'kmend verify in the VM' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}

test_expect_success 'kmend build: two patches of cmdline_proc_show' '
	sed "s/kmend.fixed=1/kmend.a=1/" "$SRC_DIR/examples/cmdline/fix.patch" >a.patch &&
	sed "s/kmend.fixed=1/kmend.b=1/" "$SRC_DIR/examples/cmdline/fix.patch" >b.patch &&
	km_build_fix a.patch kmend_cmd_a kmend_cmd_a a &&
	km_build_fix b.patch kmend_cmd_b kmend_cmd_b b &&
	readelf -S -W kmend_cmd_a.ko | grep -q " \.kmend\.proof "
'

test_expect_success 'the same module as if built for another release, another build' '
	LC_ALL=C sed "s/$KREL/6.1.0-99-amd64/g" kmend_cmd_a.ko >other_release.ko &&
	test "$(modinfo -F vermagic other_release.ko | cut -d" " -f1)" = 6.1.0-99-amd64 &&
	id=$(modinfo -F kmend_buildid kmend_cmd_a.ko | sed -n "s/^vmlinux://p") &&
	test ${#id} -eq 40 &&
	zero=0000000000000000000000000000000000000000 &&
	LC_ALL=C sed "s/kmend_buildid=vmlinux:$id/kmend_buildid=vmlinux:$zero/" \
		kmend_cmd_a.ko >other_build.ko &&
	test "$(modinfo -F kmend_buildid other_build.ko)" = "vmlinux:$zero"
'

test_expect_success 'a module with a kprobe that has a post handler' '
	cat >kmend_kprobe_post.c <<-\EOF_C &&
	// SPDX-License-Identifier: GPL-2.0
	#include <linux/kprobes.h>
	#include <linux/module.h>

	static void post(struct kprobe *p, struct pt_regs *regs,
			 unsigned long flags)
	{
	}

	static struct kprobe kp = {
		.symbol_name = "cmdline_proc_show",
		.post_handler = post,
	};

	static int __init kprobe_post_init(void)
	{
		return register_kprobe(&kp);
	}

	static void __exit kprobe_post_exit(void)
	{
		unregister_kprobe(&kp);
	}

	module_init(kprobe_post_init);
	module_exit(kprobe_post_exit);
	MODULE_LICENSE("GPL");
	EOF_C
	echo "obj-m := kmend_kprobe_post.o" >Kbuild &&
	km_build_modules "$PWD"
'

test_expect_success 'the scenario passes in the VM, and the kernel log is clean' '
	{ "$KMEND" test -k "$KREL" --timeout 600 \
		--script "$TEST_DIR/vm/lib/verify-scenario.sh" \
		kmend_cmd_a.ko kmend_cmd_b.ko other_release.ko other_build.ko \
		kmend_kprobe_post.ko >out 2>err || { cat out err; exit 1; }; } &&
	if ! grep -q "^PASS script$" out || grep -q "^ *not ok [0-9]" out; then
		grep -B12 "^ *not ok [0-9]" out; exit 1
	fi
'

for what in \
	"/proc/kcore is readable" \
	"kptr_restrict 2: run-pre skipped, saying why, exit 0" \
	"own kernel: run-pre against /proc/kcore passes" \
	"own kernel: nothing skipped, nothing failed" \
	"own kernel: --json says ok, exit 0" \
	"other_release: kmend verify names the check" \
	"other_release: kmend load exits 1" \
	"other_release: kmend load says why" \
	"other_release: nothing loaded" \
	"other_build: kmend verify names the check" \
	"other_build: kmend load exits 1" \
	"other_build: kmend load says why" \
	"other_build: nothing loaded" \
	"stacked: a note names patch A" \
	"stacked: run-pre still passes on the live-patched function" \
	"kprobe: noted" \
	"kprobe with a post handler: kmend verify exits 2" \
	"kprobe with a post handler: kmend load exits 2" \
	"kprobe with a post handler: nothing loaded" \
	"kernel log clean"
do
	test_expect_success "in the VM: $what" '
		grep -F -- " - $what" out >line &&
		test_grep "^  ok " line
	'
done

test_done
