// SPDX-License-Identifier: GPL-2.0
/*
 * x86-64 instruction lengths, from the opcode maps of the Intel SDM
 * (volume 2, appendix A): prefixes, REX, VEX/EVEX, one of four opcode
 * maps, ModRM, SIB, displacement and immediate.  Each opcode of a map has
 * one attribute: whether a ModRM byte follows and what immediate comes last.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "arch_insn.h"

#define INSN_MAX_LEN	15	/* longer is #GP on every x86 */

/* What follows an opcode after its ModRM operand, if any. */
enum insn_operand {
	OP_BAD,		/* not an instruction in 64-bit mode (or not known) */
	OP_NONE,
	OP_IB,		/* an 8-bit immediate or rel8 */
	OP_IW,		/* 16 bits: ret/lret imm16 */
	OP_IZ,		/* 32 bits, 16 with 0x66 but no REX.W; also rel32 */
	OP_IV,		/* mov $imm, %reg: 32 bits, 64 with REX.W, 16 with 0x66 */
	OP_MOFFS,	/* an address: 64 bits, 32 with 0x67 */
	OP_ENTER,	/* iw, then ib */
	OP_GRP3,	/* F6/F7: only /0 and /1 (test) have an immediate */
	OP_PREFIX,	/* a legacy prefix */
	OP_REX,
	OP_ESC,		/* 0F 38 and 0F 3A: the three-byte maps */
	OP_VEX,		/* C4, C5 (VEX) and 62 (EVEX) in 64-bit mode */
};

#define ATTR_MODRM	0x10
#define ATTR_MODREG	0x20	/* mov to/from CRn, DRn: mod reads as 11 */
#define ATTR_KIND(a)	((a) & 0x0f)

/* Two letters each, so that a map is 16 columns as in the manual. */
#define XX OP_BAD
#define NO OP_NONE
#define Ib OP_IB
#define Iw OP_IW
#define Iz OP_IZ
#define Iv OP_IV
#define Ob OP_MOFFS
#define En OP_ENTER
#define Pf OP_PREFIX
#define Rx OP_REX
#define Es OP_ESC
#define Vx OP_VEX
#define M_ (ATTR_MODRM | OP_NONE)
#define MI (ATTR_MODRM | OP_IB)
#define MZ (ATTR_MODRM | OP_IZ)
#define MT (ATTR_MODRM | OP_GRP3)
#define MC (ATTR_MODRM | ATTR_MODREG | OP_NONE)

static const uint8_t one_byte_map[256] = {
/*       0   1   2   3   4   5   6   7   8   9   a   b   c   d   e   f */
/* 0 */ M_, M_, M_, M_, Ib, Iz, XX, XX, M_, M_, M_, M_, Ib, Iz, XX, Es,
/* 1 */ M_, M_, M_, M_, Ib, Iz, XX, XX, M_, M_, M_, M_, Ib, Iz, XX, XX,
/* 2 */ M_, M_, M_, M_, Ib, Iz, Pf, XX, M_, M_, M_, M_, Ib, Iz, Pf, XX,
/* 3 */ M_, M_, M_, M_, Ib, Iz, Pf, XX, M_, M_, M_, M_, Ib, Iz, Pf, XX,
/* 4 */ Rx, Rx, Rx, Rx, Rx, Rx, Rx, Rx, Rx, Rx, Rx, Rx, Rx, Rx, Rx, Rx,
/* 5 */ NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO,
/* 6 */ XX, XX, Vx, M_, Pf, Pf, Pf, Pf, Iz, MZ, Ib, MI, NO, NO, NO, NO,
/* 7 */ Ib, Ib, Ib, Ib, Ib, Ib, Ib, Ib, Ib, Ib, Ib, Ib, Ib, Ib, Ib, Ib,
/* 8 */ MI, MZ, XX, MI, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* 9 */ NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, XX, NO, NO, NO, NO, NO,
/* a */ Ob, Ob, Ob, Ob, NO, NO, NO, NO, Ib, Iz, NO, NO, NO, NO, NO, NO,
/* b */ Ib, Ib, Ib, Ib, Ib, Ib, Ib, Ib, Iv, Iv, Iv, Iv, Iv, Iv, Iv, Iv,
/* c */ MI, MI, Iw, NO, Vx, Vx, MI, MZ, En, NO, Iw, NO, NO, Ib, XX, NO,
/* d */ M_, M_, M_, M_, XX, XX, XX, NO, M_, M_, M_, M_, M_, M_, M_, M_,
/* e */ Ib, Ib, Ib, Ib, Ib, Ib, Ib, Ib, Iz, Iz, XX, Ib, NO, NO, NO, NO,
/* f */ Pf, NO, Pf, Pf, NO, NO, MT, MT, NO, NO, NO, NO, NO, NO, M_, M_,
};

