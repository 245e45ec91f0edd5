#!/usr/bin/env bash
# kmend build finds the object a source file ends up in the way Kbuild
# does, on the real Debian kernel source: arch/x86/pci/ is entered from the
# arch Makefile's drivers-y, kernel/sched/deadline.c and rt.c are compiled
# as part of build_policy.o (#include "deadline.c"); a file #included only
# under an option that is off is not built; one kmend cannot place (the
# vDSO) is refused, never taken for "no change".  No VM.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'kmend build places sources as Kbuild does' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
TREE=$KMEND_TEST_CACHE/$KREL/tree

build() {
	"$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" "$@"
}

# make_patch OUT FILE SED-EXPRESSION [FILE SED-EXPRESSION]...: a -p1 diff
# of the kernel's files, each changed by its sed expression
make_patch() {
	local out=$1 f
	shift
	: >"$out"
	while [ $# -ge 2 ]; do
		f=$1
		rm -rf "a/$f" "b/$f"
		mkdir -p "a/$(dirname "$f")" "b/$(dirname "$f")"
		cp "$TREE/$f" "a/$f"
		sed "$2" "$TREE/$f" >"b/$f"
		if cmp -s "a/$f" "b/$f"; then
			echo "sed changed nothing in $f"
			return 1
		fi
		diff -u "a/$f" "b/$f" >>"$out" || test $? -eq 1
		shift 2
	done
}

# functions the build reports, one "status name (where)" a line
reported() {
	sed -n "s/^ \{4\}\(changed\|new\) \{1,\}/\1 /p" "$1"
}

test_expect_success 'prepare the cached tree (reused when present)' '
	build -o warm.ko "$SRC_DIR/examples/cmdline/fix.patch" 2>err
'

# quirk_pcie_aspm_read() is a pci_ops read method: PCI config reads are
# 1, 2 or 4 bytes, so the new test never fires.
test_expect_success 'arch/x86/pci/fixup.c (drivers-y of arch/x86/Makefile) is built and patched' '
	make_patch fixup.patch arch/x86/pci/fixup.c \
		"/^static int quirk_pcie_aspm_read(/,/^}/s/^\treturn raw_pci_read(/\tif (size > 4)\n\t\treturn -EINVAL;\n&/" &&
	"$KMEND" -v build -k "$KREL" --cache "$KMEND_TEST_CACHE" -o fixup.ko fixup.patch 2>err &&
	reported err >funcs &&
	echo "changed quirk_pcie_aspm_read (arch/x86/pci/fixup.c)" >expect &&
	test_cmp expect funcs &&
	test -f fixup.ko &&
	modinfo -F kmend_func fixup.ko >func &&
	echo "vmlinux:quirk_pcie_aspm_read,0" >expect &&
	test_cmp expect func
'

# Kbuild single target builds enter arch/x86 too, whose name starts the
# path: kmend keeps the descent on arch/x86/pci alone.
# Pristine and patched: twice, or once when the pristine object comes
# from the kernel's object cache.
test_expect_success 'fixup.o is compiled at most once a side, from arch/x86/pci' '
	n=$(grep -c "^  CC  *arch/x86/pci/fixup.o$" err) &&
	test "$n" -ge 1 && test "$n" -le 2 &&
	{ grep -E "^  CC +[^ ]*fixup\.o$" err | grep -v "arch/x86/pci/fixup.o" >others || true; } &&
	test ! -s others
'

# runtime == 0 is refused by the DL_SCALE test that follows anyway.
test_expect_success 'kernel/sched/deadline.c, #included by build_policy.c, is patched' '
	make_patch dl.patch kernel/sched/deadline.c \
		"/^bool __checkparam_dl(/,/^}/s/^\tif (attr->sched_deadline == 0)$/\tif (attr->sched_deadline == 0 || attr->sched_runtime == 0)/" &&
	build -o dl.ko dl.patch 2>err &&
	reported err >funcs &&
	echo "changed __checkparam_dl (kernel/sched/deadline.c, in kernel/sched/build_policy.o)" >expect &&
	test_cmp expect funcs &&
	modinfo -F kmend_func dl.ko >func &&
	echo "vmlinux:__checkparam_dl,0" >expect &&
	test_cmp expect func
'

test_expect_success 'fixes to rt.c and deadline.c: one object, both functions' '
	make_patch two.patch \
		kernel/sched/deadline.c "/^bool __checkparam_dl(/,/^}/s/^\tif (attr->sched_deadline == 0)$/\tif (attr->sched_deadline == 0 || attr->sched_runtime == 0)/" \
		kernel/sched/rt.c "/^static int sched_rr_handler(/,/^}/s/^\tstatic DEFINE_MUTEX(mutex);$/&\n\tif (!table)\n\t\treturn -EINVAL;/" &&
	build -o two.ko two.patch 2>err &&
	reported err | sort >funcs &&
	printf "%s\n" \
		"changed __checkparam_dl (kernel/sched/deadline.c, kernel/sched/rt.c, in kernel/sched/build_policy.o)" \
		"changed sched_rr_handler (kernel/sched/deadline.c, kernel/sched/rt.c, in kernel/sched/build_policy.o)" >expect &&
	test_cmp expect funcs
'

test_expect_success 'a file #included only under an option that is off is not built' '
	grep -q "^# CONFIG_SCHED_CORE is not set" "$TREE/obj/.config" &&
	make_patch core.patch kernel/sched/core_sched.c "1s/^/\/* kmend test *\/\n/" &&
	test_expect_code 1 build -o core.ko core.patch 2>err &&
	test_grep "kernel/sched/core_sched.c is not built in $KREL.s configuration: the files that #include it do so only under options" err &&
	test ! -e core.ko
'

test_expect_success 'a file of the vDSO cannot be placed: refused, not "no change"' '
	make_patch vdso.patch arch/x86/entry/vdso/vclock_gettime.c "1s/^/\/* kmend test *\/\n/" &&
	test_expect_code 2 build -o vdso.ko vdso.patch 2>err &&
	test_grep "cannot live patch arch/x86/entry/vdso/vclock_gettime.c: kmend cannot tell which object of $KREL is built from it" err &&
	test_grep -v "no functional change" err &&
	test ! -e vdso.ko
'

test_expect_success 'a file outside the configuration is still named as such' '
	make_patch fdpic.patch fs/binfmt_elf_fdpic.c "1s/^/\/* kmend test *\/\n/" &&
	test_expect_code 1 build -o fdpic.ko fdpic.patch 2>err &&
	test_grep "fs/binfmt_elf_fdpic.c is not built in $KREL.s configuration \(fs/Makefile lists fs/binfmt_elf_fdpic.o only under options" err
'

test_done
