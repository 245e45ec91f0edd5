#!/usr/bin/env bash
# Review of the differ's soundness: inputs where kmend diff says "no
# functional change" although behaviour changed, binds new code to the wrong
# kernel variable, or gives the new code a private copy of what must stay
# the kernel's. Each test accepts the sound answers (the right binding, or a
# refusal that writes nothing) and fails on the unsound one kmend gives
# today. A "setup" check in each test makes sure gcc laid the code out as the
# test assumes, so that a failure is kmend's.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

# diff_rc OUT.o ORIG.o PATCHED.o: runs 'kmend diff -o', prints its exit code
diff_rc() {
	local rc
	"$KMEND" diff -o "$@" >out 2>err && rc=0 || rc=$?
	echo "$rc"
}

# relocs_of OBJ SECTION: "OFFSET SYMBOL ADDEND" for each relocation of
# SECTION (offset in hex without leading zeros, addend as readelf shows it)
relocs_of() {
	readelf -rW "$1" | awk -v s="'.rela$2'" '
		/^Relocation section/ { in_s = ($3 == s); next }
		in_s && NF >= 5 && $1 ~ /^[0-9a-f]+$/ {
			off = $1; sub(/^0+/, "", off); if (off == "") off = "0"
			print off, $5, $6 $7 }'
}

# test_functions_in FILE LINE...: as test_functions, on FILE
test_functions_in() {
	local f=$1
	shift
	printf '%s\n' "$@" | LC_ALL=C sort >expect &&
	LC_ALL=C sort "$f" >actual &&
	test_cmp expect actual
}

# no_private_copy OBJ NAME-ERE: OBJ defines no OBJECT symbol whose name
# matches (the patch module must not hold its own copy of it)
no_private_copy() {
	readelf -sW "$1" | awk -v n="^($2)\$" '$4 == "OBJECT" && $7 != "UND" && $8 ~ n' >copies
	if [ -s copies ]; then
		echo "$1 holds its own copy:"; cat copies
		return 1
	fi
}

# --- 1. a static local of a helper that gets inlined ---

# next_id() hands out ids from a static counter. The fix makes gcc inline it
# (here by an attribute; a growing or shrinking body does it as well): the
# callers now use the counter themselves. That counter is the kernel's
# last.0: a private copy in the module starts again at 0 and hands out ids
# the kernel already gave (a static spinlock would no longer exclude the
# old code, still running during the transition).
test_expect_success 'the static of a helper inlined by the fix stays the kernel one' '
	cat >inl.c <<-C &&
	static __attribute__((noinline)) int next_id(void)
	{ static int last; return ++last; }
	int open_a(void) { return next_id(); }
	int open_b(void) { return next_id() + 100; }
	C
	sed "s/__attribute__((noinline))/inline __attribute__((always_inline))/" \
		inl.c >inl-patched.c &&
	compile_pair inl &&
	# setup: the pristine callers call next_id, the fixed ones use last.N
	relocs_of inl.o .text.open_a | grep -q " .text.next_id " &&
	relocs_of inl-patched.o .text.open_a | grep -q " .bss.last.[0-9]* " &&
	rc=$(diff_rc inl-out.o inl.o inl-patched.o) &&
	case $rc in
	2)	test ! -e inl-out.o && test_names last.0 err ;;
	0)	no_private_copy inl-out.o "last\.[0-9]+" &&
		relocs_of inl-out.o .text.open_a >relocs &&
		test_grep "\.klp\.sym\.vmlinux\.last\.0,0" relocs ;;
	*)	cat out err; false ;;
	esac
'

# --- 2. one past the end of an array in a shared section ---

