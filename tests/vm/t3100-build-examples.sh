#!/usr/bin/env bash
# The three example fixes of examples/, built by kmend build against the
# Debian kernel's source and proven by kmend test in a VM booting that
# kernel: a /proc show handler; a fix touching two .c files; new code that
# calls a static function and reads a static table of vmlinux, through
# livepatch relocations; a static function whose name vmlinux has three
# times.  Each must change /proc while loaded and not after.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

EXAMPLES=$SRC_DIR/examples
why=$(km_why_no_vm)
[ -z "$why" ] && why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'live patches built from the example fixes' "$why"
	test_done
	exit
fi
# One prepared tree for every test that needs it (tests/cli/t1500 too).
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}

build_example() { km_build_fix "$EXAMPLES/$1/fix.patch" "$2" "$2" "$1"; }
prove_example() { km_prove_fix "$EXAMPLES/$1/check.sh" "$2" "$1"; }

test_expect_success 'a /proc show handler fix builds into a livepatch module' '
	build_example cmdline kmend_cmdline &&
	test_grep "^ +changed +cmdline_proc_show \(fs/proc/cmdline.c\)$" cmdline.err &&
	test_grep "^wrote kmend_cmdline.ko \(1 function replaced\)" cmdline.err &&
	modinfo kmend_cmdline.ko >modinfo &&
	test_grep "^vermagic: +$KREL SMP" modinfo &&
	test_grep "^livepatch: +Y$" modinfo &&
	test_grep "^kmend_func: +vmlinux:cmdline_proc_show,0$" modinfo &&
	readelf -SW kmend_cmdline.ko >sections &&
	test_grep "\.klp\.rela\.vmlinux\.\.text\.cmdline_proc_show +RELA .* AIo " sections &&
	readelf -sW kmend_cmdline.ko >syms &&
	test_grep "NOTYPE +GLOBAL DEFAULT +OS \[0xff20\] \.klp\.sym\.vmlinux\.saved_command_line,0$" syms
'

test_expect_success 'the /proc/cmdline fix is live while loaded, gone after unload' '
	prove_example cmdline kmend_cmdline &&
	test_grep "^      vmlinux:cmdline_proc_show,1$" cmdline.test
'

test_expect_success 'a fix touching two .c files builds into one module' '
	build_example two-files kmend_two_files &&
	test_grep "changed +version_proc_show \(fs/proc/version.c\)$" two-files.err &&
	test_grep "changed +loadavg_proc_show \(fs/proc/loadavg.c\)$" two-files.err &&
	test_grep "\(2 functions replaced\)" two-files.err
'

test_expect_success 'both handlers of the two-file fix are live, and gone after' '
	prove_example two-files kmend_two_files &&
	test_grep "^      vmlinux:loadavg_proc_show,1$" two-files.test &&
	test_grep "^      vmlinux:version_proc_show,1$" two-files.test
'

test_expect_success 'the same fix as two patch files makes the same module' '
	awk "/^--- a\/fs\/proc\/loadavg.c/ { part = 1 } { print > (part ? \"second.patch\" : \"first.patch\") }" \
		"$EXAMPLES/two-files/fix.patch" &&
	test_grep "version.c" first.patch && test_grep -v "loadavg.c" first.patch &&
	test_grep "loadavg.c" second.patch &&
	"$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" -n kmend_two_patches \
		-o two-patches.ko first.patch second.patch 2>split.err &&
	test_grep "\(2 functions replaced\)" split.err &&
	modinfo -F kmend_patch two-patches.ko | sort >patches &&
	printf "first.patch\nsecond.patch\n" >expect &&
	test_cmp expect patches &&
	modinfo -F kmend_func two-patches.ko | sort >funcs &&
	printf "vmlinux:loadavg_proc_show,0\nvmlinux:version_proc_show,0\n" >expect &&
	test_cmp expect funcs
'

test_expect_success 'new code calling a static function and reading a static table' '
	build_example static-refs kmend_static_refs &&
	test_grep "changed +proc_tgid_stat \(fs/proc/array.c\)$" static-refs.err &&
	readelf -rW kmend_static_refs.ko >relocs &&
	test_grep "^Relocation section .\.klp\.rela\.vmlinux\.\.text\.proc_tgid_stat." relocs &&
	test_grep "R_X86_64_PC32 +0+ \.klp\.sym\.vmlinux\.do_task_stat,0 - 4$" relocs &&
	test_grep "\.klp\.sym\.vmlinux\.task_state_array,0 \+ 0$" relocs
'

test_expect_success 'the static references resolve in the kernel: fix live, then gone' '
	prove_example static-refs kmend_static_refs
'

test_expect_success 'a static function whose name vmlinux has three times: sympos 3' '
	build_example sympos kmend_sympos &&
	test_grep "changed +c_start \(crypto/proc.c\)$" sympos.err &&
	modinfo -F kmend_func kmend_sympos.ko >func &&
	echo "vmlinux:c_start,3" >expect &&
	test_cmp expect func
'

test_expect_success 'the third c_start is replaced, the other two are left alone' '
	prove_example sympos kmend_sympos &&
	test_grep "^      vmlinux:c_start,3$" sympos.test
'

test_expect_success 'the check can modprobe the kernel'"'"'s own modules (--with-module)' '
	cat >vfat-check.sh <<-\EOF &&
	#!/bin/sh
	modprobe vfat && grep -q "vfat$" /proc/filesystems || exit 1
	grep -q " kmend.fixed=1$" /proc/cmdline
	EOF
	chmod +x vfat-check.sh &&
	"$KMEND" test -k "$KREL" --timeout 150 --keep vfat-vm -m vfat \
		--check ./vfat-check.sh kmend_cmdline.ko >vfat.test 2>vfat.err ||
		{ cat vfat.test vfat.err; exit 1; } &&
	test_grep "^PASS kmend_cmdline.ko: check fails before, passes while loaded, fails after unload$" vfat.test &&
	test -f "vfat-vm/root/lib/modules/$KREL/kernel/fs/fat/fat.ko" &&
	test_expect_code 1 "$KMEND" test -k "$KREL" -m no_such_module kmend_cmdline.ko 2>err &&
	test_grep "no module .no_such_module. in /lib/modules/$KREL/modules.dep" err
'

test_expect_success 'rebuilding with a warm cache reuses the prepared tree' '
	build_example cmdline kmend_cmdline &&
	test_grep -v "unpacking|preparing the tree" cmdline.err
'

test_done
