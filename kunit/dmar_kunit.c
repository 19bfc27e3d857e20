// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the DMAR parser (vtd_dmar.c) in the kernel: parser cases
 * on a table embedded here (QEMU's, as read back from a q35 guest with
 * -device intel-iommu,aw-bits=39), corrupted one way per case, and the
 * live table of the guest the tests run in, matched against its real PCI
 * devices: every device on the root bus must be owned by QEMU's one unit.
 *
 * The userspace suite in tools/dmar/ covers the parser in depth; these
 * cases check that the same code behaves the same built for the kernel,
 * and that scope resolution works against the real PCI core.
 */
#include <kunit/test.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "vtd_dmar.h"

/* QEMU 7.2, q35, intel-iommu aw-bits=39 intremap=off: tests/dmar/qemu/. */
static const u8 dmar_qemu_table[] = {
	0x44, 0x4d, 0x41, 0x52, 0x80, 0x00, 0x00, 0x00,
	0x01, 0xf2, 0x42, 0x4f, 0x43, 0x48, 0x53, 0x20,
	0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20,
	0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43,
	0x01, 0x00, 0x00, 0x00, 0x26, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* 48: DRHD, 80 bytes, flags 0, segment 0, base 0xfed90000 */
	0x00, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xd9, 0xfe, 0x00, 0x00, 0x00, 0x00,
	/* 64: IOAPIC 0 on bus 255; then endpoints on bus 0 */
	0x03, 0x08, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00,
	0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
	0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00,
	0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x1f, 0x00,
	0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x1f, 0x02,
	0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x1f, 0x03,
};

#define DMAR_DRHD_OFF	48
#define DMAR_SCOPE2_OFF	72	/* the endpoint 00:00.0 */

/* Per-test state: the table under test, freed by the exit hook. */
struct dmar_kunit_ctx {
	struct vtd_dmar_table *t;
	u8 *buf;
};

static int dmar_kunit_init(struct kunit *test)
{
	struct dmar_kunit_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->buf = kunit_kmalloc(test, sizeof(dmar_qemu_table), GFP_KERNEL);
	if (!ctx->buf)
		return -ENOMEM;
	memcpy(ctx->buf, dmar_qemu_table, sizeof(dmar_qemu_table));
	test->priv = ctx;
	return 0;
}

static void dmar_kunit_exit(struct kunit *test)
{
	struct dmar_kunit_ctx *ctx = test->priv;

	vtd_dmar_free(ctx->t);
}

/* Make the checksum right again after a change to the bytes. */
static void dmar_kunit_fix_checksum(u8 *buf, size_t len)
{
	u8 sum = 0;
	size_t i;

	buf[9] = 0;
	for (i = 0; i < len; i++)
		sum += buf[i];
	buf[9] = -sum;
}

/* The finding at structure @off with @message, or NULL. */
static const struct vtd_dmar_finding *
dmar_kunit_find(const struct vtd_dmar_table *t, u32 off, const char *message)
{
	u32 i;

	for (i = 0; i < t->nr_findings; i++)
		if (t->findings[i].offset == off &&
		    !strcmp(t->findings[i].message, message))
			return &t->findings[i];
	return NULL;
}

