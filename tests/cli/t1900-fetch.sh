#!/usr/bin/env bash
# kmend fetch and the many-kernels options of kmend build: what a user gets
# wrong, and a kernel the archive does not serve.  No download happens here
# (apt's package lists answer); tests/vm/t3600 fetches for real.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"

test_expect_success 'fetch without a kernel is a usage error' '
	test_expect_code 4 "$KMEND" fetch 2>err &&
	test_grep "fetch needs at least one kernel release" err
'

test_expect_success 'a name that is no kernel release is refused, nothing created' '
	test_expect_code 1 "$KMEND" fetch --cache cache ../etc 2>err &&
	test_grep "'"'"'../etc'"'"' is not a kernel release" err &&
	test ! -e cache
'

if ! command -v apt-cache >/dev/null; then
	test_skip 'a kernel the archive does not serve' 'no apt-cache (not Debian)'
else
test_expect_success 'a kernel the archive does not serve names the packages' '
	test_expect_code 1 "$KMEND" fetch --cache cache 6.1.0-1-amd64 2>err &&
	test_grep "kernel 6.1.0-1-amd64 is not served by the archive: no package linux-image-6.1.0-1-amd64 \(nor linux-image-6.1.0-1-amd64-unsigned\)" err &&
	test ! -e cache/6.1.0-1-amd64/debian
'
fi

test_expect_success 'a kernel neither installed nor fetched: build says to fetch it' '
	test_expect_code 1 "$KMEND" build -k 6.1.0-1-amd64 --cache cache \
		"$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep "kernel config not found: install linux-image-6.1.0-1-amd64 .*kmend fetch 6.1.0-1-amd64" err
'

test_expect_success 'many kernels refuse -o, -s and --vmlinux' '
	test_expect_code 4 "$KMEND" build -k 6.1.0-1-amd64 -k 6.1.0-2-amd64 \
		-o x.ko "$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep "with many kernels, give --outdir DIR" err
'

test_expect_success '--json and --jobs are for many kernels' '
	test_expect_code 4 "$KMEND" build -k 6.1.0-1-amd64 --json \
		"$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep "for many kernels" err &&
	test_expect_code 4 "$KMEND" build -k 6.1.0-1-amd64 -k 6.1.0-2-amd64 -j 0 \
		"$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep "invalid --jobs '"'"'0'"'"'" err
'

test_expect_success 'a kernels file with no kernel is an error naming it' '
	printf "# none\n\n" >kernels &&
	test_expect_code 1 "$KMEND" build --kernels kernels \
		"$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep "the kernels file '"'"'kernels'"'"' names no kernel" err &&
	test_expect_code 1 "$KMEND" build --kernels nosuch \
		"$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep "cannot read the kernels file '"'"'nosuch'"'"'" err
'

test_expect_success 'kernels that have no pieces: each fails, the table says why, exit 1' '
	printf "6.1.0-1-amd64 # gone\n6.1.0-2-amd64\n" >kernels &&
	test_expect_code 1 "$KMEND" build --kernels kernels --cache cache \
		--outdir out "$SRC_DIR/examples/cmdline/fix.patch" >table 2>err &&
	test_grep "^6.1.0-1-amd64 +failed +0 .*kernel config not found" table &&
	test_grep "^6.1.0-2-amd64 +failed +0 " table &&
	test -f out/6.1.0-1-amd64/build.log &&
	test ! -e out/6.1.0-1-amd64/kmend_fix.ko &&
	test_expect_code 1 "$KMEND" build --kernels kernels --cache cache \
		--outdir out --json "$SRC_DIR/examples/cmdline/fix.patch" >json 2>err &&
	python3 -c "import json,sys; d=json.load(open(\"json\")); assert d[\"built\"]==0 and d[\"total\"]==2, d; assert d[\"kernels\"][0][\"result\"]==\"failed\" and d[\"kernels\"][0][\"module\"] is None, d; assert \"kmend fetch\" in d[\"kernels\"][0][\"reason\"], d"
'

test_done
