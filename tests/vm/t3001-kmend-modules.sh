#!/usr/bin/env bash
# kmend test on livepatch modules that carry kmend's modinfo keys, built
# here: several modules in one VM, a patch the kernel refuses (its function
# does not exist: load fails, the kernel log shows why, exit 5), a check on
# /proc/version, and the deadline (exit 6).
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_vm)
if [ -n "$why" ]; then
	test_skip 'kmend test with modules built here' "$why"
	test_done
	exit
fi

test_expect_success 'build a patch of version_proc_show and one of a missing function' '
	km_write_version_patch . kmend_version_fix version_proc_show &&
	km_write_version_patch . kmend_bad_fix kmend_no_such_function &&
	echo "obj-m := kmend_version_fix.o kmend_bad_fix.o" >Kbuild &&
	km_build_modules "$PWD" &&
	printf "#!/bin/sh\ngrep -q \"kmend test: version patched\" /proc/version\n" >check.sh &&
	chmod +x check.sh
'

test_expect_success 'with a check: the patch changes /proc/version while loaded' '
	{ "$KMEND" test -k "$KREL" --timeout 120 --check ./check.sh \
		kmend_version_fix.ko >out 2>err || { cat out err; exit 1; }; } &&
	test_grep "^PASS kmend_version_fix.ko: check fails before, passes while loaded, fails after unload$" out &&
	test_grep "^    kmend_version_fix: enabled$" out &&
	test_grep "^    function: +vmlinux:version_proc_show,1$" out
'

test_expect_success 'two modules in one VM: the refused one fails with the reason (exit 5)' '
	{ test_expect_code 5 "$KMEND" test -k "$KREL" --timeout 120 \
		kmend_version_fix.ko kmend_bad_fix.ko >out 2>err || { cat out err; exit 1; }; } &&
	test_grep "^PASS kmend_version_fix.ko: loaded \(transition done\), listed, unloaded$" out &&
	test_grep "^FAIL kmend_bad_fix.ko: kmend load failed in the VM \(exit 1\)$" out &&
	test_grep "kmend: error: cannot load ./t/1/kmend_bad_fix.ko.: the kernel refused it" out &&
	test_grep "^FAIL kernel log: problems while testing:$" out &&
	test_grep "livepatch: symbol .kmend_no_such_function. not found" out &&
	test_grep "kmend_bad_fix.ko: kmend load failed \(exit 1\)" err
'

test_expect_success 'past the deadline: the VM is stopped, exit 6' '
	start=$(date +%s) &&
	test_expect_code 6 "$KMEND" test -k "$KREL" --timeout 2 kmend_version_fix.ko >out 2>err &&
	test $(( $(date +%s) - start )) -lt 60 &&
	test_grep "^TIMEOUT the VM did not finish in time$" out &&
	test_grep "deadline passed: stopped the VM" err
'

test_done
