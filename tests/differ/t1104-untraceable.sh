#!/usr/bin/env bash
# Changed functions livepatch cannot redirect (no ftrace entry: notrace, a
# static inline kept out of line, the __do_sys_*() body of a syscall): the
# module carries their new code and replaces their traceable callers in the
# object instead, transitively; refused when another file may call them or
# their address is taken.  C compiled at test time.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

cat >"$TRASH/sys.c" <<'C'
#define notrace __attribute__((no_instrument_function, noinline))
struct regs { long di, si; };
int other(int);

/* SYSCALL_DEFINE1(answer, long, x), as the kernel expands it */
static notrace long __do_sys_answer(long x) { return other((int)x) + 42; }
static notrace long __se_sys_answer(long x) { return __do_sys_answer(x) * 2; }
long __x64_sys_answer(const struct regs *r) { return __se_sys_answer(r->di); }
long __ia32_sys_answer(const struct regs *r) { return __se_sys_answer(r->si); }

static notrace int leaf(int x) { return other(x) - 1; }
int user_a(int x) { return leaf(x) + other(1); }
int user_b(int x) { return leaf(x) * other(2); }
int bystander(int x) { return other(x) + 7; }

static notrace int handler(int x) { return other(x) ^ 5; }
int (*const handlers[])(int) = { handler };
int dispatch(int x) { return handler(x); }

notrace int exported_quiet(int x) { return other(x) | 3; }
int calls_exported(int x) { return exported_quiet(x) + 1; }
C

test_expect_success 'a syscall body: both wrappers replaced, the notrace chain carried' '
	cp sys.c sc.c &&
	sed "s/other((int)x) + 42/other((int)x) + 43/" sys.c >sc-patched.c &&
	compile_pair sc &&
	kmend_diff 0 -o sc-out.o sc.o sc-patched.o &&
	printf "%s\n" "carried  __do_sys_answer" "carried  __se_sys_answer" \
		"replaced __ia32_sys_answer" "replaced __x64_sys_answer" >expect &&
	test_cmp expect out &&
	test_grep "note: .__do_sys_answer. has no ftrace entry \(notrace\), so livepatch cannot redirect it: the module carries its new code and replaces its callers instead: __se_sys_answer$" err &&
	test_grep "note: .__se_sys_answer. has no ftrace entry .* instead: __x64_sys_answer, __ia32_sys_answer$" err
'

test_expect_success 'the wrappers call the carried copies in the module, never the kernel'"'"'s' '
	readelf -sW sc-out.o >syms &&
	test_grep "FUNC +LOCAL +DEFAULT +[0-9]+ __do_sys_answer$" syms &&
	test_grep "FUNC +LOCAL +DEFAULT +[0-9]+ __se_sys_answer$" syms &&
	test_grep -v "klp\.sym\.vmlinux\.__(do|se)_sys_answer" syms &&
	readelf -rW sc-out.o >relocs &&
	sed -n "/\.rela\.text\.__x64_sys_answer/,/^\$/p" relocs >x64 &&
	test_grep "R_X86_64_PC32 .* __se_sys_answer - 4$" x64
'

test_expect_success 'a notrace helper with two callers: both replaced, the helper carried' '
	cp sys.c leaf.c &&
	sed "s/other(x) - 1/other(x) - 2/" sys.c >leaf-patched.c &&
	compile_pair leaf &&
	kmend_diff 0 leaf.o leaf-patched.o &&
	printf "%s\n" "carried  leaf" "replaced user_a" "replaced user_b" >expect &&
	test_cmp expect out
'

test_expect_success 'a caller that changed too is listed as changed, not replaced' '
	cp sys.c both.c &&
	sed "s/other(x) - 1/other(x) - 2/; s/leaf(x) + other(1)/leaf(x) + other(9)/" sys.c >both-patched.c &&
	compile_pair both &&
	kmend_diff 0 both.o both-patched.o &&
	printf "%s\n" "carried  leaf" "changed  user_a" "replaced user_b" >expect &&
	test_cmp expect out
'

test_expect_success 'a notrace function whose address is taken is refused, naming the use' '
	cp sys.c addr.c &&
	sed "s/other(x) ^ 5/other(x) ^ 6/" sys.c >addr-patched.c &&
	compile_pair addr &&
	kmend_diff 2 -o addr-out.o addr.o addr-patched.o &&
	test_grep "function .handler. has no ftrace entry \(notrace\), so livepatch cannot redirect it, and its address is taken at handlers\+0x0 \(section \.rodata\.handlers\): the kernel keeps reaching the old code through it" err &&
	test ! -e addr-out.o
'

test_expect_success 'a global notrace function is refused: other files call it' '
	cp sys.c glob.c &&
	sed "s/other(x) | 3/other(x) | 4/" sys.c >glob-patched.c &&
	compile_pair glob &&
	kmend_diff 2 glob.o glob-patched.o &&
	test_grep "function .exported_quiet. has no ftrace entry \(notrace\), so livepatch cannot redirect it, and it is global: code in other files calls it" err &&
	test_grep "make the fix in its callers, or in a traceable function" err
'

test_expect_success 'a notrace function that only __init code calls is refused' '
	cat >boot.c <<-C &&
	int other(int);
	static __attribute__((no_instrument_function, noinline)) int early(int x) { return other(x) + 1; }
	__attribute__((section(".init.text"))) int setup(void) { return early(3); }
	C
	sed "s/other(x) + 1/other(x) + 2/" boot.c >boot-patched.c &&
	compile_pair boot &&
	kmend_diff 2 boot.o boot-patched.o &&
	test_grep "function .early[.a-z0-9]*. has no ftrace entry .* and nothing calls it that could be replaced instead" err
'

test_expect_success 'a notrace helper called from an alternative: its owner is replaced' '
	cat >alt.c <<-\C &&
	int other(int);
	static __attribute__((no_instrument_function, noinline, used)) int quiet_fix(void) { return other(1) + 1; }
	/* ALTERNATIVE("nop5", "call quiet_fix", feature) in a traceable function */
	int with_alt(int x)
	{
		asm volatile("661: .byte 0x0f,0x1f,0x44,0x00,0x00\n662:\n"
			     ".pushsection .altinstructions,\"a\"\n"
			     " .long 661b - .\n .long 6641f - .\n .word 3\n"
			     " .byte 662b-661b\n .byte 6651f-6641f\n.popsection\n"
			     ".pushsection .altinstr_replacement,\"ax\"\n"
			     "6641: call quiet_fix\n6651:\n.popsection\n" ::: "memory");
		return other(x);
	}
	C
	sed "s/other(1) + 1;/other(1) + 2;/" alt.c >alt-patched.c &&
	compile_pair alt &&
	readelf -rW alt.o | grep -A3 "rela.altinstr_replacement" | grep -q quiet_fix &&
	kmend_diff 0 -o alt-out.o alt.o alt-patched.o &&
	printf "%s\n" "carried  quiet_fix" "replaced with_alt" >expect &&
	test_cmp expect out &&
	readelf -rW alt-out.o >relocs &&
	sed -n "/rela.altinstr_replacement/,/^\$/p" relocs >repl &&
	test_grep "quiet_fix - 4" repl
'

test_done
