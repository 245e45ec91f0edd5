#!/usr/bin/env bash
# Kinds of change that need more than replacing the changed function,
# proven in the VM:
#   tracepoint: a changed function with a tracepoint, whose static key the
#               kernel does not export: a livepatch relocation of
#               __jump_table, which 6.1 resolves while the module loads,
#               before it reads the entry; enabling the event switches the
#               new code's tracepoint on too.
#   syscall:    a plain diff of a SYSCALL_DEFINE: the body is the notrace
#               __do_sys_*(), so its wrappers are replaced instead.
#   sched-section: a fix in a __sched function, which shares .sched.text
#               with others: the module carries its bytes alone.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

FIXES=$TEST_DIR/vm/fixes
why=$(km_why_no_vm)
[ -z "$why" ] && why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'kinds of change in the VM' "$why"
	test_expect_success 'a syscall fixed by a plain diff: its wrappers are replaced' '
	km_build_fix "$FIXES/syscall/fix.patch" kmend_syscall syscall syscall &&
	grep -E "^ +(changed|new|carried|replaced) " syscall.err >funcs &&
	printf "%s\n" "    carried  __do_sys_newuname (kernel/sys.c)" \
		"    replaced __x64_sys_newuname (kernel/sys.c)" \
		"    replaced __ia32_sys_newuname (kernel/sys.c)" >expect &&
	test_cmp expect funcs &&
	test_grep "note: .__do_sys_newuname. has no ftrace entry \(notrace\)" syscall.err &&
	modinfo -F kmend_func syscall.ko | sort >klp_funcs &&
	printf "%s\n" "vmlinux:__ia32_sys_newuname,0" "vmlinux:__x64_sys_newuname,0" >expect &&
	test_cmp expect klp_funcs
'

test_expect_success 'uname(2) answers with the fix while it is live' '
	km_prove_fix "$FIXES/syscall/check.sh" syscall syscall
'

test_expect_success 'a fix in a __sched function builds; only its code is carried' '
	km_build_fix "$FIXES/sched-section/fix.patch" kmend_sched sched sched &&
	test_grep "^ +changed +do_nanosleep \(kernel/time/hrtimer.c\)$" sched.err &&
	readelf -sW sched.ko >syms &&
	test_grep " do_nanosleep$" syms &&
	test_grep -v " (schedule_hrtimeout_range|schedule_hrtimeout|hrtimer_nanosleep)$" syms &&
	readelf -SW sched.ko >sections &&
	test_grep " \.sched\.text +PROGBITS " sections
'

test_expect_success 'a nice 19 sleep returns at once while the fix is live' '
	km_prove_fix "$FIXES/sched-section/check.sh" sched sched
'

test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}

test_expect_success 'a fix in a function with a tracepoint builds; its key is a livepatch symbol' '
	km_build_fix "$FIXES/tracepoint/fix.patch" kmend_tracepoint tracepoint tracepoint &&
	test_grep "^ +changed +__send_signal_locked \(kernel/signal.c\)$" tracepoint.err &&
	readelf -rW tracepoint.ko >relocs &&
	sed -n "/\.klp\.rela\.vmlinux\.__jump_table/,/^\$/p" relocs >jump &&
	test_grep "R_X86_64_PC64 .* \.klp\.sym\.vmlinux\.__tracepoint_signal_generate,0 \+ a$" jump
'

test_expect_success 'the tracepoint fires from the new code while it is live' '
	km_prove_fix "$FIXES/tracepoint/check.sh" tracepoint tracepoint
'

test_expect_success 'a syscall fixed by a plain diff: its wrappers are replaced' '
	km_build_fix "$FIXES/syscall/fix.patch" kmend_syscall syscall syscall &&
	grep -E "^ +(changed|new|carried|replaced) " syscall.err >funcs &&
	printf "%s\n" "    carried  __do_sys_newuname (kernel/sys.c)" \
		"    replaced __x64_sys_newuname (kernel/sys.c)" \
		"    replaced __ia32_sys_newuname (kernel/sys.c)" >expect &&
	test_cmp expect funcs &&
	test_grep "note: .__do_sys_newuname. has no ftrace entry \(notrace\)" syscall.err &&
	modinfo -F kmend_func syscall.ko | sort >klp_funcs &&
	printf "%s\n" "vmlinux:__ia32_sys_newuname,0" "vmlinux:__x64_sys_newuname,0" >expect &&
	test_cmp expect klp_funcs
'

test_expect_success 'uname(2) answers with the fix while it is live' '
	km_prove_fix "$FIXES/syscall/check.sh" syscall syscall
'

test_expect_success 'a fix in a __sched function builds; only its code is carried' '
	km_build_fix "$FIXES/sched-section/fix.patch" kmend_sched sched sched &&
	test_grep "^ +changed +do_nanosleep \(kernel/time/hrtimer.c\)$" sched.err &&
	readelf -sW sched.ko >syms &&
	test_grep " do_nanosleep$" syms &&
	test_grep -v " (schedule_hrtimeout_range|schedule_hrtimeout|hrtimer_nanosleep)$" syms &&
	readelf -SW sched.ko >sections &&
	test_grep " \.sched\.text +PROGBITS " sections
'

test_expect_success 'a nice 19 sleep returns at once while the fix is live' '
	km_prove_fix "$FIXES/sched-section/check.sh" sched sched
'

test_done
