#!/usr/bin/env bash
# lib/patch on real diffs made by git and diff -u, and a fix that does not
# apply (through the tree driver build/tests/unit/test-ktree and test-patch).
. "$(dirname "$0")/../lib.sh"

PATCH_UNIT=$SRC_DIR/build/tests/unit/test-patch

test_expect_success 'the patch unit tests pass' '
	"$PATCH_UNIT" >out &&
	test_grep "^RESULT [0-9]+ 0 0$" out
'

# A small tree shaped like the kernel's, as git and diff -u see it.
make_tree() {
	mkdir -p "$1/fs/proc" "$1/include/linux"
	printf '%s\n' '#include <linux/fs.h>' '' \
		'static int cmdline_proc_show(void)' '{' \
		'	seq_puts(m, saved_command_line);' '	return 0;' '}' \
		>"$1/fs/proc/cmdline.c"
	printf '%s\n' '#define X 1' >"$1/include/linux/x.h"
}

test_expect_success 'git diff: files, flags and hunks of a real git patch' '
	make_tree repo && cd repo && git init -q . &&
	git add . && git -c user.name=t -c user.email=t@t commit -qm base &&
	sed -i "s/return 0;/return 1;/" fs/proc/cmdline.c &&
	echo "#define Y 2" >include/linux/y.h && git add -N include/linux/y.h &&
	git rm -q include/linux/x.h &&
	git diff HEAD >../git.patch && cd .. &&
	cat >expect <<-\EOF2 &&
	strip 1
	fs/proc/cmdline.c hunks=1
	include/linux/x.h hunks=1 deleted not-c
	include/linux/y.h hunks=1 new not-c
	EOF2
	"$PATCH_UNIT" --read git.patch >actual &&
	test_cmp expect actual
'

test_expect_success 'diff -u: a plain diff between two trees (-p1)' '
	make_tree a && cp -r a b &&
	sed -i "s/return 0;/return 1;/" b/fs/proc/cmdline.c &&
	{ diff -ur a b >plain.patch || test $? = 1; } &&
	printf "strip 1\nfs/proc/cmdline.c hunks=1\n" >expect &&
	"$PATCH_UNIT" --read plain.patch >actual &&
	test_cmp expect actual
'

test_expect_success 'diff -u from the top of the tree (-p0)' '
	make_tree p0 && cd p0 &&
	cp fs/proc/cmdline.c fs/proc/cmdline.c.orig &&
	sed -i "s/return 0;/return 1;/" fs/proc/cmdline.c &&
	{ diff -u fs/proc/cmdline.c.orig fs/proc/cmdline.c >../p0.patch || test $? = 1; } &&
	cd .. &&
	printf "strip 0\nfs/proc/cmdline.c hunks=1\n" >expect &&
	"$PATCH_UNIT" --read p0.patch >actual &&
	test_cmp expect actual
'

test_expect_success 'not a diff: the error names the file and says why' '
	echo "hello" >notes.txt &&
	test_expect_code 1 "$PATCH_UNIT" --read notes.txt 2>err &&
	test_grep "'\''notes.txt'\'' is not a unified diff: no '\''--- '\'' / '\''\+\+\+ '\'' file headers" err
'

test_expect_success 'a missing patch file: cannot read' '
	test_expect_code 1 "$PATCH_UNIT" --read nothere.patch 2>err &&
	test_grep "cannot read '\''nothere.patch'\'': No such file" err
'

test_expect_success 'a binary git patch is refused' '
	make_tree bin && cd bin && git init -q . &&
	printf "\0\1\2" >fw.bin && git add . &&
	git -c user.name=t -c user.email=t@t commit -qm base &&
	printf "\3\0\4" >fw.bin && git diff --binary >../bin.patch && cd .. &&
	test_expect_code 1 "$PATCH_UNIT" --read bin.patch 2>err &&
	test_grep "binary file" err
'

