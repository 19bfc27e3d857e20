// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace tests of the DMAR parser (vtd_dmar.c through the shim), run
 * under ASan and UBSan by `make -C tools/dmar test`:
 *
 *   1. every real table given on the command line decodes, is usable, and
 *      refuses exactly the units whose register base is 0;
 *   2. the malformed-table suite: a small table builder makes one valid
 *      table using every structure type, and each case corrupts it in one
 *      way and expects its own finding (severity, offsets, field, message);
 *   3. allocation failure at every allocation of a parse: -ENOMEM, no leak;
 *   4. scope resolution and unit ownership against a fake PCI topology.
 *
 * Every parse is followed by a leak check of the shim's counting allocator.
 * Prints one PASS/FAIL line per case and ends with "N passed, N failed".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kernel.h>

#include "../../vtd_dmar.h"
#include "shim/shim.h"

#define PCI_DEVFN_T(d, f)	((u8)(((d) << 3) | (f)))

static int passed, failed;
static char why[512];

/* Record a failure reason for the current case (the first one wins). */
static void fail_why(const char *fmt, ...)
{
	va_list ap;

	if (why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

static void report(const char *name)
{
	if (why[0]) {
		failed++;
		printf("FAIL  %s: %s\n", name, why);
	} else {
		passed++;
		printf("PASS  %s\n", name);
	}
	why[0] = 0;
}

/* Parse and check that nothing leaked once the table is freed. */
static struct vtd_dmar_table *parse(const void *buf, size_t len)
{
	struct vtd_dmar_table *t;
	int ret;

	ret = vtd_dmar_parse(buf, len, &t);
	if (ret) {
		fail_why("vtd_dmar_parse() returned %d", ret);
		return NULL;
	}
	return t;
}

static void done(struct vtd_dmar_table *t)
{
	vtd_dmar_free(t);
	if (shim_live)
		fail_why("%ld allocation(s) leaked", shim_live);
}

/* ---- 1. the real tables ------------------------------------------------ */

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n > 0 ? n : 1);
	*len = buf ? fread(buf, 1, n, f) : 0;
	fclose(f);
	return buf;
}

static void test_real_table(const char *path)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct vtd_dmar_table *t;
	unsigned char *buf;
	u32 i, base0 = 0, refused = 0;
	char label[300];
	size_t len;

	snprintf(label, sizeof(label), "decodes: %s", name);
	buf = slurp(path, &len);
	if (!buf) {
		fail_why("cannot read %s", path);
		report(label);
		return;
	}
	t = parse(buf, len);
	free(buf);
	if (!t) {
		report(label);
		return;
	}
	if (!t->usable)
		fail_why("table unusable");
	if (!t->nr_drhd)
		fail_why("no DRHD");
	for (i = 0; i < t->nr_drhd; i++)
		base0 += !t->drhd[i].base;
	for (i = 0; i < t->nr_findings; i++) {
		const struct vtd_dmar_finding *f = &t->findings[i];

		if (f->severity == VTD_DMAR_WARNING)
			continue;
		if (!strcmp(f->message, "DRHD register base is 0: unit refused") &&
		    !strcmp(f->field, "base") && f->at == f->offset + 8)
			refused++;
		else
			fail_why("unexpected error at %u: %s", f->offset, f->message);
	}
	if (refused != base0)
		fail_why("%u unit(s) with base 0, %u refused", base0, refused);
	for (i = 0; i < t->nr_drhd; i++)
		if (t->drhd[i].ignored != !t->drhd[i].base)
			fail_why("DRHD at %u: ignored flag wrong", t->drhd[i].offset);
	if (base0)
		snprintf(label, sizeof(label),
			 "decodes, base-0 unit refused: %s", name);
	done(t);
	report(label);
}

/* ---- 2. the table builder and the malformed-table suite ---------------- */

struct tb {
	u8 b[2048];
	u32 len;	/* bytes built */
	u32 cur;	/* offset of the open structure */
};

static void tb_put(struct tb *t, u64 v, int n)
{
	while (n--) {
		t->b[t->len++] = v & 0xff;
		v >>= 8;
	}
}

static void tb_put16_at(struct tb *t, u32 off, u16 v)
{
	t->b[off] = v & 0xff;
	t->b[off + 1] = v >> 8;
}

static void tb_put64_at(struct tb *t, u32 off, u64 v)
{
	int i;

	for (i = 0; i < 8; i++)
		t->b[off + i] = v >> (8 * i);
}

static void tb_init(struct tb *t, u8 haw_field, u8 flags)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->b, "DMAR", 4);
	t->b[8] = 1;
	memcpy(t->b + 10, "VTDRMP", 6);
	memcpy(t->b + 16, "TESTTBL ", 8);
	t->b[36] = haw_field;
	t->b[37] = flags;
	t->len = 48;
}

