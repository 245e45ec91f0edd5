#!/usr/bin/env bash
# The instruction length decoder (lib/arch_x86_insn.c) against objdump: on
# code compiled at test time the way the kernel is compiled, on kmend's own
# sources at several optimization levels and on the kernel's own modules,
# every instruction of every code section must start and end where objdump
# says, and arch_insn_end_at() must give the end of its instruction for
# every byte of every function (build/tests/unit/test-insn OBJ checks that).
# shellcheck disable=SC2016,SC1091,SC2034 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"
. "$TEST_DIR/vm/lib/modules.sh"

TEST_INSN=${TEST_INSN:-$SRC_DIR/build/tests/unit/test-insn}
# What the kernel adds for IBT, retpolines, return thunks and SLS.
KERNEL_CFLAGS="$DIFF_CFLAGS -ffreestanding -mno-red-zone -fcf-protection=branch
	-mindirect-branch=thunk-extern -mindirect-branch-register
	-mindirect-branch-cs-prefix -mfunction-return=thunk-extern -mharden-sls=all"

# objdump_insns OBJ: "SECTION OFFSET LENGTH" for each instruction objdump
# -d shows.  objdump shows fwait and the x87 instruction after it as one
# (finit is 9b db e3); the processor, and the decoder, see two.
objdump_insns() {
	objdump -d -z --insn-width=16 "$1" | awk -F'\t' '
	function hex(s,   i, n) {
		n = 0
		for (i = 1; i <= length(s); i++)
			n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return n
	}
	/^Disassembly of section / {
		sec = $0
		sub(/^Disassembly of section /, "", sec)
		sub(/:$/, "", sec)
		next
	}
	/^ *[0-9a-f]+:\t/ {
		off = $1
		gsub(/[ :]/, "", off)
		n = split($2, b, " ")
		if (b[1] == "9b" && n > 1) {
			print sec, off, 1
			off = sprintf("%x", hex(off) + 1)
			n--
		}
		print sec, off, n
	}'
}

# same_boundaries OBJ...: the decoder and objdump agree on each object;
# the instructions compared are added to the file "count".
same_boundaries() {
	local o
	for o in "$@"; do
		objdump_insns "$o" >"$o.objdump" || return 1
		if ! "$TEST_INSN" "$o" >"$o.decoded" 2>"$o.stats"; then
			cat "$o.stats"
			return 1
		fi
		test_cmp "$o.objdump" "$o.decoded" || return 1
		wc -l <"$o.decoded" >>count
	done
}

cat >"$TRASH/kernel-like.c" <<'C'
typedef unsigned long u64;
typedef unsigned int u32;
int var, pcpu_var;
unsigned char flag, pcpu_flag;
short half;
long big;
u64 bits[4];
struct thing { int a; short b; char c; long d; } thing;
extern void callee(int);
extern int (*hook)(int);

void set_var(void) { var = 5; }
int flag_is_one(void) { return flag == 1; }
int flag_has_4(void) { return flag & 4; }
int var_has_big_bit(void) { return var & 0x100000; }
void set_half(short *p) { *p = 0x1234; thing.b = 7; half = -2; }
void set_thing(void) { thing.a = 100000; thing.c = 'x'; thing.d = -1; }
u64 const64(void) { return 0x1122334455667788UL; }
void add64(void) { big += 0x123456789aL; }
long arith(long a, long b) { return a / b + (u64)a % (u64)b - ~a * 1000 + (-b >> 3); }
unsigned __int128 wide(u64 a, u64 b) { return (unsigned __int128)a * b; }
int pick(int a, int b, int c) { return a < b ? c : a; }
void bit40(u64 x) { if (x & (1UL << 40)) callee(1); }
int test_bit(long nr)
{
	unsigned char set;

	asm volatile("btq %2,%1; setc %0" : "=qm"(set) : "m"(bits), "Ir"(nr));
	return set + ((bits[nr >> 6] >> (nr & 63)) & 1);
}
u64 shifts(u64 x, int n) { return (x << n) ^ (x >> 7) ^ ((long)x >> 63); }
int call_hook(int x) { callee(x); return hook(x) + 1; }

int switcher(int x)
{
	switch (x) {
	case 0: return 11; case 1: return 23; case 2: return 37;
	case 3: return 41; case 4: return 53; case 5: return 67;
	case 6: return 71; case 7: return 83; case 8: return 97;
	case 9: return 101; default: return -1;
	}
}

