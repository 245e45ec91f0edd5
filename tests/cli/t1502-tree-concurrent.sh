#!/usr/bin/env bash
# Two kmends preparing the same empty cache at once: one prepares, the other
# waits, both succeed, one tree.  What an interrupted prepare leaves behind
# (a temporary directory, a tree without its stamp) is removed first.
# A cold prepare of the real source: about a minute.
# shellcheck disable=SC2016,SC1091,SC2034 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"

DRIVER=$SRC_DIR/build/tests/unit/test-ktree
# the target kernel, as every test takes it: KREL, KSERIES
# shellcheck source=tests/vm/lib/modules.sh
. "$TEST_DIR/vm/lib/modules.sh"
SERIES=$KSERIES

if [ -z "$KREL" ] || [ ! -f "/usr/src/linux-source-$SERIES.tar.xz" ]; then
	test_skip 'two concurrent prepares of an empty cache' \
		'no linux-image and linux-source: run scripts/install-deps'
	test_done
	exit
fi

test_expect_success 'two concurrent prepares: both succeed, one prepares, one waits' '
	mkdir -p cache/$KREL/tmp.stale cache/$KREL/tree/half &&
	echo junk >cache/$KREL/tmp.stale/junk &&
	{ "$DRIVER" prepare "$PWD/cache" "$KREL" >one.out 2>one.err & }
	one=$!
	sleep 0.2
	{ "$DRIVER" prepare "$PWD/cache" "$KREL" >two.out 2>two.err & }
	two=$!
	rc1=0 && wait $one || rc1=$?
	rc2=0 && wait $two || rc2=$?
	cat one.err two.err &&
	test $rc1 = 0 && test $rc2 = 0 &&
	test "$(cat one.err two.err | grep -c "^unpacking ")" = 1 &&
	test "$(cat one.err two.err | grep -c "^waiting for another kmend to prepare")" = 1 &&
	test_cmp one.out two.out
'

test_expect_success 'one tree, stamped; the leftovers are gone' '
	ls cache/$KREL >entries &&
	printf "lock\nstamp\ntree\n" >expect &&
	test_cmp expect entries &&
	! test -e cache/$KREL/tree/half &&
	test -f cache/$KREL/tree/obj/include/generated/autoconf.h &&
	test -x cache/$KREL/tree/obj/tools/objtool/objtool
'

test_done