test_expect_success 'a fix that does not apply: file and hunk named, tree unchanged' '
	make_tree t && cp -r t t2 &&
	sed -i -e "s/return 0;/return 1;/" -e "s/saved_command_line/x/" t2/fs/proc/cmdline.c &&
	{ diff -ur t t2 >fix.patch || test $? = 1; } &&
	sed -i "s/return 0;/return 5;/" t/fs/proc/cmdline.c &&
	cp t/fs/proc/cmdline.c before.c &&
	test_expect_code 1 "$PATCH_UNIT" --apply t fix.patch 2>err &&
	test_grep "fs/proc/cmdline.c: hunk #1 of 1 does not apply" err &&
	test_grep "does not match this kernel" err &&
	test_cmp before.c t/fs/proc/cmdline.c
'

# a context line at the end of the hunk differs: GNU patch applies it with
# fuzz 1 by default; kmend does not, unless given --fuzz
make_fuzzy_fix() {
	rm -rf t t2 && mkdir -p t/fs/proc &&
	printf "%s\n" "#include <linux/fs.h>" "" "static int cmdline_proc_show(void)" \
		"{" "	seq_puts(m, saved_command_line);" "	seq_putc(m, 10);" \
		"	return 0;" "}" "" "static int x(void)" "{" "	return 2;" "}" \
		>t/fs/proc/cmdline.c &&
	cp -r t t2 &&
	sed -i "s/seq_putc(m, 10);/seq_putc(m, 11);/" t2/fs/proc/cmdline.c &&
	{ diff -ur t t2 >fix.patch || test $? = 1; } &&
	sed -i "9s/^$/\/* end *\//" t/fs/proc/cmdline.c &&
	cp t/fs/proc/cmdline.c before.c
}

test_expect_success 'a hunk whose context differs is refused, naming the fuzz it needs' '
	make_fuzzy_fix &&
	(cd t && patch -p1 --dry-run <../fix.patch >../gnu.out) &&
	test_grep "with fuzz 1" gnu.out &&
	test_expect_code 1 "$PATCH_UNIT" --apply t fix.patch 2>err &&
	test_grep "fs/proc/cmdline.c: hunk #1 of 1 does not apply" err &&
	test_grep "fix.patch. applies to the kernel source in .t. only with fuzz 1 .* give --fuzz 1$" err &&
	test_cmp before.c t/fs/proc/cmdline.c
'

test_expect_success 'with --fuzz it applies, with a warning naming the hunk' '
	make_fuzzy_fix &&
	KM_TEST_FUZZ=1 "$PATCH_UNIT" --apply t fix.patch 2>err &&
	test_grep "fs/proc/cmdline.c: hunk #1 applied with fuzz 1 at line 3" err &&
	test_grep "seq_putc\\(m, 11\\);" t/fs/proc/cmdline.c
'

# A plain diff between two names that both exist: GNU patch patches the
# new name, as kmend reads it, unless POSIXLY_CORRECT has it take the first
# that exists (the old one); kmend removes it from patch's environment.
test_expect_success 'the builder'"'"'s POSIXLY_CORRECT does not change which file is patched' '
	rm -rf t && mkdir -p t/fs/proc &&
	printf "%s\n" one two three >t/fs/proc/old_name.c &&
	cp t/fs/proc/old_name.c t/fs/proc/new.c &&
	cp t/fs/proc/old_name.c before.c &&
	printf "%s\n" "--- a/fs/proc/old_name.c" "+++ b/fs/proc/new.c" \
		"@@ -1,3 +1,3 @@" " one" "-two" "+TWO" " three" >names.patch &&
	"$PATCH_UNIT" --read names.patch >read.out &&
	test_grep "^fs/proc/new.c hunks=1$" read.out &&
	POSIXLY_CORRECT=1 VERSION_CONTROL=numbered SIMPLE_BACKUP_SUFFIX=.bak \
		"$PATCH_UNIT" --apply t names.patch &&
	test_grep "^TWO$" t/fs/proc/new.c &&
	test_cmp before.c t/fs/proc/old_name.c &&
	ls t/fs/proc >files && printf "%s\n" new.c old_name.c >expect &&
	test_cmp expect files
'

test_expect_success 'kmend build --fuzz: 0 to 3, else a usage error' '
	test_expect_code 4 "$KMEND" build --fuzz 4 fix.patch 2>err &&
	test_grep "invalid --fuzz .4.: give 0 to 3 context lines" err &&
	test_expect_code 4 "$KMEND" build --fuzz "" fix.patch 2>err &&
	test_grep "invalid --fuzz" err
'

test_done
