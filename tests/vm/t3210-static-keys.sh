#!/usr/bin/env bash
# Static keys in changed code, in the VM: a tracepoint the kernel does not
# export is written as a livepatch relocation of __jump_table, which 6.1
# resolves while the module loads, before it reads the entry; enabling the
# event then switches the new code's tracepoint on too.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

FIXES=$TEST_DIR/vm/fixes
why=$(km_why_no_vm)
[ -z "$why" ] && why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'static keys and tracepoints in changed code' "$why"
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

test_done
