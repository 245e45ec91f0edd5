# shellcheck shell=bash
# Helpers to build small livepatch modules at test time, for the CLI tests
# (tests/cli/t2*) and the VM tests (tests/vm/t3*).  Source after tests/lib.sh.

# The target kernel: $KM_KREL when set (a kernel that kmend fetch put in
# the test cache, like 6.12.117+deb12-amd64), else the newest
# /boot/config-KREL, never a fixed release.
km_krel() {
	local c
	if [ -n "${KM_KREL:-}" ]; then
		echo "$KM_KREL"
		return
	fi
	c=$(find /boot -maxdepth 1 -name 'config-*' 2>/dev/null | sort -V | tail -n 1)
	[ -n "$c" ] && echo "${c#/boot/config-}"
}

KREL=$(km_krel || true)
KSERIES=$(echo "$KREL" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
# Where the kernel's pieces are: the system's, or for $KM_KREL not
# installed here, those kmend fetch unpacked into the test cache.
KM_ROOT=
if [ -n "${KM_KREL:-}" ] && [ ! -e "/lib/modules/$KREL/build" ]; then
	KM_ROOT=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}/$KREL/debian
	KBUILD_DIR=$KM_ROOT/usr/src/linux-headers-$KREL
else
	KBUILD_DIR=${KREL:+/lib/modules/$KREL/build}
fi
KSOURCE_TARBALL=$KM_ROOT/usr/src/linux-source-$KSERIES.tar.xz
KDEBUG_VMLINUX=$KM_ROOT/usr/lib/debug/boot/vmlinux-$KREL

# km_fetch_or_why KREL: nothing when kmend's test cache has KREL (fetching
# it when it does not), else why not.
km_fetch_or_why() {
	local cache=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
	[ -f "$cache/$1/debian/.kmend-fetched" ] && return 0
	"$KMEND" fetch --cache "$cache" "$1" >"$TRASH/fetch.log" 2>&1 ||
		echo "cannot fetch kernel $1 (archive unreachable?): $(tail -n 1 "$TRASH/fetch.log")"
}

# Why modules cannot be built here, or nothing when they can.
km_why_no_kbuild() {
	if [ -z "$KREL" ]; then
		echo "no /boot/config-*: install linux-image-amd64"
	elif [ ! -f "$KBUILD_DIR/Makefile" ] && [ -n "$KM_ROOT" ]; then
		echo "no $KBUILD_DIR: run 'kmend fetch --cache ${KM_ROOT%/*/debian} $KREL'"
	elif [ ! -f "$KBUILD_DIR/Makefile" ]; then
		echo "no $KBUILD_DIR: install linux-headers-$KREL"
	elif ! command -v make >/dev/null || ! command -v gcc >/dev/null; then
		echo "no make or gcc"
	fi
}

# Why the VM tests cannot run here, or nothing when they can.
km_why_no_vm() {
	local why
	why=$(km_why_no_kbuild)
	if [ -n "$why" ]; then
		echo "$why"
	elif ! command -v qemu-system-x86_64 >/dev/null; then
		echo "no qemu-system-x86_64: install qemu-system-x86"
	elif [ ! -x /bin/busybox ]; then
		echo "no /bin/busybox: install busybox-static"
	elif ! command -v cpio >/dev/null; then
		echo "no cpio"
	elif [ ! -f "/boot/vmlinuz-$KREL" ]; then
		echo "no /boot/vmlinuz-$KREL: install linux-image-$KREL"
	elif [ ! -f "$(dirname "$KMEND")/kmend-static" ] && [ -z "${KMEND_STATIC:-}" ]; then
		echo "no static kmend next to $KMEND: run 'make static'"
	fi
}

# Why kmend build cannot run here (source, debug vmlinux, headers), or
# nothing when it can.
km_why_no_kmend_build() {
	local why
	why=$(km_why_no_kbuild)
	if [ -n "$why" ]; then
		echo "$why"
	elif [ ! -f "$KDEBUG_VMLINUX" ]; then
		echo "no debug vmlinux $KDEBUG_VMLINUX: run scripts/install-deps"
	elif [ ! -f "$KSOURCE_TARBALL" ]; then
		echo "no $KSOURCE_TARBALL: install linux-source-$KSERIES"
	fi
}

# Why kmend cannot build for KREL here, or nothing when it can: a kernel
# that is not installed (KM_ROOT) is fetched into the test cache first.
km_why_no_kernel_build() {
	local why=
	[ -n "$KM_ROOT" ] && why=$(km_fetch_or_why "$KREL")
	[ -z "$why" ] && why=$(km_why_no_kmend_build)
	printf '%s' "$why"
}

# km_module_view KO: what the kernel sees of a module, without the file's
# name: its code with relocations, modinfo, this_module and __versions.
km_module_view() {
	objdump -dr --no-show-raw-insn "$1" | sed -n '/^Disassembly/,$p'
	modinfo "$1" | grep -v '^filename:'
	readelf -x .gnu.linkonce.this_module -x __versions "$1" 2>/dev/null
}

