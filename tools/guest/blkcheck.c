// SPDX-License-Identifier: GPL-2.0
/*
 * blkcheck: write and verify self-identifying 4 KiB blocks on a block
 * device with O_DIRECT, for the guest's fail-inject scenario, where
 * writes and reads may fail but must never return wrong data.
 *
 * Every block starts with a header (magic, disk tag, generation, block
 * number) followed by bytes from a generator seeded by those three, so a
 * block that is stale, misplaced, from another disk or damaged is told
 * apart from a good one. I/O goes in chunks (default 256 KiB, from a
 * page-aligned user buffer: a multi-segment scatterlist per request). A
 * state file holds, per chunk, the last generation written to it with
 * success: a chunk whose write failed may hold any generation from that
 * one up to the current (a partial write), and nothing else.
 *
 * usage: blkcheck write|verify DEV TAG GEN MIB [-s STATE] [-c KIB] [-f] [-S]
 *   write    write generation GEN over the first MIB MiB; a failed chunk
 *            write is counted and skipped (fatal with -S)
 *   verify   read the first MIB MiB back and check every block; a failed
 *            read is counted and skipped (fatal with -S, which also wants
 *            every block at generation GEN)
 *   -s FILE  the state file (default: none, every chunk assumed written)
 *   -c KIB   chunk size in KiB, a multiple of 4 (default 256)
 *   -f       write 1 to /proc/self/make-it-fail once the device is open
 *            (fault injection's task filter aims at this process only)
 *   -S       strict, see above
 *
 * Exit status: 0 no wrong data (and, with -S, no I/O error); 1 wrong data
 * or a failed strict check; 2 usage or setup error. The last line says
 * "blkcheck: ... OK" or "blkcheck: ... FAIL".
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLK		4096
#define MAGIC		0x31304b4c42445456ULL	/* "VTDBLK01" */
#define HDR_WORDS	3			/* magic, tag|gen, block */
#define MAX_REPORT	8

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The block @blk of generation @gen on disk @tag. */
static void make_block(uint64_t *w, uint32_t tag, uint32_t gen, uint64_t blk)
{
	uint64_t s = ((uint64_t)tag << 48) ^ ((uint64_t)gen << 24) ^ blk;
	size_t i;

	w[0] = MAGIC;
	w[1] = (uint64_t)tag << 32 | gen;
	w[2] = blk;
	for (i = HDR_WORDS; i < BLK / 8; i++)
		w[i] = splitmix(&s);
}