# In a section several variables share (__read_mostly, per-cpu ...), gcc
# refers to "arr + 64" (a loop's end) as section+addend. When the fixed
# object lays arr out before y, that address is where y starts; in the kernel
# (the pristine layout) y is before arr. Binding the end of arr to y makes
# the new loop stop at once (for p < end) or never (for p != end).
test_expect_success 'the end of an array in a shared section is not the next variable' '
	cat >end.c <<-C &&
	#define __read_mostly __attribute__((section(".data..read_mostly")))
	static int arr[64] __read_mostly;
	static int y[4] __read_mostly;
	int gety(long i) { return y[i & 3]; }
	int sum(void) { int s = 0; for (int *p = arr; p < arr + 64; p++) s += *p; return s; }
	C
	cat >end-patched.c <<-C &&
	#define __read_mostly __attribute__((section(".data..read_mostly")))
	static int y[4] __read_mostly;
	static int arr[64] __read_mostly;
	int gety(long i) { return y[i & 3]; }
	int sum(void) { int s = 0; for (int *p = arr; p < arr + 64; p++) s += *p ^ 1; return s; }
	C
	gcc $DIFF_CFLAGS $KERNEL_NOFPU_CFLAGS -c end.c -o end.o &&
	gcc $DIFF_CFLAGS $KERNEL_NOFPU_CFLAGS -c end-patched.c -o end-patched.o &&
	# setup: pristine y before arr; fixed arr at 0, y right after it,
	# and the loop end is section+0x100, where y starts
	readelf -sW end.o | awk "\$8 == \"y\" && \$2 + 0 == 0 { f = 1 } END { exit !f }" &&
	readelf -sW end-patched.o | awk "\$8 == \"y\" && \$2 ~ /0100\$/ { f = 1 } END { exit !f }" &&
	relocs_of end-patched.o .text.sum | grep -q " .data..read_mostly +100$" &&
	rc=$(diff_rc end-out.o end.o end-patched.o) &&
	case $rc in
	2)	test ! -e end-out.o ;;
	0)	relocs_of end-out.o .text.sum >relocs &&
		test_grep "\.klp\.sym\.vmlinux\.arr,0 \+100$" relocs &&
		test_grep -v "\.klp\.sym\.vmlinux\.y," relocs ;;
	*)	cat out err; false ;;
	esac
'

# --- 3. two statics of the same name in one function ---

# f() has two counters named x; gcc keeps their numbers (x.1 is the counter
# of the c branch on both sides) but likely() puts the c branch first. Paired
# "in order of use", the c branch of the new code counts in the other
# branch's counter.
cat >"$TRASH/two.c" <<'C'
extern void g(int);
int f(int c)
{
	if (c) { static int x; g(1); return ++x; }
	{ static int x; g(2); return x += 2; }
}
C

# static_after OBJ IMM: the x.N used right after "mov $IMM,%edi" in f, and
# the offset of its first relocation
static_after() {
	objdump -dr -j .text.f "$1" | awk -v imm="mov    \\\\\$0x$2,%edi" '
		$0 ~ imm { armed = 1; next }
		armed && /R_X86_64_PC32.*\.bss\.x\./ {
			off = $1; sub(/:$/, "", off); sym = $3
			sub(/^\.bss\./, "", sym); sub(/-0x4$/, "", sym)
			print sym, off; exit }'
}

test_expect_success 'two same-named statics of a function swapped in the code keep their twins' '
	cp two.c two-x.c &&
	sed "s/if (c)/if (__builtin_expect(c, 1))/; s/g(1)/g(3)/" two.c >two-x-patched.c &&
	compile_pair two-x &&
	set -- $(static_after two-x.o 1) && mine=$1 &&
	set -- $(static_after two-x-patched.o 3) && now=$1 && at=$2 &&
	# setup: the c branch has the same x.N on both sides, and it now
	# comes first in the code (its relocation at the lower offset)
	test -n "$mine" && test "$mine" = "$now" &&
	set -- $(static_after two-x-patched.o 2) && test "$((0x$at < 0x$2))" = 1 &&
	rc=$(diff_rc two-x-out.o two-x.o two-x-patched.o) &&
	case $rc in
	2)	test ! -e two-x-out.o ;;
	0)	relocs_of two-x-out.o .text.f >relocs &&
		grep "^$at " relocs >at &&
		test_grep "\.klp\.sym\.vmlinux\.$mine,0" at ;;
	*)	cat out err; false ;;
	esac
'

# --- 4. the address of a changed function ---