/* Open a structure: its header now, its length when the next one opens. */
static u32 tb_open(struct tb *t, u16 type)
{
	if (t->cur)
		tb_put16_at(t, t->cur + 2, t->len - t->cur);
	t->cur = t->len;
	tb_put(t, type, 2);
	tb_put(t, 0, 2);
	return t->cur;
}

static void tb_close(struct tb *t)
{
	if (t->cur)
		tb_put16_at(t, t->cur + 2, t->len - t->cur);
	t->cur = 0;
}

/* A scope with one hop (dev, fn), or two when dev2 >= 0. */
static u32 tb_scope(struct tb *t, u8 type, u8 id, u8 bus, u8 dev, u8 fn,
		    int dev2, int fn2)
{
	u32 off = t->len;

	tb_put(t, type, 1);
	tb_put(t, dev2 >= 0 ? 10 : 8, 1);
	tb_put(t, 0, 2);
	tb_put(t, id, 1);
	tb_put(t, bus, 1);
	tb_put(t, dev, 1);
	tb_put(t, fn, 1);
	if (dev2 >= 0) {
		tb_put(t, dev2, 1);
		tb_put(t, fn2, 1);
	}
	return off;
}

static u32 tb_drhd(struct tb *t, u8 flags, u16 seg, u64 base)
{
	u32 off = tb_open(t, VTD_DMAR_TYPE_DRHD);

	tb_put(t, flags, 1);
	tb_put(t, 0, 1);
	tb_put(t, seg, 2);
	tb_put(t, base, 8);
	return off;
}

static u32 tb_rmrr(struct tb *t, u64 base, u64 limit)
{
	u32 off = tb_open(t, VTD_DMAR_TYPE_RMRR);

	tb_put(t, 0, 4);
	tb_put(t, base, 8);
	tb_put(t, limit, 8);
	return off;
}

static u32 tb_atsr_like(struct tb *t, u16 type, u8 flags)
{
	u32 off = tb_open(t, type);

	tb_put(t, flags, 1);
	tb_put(t, 0, 3);
	return off;
}

/* Fix the length and the checksum. */
static void tb_finish(struct tb *t)
{
	u8 sum = 0;
	u32 i;

	tb_close(t);
	t->b[4] = t->len;
	t->b[5] = t->len >> 8;
	t->b[6] = 0;
	t->b[7] = 0;
	t->b[9] = 0;
	for (i = 0; i < t->len; i++)
		sum += t->b[i];
	t->b[9] = -sum;
}

/* Offsets of the valid table's parts, for the cases to aim at. */
struct base {
	u32 drhd_a, a_ep, a_br, drhd_b, b_ioapic, b_ns;
	u32 rmrr, rmrr_ep, atsr, atsr_br, rhsa, andd, satc, satc_ep;
};

static const char andd_name[] = "\\_SB.PCI0.I2C0";

/* Every structure type, all valid: parses with no finding at all. */
static void tb_base(struct tb *t, struct base *o)
{
	tb_init(t, 38, VTD_DMAR_INTR_REMAP);
	o->drhd_a = tb_drhd(t, 0, 0, 0xfed90000);
	o->a_ep = tb_scope(t, VTD_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 2, 0, -1, 0);
	o->a_br = tb_scope(t, VTD_DMAR_SCOPE_PCI_BRIDGE, 0, 0, 0x1c, 0, -1, 0);
	o->drhd_b = tb_drhd(t, VTD_DRHD_INCLUDE_PCI_ALL, 0, 0xfed91000);
	o->b_ioapic = tb_scope(t, VTD_DMAR_SCOPE_IOAPIC, 2, 0xf0, 0x1f, 0, -1, 0);
	o->b_ns = tb_scope(t, VTD_DMAR_SCOPE_NAMESPACE, 1, 0, 0x15, 0, -1, 0);
	o->rmrr = tb_rmrr(t, 0x8c000000, 0x8c0fffff);
	o->rmrr_ep = tb_scope(t, VTD_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 0x14, 0, 0x1c, 4);
	o->atsr = tb_atsr_like(t, VTD_DMAR_TYPE_ATSR, 0);
	o->atsr_br = tb_scope(t, VTD_DMAR_SCOPE_PCI_BRIDGE, 0, 0, 0x1c, 0, -1, 0);
	o->rhsa = tb_open(t, VTD_DMAR_TYPE_RHSA);
	tb_put(t, 0, 4);
	tb_put(t, 0xfed90000, 8);
	tb_put(t, 0, 4);
	o->andd = tb_open(t, VTD_DMAR_TYPE_ANDD);
	tb_put(t, 0, 3);
	tb_put(t, 1, 1);
	memcpy(t->b + t->len, andd_name, sizeof(andd_name));
	t->len += sizeof(andd_name);
	o->satc = tb_atsr_like(t, VTD_DMAR_TYPE_SATC, 1);
	o->satc_ep = tb_scope(t, VTD_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 2, 0, -1, 0);
	tb_close(t);
}

