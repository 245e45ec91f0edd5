#!/usr/bin/env bash
# One fix, many kernels: kmend fetch of a second 6.1 ABI and of a 6.12
# kernel that this machine does not have installed (into the test cache,
# kept between runs), one kmend build for the three kernels, each of the
# examples built for the three in one command and its modules proven by
# kmend test in each kernel's VM (one boot a kernel), and a fix of a line only
# 6.12's source has (/proc/meminfo's Zswap): built there, failed elsewhere, exit 7 ("some").
# KM_FLEET_61 and KM_FLEET_612 name other kernels.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

EXAMPLES=$SRC_DIR/examples
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
K61=${KM_FLEET_61:-6.1.0-55-amd64}
[ "$K61" = "$KREL" ] && K61=6.1.0-54-amd64
K612=${KM_FLEET_612:-6.12.117+deb12-amd64}

why=$(km_why_no_vm)
[ -z "$why" ] && why=$(km_why_no_kmend_build)
if [ -z "$why" ]; then
	for k in "$K61" "$K612"; do
		[ -f "$KMEND_TEST_CACHE/$k/debian/.kmend-fetched" ] && continue
		if ! "$KMEND" fetch --cache "$KMEND_TEST_CACHE" "$k" \
			>"$TRASH/fetch.log" 2>&1; then
			why="cannot fetch kernel $k (archive unreachable?): $(tail -n 1 "$TRASH/fetch.log")"
			break
		fi
	done
fi
if [ -n "$why" ]; then
	test_skip 'one fix for many kernels' "$why"
	test_done
	exit
fi
export K61 K612
# the releases as extended regular expressions (6.12's has a '+')
re() { printf '%s' "$1" | sed 's/[.+]/\\&/g'; }

test_expect_success 'fetched kernels are not installed: only the cache has them' '
	for k in "$K61" "$K612"; do
		test ! -e "/boot/vmlinuz-$k" && test ! -e "/lib/modules/$k" &&
		root=$KMEND_TEST_CACHE/$k/debian &&
		test -f "$root/boot/vmlinuz-$k" &&
		test -f "$root/usr/lib/debug/boot/vmlinux-$k" &&
		test -f "$root/usr/lib/debug/boot/System.map-$k" &&
		test -f "$root/usr/src/linux-headers-$k/Module.symvers" &&
		test "$(wc -l <"$root/.kmend-fetched")" -eq 6 &&
		test "$(cut -d" " -f2 "$root/.kmend-fetched" | sed -n "1p;2p;5p;6p" | sort -u | wc -l)" -eq 1 ||
		{ echo "kernel $k"; exit 1; }
	done &&
	"$KMEND" fetch --cache "$KMEND_TEST_CACHE" "$K61" 2>err &&
	test_grep "kernel $K61: already in the cache" err
'

test_expect_success 'the example fix builds for three kernels in one command' '
	"$KMEND" -v build -k "$KREL" -k "$K61" -k "$K612" --cache "$KMEND_TEST_CACHE" \
		--outdir out "$EXAMPLES/cmdline/fix.patch" >table 2>err ||
		{ cat table err; exit 1; }
	for k in "$KREL" "$K61" "$K612"; do
		test_grep "^$(re "$k") +built +1 .* out/$(re "$k")/kmend_fix.ko$" table &&
		modinfo "out/$k/kmend_fix.ko" >modinfo &&
		test_grep "^vermagic: +$(re "$k") SMP" modinfo || exit 1
	done &&
	test_grep "kernel $(re "$K612"): from the cache" "out/$K612/build.log"
'

EXAMPLE_NAMES=$(find "$EXAMPLES" -mindepth 2 -maxdepth 2 -name fix.patch | sed "s|/fix.patch$||; s|.*/||" | sort)
export EXAMPLE_NAMES

