#!/usr/bin/env bash
# kmend test on the kernel's own sample live patch (samples/livepatch:
# replaces cmdline_proc_show), built here from the linux-source tarball:
# the check must fail before, pass while loaded, fail after unload; a check
# that passes without the patch must fail the test with exit 5.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_vm)
[ -z "$why" ] && [ ! -f "$KSOURCE_TARBALL" ] &&
	why="no $KSOURCE_TARBALL: install linux-source-$KSERIES"
if [ -n "$why" ]; then
	test_skip 'kmend test with the upstream livepatch sample' "$why"
	test_done
	exit
fi

test_expect_success 'build samples/livepatch/livepatch-sample.c for the target kernel' '
	km_extract_sample "$PWD" &&
	echo "obj-m := livepatch-sample.o" >Kbuild &&
	km_build_modules "$PWD" &&
	"$KMEND" info livepatch-sample.ko >info &&
	test_grep "^name: +livepatch_sample$" info &&
	test_grep "^kernel: +$KREL$" info
'

test_expect_success 'write the check scripts' '
	printf "#!/bin/sh\ngrep -q \"this has been live patched\" /proc/cmdline\n" >check.sh &&
	printf "#!/bin/sh\nexit 0\n" >always.sh &&
	chmod +x check.sh always.sh
'

test_expect_success 'kmend test passes: check fails before, passes loaded, fails after' '
	start=$(date +%s) &&
	{ "$KMEND" test -k "$KREL" --timeout 120 --keep kept --check ./check.sh \
		livepatch-sample.ko >out 2>err || { cat out err; exit 1; }; } &&
	echo "# VM test took $(( $(date +%s) - start )) s" &&
	test_grep "^PASS livepatch-sample.ko: check fails before, passes while loaded, fails after unload$" out &&
	test_grep -v "^FAIL" out &&
	test_grep "check before loading: fails$" err &&
	test_grep "loaded as .livepatch_sample., transition done$" err &&
	test_grep "check while loaded: passes$" err &&
	test_grep "check after unloading: fails$" err &&
	test_grep "^\[ *[0-9.]+s\] VM done in" err
'

test_expect_success 'kmend list and kmend info NAME inside the VM, while loaded' '
	test_grep "^  while loaded, .kmend list. showed:$" out &&
	test_grep "^    livepatch_sample: enabled$" out &&
	test_grep "^      vmlinux:cmdline_proc_show,1$" out &&
	test_grep "^  while loaded, .kmend info livepatch_sample. showed:$" out &&
	test_grep "^    name: +livepatch_sample$" out &&
	test_grep "^    enabled: +yes$" out &&
	test_grep "^    transition: +done$" out &&
	test_grep "^    function: +vmlinux:cmdline_proc_show,1$" out
'

test_expect_success '--keep keeps the initramfs and the console with the kernel log' '
	test -f kept/initrd.gz && test -x kept/root/init &&
	test -x kept/root/bin/kmend && test -x kept/root/check &&
	test -f "kept/root/lib/modules/$KREL/modules.dep" &&
	test_grep "livepatch: enabling patch .livepatch_sample." kept/console.log &&
	test_grep "livepatch_sample.: starting unpatching transition" kept/console.log &&
	test_grep "^@@kmend done" kept/console.log
'

test_expect_success 'a check that passes without the patch fails the test (exit 5)' '
	{ test_expect_code 5 "$KMEND" test -k "$KREL" --timeout 120 --check ./always.sh \
		livepatch-sample.ko >out 2>err || { cat out err; exit 1; }; } &&
	test_grep "^FAIL livepatch-sample.ko: check passed before loading \(fix already present\?\)$" out &&
	test_grep "check before loading: passes \(should fail\)$" err
'

test_done
