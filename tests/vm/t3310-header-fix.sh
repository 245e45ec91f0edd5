#!/usr/bin/env bash
# A fix in a header, proven live: include/linux/time_namespace.h's inline
# timens_add_boottime() changes; kmend build finds the units that include
# the header (the dependency index), compiles those whose code changes,
# and replaces the functions it was inlined into in two of them
# (uptime_proc_show in fs/proc/uptime.c, do_sysinfo in kernel/sys.c); in
# the VM, /proc/uptime and sysinfo(2) show the new time while the patch is
# loaded and the old one before and after.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

FIXES=$TEST_DIR/vm/fixes
why=$(km_why_no_vm)
[ -z "$why" ] && why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'a header fix proven live' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
H=include/linux/time_namespace.h

test_expect_success 'a fix of an inline function in a header builds' '
	km_build_fix "$FIXES/header-inline/fix.patch" kmend_header_inline \
		header_inline header_inline &&
	cat header_inline.err &&
	test_grep "^header $H: [0-9]+ units include it, [0-9]+ change, compiling [0-9]+$" header_inline.err &&
	test_grep "^ +changed +uptime_proc_show [(]$H, in fs/proc/uptime.o[)]$" header_inline.err &&
	test_grep "^ +changed +do_sysinfo[.a-z0-9]* [(]$H, in kernel/sys.o[)]$" header_inline.err &&
	"$KMEND" info header_inline.ko >info &&
	test_grep "uptime_proc_show" info
'

test_expect_success 'the header fix is live in both units, and gone after unload' '
	km_prove_fix "$FIXES/header-inline/check.sh" header_inline header_inline &&
	cat header_inline.test
'

test_done
