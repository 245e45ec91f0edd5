#!/usr/bin/env bash
# The corpus of tests/fixes (issue 7): real fixes against Debian's 6.1
# source, modelled on the well-known live patch test fixes.  Each fix that
# is listed in FIXES below is built with 'kmend build' and proved with
# 'kmend test --check' (its check.sh fails before the patch, passes while
# it is loaded, fails after unload), all in one VM boot; each refusal of
# REFUSALS must exit 2 with the message of its 'expect' file (one extended
# regular expression a line).  A fix whose check loads kernel modules names
# them in its 'modules' file (for 'kmend test --with-module').
# tests/fixes/README.md says what each one exercises, and why the fixes
# not listed here do not build or pass yet: list them as features land.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

# The fixes proved in the VM today, in the order they run there.
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

# The refusals checked today.
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


CORPUS=$TEST_DIR/fixes
why=$(km_why_no_vm)
[ -z "$why" ] && why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'the corpus of real fixes builds, loads and passes' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
export CORPUS FIXES

modname() { echo "kmend_$1" | tr - _; }

# write_dispatch OUT FIX...: one check script for the whole VM run.  kmend
# test runs the same script before, while and after each module, in the
# order of the modules; this one tells which fix and which step it is at
# (a live patch is listed in /sys/kernel/livepatch only while loaded) and
# runs that fix's check.sh, which it carries.
write_dispatch() {
	local out=$1 f
	shift
	{
		echo '#!/bin/sh'
		echo '# Written by t3500-fixes.sh: runs the check of the fix at hand.'
		echo 'mkdir -p /tmp/kmend-checks'
		for f in "$@"; do
			echo "cat >/tmp/kmend-checks/$f.sh <<'KMEND_CHECK_EOF'"
			cat "$CORPUS/$f/check.sh"
			echo 'KMEND_CHECK_EOF'
		done
		echo "set -- $*"
		cat <<'EOF'
st=/tmp/kmend-checks/state
lp=$(ls /sys/kernel/livepatch 2>/dev/null | head -n 1)
if [ ! -f $st ]; then
	idx=0 now=before
else
	read -r idx last <$st
	if [ -n "$lp" ]; then
		now=loaded
	elif [ "$last" = loaded ]; then
		now=after
	else
		idx=$((idx + 1)) now=before
	fi
fi
echo "$idx $now" >$st
i=0
for f; do
	[ $i -eq "$idx" ] && fix=$f
	i=$((i + 1))
done
want=kmend_$(echo "$fix" | tr - _)
if [ -n "$lp" ] && [ "$lp" != "$want" ]; then
	echo "dispatch: live patch '$lp' is loaded, expected '$want'"
	exit 3
fi
echo "dispatch: $fix, $now"
sh /tmp/kmend-checks/$fix.sh
EOF
	} >"$out"
	chmod +x "$out"
}

for f in $FIXES; do
	test_expect_success "fix $f builds" '
		km_build_fix "$CORPUS/'"$f"'/fix.patch" "$(modname '"$f"')" \
			"'"$f"'" "'"$f"'" &&
		test -f '"$f"'.ko &&
		if [ -f "$CORPUS/'"$f"'/funcs" ]; then
			grep -E "^ +(changed|new|carried|replaced) " '"$f"'.err | sort >'"$f"'.funcs &&
			sort "$CORPUS/'"$f"'/funcs" | test_cmp - '"$f"'.funcs
		fi
	'
done

test_expect_success 'the corpus runs in one VM boot' '
	mods= &&
	built= &&
	for f in $FIXES; do
		if [ -f $f.ko ]; then mods="$mods $f.ko"; built="$built $f"; fi
	done &&
	test -n "$mods" &&
	write_dispatch dispatch.sh $built &&
	opts= &&
	for f in $built; do
		[ -f "$CORPUS/$f/modules" ] || continue
		for m in $(cat "$CORPUS/$f/modules"); do opts="$opts --with-module $m"; done
	done &&
	start=$(date +%s) &&
	{ "$KMEND" test -k "$KREL" --timeout 900 --show-checks --check dispatch.sh \
		$opts $mods >vm.out 2>vm.err || { cat vm.out vm.err; false; }; } &&
	echo "VM run: $(( $(date +%s) - start )) s for$mods"
'

for f in $FIXES; do
	test_expect_success "fix $f: check fails before, passes while loaded, fails after" '
		test_grep "^PASS '"$f"'\.ko: check fails before, passes while loaded, fails after unload$" vm.out
	'
done

for r in $REFUSALS; do
	test_expect_success "refusal $r: exit 2 with its message, no module" '
		test_expect_code 2 "$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" \
			-o '"$r"'.ko "$CORPUS/'"$r"'/fix.patch" 2>'"$r"'.err &&
		while IFS= read -r re; do
			test_grep "$re" '"$r"'.err || exit 1
		done <"$CORPUS/'"$r"'/expect" &&
		test ! -e '"$r"'.ko
	'
done

test_done