/**
 * struct mcase - one corruption and the finding it must give
 * @name:	what is corrupted.
 * @pre:	changes the built table before its length and checksum are set.
 * @post:	changes it after; may set @len (bytes handed to the parser).
 * @sev:	expected severity; @off, @at, @field, @message likewise
 *		(@off and @at are filled in by @pre/@post when they depend on
 *		the layout).
 * @value:	expected value, checked when @check_value.
 * @other_expected: expected offset of the other structure named, if any.
 */
struct mcase {
	const char *name;
	void (*pre)(struct tb *t, struct base *o, struct mcase *c);
	void (*post)(struct tb *t, struct base *o, struct mcase *c);
	enum vtd_dmar_severity sev;
	const char *field;
	const char *message;
	u32 off, at, len;
	u64 value;
	bool check_value;
	u32 other_expected;
};

/* Set what case @c expects: structure offset, item offset, value. */
static void expect(struct mcase *c, u32 off, u32 at, u64 value)
{
	c->off = off;
	c->at = at;
	c->value = value;
	c->check_value = true;
}

/* Header and length corruptions. */
static void m_short_buffer(struct tb *t, struct base *o, struct mcase *c)
{
	c->len = 20;
	expect(c, 0, 0, 20);
}

static void m_signature(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[3] = 'X';
	expect(c, 0, 0, 0x58414d44);
}

static void m_length_small(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[4] = 40;
	t->b[5] = 0;
	expect(c, 0, 4, 40);
}

static void m_length_big(struct tb *t, struct base *o, struct mcase *c)
{
	c->len = t->len - 8;
	expect(c, 0, 4, t->len);
}

static void m_trailing(struct tb *t, struct base *o, struct mcase *c)
{
	c->len = t->len + 4;
	expect(c, 0, t->len, 4);
}

static void m_checksum(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[9]++;
	expect(c, 0, 9, t->b[9]);
}

static void m_haw(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[36] = 20;
	expect(c, 0, 36, 21);
}

static void m_dmar_flags(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[37] = 0x81;
	expect(c, 0, 37, 0x81);
}

/* The structure walk. */
static void m_tail_bytes(struct tb *t, struct base *o, struct mcase *c)
{
	expect(c, t->len, t->len, 3);
	tb_put(t, 0x0101, 3);
}

static void m_zero_len(struct tb *t, struct base *o, struct mcase *c)
{
	tb_put16_at(t, o->drhd_b + 2, 0);
	expect(c, o->drhd_b, o->drhd_b + 2, 0);
}

static void m_zero_pad(struct tb *t, struct base *o, struct mcase *c)
{
	expect(c, t->len, t->len, 12);
	tb_put(t, 0, 8);
	tb_put(t, 0, 4);
}

static void m_len_below_4(struct tb *t, struct base *o, struct mcase *c)
{
	tb_put16_at(t, o->rmrr + 2, 3);
	expect(c, o->rmrr, o->rmrr + 2, 3);
}

static void m_past_end(struct tb *t, struct base *o, struct mcase *c)
{
	tb_put16_at(t, o->satc + 2, t->len - o->satc + 8);
	expect(c, o->satc, o->satc + 2, t->len - o->satc + 8);
}

static void m_drhd_short(struct tb *t, struct base *o, struct mcase *c)
{
	u32 off = tb_open(t, VTD_DMAR_TYPE_DRHD);

	tb_put(t, 0, 8);
	expect(c, off, off + 2, 12);
}

static void m_rhsa_short(struct tb *t, struct base *o, struct mcase *c)
{
	u32 off = tb_open(t, VTD_DMAR_TYPE_RHSA);

	tb_put(t, 0, 12);
	expect(c, off, off + 2, 16);
}

static void m_unknown_type(struct tb *t, struct base *o, struct mcase *c)
{
	u32 off = tb_open(t, 7);

	tb_put(t, 0, 12);
	expect(c, off, off, 7);
}

/* DRHD. */
static void m_drhd_base0(struct tb *t, struct base *o, struct mcase *c)
{
	tb_put64_at(t, o->drhd_a + 8, 0);
	expect(c, o->drhd_a, o->drhd_a + 8, 0);
}

static void m_drhd_unaligned(struct tb *t, struct base *o, struct mcase *c)
{
	tb_put64_at(t, o->drhd_a + 8, 0xfed90800);
	expect(c, o->drhd_a, o->drhd_a + 8, 0xfed90800);
}