static void bad_args(void)
{
	fprintf(stderr,
		"usage: blkcheck write|verify DEV TAG GEN MIB [-s STATE] [-c KIB] [-f] [-S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *state_path = NULL, *dev, *cmd;
	unsigned long chunk_kib = 256, mib, nchunks, c, b;
	int strict = 0, aim = 0, fd, sfd = -1, opt, writing;
	uint64_t good = 0, older = 0, bad = 0, io_err = 0, io_ok = 0;
	uint32_t tag, gen, *state;
	size_t chunk, per;
	uint64_t *buf, *want;
	int last_errno = 0;

	while ((opt = getopt(argc, argv, "s:c:fS")) != -1) {
		switch (opt) {
		case 's':
			state_path = optarg;
			break;
		case 'c':
			chunk_kib = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			aim = 1;
			break;
		case 'S':
			strict = 1;
			break;
		default:
			bad_args();
		}
	}
	if (argc - optind != 5 || !chunk_kib || chunk_kib % 4)
		bad_args();
	cmd = argv[optind];
	dev = argv[optind + 1];
	tag = strtoul(argv[optind + 2], NULL, 0);
	gen = strtoul(argv[optind + 3], NULL, 0);
	mib = strtoul(argv[optind + 4], NULL, 0);
	if (!strcmp(cmd, "write"))
		writing = 1;
	else if (!strcmp(cmd, "verify"))
		writing = 0;
	else
		bad_args();
	if (!gen || !mib || (mib * 1024) % chunk_kib)
		bad_args();
	setvbuf(stdout, NULL, _IOLBF, 0);
	chunk = chunk_kib * 1024;
	per = chunk / BLK;
	nchunks = mib * 1024 / chunk_kib;

	state = calloc(nchunks, sizeof(*state));
	if (!state || posix_memalign((void **)&buf, 4096, chunk) ||
	    posix_memalign((void **)&want, 4096, BLK)) {
		perror("blkcheck: memory");
		return 2;
	}
	if (state_path) {
		sfd = open(state_path, O_RDWR | O_CREAT, 0644);
		if (sfd < 0 || pread(sfd, state, nchunks * sizeof(*state), 0) < 0) {
			perror(state_path);
			return 2;
		}
	}
	fd = open(dev, (writing ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		perror(dev);
		return 2;
	}
	if (aim) {
		/*
		 * Fault everything in first: a failed page allocation in a
		 * page fault would be an OOM, not an I/O error.
		 */
		memset(buf, 0, chunk);
		memset(want, 0, BLK);
		if (mlockall(MCL_CURRENT | MCL_FUTURE))
			perror("blkcheck: mlockall (going on)");
		int a = open("/proc/self/make-it-fail", O_WRONLY);

		if (a < 0 || write(a, "1", 1) != 1) {
			perror("blkcheck: /proc/self/make-it-fail");
			return 2;
		}
		close(a);
	}

	for (c = 0; c < nchunks; c++) {
		off_t off = (off_t)c * chunk;
		uint64_t first = c * per;
		ssize_t n;

		if (writing) {
			for (b = 0; b < per; b++)
				make_block(buf + b * (BLK / 8), tag, gen, first + b);
			n = pwrite(fd, buf, chunk, off);
			if (n == (ssize_t)chunk) {
				state[c] = gen;
				io_ok++;
				continue;
			}
			/* A short write is a failed one: the rest is unknown. */
			last_errno = n < 0 ? errno : EIO;
			if (io_err++ < MAX_REPORT)
				printf("blkcheck: %s: write chunk %lu (offset %lld): %s\n",
				       dev, c, (long long)off,
				       n < 0 ? strerror(errno) : "short write");
			continue;
		}
		memset(buf, 0, chunk);
		n = pread(fd, buf, chunk, off);
		if (n != (ssize_t)chunk) {
			last_errno = n < 0 ? errno : EIO;
			if (io_err++ < MAX_REPORT)
				printf("blkcheck: %s: read chunk %lu (offset %lld): %s\n",
				       dev, c, (long long)off,
				       n < 0 ? strerror(errno) : "short read");
			continue;
		}
		io_ok++;
		for (b = 0; b < per; b++) {
			uint64_t *got = buf + b * (BLK / 8);
			uint32_t g = (uint32_t)got[1];
			uint32_t lo = state_path ? state[c] : gen;
			const char *why = NULL;

			if (got[0] != MAGIC)
				why = "no block header (zeroes or garbage)";
			else if (got[1] >> 32 != tag)
				why = "a block of another disk";
			else if (got[2] != first + b)
				why = "a block of another place (misplaced)";
			else if (g > gen || g < lo || !g)
				why = "a generation it cannot hold (stale)";
			if (!why) {
				make_block(want, tag, g, first + b);
				if (memcmp(want, got, BLK))
					why = "damaged contents";
			}
			if (why) {
				if (bad++ < MAX_REPORT)
					fprintf(stdout,
						"blkcheck: %s: MISMATCH block %llu (chunk %lu): %s: magic %#llx tag %llu gen %u block %llu; expected gen %u..%u\n",
						dev, (unsigned long long)(first + b), c,
						why, (unsigned long long)got[0],
						(unsigned long long)(got[1] >> 32), g,
						(unsigned long long)got[2], lo, gen);
				continue;
			}
			if (g == gen)
				good++;
			else
				older++;
		}
	}
	if (sfd >= 0 && writing &&
	    pwrite(sfd, state, nchunks * sizeof(*state), 0) < 0) {
		perror(state_path);
		return 2;
	}

	if (writing) {
		fprintf(stdout,
			"blkcheck: %s: wrote gen %u over %lu MiB: %llu of %lu chunks written, %llu failed%s%s %s\n",
			dev, gen, mib, (unsigned long long)io_ok, nchunks,
			(unsigned long long)io_err,
			io_err ? ", last error: " : "",
			io_err ? strerror(last_errno) : "",
			strict && io_err ? "FAIL" : "OK");
		return strict && io_err ? 1 : 0;
	}
	fprintf(stdout,
		"blkcheck: %s: verified %lu MiB for gen %u: %llu blocks at gen %u, %llu older (in chunks whose write failed), %llu read errors (chunks)%s%s, %llu MISMATCHES %s\n",
		dev, mib, gen, (unsigned long long)good, gen,
		(unsigned long long)older, (unsigned long long)io_err,
		io_err ? ", last: " : "", io_err ? strerror(last_errno) : "",
		(unsigned long long)bad, bad || (strict && (io_err || older)) ? "FAIL" : "OK");
	return bad || (strict && (io_err || older)) ? 1 : 0;
}
