/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap DMAR parser: public interface.
 *
 * Turns the ACPI DMA Remapping Reporting table (VT-d specification,
 * chapter 8 "BIOS Considerations") into plain data: hardware units (DRHD),
 * reserved memory regions (RMRR), root ports with ATS (ATSR), proximity
 * (RHSA), namespace devices (ANDD), SoC ATC structures (SATC) and structures
 * of types this parser does not know. Each structure keeps its device
 * scopes, and every problem found in the table is listed as a finding with
 * its offset, field, value and severity.
 *
 * The parser works on any buffer and builds unmodified in userspace through
 * the shim in tools/dmar/shim/ (tools/dmar-dump, the tests, the fuzzer). The
 * PCI side (resolving scopes to devices, "which unit owns this device") is
 * split into a pure part that takes the PCI topology through callbacks and
 * a kernel part that supplies them.
 */
#ifndef VTD_DMAR_H
#define VTD_DMAR_H

#include <linux/types.h>

/* Structure types, VT-d 8.2; every other value is skipped as unknown. */
#define VTD_DMAR_TYPE_DRHD	0
#define VTD_DMAR_TYPE_RMRR	1
#define VTD_DMAR_TYPE_ATSR	2
#define VTD_DMAR_TYPE_RHSA	3
#define VTD_DMAR_TYPE_ANDD	4
#define VTD_DMAR_TYPE_SATC	5

/* Device scope entry types, VT-d 8.3.1. */
#define VTD_DMAR_SCOPE_PCI_ENDPOINT	1
#define VTD_DMAR_SCOPE_PCI_BRIDGE	2
#define VTD_DMAR_SCOPE_IOAPIC		3
#define VTD_DMAR_SCOPE_HPET		4
#define VTD_DMAR_SCOPE_NAMESPACE	5

/* DMAR header flags, VT-d 8.1. */
#define VTD_DMAR_INTR_REMAP		0x01
#define VTD_DMAR_X2APIC_OPT_OUT		0x02
#define VTD_DMAR_DMA_CTRL_PLATFORM_OPT_IN 0x04

/* DRHD flags, VT-d 8.3: the unit owns every device not scoped elsewhere. */
#define VTD_DRHD_INCLUDE_PCI_ALL	0x01
/* ATSR flags, VT-d 8.5: every root port of the segment supports ATS. */
#define VTD_ATSR_ALL_PORTS		0x01

/**
 * enum vtd_dmar_severity - how much of the table a finding takes away
 * @VTD_DMAR_WARNING:	nothing is refused; firmware is odd or sloppy.
 * @VTD_DMAR_IGNORED:	the structure (unit, region, ...) named by the
 *			finding's offset is ignored; the rest stands.
 * @VTD_DMAR_UNUSABLE:	the table as a whole must not be used.
 */
enum vtd_dmar_severity {
	VTD_DMAR_WARNING,
	VTD_DMAR_IGNORED,
	VTD_DMAR_UNUSABLE,
};

/**
 * struct vtd_dmar_finding - one problem found in the table
 * @offset:	byte offset of the structure concerned (0: the table header).
 * @at:		byte offset of the faulty item itself: the field, or the
 *		device scope entry; equals @offset when nothing finer applies.
 * @severity:	what the finding takes away.
 * @field:	name of the field at fault, as in the JSON output.
 * @value:	the field's value (a length, an address, a type, ...).
 * @other:	offset of the other structure involved (the earlier unit of a
 *		duplicate, the RMRR overlapped, ...), or 0.
 * @message:	a fixed sentence saying what is wrong; the same problem always
 *		gives the same message, so tests and scripts can match it.
 */
struct vtd_dmar_finding {
	u32 offset;
	u32 at;
	enum vtd_dmar_severity severity;
	const char *field;
	u64 value;
	u32 other;
	const char *message;
};

/**
 * struct vtd_dmar_path - one hop of a device scope path, VT-d 8.3.1
 * @device:	PCI device number on the current bus.
 * @function:	PCI function number.
 */
struct vtd_dmar_path {
	u8 device;
	u8 function;
};

