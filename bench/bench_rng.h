/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The random sequence and the sort order shared by the allocator
 * benchmarks: bench/iova_bench.c (the guest module, Linux's allocator
 * beside ours) and tools/iova_bench.c (userspace, ours old and new), so
 * that both drive the allocators with the same sequences. Included once
 * per program: it holds the generator's state. The includer provides u64.
 */
#ifndef VTD_BENCH_RNG_H
#define VTD_BENCH_RNG_H

static u64 rng_state;

static void rng_seed(u64 seed)
{
	rng_state = seed ? seed : 1;
}

/* xorshift64: the same sequence for every allocator. */
static u64 rng_next(void)
{
	u64 x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static unsigned long rng_below(unsigned long n)
{
	return rng_next() % n;
}

/* Ascending order of u64 values, for sort() and qsort(). */
static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

#endif /* VTD_BENCH_RNG_H */
