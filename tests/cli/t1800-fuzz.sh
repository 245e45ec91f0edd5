#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz: the object reader and writer, the diff
# reader, .modinfo) build and run FUZZ_SECONDS (20) each over a copy of
# their seed corpus without a crash, a leak, a hang or an out-of-memory.
# `make fuzz` runs them longer, from a random seed; here the seed is fixed
# (FUZZ_SEED, 1), so that a bug the short run cannot always reach does not
# make the test flaky.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_SEED=${FUZZ_SEED:-1}
export FUZZ_SECONDS FUZZ_CC FUZZ_SEED

has_libfuzzer() {
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
		'{ (void)d; (void)n; return 0; }' >"$TRASH/probe.c"
	command -v "$FUZZ_CC" >/dev/null &&
		"$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$TRASH/probe" \
			"$TRASH/probe.c" >/dev/null 2>&1
}

if ! has_libfuzzer; then
	test_skip 'the fuzz targets run without a crash' \
		"no $FUZZ_CC with libFuzzer (-fsanitize=fuzzer)"
	test_done
	exit
fi

test_expect_success 'the fuzz targets build' '
	make -s -C "$SRC_DIR" O="$TRASH/build" FUZZ_CC="$FUZZ_CC" fuzz-build >log 2>&1 ||
		{ cat log; false; } &&
	ls "$TRASH"/build/fuzz/fuzz-kelf "$TRASH"/build/fuzz/fuzz-patch \
		"$TRASH"/build/fuzz/fuzz-modinfo
'

for target in kelf patch modinfo; do
	test_expect_success "fuzz-$target: $FUZZ_SECONDS s without a crash" '
		"$SRC_DIR/tests/fuzz/run" -w work "$TRASH/build/fuzz" \
			"$FUZZ_SECONDS" '"$target"' &&
		test -z "$(ls work/crashes)" &&
		test -z "$(ls -A work/tmp 2>/dev/null)"
	'
done

test_done