# cur_ops (kernel data) holds the kernel's foo. The new is_foo() compares
# against the address of foo: it must be the kernel's foo (which livepatch
# redirects), not the module's copy, or the comparison is false forever.
test_expect_success 'a changed function compared by address is the kernel one' '
	cat >fp.c <<-C &&
	struct ops { int (*fn)(int); };
	static int __attribute__((noinline)) foo(int x) { return x + 1; }
	struct ops cur_ops = { foo };
	int is_foo(void) { return cur_ops.fn == foo; }
	C
	cat >fp-patched.c <<-C &&
	struct ops { int (*fn)(int); };
	static int __attribute__((noinline)) foo(int x) { return x + 2; }
	struct ops cur_ops = { foo };
	int is_foo(void) { return cur_ops.fn == foo ? 1 : -1; }
	C
	compile_pair fp &&
	# setup: is_foo takes the address of foo (no call)
	objdump -dr -j .text.is_foo fp-patched.o >is_foo.dis &&
	test_grep "R_X86_64_32S[[:space:]]+\.text\.foo$" is_foo.dis &&
	test_grep -v "R_X86_64_PLT32[[:space:]]+(foo|\.text\.foo)" is_foo.dis &&
	rc=$(diff_rc fp-out.o fp.o fp-patched.o) &&
	case $rc in
	2)	test ! -e fp-out.o ;;
	0)	test_functions_in out "changed  foo" "changed  is_foo" &&
		relocs_of fp-out.o .text.is_foo >relocs &&
		test_grep "\.klp\.sym\.vmlinux\.foo,0 \+0$" relocs ;;
	*)	cat out err; false ;;
	esac
'

# --- 5. the address of a static const the programmer wrote ---

# def.0 is a function-local static const, not a constant the compiler made
# up: its address is handed to the kernel (register_ops) by code that does
# not change. A copy in the module makes the new is_default() false.
test_expect_success 'a static const local whose address is compared is the kernel one' '
	cat >sc.c <<-C &&
	struct ops { int (*fn)(int); int flags; };
	extern int op_fn(int);
	extern void register_ops(const struct ops *);
	extern const struct ops *current_ops;
	static inline const struct ops *default_ops(void)
	{ static const struct ops def = { op_fn, 1 }; return &def; }
	void use_default(void) { register_ops(default_ops()); }
	int is_default(void) { return current_ops == default_ops(); }
	C
	sed "s/return current_ops == default_ops();/return current_ops \&\& current_ops == default_ops();/" \
		sc.c >sc-patched.c &&
	compile_pair sc &&
	# setup: both functions use def.0, which lives in .rodata
	relocs_of sc.o .text.use_default | grep -q " .rodata.def.0 " &&
	relocs_of sc-patched.o .text.is_default | grep -q " .rodata.def.0 " &&
	rc=$(diff_rc sc-out.o sc.o sc-patched.o) &&
	case $rc in
	2)	test ! -e sc-out.o ;;
	0)	no_private_copy sc-out.o "def\.[0-9]+" &&
		relocs_of sc-out.o .text.is_default >relocs &&
		test_grep "\.klp\.sym\.vmlinux\.def\.0,0" relocs ;;
	*)	cat out err; false ;;
	esac
'

# --- 6. the .altinstructions entries of Linux 6.3 and later ---

# Since 6.3 struct alt_instr is { s32 instr_offset; s32 repl_offset;
# u32 ft_flags; u8 instrlen; u8 replacementlen } __packed: 14 bytes, not
# the 12 of 6.1. lib/arch_x86.c says its sizes are those of 6.1 and 6.12,
# but with 14-byte entries has_known_layout() fails and the entries are
# skipped silently: a changed feature bit is "no functional change".
cat >"$TRASH/alt.c" <<'C'
#define __stringify_1(x...) #x
#define __stringify(x...) __stringify_1(x)
#define X86_FEATURE_XMM2	(0*32+26)
#define X86_FEATURE_LFENCE_RDTSC (3*32+18)
/* ALTERNATIVE() of arch/x86/include/asm/alternative.h, Linux 6.12 */
#define ALTERNATIVE(oldinstr, newinstr, ft_flags)			\
	"771:\n\t" oldinstr "\n772:\n"					\
	".skip -(((775f-774f)-(772b-771b)) > 0) * "			\
		"((775f-774f)-(772b-771b)),0x90\n"			\
	"773:\n"							\
	".pushsection .altinstructions,\"a\"\n"				\
	" .long 771b - .\n"						\
	" .long 774f - .\n"						\
	" .4byte " __stringify(ft_flags) "\n"				\
	" .byte 773b-771b\n"						\
	" .byte 775f-774f\n"						\
	".popsection\n"							\
	".pushsection .altinstr_replacement, \"ax\"\n"			\
	"774:\n\t" newinstr "\n775:\n"					\
	".popsection\n"
