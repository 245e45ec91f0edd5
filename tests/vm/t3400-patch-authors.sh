#!/usr/bin/env bash
# What patch authors write, built by kmend build and proven in the VM:
#   callbacks:      <kmend/livepatch.h> callbacks of vmlinux; post_patch sets
#                   a sysctl value, post_unpatch restores it (no function
#                   is replaced: the callbacks are the whole fix)
#   shadow-newpid:  a shadow variable per task, shown in /proc/PID/status,
#                   freed with the task and by a post_unpatch callback
#   kpatch-macros:  a patch written for kpatch ("kpatch-macros.h":
#                   callbacks on patch_object, KPATCH_PRINTK,
#                   KPATCH_IGNORE_FUNCTION), unchanged
#   namespace:      new code calling an export of namespace DMA_BUF: the
#                   module imports it (modpost and the loader demand it)
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

FIXES=$TEST_DIR/vm/fixes
why=$(km_why_no_vm)
[ -z "$why" ] && why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'callbacks, shadow variables, kpatch-macros.h, namespaces' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}

build_fix() { km_build_fix "$FIXES/$1/fix.patch" "kmend_$2" "$2" "$2"; }
prove_fix() { km_prove_fix "$FIXES/$1/check.sh" "$2" "$2"; }

test_expect_success 'callbacks are new code, registered in the vmlinux klp_object' '
	build_fix callbacks callbacks &&
	grep -E "^ +(changed|new|callback) " callbacks.err | sort >got &&
	sort >expect <<-EOF &&
	    callback post_patch kmend_post_patch (vmlinux)
	    callback post_unpatch kmend_post_unpatch (vmlinux)
	    callback pre_patch kmend_pre_patch (vmlinux)
	    callback pre_unpatch kmend_pre_unpatch (vmlinux)
	    new      kmend_post_patch (fs/proc/cmdline.c)
	    new      kmend_post_unpatch (fs/proc/cmdline.c)
	    new      kmend_pre_patch (fs/proc/cmdline.c)
	    new      kmend_pre_unpatch (fs/proc/cmdline.c)
	EOF
	test_cmp expect got &&
	test_grep "^wrote callbacks.ko \(0 functions replaced, callbacks\)" callbacks.err &&
	readelf -SW callbacks.ko >sections &&
	grep -v " \.kmend\.proof " sections >author-sections &&
	test_grep -v "\.kmend\." author-sections
'

test_expect_success 'post_patch sets the value while live, post_unpatch restores it' '
	prove_fix callbacks callbacks
'

test_expect_success 'a shadow variable fix builds, with its post_unpatch callback' '
	build_fix shadow-newpid newpid &&
	grep -E "^ +(changed|callback) " newpid.err | sort >got &&
	sort >expect <<-EOF &&
	    callback post_unpatch kmend_free_newpids (vmlinux)
	    changed  proc_pid_status (fs/proc/array.c)
	    changed  release_task (kernel/exit.c)
	EOF
	test_cmp expect got &&
	readelf -sW newpid.ko >syms &&
	test_grep " UND klp_shadow_get$" syms &&
	test_grep " UND klp_shadow_free_all$" syms
'

test_expect_success 'each task has its number while live, none after unload' '
	prove_fix shadow-newpid newpid
'

test_expect_success 'a patch written for kpatch with kpatch-macros.h builds unchanged' '
	grep -q "^+#include \"kpatch-macros.h\"$" "$FIXES/kpatch-macros/fix.patch" &&
	build_fix kpatch-macros kpatch &&
	test_grep "note: ignored function .arch_report_meminfo. of fs/proc/meminfo.c" kpatch.err &&
	test_grep -v "changed  arch_report_meminfo" kpatch.err &&
	test_grep "^ +changed +meminfo_proc_show \(fs/proc/meminfo.c\)$" kpatch.err &&
	test_grep "^ +callback pre_patch kpatch_pre_patch \(vmlinux\)$" kpatch.err &&
	test_grep "^ +callback post_unpatch kpatch_post_unpatch \(vmlinux\)$" kpatch.err
'

test_expect_success 'the kpatch-style fix works: its text and its callbacks' '
	prove_fix kpatch-macros kpatch
'

test_expect_success 'new code calling a namespaced export imports the namespace' '
	build_fix namespace ns &&
	test_grep "^ +imports symbol namespace DMA_BUF$" ns.err &&
	modinfo -F import_ns ns.ko >ns &&
	echo DMA_BUF >expect &&
	test_cmp expect ns
'

test_expect_success 'the kernel loads it, and the namespaced call works' '
	prove_fix namespace ns
'

test_done
