// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace micro-benchmark of the IOVA allocator's tree (iova.c, the
 * uncached path): the sequences of the guest benchmark's allocator section
 * (bench/iova_bench.c, "ours"), run natively so that a change can be timed
 * and profiled (perf, callgrind) in seconds. The same source builds against
 * the working tree's iova.c and against a baseline copy of it (make
 * bench-iova BASE=commit), so before/after is one run of two binaries.
 *
 * Sequences (every request aligned to its size rounded up to a power of
 * two, as the guest bench and the DMA shim ask):
 *   loop     alloc+free pairs on an empty domain, sizes 1..32 and 128:
 *            mean ns per pair over batches of 1000, median batch
 *   mix      live ranges of a realistic size mix, fragmented, then free a
 *            random one and time the allocation that refills it
 *   linwalk  2-page requests above a field of 1-page holes
 *   3in4     3-page requests aligned to 4 among 3-page gaps
 * Each line prints median, p99 and mean ns, and the median of the nodes
 * the search visited (last_search_visits).
 *
 * The shim's allocator and locks are the test ones (tracking, poisoning):
 * their cost is the same for both binaries and is included.
 *
 * usage: iova_bench [-b BATCHES] [-l LIVE] [-o OPS] [-g GAPS] [-r ROUNDS] [TEST...]
 */
#include "../iova.c"
#undef pr_fmt
#include "../iova_rcache.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vtd_shim.h"
#include "../bench/bench_rng.h"

#define BENCH_LAST_PFN	((1UL << 36) - 1)

static unsigned long opt_live = 20000, opt_ops = 20000, opt_gaps = 16384;
static unsigned int opt_batches = 50;

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Sorts @v; prints median, p99 and mean. */
static void report(const char *what, u64 *v, u64 *visits, unsigned long n)
{
	unsigned long i;
	double mean = 0;

	for (i = 0; i < n; i++)
		mean += v[i];
	mean /= n;
	qsort(v, n, sizeof(*v), cmp_u64);
	if (visits)
		qsort(visits, n, sizeof(*visits), cmp_u64);
	printf("%-22s med=%llu p99=%llu mean=%.0f visits_med=%llu visits_max=%llu\n",
	       what, (unsigned long long)v[n / 2],
	       (unsigned long long)v[(n - 1) * 99 / 100], mean,
	       visits ? (unsigned long long)visits[n / 2] : 0ULL,
	       visits ? (unsigned long long)visits[n - 1] : 0ULL);
}

static void die(const char *what, int ret)
{
	fprintf(stderr, "iova_bench: %s: %d\n", what, ret);
	exit(1);
}

static int get(struct vtd_iova_domain *d, unsigned long size,
	       unsigned long limit, unsigned long *pfn)
{
	return vtd_iova_alloc(d, size, limit, roundup_pow_of_two(size),
			      GFP_KERNEL, pfn);
}

static void put(struct vtd_iova_domain *d, unsigned long pfn,
		unsigned long size)
{
	if (vtd_iova_free(d, pfn, size))
		die("free", -1);
}

/*
 * The operations a test times, and only those, go through these two: run
 * under valgrind --tool=callgrind --toggle-collect=timed_op to count the
 * instructions of exactly what is timed (bench-iova.sh -c).
 */
static noinline int timed_op(struct vtd_iova_domain *d, unsigned long size,
			     unsigned long limit, unsigned long *pfn, bool pair)
{
	int ret = get(d, size, limit, pfn);

	if (!ret && pair)
		put(d, *pfn, size);
	return ret;
}

static void bench_loop(void)
{
	static const unsigned long sizes[] = { 1, 2, 4, 8, 16, 32, 128 };
	unsigned int nb = opt_batches, b, i, s;
	u64 v[50];
	char what[32];

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		struct vtd_iova_domain d;
		unsigned long pfn;

		if (vtd_iova_domain_init(&d, 4096, 1, BENCH_LAST_PFN))
			die("init", -1);
		for (b = 0; b <= nb; b++) {
			u64 t0 = now_ns();

			for (i = 0; i < 1000; i++) {
				if (timed_op(&d, sizes[s], BENCH_LAST_PFN, &pfn,
					     true))
					die("loop alloc", -1);
			}
			if (b)
				v[b - 1] = (now_ns() - t0) / 1000;
		}
		vtd_iova_domain_destroy(&d);
		snprintf(what, sizeof(what), "loop size=%lu", sizes[s]);
		report(what, v, NULL, nb);
	}
}

static unsigned long mix_size(void)
{
	unsigned long r = rng_below(100);

	if (r < 50)
		return 1;
	if (r < 65)
		return 2;
	if (r < 70)
		return 3;
	if (r < 80)
		return 4;
	if (r < 85)
		return 6;
	if (r < 90)
		return 8;
	if (r < 93)
		return 12;
	if (r < 97)
		return 16;
	if (r < 99)
		return 32;
	return 64;
}

