// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the IOVA allocator: the input bytes are a program of
 * operations run on two domains, each the real iova.c (#included here
 * unmodified, with iova_check on) in lockstep with the reference model
 * (iova_twin.c). Any disagreement, unsound tree, stray warning, leak or
 * sanitizer report is a crash.
 *
 * Encoding: an opcode byte, a domain byte (bit 0: A or B), then the
 * operands; a missing byte reads as 0. A "pfn" operand is a mode byte,
 * then: mode % 8 == 0: 8 raw bytes (big-endian); 1: start - 1 - byte;
 * 2: last + 1 + byte; otherwise start + (16-bit value % frames).
 *
 *   op % 10  operation   operands
 *   0        init        granule byte (bit 7: an invalid 0 or 3, else
 *                        2^(byte % 13)), 16-bit frame count (1 + value %
 *                        4096), base mode byte and its bytes (see in_base)
 *   1        reserve     pfn, length byte (bit 7: last = lo - low bits)
 *   2, 3     alloc       size byte (0xff: ULONG_MAX), align byte (bit 7:
 *                        an invalid 0 or 3, else 2^(byte % 64); bit 6: no
 *                        limit operand, ULONG_MAX), limit pfn
 *   4        free        index byte of a live allocation
 *   5        bad free    pfn, size byte
 *   6        clone       into this domain from the other one
 *   7        find        pfn
 *   8        fail        the (1 + byte % 4)th allocation from now fails
 *   9        compare     find() on every frame, against the model
 * Bit 7 of the opcode selects GFP_ATOMIC.
 *
 * The domains start as A = [0x100, 0x8ff] and B = [0x80, 0x5ff], granule
 * 4096: they overlap, so a clone either way clips.
 */
#include "../../iova.c"
#undef pr_fmt
#include "../../iova_rcache.c"

#include <stddef.h>
#include <stdlib.h>

#include "../iova_twin.h"
#include "vtd_shim.h"

/* Enough operations to fragment a domain, few enough to stay fast. */
#define FUZZ_MAX_OPS	1024
#define FUZZ_MAX_FRAMES	4096UL

struct fuzz_in {
	const u8 *p;
	size_t left;
};

static unsigned long in_u8(struct fuzz_in *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static unsigned long in_bytes(struct fuzz_in *in, unsigned int n)
{
	unsigned long v = 0;

	while (n--)
		v = v << 8 | in_u8(in);
	return v;
}

static unsigned long in_pfn(struct fuzz_in *in, const struct iova_twin *t)
{
	unsigned long frames = t->model.last - t->model.start + 1;

	switch (in_u8(in) % 8) {
	case 0:
		return in_bytes(in, 8);
	case 1:
		return t->model.start - 1 - in_u8(in);
	case 2:
		return t->model.last + 1 + in_u8(in);
	default:
		return t->model.start + in_bytes(in, 2) % frames;
	}
}

/* A domain base: the edges of the number space get their share. */
static unsigned long in_base(struct fuzz_in *in, unsigned long frames)
{
	unsigned long mode = in_u8(in), v;

	switch (mode % 6) {
	case 0:
		return 0;
	case 1:
		return in_bytes(in, 2);
	case 2:	/* at the very top; past it, for -EINVAL, if bit 7 */
		v = ULONG_MAX - frames - in_u8(in) % 4;
		return mode & 0x80 ? v + 1 : v;
	case 3:
		return 0x100000000UL - in_bytes(in, 2);
	case 4:
		return 1UL << (in_u8(in) % 64);
	default:
		v = in_bytes(in, 8);
		return v > ULONG_MAX - frames ? ULONG_MAX - frames : v;
	}
}

static void fuzz_init(struct fuzz_in *in, struct iova_twin *t)
{
	unsigned long g = in_u8(in), start, frames;

	/* Granules 2^0..2^12, or an invalid one (0, or not a power of two). */
	g = g & 0x80 ? (g & 1) * 3 : 1UL << (g % 13);
	frames = 1 + in_bytes(in, 2) % FUZZ_MAX_FRAMES;
	start = in_base(in, frames);
	/* Inverted bounds (-EINVAL) when the frame count is odd, sometimes. */
	if (frames > 1 && (frames & 7) == 7)
		iova_twin_init(t, g, start + frames - 1, start);
	else
		iova_twin_init(t, g, start, start + frames - 1);
}

static void fuzz_step(struct fuzz_in *in, struct iova_twin *tw)
{
	unsigned long op = in_u8(in), size, align, limit, lo, len;
	struct iova_twin *t = &tw[in_u8(in) & 1], *other = &tw[t == tw];
	gfp_t gfp = op & 0x80 ? GFP_ATOMIC : GFP_KERNEL;

	if (op % 10 != 0 && op % 10 != 8 && !t->live)
		return;
	switch (op % 10) {
	case 0:
		fuzz_init(in, t);
		break;
	case 1:
		lo = in_pfn(in, t);
		len = in_u8(in);
		iova_twin_reserve(t, lo, len & 0x80 ? lo - (len & 0x7f) :
				  lo + len, gfp);
		break;
	case 2:
	case 3:
		size = in_u8(in);
		/* 0 and ULONG_MAX stay, for -EINVAL and -ENOSPC. */
		size = size == 0xff ? ULONG_MAX : size;
		align = in_u8(in);
		limit = align & 0x40 ? ULONG_MAX : in_pfn(in, t);
		/* Powers of two up to 2^63; 0x80 and up: an invalid 3 or 0. */
		align = align & 0x80 ? (align & 1) * 3 : 1UL << (align % 64);
		iova_twin_alloc(t, size, limit, align, gfp, NULL);
		break;
	case 4:
		iova_twin_free_nth(t, in_u8(in));
		break;
	case 5:
		lo = in_pfn(in, t);
		iova_twin_free(t, lo, in_u8(in));
		break;
	case 6:
		iova_twin_clone(t, other, gfp);
		break;
	case 7:
		iova_twin_find(t, in_pfn(in, t));
		break;
	case 8:
		shim_fail_nth(1 + in_u8(in) % 4);
		break;
	default:
		iova_twin_compare(t);
		break;
	}
}

/* libFuzzer's entry point, named by the Makefile: checkpatch minds CamelCase. */
int IOVA_FUZZ_ENTRY(const u8 *data, size_t size);

int IOVA_FUZZ_ENTRY(const u8 *data, size_t size)
{
	static struct iova_twin tw[2] = { { .name = "A" }, { .name = "B" } };
	struct fuzz_in in = { data, size };
	struct shim_counts c;
	unsigned int ops;

	if (!iova_node_cache) {
		shim_set_quiet(true);
		iova_check = true;
		if (vtd_iova_init())
			abort();
	}
	shim_reset_counts();
	iova_twin_errors = 0;
	iova_twin_init(&tw[0], 4096, 0x100, 0x8ff);
	iova_twin_init(&tw[1], 4096, 0x80, 0x5ff);
	for (ops = 0; in.left && ops < FUZZ_MAX_OPS; ops++)
		fuzz_step(&in, tw);
	shim_fail_nth(0);
	iova_twin_compare(&tw[0]);
	iova_twin_compare(&tw[1]);
	iova_twin_destroy(&tw[0]);
	iova_twin_destroy(&tw[1]);

	shim_get_counts(&c);
	if (c.live) {
		shim_leak_report();
		abort();
	}
	if (iova_twin_errors || c.warn_on || c.bugs)
		abort();
	return 0;
}