/**
 * struct vtd_dmar_scope - a device scope entry, VT-d 8.3.1
 * @offset:	byte offset of the entry in the table.
 * @type:	VTD_DMAR_SCOPE_*, or any other value as found.
 * @flags:	the entry's flags byte (reserved before VT-d 3.0).
 * @enumeration_id: IOAPIC ID, HPET number or ANDD device number.
 * @bus:	start bus number of the path.
 * @path_len:	number of hops in @path (at least 1 in a valid entry).
 * @path:	hops from @bus down through bridges to the device.
 * @resolved:	set by vtd_dmar_resolve(): the path led to a device.
 * @workaround:	the firmware bug of section 6 of vtd_dmar.c was assumed.
 * @res_bus:	bus of the device the path leads to (valid iff @resolved).
 * @res_devfn:	its devfn (valid iff @resolved).
 * @sec_bus:	for a bridge: its secondary bus (valid iff @resolved).
 * @sub_bus:	for a bridge: its subordinate bus (valid iff @resolved).
 */
struct vtd_dmar_scope {
	u32 offset;
	u8 type;
	u8 flags;
	u8 enumeration_id;
	u8 bus;
	u8 path_len;
	const struct vtd_dmar_path *path;
	bool resolved;
	bool workaround;
	u8 res_bus;
	u8 res_devfn;
	u8 sec_bus;
	u8 sub_bus;
};

/**
 * struct vtd_dmar_drhd - DMA Remapping Hardware Unit Definition, VT-d 8.3
 * @offset:	byte offset of the structure in the table.
 * @flags:	VTD_DRHD_INCLUDE_PCI_ALL and reserved bits, as found.
 * @size:	size field: the register set spans 2^(size & 0xf) 4 KiB pages.
 * @segment:	PCI segment the unit serves.
 * @base:	physical address of the unit's registers.
 * @ignored:	an IGNORED finding refuses this unit: do not drive it.
 * @nr_scopes:	entries in @scopes.
 * @scopes:	the devices (or sub-hierarchies, IOAPICs, HPETs) it serves.
 */
struct vtd_dmar_drhd {
	u32 offset;
	u8 flags;
	u8 size;
	u16 segment;
	u64 base;
	bool ignored;
	u32 nr_scopes;
	struct vtd_dmar_scope *scopes;
};

/**
 * struct vtd_dmar_rmrr - Reserved Memory Region Reporting, VT-d 8.4
 * @offset:	byte offset of the structure in the table.
 * @segment:	PCI segment of the devices in @scopes.
 * @base:	first byte of the region.
 * @limit:	last byte of the region (inclusive).
 * @ignored:	an IGNORED finding refuses this region.
 * @nr_scopes:	entries in @scopes.
 * @scopes:	devices that keep DMAing to the region.
 */
struct vtd_dmar_rmrr {
	u32 offset;
	u16 segment;
	u64 base;
	u64 limit;
	bool ignored;
	u32 nr_scopes;
	struct vtd_dmar_scope *scopes;
};

/**
 * struct vtd_dmar_atsr - Root Port ATS Capability Reporting, VT-d 8.5; the
 *	same shape also carries SATC, SoC Integrated Address Translation Cache
 *	Reporting, VT-d 8.8
 * @offset:	byte offset of the structure in the table.
 * @flags:	ATSR: VTD_ATSR_ALL_PORTS; SATC: bit 0 ATC_REQUIRED.
 * @segment:	PCI segment of the devices in @scopes.
 * @ignored:	an IGNORED finding refuses this structure.
 * @nr_scopes:	entries in @scopes.
 * @scopes:	ATSR: root ports; SATC: SoC devices with an ATC.
 */
struct vtd_dmar_atsr {
	u32 offset;
	u8 flags;
	u16 segment;
	bool ignored;
	u32 nr_scopes;
	struct vtd_dmar_scope *scopes;
};

/**
 * struct vtd_dmar_rhsa - Remapping Hardware Static Affinity, VT-d 8.6
 * @offset:	byte offset of the structure in the table.
 * @base:	register base of the DRHD it describes.
 * @proximity_domain: the ACPI proximity domain of that unit.
 */
struct vtd_dmar_rhsa {
	u32 offset;
	u64 base;
	u32 proximity_domain;
};

/**
 * struct vtd_dmar_andd - ACPI Name-space Device Declaration, VT-d 8.7
 * @offset:	byte offset of the structure in the table.
 * @device_number: the enumeration ID namespace scopes use to name it.
 * @ignored:	an IGNORED finding refuses this structure.
 * @name:	the ACPI object name, NUL-terminated (cut at the structure's
 *		end if the firmware forgot the NUL).
 */
struct vtd_dmar_andd {
	u32 offset;
	u8 device_number;
	bool ignored;
	const char *name;
};

/**
 * struct vtd_dmar_unknown - a structure of a type this parser skips
 * @offset:	byte offset of the structure in the table.
 * @type:	its type field.
 * @length:	its length field.
 */