static void dmar_test_qemu_table(struct kunit *test)
{
	struct dmar_kunit_ctx *ctx = test->priv;
	const struct vtd_dmar_drhd *d;

	KUNIT_ASSERT_EQ(test, vtd_dmar_parse(ctx->buf, sizeof(dmar_qemu_table),
					     &ctx->t), 0);
	KUNIT_EXPECT_TRUE(test, ctx->t->usable);
	KUNIT_EXPECT_EQ(test, ctx->t->nr_findings, 0u);
	KUNIT_EXPECT_EQ(test, ctx->t->host_address_width, 39u);
	KUNIT_ASSERT_EQ(test, ctx->t->nr_drhd, 1u);
	d = &ctx->t->drhd[0];
	KUNIT_EXPECT_EQ(test, d->offset, (u32)DMAR_DRHD_OFF);
	KUNIT_EXPECT_EQ(test, d->base, 0xfed90000ULL);
	KUNIT_EXPECT_EQ(test, d->flags, 0);
	KUNIT_ASSERT_EQ(test, d->nr_scopes, 8u);
	KUNIT_EXPECT_EQ(test, d->scopes[0].type, VTD_DMAR_SCOPE_IOAPIC);
	KUNIT_EXPECT_EQ(test, d->scopes[0].bus, 0xff);
	KUNIT_EXPECT_EQ(test, d->scopes[7].type, VTD_DMAR_SCOPE_PCI_ENDPOINT);
	KUNIT_EXPECT_EQ(test, d->scopes[7].path_len, 1);
	KUNIT_EXPECT_EQ(test, d->scopes[7].path[0].device, 0x1f);
	KUNIT_EXPECT_EQ(test, d->scopes[7].path[0].function, 3);
	KUNIT_EXPECT_EQ(test, ctx->t->nr_rmrr + ctx->t->nr_atsr +
			ctx->t->nr_rhsa + ctx->t->nr_andd + ctx->t->nr_satc +
			ctx->t->nr_unknown, 0u);
}

static void dmar_test_base_zero(struct kunit *test)
{
	struct dmar_kunit_ctx *ctx = test->priv;
	const struct vtd_dmar_finding *f;

	memset(ctx->buf + DMAR_DRHD_OFF + 8, 0, 8);
	dmar_kunit_fix_checksum(ctx->buf, sizeof(dmar_qemu_table));
	KUNIT_ASSERT_EQ(test, vtd_dmar_parse(ctx->buf, sizeof(dmar_qemu_table),
					     &ctx->t), 0);
	KUNIT_EXPECT_TRUE(test, ctx->t->usable);
	KUNIT_ASSERT_EQ(test, ctx->t->nr_drhd, 1u);
	KUNIT_EXPECT_TRUE(test, ctx->t->drhd[0].ignored);
	f = dmar_kunit_find(ctx->t, DMAR_DRHD_OFF,
			    "DRHD register base is 0: unit refused");
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, f->severity, VTD_DMAR_IGNORED);
	KUNIT_EXPECT_STREQ(test, f->field, "base");
}

static void dmar_test_checksum(struct kunit *test)
{
	struct dmar_kunit_ctx *ctx = test->priv;

	ctx->buf[9]++;
	KUNIT_ASSERT_EQ(test, vtd_dmar_parse(ctx->buf, sizeof(dmar_qemu_table),
					     &ctx->t), 0);
	KUNIT_EXPECT_FALSE(test, ctx->t->usable);
	KUNIT_EXPECT_NOT_NULL(test,
			      dmar_kunit_find(ctx->t, 0,
					      "checksum: the table's bytes do not sum to 0"));
}

static void dmar_test_scope_past_end(struct kunit *test)
{
	struct dmar_kunit_ctx *ctx = test->priv;

	ctx->buf[sizeof(dmar_qemu_table) - 7] = 10;	/* last scope's length */
	dmar_kunit_fix_checksum(ctx->buf, sizeof(dmar_qemu_table));
	KUNIT_ASSERT_EQ(test, vtd_dmar_parse(ctx->buf, sizeof(dmar_qemu_table),
					     &ctx->t), 0);
	KUNIT_ASSERT_EQ(test, ctx->t->nr_drhd, 1u);
	KUNIT_EXPECT_TRUE(test, ctx->t->drhd[0].ignored);
	KUNIT_EXPECT_EQ(test, ctx->t->drhd[0].nr_scopes, 7u);
	KUNIT_EXPECT_NOT_NULL(test,
			      dmar_kunit_find(ctx->t, DMAR_DRHD_OFF,
					      "device scope runs past its structure's end"));
}

