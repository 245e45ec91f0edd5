#!/usr/bin/env bash
# Header changes, unit by unit: an inline function of a header changes its
# callers in every unit that uses it; a header that only gains a
# declaration or a macro changes nothing in a unit that does not use them
# (even though its preprocessed text changes); a header that changes the
# size or member offsets of a type is refused with the type, the member,
# the header and what to do instead (layout.c, from DWARF).
# shellcheck disable=SC2016,SC1091 # single-quoted test bodies; lib.sh
. "$(dirname "$0")/../lib.sh"
. "$TEST_DIR/differ/lib-differ.sh"

# compile_unit NAME [CFLAGS...]: NAME.c against pristine/h.h and
# patched/h.h, from one directory so that __FILE__ is the same
compile_unit() {
	local name=$1
	shift
	gcc $DIFF_CFLAGS "$@" -Ipristine -c "$name.c" -o "$name.o" &&
	gcc $DIFF_CFLAGS "$@" -Ipatched -c "$name.c" -o "$name-patched.o"
}

test_expect_success 'an inline function of a header changes its callers in two units' '
	mkdir -p pristine patched &&
	cat >pristine/h.h <<-C &&
	static inline int scale(int x) { return x * 2; }
	C
	cat >patched/h.h <<-C &&
	static inline int scale(int x) { return x * 3 + 1; }
	C
	cat >a.c <<-C &&
	#include "h.h"
	int a_area(int w, int h) { return scale(w) * h; }
	int a_other(int x) { return x - 1; }
	C
	cat >b.c <<-C &&
	#include "h.h"
	int b_volume(int w, int h, int d) { return scale(w) * h * d; }
	C
	cat >c.c <<-C &&
	#include "h.h"
	int c_plain(int x) { return x + 5; }
	C
	compile_unit a && compile_unit b && compile_unit c &&
	kmend_diff 0 a.o a-patched.o && test_functions "changed  a_area" &&
	kmend_diff 0 b.o b-patched.o && test_functions "changed  b_volume" &&
	kmend_diff 3 c.o c-patched.o && test_functions
'

test_expect_success 'a new declaration and macro change nothing in a unit that does not use them' '
	mkdir -p decl/pristine decl/patched &&
	cat >decl/pristine/h.h <<-C &&
	struct req { int id; int len; };
	int req_submit(struct req *r);
	#define REQ_MAX 16
	C
	cat >decl/patched/h.h <<-C &&
	struct req { int id; int len; };
	int req_submit(struct req *r);
	int req_cancel(struct req *r);
	#define REQ_MAX 16
	#define REQ_FLAG_URGENT 0x4
	static inline int req_is_big(const struct req *r) { return r->len > REQ_MAX; }
	C
	cat >decl/u.c <<-C &&
	#include "h.h"
	int submit_two(struct req *a, struct req *b)
	{
		return req_submit(a) + req_submit(b) + REQ_MAX;
	}
	C
	(cd decl && compile_unit u -g) &&
	gcc -E -P -Idecl/pristine decl/u.c >pre.i &&
	gcc -E -P -Idecl/patched decl/u.c >post.i &&
	! cmp -s pre.i post.i &&
	kmend_diff 3 decl/u.o decl/u-patched.o && test_functions
'

test_expect_success 'a header that grows a struct is refused with the type, the member and the header' '
	mkdir -p lay/pristine lay/patched &&
	cat >lay/pristine/h.h <<-C &&
	struct conn { int fd; unsigned int flags; long bytes; };
	static inline long conn_bytes(const struct conn *c) { return c->bytes; }
	C
	cat >lay/patched/h.h <<-C &&
	struct conn { int fd; unsigned int flags; int retries; long bytes; };
	static inline long conn_bytes(const struct conn *c) { return c->bytes; }
	C
	cat >lay/u.c <<-C &&
	#include "h.h"
	long total(struct conn *a, struct conn *b) { return conn_bytes(a) + conn_bytes(b); }
	C
	(cd lay && compile_unit u -g) &&
	kmend_diff 2 lay/u.o lay/u-patched.o &&
	test_grep "struct conn [(]pristine/h.h[)] changes its layout" err &&
	test_grep "its size goes from 16 to 24 bytes" err &&
	test_grep "member .bytes. moves from offset 8 to 16" err &&
	test_grep "member .retries. is new" err &&
	test_grep "shadow variable" err &&
	test ! -s out