void fenced(void)
{
	asm volatile(ALTERNATIVE("mfence", "lfence", X86_FEATURE_XMM2) ::: "memory");
}
C

test_expect_success 'an alternative for another CPU feature (6.12 layout) is a change' '
	cp alt.c alt612.c &&
	sed "s/X86_FEATURE_XMM2) :::/X86_FEATURE_LFENCE_RDTSC) :::/" alt.c >alt612-patched.c &&
	compile_pair alt612 &&
	# setup: one 14-byte entry, the code bytes unchanged
	readelf -SW alt612.o | grep -q " \.altinstructions .* 00000e " &&
	objdump -d -j .text.fenced alt612.o | sed 1,3d >a.dis &&
	objdump -d -j .text.fenced alt612-patched.o | sed 1,3d >b.dis &&
	test_cmp a.dis b.dis &&
	rc=$(diff_rc alt612-out.o alt612.o alt612-patched.o) &&
	case $rc in
	0)	test_functions_in out "changed  fenced" ;;
	2)	test ! -e alt612-out.o && test_names fenced err ;;
	*)	cat out err; false ;;
	esac
'

# --- 7. a table entry with a compiler-numbered name ---

# An entry of a table the kernel walks, declared with __UNIQUE_ID() (as
# several kernel macros do): no code refers to it, so its numbered name
# never pairs, and a change of its contents (another vendor id) is dropped
# as "new data" instead of being refused.
test_expect_success 'a changed table entry with a numbered name is refused' '
	cat >uid.c <<-C &&
	#define ___PASTE(a,b) a##b
	#define __PASTE(a,b) ___PASTE(a,b)
	#define __UNIQUE_ID(p) __PASTE(__PASTE(__UNIQUE_ID_, p), __COUNTER__)
	struct fixup { unsigned short vendor, device; void (*hook)(void *); };
	#define DECLARE_FIXUP(vendor, device, hook) static const struct fixup \
		__UNIQUE_ID(fixup) __attribute__((used, aligned(8), \
		section(".my_fixups_final"))) = { vendor, device, hook };
	void quirk_a(void *dev) { }
	DECLARE_FIXUP(0x8086, 0x1234, quirk_a)
	C
	sed "s/0x8086, 0x1234/0x1022, 0x1234/" uid.c >uid-patched.c &&
	compile_pair uid &&
	# setup: the same name on both sides, other contents
	readelf -sW uid.o | grep -q " __UNIQUE_ID_fixup0$" &&
	readelf -sW uid-patched.o | grep -q " __UNIQUE_ID_fixup0$" &&
	kmend_diff 2 uid.o uid-patched.o &&
	test_grep "my_fixups_final|__UNIQUE_ID_fixup" err
'

# --- 8. a numbered static that changes its kind of section ---

# docs/kmend-diff.md: "A variable whose kind changes (... a variable that
# gains __read_mostly) is a change of data and is refused, naming it." For
# a static local (calls.0) the votes agree, pair_agreed() drops the pair as
# another kind, and nothing marks it moved: the module gets a fresh copy.
test_expect_success 'a static local that gains __read_mostly is refused' '
	cat >kind.c <<-C &&
	int f(int v) { static int calls; calls += v; return calls; }
	C
	cat >kind-patched.c <<-C &&
	int f(int v)
	{
		static int calls __attribute__((section(".data..read_mostly")));
		calls += v + 1;
		return calls;
	}
	C
	compile_pair kind &&
	# setup: calls.0 on both sides, in .bss, then in .data..read_mostly
	readelf -sW kind.o | grep -q " calls\.0$" &&
	readelf -sW kind-patched.o | grep -q " calls\.0$" &&
	readelf -SW kind-patched.o | grep -q " \.data\.\.read_mostly " &&
	rc=$(diff_rc kind-out.o kind.o kind-patched.o) &&
	case $rc in
	2)	test ! -e kind-out.o && test_names calls.0 err ;;
	*)	echo "exit $rc"; cat out err; no_private_copy kind-out.o "calls\.[0-9]+"; false ;;
	esac
'

# --- 9. a jump back into a replaced function ---

