#!/usr/bin/env bash
# The differ on real kernel objects, compiled by kmend build from Debian's
# source: a comment that shifts every line of four large files is no
# functional change, and a one-line fix in kernel/fork.c (about 90
# functions) changes exactly the function it touches; moved __LINE__ in
# __init code is no change; pr_debug() sites in changed code.  Blank lines
# and comments that move __LINE__ of runtime code (net/core/dev.c passes it
# to __might_sleep() and __warn_printk()) change nothing: kmend's #line
# directives keep the numbers of untouched lines.  No VM.  t1701 runs it
# on 6.12 (KM_KREL: __dev_alloc_name's "if (!inuse)" is indented once
# there, twice in 6.1, and its code is dev_prep_valid_name.constprop.0's).
# shellcheck disable=SC2016,SC1091,SC2034 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_kernel_build)
if [ -n "$why" ]; then
	test_skip 'the differ on real kernel objects' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
TREE=$KMEND_TEST_CACHE/$KREL/tree
FILES="kernel/fork.c fs/proc/base.c kernel/sys.c mm/mmap.c"
MOVED="$FILES net/core/dev.c"
# The function that holds __dev_alloc_name()'s code: 6.12 inlines it into
# a clone of its caller (its System.map has no __dev_alloc_name).
case $KSERIES in
6.1) ALLOCNAME=__dev_alloc_name ;;
*) ALLOCNAME=dev_prep_valid_name.constprop.0 ;;
esac
export ALLOCNAME

build() {
	"$KMEND" build -k "$KREL" --cache "$KMEND_TEST_CACHE" "$@"
}

# a -p1 diff from the a/ and b/ trees of the listed files
diff_trees() {
	local f
	for f in "$@"; do
		diff -u "a/$f" "b/$f" || test $? -eq 1
	done
}

test_expect_success 'prepare the cached tree (reused when present)' '
	build -o warm.ko "$SRC_DIR/examples/cmdline/fix.patch" 2>err
'

test_expect_success 'shifting every line of four large files changes nothing' '
	for f in $FILES; do
		mkdir -p "a/${f%/*}" "b/${f%/*}" &&
		cp "$TREE/$f" "a/$f" &&
		{ echo "/* a line that moves every __LINE__ */"; cat "$TREE/$f"; } >"b/$f" ||
		exit 1
	done &&
	diff_trees $FILES >shift.patch &&
	test_expect_code 3 build -o shift.ko shift.patch 2>err &&
	for f in $FILES; do
		test_grep "no functional change in $f$" err || exit 1
	done &&
	test_grep "^no functional change: nothing to live patch$" err &&
	test ! -e shift.ko
'

test_expect_success 'a one-line fix in kernel/fork.c changes exactly nr_processes' '
	rm -rf a b && mkdir -p a/kernel b/kernel &&
	cp "$TREE/kernel/fork.c" a/kernel/fork.c &&
	sed "/^int nr_processes(void)/,/^}/s/^\treturn total;/\treturn total > 0 ? total : 1;/" \
		"$TREE/kernel/fork.c" >b/kernel/fork.c &&
	diff_trees kernel/fork.c >fork.patch &&
	test_grep "^\+.return total > 0 \? total : 1;$" fork.patch &&
	mkdir tmp &&
	TMPDIR=$PWD/tmp build --keep -n kmend_fork -o fork.ko fork.patch >out 2>err &&
	grep -E "^ +(changed|new) " err >funcs &&
	printf "    changed  nr_processes (kernel/fork.c)\n" >expect &&
	test_cmp expect funcs &&
	work=$(sed -n "s/^work files kept in //p" err) &&
	case $work in "$PWD"/tmp/*) ;; *) false ;; esac &&
	"$KMEND" diff "$work/orig-0.o" "$work/patched-0.o" >diff.out &&
	printf "changed  nr_processes\n" >expect &&
	test_cmp expect diff.out &&
	readelf -sW "$work/orig-0.o" | grep -c " FUNC " >nfuncs &&
	test "$(cat nfuncs)" -gt 50
'

test_expect_success 'the module replaces nr_processes, found in vmlinux with sympos 0' '
	modinfo -F kmend_func fork.ko >func &&
	echo "vmlinux:nr_processes,0" >expect &&
	test_cmp expect func
'

# add_comments FILE: a comment and a blank line at the top, and a blank line
# and a comment line inside the first function body after line 300
add_comments() {
	awk 'NR == 1 { print "/* kmend: a comment at the top */"; print "" }
		{ print }
		NR > 300 && !done && $0 == "{" {
			print ""; print "\t/* kmend: a comment in a function */"; done = 1
		}' "$TREE/$1"
}