test_expect_success 'every example fix builds for the three kernels, one command each' '
	for ex in $EXAMPLE_NAMES; do
		"$KMEND" build -k "$KREL" -k "$K61" -k "$K612" --cache "$KMEND_TEST_CACHE" \
			-n "kmend_$(echo "$ex" | tr - _)" --outdir ex \
			"$EXAMPLES/$ex/fix.patch" >"ex-$ex.table" 2>"ex-$ex.err" ||
			{ cat "ex-$ex.table" "ex-$ex.err"; exit 1; }
		for k in "$KREL" "$K61" "$K612"; do
			test_grep "^$(re "$k") +built " "ex-$ex.table" &&
			test -f "ex/$k/kmend_$(echo "$ex" | tr - _).ko" || exit 1
		done
	done &&
	test "$(ls ex/*/kmend_*.ko | wc -l)" -eq $((3 * $(echo $EXAMPLE_NAMES | wc -w)))
'

test_expect_success 'each module is proven in its own kernel'"'"'s VM, one boot a kernel' '
	km_write_dispatch dispatch.sh "$EXAMPLES" $EXAMPLE_NAMES &&
	mods= &&
	for k in "$KREL" "$K61" "$K612"; do
		for ex in $EXAMPLE_NAMES; do
			mods="$mods ex/$k/kmend_$(echo "$ex" | tr - _).ko"
		done
	done &&
	"$KMEND" test -k "$KREL" -k "$K61" -k "$K612" --timeout 300 \
		--check dispatch.sh $mods >test.out 2>test.err ||
		{ cat test.out test.err; exit 1; }
	for k in "$KREL" "$K61" "$K612"; do
		test_grep "^== kernel $(re "$k")$" test.out || exit 1
	done &&
	for ex in $EXAMPLE_NAMES; do
		n=$(grep -c "^PASS kmend_$(echo "$ex" | tr - _).ko: check fails before, passes while loaded, fails after unload$" test.out) &&
		test "$n" -eq 3 || { echo "$ex: $n of 3 kernels"; cat test.out; exit 1; }
	done &&
	test_grep "booting .*/$(re "$K612")/debian/boot/vmlinuz-$(re "$K612")" test.err
'

test_expect_success 'a fix of a line only 6.12 has: the table shows both, exit 7' '
	cat >only612.patch <<-\EOP &&
	--- a/fs/proc/meminfo.c
	+++ b/fs/proc/meminfo.c
	@@ -89,7 +89,8 @@
	 	show_val_kb(m, "SwapTotal:      ", i.totalswap);
	 	show_val_kb(m, "SwapFree:       ", i.freeswap);
	 #ifdef CONFIG_ZSWAP
	-	show_val_kb(m, "Zswap:          ", zswap_total_pages());
	+	show_val_kb(m, "Zswap:          ", zswap_total_pages());
	+	seq_puts(m, "KmendFixed:     1\n");
	 	seq_printf(m,  "Zswapped:       %8lu kB\n",
	 		   (unsigned long)atomic_read(&zswap_stored_pages) <<
	 		   (PAGE_SHIFT - 10));
	EOP
	{ test_expect_code 7 "$KMEND" build -k "$K61" -k "$K612" --cache "$KMEND_TEST_CACHE" \
		--outdir some --json only612.patch >json 2>err ||
		{ cat json err; exit 1; }; } &&
	python3 - <<-\EOP
	import json, os
	d = json.load(open("json"))
	r = {k["kernel"]: k for k in d["kernels"]}
	assert d["built"] == 1 and d["total"] == 2, d
	assert r[os.environ["K612"]]["result"] == "built", d
	assert r[os.environ["K612"]]["functions"] == 1, d
	assert r[os.environ["K61"]]["result"] == "failed", d
	assert "apply" in r[os.environ["K61"]]["reason"], d
	EOP
	test -f "some/$K612/kmend_only612.ko" && test ! -e "some/$K61/kmend_only612.ko"
'

test_done