# Found by the VM (t3200): the address of a replaced function is the
# kernel's, but a place inside it is the new code's. A .cold part jumps
# back into its parent at foo+0x1b with a PC32 relocation (not a call):
# bound to the kernel's old foo+0x1b it ran the old code's middle (oops).
test_expect_success 'a cold part jumps back into the new code of its parent' '
	cat >jb.c <<-C &&
	extern void __attribute__((cold)) slow(int);
	extern int other(int);
	extern int third(int, int, int);
	static int __attribute__((noinline)) foo(int x, int z)
	{
		int y = other(x) * 3;
		if (__builtin_expect(x > 100, 0)) {
			slow(x);
			y = other(y) + z;
		}
		y = third(y, x, z);
		y = third(y, z, x);
		return y + other(z) * 3;
	}
	int caller(int x) { return foo(x, x + 1); }
	C
	sed "s/other(z) \* 3/other(z) * 5/" jb.c >jb-patched.c &&
	compile_pair jb &&
	# setup: the cold part jumps back into foo with a PC32 relocation
	readelf -rW jb-patched.o | sed -n "/rela.text.unlikely.foo/,/^$/p" >cold-relocs &&
	test_grep "R_X86_64_PC32 .* \.text\.foo \+ [0-9a-f]+$" cold-relocs &&
	kmend_diff 0 -o jb-out.o jb.o jb-patched.o &&
	test_functions "changed  foo" "changed  foo.cold" &&
	readelf -rW jb-out.o | sed -n "/rela.text.unlikely.foo/,/^$/p" >out-relocs &&
	test_grep "R_X86_64_PC32 .* foo \+ [0-9a-f]+$" out-relocs &&
	test_grep -v "klp\.sym\.vmlinux\.foo" out-relocs
'

# --- 10. what the corpus of real stable fixes showed ---

# Without lockdep, a lock class key is an empty struct: __key.N has size 0,
# and "no symbol holds the target" refused every fix using init_rwsem() and
# friends (scripts/stable-corpus, 16 files). An empty static holds no
# state: the module has its own, never a livepatch symbol, which the
# kernel cannot resolve when vmlinux has dozens of __key.N of one file
# (kernel/livepatch/core.c has 52 namesakes).
test_expect_success 'an empty static (a lockdep key without lockdep) is the module'"'"'s own' '
	cat >key.c <<-C &&
	struct lock_class_key { };
	extern void init_thing(void *obj, struct lock_class_key *key);
	void setup(void *obj)
	{
		static struct lock_class_key __key;
		init_thing(obj, &__key);
	}
	C
	sed "s/init_thing(obj, &__key);/init_thing(obj, \&__key); init_thing(0, \&__key);/" key.c >key-patched.c &&
	compile_pair key &&
	# setup: a zero-size numbered static in a section of its own
	readelf -sW key.o | grep -E " 0 OBJECT +LOCAL .* __key\.[0-9]+$" &&
	kmend_diff 0 -o key-out.o key.o key-patched.o &&
	test_functions "changed  setup" &&
	readelf -rW key-out.o >relocs &&
	test_grep -v "\.klp\.sym\.vmlinux\.__key" relocs &&
	readelf -sW key-out.o >syms &&
	test_grep " 0 OBJECT +LOCAL +DEFAULT +[0-9]+ __key\.[0-9]+$" syms
'

# Dynamic debug descriptors sit one after the other in __dyndbg; code
# passes &descriptor with a lea. The end of one descriptor is never a
# place the code means: it is the next one (drivers/base/core.c, 6 files).
test_expect_success 'a descriptor passed by address is never the end of the one before' '
	cat >dd.c <<-C &&
	struct desc { const char *fmt; long flags; };
	extern void emit(struct desc *d);
	#define SITE(f) ({ static struct desc __attribute__((section("__dyndbg"), used, aligned(8))) d = { f, 0 }; emit(&d); })
	void one(void) { SITE("one"); }
	void two(void) { SITE("two"); }
	void three(int x) { SITE("three"); if (x) SITE("four"); }
	C
	sed "s/SITE(\"three\"); if (x)/SITE(\"three\"); if (x > 1)/" dd.c >dd-patched.c &&
	compile_pair dd &&
	kmend_diff 0 -o dd-out.o dd.o dd-patched.o &&
	test_functions "changed  three" &&
	# setup: in the pristine object d.1 (at 0x10) holds "three", d.0 "four"
	readelf -sW dd.o | grep -E " 0+10 +16 OBJECT +LOCAL .* d\.1$" &&
	readelf -rW dd.o | grep -E "^0+10 .* \.rodata\.str1\.1 \+ 5$" &&
	readelf -p .rodata.str1.1 dd.o | grep -E "\[ +5\]  three$" &&
	readelf -rW dd-out.o | sed -n "/rela.text.three/,/^$/p" >relocs &&
	grep "klp\.sym\.vmlinux\.d\." relocs | awk "{ print \$5 }" >bound &&
	printf ".klp.sym.vmlinux.d.1,0\n.klp.sym.vmlinux.d.0,0\n" >expect-bound &&
	test_cmp expect-bound bound