static void m_drhd_beyond_haw(struct tb *t, struct base *o, struct mcase *c)
{
	tb_put64_at(t, o->drhd_b + 8, 1ULL << 40);
	expect(c, o->drhd_b, o->drhd_b + 8, 1ULL << 40);
}

static void m_drhd_dup(struct tb *t, struct base *o, struct mcase *c)
{
	tb_put64_at(t, o->drhd_b + 8, 0xfed90000);
	expect(c, o->drhd_b, o->drhd_b + 8, 0xfed90000);
	c->other_expected = o->drhd_a;
}

static void m_drhd_flags(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[o->drhd_a + 4] = 0x02;
	expect(c, o->drhd_a, o->drhd_a + 4, 0x02);
}

static void m_include_all_first(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[o->drhd_a + 4] = VTD_DRHD_INCLUDE_PCI_ALL;
	expect(c, o->drhd_a, o->drhd_a + 4, 1);
	c->other_expected = o->drhd_b;
}

static void m_include_all_twice(struct tb *t, struct base *o, struct mcase *c)
{
	u32 off = tb_drhd(t, VTD_DRHD_INCLUDE_PCI_ALL, 0, 0xfed92000);

	expect(c, off, off + 4, 1);
	c->other_expected = o->drhd_b;
}

static void m_drhd_empty(struct tb *t, struct base *o, struct mcase *c)
{
	u32 off = tb_drhd(t, 0, 1, 0xfed92000);

	expect(c, off, off, 0);
}

/* Device scopes. */
static void m_scope_hdr_cut(struct tb *t, struct base *o, struct mcase *c)
{
	u32 off = tb_drhd(t, 0, 1, 0xfed92000);

	tb_scope(t, VTD_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 3, 0, -1, 0);
	expect(c, off, t->len, 1);
	tb_put(t, 1, 1);
}

static void m_scope_len_4(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[o->a_ep + 1] = 4;
	expect(c, o->drhd_a, o->a_ep, 4);
}

static void m_scope_past(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[o->a_br + 1] = 10;
	expect(c, o->drhd_a, o->a_br, 10);
}

static void m_scope_odd(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[o->a_ep + 1] = 7;
	expect(c, o->drhd_a, o->a_ep, 7);
}

static void m_scope_empty(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[o->a_ep + 1] = 6;
	expect(c, o->drhd_a, o->a_ep, 6);
}

static void m_scope_type(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[o->a_ep] = 9;
	expect(c, o->drhd_a, o->a_ep, 9);
}

static void m_scope_not_allowed(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[o->rmrr_ep] = VTD_DMAR_SCOPE_IOAPIC;
	expect(c, o->rmrr, o->rmrr_ep, VTD_DMAR_SCOPE_IOAPIC);
}

static void m_atsr_endpoint(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[o->atsr_br] = VTD_DMAR_SCOPE_PCI_ENDPOINT;
	expect(c, o->atsr, o->atsr_br, VTD_DMAR_SCOPE_PCI_ENDPOINT);
}

static void m_path_hop(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[o->rmrr_ep + 8] = 0x20;
	expect(c, o->rmrr, o->rmrr_ep + 8, 0x2004);
}

static void m_scoped_twice(struct tb *t, struct base *o, struct mcase *c)
{
	/* B's namespace scope becomes 00:02.0, which A already scopes */
	t->b[o->b_ns] = VTD_DMAR_SCOPE_PCI_ENDPOINT;
	t->b[o->b_ns + 6] = 2;
	expect(c, o->drhd_b, o->b_ns, 0);
	c->other_expected = o->drhd_a;
}

/* RMRR. */
static void m_rmrr_inverted(struct tb *t, struct base *o, struct mcase *c)
{
	tb_put64_at(t, o->rmrr + 16, 0x8bffffff);
	expect(c, o->rmrr, o->rmrr + 16, 0x8bffffff);
}

static void m_rmrr_base_unaligned(struct tb *t, struct base *o, struct mcase *c)
{
	tb_put64_at(t, o->rmrr + 8, 0x8c000100);
	expect(c, o->rmrr, o->rmrr + 8, 0x8c000100);
}

static void m_rmrr_limit_unaligned(struct tb *t, struct base *o, struct mcase *c)
{
	tb_put64_at(t, o->rmrr + 16, 0x8c0ffffe);
	expect(c, o->rmrr, o->rmrr + 16, 0x8c0ffffe);
}

