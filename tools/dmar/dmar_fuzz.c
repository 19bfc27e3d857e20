// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the DMAR parser: any bytes go through
 * vtd_dmar_parse(), both printers, scope resolution against a fake PCI
 * topology and the ownership lookup, then vtd_dmar_free(). ASan and UBSan
 * watch the memory; the target itself aborts when the parsed data breaks a
 * promise of the parser (an offset outside the table, a scope outside its
 * structure, a path longer than its entry allows) or when memory leaks.
 * Inputs whose first byte is 0xa5 also run with one allocation failing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "dmar_print.h"
#include "shim/shim.h"

static FILE *devnull;

static int fz_bridge(void *ctx, u16 seg, u8 bus, u8 devfn, u8 *sec, u8 *sub)
{
	/* every device 00:1x.y is a bridge to bus 1 + (devfn & 7) */
	if (seg || bus || (devfn >> 3) < 0x10 || (devfn >> 3) > 0x1f)
		return -1;
	*sec = 1 + (devfn & 7);
	*sub = *sec + 1;
	return 0;
}

static bool fz_behind(void *ctx, u16 seg, u8 bus)
{
	return bus != 0;
}

static const struct vtd_dmar_pci_ops fz_ops = {
	.bridge_buses = fz_bridge,
	.behind_bridge = fz_behind,
};

static void check_scopes(const struct vtd_dmar_scope *sc, u32 n, u32 off,
			 size_t size)
{
	u32 i;

	for (i = 0; i < n; i++) {
		if (sc[i].offset < off + 8 || sc[i].offset + 6u + 2u * sc[i].path_len > size ||
		    !sc[i].path_len || !sc[i].path)
			abort();
	}
}

static void check(const struct vtd_dmar_table *t, size_t size)
{
	u32 i;

	for (i = 0; i < t->nr_findings; i++)
		if (t->findings[i].offset > size || t->findings[i].at > size ||
		    !t->findings[i].message || !t->findings[i].field ||
		    t->findings[i].severity > VTD_DMAR_UNUSABLE ||
		    (t->findings[i].severity == VTD_DMAR_UNUSABLE && t->usable))
			abort();
	for (i = 0; i < t->nr_drhd; i++) {
		if (t->drhd[i].offset < 48 || t->drhd[i].offset + 16 > size)
			abort();
		check_scopes(t->drhd[i].scopes, t->drhd[i].nr_scopes,
			     t->drhd[i].offset, size);
	}
	for (i = 0; i < t->nr_rmrr; i++)
		check_scopes(t->rmrr[i].scopes, t->rmrr[i].nr_scopes,
			     t->rmrr[i].offset, size);
	for (i = 0; i < t->nr_atsr; i++)
		check_scopes(t->atsr[i].scopes, t->atsr[i].nr_scopes,
			     t->atsr[i].offset, size);
	for (i = 0; i < t->nr_andd; i++)
		if (!t->andd[i].name)
			abort();
}

/* FUZZ_ENTRY is libFuzzer's entry point, named by the Makefile. */
int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct vtd_dmar_table *t;
	long total;
	int ret;

	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		shim_quiet = true;
	}
	shim_reset();
	ret = vtd_dmar_parse(data, size, &t);
	if (ret)
		abort();
	total = shim_total;
	check(t, size);
	dmar_print_json(devnull, t);
	dmar_print_text(devnull, t);
	vtd_dmar_resolve(t, &fz_ops, NULL);
	vtd_dmar_find_unit(t, 0, 0, 0x10);
	vtd_dmar_find_unit(t, 0, 2, 0);
	vtd_dmar_free(t);
	if (shim_live)
		abort();

	if (size > 1 && data[0] == 0xa5 && total) {
		shim_reset();
		shim_fail_at = 1 + data[size - 1] % total;
		ret = vtd_dmar_parse(data, size, &t);
		if (ret != -ENOMEM || t || shim_live)
			abort();
	}
	return 0;
}
