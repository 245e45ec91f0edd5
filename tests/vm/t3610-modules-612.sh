#!/usr/bin/env bash
# Fixes of loadable modules on Debian's 6.12, whose modules are .ko.xz: the
# corpus's module-before, module-after and multi-object fixes (their 6.12
# variants where 6.1's do not apply) built from kmend's cache, the module's
# symbols, positions, run-pre and build-id read from the decompressed .ko,
# and each proven in 6.12's VM with the compressed modules loaded by
# modprobe; --with-module follows a soft dependency (libcrc32c's on crc32c,
# an alias), the modules going into the VM decompressed.  KM_FLEET_612 names another 6.12 kernel.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

CORPUS=$TEST_DIR/fixes
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
K612=${KM_FLEET_612:-6.12.117+deb12-amd64}
MODS=$KMEND_TEST_CACHE/$K612/debian/lib/modules/$K612

why=$(km_why_no_vm)
[ -z "$why" ] && why=$(km_why_no_kmend_build)
# kmend fetch also makes the modules.dep of a kernel fetched before it did
if [ -z "$why" ] && ! "$KMEND" fetch --cache "$KMEND_TEST_CACHE" "$K612" \
	>"$TRASH/fetch.log" 2>&1; then
	why="cannot fetch kernel $K612 (archive unreachable?): $(tail -n 1 "$TRASH/fetch.log")"
fi
if [ -n "$why" ]; then
	test_skip 'fixes of .ko.xz modules on 6.12' "$why"
	test_done
	exit
fi
export CORPUS K612 MODS

# the fix's patch for 6.12: its variant when 6.1's does not apply there
patch_of() {
	if [ -f "$CORPUS/$1/fix-6.12.patch" ]; then
		echo "$CORPUS/$1/fix-6.12.patch"
	else
		echo "$CORPUS/$1/fix.patch"
	fi
}

# build_id_of MODULE: the GNU build-id of the module's decompressed .ko
build_id_of() {
	xz -dc "$MODS/$(sed -n "s|^\(kernel/.*/$1\.ko\.xz\):.*|\1|p" "$MODS/modules.dep")" >"$1.plain.ko" &&
	readelf -nW "$1.plain.ko" | sed -n "s/.*Build ID: //p"
}

test_expect_success "6.12's modules are .ko.xz, indexed by modules.dep" '
	test_grep "^kernel/fs/binfmt_misc.ko.xz:$" "$MODS/modules.dep" &&
	test ! -e "$MODS/kernel/fs/binfmt_misc.ko"
'

for f in module-before module-after multi-object; do
	test_expect_success "fix $f builds for 6.12 from the .ko.xz modules" '
		f='"$f"' &&
		"$KMEND" build -k "$K612" --cache "$KMEND_TEST_CACHE" \
			-n "kmend_$(echo $f | tr - _)" -o $f.ko "$(patch_of $f)" \
			>$f.out 2>$f.err || { cat $f.err; exit 1; }
		for m in $(cat "$CORPUS/$f/modules"); do
			test_grep "is part of module $m \(.*/$m\.ko\.xz\)$" $f.err &&
			id=$(build_id_of $m) && test -n "$id" &&
			modinfo -F kmend_buildid $f.ko | grep -qx "$m:$id" ||
			{ echo "module $m: build-id ${id:-none}"; modinfo -F kmend_buildid $f.ko; exit 1; }
		done &&
		test_grep "run-pre: the kernel.s code is the source.s" $f.err
	'
done

test_expect_success 'each is proven in the 6.12 VM, compressed modules loaded by modprobe' '
	start=$(date +%s) &&
	for f in module-before module-after multi-object; do
		opts= &&
		for m in $(cat "$CORPUS/$f/modules"); do opts="$opts --with-module $m"; done &&
		{ "$KMEND" test -k "$K612" --timeout 200 --show-checks \
			--check "$CORPUS/$f/check.sh" $opts $f.ko >$f.test 2>$f.testerr ||
			{ cat $f.test $f.testerr; exit 1; }; } &&
		test_grep "^PASS $f\.ko: check fails before, passes while loaded, fails after unload$" $f.test &&
		test_grep -v "Invalid ELF header" $f.test || exit 1
	done &&
	say "3 VM runs: $(( $(date +%s) - start )) s" &&
	test_grep "^    enabled \(kmend\)$" module-before.test &&
	test_grep "^    kmend: bonding fixed$" module-after.test &&
	test_grep "binfmt_misc: enabled \(kmend multi\)" multi-object.test
'

test_expect_success '--with-module follows a .ko.xz'"'"'s softdep; the VM gets plain .ko files' '
	modinfo -F softdep "$MODS/kernel/lib/libcrc32c.ko.xz" >softdep &&
	test_grep "^pre: crc32c$" softdep &&
	{ echo "#!/bin/sh" &&
	  echo "modprobe libcrc32c || exit 3" &&
	  echo "grep -qE \"^crc32c_(generic|intel) \" /proc/modules || exit 3" &&
	  tail -n +8 "$CORPUS/module-before/check.sh"; } >softdep.sh &&
	chmod +x softdep.sh &&
	"$KMEND" test -k "$K612" --timeout 200 --show-checks --check "$PWD/softdep.sh" \
		--with-module binfmt_misc --with-module libcrc32c --keep vm \
		module-before.ko >softdep.test 2>softdep.testerr ||
		{ cat softdep.test softdep.testerr; exit 1; }
	test_grep "^PASS module-before\.ko: " softdep.test &&
	test_grep "^kernel/lib/libcrc32c.ko: .*crc32c" "vm/root/lib/modules/$K612/modules.dep" &&
	test -z "$(find vm/root/lib/modules -name "*.ko.xz")"
'

test_done
