#!/usr/bin/env bash
# Operating live patches, on the host: 'kmend status' and 'kmend blocking'
# over fake /sys/kernel/livepatch and /proc trees (text and JSON), 'not
# root', 'kmend install' / 'uninstall' into a scratch root, 'kmend package'
# read back with dpkg-deb, kmend.service checked by systemd-analyze, and
# the man pages in step with the docs pages.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"
. "$TEST_DIR/vm/lib/operate.sh"

# A patch in transition whose function a task sleeps in; a kernel thread
# and a task already switched.
make_fake_transition() {
	local s=$1 p=$2
	mkdir -p "$s/kmend_target_fix/kmend_target/kmend_target_wait,1" \
		"$p/100/task/100" "$p/100/task/101" "$p/2/task/2" "$p/1/task/1"
	echo 1 >"$s/kmend_target_fix/enabled"
	echo 1 >"$s/kmend_target_fix/transition"
	for t in 100/task/100 100/task/101; do
		echo 0 >"$p/$t/patch_state"
		echo cat >"$p/$t/comm"
		echo "100 (cat) S 1 100 100 0 -1 4194560 0 0" >"$p/$t/stat"
	done
	printf "[<0>] kmend_target_wait+0x3c/0x80 [kmend_target]\n[<0>] seq_read_iter+0x11f/0x460\n[<0>] vfs_read+0x1a3/0x2d0\n" \
		>"$p/100/task/100/stack"
	printf "[<0>] pipe_read+0x2f0/0x460\n" >"$p/100/task/101/stack"
	echo 0 >"$p/2/task/2/patch_state"
	echo kthreadd >"$p/2/task/2/comm"
	echo "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0" >"$p/2/task/2/stat"
	echo 1 >"$p/1/task/1/patch_state"
	echo init >"$p/1/task/1/comm"
	echo "1 (init) S 0 1 1 0 -1 4194560 0 0" >"$p/1/task/1/stat"
}

test_expect_success 'blocking: the tasks not switched, with their stacks' '
	make_fake_transition sysfs proc &&
	export KMEND_LIVEPATCH_SYSFS=$PWD/sysfs KMEND_PROC=$PWD/proc &&
	"$KMEND" blocking >out &&
	cat >want <<-\EOF &&
	kmend_target_fix: patching transition, 3 tasks left to switch
	2 kthreadd (kernel thread) patch_state 0
	    (stack unreadable)
	100 cat patch_state 0 runs kmend_target_wait
	    [<0>] kmend_target_wait+0x3c/0x80 [kmend_target]
	    [<0>] seq_read_iter+0x11f/0x460
	    [<0>] vfs_read+0x1a3/0x2d0
	101 cat patch_state 0
	    [<0>] pipe_read+0x2f0/0x460
	EOF
	test_cmp want out
'

test_expect_success 'blocking --json' '
	export KMEND_LIVEPATCH_SYSFS=$PWD/sysfs KMEND_PROC=$PWD/proc &&
	"$KMEND" blocking --json >out &&
	python3 -c "
