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
#   new-global: a new global function in one file, called from another
#               file of the same fix (it was dropped as "no change").
#   export:     a changed exported function (its ksymtab entry was refused).
#   weak-file:  a fix in a file that defines a weak function x86 overrides
#               (its size differs from the strong one's: no "mismatch").
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
	printf "    changed  proc_oom_score (fs/proc/base.c)\n    new      proc_oom_score.cold (fs/proc/base.c)\n" >expect &&
	test_cmp expect funcs &&
	readelf -sW print_once.ko >syms &&
	test_grep -v "klp\.sym\.vmlinux\.__print_once" syms &&
	readelf -SW print_once.ko >sections &&
	test_grep " \.data\.once +PROGBITS .* WA " sections
'

test_expect_success 'each once-flag prints once: the new one, and the kernel'"'"'s own' '
	prove_fix print-once print_once
'

test_expect_success 'a new global function called from another file builds' '
	build_fix new-global new_global &&
	grep -E "^ +(changed|new) " new_global.err | sort >funcs &&
	printf "    changed  loadavg_proc_show (fs/proc/loadavg.c)\n    new      kmend_new_helper (fs/proc/version.c)\n" | sort >expect &&
	test_cmp expect funcs &&
	readelf -sW new_global.ko >syms &&
	test_grep "FUNC +GLOBAL +DEFAULT +[0-9]+ kmend_new_helper$" syms &&
	test_grep -v "klp\.sym\.vmlinux\.kmend_new_helper" syms
'

test_expect_success 'the other file calls the new function in the module' '
	prove_fix new-global new_global
'

test_expect_success 'a changed exported function is replaced, not exported again' '
	T=$KMEND_TEST_CACHE/$KREL/tree &&
	rm -rf a b && mkdir -p a/kernel b/kernel &&
	cp "$T/kernel/fork.c" a/kernel/fork.c &&
	sed "/^struct mm_struct \*get_task_mm(/,/^}/s/(task->flags & PF_KTHREAD)/(task->flags \& (PF_KTHREAD | PF_EXITING))/" \
		"$T/kernel/fork.c" >b/kernel/fork.c &&
	{ diff -u a/kernel/fork.c b/kernel/fork.c >export.patch || test $? = 1; } &&
	test_grep "PF_EXITING" export.patch &&
	"$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" -n kmend_export \
		-o export.ko export.patch 2>err &&
	test_grep "^ +changed +get_task_mm \(kernel/fork.c\)$" err &&
	modinfo -F kmend_func export.ko >funcs &&
	test_grep "^vmlinux:get_task_mm,0$" funcs &&
	readelf -SW export.ko >sections &&
	test_grep -v "ksymtab" sections
'

test_expect_success 'a fix in a file with an overridden weak function builds' '
	build_fix weak-file weak_file &&
	grep -E "^ +(changed|new) " weak_file.err >funcs &&
	printf "    changed  meminfo_proc_show (fs/proc/meminfo.c)\n" >expect &&
	test_cmp expect funcs &&
	readelf -sW weak_file.ko >syms &&
	test_grep " (\.klp\.sym\.vmlinux\.)?arch_report_meminfo(,0)?$" syms
'

test_expect_success 'the new code calls the kernel'"'"'s strong arch_report_meminfo' '
	prove_fix weak-file weak_file
'

test_expect_success 'a change to a weak function the kernel overrides applies nothing' '
	T=$KMEND_TEST_CACHE/$KREL/tree &&
	rm -rf a b && mkdir -p a/kernel b/kernel &&
	cp "$T/kernel/fork.c" a/kernel/fork.c &&
	sed "/^int __weak arch_dup_task_struct/,/^}/s/^\treturn 0;/\treturn dst == src;/" \
		"$T/kernel/fork.c" >b/kernel/fork.c &&
	{ diff -u a/kernel/fork.c b/kernel/fork.c >weak.patch || test $? = 1; } &&
	test_grep "^\+.return dst == src;" weak.patch &&
	test_expect_code 3 "$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" \
		-o weak.ko weak.patch 2>err &&
	test_grep "note: .arch_dup_task_struct. of kernel/fork.c is weak, and $KREL runs another definition of it" err &&
	test_grep "^no functional change: nothing to live patch$" err &&
	test ! -e weak.ko
'

test_done