void set_bit(long nr, volatile u64 *addr)
{
	asm volatile("lock btsq %1,%0" : "+m"(*addr) : "Ir"(nr) : "memory");
}

int percpu(void)
{
	int v;
	u64 canary;

	asm volatile("movl %%gs:%1,%0" : "=r"(v) : "m"(pcpu_var));
	asm volatile("addl $1,%%gs:%0" : "+m"(pcpu_var));
	asm volatile("addl $100000,%%gs:%0" : "+m"(pcpu_var));
	asm volatile("movb $3,%%gs:%0" : "+m"(pcpu_flag));
	asm volatile("cmpb $1,%%gs:%0" : "+m"(pcpu_flag));
	asm volatile("movq %%gs:0x28,%0" : "=r"(canary));
	asm volatile("incl %%gs:%P0" : : "i"(0x1234));
	return v + (int)canary;
}

u64 msr(u32 index)
{
	u32 lo, hi, a = 1, b, c = 0, d;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
	asm volatile("wrmsr" : : "c"(index), "a"(lo), "d"(hi) : "memory");
	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	asm volatile("lfence; mfence; sfence; pause" ::: "memory");
	asm volatile("swapgs; stac; clac; sti; cli; hlt; wbinvd" ::: "memory");
	asm volatile("rdtscp; xgetbv; rdpid %%rax; ud2; int3; nop" ::: "rax", "rcx", "rdx", "memory");
	asm volatile("invlpg (%0); clflush (%0)" : : "r"(&var) : "memory");
	return ((u64)hi << 32) | lo | b | d;
}

u64 control(u64 v)
{
	u64 cr3;

	asm volatile("mov %%cr3,%0; mov %1,%%cr4; mov %%dr7,%0" : "=&r"(cr3) : "r"(v));
	return cr3;
}

int atomics(int *p, u64 *q, int v)
{
	u64 old = 0;

	asm volatile("xchg %0,%1" : "+r"(v), "+m"(*p));
	asm volatile("lock cmpxchgq %2,%1" : "+a"(old), "+m"(*q) : "r"(7UL));
	asm volatile("lock xaddl %0,%1" : "+r"(v), "+m"(*p));
	asm volatile("lock incl %0; lock andb $0xf,%0" : "+m"(*p));
	asm volatile("testl $0x100000,%0; testw $0x1234,%0; testb $1,%0" : : "m"(*p));
	asm volatile("notl %0; negl %0; mull %0; idivl %0" : "+m"(*p) : : "rax", "rdx");
	asm volatile("cmpxchg16b %0" : "+m"(bits[0]) : : "rax", "rdx", "rbx", "rcx");
	return v + (int)old;
}

void strings(void *dst, const void *src, u64 n)
{
	asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	asm volatile("rep stosq" : "+D"(dst), "+c"(n) : "a"(0UL) : "memory");
}

u64 moffs(void)
{
	u64 v;

	asm volatile("movabs 0x1122334455667788,%%al; movabs %%rax,0x1122334455667788;"
		     "movabs 0x1122334455667788,%%rax" : "=a"(v));
	return v;
}

__attribute__((target("avx2,popcnt,pclmul,aes,sse4.2")))
int vector(int *a, const int *b, int n, u64 x)
{
	int i;

	for (i = 0; i < n; i++)
		a[i] += b[i] * 3;
	asm volatile("vpxor %%ymm0,%%ymm0,%%ymm0; vpalignr $4,%%ymm1,%%ymm2,%%ymm3;"
		     "vmovdqa %0,%%ymm4; vpshufb %%ymm1,%%ymm2,%%ymm3; vzeroupper;"
		     "pclmulqdq $0x11,%%xmm1,%%xmm0; aesenc %%xmm1,%%xmm0;"
		     "pshufb %%xmm1,%%xmm0; crc32q %%rax,%%rax; movbe (%%rdi),%%eax;"
		     "pextrd $1,%%xmm0,%%eax; vmovdqu64 0x40(%%rdi),%%zmm0;"
		     "vpternlogd $0x96,%%zmm1,%%zmm2,%%zmm3"
		     : : "m"(bits) : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "rax", "memory");
	return __builtin_popcountl(x);
}

