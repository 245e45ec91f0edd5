#!/usr/bin/env bash
# Two kmends preparing the same empty cache at once: one prepares, the other
# waits, both succeed, one tree.  What an interrupted prepare leaves behind
# (a temporary directory, a tree without its stamp) is removed first.
# The fresh tree shares, as hard links, the files a prepared sibling tree of
# the same series has with the same bytes, whatever their date unless it is
# in the future (a copy of the shared test cache's tree stands for another
# 6.1 kernel), and no other file.
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

SHARED=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}/$KREL
if [ -f "$SHARED/stamp" ] && [ -d "$SHARED/tree/kernel" ]; then
	test_expect_success 'a prepared sibling tree of the same series: one file changed, one dated tomorrow, one newer than the tarball' '
		mkdir -p cache/sib && touch cache/sib/lock &&
		cp -al "$SHARED/tree" cache/sib/tree &&
		rm -rf cache/sib/tree/obj && cp "$SHARED/stamp" cache/sib/stamp &&
		for f in kernel/sys.c fs/proc/base.c kernel/exit.c; do
			cp cache/sib/tree/$f x && rm cache/sib/tree/$f && mv x cache/sib/tree/$f || exit 1
		done &&
		echo "/* other */" >>cache/sib/tree/kernel/sys.c &&
		touch -d "+1 day" cache/sib/tree/fs/proc/base.c &&
		touch -d "-1 hour" cache/sib/tree/kernel/exit.c
	'
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

test -d "$TRASH/cache/sib" && test_expect_success 'the fresh tree shares the sibling'"'"'s same files, only those' '
	n=$(cat one.err two.err | sed -n "s|^sharing \([0-9]*\) files ([0-9]* MB) with .*/cache/sib/tree \.\.\. [0-9.]* s$|\1|p") &&
	total=$(find cache/$KREL/tree -path cache/$KREL/tree/obj -prune -o -type f -size +0 -print | wc -l) &&
	echo "shared $n of $total files" &&
	test "$n" -gt $((total * 9 / 10)) &&
	same() { test "$(stat -c %i "cache/$KREL/tree/$1")" = "$(stat -c %i "cache/sib/tree/$1")"; } &&
	same kernel/fork.c && same Makefile && same include/linux/sched.h && same kernel/exit.c &&
	! same kernel/sys.c && ! same fs/proc/base.c &&
	cmp "$SHARED/tree/kernel/sys.c" cache/$KREL/tree/kernel/sys.c &&
	test "$(stat -c %h cache/$KREL/tree/obj/include/generated/autoconf.h)" = 1 &&
	test -z "$(find cache/$KREL/tree -name "*.kmend-share")"
'

test_done
