# shellcheck shell=bash
# The machinery of the real-fix corpus (tests/fixes), for one kernel: each
# fix of FIXES is built with 'kmend build -k KERNEL' and proved with 'kmend
# test --check' (its check.sh fails before the patch, passes while it is
# loaded, fails after unload), all in one VM boot of KERNEL; each refusal of
# REFUSALS must exit 2 with the message of its 'expect' file (one extended
# regular expression a line).  A fix whose check loads kernel modules names
# them in its 'modules' file (for 'kmend test --with-module').
#
# A fix written against 6.1's source that does not apply to another series'
# has a variant for it next to it: fix-SERIES.patch (funcs-SERIES when what
# kmend lists differs, expect-SERIES for a refusal's message), SERIES being
# the kernel's "6.12"; see tests/fixes/README.md.
# Source after tests/lib.sh and tests/vm/lib/modules.sh.
# shellcheck disable=SC2016 # single-quoted test bodies

CORPUS=$TEST_DIR/fixes
export CORPUS

modname() { echo "kmend_$1" | tr - _; }

# fix_file KERNEL FIX FILE: the corpus file FILE of FIX for KERNEL: its
# variant FILE-SERIES (fix.patch: fix-SERIES.patch) when there is one.
fix_file() {
	local series base=${3%.patch} ext=
	series=$(echo "$1" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
	[ "$base" != "$3" ] && ext=.patch
	if [ -f "$CORPUS/$2/$base-$series$ext" ]; then
		echo "$CORPUS/$2/$base-$series$ext"
	else
		echo "$CORPUS/$2/$3"
	fi
}

# The fixes proved in the VM, in the order they run there, on 6.1 (t3500)
# and 6.12 (t3510): list them here as features land.
FIXES="
	cmdline-string
	meminfo-string
	new-function
	new-globals
	data-new
	data-read-mostly
	static-local
	warn-on
	inline-helper
	constprop
	isra
	line-shift
	export
	ex-table
	ratelimit
	syscall-uname
	static-key-sched
	static-key-psi
	tracepoint
	dyndbg
	module-before
	module-after
	multi-object
	callbacks
	kpatch-macros
	shadow-var
	header-macro
"

# The refusals checked today (used by the scripts that source this file).
# shellcheck disable=SC2034
REFUSALS="
	refuse-asm
	refuse-init
	refuse-notrace
	refuse-ftrace
	refuse-data-init
	refuse-data-size
	refuse-new-file
	refuse-vdso
	refuse-exit
	refuse-livepatch
	refuse-struct-header
"

# run_fixes KERNEL "FIX..." "REFUSAL...": the tests of the corpus on KERNEL.
run_fixes() {
	local k=$1 fixes=$2 refusals=$3 f r
	export FIXES_KREL=$k FIXES=$fixes

	for f in $fixes; do
		test_expect_success "fix $f builds for $k" '
			"$KMEND" build -k "$FIXES_KREL" --cache "$KMEND_TEST_CACHE" \
				-n "$(modname '"$f"')" -o '"$f"'.ko \
				"$(fix_file "$FIXES_KREL" '"$f"' fix.patch)" \
				>'"$f"'.out 2>'"$f"'.err || { cat '"$f"'.err; exit 1; }
			test -f '"$f"'.ko &&
			funcs=$(fix_file "$FIXES_KREL" '"$f"' funcs) &&
			if [ -f "$funcs" ]; then
				grep -E "^ +(changed|new|carried|replaced) " '"$f"'.err | sort >'"$f"'.funcs &&
				sort "$funcs" | test_cmp - '"$f"'.funcs
			fi
		'
	done

	test_expect_success "the corpus runs in one VM boot of $k" '
		mods= &&
		built= &&
		for f in $FIXES; do
			if [ -f $f.ko ]; then mods="$mods $f.ko"; built="$built $f"; fi
		done &&
		test -n "$mods" &&
		km_write_dispatch dispatch.sh "$CORPUS" $built &&
		opts= &&
		for f in $built; do
			[ -f "$CORPUS/$f/modules" ] || continue
			for m in $(cat "$CORPUS/$f/modules"); do opts="$opts --with-module $m"; done
		done &&
		start=$(date +%s) &&
		{ "$KMEND" test -k "$FIXES_KREL" --timeout 900 --show-checks --check dispatch.sh \
			$opts $mods >vm.out 2>vm.err || { cat vm.out vm.err; false; }; } &&
		echo "VM run: $(( $(date +%s) - start )) s for$mods"
	'

	for f in $fixes; do
		test_expect_success "fix $f: check fails before, passes while loaded, fails after" '
			test_grep "^PASS '"$f"'\.ko: check fails before, passes while loaded, fails after unload$" vm.out
		'
	done

	for r in $refusals; do
		test_expect_success "refusal $r: exit 2 with its message, no module" '
			test_expect_code 2 "$KMEND" build -k "$FIXES_KREL" --cache "$KMEND_TEST_CACHE" \
				-o '"$r"'.ko "$(fix_file "$FIXES_KREL" '"$r"' fix.patch)" 2>'"$r"'.err &&
			while IFS= read -r re; do
				test_grep "$re" '"$r"'.err || exit 1
			done <"$(fix_file "$FIXES_KREL" '"$r"' expect)" &&
			test ! -e '"$r"'.ko
		'
	done
}