struct vtd_dmar_unknown {
	u32 offset;
	u16 type;
	u16 length;
};

/**
 * struct vtd_dmar_table - a parsed DMAR table; plain data, no pointer into
 *	the buffer it was parsed from
 * @length:	the header's length field.
 * @revision:	the header's revision.
 * @oem_id:	OEM ID, NUL-terminated.
 * @oem_table_id: OEM table ID, NUL-terminated.
 * @host_address_width: DMA physical address width in bits (field + 1).
 * @flags:	VTD_DMAR_INTR_REMAP and friends.
 * @usable:	no UNUSABLE finding: the structures not ignored may be used.
 * @nr_drhd:	entries in @drhd, in table order; likewise for the others.
 * @drhd:	hardware units, ignored ones included (see their @ignored).
 * @nr_rmrr:	entries in @rmrr.
 * @rmrr:	reserved memory regions.
 * @nr_atsr:	entries in @atsr.
 * @atsr:	ATS root port structures.
 * @nr_rhsa:	entries in @rhsa.
 * @rhsa:	affinity structures.
 * @nr_andd:	entries in @andd.
 * @andd:	namespace devices.
 * @nr_satc:	entries in @satc.
 * @satc:	SoC ATC structures.
 * @nr_unknown:	entries in @unknown.
 * @unknown:	structures of unknown type, skipped.
 * @nr_findings: entries in @findings.
 * @findings:	every problem found, in the order found.
 *
 * Structures shorter than their type's minimum length appear only as a
 * finding: none of their fields can be trusted.
 */
struct vtd_dmar_table {
	u32 length;
	u8 revision;
	char oem_id[7];
	char oem_table_id[9];
	unsigned int host_address_width;
	u8 flags;
	bool usable;
	u32 nr_drhd;
	struct vtd_dmar_drhd *drhd;
	u32 nr_rmrr;
	struct vtd_dmar_rmrr *rmrr;
	u32 nr_atsr;
	struct vtd_dmar_atsr *atsr;
	u32 nr_rhsa;
	struct vtd_dmar_rhsa *rhsa;
	u32 nr_andd;
	struct vtd_dmar_andd *andd;
	u32 nr_satc;
	struct vtd_dmar_atsr *satc;
	u32 nr_unknown;
	struct vtd_dmar_unknown *unknown;
	u32 nr_findings;
	struct vtd_dmar_finding *findings;
};

/**
 * struct vtd_dmar_pci_ops - the PCI topology, as the resolver needs it
 * @bridge_buses: if (@segment, @bus, @devfn) is a present bridge, store its
 *		secondary and subordinate bus numbers and return 0; return
 *		-ENODEV if there is no such device or it is not a bridge.
 * @behind_bridge: whether @bus of @segment exists and is the secondary
 *		bus of a bridge (so not a root bus below a host bridge).
 *
 * Both are called with @ctx as given to vtd_dmar_resolve() and may sleep.
 */
struct vtd_dmar_pci_ops {
	int (*bridge_buses)(void *ctx, u16 segment, u8 bus, u8 devfn,
			    u8 *sec_bus, u8 *sub_bus);
	bool (*behind_bridge)(void *ctx, u16 segment, u8 bus);
};

int vtd_dmar_parse(const void *buf, size_t len, struct vtd_dmar_table **out);
void vtd_dmar_free(struct vtd_dmar_table *t);
bool vtd_dmar_has_errors(const struct vtd_dmar_table *t);
const char *vtd_dmar_severity_name(enum vtd_dmar_severity sev);
const char *vtd_dmar_scope_type_name(u8 type);

int vtd_dmar_scope_resolve(struct vtd_dmar_scope *sc, u16 segment,
			   const struct vtd_dmar_pci_ops *ops, void *ctx);
unsigned int vtd_dmar_resolve(struct vtd_dmar_table *t,
			      const struct vtd_dmar_pci_ops *ops, void *ctx);
const struct vtd_dmar_drhd *
vtd_dmar_find_unit(const struct vtd_dmar_table *t, u16 segment, u8 bus,
		   u8 devfn);

#ifdef __KERNEL__
struct pci_dev;

int vtd_dmar_parse_firmware(struct vtd_dmar_table **out);
unsigned int vtd_dmar_resolve_pci(struct vtd_dmar_table *t);
const struct vtd_dmar_drhd *
vtd_dmar_unit_for_pci(const struct vtd_dmar_table *t, struct pci_dev *pdev);
#endif

#endif /* VTD_DMAR_H */