/* 0F xx: 0F 0F is 3DNow! (its opcode comes last, as an ib) */
static const uint8_t two_byte_map[256] = {
/*       0   1   2   3   4   5   6   7   8   9   a   b   c   d   e   f */
/* 0 */ M_, M_, M_, M_, XX, NO, NO, NO, NO, NO, XX, NO, XX, M_, NO, MI,
/* 1 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* 2 */ MC, MC, MC, MC, XX, XX, XX, XX, M_, M_, M_, M_, M_, M_, M_, M_,
/* 3 */ NO, NO, NO, NO, NO, NO, XX, NO, Es, XX, Es, XX, XX, XX, XX, XX,
/* 4 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* 5 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* 6 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* 7 */ MI, MI, MI, MI, M_, M_, M_, NO, M_, M_, XX, XX, M_, M_, M_, M_,
/* 8 */ Iz, Iz, Iz, Iz, Iz, Iz, Iz, Iz, Iz, Iz, Iz, Iz, Iz, Iz, Iz, Iz,
/* 9 */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* a */ NO, NO, NO, M_, MI, M_, M_, M_, NO, NO, NO, M_, MI, M_, M_, M_,
/* b */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, MI, M_, M_, M_, M_, M_,
/* c */ M_, M_, MI, M_, MI, MI, MI, M_, NO, NO, NO, NO, NO, NO, NO, NO,
/* d */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* e */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
/* f */ M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_, M_,
};

#undef XX
#undef NO
#undef Ib
#undef Iw
#undef Iz
#undef Iv
#undef Ob
#undef En
#undef Pf
#undef Rx
#undef Es
#undef Vx
#undef M_
#undef MI
#undef MZ
#undef MT
#undef MC

/* The maps, numbered as VEX and EVEX number them. */
enum insn_map { MAP_ONE_BYTE, MAP_0F, MAP_0F38, MAP_0F3A };

struct insn_decoder {
	const unsigned char *buf;
	size_t size;		/* of buf, at most INSN_MAX_LEN */
	size_t pos;		/* of the next byte */
	bool opsize16;		/* 0x66 */
	bool addr32;		/* 0x67 */
	bool rex_w;
	unsigned char opcode;	/* the last opcode byte */
	unsigned char modrm;
};

static int next_byte(struct insn_decoder *d, unsigned char *byte)
{
	if (d->pos >= d->size)
		return -EINVAL;
	*byte = d->buf[d->pos++];
	return 0;
}

static int skip_bytes(struct insn_decoder *d, size_t n)
{
	if (d->pos + n > d->size)
		return -EINVAL;
	d->pos += n;
	return 0;
}

static uint8_t map_attr(enum insn_map map, unsigned char opcode)
{
	switch (map) {
	case MAP_ONE_BYTE:
		return one_byte_map[opcode];
	case MAP_0F:
		return two_byte_map[opcode];
	case MAP_0F38:
		return ATTR_MODRM | OP_NONE;
	case MAP_0F3A:
		return ATTR_MODRM | OP_IB;
	}
	return OP_BAD;
}

/*
 * Legacy prefixes and REX, up to the first opcode byte, which is left in
 * *byte.  A REX prefix counts only right before the opcode.
 */