'

test_expect_success 'a member of an anonymous union that moves is named; an unchanged layout passes' '
	mkdir -p anon/pristine anon/patched anon/same &&
	cat >anon/pristine/h.h <<-C &&
	struct msg { int kind; union { int code; char tag; }; short len; };
	static inline int msg_len(const struct msg *m) { return m->len; }
	C
	cat >anon/patched/h.h <<-C &&
	struct msg { int kind; short len; union { int code; char tag; }; };
	static inline int msg_len(const struct msg *m) { return m->len; }
	C
	cat >anon/u.c <<-C &&
	#include "h.h"
	int len_of(struct msg *m) { return msg_len(m); }
	C
	(cd anon && compile_unit u -g) &&
	kmend_diff 2 anon/u.o anon/u-patched.o &&
	test_grep "struct msg [(]pristine/h.h[)] changes its layout" err &&
	test_grep "member .code. moves from offset 4 to 8" err &&
	test_grep "member .len. moves from offset 8 to 4" err &&
	cp anon/pristine/h.h anon/patched/h.h &&
	echo "static inline int msg_kind(const struct msg *m) { return m->kind; }" >>anon/patched/h.h &&
	(cd anon && compile_unit u -g) &&
	kmend_diff 3 anon/u.o anon/u-patched.o && ! grep layout err
'

# DWARF 5 gives a bit-field's place from the struct's start; DWARF 2 to 4
# (gcc -gdwarf-4, clang) from the top bit of its storage unit
test_expect_success 'bit-fields that swap places within one word are refused, in DWARF 4 and 5' '
	for d in 4 5; do
		mkdir -p bf$d/pristine bf$d/patched &&
		cat >bf$d/pristine/h.h <<-C &&
		struct flags { int n; unsigned int a:3, b:5; unsigned char c:1; };
		static inline int flags_a(const struct flags *f) { return f->a + f->n; }
		C
		cat >bf$d/patched/h.h <<-C &&
		struct flags { int n; unsigned int b:5, a:3; unsigned char c:1; };
		static inline int flags_a(const struct flags *f) { return f->a + f->n; }
		C
		cat >bf$d/u.c <<-C &&
		#include "h.h"
		int get_a(struct flags *f) { return flags_a(f); }
		C
		(cd bf$d && compile_unit u -g -gdwarf-$d) &&
		kmend_diff 2 bf$d/u.o bf$d/u-patched.o &&
		test_grep "struct flags [(]pristine/h.h[)] changes its layout" err &&
		test_grep "member .a. moves from bit 32 to bit 37" err &&
		test_grep "member .b. moves from bit 35 to bit 32" err &&
		test_grep -v "member .c." err || return 1
	done
'

test_expect_success 'one layout read from DWARF 4 and from DWARF 5 is the same: no change' '
	mkdir -p bfx/pristine bfx/patched &&
	cat >bfx/pristine/h.h <<-C &&
	struct mix {
		char k;
		unsigned short s:3, t:9;
		signed char u:2;
		unsigned long long w:40, x:20;
		struct { unsigned int y:7; int z:11; };
		unsigned char last:1;
	};
	static inline long mix_sum(const struct mix *m)
	{ return m->s + m->t + m->u + m->w + m->x + m->y + m->z + m->last; }
	C
	cp bfx/pristine/h.h bfx/patched/h.h &&
	echo "static inline int mix_k(const struct mix *m) { return m->k; }" >>bfx/patched/h.h &&
	cat >bfx/u.c <<-C &&
	#include "h.h"
	long sum(struct mix *m) { return mix_sum(m); }
	C
	gcc $DIFF_CFLAGS -g -gdwarf-4 -Ibfx/pristine -c bfx/u.c -o bfx/u.o &&
	gcc $DIFF_CFLAGS -g -gdwarf-5 -Ibfx/patched -c bfx/u.c -o bfx/u-patched.o &&
	readelf --debug-dump=info bfx/u.o | grep -q DW_AT_bit_offset &&
	readelf --debug-dump=info bfx/u-patched.o | grep -q DW_AT_data_bit_offset &&
	kmend_diff 3 bfx/u.o bfx/u-patched.o && test_grep -v layout err
'

test_done
