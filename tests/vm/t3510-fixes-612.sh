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

# t3500's, in the same order (6.12 ships its modules compressed: .ko.xz).
FIXES="
	cmdline-string
	meminfo-string
	new-function
	new-globals
	data-new
	data-read-mostly
	static-local
	warn-on
	inline-helper
	constprop
	isra
	line-shift
	export
	ex-table
	ratelimit
	syscall-uname
	static-key-sched
	static-key-psi
	tracepoint
	dyndbg
	module-before
	module-after
	multi-object
	callbacks
	kpatch-macros
	shadow-var
	header-macro
"

REFUSALS="
	refuse-asm
	refuse-init
	refuse-notrace
	refuse-ftrace
	refuse-data-init
	refuse-data-size
	refuse-new-file
	refuse-vdso
	refuse-exit
	refuse-livepatch
	refuse-struct-header
"

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
