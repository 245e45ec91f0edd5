#!/usr/bin/env bash
# Equivalence self-check of the differ on real kernel files (kernel/fork.c,
# fs/proc/base.c, kernel/sys.c, mm/mmap.c), against an oracle that shares
# no code with it, so that a differ that misses a change or invents one
# cannot pass ("No wrong live patch"):
#  - a rewrite that changes only whitespace, comments and line positions
#    (blank lines and comments in function bodies, comments at the end of
#    statements, continuation lines indented again) is no functional
#    change.  This needs the patched file compiled with #line directives,
#    so that untouched lines keep their numbers: until then, moved
#    __LINE__ values (WARN_ON entries, lockdep keys) make it fail.
#  - asm volatile("nop") as the first statement of every replaceable
#    function: every function whose code objdump -dr shows changed (once
#    addresses and the compiler's numbers are taken out) is listed.  The
#    only listings objdump does not see are foo.cold parts whose foo
#    changed: a cold part travels with its parent (docs/kmend-diff.md);
#    with kernel 6.1.0-56 these are proc_pid_cmdline_read.cold (base.c) and
#    __x64_sys_gethostname.cold and __ia32_sys_gethostname.cold (sys.c);
#    6.12.117's objects have no .cold parts at all (its System.map has
#    none), so there every listing is one objdump sees (t1703).
#  - a format string changed, at the same length: objdump sees no code
#    change at all, but the function that prints it is listed (strings are
#    compared by content);
#  - two file-scope statics swapped: their addresses swap in the code that
#    uses them (objdump sees that), and it is no functional change.
# Three kmend builds, about 90 s in all on two cores.  No VM.
# shellcheck disable=SC2016,SC1091,SC2034 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/vm/lib/modules.sh"

why=$(km_why_no_kernel_build)
if [ -n "$why" ]; then
	test_skip 'the differ against objdump on real kernel objects' "$why"
	test_done
	exit
fi
export KMEND_TEST_CACHE=${KMEND_TEST_CACHE:-$HOME/.cache/kmend}
TREE=$KMEND_TEST_CACHE/$KREL/tree
FILES="kernel/fork.c fs/proc/base.c kernel/sys.c mm/mmap.c"
# What a changed string in reserve_mem_notifier() changes: with 6.1, gcc
# split its pr_info() off into a .cold part; 6.12's objects have none.
case $KSERIES in
6.1) NOTIFIER="reserve_mem_notifier reserve_mem_notifier.cold" ;;
*) NOTIFIER=reserve_mem_notifier ;;
esac
# The least number of lines the reformatting adds or changes in each file:
# 6.12 moved half of mm/mmap.c into mm/vma.c (741 lines there, over 900 in
# each file of 6.1).
case $KSERIES in
6.1) REFORMAT_MIN=900 ;;
*) REFORMAT_MIN=700 ;;
esac
export NOTIFIER REFORMAT_MIN

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

# rewrite PROGRAM FILE [AWK-ARGS...]: a/FILE from the tree, b/FILE from awk
rewrite() {
	local prog=$1 f=$2
	shift 2
	mkdir -p "a/${f%/*}" "b/${f%/*}" &&
	cp "$TREE/$f" "a/$f" &&
	awk "$@" -f "$TRASH/$prog" "$TREE/$f" "$TREE/$f" >"b/$f"
}

# the C tokens of a file, one line of them per line of text, without
# comments, blank lines or changes of spacing
tokens() {
	gcc -fpreprocessed -dD -E -P "$1" 2>/dev/null |
	sed -e 's/[[:space:]]\{1,\}/ /g' -e 's/^ //' -e 's/ $//' | grep -v '^$'
}

# kept_pair WORK FILE: "ORIG.o PATCHED.o", the objects kmend build kept
# for FILE (found by the pristine object's file symbol)
kept_pair() {
	local o
	for o in "$1"/orig-*.o; do
		if readelf -sW "$o" | awk -v f="${2##*/}" '$4 == "FILE" && $8 == f { found = 1 } END { exit !found }'; then
			echo "$o $1/patched-${o##*/orig-}"
			return 0
		fi
	done
	echo "no objects for $2 in $1" >&2
	return 1
}

