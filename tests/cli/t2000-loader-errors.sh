#!/usr/bin/env bash
# kmend load, unload, list and info on the host: usage errors, missing
# files, a kernel without livepatch, unknown names, and the listing of a
# fake /sys/kernel/livepatch tree (KMEND_LIVEPATCH_SYSFS).
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"

test_expect_success 'usage errors exit 4' '
	test_expect_code 4 "$KMEND" load &&
	test_expect_code 4 "$KMEND" load a.ko b.ko &&
	test_expect_code 4 "$KMEND" load --timeout nope a.ko &&
	test_expect_code 4 "$KMEND" load --timeout 0 a.ko &&
	test_expect_code 4 "$KMEND" load --bogus a.ko &&
	test_expect_code 4 "$KMEND" unload &&
	test_expect_code 4 "$KMEND" unload --timeout -1 x &&
	test_expect_code 4 "$KMEND" list extra &&
	test_expect_code 4 "$KMEND" list --bogus &&
	test_expect_code 4 "$KMEND" info &&
	test_expect_code 4 "$KMEND" info a b &&
	test_expect_code 4 "$KMEND" test &&
	test_expect_code 4 "$KMEND" test --timeout x a.ko
'

test_expect_success '-h prints the usage of each command and exits 0' '
	for cmd in load unload list info test; do
		"$KMEND" $cmd -h >out &&
		test_grep "^usage: kmend $cmd" out || exit 1
	done
'

test_expect_success 'a usage error says what was wrong' '
	test_expect_code 4 "$KMEND" load --timeout nope a.ko 2>err &&
	test_grep "invalid --timeout .nope.: give a number of seconds" err &&
	test_grep "^usage: kmend load" err
'

test_expect_success 'load of a missing file names the file' '
	test_expect_code 1 "$KMEND" load no-such.ko 2>err &&
	test_grep "^kmend: error: cannot open .no-such.ko.: no such file or directory$" err
'

test_expect_success 'load of a file that is not a module' '
	echo hello >not-elf.ko &&
	test_expect_code 1 "$KMEND" load not-elf.ko 2>err &&
	test_grep "cannot read .not-elf.ko.: not an ELF file" err
'

test_expect_success 'info of a missing module file names the file' '
	test_expect_code 1 "$KMEND" info gone.ko 2>err &&
	test_grep "cannot open .gone.ko.: no such file or directory" err
'

test_expect_success 'no livepatch in the kernel: unload, list and info say so' '
	export KMEND_LIVEPATCH_SYSFS=$PWD/missing &&
	msg="livepatch is not enabled in this kernel \(no $PWD/missing\)" &&
	test_expect_code 1 "$KMEND" unload foo 2>err &&
	test_grep "^kmend: error: cannot unload .foo.: $msg$" err &&
	test_expect_code 1 "$KMEND" list 2>err &&
	test_grep "^kmend: error: cannot list live patches: $msg$" err &&
	test_expect_code 1 "$KMEND" info foo 2>err &&
	test_grep "^kmend: error: cannot show .foo.: $msg$" err
'

if [ -d /sys/kernel/livepatch ]; then
	test_skip 'this host: no /sys/kernel/livepatch' 'the host kernel has livepatch'
else
	test_expect_success 'this host: no /sys/kernel/livepatch, exact message' '
		unset KMEND_LIVEPATCH_SYSFS &&
		test_expect_code 1 "$KMEND" list 2>err &&
		echo "kmend: error: cannot list live patches: livepatch is not enabled in this kernel (no /sys/kernel/livepatch)" >want &&
		test_cmp want err
	'
fi

# A tree shaped like /sys/kernel/livepatch with two patches.
make_fake_sysfs() {
	local s=$1
	mkdir -p "$s/livepatch_sample/vmlinux/cmdline_proc_show,1" \
		"$s/fix_two/vmlinux/do_one,1" "$s/fix_two/ext4/ext4_two,2"
	echo 1 >"$s/livepatch_sample/enabled"
	echo 0 >"$s/livepatch_sample/transition"
	echo 1 >"$s/livepatch_sample/vmlinux/patched"
	echo 1 >"$s/fix_two/enabled"
	echo 1 >"$s/fix_two/transition"
}

