#!/usr/bin/env bash
# A build reads a fetched kernel under CACHE/KREL/fetch.lock held shared:
# a kmend fetch that would change the kernel (here: completing its module
# index with depmod; --force replaces it whole) waits for the build, and a
# build waits for a fetch in progress before it reads a piece.  Shown on a
# throwaway cached kernel whose pieces are real files but no real kernel
# (a tiny source tarball, an unstripped program as vmlinux): its build
# unpacks the source, then fails to prepare it.  A tar first on PATH that
# waits 3 s inside the build, and a depmod that waits 3 s inside the fetch,
# make the two overlap; each notes what the other had done when it ran.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"

K=6.12.999+deb12-amd64
DEPMOD=$(PATH=$PATH:/usr/sbin:/sbin command -v depmod || true)
TAR=$(command -v tar || true)
if [ -z "$DEPMOD" ] || [ -z "$TAR" ] || ! command -v gcc >/dev/null ||
   ! command -v xz >/dev/null; then
	test_skip 'a fetch and a build of one kernel at once' \
		'no depmod, tar, xz or gcc: apt-get install kmod tar xz-utils gcc'
	test_done
	exit
fi
# the release as an extended regular expression (it has a "+")
KRE=$(printf "%s" "$K" | sed "s/[.+]/\\\\&/g")
export K KRE DEPMOD TAR

# until FILE exists (at most 20 s)
wait_for() {
	local i=0
	while [ ! -e "$1" ] && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	test -e "$1"
}
export -f wait_for

test_expect_success 'a cached kernel with its pieces and without modules.dep' '
	root=cache/$K/debian &&
	mkdir -p $root/boot $root/usr/lib/debug/boot $root/lib/modules/$K/kernel \
		$root/usr/src/linux-headers-$K src/linux-source-6.12 bin &&
	echo "CONFIG_LIVEPATCH=y" >$root/boot/config-$K &&
	: >$root/usr/src/linux-headers-$K/Module.symvers &&
	echo "int main(void) { return 0; }" >v.c &&
	gcc -o $root/usr/lib/debug/boot/vmlinux-$K v.c &&
	echo "all:" >src/linux-source-6.12/Makefile &&
	"$TAR" -C src -cJf $root/usr/src/linux-source-6.12.tar.xz linux-source-6.12 &&
	echo "linux-image-$K 1" >$root/.kmend-fetched &&
	cat >fix.patch <<-\EOF &&
	--- a/fs/proc/cmdline.c
	+++ b/fs/proc/cmdline.c
	@@ -1 +1 @@
	-a
	+b
	EOF
	cat >bin/tar <<-EOS &&
	#!/bin/sh
	touch "$PWD/tar.running"
	sleep 3
	if [ -e "$PWD/depmod.runs" ] && [ ! -e "$PWD/depmod.done" ]; then
		echo "tar: depmod was running" >>"$PWD/tar.saw"
	else
		echo "tar: depmod \$(cat "$PWD/depmod.done" 2>/dev/null || echo "not run")" >>"$PWD/tar.saw"
	fi
	exec "$TAR" "\$@"
	EOS
	cat >bin/depmod <<-EOS &&
	#!/bin/sh
	echo run >>"$PWD/depmod.runs"
	sleep 3
	"$DEPMOD" "\$@" || exit
	echo done >"$PWD/depmod.done"
	EOS
	chmod +x bin/tar bin/depmod
'

test_expect_success 'a kernel fetched before fetch.lock existed is built unheld' '
	export PATH="$PWD/bin:$PATH" &&
	test_expect_code 1 timeout 60 "$KMEND" build --cache cache -k "$K" \
		fix.patch >build.out 2>build.err &&
	cat build.err &&
	test_grep "^unpacking linux-source-6\.12\.tar\.xz" build.err &&
	test_grep "could not prepare the kernel tree of $KRE" build.err &&
	test_grep -v "waiting" build.err &&
	test ! -e cache/$K/fetch.lock &&
	test "$(cat tar.saw)" = "tar: depmod not run" &&
	rm tar.saw tar.running
'

test_expect_success 'a fetch waits for a build reading the kernel' '
	export PATH="$PWD/bin:$PATH" &&
	: >cache/$K/fetch.lock &&
	{ "$KMEND" build --cache cache -k "$K" fix.patch >build.out 2>build.err & } &&
	build=$! &&
	wait_for tar.running &&
	"$KMEND" fetch --cache cache "$K" 2>fetch.err &&
	rcb=0 && { wait $build || rcb=$?; } &&
	cat build.err fetch.err &&
	test $rcb = 1 &&
	test "$(cat tar.saw)" = "tar: depmod not run" &&
	test "$(wc -l <depmod.runs)" = 1 &&
	test_grep "^kernel $KRE: waiting for another kmend fetching or using it \.\.\.$" fetch.err &&
	test_grep "^kernel $KRE: waited [0-9.]+ s$" fetch.err &&
	test_grep "^kernel $KRE: indexing its modules \(depmod\)$" fetch.err &&
	test -f cache/$K/debian/lib/modules/$K/modules.dep &&
	rm tar.saw tar.running depmod.runs depmod.done
'

test_expect_success 'a build waits for a fetch in progress, then reads the fetched kernel' '
	export PATH="$PWD/bin:$PATH" &&
	rm cache/$K/debian/lib/modules/$K/modules.dep &&
	{ "$KMEND" fetch --cache cache "$K" >fetch.out 2>fetch.err & } &&
	fetch=$! &&
	wait_for depmod.runs &&
	rcb=0 &&
	"$KMEND" build --cache cache -k "$K" fix.patch >build.out 2>build.err || rcb=$? &&
	rcf=0 && { wait $fetch || rcf=$?; } &&
	cat fetch.err build.err &&
	test $rcf = 0 && test $rcb = 1 &&
	test_grep "^kernel $KRE: waiting for a kmend fetch of it to end \.\.\.$" build.err &&
	test_grep "^kernel $KRE: waited [0-9.]+ s$" build.err &&
	test_grep "could not prepare the kernel tree of $KRE" build.err &&
	test "$(cat tar.saw)" = "tar: depmod done"
'

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	test_expect_success 'a fetch lock this user cannot read: exit 1, named, what to do' '
		chmod 755 . &&
		chmod 000 cache/$K/fetch.lock &&
		rc=0 &&
		HOME=/nonexistent setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$KMEND" build --cache cache -k "$K" -o nobody.ko fix.patch \
			>out 2>err || rc=$? &&
		chmod 644 cache/$K/fetch.lock &&
		cat err && test $rc = 1 &&
		test_grep "^kmend: error: cannot hold the fetch lock .cache/$KRE/fetch\.lock.: Permission denied; make it readable, or give another --cache$" err &&
		test_grep -v "building live patch" err && test ! -e nobody.ko
	'
else
	test_skip 'a fetch lock this user cannot read' 'needs root and setpriv (util-linux)'
fi

test_done
