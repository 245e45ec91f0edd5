#!/usr/bin/env bash
# Runtime constants (6.11 on, so 6.12): runtime_const_ptr(SYM) is a
# movabs of a placeholder listed in section runtime_ptr_SYM, which the
# kernel overwrites with SYM's value at boot, in vmlinux only.  New code in
# a module is never patched: kmend turns the movabs into a load of SYM
# (mov SYM(%rip), %reg) and carries no runtime_ptr_ entry; a
# runtime_const_shift_right_32() (an 8-bit immediate) is refused.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

# The kernel's macros (arch/x86/include/asm/runtime-const.h of 6.12), in
# their own words: a placeholder immediate and a table entry naming it.
cat >"$TRASH/rc.h" <<'C'
#define runtime_const_ptr(sym) ({				\
	typeof(sym) __ret;					\
	asm volatile("mov %1,%0\n1:\n"				\
		".pushsection runtime_ptr_" #sym ",\"a\"\n\t"	\
		".long 1b - %c2 - .\n"				\
		".popsection"					\
		:"=r" (__ret)					\
		:"i" ((unsigned long)0x0123456789abcdefull),	\
		 "i" (sizeof(long)));				\
	__ret; })
#define runtime_const_shift_right_32(val, sym) ({		\
	typeof(0u+(val)) __ret = (val);				\
	asm volatile("shrl $12,%k0\n1:\n"			\
		".pushsection runtime_shift_" #sym ",\"a\"\n\t"	\
		".long 1b - 1 - .\n"				\
		".popsection"					\
		:"+r" (__ret));					\
	__ret; })
extern unsigned long USER_PTR_MAX;
C

test_expect_success 'a changed function reading a runtime constant loads the variable' '
	cat >ok.c <<-\C &&
	#include "rc.h"
	int valid(unsigned long p) { return p <= runtime_const_ptr(USER_PTR_MAX); }
	int other(int x) { return x * 3; }
	C
	sed "s/return p <= /return p > 4096 \\&\\& p <= /" ok.c >ok-patched.c &&
	! cmp -s ok.c ok-patched.c &&
	compile_pair ok &&
	readelf -SW ok-patched.o >sections &&
	test_grep " runtime_ptr_USER_PTR_MAX " sections &&
	objdump -d ok-patched.o >in.dis &&
	test_grep "movabs \\\$0x123456789abcdef," in.dis &&
	kmend_diff 0 -o ok-out.o ok.o ok-patched.o &&
	test_functions "changed  valid" &&
	readelf -SW ok-out.o >out.sections &&
	test_grep -v "runtime_" out.sections &&
	objdump -dr ok-out.o >out.dis &&
	test_grep -v "movabs" out.dis &&
	grep -A1 "mov    0x0(%rip),%r[a-z0-9]*" out.dis >load &&
	test_grep "R_X86_64_PC32	USER_PTR_MAX-0x4$" load &&
	test_grep "nopl   .%rax." out.dis
'

test_expect_success 'every register: the load writes the movabs'"'"' register' '
	cat >regs.c <<-\C &&
	#include "rc.h"
	unsigned long sum(void)
	{
		register unsigned long a asm("r9") = runtime_const_ptr(USER_PTR_MAX);
		register unsigned long b asm("rsi") = runtime_const_ptr(USER_PTR_MAX);
		asm volatile("" : "+r" (a), "+r" (b));
		return a ^ b;
	}
	C
	sed "s/return a ^ b;/return a + b;/" regs.c >regs-patched.c &&
	compile_pair regs &&
	objdump -d regs-patched.o >in.dis &&
	test_grep "movabs \\\$0x123456789abcdef,%r9" in.dis &&
	test_grep "movabs \\\$0x123456789abcdef,%rsi" in.dis &&
	kmend_diff 0 -o regs-out.o regs.o regs-patched.o &&
	objdump -dr regs-out.o >out.dis &&
	test_grep "mov    0x0.%rip.,%r9 " out.dis &&
	test_grep "mov    0x0.%rip.,%rsi " out.dis &&
	test "$(grep -c "R_X86_64_PC32	USER_PTR_MAX-0x4$" out.dis)" = 2
'

test_expect_success 'a static variable of the file: the kernel'"'"'s, by a livepatch relocation' '
	cat >st.c <<-\C &&
	#include "rc.h"
	static unsigned long *table __attribute__((used));
	void set(unsigned long *t) { table = t; }
	unsigned long get(unsigned int i) { return runtime_const_ptr(table)[i]; }
	C
	sed "s/\\[i\\];/[i + 1];/" st.c >st-patched.c &&
	compile_pair st &&
	kmend_diff 0 -o st-out.o st.o st-patched.o &&
	test_functions "changed  get" &&
	objdump -dr st-out.o >out.dis &&
	test_grep "R_X86_64_PC32	\\.klp\\.sym\\.vmlinux\\.table,0-0x4$" out.dis
'

test_expect_success 'an unchanged function with a runtime constant is not carried' '
	cat >un.c <<-\C &&
	#include "rc.h"
	int valid(unsigned long p) { return p <= runtime_const_ptr(USER_PTR_MAX); }
	int other(int x) { return x * 3; }
	C
	sed "s/x \\* 3/x * 5/" un.c >un-patched.c &&
	compile_pair un &&
	kmend_diff 0 -o un-out.o un.o un-patched.o &&
	test_functions "changed  other" &&
	readelf -SW un-out.o >out.sections &&
	test_grep -v "runtime_" out.sections
'

test_expect_success 'a runtime shift in changed code is refused, naming it' '
	cat >sh.c <<-\C &&
	#include "rc.h"
	unsigned int d_hash_shift;
	unsigned int bucket(unsigned int h) { return runtime_const_shift_right_32(h, d_hash_shift); }
	C
	sed "s/(h, d_hash_shift)/(h ^ 1, d_hash_shift)/" sh.c >sh-patched.c &&
	compile_pair sh &&
	kmend_diff 2 -o sh-out.o sh.o sh-patched.o &&
	test_grep "function .bucket. uses runtime constant .d_hash_shift. .section runtime_shift_d_hash_shift., a shift that the kernel writes into vmlinux.s code at boot and never into a module.s: apply the fix with a reboot" err &&
	test ! -e sh-out.o
'

test_expect_success 'a runtime_ptr_ entry at an instruction kmend does not know is refused' '
	cat >odd.c <<-\C &&
	extern unsigned long USER_PTR_MAX;
	unsigned long odd(void)
	{
		unsigned long r;
		asm volatile("mov $0x1234, %0\n1:\n"
			".pushsection runtime_ptr_USER_PTR_MAX,\"a\"\n\t"
			".long 1b - 4 - .\n.popsection" : "=r" (r));
		return r;
	}
	C
	sed "s/return r;/return r + 1;/" odd.c >odd-patched.c &&
	compile_pair odd &&
	kmend_diff 2 -o odd-out.o odd.o odd-patched.o &&
	test_grep "odd\+0x[0-9a-f]* uses runtime constant .USER_PTR_MAX. .section runtime_ptr_USER_PTR_MAX., and its code is not the instruction kmend knows" err &&
	test ! -e odd-out.o
'

test_done