static void bench_mix(void)
{
	unsigned long live = opt_live, ops = opt_ops, i, k;
	unsigned long *pfn = calloc(live, sizeof(*pfn));
	unsigned long *size = calloc(live, sizeof(*size));
	u64 *v = calloc(ops, sizeof(*v)), *vis = calloc(ops, sizeof(*vis));
	struct vtd_iova_domain d;
	char what[48];
	int ret;

	if (vtd_iova_domain_init(&d, 4096, 1, BENCH_LAST_PFN))
		die("init", -1);
	rng_seed(0x5eed0001);
	for (i = 0; i < live; i++) {
		size[i] = mix_size();
		ret = get(&d, size[i], BENCH_LAST_PFN, &pfn[i]);
		if (ret)
			die("mix fill", ret);
	}
	for (k = 0; k < live / 3; k++) {
		i = rng_below(live);
		put(&d, pfn[i], size[i]);
		size[i] = mix_size();
		if (get(&d, size[i], BENCH_LAST_PFN, &pfn[i]))
			die("mix frag", -1);
	}
	for (k = 0; k < ops; k++) {
		unsigned long sz = mix_size();
		u64 t0;

		i = rng_below(live);
		put(&d, pfn[i], size[i]);
		size[i] = sz;
		t0 = now_ns();
		ret = timed_op(&d, sz, BENCH_LAST_PFN, &pfn[i], false);
		v[k] = now_ns() - t0;
		vis[k] = d.last_search_visits;
		if (ret)
			die("mix", ret);
	}
	for (i = 0; i < live; i++)
		put(&d, pfn[i], size[i]);
	vtd_iova_domain_destroy(&d);
	snprintf(what, sizeof(what), "mix live=%lu", live);
	report(what, v, vis, ops);
	free(pfn);
	free(size);
	free(v);
	free(vis);
}

static void bench_linwalk(void)
{
	unsigned long live = opt_live, dense = live / 2, total = dense + live;
	unsigned long ops = opt_ops / 10, i, k, half = dense / 2, p;
	unsigned long *pfn = calloc(total, sizeof(*pfn));
	bool *held = calloc(total, sizeof(*held));
	u64 *v = calloc(ops, sizeof(*v)), *vis = calloc(ops, sizeof(*vis));
	struct vtd_iova_domain d;
	char what[48];

	if (vtd_iova_domain_init(&d, 4096, 1, BENCH_LAST_PFN))
		die("init", -1);
	for (i = 0; i < total; i++) {
		if (get(&d, 1, BENCH_LAST_PFN, &pfn[i]))
			die("linwalk fill", -1);
		held[i] = true;
	}
	for (i = dense + 1; i < total; i += 2) {
		put(&d, pfn[i], 1);
		held[i] = false;
	}
	for (k = 0; k < ops; k++) {
		u64 t0;

		i = 2 * ((k * 7919) % half);
		if (held[i]) {
			put(&d, pfn[i], 1);
			held[i] = false;
		}
		t0 = now_ns();
		if (timed_op(&d, 2, BENCH_LAST_PFN, &p, false))
			die("linwalk", -1);
		v[k] = now_ns() - t0;
		vis[k] = d.last_search_visits;
		put(&d, p, 2);
	}
	for (i = 0; i < total; i++)
		if (held[i])
			put(&d, pfn[i], 1);
	vtd_iova_domain_destroy(&d);
	snprintf(what, sizeof(what), "linwalk live=%lu", live);
	report(what, v, vis, ops);
	free(pfn);
	free(held);
	free(v);
	free(vis);
}

static void bench_3in4(void)
{
	unsigned long gaps = opt_gaps, base = 1UL << 24, top = base + 4 * gaps - 1;
	unsigned long ops = opt_ops / 10, i, k, p;
	u64 *v = calloc(ops, sizeof(*v)), *vis = calloc(ops, sizeof(*vis));
	struct vtd_iova_domain d;
	char what[48];
	int ret;

	if (vtd_iova_domain_init(&d, 4096, 1, BENCH_LAST_PFN))
		die("init", -1);
	for (i = 0; i < gaps; i++) {
		ret = vtd_iova_reserve(&d, base + 4 * i, base + 4 * i, GFP_KERNEL);
		if (ret)
			die("3in4 reserve", ret);
	}
	for (k = 0; k < ops; k++) {
		u64 t0 = now_ns();

		ret = timed_op(&d, 3, top, &p, false);
		v[k] = now_ns() - t0;
		vis[k] = d.last_search_visits;
		if (ret || p >= base)
			die("3in4", ret ? ret : -EFAULT);
		put(&d, p, 3);
	}
	vtd_iova_domain_destroy(&d);
	snprintf(what, sizeof(what), "3in4 gaps=%lu", gaps);
	report(what, v, vis, ops);
	free(v);
	free(vis);
}

int main(int argc, char **argv)
{
	unsigned int rounds = 1, r;
	int opt, i;

	while ((opt = getopt(argc, argv, "b:l:o:g:r:")) != -1) {
		switch (opt) {
		case 'b':
			opt_batches = clamp(strtoul(optarg, NULL, 0), 1UL, 50UL);
			break;
		case 'l':
			opt_live = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			opt_ops = strtoul(optarg, NULL, 0);
			break;
		case 'g':
			opt_gaps = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-b BATCHES] [-l LIVE] [-o OPS] [-g GAPS] [-r ROUNDS]\n"
				"       [loop|mix|linwalk|3in4]...\n", argv[0]);
			return 2;
		}
	}
	if (vtd_iova_init())
		die("vtd_iova_init", -1);
	for (r = 0; r < rounds; r++) {
		for (i = optind; i < argc || i == optind; i++) {
			const char *t = i < argc ? argv[i] : "all";
			bool all = !strcmp(t, "all");

			if (all || !strcmp(t, "loop"))
				bench_loop();
			if (all || !strcmp(t, "mix"))
				bench_mix();
			if (all || !strcmp(t, "linwalk"))
				bench_linwalk();
			if (all || !strcmp(t, "3in4"))
				bench_3in4();
		}
	}
	vtd_iova_exit();
	return 0;
}
