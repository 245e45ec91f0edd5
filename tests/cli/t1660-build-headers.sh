#!/usr/bin/env bash
# kmend build with a changed header, on the real Debian kernel source: the
# units that include it come from the dependency index (built once per
# kernel, kept in the cache), those whose preprocessed code does not change
# are not compiled, the others are compiled and diffed; the pristine
# objects are cached and reused; a macro-only change is no change; a
# change of a struct's layout is refused with the type and member; a
# header included by thousands of units is refused quickly, with the
# count and the option that raises the limit.  No VM.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_kmend_build)
if [ -n "$why" ]; then
	test_skip 'kmend build with changed headers' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
TREE=$KMEND_TEST_CACHE/$KREL/tree
H=include/linux/time_namespace.h

build() {
	"$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" "$@"
}

# make_patch OUT FILE SED-EXPRESSION: a -p1 diff of one kernel file
make_patch() {
	rm -rf a b
	mkdir -p "a/$(dirname "$2")" "b/$(dirname "$2")"
	cp "$TREE/$2" "a/$2"
	sed "$3" "$TREE/$2" >"b/$2"
	if cmp -s "a/$2" "b/$2"; then
		echo "sed changed nothing in $2"
		return 1
	fi
	diff -u "a/$2" "b/$2" >"$1" || test $? -eq 1
}

reported() {
	sed -n "s/^ \{4\}\(changed\|new\) \{1,\}/\1 /p" "$1"
}

test_expect_success 'prepare the cached tree (reused when present)' '
	build -o warm.ko "$SRC_DIR/examples/cmdline/fix.patch" 2>err
'

# timens_add_boottime() is inlined into the boot-time readers.
test_expect_success 'an inline function of a header: its includers, pruned, compiled, diffed' '
	make_patch inline.patch $H \
		"/^static inline void timens_add_boottime(/,/^}/s/^\t\*ts = timespec64_add(.*/&\n\tts->tv_sec += 1000000;/" &&
	build -o inline.ko inline.patch >out 2>&1 &&
	cat out &&
	ls "$KMEND_TEST_CACHE/$KREL"/deps-* &&
	test_grep "^header $H: [0-9]+ units include it, [0-9]+ change, compiling [0-9]+$" out &&
	test_grep "changed +uptime_proc_show [(]$H, in fs/proc/uptime.o[)]" out &&
	test_grep "changed +posix_get_boottime_timespec [(]$H, in kernel/time/posix-timers.o[)]" out &&
	test_grep "no functional change in $H, in fs/proc/array.o" out &&
	test -s inline.ko
'

test_expect_success 'the second build takes every pristine object from the cache' '
	build -o inline2.ko inline.patch >out 2>&1 &&
	n=$(sed -n "s/.*compiling \([0-9]*\)$/\1/p" out) &&
	test_grep "compiling the pristine files [(]$n of $n from the cache[)]" out &&
	test_grep "changed +uptime_proc_show" out &&
	! test_grep "indexing the includes" out
'

test_expect_success 'the index misses no header the compiler read for the cached units' '
	{ python3 "$TEST_DIR/cli/lib/deps_check.py" "$KMEND_TEST_CACHE/$KREL" >check ||
	  { cat check; false; }; } &&
	cat check &&
	test_grep "^[0-9]+ units, [0-9]+ headers read, 0 missing" check
'

test_expect_success 'a header change that only adds a macro changes no unit' '
	make_patch macro.patch $H "s/^#define _LINUX_TIMENS_H$/&\n#define TIMENS_KMEND_UNUSED 1/" &&
	test_expect_code 3 build -o macro.ko macro.patch >out 2>&1 &&
	cat out &&
	test_grep "^header $H: [0-9]+ units include it, 0 change, compiling 0$" out &&
	test_grep "no functional change" out &&
	test ! -e macro.ko
'

test_expect_success 'a header change that moves a struct member is refused with the type and member' '
	make_patch layout.patch $H "s/^struct timens_offsets {$/&\n\tlong kmend_extra;/" &&
	test_expect_code 2 build -o layout.ko layout.patch >out 2>&1 &&
	cat out &&
	test_grep "struct timens_offsets [(]$H[)] changes its layout" out &&
	test_grep "member .monotonic. moves from offset 0 to 8" out &&
	test_grep "member .kmend_extra. is new" out &&
	test_grep "shadow variable" out &&
	test ! -e layout.ko
'

test_expect_success 'include/linux/sched.h: refused at once with the count and the option' '
	make_patch sched.patch include/linux/sched.h "s/^#define _LINUX_SCHED_H$/&\n#define SCHED_KMEND_UNUSED 1/" &&
	start=$(date +%s) &&
	test_expect_code 1 build -o sched.ko sched.patch >out 2>&1 &&
	cat out &&
	test $(( $(date +%s) - start )) -lt 60 &&
	test_grep "header include/linux/sched.h: [0-9]{4} units of $KREL include it" out &&
	test_grep "over the limit of 600 units; raise it with --max-units [0-9]{4}" out &&
	test ! -e sched.ko
'

test_expect_success 'a header only modules include is not taken for one that changes nothing' '
	make_patch mod.patch drivers/net/ethernet/intel/e1000/e1000.h "s/^#define _E1000_H_$/&\n#define E1000_KMEND_UNUSED 1/" &&
	test_expect_code 1 build -o mod.ko mod.patch >out 2>&1 &&
	cat out &&
	test_grep "drivers/net/ethernet/intel/e1000/e1000.h is included by no file built into $KREL.s vmlinux" out
'

test_expect_success '--max-units takes a number above 0' '
	test_expect_code 4 build --max-units 0 inline.patch 2>err &&
	test_grep "invalid --max-units .0." err &&
	test_expect_code 4 build --max-units lots inline.patch 2>err
'

test_done
