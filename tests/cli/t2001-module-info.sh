#!/usr/bin/env bash
# kmend info MODULE.ko on modules built here with Kbuild: a module with
# kmend's modinfo keys, a livepatch module not built by kmend, an ordinary
# module; and what load and test refuse on the host before any VM boots.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_kbuild)
if [ -n "$why" ]; then
	test_skip 'kmend info on modules built here' "$why"
	test_done
	exit
fi

# The module file with its vermagic's release made into 9.9.9-99-...
forge_vermagic() {
	perl -pe 'BEGIN { $k = shift } s/vermagic=\Q$k\E/ ($x = $k) =~ tr{0-9}{9}; "vermagic=$x" /ge' \
		"$KREL" <"$1" >"$2"
}

test_expect_success 'build a kmend-style patch, a foreign patch and a plain module' '
	km_write_version_patch . kmend_version_fix version_proc_show &&
	grep -v "MODULE_INFO(kmend_" kmend_version_fix.c >foreign_fix.c &&
	km_write_plain_module . plain_mod &&
	printf "obj-m := kmend_version_fix.o foreign_fix.o plain_mod.o\n" >Kbuild &&
	km_build_modules "$PWD" &&
	ls kmend_version_fix.ko foreign_fix.ko plain_mod.ko
'

test_expect_success 'info of a kmend module: name, livepatch, vermagic, kernel, patches, functions' '
	"$KMEND" info kmend_version_fix.ko >out &&
	test_grep "^file: +kmend_version_fix.ko$" out &&
	test_grep "^name: +kmend_version_fix$" out &&
	test_grep "^livepatch: +yes$" out &&
	test_grep "^vermagic: +$KREL SMP" out &&
	test_grep "^kernel: +$KREL$" out &&
	test_grep "^built by: +kmend 0.1$" out &&
	test_grep "^patch: +version.diff$" out &&
	test_grep "^patch: +version-2.diff$" out &&
	test_grep "^function: +vmlinux:version_proc_show,0$" out
'

test_expect_success 'info --json of a kmend module' '
	"$KMEND" info --json kmend_version_fix.ko >out &&
	test_grep "\"name\":\"kmend_version_fix\"" out &&
	test_grep "\"livepatch\":true" out &&
	test_grep "\"kernel\":\"$KREL\"" out &&
	test_grep "\"kmend\":true" out &&
	test_grep "\"patches\":\[\"version(-2)?.diff\",\"version(-2)?.diff\"\]" out &&
	test_grep "\"functions\":\[\{\"object\":\"vmlinux\",\"function\":\"version_proc_show\",\"sympos\":0\}\]" out &&
	if command -v python3 >/dev/null; then python3 -m json.tool out >/dev/null; fi
'

test_expect_success 'info of a livepatch module not built by kmend says so' '
	"$KMEND" info foreign_fix.ko >out &&
	test_grep "^livepatch: +yes$" out &&
	test_grep "^built by: +not kmend \(no kmend_\* modinfo keys\)" out &&
	test_grep -v "^function:" out &&
	"$KMEND" info --json foreign_fix.ko >out &&
	test_grep "\"kmend\":false" out && test_grep "\"functions\":\[\]" out
'

test_expect_success 'info of an ordinary module: not a live patch module' '
	test_expect_code 1 "$KMEND" info plain_mod.ko >out 2>err &&
	echo "kmend: error: '\''plain_mod.ko'\'' is not a live patch module: its modinfo has no livepatch=Y" >want &&
	test_cmp want err && test ! -s out
'

test_expect_success 'load refuses a module that is not a livepatch' '
	test_expect_code 1 "$KMEND" load plain_mod.ko 2>err &&
	test_grep "cannot load .plain_mod.ko.: not a livepatch module \(its modinfo has no livepatch=Y\)" err
'

test_expect_success 'load without livepatch in the kernel: exact message' '
	export KMEND_LIVEPATCH_SYSFS=$PWD/none &&
	test_expect_code 1 "$KMEND" load kmend_version_fix.ko 2>err &&
	echo "kmend: error: cannot load '\''kmend_version_fix.ko'\'': livepatch is not enabled in this kernel (no $PWD/none)" >want &&
	test_cmp want err
'

if [ -d /sys/kernel/livepatch ]; then
	test_skip 'load on this host: no /sys/kernel/livepatch' 'the host kernel has livepatch'
else
	test_expect_success 'load on this host: no /sys/kernel/livepatch' '
		test_expect_code 1 "$KMEND" load kmend_version_fix.ko 2>err &&
		echo "kmend: error: cannot load '\''kmend_version_fix.ko'\'': livepatch is not enabled in this kernel (no /sys/kernel/livepatch)" >want &&
		test_cmp want err
	'
fi

if [ ! -f "/boot/vmlinuz-$KREL" ] || [ ! -d "/lib/modules/$KREL" ]; then
	test_skip 'kmend test: checks on the host' "no /boot/vmlinuz-$KREL"
else
	test_expect_success 'kmend test: a module for another kernel is refused before booting' '
		forge_vermagic kmend_version_fix.ko other.ko &&
		other=$(echo "$KREL" | tr 0-9 9) &&
		test_expect_code 1 "$KMEND" test -k "$KREL" other.ko 2>err &&
		test_grep "cannot test .other.ko.: it was built for kernel $other, not $KREL" err &&
		test_grep -v booting err
	'

	test_expect_success 'kmend test: not a livepatch module' '
		test_expect_code 1 "$KMEND" test -k "$KREL" plain_mod.ko 2>err &&
		test_grep "cannot test .plain_mod.ko.: not a livepatch module" err
	'

	test_expect_success 'kmend test: missing and non-executable check scripts' '
		test_expect_code 1 "$KMEND" test -k "$KREL" --check ./nope.sh kmend_version_fix.ko 2>err &&
		test_grep "check script .\./nope\.sh. does not exist" err &&
		echo "exit 0" >check.sh && chmod -x check.sh &&
		test_expect_code 1 "$KMEND" test -k "$KREL" --check ./check.sh kmend_version_fix.ko 2>err &&
		test_grep "check script .\./check\.sh. is not executable; make it so with .chmod \+x \./check\.sh." err
	'

	test_expect_success 'kmend test: an unknown kernel is an error naming its package' '
		test_expect_code 1 "$KMEND" test -k 0.0.0-0-none kmend_version_fix.ko 2>err &&
		test_grep "kernel image not found: install linux-image-0.0.0-0-none" err
	'

	test_expect_success 'kmend test: a missing static kmend is named' '
		test_expect_code 1 env KMEND_STATIC=/nonexistent/kmend-static \
			"$KMEND" test -k "$KREL" kmend_version_fix.ko 2>err &&
		test_grep "static kmend ./nonexistent/kmend-static. not found: build it with .make static." err
	'
fi

test_done
