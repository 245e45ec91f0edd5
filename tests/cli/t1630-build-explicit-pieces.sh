#!/usr/bin/env bash
# A kernel that is neither installed where kmend looks nor fetched (a
# self-built or another distribution's kernel on a build host): every piece
# given on the command line, -s (source), --config, --vmlinux and --headers,
# into a cache of its own.  The installed kernel's files, copied or named
# where they are, stand for such a kernel's.  The pieces named wrongly give
# an error naming the piece; with many kernels they are refused.
# One cold build (unpack and prepare): about a minute.  No VM.
# shellcheck disable=SC2016,SC1091,SC2034 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'a kernel from explicit pieces' "$why"
	test_done
	exit
fi
HEADERS=$(readlink -f "/lib/modules/$KREL/build")
VMLINUX=/usr/lib/debug/boot/vmlinux-$KREL
export HEADERS VMLINUX

test_expect_success 'the example builds from pieces named on the command line' '
	mkdir pieces && cp "/boot/config-$KREL" pieces/kernel.config &&
	ln -s "$KSOURCE_TARBALL" pieces/source.tar.xz &&
	ln -s "$VMLINUX" pieces/vmlinux &&
	"$KMEND" build -k "$KREL" --cache "$PWD/cache" -s pieces/source.tar.xz \
		--config pieces/kernel.config --vmlinux pieces/vmlinux \
		--headers "$HEADERS" -o fix.ko \
		"$SRC_DIR/examples/cmdline/fix.patch" 2>err ||
		{ cat err; exit 1; }
	test_grep "wrote fix.ko \(1 function replaced\)" err &&
	test_grep "^config $PWD/pieces/kernel.config [0-9a-f]+$" "cache/$KREL/stamp" &&
	test_grep "^source $KSOURCE_TARBALL " "cache/$KREL/stamp" &&
	modinfo -F vermagic fix.ko >vermagic &&
	test_grep "^$KREL SMP" vermagic
'

test_expect_success 'a piece that is not there: named, exit 1, nothing written' '
	test_expect_code 1 "$KMEND" build -k "$KREL" --cache "$PWD/cache" \
		--config nothere.config -o bad.ko "$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep "kernel config .nothere.config. does not exist: give the .config the kernel was built with" err &&
	mkdir noheaders &&
	test_expect_code 1 "$KMEND" build -k "$KREL" --cache "$PWD/cache" \
		--headers noheaders -o bad.ko "$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep "kernel headers .noheaders. have no Module.symvers" err &&
	test ! -e bad.ko
'

test_expect_success 'with many kernels, --config and --headers are refused' '
	test_expect_code 4 "$KMEND" build -k "$KREL" -k other --config pieces/kernel.config \
		"$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep "name one kernel.s files" err &&
	test_expect_code 4 "$KMEND" build -k "$KREL" -k other --headers "$HEADERS" \
		"$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
	test_grep "name one kernel.s files" err
'

test_done