static void m_rmrr_overlap(struct tb *t, struct base *o, struct mcase *c)
{
	u32 off = tb_rmrr(t, 0x8c080000, 0x8c17ffff);

	tb_scope(t, VTD_DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 0x14, 0, -1, 0);
	expect(c, off, off + 8, 0x8c080000);
	c->other_expected = o->rmrr;
}

static void m_rmrr_no_scope(struct tb *t, struct base *o, struct mcase *c)
{
	u32 off = tb_rmrr(t, 0x9c000000, 0x9c0fffff);

	expect(c, off, off, 0);
}

/* ATSR, SATC, RHSA, ANDD. */
static void m_atsr_flags(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[o->atsr + 4] = 0x02;
	expect(c, o->atsr, o->atsr + 4, 0x02);
}

static void m_atsr_empty(struct tb *t, struct base *o, struct mcase *c)
{
	u32 off = tb_atsr_like(t, VTD_DMAR_TYPE_ATSR, 0);

	expect(c, off, off, 0);
}

static void m_satc_empty(struct tb *t, struct base *o, struct mcase *c)
{
	u32 off = tb_atsr_like(t, VTD_DMAR_TYPE_SATC, 0);

	expect(c, off, off, 0);
}

static void m_rhsa_orphan(struct tb *t, struct base *o, struct mcase *c)
{
	tb_put64_at(t, o->rhsa + 8, 0xfed93000);
	expect(c, o->rhsa, o->rhsa + 8, 0xfed93000);
}

static void m_andd_empty(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[o->andd + 8] = 0;
	expect(c, o->andd, o->andd + 8, 0);
}

static void m_andd_unterminated(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[o->andd + 8 + sizeof(andd_name) - 1] = 'X';
	expect(c, o->andd, o->andd + 8, sizeof(andd_name));
}

static void m_ns_no_andd(struct tb *t, struct base *o, struct mcase *c)
{
	t->b[o->andd + 7] = 5;
	expect(c, o->drhd_b, o->b_ns, 1);
}

#define U	VTD_DMAR_UNUSABLE
#define I	VTD_DMAR_IGNORED
#define W	VTD_DMAR_WARNING

