#!/usr/bin/env bash
# kmend build with many kernels starts the longest builds first, so that no
# core idles at the end while one long build runs: each build's processor
# time is kept in CACHE/KREL/build-seconds, a kernel never timed goes before
# the timed ones, one with no prepared tree (a cold build) before all.  On
# the installed kernel and Debian's 6.12.117 (fetched into the test cache
# when missing; KM_KREL_612 names another).  No VM.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
K612=${KM_KREL_612:-6.12.117+deb12-amd64}
why=$(km_why_no_kmend_build)
[ -z "$why" ] && why=$(km_fetch_or_why "$K612")
if [ -n "$why" ]; then
	test_skip 'many kernels: the longest first' "$why"
	test_done
	exit
fi
export K612

# started OUT: the kernels in the order their builds started
started() {
	sed -n 's/^kernel \(.*\): building$/\1/p' "$1"
}

many() {
	"$KMEND" build -j 1 -k "$KREL" -k "$K612" --cache "$KMEND_TEST_CACHE" \
		--outdir out "$SRC_DIR/examples/cmdline/fix.patch"
}

test_expect_success 'the kernel timed longest starts first, whatever the command line says' '
	echo 1.0 >"$KMEND_TEST_CACHE/$KREL/build-seconds" &&
	echo 99.0 >"$KMEND_TEST_CACHE/$K612/build-seconds" &&
	many >table 2>err &&
	printf "%s\n" "$K612" "$KREL" >expect &&
	started err >actual && test_cmp expect actual &&
	head -n 3 table | sed -n "2s/ .*//p" >first && echo "$KREL" | test_cmp - first
'

test_expect_success 'each build keeps its processor time, which orders the next run' '
	for k in "$KREL" "$K612"; do
		t=$(cat "$KMEND_TEST_CACHE/$k/build-seconds") &&
		awk -v t="$t" "BEGIN { exit !(t > 0.1 && t < 60) }" || exit 1
	done &&
	echo 99.0 >"$KMEND_TEST_CACHE/$KREL/build-seconds" &&
	many >table 2>err &&
	printf "%s\n" "$KREL" "$K612" >expect &&
	started err >actual && test_cmp expect actual
'

test_expect_success 'a kernel never timed starts before the timed ones' '
	rm -f "$KMEND_TEST_CACHE/$K612/build-seconds" &&
	many >table 2>err &&
	printf "%s\n" "$K612" "$KREL" >expect &&
	started err >actual && test_cmp expect actual
'

test_done