static int read_prefixes(struct insn_decoder *d, unsigned char *byte)
{
	for (;;) {
		int ret = next_byte(d, byte);

		if (ret)
			return ret;
		switch (ATTR_KIND(one_byte_map[*byte])) {
		case OP_PREFIX:
			d->opsize16 |= *byte == 0x66;
			d->addr32 |= *byte == 0x67;
			d->rex_w = false;
			break;
		case OP_REX:
			d->rex_w = *byte & 0x08;
			break;
		default:
			return 0;
		}
	}
}

/*
 * VEX (C5: one byte, map 0F; C4: two bytes naming the map) or EVEX (62:
 * three bytes naming the map), then the opcode.  Every such instruction
 * has a ModRM byte but vzeroupper and vzeroall (VEX 0F 77); the immediate
 * is that of the legacy opcode: ib or nothing.
 */
static int read_vex(struct insn_decoder *d, unsigned char escape,
		    uint8_t *attr)
{
	unsigned char p0 = 0;
	enum insn_map map = MAP_0F;
	int ret = next_byte(d, &p0);

	if (!ret && escape != 0xc5) {
		map = escape == 0xc4 ? p0 & 0x1f : p0 & 0x07;
		ret = skip_bytes(d, escape == 0xc4 ? 1 : 2);
	}
	if (!ret)
		ret = next_byte(d, &d->opcode);
	if (ret || map < MAP_0F || map > MAP_0F3A)
		return -EINVAL;
	*attr = map_attr(map, d->opcode);
	if (*attr == OP_BAD || ATTR_KIND(*attr) == OP_ESC)
		return -EINVAL;
	if (map == MAP_0F && d->opcode == 0x77 && escape != 0x62)
		*attr = OP_NONE;
	else
		*attr = ATTR_MODRM |
			(ATTR_KIND(*attr) == OP_IB ? OP_IB : OP_NONE);
	return 0;
}

/*
 * The opcode bytes from first (the byte after the prefixes) on; *attr is
 * the attribute of the last.  With 0x66, call, jmp and jcc take a rel16,
 * as AMD and objdump have it (Intel ignores 0x66 there; gcc never emits it).
 */
static int read_opcode(struct insn_decoder *d, unsigned char first,
		       uint8_t *attr)
{
	enum insn_map map = MAP_ONE_BYTE;
	int ret = 0;

	d->opcode = first;
	*attr = one_byte_map[first];
	if (ATTR_KIND(*attr) == OP_VEX)
		return read_vex(d, first, attr);
	if (first == 0x0f) {
		map = MAP_0F;
		ret = next_byte(d, &d->opcode);
		if (!ret && ATTR_KIND(two_byte_map[d->opcode]) == OP_ESC) {
			map = d->opcode == 0x38 ? MAP_0F38 : MAP_0F3A;
			ret = next_byte(d, &d->opcode);
		}
		if (ret)
			return ret;
		*attr = map_attr(map, d->opcode);
	}
	switch (ATTR_KIND(*attr)) {
	case OP_BAD:
	case OP_PREFIX:
	case OP_REX:
	case OP_ESC:
	case OP_VEX:
		return -EINVAL;
	}
	return 0;
}

/* mod 01: disp8; mod 10, RIP-relative or SIB without base: disp32 */
static unsigned char disp_size(unsigned char mod, unsigned char rm,
			       unsigned char sib)
{
	if (mod == 1)
		return 1;
	if (mod == 2 || (mod == 0 && rm == 5) ||
	    (mod == 0 && rm == 4 && (sib & 7) == 5))
		return 4;
	return 0;
}

/* The SIB byte and displacement a ModRM byte calls for. */
static int read_modrm(struct insn_decoder *d, uint8_t attr,
		      struct arch_insn *insn)
{
	unsigned char mod, rm, sib = 0;
	int ret;

	if (!(attr & ATTR_MODRM))
		return 0;
	ret = next_byte(d, &d->modrm);
	if (ret)
		return ret;
	mod = d->modrm >> 6;
	rm = d->modrm & 7;
	if (mod == 3 || (attr & ATTR_MODREG))
		return 0;
	if (rm == 4) {
		ret = next_byte(d, &sib);
		if (ret)
			return ret;
	}
	insn->disp_len = disp_size(mod, rm, sib);
	insn->rip_relative = mod == 0 && rm == 5;
	if (!insn->disp_len)
		return 0;
	insn->disp_off = d->pos;
	return skip_bytes(d, insn->disp_len);
}