static struct mcase mcases[] = {
	{ "buffer shorter than the ACPI header", NULL, m_short_buffer, U,
	  "length", "buffer shorter than an ACPI table header" },
	{ "signature", m_signature, NULL, U,
	  "signature", "signature is not DMAR" },
	{ "length below 48", NULL, m_length_small, U,
	  "length", "table length below the DMAR header's 48 bytes" },
	{ "length beyond the buffer", NULL, m_length_big, U,
	  "length", "table length runs past the end of the buffer" },
	{ "bytes after the table", NULL, m_trailing, W,
	  "length", "bytes after the table's length ignored" },
	{ "checksum", NULL, m_checksum, U,
	  "checksum", "checksum: the table's bytes do not sum to 0" },
	{ "host address width 21", m_haw, NULL, U,
	  "host_address_width", "host address width out of range (32 to 64 bits)" },
	{ "reserved DMAR flags", m_dmar_flags, NULL, W,
	  "flags", "reserved DMAR flag bits set" },
	{ "3 bytes after the last structure", m_tail_bytes, NULL, U,
	  "length", "structure header truncated by the table's end" },
	{ "structure length 0", m_zero_len, NULL, U,
	  "length", "structure length is zero: rest of the table unreachable" },
	{ "zero padding at the end", m_zero_pad, NULL, W,
	  "length", "zero padding after the last structure" },
	{ "structure length 3", m_len_below_4, NULL, U,
	  "length", "structure length below 4" },
	{ "structure past the table's end", m_past_end, NULL, U,
	  "length", "structure runs past the table's end" },
	{ "DRHD of 12 bytes", m_drhd_short, NULL, I,
	  "length", "structure shorter than its type's minimum length: skipped" },
	{ "RHSA of 16 bytes", m_rhsa_short, NULL, I,
	  "length", "structure shorter than its type's minimum length: skipped" },
	{ "unknown structure type 7", m_unknown_type, NULL, W,
	  "type", "unknown structure type skipped" },
	{ "DRHD base 0", m_drhd_base0, NULL, I,
	  "base", "DRHD register base is 0: unit refused" },
	{ "DRHD base unaligned", m_drhd_unaligned, NULL, I,
	  "base", "DRHD register base is not 4 KiB aligned: unit refused" },
	{ "DRHD base beyond the address width", m_drhd_beyond_haw, NULL, W,
	  "base", "DRHD register base lies beyond the host address width" },
	{ "DRHD base duplicated", m_drhd_dup, NULL, I,
	  "base", "DRHD register base duplicates an earlier unit: unit refused" },
	{ "DRHD reserved flags", m_drhd_flags, NULL, W,
	  "flags", "reserved DRHD flag bits set" },
	{ "INCLUDE_PCI_ALL unit first", m_include_all_first, NULL, W,
	  "flags", "INCLUDE_PCI_ALL unit is not the last unit of its segment" },
	{ "two INCLUDE_PCI_ALL units", m_include_all_twice, NULL, I,
	  "flags", "second INCLUDE_PCI_ALL unit for the segment: unit refused" },
	{ "DRHD with no scope", m_drhd_empty, NULL, W,
	  "scopes", "DRHD neither includes all devices nor scopes any" },
	{ "scope header cut by the structure's end", m_scope_hdr_cut, NULL, I,
	  "scope_length", "device scope header truncated by its structure's end" },
	{ "scope length 4", m_scope_len_4, NULL, I,
	  "scope_length", "device scope length below 6" },
	{ "scope past its structure", m_scope_past, NULL, I,
	  "scope_length", "device scope runs past its structure's end" },
	{ "scope path odd", m_scope_odd, NULL, I,
	  "scope_length", "device scope path length is odd" },
	{ "scope path empty", m_scope_empty, NULL, I,
	  "scope_length", "device scope has an empty path" },
	{ "scope type 9", m_scope_type, NULL, W,
	  "scope_type", "unknown device scope type" },
	{ "IOAPIC scope in an RMRR", m_scope_not_allowed, NULL, W,
	  "scope_type", "device scope type not allowed in this structure" },
	{ "endpoint scope in an ATSR", m_atsr_endpoint, NULL, W,
	  "scope_type", "device scope type not allowed in this structure" },
	{ "path hop device 32", m_path_hop, NULL, W,
	  "path", "device scope path hop is not a PCI device/function" },
	{ "device scoped by two units", m_scoped_twice, NULL, W,
	  "scope", "device already scoped by an earlier unit, which keeps it" },
	{ "RMRR limit below base", m_rmrr_inverted, NULL, I,
	  "limit", "RMRR limit below its base: region refused" },
	{ "RMRR base unaligned", m_rmrr_base_unaligned, NULL, W,
	  "base", "RMRR base is not 4 KiB aligned" },
	{ "RMRR limit unaligned", m_rmrr_limit_unaligned, NULL, W,
	  "limit", "RMRR limit is not the last byte of a 4 KiB page" },
	{ "RMRRs overlapping", m_rmrr_overlap, NULL, W,
	  "base", "RMRR overlaps an earlier RMRR" },
	{ "RMRR with no scope", m_rmrr_no_scope, NULL, W,
	  "scopes", "RMRR scopes no device" },
	{ "ATSR reserved flags", m_atsr_flags, NULL, W,
	  "flags", "reserved flag bits set" },
	{ "ATSR with no port", m_atsr_empty, NULL, W,
	  "scopes", "ATSR neither covers all ports nor scopes any" },
	{ "SATC with no device", m_satc_empty, NULL, W,
	  "scopes", "SATC scopes no device" },
	{ "RHSA naming no unit", m_rhsa_orphan, NULL, W,
	  "base", "RHSA names no DRHD register base" },
	{ "ANDD name empty", m_andd_empty, NULL, I,
	  "name", "ANDD object name is empty" },
	{ "ANDD name without NUL", m_andd_unterminated, NULL, W,
	  "name", "ANDD object name is not NUL-terminated" },
	{ "namespace scope naming no ANDD", m_ns_no_andd, NULL, W,
	  "enumeration_id", "namespace device scope names no ANDD" },
};

static const struct vtd_dmar_finding *
find_finding(const struct vtd_dmar_table *t, const struct mcase *c)
{
	const struct vtd_dmar_finding *f;
	u32 i;

	for (i = 0; i < t->nr_findings; i++) {
		f = &t->findings[i];
		if (f->severity == c->sev && f->offset == c->off &&
		    f->at == c->at && !strcmp(f->field, c->field) &&
		    !strcmp(f->message, c->message) &&
		    (!c->check_value || f->value == c->value) &&
		    f->other == c->other_expected)
			return f;
	}
	return NULL;
}

/* Is the structure at @off refused? */
static bool ignored_at(const struct vtd_dmar_table *t, u32 off)
{
	u32 i;

	for (i = 0; i < t->nr_drhd; i++)
		if (t->drhd[i].offset == off)
			return t->drhd[i].ignored;
	for (i = 0; i < t->nr_rmrr; i++)
		if (t->rmrr[i].offset == off)
			return t->rmrr[i].ignored;
	for (i = 0; i < t->nr_andd; i++)
		if (t->andd[i].offset == off)
			return t->andd[i].ignored;
	/* a structure below its minimum length is not kept at all */
	return true;
}