'

# Several lock class keys in one changed function (mutex_init() twice in
# blk_alloc_queue): empty, so contents cannot tell them apart, and holding
# no state, so the module's own copies are the same thing.
test_expect_success 'several empty statics in a changed function: their own copies' '
	cat >keys.c <<-C &&
	struct lock_class_key { };
	extern void init_lock(void *l, struct lock_class_key *key);
	#define lock_init(l) ({ static struct lock_class_key __key; init_lock(l, &__key); })
	void setup(void *a, void *b) { lock_init(a); lock_init(b); }
	C
	sed "s/lock_init(b); }/lock_init(b); lock_init(a); }/" keys.c >keys-patched.c &&
	compile_pair keys &&
	kmend_diff 0 -o keys-out.o keys.o keys-patched.o &&
	test_functions "changed  setup" &&
	readelf -rW keys-out.o >relocs &&
	test_grep -v "klp\.sym\.vmlinux\.__key" relocs
'

# A fix that removes a function: the kernel keeps it (other files and
# modules may call it), which is no change, and is said.
test_expect_success 'a removed function is a note, and no change' '
	printf "int kept(int x) { return x + 1; }\nint dropped(int x) { return x * 2; }\n" >rm.c &&
	printf "int kept(int x) { return x + 1; }\n" >rm-patched.c &&
	compile_pair rm &&
	kmend_diff 3 rm.o rm-patched.o &&
	test_grep "note: .dropped. is gone from rm-patched.o: a live patch leaves the kernel.s copy in place" err
'

# A new entry of a table the kernel walks (a PCI fixup, a module parameter)
# is registered only by the boot or module loader: in a live patch it
# would never run. It is refused, not carried as "new data".
test_expect_success 'a new table entry is refused, not silently dropped' '
	cat >newent.c <<-C &&
	struct fixup { unsigned short vendor, device; void (*hook)(void *); };
	#define DECLARE_FIXUP(name, vendor, device, hook) static const struct fixup \
		name __attribute__((used, aligned(8), \
		section(".my_fixups_final"))) = { vendor, device, hook };
	void quirk_a(void *dev) { }
	DECLARE_FIXUP(fix_a, 0x8086, 0x1234, quirk_a)
	C
	cp newent.c newent-patched.c &&
	printf "void quirk_b(void *dev) { }\nDECLARE_FIXUP(fix_b, 0x1022, 0x1234, quirk_b)\n" >>newent-patched.c &&
	compile_pair newent &&
	kmend_diff 2 newent.o newent-patched.o &&
	test_grep "new entry .fix_b. in section \.my_fixups_final, a table the kernel reads at boot or load time: a live patch cannot register it" err
'

# Code reaches a static as ".data.once+1", not by its name: a new
# once-flag is referenced, not a table entry (fs/proc/base.c in t3200).
test_expect_success 'a new once-flag reached through its section is new data' '
	cat >once.c <<-C &&
	extern void note(int x);
	#define ONCE(x) ({ static _Bool __attribute__((section(".data.once"))) __already_done; \
		if (!__already_done) { __already_done = 1; note(x); } })
	void a(void) { ONCE(1); }
	void b(int x) { note(x); }
	C
	sed "s/void b(int x) { note(x); }/void b(int x) { ONCE(2); note(x); }/" once.c >once-patched.c &&
	compile_pair once &&
	# setup: the new flag is reached through the section symbol
	readelf -rW once-patched.o | sed -n "/rela.text.b/,/^$/p" >setup &&
	test_grep " \.data\.once [-+] [0-9a-f]+$" setup &&
	kmend_diff 0 -o once-out.o once.o once-patched.o &&
	test_functions "changed  b" &&
	readelf -SW once-out.o >sections &&
	test_grep " \.data\.once +PROGBITS" sections
'

test_done