static size_t immediate_size(const struct insn_decoder *d, uint8_t attr)
{
	bool imm16 = d->opsize16 && !d->rex_w;

	switch (ATTR_KIND(attr)) {
	case OP_IB:
		return 1;
	case OP_IW:
		return 2;
	case OP_IZ:
		return imm16 ? 2 : 4;
	case OP_IV:
		return d->rex_w ? 8 : imm16 ? 2 : 4;
	case OP_MOFFS:
		return d->addr32 ? 4 : 8;
	case OP_ENTER:
		return 3;
	case OP_GRP3:
		if ((d->modrm >> 3 & 7) > 1)
			return 0;
		return d->opcode == 0xf6 ? 1 : imm16 ? 2 : 4;
	}
	return 0;
}

int arch_insn_decode(const unsigned char *buf, size_t size,
		     struct arch_insn *insn)
{
	struct insn_decoder d = {
		.buf = buf,
		.size = size < INSN_MAX_LEN ? size : INSN_MAX_LEN,
	};
	unsigned char first;
	uint8_t attr;
	size_t imm;
	int ret;

	memset(insn, 0, sizeof(*insn));
	ret = read_prefixes(&d, &first);
	if (!ret)
		ret = read_opcode(&d, first, &attr);
	if (!ret)
		ret = read_modrm(&d, attr, insn);
	if (ret)
		goto fail;
	imm = immediate_size(&d, attr);
	if (imm) {
		insn->imm_off = d.pos;
		insn->imm_len = imm;
		ret = skip_bytes(&d, imm);
		if (ret)
			goto fail;
	}
	insn->len = d.pos;
	return 0;
fail:
	memset(insn, 0, sizeof(*insn));
	return ret;
}

long arch_insn_end_at(const unsigned char *code, size_t size, size_t offset)
{
	struct arch_insn insn;
	size_t pos = 0;

	while (pos < size) {
		if (arch_insn_decode(code + pos, size - pos, &insn))
			return -EINVAL;
		pos += insn.len;
		if (offset < pos)
			return pos;
	}
	return -EINVAL;
}

/* Legacy prefixes gcc puts before a branch: none, or a hint (2e, 3e). */
static size_t branch_prefixes(const unsigned char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && (buf[i] == 0x2e || buf[i] == 0x3e))
		i++;
	return i;
}

bool arch_insn_branch(const unsigned char *buf, const struct arch_insn *insn,
		      struct arch_branch *br)
{
	size_t p = branch_prefixes(buf, insn->len);
	unsigned char op;

	if (p >= insn->len || !insn->imm_len ||
	    (insn->imm_len != 1 && insn->imm_len != 4))
		return false;
	op = buf[p];
	if (op == 0xeb || op == 0xe9)
		br->kind = 'j';
	else if (op == 0xe8)
		br->kind = 'c';
	else if (op >= 0x70 && op <= 0x7f)
		br->kind = (char)('a' + (op - 0x70));
	else if (op == 0x0f && p + 1 < insn->len && buf[p + 1] >= 0x80 &&
		 buf[p + 1] <= 0x8f)
		br->kind = (char)('a' + (buf[p + 1] - 0x80));
	else
		return false;
	br->rel_off = insn->imm_off;
	if (insn->imm_len == 1) {
		br->rel = (signed char)buf[insn->imm_off];
	} else {
		int32_t v;

		memcpy(&v, buf + insn->imm_off, sizeof(v));
		br->rel = v;
	}
	return true;
}

bool arch_insn_is_nop(const unsigned char *buf, const struct arch_insn *insn)
{
	size_t i = 0;

	while (i < insn->len && buf[i] == 0x66)
		i++;
	if (i < insn->len && buf[i] == 0x90)
		return i + 1 == insn->len;
	return i + 1 < insn->len && buf[i] == 0x0f && buf[i + 1] == 0x1f;
}