static void dump_findings(const struct vtd_dmar_table *t)
{
	u32 i;

	for (i = 0; i < t->nr_findings; i++)
		printf("        found: %s off %u at %u %s=0x%llx other %u: %s\n",
		       vtd_dmar_severity_name(t->findings[i].severity),
		       t->findings[i].offset, t->findings[i].at,
		       t->findings[i].field, t->findings[i].value,
		       t->findings[i].other, t->findings[i].message);
}

static void test_malformed(struct mcase *c)
{
	struct vtd_dmar_table *t;
	struct base o;
	struct tb tb;
	char label[200];
	bool want_usable;

	tb_base(&tb, &o);
	if (c->pre)
		c->pre(&tb, &o, c);
	tb_finish(&tb);
	c->len = tb.len;
	if (c->post)
		c->post(&tb, &o, c);
	snprintf(label, sizeof(label), "malformed: %s", c->name);
	t = parse(tb.b, c->len);
	if (!t) {
		report(label);
		return;
	}
	if (!find_finding(t, c)) {
		fail_why("expected %s at %u/%u %s=0x%llx \"%s\" not found",
			 vtd_dmar_severity_name(c->sev), c->off, c->at,
			 c->field, c->value, c->message);
		dump_findings(t);
	}
	want_usable = c->sev != VTD_DMAR_UNUSABLE;
	if (t->usable != want_usable)
		fail_why("usable is %d", t->usable);
	if (c->sev == VTD_DMAR_IGNORED && !ignored_at(t, c->off))
		fail_why("structure at %u not marked ignored", c->off);
	done(t);
	report(label);
}

static void test_valid_table(void)
{
	struct vtd_dmar_table *t;
	struct base o;
	struct tb tb;

	tb_base(&tb, &o);
	tb_finish(&tb);
	t = parse(tb.b, tb.len);
	if (!t)
		goto out;
	if (!t->usable || t->nr_findings) {
		fail_why("%u finding(s) on the valid table", t->nr_findings);
		dump_findings(t);
	}
	if (t->nr_drhd != 2 || t->nr_rmrr != 1 || t->nr_atsr != 1 ||
	    t->nr_rhsa != 1 || t->nr_andd != 1 || t->nr_satc != 1 ||
	    t->nr_unknown)
		fail_why("structure counts wrong");
	else if (t->host_address_width != 39 || t->drhd[1].base != 0xfed91000 ||
		 t->drhd[0].nr_scopes != 2 || t->rmrr[0].limit != 0x8c0fffff ||
		 t->rmrr[0].scopes[0].path_len != 2 ||
		 t->rmrr[0].scopes[0].path[1].device != 0x1c ||
		 t->rmrr[0].scopes[0].path[1].function != 4 ||
		 strcmp(t->andd[0].name, andd_name) ||
		 t->drhd[1].scopes[0].enumeration_id != 2 ||
		 t->drhd[1].scopes[0].bus != 0xf0 || t->satc[0].flags != 1)
		fail_why("a decoded field is wrong");
	done(t);
out:
	report("builder: valid table with every type decodes with no finding");
}

/* ---- 3. allocation failure --------------------------------------------- */

static void test_enomem(void)
{
	struct vtd_dmar_table *t;
	long n, total;
	struct base o;
	struct tb tb;
	int ret;

	tb_base(&tb, &o);
	m_rmrr_overlap(&tb, &o, &mcases[0]);	/* findings after the walk too */
	tb_finish(&tb);
	shim_reset();
	t = parse(tb.b, tb.len);
	total = shim_total;
	done(t);
	for (n = 1; n <= total; n++) {
		shim_reset();
		shim_fail_at = n;
		ret = vtd_dmar_parse(tb.b, tb.len, &t);
		if (ret != -ENOMEM || t)
			fail_why("allocation %ld of %ld failed: got %d", n, total, ret);
		if (shim_live)
			fail_why("allocation %ld failed: %ld leaked", n, shim_live);
	}
	shim_reset();
	printf("        (%ld allocations, each failed in turn)\n", total);
	report("every allocation failing in turn gives -ENOMEM, no leak");
}

/* ---- 4. resolution and ownership --------------------------------------- */

/*
 * Fake topology, segment 0: root bus 0; bridge 00:1c.0 leads to bus 2
 * (subordinate 3); bridge 02:00.0 leads to bus 3.
 */
static int fake_bridge(void *ctx, u16 seg, u8 bus, u8 devfn, u8 *sec, u8 *sub)
{
	if (seg)
		return -ENODEV;
	if (bus == 0 && devfn == PCI_DEVFN_T(0x1c, 0)) {
		*sec = 2;
		*sub = 3;
		return 0;
	}
	if (bus == 2 && devfn == 0) {
		*sec = 3;
		*sub = 3;
		return 0;
	}
	return -ENODEV;
}