test_expect_success 'blank lines and comments in five files, net/core/dev.c among them, change nothing' '
	rm -rf a b &&
	for f in $MOVED; do
		mkdir -p "a/${f%/*}" "b/${f%/*}" &&
		cp "$TREE/$f" "a/$f" &&
		add_comments "$f" >"b/$f" &&
		test "$(grep -c "kmend: a comment" "b/$f")" -eq 2 ||
		exit 1
	done &&
	diff_trees $MOVED >comments.patch &&
	test_expect_code 3 build -o comments.ko comments.patch 2>err &&
	for f in $MOVED; do
		test_grep "no functional change in $f$" err || exit 1
	done &&
	test_grep -v "^ +changed " err &&
	test ! -e comments.ko
'

test_expect_success 'a comment at the top of net/core/dev.c and a one-line fix change one function' '
	rm -rf a b && mkdir -p a/net/core b/net/core &&
	cp "$TREE/net/core/dev.c" a/net/core/dev.c &&
	{ printf "/* kmend: a comment\n * over two lines */\n\n"; sed "/^static int __dev_alloc_name(/,/^}/s/^\(\t\{1,2\}\)if (!inuse)$/\1if (!inuse || !name[0])/" "$TREE/net/core/dev.c"; } >b/net/core/dev.c &&
	diff_trees net/core/dev.c >allocname.patch &&
	test "$(grep -c "^+" allocname.patch)" -eq 5 &&
	test_grep "^\+[[:space:]]+if \(!inuse \|\| !name\[0\]\)$" allocname.patch &&
	rm -rf tmp && mkdir tmp &&
	TMPDIR=$PWD/tmp build --keep -o allocname.ko allocname.patch 2>err &&
	grep -E "^ +(changed|new) " err >funcs &&
	printf "    changed  %s (net/core/dev.c)\n" "$ALLOCNAME" >expect &&
	test_cmp expect funcs &&
	modinfo -F kmend_func allocname.ko >func &&
	echo "vmlinux:$ALLOCNAME,0" >expect &&
	test_cmp expect func
'

test_expect_success 'the kept view shows the directives and the file as the fix made it' '
	scratch=$(sed -n "s/^scratch tree kept in //p" err) &&
	sed -n 4p "$scratch/src/net/core/dev.c" >line4 &&
	echo "#line 1 \"../net/core/dev.c\"" >expect &&
	test_cmp expect line4 &&
	test_cmp b/net/core/dev.c "$scratch/src/net/core/dev.c.patched" &&
	rm -rf tmp
'

# kernel/params.c: param_sysfs_init() (__init) passes __LINE__ to printk,
# and parse_args() has pr_debug() call sites.
test_expect_success 'moved __LINE__ in __init code is no change' '
	rm -rf a b && mkdir -p a/kernel b/kernel &&
	cp "$TREE/kernel/params.c" a/kernel/params.c &&
	{ echo "/* a line that moves every __LINE__ */"; cat "$TREE/kernel/params.c"; } >b/kernel/params.c &&
	diff_trees kernel/params.c >params-shift.patch &&
	test_expect_code 3 build -o params-shift.ko params-shift.patch 2>err &&
	test_grep "no functional change in kernel/params.c$" err
'

test_expect_success 'a fix in code with pr_debug(): its jump entry names the kernel'"'"'s descriptor' '
	rm -rf b && mkdir -p b/kernel &&
	{ echo "/* a line that moves every __LINE__ */"; sed "/^static int parse_one(/,/^}/s/\t\t\t\treturn -EINVAL;/\t\t\t\treturn -ENOENT;/" "$TREE/kernel/params.c"; } >b/kernel/params.c &&
	diff_trees kernel/params.c >params-fix.patch &&
	test_grep "^\+.*return -ENOENT;$" params-fix.patch &&
	build -o params-fix.ko params-fix.patch 2>err &&
	test_grep "^ +changed +parse_args \(kernel/params.c\)$" err &&
	test_grep -v "stays off" err &&
	test_grep "\(1 function replaced\)" err &&
	readelf -rW params-fix.ko >relocs &&
	sed -n "/\.klp\.rela\.vmlinux\.__jump_table/,/^\$/p" relocs >jump &&
	test_grep "R_X86_64_PC64 .* \.klp\.sym\.vmlinux\.__UNIQUE_ID_ddebug[0-9.]+,0 \+ 2a" jump
'

test_done
