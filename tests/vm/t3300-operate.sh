#!/usr/bin/env bash
# Operating live patches on the real kernel, in one VM boot (kmend test
# --script tests/vm/lib/operate-scenario.sh): bad input refused with
# nothing changed, stacked patches unloaded in either order, an atomic
# replace retiring two patches, a task sleeping in a replaced function
# reported, signalled and switched, the deadline reverting a patch that a
# task in an uninterruptible sleep holds up, loading during a transition,
# 'kmend blocking', 'kmend status', and 50 load/unload cycles while four
# processes call the patched function.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"
. "$TEST_DIR/vm/lib/operate.sh"

why=$(km_why_no_vm)
if [ -n "$why" ]; then
	test_skip 'operating live patches in the VM' "$why"
	test_done
	exit
fi

test_expect_success 'build the target module, its patch, three version patches' '
	km_write_target . &&
	km_write_text_patch . ver_a "patched by ver_a" 0 &&
	km_write_text_patch . ver_b "patched by ver_b" 0 &&
	km_write_text_patch . ver_c "patched by ver_c" 1 &&
	km_write_plain_module . kmend_plain &&
	echo "obj-m := kmend_target.o kmend_target_fix.o ver_a.o ver_b.o ver_c.o kmend_plain.o" >Kbuild &&
	km_build_modules "$PWD"
'

test_expect_success 'bad modules: truncated, corrupt, for another kernel' '
	head -c 3000 ver_a.ko >truncated.ko &&
	cp ver_a.ko corrupt.ko &&
	printf "\377\377\377\377\377\377\377\377" |
		dd of=corrupt.ko bs=1 seek=40 conv=notrunc 2>/dev/null &&
	LC_ALL=C sed "s/$KREL/6.1.0-99-amd64/g" ver_a.ko >other.ko &&
	test "$(modinfo -F vermagic other.ko | cut -d" " -f1)" = 6.1.0-99-amd64
'

CMD_MODULES=
if [ -z "$(km_why_no_kmend_build)" ]; then
	export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
	test_expect_success 'kmend build --replace writes a cumulative patch' '
		km_build_fix "$SRC_DIR/examples/cmdline/fix.patch" kmend_cmd_a cmd_a cmd_a &&
		"$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" --replace \
			-n kmend_cmd_r -o kmend_cmd_r.ko \
			"$SRC_DIR/examples/cmdline/fix.patch" 2>err &&
		mv cmd_a.ko kmend_cmd_a.ko &&
		test "$(modinfo -F kmend_replace kmend_cmd_r.ko)" = Y &&
		test -z "$(modinfo -F kmend_replace kmend_cmd_a.ko)"
	'
	CMD_MODULES="kmend_cmd_a.ko kmend_cmd_r.ko"
fi

test_expect_success 'the scenario passes in the VM, and the kernel log is clean' '
	{ "$KMEND" test -k "$KREL" --timeout 900 \
		--script "$TEST_DIR/vm/lib/operate-scenario.sh" \
		kmend_target.ko kmend_target_fix.ko ver_a.ko ver_b.ko ver_c.ko \
		kmend_plain.ko truncated.ko corrupt.ko other.ko $CMD_MODULES \
		>out 2>err || { cat out err; exit 1; }; } &&
	test_grep "^PASS script$" out &&
	test_grep -v "not ok" out &&
	grep "figure" out >&2
'

for what in \
	"bad input: a truncated module (exit 1, nothing changed)" \
	"bad input: a corrupt module (exit 1, nothing changed)" \
	"bad input: a module that is not a live patch (exit 1, nothing changed)" \
	"bad input: a patch for another kernel (exit 1, nothing changed)" \
	"bad input: unloading an unknown name (exit 1, nothing changed)" \
	"bad input: loading the same patch twice (exit 1, nothing changed)" \
	"stacked: unloading the lower one keeps the upper one" \
	"stacked: unloading the upper one first falls back to the lower one" \
	"replace: ver_a and ver_b are retired and their modules removed" \
	${CMD_MODULES:+"build --replace: it retired kmend_cmd_a and ver_a, modules removed"} \
	"sleeping task: kmend names it by pid, comm and the replaced function" \
	"sleeping task: kmend signalled it" \
	"sleeping task: its read restarted in the new function" \
	"blocking: lists the sleeping task with its stack" \
	"loading while another transition is in progress: exit 1, refused" \
	"deadline: exit 6" \
	"deadline: reverted and removed, the kernel as it was" \
	"50 cycles under load: all done" \
	"50 cycles under load: every call returned the old or the new text" \
	"kernel log clean"
do
	test_expect_success "in the VM: $what" '
		grep -F -- " - $what" out >line &&
		test_grep "^  ok " line
	'
done

test_done
