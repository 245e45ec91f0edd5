#!/usr/bin/env bash
# Malformed input is refused, never a crash, a hang or a huge file: exit 1
# and one error naming the file and what is wrong (objects made malformed
# from a compiled one by tests/cli/lib/badelf.py; patches; modules), and no
# temporary file left behind, also when kmend is killed while writing.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

BADELF=$TEST_DIR/cli/lib/badelf.py
export BADELF

if ! command -v python3 >/dev/null || ! command -v gcc >/dev/null; then
	test_skip 'malformed objects' 'needs python3 and gcc'
	test_done
	exit
fi

cat >"$TRASH/a.c" <<'C'
int counter;
static const char *msg = "hello";
int helper(int x) { return x * 3 + counter; }
const char *get(void) { return msg; }
C

# bad NAME EDIT...: NAME.o, a.o with the edits of badelf.py
bad() {
	local name=$1
	shift
	python3 "$BADELF" a.o "$name.o" "$@"
}

# refused NAME 'WHAT': diff and diff -o refuse NAME.o, exit 1, with exactly
# "cannot read 'NAME.o': WHAT", and write nothing.
refused() {
	printf "kmend: error: cannot read '%s.o': %s\n" "$1" "$2" >want
	test_expect_code 1 "$KMEND" diff a.o "$1.o" >out 2>err
	test_cmp want err && test ! -s out
	test_expect_code 1 "$KMEND" diff -o out.o "$1.o" a.o 2>err
	test_cmp want err
	no_output
}

no_output() {
	if ls out.o* 2>/dev/null; then
		echo "left behind: $(ls out.o*)"
		return 1
	fi
}

test_expect_success 'compile an object and its fix' '
	gcc $DIFF_CFLAGS -c a.c -o a.o &&
	sed "s/x \* 3/x * 4/" a.c >b.c && gcc $DIFF_CFLAGS -c b.c -o b.o &&
	"$KMEND" diff a.o b.o >out && printf "changed  helper\n" >want &&
	test_cmp want out
'

test_expect_success 'a symbol table with sh_entsize 0 (was: division by zero)' '
	bad entsize0 shdr:.symtab:entsize=0 &&
	refused entsize0 "symbol table .symtab has entries of 0 bytes (and 216 in all), not of 24"
'

test_expect_success 'a function larger than its section (was: read out of bounds)' '
	bad bigfunc sym:get:size=0x10000 &&
	refused bigfunc "symbol '\''get'\'' (section .text.get) lies outside its section"
'

test_expect_success 'a symbol whose value + size wraps around' '
	bad wrapfunc sym:get:value=8 sym:get:size=0xfffffffffffffffc &&
	refused wrapfunc "symbol '\''get'\'' (section .text.get) lies outside its section" &&
	bad farvar sym:counter:value=0x100000 &&
	refused farvar "symbol '\''counter'\'' (section .bss.counter) lies outside its section"
'

test_expect_success 'strings (SHF_STRINGS) in a SHT_NOBITS section (was: NULL read)' '
	bad nobitstr shdr:.rodata.get.str1.1:type=8 &&
	refused nobitstr "section .rodata.get.str1.1 holds strings (SHF_STRINGS) but has no contents (SHT_NOBITS)"
'

test_expect_success 'a relocation outside its section' '
	bad farrela rela:.rela.text.get:1:offset=0x100000 &&
	refused farrela "relocation .text.get+0x100000 lies outside its section (0xd bytes)"
'

test_expect_success 'relocations of a SHT_NOBITS section, of section 0, of a missing one' '
	bad relabss shdr:.rela.text.get:info=@.bss.counter &&
	refused relabss "relocation section .rela.text.get applies to .bss.counter, which has no contents to relocate" &&
	bad relanull shdr:.rela.text.get:info=0 &&
	refused relanull "relocation section .rela.text.get applies to section 0, which does not exist" &&
	bad relanone shdr:.rela.text.get:info=99 &&
	refused relanone "relocation section .rela.text.get applies to section 99, which does not exist"
'

test_expect_success 'two relocation sections for one section, or a foreign symbol table' '
	bad relatwice shdr:.rela__mcount_loc:info=@.text.get &&
	refused relatwice "sections .rela__mcount_loc and .rela.text.get both relocate .text.get" &&
	bad relalink shdr:.rela.text.get:link=@.strtab &&
	refused relalink "relocation section .rela.text.get refers to section 15 as its symbol table, not to .symtab"
'