import json, sys
d = json.load(open(\"out\"))
assert d[\"patch\"] == \"kmend_target_fix\" and d[\"target\"] == \"patched\", d
t = {x[\"pid\"]: x for x in d[\"tasks\"]}
assert sorted(t) == [2, 100, 101], t
assert t[2][\"kthread\"] and t[2][\"stack\"] is None
assert t[100][\"holds\"] == \"kmend_target_wait\" and t[100][\"tgid\"] == 100
assert t[100][\"stack\"][0].startswith(\"[<0>] kmend_target_wait+\")
assert t[101][\"holds\"] is None and t[101][\"comm\"] == \"cat\"
"
'

test_expect_success 'blocking with no transition: says so, exit 0; JSON nulls' '
	mkdir -p idle &&
	export KMEND_LIVEPATCH_SYSFS=$PWD/idle KMEND_PROC=$PWD/proc &&
	"$KMEND" blocking 2>err >out &&
	test ! -s out &&
	test_grep "^no live patch is in transition$" err &&
	"$KMEND" blocking --json >out &&
	echo "{\"patch\":null,\"target\":null,\"tasks\":[]}" >want &&
	test_cmp want out
'

# Two stacked patches of one function; ver_a loaded by kmend (a record),
# ver_b by someone else.
make_fake_machine() {
	local s=$1 p=$2 r=$3
	mkdir -p "$s/ver_a/vmlinux/version_proc_show,1" \
		"$s/ver_b/vmlinux/version_proc_show,1" "$p/sys/kernel" "$r"
	for n in ver_a ver_b; do
		echo 1 >"$s/$n/enabled"; echo 0 >"$s/$n/transition"
	done
	printf "ver_b 16384 1 - Live 0x0 (OEK)\nver_a 16384 1 - Live 0x0 (OEK)\next4 1 0 - Live 0x0\n" >"$p/modules"
	echo 45057 >"$p/sys/kernel/tainted"
	printf "path=/var/lib/kmend/K/ver_a.ko\nloaded=1795500000\nkernel=K\nfix=a.patch\nfix=a-2.patch\n" >"$r/ver_a"
	python3 -c "
import struct, sys
desc = bytes(range(20))
n = struct.pack(\"<III\", 4, len(desc), 3) + b\"GNU\\0\" + desc
other = struct.pack(\"<III\", 6, 4, 1) + b\"Linux\\0\\0\\0\" + b\"\\1\\0\\0\\0\"
open(sys.argv[1], \"wb\").write(other + n)
" notes
}

test_expect_success 'status: kernel, build-id, taint, patches in load order' '
	make_fake_machine sys2 proc2 run2 &&
	export KMEND_LIVEPATCH_SYSFS=$PWD/sys2 KMEND_PROC=$PWD/proc2 \
		KMEND_RUN_DIR=$PWD/run2 KMEND_KERNEL_NOTES=$PWD/notes TZ=UTC &&
	"$KMEND" status >out &&
	cat >want <<-EOF &&
	kernel:     $(uname -r)
	build-id:   000102030405060708090a0b0c0d0e0f10111213
	livepatch:  supported
	taint:      45057 (POEK)
	transition: none
	patches:    2 (in load order, oldest first)
	  ver_a: enabled
	    loaded:    2026-11-24 06:00:00 +0000
	    from:      /var/lib/kmend/K/ver_a.ko
	    fixes:     a.patch
	               a-2.patch
	    replaces:  vmlinux:version_proc_show,1
	  ver_b: enabled
	    loaded:    unknown (not loaded by kmend this boot)
	    replaces:  vmlinux:version_proc_show,1
	    above:     ver_a
	EOF
	test_cmp want out
'

test_expect_success 'status --json: the documented schema' '
	export KMEND_LIVEPATCH_SYSFS=$PWD/sys2 KMEND_PROC=$PWD/proc2 \
		KMEND_RUN_DIR=$PWD/run2 KMEND_KERNEL_NOTES=$PWD/notes &&
	"$KMEND" status --json >out &&
	python3 -c "
import json
d = json.load(open(\"out\"))
assert set(d) == {\"kernel\", \"build_id\", \"livepatch\", \"taint\", \"taint_flags\", \"in_transition\", \"patches\"}, d
assert d[\"build_id\"] == \"000102030405060708090a0b0c0d0e0f10111213\" and d[\"taint_flags\"] == \"POEK\"
a, b = d[\"patches\"]
assert set(a) == {\"name\", \"enabled\", \"transition\", \"functions\", \"stacked_on\", \"module_file\", \"loaded\", \"replace\", \"fixes\"}, a
assert a[\"name\"] == \"ver_a\" and a[\"loaded\"] == 1795500000 and a[\"fixes\"] == [\"a.patch\", \"a-2.patch\"]
assert b[\"name\"] == \"ver_b\" and b[\"loaded\"] is None and b[\"module_file\"] is None and b[\"stacked_on\"] == [\"ver_a\"]
assert a[\"functions\"] == [{\"object\": \"vmlinux\", \"function\": \"version_proc_show\", \"sympos\": 1}]
"
'

test_expect_success 'status: the kernel'"'"'s replace attribute (6.12) wins over the record' '
	export KMEND_LIVEPATCH_SYSFS=$PWD/sys2 KMEND_PROC=$PWD/proc2 \
		KMEND_RUN_DIR=$PWD/run2 KMEND_KERNEL_NOTES=$PWD/notes &&
	echo 1 >sys2/ver_b/replace && echo 0 >sys2/ver_a/replace &&
	"$KMEND" status --json >out &&
	python3 -c "
import json
a, b = json.load(open(\"out\"))[\"patches\"]
assert a[\"replace\"] is False and b[\"replace\"] is True, (a, b)
" &&
	echo replace=1 >>run2/ver_a &&
	"$KMEND" status >out &&
	test_grep "^  ver_a: enabled$" out &&
	echo 1 >sys2/ver_a/replace &&
	"$KMEND" status >out &&
	test_grep "^  ver_a: enabled, atomic replace$" out &&
	test_grep "^  ver_b: enabled, atomic replace$" out &&
	test_grep "^    from: +/var/lib/kmend/K/ver_a.ko$" out &&
	echo junk >sys2/ver_a/replace &&
	test_expect_code 1 "$KMEND" status >out 2>err &&
	test_grep "^kmend: error: .*/sys2/ver_a/replace: expected 0 or 1" err &&
	rm sys2/ver_a/replace sys2/ver_b/replace &&
	"$KMEND" status --json >out &&
	python3 -c "
import json
a, b = json.load(open(\"out\"))[\"patches\"]
assert a[\"replace\"] is True and b[\"replace\"] is False, (a, b)
"
'

test_expect_success 'status of a kernel without livepatch: says so, exit 0' '
	export KMEND_LIVEPATCH_SYSFS=$PWD/missing KMEND_PROC=$PWD/proc2 &&
	"$KMEND" status >out &&
	test_grep "^livepatch:  not supported by this kernel" out &&
	test_grep "^patches:    0$" out
'

why=$(km_why_no_kbuild)
if [ -n "$why" ]; then
	test_skip 'install, package and not root need a live patch module' "$why"
	test_done
	exit
fi

test_expect_success 'build a live patch and a plain module' '
	km_write_text_patch . ver_a "patched by ver_a" 0 &&
	km_write_text_patch . ver_b "patched by ver_b" 0 &&
	km_write_plain_module . kmend_plain &&
	echo "obj-m := ver_a.o ver_b.o kmend_plain.o" >Kbuild &&
	km_build_modules "$PWD"
'

test_expect_success 'not root: load and unload refuse, nothing changes' '
	command -v setpriv >/dev/null || { echo "no setpriv"; exit 1; } &&
	mkdir -p lp && chmod 755 . lp ver_a.ko &&
	export KMEND_LIVEPATCH_SYSFS=$PWD/lp &&
	test_expect_code 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$KMEND" load ver_a.ko 2>err &&
	test_grep "^kmend: error: cannot load .ver_a.ko.: must be root$" err
'

test_expect_success 'install: kept per kernel, in order; list; JSON' '
	export KMEND_INSTALL_DIR=$PWD/lib &&
	"$KMEND" install ver_a.ko ver_b.ko 2>err &&
	test_grep "^.ver_a. installed for $KREL: it loads at each boot of that kernel" err &&
	cmp ver_a.ko "lib/$KREL/ver_a.ko" &&
	printf "ver_a\nver_b\n" >want && test_cmp want "lib/$KREL/order" &&
	"$KMEND" install ver_a.ko &&
	printf "ver_b\nver_a\n" >want && test_cmp want "lib/$KREL/order" &&
	"$KMEND" install --list --json >out &&
	running=false && [ "$(uname -r)" = "$KREL" ] && running=true
	echo "[{\"kernel\":\"$KREL\",\"running\":$running,\"patches\":[\"ver_b\",\"ver_a\"]}]" >want &&
	test_cmp want out
'

test_expect_success 'install refuses a module that is not a live patch' '
	export KMEND_INSTALL_DIR=$PWD/lib2 &&
	test_expect_code 1 "$KMEND" install kmend_plain.ko 2>err &&
	test_grep "cannot install .kmend_plain.ko.: not a livepatch module" err &&
	test ! -e lib2
'

test_expect_success 'uninstall: by name or file, every kernel; unknown names' '
	export KMEND_INSTALL_DIR=$PWD/lib &&
	"$KMEND" uninstall ver_b.ko 2>err &&
	test_grep "^.ver_b. uninstalled for $KREL$" err &&
	test ! -e "lib/$KREL/ver_b.ko" &&
	echo ver_a >want && test_cmp want "lib/$KREL/order" &&
	test_expect_code 1 "$KMEND" uninstall ver_b 2>err &&
	test_grep "^kmend: error: .ver_b. is not installed; see .kmend install --list.$" err &&
	test_expect_code 1 "$KMEND" uninstall .. 2>err &&
	test_grep "cannot uninstall .\.\..: not a live patch name" err
'

test_expect_success 'package: a .deb for the exact kernel package, with its scripts' '
	"$KMEND" package -V 1.2 --kernel-version 6.1.192-2 ver_a.ko >out &&
	deb=$(cat out) &&
	pkg=kmend-patch-ver-a-$KREL &&
	test "$deb" = "./${pkg}_1.2_amd64.deb" &&
	dpkg-deb --info "$deb" >info &&
	test_grep "^ Package: $pkg$" info &&
	test_grep "^ Depends: kmend, linux-image-$KREL \(= 6.1.192-2\)$" info &&
	test_grep "^  Fix: ver_a.patch$" info &&
	dpkg-deb --contents "$deb" >files &&
	test_grep " ./usr/lib/kmend/patches/$KREL/ver_a.ko$" files &&
	mkdir x && dpkg-deb -e "$deb" x/DEBIAN && dpkg-deb -x "$deb" x &&
	cmp ver_a.ko "x/usr/lib/kmend/patches/$KREL/ver_a.ko" &&
	test_grep "kmend install \"[$]ko\"" x/DEBIAN/postinst &&
	test_grep "kmend -q load \"[$]ko\"" x/DEBIAN/postinst &&
	test_grep "kmend -q unload .ver_a." x/DEBIAN/prerm &&
	sh -n x/DEBIAN/postinst && sh -n x/DEBIAN/prerm
'

test_expect_success 'package refuses a plain module and a bad version' '
	test_expect_code 1 "$KMEND" package kmend_plain.ko 2>err &&
	test_grep "cannot package .kmend_plain.ko.: not a livepatch module" err &&
	test_expect_code 1 "$KMEND" package -V x1 ver_a.ko 2>err &&
	test_grep "is not a Debian version" err &&
	test -z "$(ls ./*.deb 2>/dev/null | grep -v ver-a)"
'

test_expect_success 'the kmend package: binary, unit, man pages; systemd-analyze verify' '
	"$KMEND" package --tool --static "$(dirname "$KMEND")/kmend-static" \
		--unit "$SRC_DIR/systemd/kmend.service" \
		--man "$(dirname "$KMEND")/man" -V 0.1 >out &&
	mkdir root && dpkg-deb -x "$(cat out)" root &&
	test -x root/usr/bin/kmend &&
	test -f root/usr/share/man/man1/kmend-install.1.gz &&
	if command -v systemd-analyze >/dev/null; then
		MANPATH=$PWD/root/usr/share/man systemd-analyze verify \
			--root="$PWD/root" root/lib/systemd/system/kmend.service
	fi
'

test_expect_success 'man pages: one per docs page, regenerated the same' '
	for md in "$SRC_DIR"/docs/kmend-*.md; do
		page=$(basename "$md" .md) &&
		test -f "$(dirname "$KMEND")/man/$page.1" ||
			{ echo "no man page for $page: run make"; exit 1; }
		"$SRC_DIR/scripts/md2man" "$md" "$page.1" 0.1 &&
		test_cmp "$page.1" "$(dirname "$KMEND")/man/$page.1" &&
		man -l "$page.1" 2>/dev/null | grep -q "^NAME" || exit 1
	done
'

test_done
