#!/usr/bin/env bash
# The corpus of tests/fixes (issue 7): real fixes against Debian's 6.1
# source, modelled on the well-known live patch test fixes, on the running
# kernel (t3510 runs them on 6.12).  Each fix listed in FIXES (lib/fixes.sh)
# is built with 'kmend build' and proved with 'kmend test --check' (its
# check.sh fails before the patch, passes while it is loaded, fails after
# unload), all in one VM boot; each refusal of REFUSALS must exit 2 with the
# message of its 'expect' file.  The machinery is tests/vm/lib/fixes.sh.
# tests/fixes/README.md says what each one exercises, and why the fixes
# not listed there do not build or pass yet: list them as features land.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"
. "$TEST_DIR/vm/lib/fixes.sh"

why=$(km_why_no_vm)
[ -z "$why" ] && why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'the corpus of real fixes builds, loads and passes' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}

run_fixes "$KREL" "$FIXES" "$REFUSALS"

test_done