# km_build_modules DIR: Kbuild's out-of-tree build of DIR's Kbuild file.
km_build_modules() {
	make -C "$KBUILD_DIR" M="$1" modules >"$1/build.log" 2>&1 || {
		cat "$1/build.log"; return 1; }
}

# km_extract_sample DIR: the kernel's own samples/livepatch/livepatch-sample.c
# from the linux-source tarball (about 8 s: xz reads the whole tarball).
km_extract_sample() {
	local dir=$1 tmp
	tmp=$(mktemp -d "$dir/src.XXXXXX")
	tar -xJf "$KSOURCE_TARBALL" -C "$tmp" --wildcards \
		'*/samples/livepatch/livepatch-sample.c'
	find "$tmp" -name livepatch-sample.c -exec cp {} "$dir/" \;
	rm -rf "$tmp"
	[ -f "$dir/livepatch-sample.c" ]
}

# km_write_version_patch DIR NAME OLD_FUNC: a livepatch module NAME.c that
# replaces OLD_FUNC (a seq_file show function, version_proc_show normally)
# with one printing "kmend test: version patched", and carries the modinfo
# keys kmend writes.
km_write_version_patch() {
	local dir=$1 name=$2 func=$3
	cat >"$dir/$name.c" <<EOF
// SPDX-License-Identifier: GPL-2.0
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int kmend_version_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "kmend test: version patched\n");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "$func", .new_func = kmend_version_proc_show, },
	{ }
};

static struct klp_object objs[] = {
	{ .funcs = funcs, },	/* NULL name: vmlinux */
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init kmend_patch_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit kmend_patch_exit(void)
{
}

module_init(kmend_patch_init);
module_exit(kmend_patch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_INFO(kmend_kernel, "$KREL");
MODULE_INFO(kmend_func, "vmlinux:$func,0");
MODULE_INFO(kmend_patch, "version.diff");
MODULE_INFO(kmend_patch, "version-2.diff");
MODULE_INFO(kmend_version, "0.1");
EOF
}

# km_write_plain_module DIR NAME: an ordinary module, no livepatch.
km_write_plain_module() {
	cat >"$1/$2.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>

static int __init plain_init(void)
{
	return 0;
}

module_init(plain_init);
MODULE_LICENSE("GPL");
EOF
}

# km_build_fix PATCH MODNAME OUT LOG: kmend build of PATCH into OUT.ko
# (module MODNAME) for $KREL, logs in LOG.out and LOG.err.
km_build_fix() {
	"$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" -n "$2" \
		-o "$3.ko" "$1" >"$4.out" 2>"$4.err" ||
		{ cat "$4.err"; return 1; }
}

# km_prove_fix CHECK OUT LOG [ARG...]: kmend test of OUT.ko with CHECK in
# the VM (and ARGs, like --with-module M), which must fail before, pass
# while loaded and fail after unload.
km_prove_fix() {
	local check=$1 out=$2 log=$3
	shift 3
	"$KMEND" test -k "$KREL" --timeout 150 --check "$check" "$@" \
		"$out.ko" >"$log.test" 2>"$log.testerr" ||
		{ cat "$log.test" "$log.testerr"; return 1; }
	test_grep "^PASS $out.ko: check fails before, passes while loaded, fails after unload$" "$log.test"
}

# km_write_dispatch OUT DIR NAME...: one check script for a VM run of many
# fixes, DIR/NAME/check.sh each, whose modules are kmend_NAME ('-' as '_'),
# given to kmend test in the order of the NAMEs.  kmend test runs the same
# script before, while and after each module; this one tells which fix and
# which step it is at (a live patch is listed in /sys/kernel/livepatch only
# while loaded) and runs that fix's check.sh, which it carries.
km_write_dispatch() {
	local out=$1 dir=$2 f
	shift 2
	{
		echo '#!/bin/sh'
		echo '# Written by km_write_dispatch: runs the check of the fix at hand.'
		echo 'mkdir -p /tmp/kmend-checks'
		for f in "$@"; do
			echo "cat >/tmp/kmend-checks/$f.sh <<'KMEND_CHECK_EOF'"
			cat "$dir/$f/check.sh"
			echo 'KMEND_CHECK_EOF'
		done
		echo "set -- $*"
		cat <<'EOF_DISPATCH'
st=/tmp/kmend-checks/state
lp=$(ls /sys/kernel/livepatch 2>/dev/null | head -n 1)
if [ ! -f $st ]; then
	idx=0 now=before
else
	read -r idx last <$st
	if [ -n "$lp" ]; then
		now=loaded
	elif [ "$last" = loaded ]; then
		now=after
	else
		idx=$((idx + 1)) now=before
	fi
fi
echo "$idx $now" >$st
i=0
for f; do
	[ $i -eq "$idx" ] && fix=$f
	i=$((i + 1))
done
want=kmend_$(echo "$fix" | tr - _)
if [ -n "$lp" ] && [ "$lp" != "$want" ]; then
	echo "dispatch: live patch '$lp' is loaded, expected '$want'"
	exit 3
fi
echo "dispatch: $fix, $now"
sh /tmp/kmend-checks/$fix.sh
EOF_DISPATCH
	} >"$out"
	chmod +x "$out"
}
