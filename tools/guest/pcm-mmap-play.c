// SPDX-License-Identifier: GPL-2.0
/*
 * pcm-mmap-play: play a tone on an ALSA PCM through an mmap of its DMA
 * buffer, with the kernel's ioctls only (no alsa-lib), for the guest's
 * hda-play scenario. It is the path a sound server takes: HW_PARAMS with
 * MMAP_INTERLEAVED access, mmap of the data area (the driver's buffer,
 * mapped to user space by the kernel's dma_mmap_* call), PREPARE, the
 * buffer filled, START, then refilled period by period while it checks
 * that the hardware pointer advances and that no xrun happens.
 *
 * usage: pcm-mmap-play [-D /dev/snd/pcmC0D0p] [-t SECONDS] [-x] [-R]
 *   -x  tolerate xruns (recover and go on; they are still counted)
 *   -R  only HW_PARAMS with RW_INTERLEAVED access (no mmap) and stop:
 *       tells a failing buffer allocation from a refused mmap access
 *
 * Prints "pcm-mmap-play: ..." lines; the last is "PASS ..." or
 * "FAIL at <step>: <reason>", where step is one of open, hw_params,
 * sw_params, prepare, mmap, start, play. Exit status: 0 pass, 1 fail,
 * 2 usage.
 */

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <sound/asound.h>

#define ME "pcm-mmap-play"

/* Frames per period and periods per buffer: about 340 ms at 48 kHz. */
#define PERIOD_FRAMES	4096
#define PERIODS		4
#define CHANNELS	2
#define FRAME_BYTES	(CHANNELS * 2)	/* S16_LE */

