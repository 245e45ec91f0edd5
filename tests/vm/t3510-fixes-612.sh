#!/usr/bin/env bash
# The corpus of tests/fixes on Debian's 6.12 (issue 10): the fixes and
# refusals of t3500, built for 6.12.117+deb12-amd64 (from kmend's cache,
# fetched with 'kmend fetch' when the cache lacks it) and proved in one VM
# boot of that kernel.  A fix whose 6.1 patch does not apply to 6.12's
# source runs its 6.12 variant (fix-6.12.patch; funcs-6.12 where what kmend
# lists differs): tests/fixes/README.md says which and why.
# KM_FIXES_612 names another 6.12 kernel.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"
. "$TEST_DIR/vm/lib/fixes.sh"

K612=${KM_FIXES_612:-6.12.117+deb12-amd64}

export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
why=$(km_why_no_vm)
[ -z "$why" ] && why=$(km_why_no_kmend_build)
if [ -z "$why" ] && [ ! -f "$KMEND_TEST_CACHE/$K612/debian/.kmend-fetched" ] &&
	! "$KMEND" fetch --cache "$KMEND_TEST_CACHE" "$K612" >"$TRASH/fetch.log" 2>&1; then
	why="cannot fetch kernel $K612 (archive unreachable?): $(tail -n 1 "$TRASH/fetch.log")"
fi
if [ -n "$why" ]; then
	test_skip "the corpus of real fixes builds, loads and passes on $K612" "$why"
	test_done
	exit
fi

run_fixes "$K612" "$FIXES" "$REFUSALS"

test_done