test_expect_success 'an alignment of 2^36 is refused, not written as a 64 GiB file' '
	bad align36 shdr:.text.helper:addralign=0x1000000000 &&
	refused align36 "section .text.helper has an alignment of 0x1000000000: it must be a power of two, at most 0x10000" &&
	test_expect_code 1 "$KMEND" diff -o out.o a.o align36.o 2>err &&
	no_output &&
	bad align24 shdr:.text.get:addralign=24 &&
	refused align24 "section .text.get has an alignment of 0x18: it must be a power of two, at most 0x10000"
'

test_expect_success 'bad names: of a section, of a symbol, of the name tables' '
	bad secname shdr:.text.get:name=0x100000 &&
	refused secname "section 9 has a bad name (offset 0x100000 in the section name table)" &&
	bad symname sym:get:name=0x100000 &&
	refused symname "symbol 8 has a bad name (offset 0x100000 in the string table)" &&
	bad shstrndx ehdr:shstrndx=99 &&
	refused shstrndx "the section name table (e_shstrndx 99) is not a string table" &&
	bad shstrtext ehdr:shstrndx=@.text.get &&
	refused shstrtext "the section name table (e_shstrndx 9) is not a string table" &&
	bad symlink shdr:.symtab:link=@.text.get &&
	refused symlink "the string table of .symtab (section 9) is not a string table"
'

test_expect_success 'section indexes of symbols: out of range, SHN_XINDEX without its table' '
	bad shndx sym:get:shndx=200 &&
	refused shndx "symbol '\''get'\'' is in section 200, which does not exist" &&
	bad xindex sym:get:shndx=0xffff &&
	refused xindex "symbol '\''get'\'' has an extended section index (SHN_XINDEX) but there is no SHT_SYMTAB_SHNDX table"
'

# many_sections NAME INSN: NAME.o, 65300 empty sections then "last"
# (call __fentry__; INSN; ret), whose section index needs SHN_XINDEX
many_sections() {
	python3 - "$2" >"$1.s" <<-\PY
	import sys
	print(".text")
	for i in range(65300):
	    print(".section .s%d,\"a\"" % i)
	print(".section .text.last,\"ax\",@progbits")
	print(".globl last\n.type last,@function\nlast:\ncall __fentry__")
	print(sys.argv[1] + "\nret\n.size last,.-last")
	PY
	as "$1.s" -o "$1.o"
}

test_expect_success 'extended section indexes (SHN_XINDEX) are read through .symtab_shndx' '
	many_sections many "" && many_sections many-patched nop &&
	readelf -S many.o >sections && test_grep "SYMTAB SECTION|SYMTAB_SHNDX" sections &&
	"$KMEND" diff many.o many-patched.o >out &&
	printf "changed  last\n" >want && test_cmp want out
'

test_expect_success 'an entry size that does not divide its section' '
	bad entsize shdr:.text.get:entsize=4 &&
	refused entsize "section .text.get has entries of 4 bytes but is 13 bytes long"
'

test_expect_success 'an unknown relocation type is kept, not a crash' '
	bad reltype rela:.rela.text.get:1:info=0x5000000ff &&
	"$KMEND" diff -o out.o a.o reltype.o >out &&
	printf "changed  get\n" >want && test_cmp want out &&
	rm -f out.o
'

test_expect_success 'a failed write leaves no temporary file' '
	mkdir out.o &&
	test_expect_code 1 "$KMEND" diff -o out.o a.o b.o 2>err &&
	test_grep "cannot write .out\.o." err &&
	test -d out.o && rmdir out.o && no_output &&
	test_expect_code 1 "$KMEND" diff -o nodir/out.o a.o b.o 2>err &&
	test_grep "nodir/out\.o" err && test ! -e nodir
'

if ! command -v strace >/dev/null || ! strace -f -qq -o /dev/null \
	-e inject=write:delay_enter=1 true 2>/dev/null; then
	test_skip 'a kmend diff -o killed while writing leaves no temporary file' \
		'needs strace with delay injection'
else
	# kill_while_writing SIGNAL: kmend diff -o, its writes slowed down by
	# strace, killed with SIGNAL while its temporary file is there
	kill_while_writing() {
		local pid child
		strace -f -qq -o /dev/null -e trace=pwrite64,write,ftruncate \
			-e inject=pwrite64,write,ftruncate:delay_enter=1000000 \
			"$KMEND" diff -o out.o a.o b.o >/dev/null 2>&1 &
		pid=$!
		for _ in $(seq 100); do
			ls out.o.tmp.* >/dev/null 2>&1 && break
			sleep 0.1
		done
		ls out.o.tmp.* && child=$(pgrep -P "$pid") &&
		kill "-$1" "$child" && { wait "$pid" || true; } &&
		no_output
	}

	test_expect_success 'a kmend diff -o killed while writing leaves no temporary file' '
		kill_while_writing TERM && kill_while_writing INT
	'