static void dmar_test_zero_length(struct kunit *test)
{
	static const char msg[] =
		"structure length is zero: rest of the table unreachable";
	struct dmar_kunit_ctx *ctx = test->priv;

	ctx->buf[DMAR_DRHD_OFF + 2] = 0;
	dmar_kunit_fix_checksum(ctx->buf, sizeof(dmar_qemu_table));
	KUNIT_ASSERT_EQ(test, vtd_dmar_parse(ctx->buf, sizeof(dmar_qemu_table),
					     &ctx->t), 0);
	KUNIT_EXPECT_FALSE(test, ctx->t->usable);
	KUNIT_EXPECT_EQ(test, ctx->t->nr_drhd, 0u);
	KUNIT_EXPECT_NOT_NULL(test, dmar_kunit_find(ctx->t, DMAR_DRHD_OFF, msg));
}

/* Every prefix of the table parses; only the whole table is usable. */
static void dmar_test_prefixes(struct kunit *test)
{
	struct dmar_kunit_ctx *ctx = test->priv;
	size_t len;

	for (len = 0; len <= sizeof(dmar_qemu_table); len++) {
		KUNIT_ASSERT_EQ(test, vtd_dmar_parse(ctx->buf, len, &ctx->t), 0);
		KUNIT_EXPECT_EQ(test, ctx->t->usable,
				len == sizeof(dmar_qemu_table));
		vtd_dmar_free(ctx->t);
		ctx->t = NULL;
	}
}

/*
 * The guest's own table: QEMU's one unit scopes every device on the root
 * bus explicitly, so each must resolve and be owned by it.
 */
static void dmar_test_live_table(struct kunit *test)
{
	struct dmar_kunit_ctx *ctx = test->priv;
	const struct vtd_dmar_drhd *d;
	struct pci_dev *pdev = NULL;
	unsigned int resolved, root_devs = 0;
	int ret;

	ret = vtd_dmar_parse_firmware(&ctx->t);
	if (ret == -ENODEV)
		kunit_skip(test, "no DMAR table: boot QEMU with -device intel-iommu");
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, ctx->t->usable);
	KUNIT_EXPECT_FALSE(test, vtd_dmar_has_errors(ctx->t));
	KUNIT_ASSERT_EQ(test, ctx->t->nr_drhd, 1u);
	KUNIT_EXPECT_EQ(test, ctx->t->drhd[0].base, 0xfed90000ULL);
	resolved = vtd_dmar_resolve_pci(ctx->t);
	KUNIT_EXPECT_GT(test, resolved, 0u);

	for_each_pci_dev(pdev) {
		if (!pci_is_root_bus(pdev->bus))
			continue;
		root_devs++;
		d = vtd_dmar_unit_for_pci(ctx->t, pdev);
		KUNIT_EXPECT_PTR_EQ_MSG(test, d, &ctx->t->drhd[0],
					"%s has no unit", pci_name(pdev));
	}
	kunit_info(test, "%u root-bus devices, %u scopes resolved\n",
		   root_devs, resolved);
	KUNIT_EXPECT_GT(test, root_devs, 0u);
}

static struct kunit_case dmar_test_cases[] = {
	KUNIT_CASE(dmar_test_qemu_table),
	KUNIT_CASE(dmar_test_base_zero),
	KUNIT_CASE(dmar_test_checksum),
	KUNIT_CASE(dmar_test_scope_past_end),
	KUNIT_CASE(dmar_test_zero_length),
	KUNIT_CASE(dmar_test_prefixes),
	KUNIT_CASE(dmar_test_live_table),
	{}
};

static struct kunit_suite dmar_test_suite = {
	.name = "vtd_dmar",
	.init = dmar_kunit_init,
	.exit = dmar_kunit_exit,
	.test_cases = dmar_test_cases,
};

kunit_test_suite(dmar_test_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of the vtd-remap DMAR parser");