static bool fake_behind(void *ctx, u16 seg, u8 bus)
{
	return !seg && (bus == 2 || bus == 3);
}

static const struct vtd_dmar_pci_ops fake_ops = {
	.bridge_buses = fake_bridge,
	.behind_bridge = fake_behind,
};

static void test_resolve(void)
{
	static const struct vtd_dmar_path p2[] = { { 0x1c, 0 }, { 0, 0 }, { 0, 1 } };
	static const struct vtd_dmar_path p1[] = { { 0, 0 } };
	static const struct vtd_dmar_path pabs[] = { { 5, 0 }, { 0, 0 } };
	struct vtd_dmar_scope sc = { .type = VTD_DMAR_SCOPE_PCI_ENDPOINT };

	sc.path = p2;
	sc.path_len = 3;
	if (vtd_dmar_scope_resolve(&sc, 0, &fake_ops, NULL) || !sc.resolved ||
	    sc.res_bus != 3 || sc.res_devfn != 1 || sc.workaround)
		fail_why("three-hop path: %d %02x:%02x", sc.resolved, sc.res_bus,
			 sc.res_devfn);
	report("resolve: 00:1c.0 > 00.0 > 00.1 leads to 03:00.1");

	sc.path = p1;
	sc.path_len = 1;
	sc.bus = 2;
	if (vtd_dmar_scope_resolve(&sc, 0, &fake_ops, NULL) || !sc.resolved ||
	    sc.res_bus != 2 || sc.res_devfn != 0 || !sc.workaround)
		fail_why("one hop on bus 2: %d %02x:%02x workaround %d",
			 sc.resolved, sc.res_bus, sc.res_devfn, sc.workaround);
	report("resolve: one hop on a bus behind a bridge is that device, flagged");

	sc.path = pabs;
	sc.path_len = 2;
	sc.bus = 0;
	if (vtd_dmar_scope_resolve(&sc, 0, &fake_ops, NULL) != -ENODEV ||
	    sc.resolved)
		fail_why("absent bridge resolved");
	report("resolve: a path through an absent bridge gives -ENODEV");

	sc.type = VTD_DMAR_SCOPE_PCI_BRIDGE;
	sc.path = p2;
	sc.path_len = 2;
	if (vtd_dmar_scope_resolve(&sc, 0, &fake_ops, NULL) ||
	    sc.sec_bus != 3 || sc.sub_bus != 3)
		fail_why("bridge 02:00.0: buses %u-%u", sc.sec_bus, sc.sub_bus);
	report("resolve: a bridge scope gets its secondary and subordinate buses");
}

static void test_owner(void)
{
	const struct vtd_dmar_drhd *d;
	struct vtd_dmar_table *t;
	struct base o;
	struct tb tb;

	tb_base(&tb, &o);
	tb_finish(&tb);
	t = parse(tb.b, tb.len);
	if (!t)
		goto out;
	shim_quiet = true;
	vtd_dmar_resolve(t, &fake_ops, NULL);
	d = vtd_dmar_find_unit(t, 0, 0, PCI_DEVFN_T(2, 0));
	if (d != &t->drhd[0])
		fail_why("00:02.0 not owned by A");
	d = vtd_dmar_find_unit(t, 0, 0, PCI_DEVFN_T(0x1c, 0));
	if (d != &t->drhd[0])
		fail_why("bridge 00:1c.0 not owned by A");
	d = vtd_dmar_find_unit(t, 0, 3, PCI_DEVFN_T(0, 1));
	if (d != &t->drhd[0])
		fail_why("03:00.1 below the bridge not owned by A");
	d = vtd_dmar_find_unit(t, 0, 0, PCI_DEVFN_T(0x1f, 3));
	if (d != &t->drhd[1])
		fail_why("00:1f.3 not owned by the INCLUDE_PCI_ALL unit");
	d = vtd_dmar_find_unit(t, 1, 0, 0);
	if (d)
		fail_why("segment 1 owned by a unit");
	t->drhd[0].ignored = true;
	d = vtd_dmar_find_unit(t, 0, 0, PCI_DEVFN_T(2, 0));
	if (d != &t->drhd[0])
		fail_why("a refused unit's device went to another unit");
	done(t);
out:
	report("ownership: explicit scope, bridge below, INCLUDE_PCI_ALL, none");
}

int main(int argc, char **argv)
{
	size_t i;
	int a;

	shim_quiet = true;
	for (a = 1; a < argc; a++)
		test_real_table(argv[a]);
	test_valid_table();
	for (i = 0; i < ARRAY_SIZE(mcases); i++)
		test_malformed(&mcases[i]);
	test_enomem();
	test_resolve();
	test_owner();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