static int fail(const char *step, const char *fmt, ...)
{
	va_list ap;

	printf(ME ": FAIL at %s: ", step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return 1;
}

static struct snd_mask *param_mask(struct snd_pcm_hw_params *p, int n)
{
	return &p->masks[n - SNDRV_PCM_HW_PARAM_FIRST_MASK];
}

static struct snd_interval *param_ival(struct snd_pcm_hw_params *p, int n)
{
	return &p->intervals[n - SNDRV_PCM_HW_PARAM_FIRST_INTERVAL];
}

/* Every value allowed, as alsa-lib's snd_pcm_hw_params_any() starts. */
static void params_any(struct snd_pcm_hw_params *p)
{
	int n;

	memset(p, 0, sizeof(*p));
	for (n = SNDRV_PCM_HW_PARAM_FIRST_MASK;
	     n <= SNDRV_PCM_HW_PARAM_LAST_MASK; n++)
		memset(param_mask(p, n), 0xff, sizeof(struct snd_mask));
	for (n = SNDRV_PCM_HW_PARAM_FIRST_INTERVAL;
	     n <= SNDRV_PCM_HW_PARAM_LAST_INTERVAL; n++) {
		param_ival(p, n)->min = 0;
		param_ival(p, n)->max = UINT_MAX;
	}
	p->rmask = ~0u;
	p->info = ~0u;
}

static void mask_only(struct snd_pcm_hw_params *p, int n, unsigned int bit)
{
	struct snd_mask *m = param_mask(p, n);

	memset(m, 0, sizeof(*m));
	m->bits[bit / 32] = 1u << (bit % 32);
}

static void ival_set(struct snd_pcm_hw_params *p, int n, unsigned int min,
		     unsigned int max)
{
	struct snd_interval *i = param_ival(p, n);

	i->min = min;
	i->max = max;
	i->integer = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A square wave, so that the buffer is not all zeroes. */
static void fill(int16_t *buf, unsigned long bufsz, unsigned long from,
		 unsigned long frames)
{
	unsigned long f, pos;
	int c;

	for (f = 0; f < frames; f++) {
		pos = (from + f) % bufsz;
		for (c = 0; c < CHANNELS; c++)
			buf[pos * CHANNELS + c] = ((from + f) / 55) & 1 ?
						  4000 : -4000;
	}
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/snd/pcmC0D0p";
	struct snd_pcm_hw_params hw;
	struct snd_pcm_sw_params sw;
	struct snd_pcm_sync_ptr sp;
	unsigned long bufsz, period, rate, boundary;
	unsigned long appl, hw0, played, xruns = 0, wakeups = 0;
	double secs = 5, t0, t;
	int tolerate = 0, rw_only = 0, fd, opt, err;
	int16_t *buf;

	while ((opt = getopt(argc, argv, "D:t:xR")) != -1) {
		switch (opt) {
		case 'D':
			dev = optarg;
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'x':
			tolerate = 1;
			break;
		case 'R':
			rw_only = 1;
			break;
		default:
			fprintf(stderr,
				"usage: " ME " [-D /dev/snd/pcmC0D0p] [-t SECONDS] [-x] [-R]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	fd = open(dev, O_RDWR | O_NONBLOCK);
	if (fd < 0)
		return fail("open", "%s: %s", dev, strerror(errno));

	params_any(&hw);
	mask_only(&hw, SNDRV_PCM_HW_PARAM_ACCESS,
		  rw_only ? SNDRV_PCM_ACCESS_RW_INTERLEAVED :
			    SNDRV_PCM_ACCESS_MMAP_INTERLEAVED);
	mask_only(&hw, SNDRV_PCM_HW_PARAM_FORMAT, SNDRV_PCM_FORMAT_S16_LE);
	mask_only(&hw, SNDRV_PCM_HW_PARAM_SUBFORMAT, SNDRV_PCM_SUBFORMAT_STD);
	ival_set(&hw, SNDRV_PCM_HW_PARAM_CHANNELS, CHANNELS, CHANNELS);
	ival_set(&hw, SNDRV_PCM_HW_PARAM_RATE, 44100, 48000);
	ival_set(&hw, SNDRV_PCM_HW_PARAM_PERIOD_SIZE, PERIOD_FRAMES,
		 PERIOD_FRAMES);
	ival_set(&hw, SNDRV_PCM_HW_PARAM_PERIODS, PERIODS, PERIODS);
	if (ioctl(fd, SNDRV_PCM_IOCTL_HW_PARAMS, &hw) < 0)
		return fail("hw_params",
			    "SNDRV_PCM_IOCTL_HW_PARAMS (%s, S16_LE, %d ch, %d x %d frames): %s",
			    rw_only ? "RW_INTERLEAVED" : "MMAP_INTERLEAVED",
			    CHANNELS, PERIODS, PERIOD_FRAMES, strerror(errno));
	rate = param_ival(&hw, SNDRV_PCM_HW_PARAM_RATE)->min;
	period = param_ival(&hw, SNDRV_PCM_HW_PARAM_PERIOD_SIZE)->min;
	bufsz = param_ival(&hw, SNDRV_PCM_HW_PARAM_BUFFER_SIZE)->min;
	if (rw_only) {
		fprintf(stdout,
			"pcm-mmap-play: PASS: HW_PARAMS with RW_INTERLEAVED access: buffer of %u frames allocated\n",
			param_ival(&hw, SNDRV_PCM_HW_PARAM_BUFFER_SIZE)->min);
		return 0;
	}
	fprintf(stdout,
		"pcm-mmap-play: %s: mmap interleaved S16_LE %d ch %lu Hz, period %lu frames, buffer %lu frames (%lu bytes)\n",
		dev, CHANNELS, rate, period, bufsz, bufsz * FRAME_BYTES);

	memset(&sw, 0, sizeof(sw));
	sw.avail_min = period;
	sw.period_step = 1;
	sw.start_threshold = bufsz;
	sw.stop_threshold = bufsz;	/* an underrun is an xrun */
	if (ioctl(fd, SNDRV_PCM_IOCTL_SW_PARAMS, &sw) < 0)
		return fail("sw_params", "SNDRV_PCM_IOCTL_SW_PARAMS: %s",
			    strerror(errno));
	boundary = sw.boundary;
	if (!boundary || boundary % bufsz)
		return fail("sw_params", "odd boundary %lu for buffer %lu",
			    boundary, bufsz);

	if (ioctl(fd, SNDRV_PCM_IOCTL_PREPARE) < 0)
		return fail("prepare", "SNDRV_PCM_IOCTL_PREPARE: %s",
			    strerror(errno));

	buf = mmap(NULL, bufsz * FRAME_BYTES, PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, SNDRV_PCM_MMAP_OFFSET_DATA);
	if (buf == MAP_FAILED)
		return fail("mmap",
			    "mmap of the data area (%lu bytes, offset SNDRV_PCM_MMAP_OFFSET_DATA): %s",
			    bufsz * FRAME_BYTES, strerror(errno));
	printf(ME ": data area mapped at %p\n", (void *)buf);

restart:
	/* Fill the whole buffer and tell the kernel, then start. */
	memset(&sp, 0, sizeof(sp));
	sp.flags = SNDRV_PCM_SYNC_PTR_HWSYNC | SNDRV_PCM_SYNC_PTR_APPL |
		   SNDRV_PCM_SYNC_PTR_AVAIL_MIN;
	if (ioctl(fd, SNDRV_PCM_IOCTL_SYNC_PTR, &sp) < 0)
		return fail("start", "SNDRV_PCM_IOCTL_SYNC_PTR: %s",
			    strerror(errno));
	appl = sp.c.control.appl_ptr;
	hw0 = sp.s.status.hw_ptr;
	fill(buf, bufsz, appl, bufsz - (appl - hw0));
	appl = (hw0 + bufsz) % boundary;
	memset(&sp, 0, sizeof(sp));
	sp.flags = SNDRV_PCM_SYNC_PTR_HWSYNC;
	sp.c.control.appl_ptr = appl;
	sp.c.control.avail_min = period;
	if (ioctl(fd, SNDRV_PCM_IOCTL_SYNC_PTR, &sp) < 0)
		return fail("start", "SNDRV_PCM_IOCTL_SYNC_PTR (appl_ptr %lu): %s",
			    appl, strerror(errno));
	if (ioctl(fd, SNDRV_PCM_IOCTL_START) < 0)
		return fail("start", "SNDRV_PCM_IOCTL_START: %s",
			    strerror(errno));

	played = 0;
	t0 = now();
	while ((t = now()) - t0 < secs) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		unsigned long hwp, avail, off, n;

		if (poll(&pfd, 1, 2000) < 0 && errno != EINTR)
			return fail("play", "poll: %s", strerror(errno));
		wakeups++;
		memset(&sp, 0, sizeof(sp));
		sp.flags = SNDRV_PCM_SYNC_PTR_HWSYNC | SNDRV_PCM_SYNC_PTR_APPL |
			   SNDRV_PCM_SYNC_PTR_AVAIL_MIN;
		/*
		 * An xrun is either in the state, or (the hardware-pointer
		 * sync failed) -EPIPE with nothing copied back.
		 */
		err = ioctl(fd, SNDRV_PCM_IOCTL_SYNC_PTR, &sp);
		if (err < 0 && errno != EPIPE)
			return fail("play", "SNDRV_PCM_IOCTL_SYNC_PTR: %s",
				    strerror(errno));
		if (err < 0 || sp.s.status.state == SNDRV_PCM_STATE_XRUN) {
			xruns++;
			printf(ME ": xrun after %lu frames (%.2f s)\n", played,
			       t - t0);
			if (!tolerate)
				return fail("play",
					    "xrun after %lu frames played in %.2f s",
					    played, t - t0);
			if (ioctl(fd, SNDRV_PCM_IOCTL_PREPARE) < 0)
				return fail("play", "PREPARE after xrun: %s",
					    strerror(errno));
			goto restart;
		}
		if (sp.s.status.state != SNDRV_PCM_STATE_RUNNING)
			return fail("play", "PCM state %d, not RUNNING",
				    (int)sp.s.status.state);
		hwp = sp.s.status.hw_ptr;
		played = (hwp + boundary - hw0) % boundary;
		avail = (hwp + bufsz + boundary - appl) % boundary;
		if (avail > bufsz)
			return fail("play", "avail %lu > buffer %lu (hw_ptr %lu appl_ptr %lu)",
				    avail, bufsz, hwp, appl);
		if (avail < period)
			continue;
		/* Refill what the device has read, wrapping in the buffer. */
		off = appl % bufsz;
		for (n = avail; n; ) {
			unsigned long k = n < bufsz - off ? n : bufsz - off;

			fill(buf, bufsz, appl, k);
			appl = (appl + k) % boundary;
			off = 0;
			n -= k;
		}
		memset(&sp, 0, sizeof(sp));
		sp.flags = 0;
		sp.c.control.appl_ptr = appl;
		sp.c.control.avail_min = period;
		if (ioctl(fd, SNDRV_PCM_IOCTL_SYNC_PTR, &sp) < 0)
			return fail("play", "SNDRV_PCM_IOCTL_SYNC_PTR (appl_ptr %lu): %s",
				    appl, strerror(errno));
	}
	t -= t0;
	ioctl(fd, SNDRV_PCM_IOCTL_DROP);
	munmap(buf, bufsz * FRAME_BYTES);
	close(fd);
	fprintf(stdout,
		"pcm-mmap-play: %lu frames played in %.2f s (%.0f frames/s, nominal %lu), %lu wakeups, %lu xrun(s)\n",
		played, t, played / t, rate, wakeups, xruns);
	/* The device must have consumed at least a few periods' worth. */
	if (played < 2 * period)
		return fail("play", "hw_ptr advanced only %lu frames in %.2f s",
			    played, t);
	printf(ME ": PASS: hw_ptr advanced %lu frames through the mmapped buffer\n",
	       played);
	return 0;
}
