#!/usr/bin/env bash
# Fixes of code that Debian's kernel builds as loadable modules (=m), built
# by kmend build and proven in the VM; each check script loads the module
# with modprobe:
#   module-before: drivers/net/dummy.c; dummy is loaded before the patch
#                  (the check's first run loads it and it stays).
#   module-after:  fs/binfmt_misc.c, using the module's static 'enabled';
#                  each run of the check loads and removes binfmt_misc, so
#                  while the patch is on, the module comes after it.
#   module-three:  one patch over vmlinux (fs/proc/cmdline.c) and both
#                  modules.
# A vfat fix calling fat's export is checked in the built module only
# (.klp.sym.fat.* in .klp.rela.vfat.*, no dependency on fat).
# And what cannot work is refused, naming the module.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

FIXES=$TEST_DIR/vm/fixes
why=$(km_why_no_vm)
[ -z "$why" ] && why=$(km_why_no_kmend_build)
[ -z "$why" ] && [ ! -f "/lib/modules/$KREL/kernel/fs/binfmt_misc.ko" ] &&
	why="no binfmt_misc.ko in /lib/modules/$KREL"
if [ -n "$why" ]; then
	test_skip 'fixes of loadable modules' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}

build_fix() { km_build_fix "$FIXES/$1/fix.patch" "kmend_$2" "$2" "$2"; }
prove_fix() {
	local fix=$1 out=$2
	shift 2
	km_prove_fix "$FIXES/$fix/check.sh" "$out" "$out" "$@"
}

test_expect_success 'a fix of the dummy module patches that module' '
	build_fix module-before before &&
	test_grep "^  drivers/net/dummy.c is part of module dummy \(/lib/modules/$KREL/kernel/drivers/net/dummy.ko\)$" before.err &&
	test_grep "^ +changed +dummy_get_stats64 \(drivers/net/dummy.c\)$" before.err &&
	modinfo -F kmend_func before.ko >funcs &&
	echo "dummy:dummy_get_stats64,0" >expect &&
	test_cmp expect funcs &&
	modinfo -F depends before.ko >depends &&
	test_grep -v dummy depends
'

test_expect_success 'the module loaded before the patch is patched, and restored' '
	prove_fix module-before before --with-module dummy &&
	test_grep "^      dummy:dummy_get_stats64,1$" before.test
'

test_expect_success 'a module static the fix uses is a .klp.rela.<module> relocation' '
	build_fix module-after after &&
	readelf -SW after.ko >sections &&
	test_grep " \.klp\.rela\.binfmt_misc\.\.text\.bm_status_read .* AIo " sections &&
	test_grep -v "\.klp\.rela\.vmlinux" sections &&
	readelf -sW after.ko >syms &&
	test_grep " OS \[0xff20\] \.klp\.sym\.binfmt_misc\.enabled,0$" syms &&
	modinfo -F depends after.ko >depends &&
	test_grep -v binfmt_misc depends
'

test_expect_success 'a module loaded after the patch is patched as it loads' '
	prove_fix module-after after --with-module binfmt_misc &&
	test_grep "binfmt_misc:bm_status_read,1" after.test
'

test_expect_success '--with-module follows soft dependencies; modprobe loads them' '
	grep -q "^softdep xt_LOG pre: nf_log_syslog$" "/lib/modules/$KREL/modules.softdep" &&
	{ echo "#!/bin/sh" &&
	  echo "modprobe xt_LOG && grep -q \"^nf_log_syslog \" /proc/modules || exit 3" &&
	  tail -n +5 "$FIXES/module-after/check.sh"; } >softdep.sh &&
	chmod +x softdep.sh &&
	km_prove_fix "$PWD/softdep.sh" after softdep --with-module binfmt_misc \
		--with-module xt_LOG --show-checks &&
	test_grep "binfmt_misc status: enabled kmend" softdep.test
'

test_expect_success 'one patch over vmlinux and two modules: one klp_object each' '
	build_fix module-three three &&
	modinfo -F kmend_func three.ko | sort >funcs &&
	printf "%s\n" binfmt_misc:bm_status_read,0 dummy:dummy_get_stats64,0 \
		vmlinux:cmdline_proc_show,0 >expect &&
	test_cmp expect funcs
'

test_expect_success 'vmlinux and both modules are patched while it is loaded' '
	prove_fix module-three three --with-module dummy \
		--with-module binfmt_misc
'

test_expect_success 'an export of a module the patched module uses is resolved when it loads' '
	T=$KMEND_TEST_CACHE/$KREL/tree &&
	rm -rf a b && mkdir -p a/fs/fat b/fs/fat &&
	cp "$T/fs/fat/namei_vfat.c" a/fs/fat/ &&
	sed "/^static int vfat_fill_super/,/^}/s/^\treturn fat_fill_super(/\tif (silent > 1)\n\t\treturn -EINVAL;\n&/" \
		a/fs/fat/namei_vfat.c >b/fs/fat/namei_vfat.c &&
	{ diff -u a/fs/fat/namei_vfat.c b/fs/fat/namei_vfat.c >vfat.patch || test $? = 1; } &&
	test_grep "silent > 1" vfat.patch &&
	"$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" -n kmend_vfat \
		-o vfat.ko vfat.patch 2>err &&
	readelf -sW vfat.ko >syms &&
	test_grep " OS \[0xff20\] \.klp\.sym\.fat\.fat_fill_super,0$" syms &&
	test_grep -v "klp\.dep" syms &&
	readelf -rW vfat.ko >relocs &&
	sed -n "/^Relocation section .\.klp\.rela\.vfat\.\.text\.vfat_fill_super/,/^$/p" relocs >vfat-relocs &&
	test_grep "\.klp\.sym\.fat\.fat_fill_super,0" vfat-relocs &&
	modinfo -F depends vfat.ko >depends &&
	test_grep -v fat depends
'

test_expect_success 'a change to a module'"'"'s __init code is refused, naming the module' '
	T=$KMEND_TEST_CACHE/$KREL/tree &&
	rm -rf a b && mkdir -p a/fs b/fs &&
	cp "$T/fs/binfmt_misc.c" a/fs/ &&
	sed "/^static int __init init_misc_binfmt(void)/,/^}/s/^\tint err = register_filesystem(&bm_fs_type);/&\n\tpr_info(\"kmend\\\\n\");/" \
		a/fs/binfmt_misc.c >b/fs/binfmt_misc.c &&
	{ diff -u a/fs/binfmt_misc.c b/fs/binfmt_misc.c >init.patch || test $? = 1; } &&
	test_grep "pr_info" init.patch &&
	test_expect_code 2 "$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" \
		-o init.ko init.patch 2>err &&
	test_grep "cannot live patch .fs/binfmt_misc.c \(module binfmt_misc\).: changed function .init_misc_binfmt. is __init code" err &&
	test_grep "note: module binfmt_misc.s __init and __exit code runs only when it loads or unloads" err &&
	test ! -e init.ko
'

test_done
