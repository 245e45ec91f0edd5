#!/usr/bin/env bash
# Two kmend fetch of one kernel at once: one works, the other waits on
# CACHE/KREL/fetch.lock and then finds the kernel in the cache; both
# succeed, the work is done once, the cache is whole.  Shown without a
# download: a kernel fetched before kmend made modules.dep at fetch time
# (a throwaway cache holding one real module, compressed) is completed by
# depmod under the same lock.  A depmod first on PATH that waits 2 s (and
# counts its runs) before running the real one makes the two overlap.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

K=6.12.999+deb12-amd64
DEPMOD=$(PATH=$PATH:/usr/sbin:/sbin command -v depmod || true)
MOD=$(find "/lib/modules/${KREL:-none}/kernel/fs" -name binfmt_misc.ko 2>/dev/null | head -n 1)
if [ -z "$DEPMOD" ] || [ -z "$MOD" ] || ! command -v xz >/dev/null; then
	test_skip 'two concurrent fetches of one kernel' \
		'no depmod, xz or binfmt_misc.ko: apt-get install kmod xz-utils linux-image-amd64'
	test_done
	exit
fi
# the release as an extended regular expression (it has a "+")
KRE=$(printf "%s" "$K" | sed "s/[.+]/\\\\&/g")
export K KRE DEPMOD MOD

test_expect_success 'a kernel in the cache without modules.dep' '
	root=cache/$K/debian &&
	mkdir -p $root/lib/modules/$K/kernel/fs bin &&
	xz -c "$MOD" >$root/lib/modules/$K/kernel/fs/binfmt_misc.ko.xz &&
	echo "linux-image-$K 1" >$root/.kmend-fetched &&
	cat >bin/depmod <<-EOS &&
	#!/bin/sh
	echo run >>"$PWD/depmod.runs"
	sleep 2
	exec "$DEPMOD" "\$@"
	EOS
	chmod +x bin/depmod
'

test_expect_success 'two fetches at once: both succeed, one works, one waits' '
	export PATH="$PWD/bin:$PATH" &&
	{ "$KMEND" fetch --cache cache "$K" >one.out 2>one.err & } &&
	one=$! &&
	sleep 0.5 &&
	{ "$KMEND" fetch --cache cache "$K" >two.out 2>two.err & } &&
	two=$! &&
	rc1=0 && { wait $one || rc1=$?; } &&
	rc2=0 && { wait $two || rc2=$?; } &&
	cat one.err two.err &&
	test $rc1 = 0 && test $rc2 = 0 &&
	test "$(wc -l <depmod.runs)" = 1 &&
	test_grep "^kernel $KRE: indexing its modules \(depmod\)$" one.err &&
	test_grep "^kernel $KRE: waiting for another kmend fetching or using it \.\.\.$" two.err &&
	test_grep "^kernel $KRE: waited [0-9.]+ s$" two.err &&
	test_grep "^kernel $KRE: already in the cache" one.err &&
	test_grep "^kernel $KRE: already in the cache" two.err
'

test_expect_success 'the cache is whole: the module index, the lock, nothing partial' '
	test_grep "^kernel/fs/binfmt_misc.ko.xz:$" cache/$K/debian/lib/modules/$K/modules.dep &&
	ls cache/$K >entries &&
	printf "debian\nfetch.lock\n" >expect &&
	test_cmp expect entries
'

test_expect_success 'a third fetch has nothing to do: no lock wait, no depmod' '
	export PATH="$PWD/bin:$PATH" &&
	"$KMEND" fetch --cache cache "$K" 2>three.err &&
	test "$(wc -l <depmod.runs)" = 1 &&
	test_grep -v "waiting" three.err &&
	test_grep "^kernel $KRE: already in the cache" three.err
'

test_done