# listed FILE ERR: the functions kmend build listed for FILE, sorted
listed() {
	sed -n "s#^ *\(changed\|new\) *\([^ ]*\) ($1)\$#\2#p" "$2" | sort
}

# changed_code ORIG.o PATCHED.o: the oracle, the run-time functions whose
# normalised disassembly differs or that only PATCHED.o has, sorted
changed_code() {
	objdump -d --no-show-raw-insn -r "$1" | awk -f "$TRASH/normalise.awk" >"$1.code" &&
	objdump -d --no-show-raw-insn -r "$2" | awk -f "$TRASH/normalise.awk" >"$2.code" &&
	awk '{ tab = index($0, "\t"); name = substr($0, 1, tab - 1); body = substr($0, tab + 1) }
	     NR == FNR { code[name] = body; next }
	     !(name in code) || code[name] != body { print name }' "$1.code" "$2.code" | sort
}

# Whitespace, comments and line positions only: blank lines and comments
# after statements at parenthesis depth 0, comments at the end of some
# statements, some continuation lines indented once more.  Never in
# preprocessor lines or block comments, nor inside parentheses (a macro's
# arguments), and never a changed line right after added ones (an added
# blank line can slide down over blank lines in the diff): each run of
# the diff then starts where the lines of both files agree.
cat >"$TRASH/reformat.awk" <<'EOF'
function strip(s,    out, c, i, q) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (incomment) {
			if (substr(s, i, 2) == "*/") { incomment = 0; i++ }
			continue
		}
		if (q != "") {
			if (c == "\\") i++
			else if (c == q) q = ""
			continue
		}
		if (substr(s, i, 2) == "/*") { incomment = 1; i++; continue }
		if (substr(s, i, 2) == "//") break
		if (c == "\"" || c == "'") { q = c; continue }
		out = out c
	}
	return out
}
NR == FNR { next }
{
	startcomment = incomment
	code = strip($0)
	pre = cont || code ~ /^[ \t]*#/
	cont = $0 ~ /\\$/
	before = depth
	depth += gsub(/\(/, "(", code) - gsub(/\)/, ")", code)
	added = 0
	if (!pre && !startcomment && !incomment && before == 0 && depth == 0 &&
	    code ~ /[;{}][ \t]*$/) {
		n++
		if (n % 6 == 1 && !justadded && code ~ /;[ \t]*$/ && $0 !~ /\/[\/*]/)
			print $0 " /* equivalence " n " */"
		else
			print
		if (n % 6 == 0) {
			print ""
			added = 1
		} else if (n % 6 == 3) {
			match($0, /^[ \t]*/)
			print substr($0, 1, RLENGTH) "/* equivalence: a comment of its own, " n " */"
			added = 1
		} else if (n % 6 == 4) {
			print ""
			print ""
			added = 1
		}
	} else if (!pre && !startcomment && before > 0 && lastcomma &&
		   $0 ~ /^\t/ && !justadded && ++m % 5 == 0) {
		print "\t" $0
	} else {
		print
	}
	lastcomma = !pre && code ~ /,[ \t]*$/
	if (added)
		justadded = 1
	else if ($0 ~ /[^ \t]/)
		justadded = 0
}
EOF

# objdump -dr of a pristine object -> the functions livepatch cannot
# replace (in a section shared with another function, in a section other
# than .text.NAME, or without a __fentry__ call first), under the name of
# their source: clone suffixes dropped, a system call's body and stubs as
# SYSCALL:name or COMPAT_SYSCALL:name.  Reads readelf -sW first.
cat >"$TRASH/roots.awk" <<'EOF'
function source_name(f) {
	if (sub(/^__(do|se|x64|ia32)_sys_/, "", f))
		f = "SYSCALL:" f
	else if (sub(/^__(do|se|x64|ia32)_compat_sys_/, "", f))
		f = "COMPAT_SYSCALL:" f
	sub(/\.(isra|constprop|part|cold)(\.[0-9]+)?.*$/, "", f)
	return f
}
NR == FNR {
	if ($4 == "FUNC") {
		nsyms[$7]++
		ndx[$8] = $7
	}
	next
}
/^Disassembly of section / {
	sec = $4
	sub(/:$/, "", sec)
	next
}
/^[0-9a-f]+ <.*>:$/ {
	name = $2
	sub(/^</, "", name)
	sub(/>:$/, "", name)
	secof[name] = sec
	insns = 0
	next
}
/^[ \t]+[0-9a-f]+:\t/ { insns++ }
insns <= 2 && /R_X86_64_PLT32[ \t]+__fentry__-0x4$/ { fentry[name] = 1 }
END {
	for (f in ndx)
		if (nsyms[ndx[f]] > 1)
			print source_name(f)
	for (f in secof)
		if (f !~ /\.cold$/ && (secof[f] !~ /^\.text\./ || !(f in fentry)))
			print source_name(f)
}
EOF

# asm volatile("nop"); as the first statement of every function body that
# runs as replaceable code: a line that is exactly "{" after a signature
# ending in ")".  Not in the functions named in ROOTS (from roots.awk),
# nor in __init, __meminit, __exit, __ref, noinstr or notrace ones, nor
# in any function these call, directly or not (it may be inlined there,
# and the differ would rightly refuse the patch before listing).  On the
# line of the "{", so that no line moves.  Reads the file twice: the
# first pass finds the calls.
cat >"$TRASH/nop.awk" <<'EOF'
function is_body_start() {
	return $0 == "{" && sig ~ /\)[ \t]*$/
}
function note_signature() {
	if ($0 ~ /^#/)
		return
	if ($0 ~ /^[ \t]*$/ || $0 ~ /[;{}\\][ \t]*$/ || $0 ~ /\*\/[ \t]*$/)
		sig = ""
	else
		sig = sig " " $0
}
function name_of(s,    n) {
	if (!match(s, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\([ \t]*[A-Za-z0-9_]*/))
		return ""
	s = substr(s, RSTART, RLENGTH)
	n = s
	sub(/[ \t]*\(.*/, "", n)
	if (n !~ /^(COMPAT_)?SYSCALL_DEFINE[0-6]$/)
		return n
	sub(/SYSCALL_DEFINE.*\([ \t]*/, "SYSCALL:", s)
	return s
}
BEGIN {
	n = split(roots, r, " ")
	for (i = 1; i <= n; i++)
		excluded[r[i]] = 1
}
NR == FNR {
	if (fn != "") {
		if ($0 == "}") {
			fn = ""
			next
		}
		line = $0
		while (match(line, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/)) {
			callee = substr(line, RSTART, RLENGTH)
			sub(/[ \t]*\($/, "", callee)
			calls[fn, ++ncalls[fn]] = callee
			line = substr(line, RSTART + RLENGTH)
		}
		next
	}
	if (is_body_start()) {
		fn = name_of(sig)
		if (sig ~ /(^|[^A-Za-z0-9_])(__init|__meminit|__exit|__ref|noinstr|notrace)([^A-Za-z0-9_]|$)/)
			excluded[fn] = 1
		sig = ""
		next
	}
	note_signature()
	next
}
FNR == 1 {
	do {
		more = 0
		for (f in excluded)
			for (i = 1; i <= ncalls[f]; i++)
				if (!(calls[f, i] in excluded)) {
					excluded[calls[f, i]] = 1
					more = 1
				}
	} while (more)
	sig = ""
}
is_body_start() && !(name_of(sig) in excluded) {
	print "{ asm volatile(\"nop\");"
	sig = ""
	next
}
{
	print
	note_signature()
}
EOF

# objdump -d --no-show-raw-insn -r -> "NAME<TAB>code" for each function of
# run-time code (not .init.text, .exit.text or alternatives).  Addresses
# go; names the compiler numbered (count.12, foo.constprop.0, __key.258)
# are numbered again by first use in the function; mnemonics, operands,
# relocation types and targets (with addends) stay.
cat >"$TRASH/normalise.awk" <<'EOF'
function renumber(s,    out, tok, base) {
	out = ""
	while (match(s, /[A-Za-z_.][A-Za-z0-9_.]*\.[0-9]+/)) {
		tok = substr(s, RSTART, RLENGTH)
		out = out substr(s, 1, RSTART - 1)
		s = substr(s, RSTART + RLENGTH)
		if (tok ~ /^\.rodata\.(str|cst)/) {
			out = out tok
			continue
		}
		if (!(tok in seen)) {
			base = tok
			sub(/\.[0-9]+$/, "", base)
			seen[tok] = base ".#" (++count[base])
		}
		out = out seen[tok]
	}
	return out s
}
function flush(    k) {
	gsub(/[ \t]+/, " ", body)
	if (name != "")
		print name "\t" body
	name = ""
	body = ""
	for (k in seen)
		delete seen[k]
	for (k in count)
		delete count[k]
}
/^Disassembly of section / {
	flush()
	sec = $4
	sub(/:$/, "", sec)
	runtime = sec !~ /^\.(init|exit)\.text|^\.altinstr_/
	next
}
/^[0-9a-f]+ <.*>:$/ {
	flush()
	if (runtime) {
		name = $2
		sub(/^</, "", name)
		sub(/>:$/, "", name)
	}
	next
}
name == "" { next }
/^[ \t]+[0-9a-f]+:[ \t]+R_/ {
	sub(/^[ \t]+[0-9a-f]+:[ \t]+/, "")
	body = body " | " renumber($0)
	next
}
/^[ \t]+[0-9a-f]+:\t/ {
	sub(/^[ \t]+[0-9a-f]+:\t/, "")
	gsub(/[0-9a-f]+ </, "<")
	body = body " | " renumber($0)
}
END { flush() }
EOF

test_expect_success 'the reformatting changes no C token of the four files' '
	for f in $FILES; do
		rewrite reformat.awk "$f" &&
		test "$(diff "a/$f" "b/$f" | grep -c "^>")" -gt "$REFORMAT_MIN" &&
		tokens "a/$f" >a.tokens && tokens "b/$f" >b.tokens &&
		test_cmp a.tokens b.tokens || exit 1
	done &&
	diff_trees $FILES >reformat.patch
'

# Also keeps the pristine objects for the next test.
test_expect_success 'reformatted files are no functional change (needs #line in the patched compile)' '
	mkdir -p tmp &&
	{ TMPDIR=$PWD/tmp build --keep -o reformat.ko reformat.patch 2>reformat.err && rc=0 || rc=$?; } &&
	sed -n "s/^work files kept in //p" reformat.err >pristine.work &&
	test -s pristine.work &&
	for f in $FILES; do
		test_grep "no functional change in $f$" reformat.err || exit 1
	done &&
	test_grep "^no functional change: nothing to live patch$" reformat.err &&
	test $rc -eq 3 &&
	test ! -e reformat.ko
'

test_expect_success 'a nop in every replaceable function: kmend lists every function objdump sees change' '
	pristine=$(cat pristine.work) &&
	rm -rf a b &&
	for f in $FILES; do
		pair=$(kept_pair "$pristine" "$f") && o=${pair% *} &&
		readelf -sW "$o" >"$o.syms" &&
		objdump -dr --no-show-raw-insn "$o" >"$o.dis" &&
		roots=$(awk -f "$TRASH/roots.awk" "$o.syms" "$o.dis" | sort -u | tr "\n" " ") &&
		rewrite nop.awk "$f" -v roots="$roots" &&
		test "$(grep -c "^{ asm volatile(\"nop\");$" "b/$f")" -gt 30 || exit 1
	done &&
	diff_trees $FILES >nop.patch &&
	{ TMPDIR=$PWD/tmp build --keep -o nop.ko nop.patch 2>nop.err && rc=0 || rc=$?; } &&
	work=$(sed -n "s/^work files kept in //p" nop.err) &&
	test -n "$work" &&
	for f in $FILES; do
		pair=$(kept_pair "$work" "$f") && o=${pair% *} && p=${pair#* } &&
		changed_code "$o" "$p" >oracle &&
		listed "$f" nop.err >kmend &&
		test -s oracle &&
		if test ! -s kmend; then
			echo "kmend listed nothing for $f:"; grep "error:" nop.err; exit 1
		fi &&
		comm -23 oracle kmend >missed &&
		if test -s missed; then
			echo "kmend missed in $f what objdump sees change:"; cat missed; exit 1
		fi &&
		comm -13 oracle kmend >extra &&
		while read -r x; do
			case $x in
			*.cold) grep -qx "${x%.cold}" kmend && continue ;;
			esac
			echo "kmend lists $x ($f), whose code objdump sees the same"; exit 1
		done <extra &&
		# where the standalone differ accepts the pair, it agrees
		{ "$KMEND" diff "$o" "$p" >diff.out 2>diff.err && drc=0 || drc=$?; } &&
		if test $drc -eq 0; then
			sed "s/^[a-z]* *//" diff.out | sort >standalone &&
			test_cmp kmend standalone || exit 1
		else
			test $drc -eq 2 || exit 1
		fi || exit 1
	done &&
	# built, or refused for what the module cannot carry; never "no change"
	test $rc -eq 0 || test $rc -eq 2
'

test_expect_success 'a changed format string and two swapped statics: one build' '
	rm -rf a b && mkdir -p a/mm b/mm a/fs/proc b/fs/proc &&
	cp "$TREE/mm/mmap.c" a/mm/mmap.c &&
	sed "s/\"vm.user_reserve_kbytes reset to %lu\\\\n\"/\"vm.user_reserve_kbytes RESET to %lu\\\\n\"/" \
		"$TREE/mm/mmap.c" >b/mm/mmap.c &&
	cp "$TREE/fs/proc/base.c" a/fs/proc/base.c &&
	sed "/^static u8 nlink_tid __ro_after_init;\$/{N;s/\(.*\)\n\(.*\)/\2\n\1/;}" \
		"$TREE/fs/proc/base.c" >b/fs/proc/base.c &&
	diff_trees mm/mmap.c fs/proc/base.c >data.patch &&
	test_grep "^\+.*RESET to %lu" data.patch &&
	test_grep "^\+static u8 nlink_tid __ro_after_init;$" data.patch &&
	TMPDIR=$PWD/tmp build --keep -o data.ko data.patch 2>data.err &&
	sed -n "s/^work files kept in //p" data.err >data.work &&
	grep -E "^ +(changed|new) " data.err >funcs &&
	printf "    changed  %s (mm/mmap.c)\n" $NOTIFIER >expect &&
	test_cmp expect funcs &&
	test_grep "no functional change in fs/proc/base.c$" data.err
'

test_expect_success 'a string changed at the same length: no code differs, its function is listed' '
	work=$(cat data.work) &&
	pair=$(kept_pair "$work" mm/mmap.c) && o=${pair% *} && p=${pair#* } &&
	changed_code "$o" "$p" >oracle &&
	test_cmp /dev/null oracle &&
	"$KMEND" diff "$o" "$p" >diff.out &&
	printf "changed  %s\n" $NOTIFIER >expect &&
	test_cmp expect diff.out &&
	{ readelf -sW "$o" | grep -c " reserve_mem_notifier\.cold$" || test $? -eq 1; } >ncold &&
	echo "$NOTIFIER" | grep -o "\.cold" | wc -l | test_cmp - ncold
'

test_expect_success 'two file-scope statics swapped: their users differ in objdump, no functional change' '
	work=$(cat data.work) &&
	pair=$(kept_pair "$work" fs/proc/base.c) && o=${pair% *} && p=${pair#* } &&
	changed_code "$o" "$p" >oracle &&
	test_grep "^proc_pid_instantiate$" oracle &&
	test_expect_code 3 "$KMEND" diff "$o" "$p" >diff.out 2>diff.err &&
	test_cmp /dev/null diff.out &&
	test_grep "no functional change between" diff.err
'

test_done