test_expect_success 'unload and info of an unknown name' '
	make_fake_sysfs sysfs &&
	export KMEND_LIVEPATCH_SYSFS=$PWD/sysfs &&
	test_expect_code 1 "$KMEND" unload nope 2>err &&
	echo "kmend: error: no live patch named '\''nope'\'' is loaded; see '\''kmend list'\''" >want &&
	test_cmp want err &&
	test_expect_code 1 "$KMEND" info nope 2>err &&
	test_cmp want err
'

test_expect_success 'a name cannot walk out of the livepatch directory' '
	export KMEND_LIVEPATCH_SYSFS=$PWD/sysfs &&
	test_expect_code 1 "$KMEND" unload .. 2>err &&
	test_grep "no live patch named .\.\.. is loaded" err
'

test_expect_success 'list shows each patch, its state and its functions' '
	export KMEND_LIVEPATCH_SYSFS=$PWD/sysfs &&
	"$KMEND" list >out &&
	cat >want <<-\EOF &&
	fix_two: enabled, patching in transition
	  ext4:ext4_two,2
	  vmlinux:do_one,1
	livepatch_sample: enabled
	  vmlinux:cmdline_proc_show,1
	EOF
	test_cmp want out
'

test_expect_success 'list --json' '
	export KMEND_LIVEPATCH_SYSFS=$PWD/sysfs &&
	"$KMEND" list --json >out &&
	cat >want <<-\EOF &&
	[{"name":"fix_two","enabled":true,"transition":true,"functions":[{"object":"ext4","function":"ext4_two","sympos":2},{"object":"vmlinux","function":"do_one","sympos":1}]},{"name":"livepatch_sample","enabled":true,"transition":false,"functions":[{"object":"vmlinux","function":"cmdline_proc_show","sympos":1}]}]
	EOF
	test_cmp want out &&
	if command -v python3 >/dev/null; then python3 -m json.tool out >/dev/null; fi
'

test_expect_success 'list of no patches: nothing, and [] in JSON' '
	mkdir -p empty &&
	export KMEND_LIVEPATCH_SYSFS=$PWD/empty &&
	"$KMEND" list >out 2>err &&
	test ! -s out &&
	test_grep "no live patches are loaded" err &&
	"$KMEND" -q list 2>err && test ! -s err &&
	"$KMEND" list --json >out &&
	echo "[]" >want && test_cmp want out
'

test_expect_success 'info NAME of a loaded patch, plain and JSON' '
	export KMEND_LIVEPATCH_SYSFS=$PWD/sysfs &&
	"$KMEND" info livepatch_sample >out &&
	cat >want <<-\EOF &&
	name:       livepatch_sample
	enabled:    yes
	transition: done
	function:   vmlinux:cmdline_proc_show,1
	EOF
	test_cmp want out &&
	"$KMEND" info --json fix_two >out &&
	test_grep "^\{\"name\":\"fix_two\",\"enabled\":true,\"transition\":true," out
'

test_expect_success 'unload NAME-WITH-DASHES disables the patch, then removes the module' '
	export KMEND_LIVEPATCH_SYSFS=$PWD/sysfs &&
	"$KMEND" unload livepatch-sample 2>err || :
	echo 0 >want && test_cmp want sysfs/livepatch_sample/enabled &&
	test_grep "disabled .livepatch_sample., waiting for the unpatching transition" err &&
	if [ ! -e /proc/modules ]; then
		test_grep "cannot remove module .livepatch_sample.: function not implemented" err
	fi
'

test_expect_success 'unload whose transition does not finish: timeout, re-enabled, exit 6' '
	export KMEND_LIVEPATCH_SYSFS=$PWD/sysfs &&
	test_expect_code 6 "$KMEND" unload --timeout 0.5 fix_two 2>err &&
	test_grep "cannot unload .fix_two.: the unpatching transition did not finish within 0.5 s; re-enabling it" err &&
	echo 1 >want && test_cmp want sysfs/fix_two/enabled
'

test_done