asm(".pushsection .text.odd,\"ax\"\n"
    "odd:\n"
    "	enter $16,$0\n	leave\n	ret $8\n	lretq\n	iretq\n	sysretq\n"
    "	xbegin 1f\n1:	xabort $3\n	xend\n"
    "	.byte 0xf3,0x0f,0xa7,0xc8\n"	/* rep xcrypt-ecb, padlock-aes.c */
    "	.byte 0x0f,0xa7,0xc0\n"		/* xstore, via-rng.c */
    "	finit\n	fnstcw (%rsp)\n	fstcw (%rsp)\n	fwait\n"
    "	cs nopw 0x0(%rax,%rax,1)\n"
    "	.byte 0x66,0x66,0x2e,0x0f,0x1f,0x84,0,0,0,0,0\n"	/* data16 cs nopw */
    "	.popsection\n");
C

test_expect_success 'code compiled as the kernel is: objdump boundaries at -O0, -Os, -O2' '
	test -x "$TEST_INSN" &&
	rm -f count &&
	for opt in -O0 -Os "-O2 -fno-jump-tables" -O2; do
		gcc $KERNEL_CFLAGS $opt -c kernel-like.c -o kernel-like.o &&
		same_boundaries kernel-like.o || exit 1
	done &&
	objdump -d kernel-like.o >dis &&
	test_grep "movl +\\\$0x5,0x0\(%rip\)" dis &&
	test_grep "cmpb +\\\$0x1,0x0\(%rip\)" dis &&
	test_grep "movabs +\\\$0x1122334455667788" dis &&
	test_grep "%gs:0x0\(%rip\)" dis &&
	test_grep "bt +\\\$0x28" dis &&
	test_grep "vpternlogd" dis &&
	say "$(awk "{ n += \$1 } END { print n }" count) instructions"
'

LIB_INCLUDES=$(for d in "$SRC_DIR"/lib "$SRC_DIR"/lib/*/; do printf -- "-I%s " "$d"; done)
export LIB_INCLUDES

test_expect_success "kmend's own sources: objdump boundaries at -O2, -Os, -O0" '
	rm -f count &&
	for opt in -O2 -Os -O0; do
		for c in "$SRC_DIR"/lib/*.c "$SRC_DIR"/lib/*/*.c; do
			o=$(basename "$c" .c)$opt.o &&
			gcc $DIFF_CFLAGS $opt $LIB_INCLUDES $(pkg-config --cflags libelf 2>/dev/null) \
				-D_GNU_SOURCE -std=c11 -c "$c" -o "$o" &&
			same_boundaries "$o" || exit 1
		done
	done &&
	say "$(awk "{ n += \$1 } END { print n }" count) instructions"
'

# kernel_modules DIR: the modules of module tree DIR that the test decodes,
# plain (6.1) or compressed (.ko.xz: Debian's 6.12).
kernel_modules() {
	[ -d "$1/kernel/arch/x86" ] || return 0
	find "$1/kernel/arch/x86" "$1/kernel/drivers/crypto" \
		"$1/kernel/drivers/char/hw_random" "$1/kernel/fs/xfs" \
		\( -name "padlock-*.ko*" -o -name "via-rng.ko*" -o -name "xfs.ko*" \
		-o -path "*/arch/x86/*.ko*" \) 2>/dev/null | sort
}

# decode_modules MODULE...: each (decompressed into the trash first when it
# is a .ko.xz) has objdump's boundaries.
decode_modules() {
	local m o
	rm -f count
	for m in "$@"; do
		o=$(basename "$m")
		case $m in
		*.ko.xz) o=${o%.xz}; xz -dc "$m" >"$o" || return 1 ;;
		*.ko) cp "$m" . || return 1 ;;
		*) continue ;;
		esac
		same_boundaries "$o" || return 1
	done
	say "$(awk "{ n += \$1 } END { print n }" count) instructions"
}

# The installed kernel's modules, and those of the 6.12 kernel in kmend's
# test cache (kmend fetch), whose modules are .ko.xz.
K612=${KM_FLEET_612:-6.12.117+deb12-amd64}
TREES="${KREL:+/lib/modules/$KREL}
${KMEND_TEST_CACHE:-$HOME/.cache/kmend}/$K612/debian/lib/modules/$K612"
for tree in $TREES; do
	modules=$(kernel_modules "$tree")
	if [ -z "$modules" ]; then
		test_skip "the kernel's own modules in $tree: objdump boundaries" \
			"no such module tree (kmend fetch $K612 makes the 6.12 one)"
		continue
	fi
	export modules
	test_expect_success "the kernel's own modules in $tree: objdump boundaries" '
		# shellcheck disable=SC2086 # a list of paths without spaces
		decode_modules $modules
	'
done

test_done
