# shellcheck shell=bash
# Test library, sourced by every tests/*/tNNNN-*.sh script, in the manner of
# git's test-lib: small test_expect_success blocks, a trash directory per
# script, and one "RESULT passed failed skipped" line at the end for tests/run.

set -u
TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$TEST_DIR/.." && pwd)
KMEND=${KMEND:-$SRC_DIR/build/kmend}
TEST_NAME=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/kmend-$TEST_NAME.XXXXXX")
test_passed=0
test_failed=0
test_skipped=0
test_verbose=${TEST_VERBOSE:-}

test_cleanup() {
	if [ "$test_failed" -eq 0 ] || [ -z "${KEEP_TRASH:-}" ]; then
		rm -rf "$TRASH"
	else
		echo "# trash kept in $TRASH"
	fi
}
trap test_cleanup EXIT

say() { printf '%s\n' "$*"; }

# test_expect_success 'what it shows' 'shell code'
# The code runs in a subshell with set -e, inside the trash directory.
test_expect_success() {
	local desc=$1 code=$2 out rc
	out=$(cd "$TRASH" && (set -e; eval "$code") 2>&1) && rc=0 || rc=$?
	if [ "$rc" -eq 0 ]; then
		test_passed=$((test_passed + 1))
		say "ok - $desc"
		[ -n "$test_verbose" ] && printf '%s\n' "$out" | sed 's/^/#   /'
	else
		test_failed=$((test_failed + 1))
		say "not ok - $desc"
		printf '%s\n' "$out" | tail -n 60 | sed 's/^/#   /'
	fi
	return 0
}

# test_skip 'what it would show' 'why it cannot run here'
test_skip() {
	test_skipped=$((test_skipped + 1))
	say "skip - $1 ($2)"
}

# test_expect_code N command...: runs the command, fails unless it exits N.
test_expect_code() {
	local want=$1 rc
	shift
	"$@" && rc=0 || rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "expected exit code $want, got $rc from: $*"
		return 1
	fi
}

# test_grep [-v] PATTERN FILE: grep -E that shows the file when it fails.
test_grep() {
	local invert=
	if [ "$1" = "-v" ]; then invert=1; shift; fi
	if [ -n "$invert" ]; then
		if grep -E -q -- "$1" "$2"; then
			echo "'$1' should not be in $2:"; cat "$2"; return 1
		fi
	elif ! grep -E -q -- "$1" "$2"; then
		echo "'$1' not found in $2:"; cat "$2"; return 1
	fi
}

# test_cmp EXPECTED ACTUAL
test_cmp() {
	diff -u "$1" "$2"
}

test_done() {
	say "RESULT $test_passed $test_failed $test_skipped"
	[ "$test_failed" -eq 0 ]
}
