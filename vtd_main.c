// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap module entry: brings the parts up in order and takes them down
 * in reverse: the IOVA allocator, a template domain holding the holes
 * every DMA domain must keep (the MSI/APIC window), the firmware's DMAR
 * table (parsed and matched to the PCI devices present), the unmap modes
 * (parameters, the CPU-hotplug callback of the deferred queues), debugfs,
 * the hardware units (translation on), the PCI bus notifier (devices added
 * or removed after load, vtd_hotplug.c: registered before the shim takes
 * its devices, unregistered before it gives them back) and the DMA-API
 * shim.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/sizes.h>

#include "iova.h"
#include "vtd_debugfs.h"
#include "vtd_dma.h"
#include "vtd_dmar.h"
#include "vtd_flush.h"
#include "vtd_hotplug.h"
#include "vtd_unit.h"

/*
 * Interrupt messages: the CPU treats DMA writes to this window as MSIs and
 * the unit does not translate them (VT-d 3.14), so no domain may hand it out.
 */
#define VTD_MSI_BASE		0xfee00000UL
#define VTD_MSI_LAST		0xfeefffffUL

/* Widest input address any domain may have: 4-level tables, 48 bits. */
#define VTD_MAX_AW		48

static struct vtd_iova_domain vtd_template;

/* The firmware's DMAR table, or NULL on a machine without one. */
static struct vtd_dmar_table *vtd_dmar;

static int vtd_dmar_init(void)
{
	unsigned int resolved;
	int ret;

	ret = vtd_dmar_parse_firmware(&vtd_dmar);
	if (ret == -ENODEV) {
		pr_info("no DMAR table: no remapping hardware to drive\n");
		return 0;
	}
	if (ret)
		return ret;
	resolved = vtd_dmar_resolve_pci(vtd_dmar);
	pr_info("DMAR: %u unit(s), %u RMRR(s), %u device scope(s) resolved%s\n",
		vtd_dmar->nr_drhd, vtd_dmar->nr_rmrr, resolved,
		vtd_dmar_has_errors(vtd_dmar) ? "; the table has errors" : "");
	return 0;
}

static int vtd_template_init(void)
{
	struct vtd_iova_stats st;
	int ret;

	/* Frame 0 stays out: a DMA address of 0 hides too many bugs. */
	ret = vtd_iova_domain_init(&vtd_template, VTD_PAGE_SIZE, 1,
				   (1UL << (VTD_MAX_AW - VTD_PAGE_SHIFT)) - 1);
	if (ret)
		return ret;
	ret = vtd_iova_reserve(&vtd_template, VTD_MSI_BASE >> VTD_PAGE_SHIFT,
			       VTD_MSI_LAST >> VTD_PAGE_SHIFT, GFP_KERNEL);
	if (ret) {
		vtd_iova_domain_destroy(&vtd_template);
		return ret;
	}
	vtd_iova_get_stats(&vtd_template, &st);
	pr_info("template domain: %lu reserved range(s), %lu frames, largest gap %lu frames\n",
		st.nr_reserved, st.reserved_frames, st.largest_gap);
	return 0;
}

static int __init vtd_init(void)
{
	int ret;

	ret = vtd_iova_init();
	if (ret)
		return ret;
	ret = vtd_template_init();
	if (ret)
		goto out_iova_exit;
	ret = vtd_dmar_init();
	if (ret)
		goto out_destroy_template;
	ret = vtd_flush_init();
	if (ret)
		goto out_dmar_free;
	vtd_debugfs_init();
	if (vtd_dmar && vtd_dmar->usable) {
		ret = vtd_units_init(vtd_dmar, &vtd_template);
		if (ret)
			goto out_units_exit;
	}
	ret = vtd_hotplug_init();
	if (ret)
		goto out_units_exit;
	ret = vtd_dma_init();
	if (ret)
		goto out_hotplug_exit;
	pr_info("loaded; an IOVA range costs %zu bytes\n", vtd_iova_node_bytes());
	return 0;

out_hotplug_exit:
	vtd_hotplug_exit();
out_units_exit:
	/* debugfs first: its files may be open while the module loads. */
	vtd_debugfs_exit();
	vtd_units_exit();
	vtd_flush_exit();
out_dmar_free:
	vtd_dmar_free(vtd_dmar);
out_destroy_template:
	vtd_iova_domain_destroy(&vtd_template);
out_iova_exit:
	vtd_iova_exit();
	return ret;
}

static void __exit vtd_exit(void)
{
	vtd_hotplug_exit();
	vtd_dma_exit();
	vtd_debugfs_exit();
	vtd_units_exit();
	vtd_flush_exit();
	vtd_dmar_free(vtd_dmar);
	vtd_iova_domain_destroy(&vtd_template);
	vtd_iova_exit();
	pr_info("unloaded\n");
}

module_init(vtd_init);
module_exit(vtd_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Standalone Intel VT-d DMA remapping");
