#!/usr/bin/env bash
# Static locals that only pace diagnostics (printk_ratelimited()'s _rs,
# pr_debug() descriptors, once-only flags): in a changed function that has
# several of the same name and contents, the kernel's twin of each cannot be
# told apart, and the new code keeps its own, with a note that says what
# that means.  Any other such static stays refused.  C compiled at test time.
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

cat >"$TRASH/rl.c" <<'C'
struct ratelimit_state { int lock, interval, burst, printed, missed; long begin, flags; };
int ___ratelimit(struct ratelimit_state *, const char *);
int printk(const char *, ...);
/* printk_ratelimited() as include/linux/printk.h writes it */
#define printk_ratelimited(fmt, ...) ({					\
	static struct ratelimit_state _rs = { 0, 5 * 250, 10, 0, 0, 0, 0 };	\
	if (___ratelimit(&_rs, __func__)) printk(fmt, ##__VA_ARGS__); })
/* a counter of the same shape that is real state */
#define count_event() ({ static long hits[2]; hits[0]++; })

int dump(int x)
{
	if (x > 10)
		printk_ratelimited("too big %d\n", x);
	if (x < 0)
		printk_ratelimited("negative %d\n", x);
	return x * 2;
}

int track(int x)
{
	if (x > 10)
		count_event();
	if (x < 0)
		count_event();
	return x * 2;
}
C

test_expect_success 'a changed function with two printk_ratelimited(): each keeps its own state' '
	cp rl.c rs.c &&
	sed "/^int dump/,/^}/s/return x \* 2;/return x * 3;/" rl.c >rs-patched.c &&
	compile_pair rs &&
	readelf -sW rs.o >syms.in &&
	test $(grep -c " _rs\.[0-9]*$" syms.in) = 2 &&
	kmend_diff 0 -o rs-out.o rs.o rs-patched.o &&
	printf "changed  dump\n" >expect &&
	test_cmp expect out &&
	test_grep "note: dump\+0x[0-9a-f]*: ._rs\.[0-9]*. is a rate limit state, and its twin in the kernel cannot be told apart: the module keeps its own, so its rate limit starts afresh" err &&
	readelf -sW rs-out.o >syms &&
	test $(grep -cE "OBJECT +LOCAL +DEFAULT +[0-9]+ _rs\.[0-9]*$" syms) = 2 &&
	test_grep -v "klp\.sym\.vmlinux\._rs" syms
'

test_expect_success 'the same shape of static that is real state stays refused' '
	cp rl.c ct.c &&
	sed "/^int track/,/^}/s/return x \* 2;/return x * 3;/" rl.c >ct-patched.c &&
	compile_pair ct &&
	readelf -sW ct.o >syms.in &&
	test $(grep -c " hits\.[0-9]*$" syms.in) = 2 &&
	kmend_diff 2 ct.o ct-patched.o &&
	test_grep "uses the static variable .hits\.[0-9]*., and kmend cannot tell which of the kernel.s variables of that name it is" err
'

test_done