fi

# --- patches: kmend build reads them before it touches the kernel tree ---

if ! "$KMEND" build "$TRASH/nothere.patch" 2>&1 | grep -q "cannot read '$TRASH/nothere.patch'"; then
	test_skip 'kmend build reads malformed patches' \
		'no kernel to build for here (kmend build stops before reading patches)'
else
	test_expect_success 'diff --git names of one and three characters (was: read past the line)' '
		printf "diff --git a b\n--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n" >short.patch &&
		test_expect_code 2 "$KMEND" build short.patch 2>err &&
		test_grep "cannot live patch .short\.patch.: b: only changes to \.c files are supported" err &&
		printf "diff --git a/x b\n" >half.patch &&
		test_expect_code 2 "$KMEND" build half.patch 2>err &&
		test_grep "half\.patch.: b: only changes" err
	'

	test_expect_success 'diff --git without names' '
		printf "diff --git  \n" >nonames.patch && mkdir tmp &&
		test_expect_code 1 env TMPDIR="$PWD/tmp" "$KMEND" build nonames.patch 2>err &&
		test_grep "error: .nonames\.patch. line 1: cannot read the file names of .diff --git  .$" err &&
		rmdir tmp
	'

	test_expect_success 'a hunk header with a negative count' '
		printf -- "--- a/fs/x.c\n+++ b/fs/x.c\n@@ -1,-9223372036854775808 +1,2 @@\n x\n" >neg.patch &&
		test_expect_code 1 "$KMEND" build neg.patch 2>err &&
		test_grep "error: .neg\.patch. line 3: malformed hunk header" err
	'

	test_expect_success 'an entry whose names are both /dev/null' '
		printf -- "--- a/fs/x.c\n+++ b/fs/x.c\n@@ -1 +1 @@\n-x\n+y\n--- /dev/null\n+++ /dev/null\n" >null.patch &&
		test_expect_code 1 "$KMEND" build null.patch 2>err &&
		test_grep "error: .null\.patch. line 6: both names of the entry are /dev/null" err
	'
fi

# --- kmend info: only live patch modules ---

cat >"$TRASH/mod.c" <<'C'
#define MI(tag, s) static const char __mi_##tag[] \
	__attribute__((section(".modinfo"), used, aligned(1))) = s
#ifdef LIVEPATCH
MI(lp, "livepatch=Y");
#endif
MI(vm, "vermagic=6.1.0-99-amd64 SMP preempt mod_unload modversions ");
MI(nm, "name=fix");
#ifdef LINKED
struct module { char name[56]; } __this_module
	__attribute__((section(".gnu.linkonce.this_module"))) = { "fix" };
#endif
C

test_expect_success 'info: an ordinary module, a livepatch object not linked, a live patch' '
	gcc -c mod.c -o plain.ko &&
	gcc -DLIVEPATCH -c mod.c -o unlinked.ko &&
	gcc -DLIVEPATCH -DLINKED -c mod.c -o fix.ko &&
	test_expect_code 1 "$KMEND" info plain.ko >out 2>err &&
	echo "kmend: error: '\''plain.ko'\'' is not a live patch module: its modinfo has no livepatch=Y" >want &&
	test_cmp want err && test ! -s out &&
	test_expect_code 1 "$KMEND" info unlinked.ko 2>err &&
	echo "kmend: error: '\''unlinked.ko'\'' is not a live patch module: it has no .gnu.linkonce.this_module section, so it is not a linked kernel module" >want &&
	test_cmp want err &&
	"$KMEND" info fix.ko >out &&
	test_grep "^name: +fix$" out && test_grep "^livepatch: +yes$" out
'

test_expect_success 'info: any ELF with a .modinfo is not enough; a .modinfo without contents' '
	test_expect_code 1 "$KMEND" info a.o 2>err &&
	test_grep "cannot read .a\.o.: no \.modinfo section" err &&
	python3 "$BADELF" fix.ko nobits.ko shdr:.modinfo:type=8 &&
	test_expect_code 1 "$KMEND" info nobits.ko 2>err &&
	test_grep "cannot read .nobits\.ko.: empty \.modinfo section" err
'

test_done
