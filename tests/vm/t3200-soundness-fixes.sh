#!/usr/bin/env bash
# Real fixes of the Debian kernel's source that today's differ once got
# wrong, built by kmend build and loaded in the VM: each module must load,
# change what it says, and leave the rest of the kernel as it was.
#   warn-on:    a changed function with WARN_ON(): the file name string of
#               its __bug_table entry is carried, never a livepatch symbol
#               (the kernel refused to load '.klp.sym.vmlinux..LC6').
#   print-once: a new pr_info_once() in a file that already has a
#               pr_warn_once(): the new once-flag is the module's own, and
#               the old one stays the kernel's (numbered statics, stores
#               with an immediate after the displacement).
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

FIXES=$TEST_DIR/vm/fixes
why=$(km_why_no_vm)
[ -z "$why" ] && why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'real fixes that the differ once got wrong' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}

build_fix() {
	"$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" -n "kmend_$2" \
		-o "$2.ko" "$FIXES/$1/fix.patch" >"$2.out" 2>"$2.err" ||
		{ cat "$2.err"; return 1; }
}

prove_fix() {
	"$KMEND" test -k "$KREL" --timeout 150 --check "$FIXES/$1/check.sh" \
		"$2.ko" >"$2.test" 2>"$2.testerr" ||
		{ cat "$2.test" "$2.testerr"; return 1; }
	test_grep "^PASS $2.ko: check fails before, passes while loaded, fails after unload$" "$2.test"
}

test_expect_success 'a fix with WARN_ON() builds; the file name string is carried' '
	build_fix warn-on warn_on &&
	test_grep "^ +changed +cmdline_proc_show \(fs/proc/cmdline.c\)$" warn_on.err &&
	readelf -sW warn_on.ko >syms &&
	test_grep -v "\.klp\.sym\.[a-z_]*\.\.L" syms &&
	readelf -rW warn_on.ko >relocs &&
	test_grep "__bug_table" relocs
'

test_expect_success 'the WARN_ON() fix loads and is live, and gone after unload' '
	prove_fix warn-on warn_on
'

test_expect_success 'a new pr_info_once() next to an old pr_warn_once() builds' '
	build_fix print-once print_once &&
	grep -E "^ +(changed|new) " print_once.err >funcs &&
	printf "    changed  proc_oom_score (fs/proc/base.c)\n" >expect &&
	test_cmp expect funcs &&
	readelf -sW print_once.ko >syms &&
	test_grep -v "klp\.sym\.vmlinux\.__print_once" syms &&
	test_grep "OBJECT +LOCAL +DEFAULT +[0-9]+ __print_once" syms
'

test_expect_success 'each once-flag prints once: the new one, and the kernel'"'"'s own' '
	prove_fix print-once print_once
'

test_done
