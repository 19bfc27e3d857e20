// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap DMAR parser: the ACPI DMA Remapping Reporting table, decoded
 * into plain data or refused with a precise reason.
 *
 * 1. What is trusted
 *
 *    Nothing in the table. The caller's buffer length is the only fact
 *    taken as given (in the kernel: ACPICA mapped exactly the header's
 *    length). Every byte is read through dmar_get_u8() and friends, which
 *    check the read against the walk's end (an ANDD name is copied once
 *    dmar_get_u8() has checked each byte); a failed check there is a bug
 *    in this file (WARN_ON_ONCE, the read gives 0), never a table error.
 *
 * 2. The walk (VT-d 8.1, 8.2, 8.3.1)
 *
 *    The table is a 48-byte header followed by structures, each starting
 *    with a 16-bit type and a 16-bit length; the scope-bearing structures
 *    end with device scope entries, each starting with an 8-bit type and
 *    an 8-bit length. Bounds, each checked before anything inside is read:
 *      - the walk's end is min(header length, buffer length);
 *      - a structure lies in [48, end): its 4-byte header first, then its
 *        whole length, then its type's minimum length (dmar_types[]);
 *      - a scope entry lies in [the structure's scope start, the
 *        structure's end): 2 bytes, then at least 6, then its whole length.
 *    Every step of a walk advances by at least 4 (structures) or 6 (scope
 *    entries) bytes or ends the walk: no input loops.
 *
 * 3. Data
 *
 *    A parse allocates one struct vtd_dmar_table with one array per
 *    structure type plus the findings; arrays grow by doubling (dmar_vec).
 *    Each scope-bearing structure owns an exact-size array of its scopes,
 *    each scope an exact-size array of its path, each ANDD a copy of its
 *    name. Nothing points into the caller's buffer, which may be freed (or
 *    acpi_put_table()d) as soon as vtd_dmar_parse() returns. All memory
 *    comes from kcalloc()/kfree() (in userspace the shim's counting
 *    allocator) and vtd_dmar_free() releases all of it, also after a
 *    partial parse.
 *
 * 4. Failure policy
 *
 *    A problem becomes a finding of one of three severities:
 *      - UNUSABLE: the table as a whole is refused (checksum, signature,
 *        lengths that break the walk, host address width): t->usable is
 *        false. The walk still decodes what it safely can, for diagnosis.
 *      - IGNORED: one structure is refused (a DRHD whose base is 0, a
 *        scope that runs past its structure, an RMRR ending below its
 *        base...): its ignored flag is set, the rest of the table stands.
 *      - WARNING: odd but usable (unknown types, overlapping RMRRs, a
 *        device scoped twice...).
 *    Messages are fixed strings; offsets, fields and values carry the
 *    details. vtd_dmar_parse() fails only for lack of memory (-ENOMEM);
 *    any byte string, even an empty one, gives a table and its findings.
 *
 * 5. Checks across structures (after the walk, dmar_check_*())
 *
 *    Duplicate DRHD bases, INCLUDE_PCI_ALL units that are not the last of
 *    their segment, devices scoped by two units, overlapping RMRRs, RHSAs
 *    naming no unit, namespace scopes naming no ANDD. These compare every
 *    pair, O(n^2) in structures or scopes; real tables hold tens of them.
 *
 * 6. Scope resolution and ownership
 *
 *    A PCI scope names a device by a start bus and a path of (device,
 *    function) hops; every hop but the last is a bridge, and the next hop
 *    is on that bridge's secondary bus. vtd_dmar_scope_resolve() follows
 *    the path through callbacks that describe the PCI topology, so that
 *    the same code runs against the kernel's PCI core and against a fake
 *    topology in the tests. A device is owned by the unit that scopes it
 *    explicitly (or scopes a bridge above it), else by its segment's
 *    INCLUDE_PCI_ALL unit (vtd_dmar_find_unit()).
 *
 *    Firmware bug, handled in vtd_dmar_scope_resolve(): some BIOSes name a
 *    device behind a bridge by its own bus number and a one-hop path,
 *    instead of the root bus and the path through the bridge. Read
 *    literally that is the device itself, which is what the firmware
 *    meant, so it is accepted as such; since a one-hop path must start on
 *    a root bus, the scope is flagged (workaround) and a message names the
 *    device. Linux applies the same reading.
 */

#ifdef __KERNEL__
#define pr_fmt(fmt) KBUILD_MODNAME ": dmar: " fmt
#endif

#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/unaligned.h>

#ifdef __KERNEL__
#include <linux/acpi.h>
#endif

#include "vtd_dmar.h"

/* ACPI table header, then the DMAR fields (VT-d 8.1). */
#define DMAR_ACPI_HEADER_LEN	36
#define DMAR_SIGNATURE		0x52414d44	/* "DMAR", little-endian */
#define DMAR_OFF_LENGTH		4
#define DMAR_OFF_REVISION	8
#define DMAR_OFF_OEM_ID		10
#define DMAR_OFF_OEM_TABLE_ID	16
#define DMAR_OFF_HAW		36
#define DMAR_OFF_FLAGS		37
#define DMAR_HEADER_LEN		48
#define DMAR_FLAGS_KNOWN	(VTD_DMAR_INTR_REMAP | VTD_DMAR_X2APIC_OPT_OUT | \
				 VTD_DMAR_DMA_CTRL_PLATFORM_OPT_IN)

/*
 * Host address width in bits. Every x86 with VT-d addresses at least 4 GiB
 * (the interrupt window sits at 0xfee00000) and no physical address is
 * wider than 64 bits; the tables we have span 36 to 48.
 */
#define DMAR_HAW_MIN		32
#define DMAR_HAW_MAX		64

#define DMAR_STRUCT_HDR_LEN	4	/* type, length: VT-d 8.2 */
#define DMAR_SCOPE_HDR_LEN	6	/* type .. start bus: VT-d 8.3.1 */
#define DMAR_PAGE_MASK		0xfffULL

/* Minimum lengths: the fixed part of each structure, before any scope. */
#define DMAR_DRHD_LEN		16	/* VT-d 8.3 */
#define DMAR_RMRR_LEN		24	/* VT-d 8.4 */
#define DMAR_ATSR_LEN		8	/* VT-d 8.5 */
#define DMAR_RHSA_LEN		20	/* VT-d 8.6 */
#define DMAR_ANDD_LEN		9	/* VT-d 8.7: 8 + at least the name's NUL */
#define DMAR_SATC_LEN		8	/* VT-d 8.8 */

/* Scope types a structure may carry, as a mask of BIT(type). */
#define DMAR_SCOPES_PCI		(BIT(VTD_DMAR_SCOPE_PCI_ENDPOINT) | \
				 BIT(VTD_DMAR_SCOPE_PCI_BRIDGE))
#define DMAR_SCOPES_DRHD	(DMAR_SCOPES_PCI | BIT(VTD_DMAR_SCOPE_IOAPIC) | \
				 BIT(VTD_DMAR_SCOPE_HPET) | \
				 BIT(VTD_DMAR_SCOPE_NAMESPACE))

/* A growing array: items[0 .. nr) in use, room for cap. */
struct dmar_vec {
	void *items;
	u32 nr;
	u32 cap;
};

/**
 * struct dmar_parse - state of one parse
 * @buf:	the caller's bytes.
 * @end:	the walk's end: no read at or past it (section 2).
 * @err:	-ENOMEM once an allocation failed; the walk then stops.
 * @t:		the table being filled.
 * @cur_ignored: the ignored flag of the structure being decoded, or NULL:
 *		an IGNORED finding sets it.
 * @drhd:	the growing arrays, handed to @t when the walk ends: DRHDs,
 * @rmrr:	RMRRs,
 * @atsr:	ATSRs,
 * @rhsa:	RHSAs,
 * @andd:	ANDDs,
 * @satc:	SATCs,
 * @unknown:	structures of unknown type,
 * @findings:	and the findings.
 */
struct dmar_parse {
	const u8 *buf;
	u32 end;
	int err;
	struct vtd_dmar_table *t;
	bool *cur_ignored;
	struct dmar_vec drhd;
	struct dmar_vec rmrr;
	struct dmar_vec atsr;
	struct dmar_vec rhsa;
	struct dmar_vec andd;
	struct dmar_vec satc;
	struct dmar_vec unknown;
	struct dmar_vec findings;
};

/* What a structure type needs: VT-d 8.2 lists the types. */
struct dmar_type {
	u16 min_len;
	void (*decode)(struct dmar_parse *p, u32 off, u32 len);
};

/* ---- primitives: bounded reads, arrays, findings ---------------------- */

static bool dmar_in_bounds(const struct dmar_parse *p, u32 off, u32 n)
{
	return !WARN_ON_ONCE(off > p->end || p->end - off < n);
}

static u8 dmar_get_u8(const struct dmar_parse *p, u32 off)
{
	return dmar_in_bounds(p, off, 1) ? p->buf[off] : 0;
}

static u16 dmar_get_u16(const struct dmar_parse *p, u32 off)
{
	return dmar_in_bounds(p, off, 2) ? get_unaligned_le16(p->buf + off) : 0;
}

static u32 dmar_get_u32(const struct dmar_parse *p, u32 off)
{
	return dmar_in_bounds(p, off, 4) ? get_unaligned_le32(p->buf + off) : 0;
}

static u64 dmar_get_u64(const struct dmar_parse *p, u32 off)
{
	return dmar_in_bounds(p, off, 8) ? get_unaligned_le64(p->buf + off) : 0;
}

/* Append one zeroed item of @size bytes to @v; NULL (and p->err) if no memory. */
static void *dmar_vec_add(struct dmar_parse *p, struct dmar_vec *v, size_t size)
{
	void *items;
	u32 cap;

	if (p->err)
		return NULL;
	if (v->nr == v->cap) {
		cap = v->cap ? v->cap * 2 : 8;
		items = kcalloc(cap, size, GFP_KERNEL);
		if (!items) {
			p->err = -ENOMEM;
			return NULL;
		}
		if (v->nr)
			memcpy(items, v->items, v->nr * size);
		kfree(v->items);
		v->items = items;
		v->cap = cap;
	}
	return (u8 *)v->items + v->nr++ * size;
}

/*
 * Record a finding at structure @off about the item at @at. An IGNORED
 * finding refuses the structure being decoded, an UNUSABLE one the table.
 */
static void dmar_report(struct dmar_parse *p, enum vtd_dmar_severity sev,
			u32 off, u32 at, const char *field, u64 value,
			const char *message)
{
	struct vtd_dmar_finding *f;

	if (sev == VTD_DMAR_UNUSABLE)
		p->t->usable = false;
	if (sev == VTD_DMAR_IGNORED && p->cur_ignored)
		*p->cur_ignored = true;
	f = dmar_vec_add(p, &p->findings, sizeof(*f));
	if (!f)
		return;
	f->offset = off;
	f->at = at;
	f->severity = sev;
	f->field = field;
	f->value = value;
	f->message = message;
}

/* The same, for checks after the walk: names the other structure. */
static void dmar_report_pair(struct dmar_parse *p, enum vtd_dmar_severity sev,
			     u32 off, u32 at, const char *field, u64 value,
			     u32 other, const char *message)
{
	dmar_report(p, sev, off, at, field, value, message);
	if (!p->err)
		((struct vtd_dmar_finding *)p->findings.items)
			[p->findings.nr - 1].other = other;
}

/* ---- device scopes (VT-d 8.3.1) ---------------------------------------- */

/*
 * Check the scope entry at @pos, in a scope area ending at @end. Returns
 * NULL if it is well formed (its length in *@len), else the message; *@len
 * then holds the value at fault.
 */
static const char *dmar_scope_check(const struct dmar_parse *p, u32 pos,
				    u32 end, u32 *len)
{
	*len = end - pos;
	if (*len < 2)
		return "device scope header truncated by its structure's end";
	*len = dmar_get_u8(p, pos + 1);
	if (*len < DMAR_SCOPE_HDR_LEN)
		return "device scope length below 6";
	if (*len > end - pos)
		return "device scope runs past its structure's end";
	if ((*len - DMAR_SCOPE_HDR_LEN) % 2)
		return "device scope path length is odd";
	if (*len == DMAR_SCOPE_HDR_LEN)
		return "device scope has an empty path";
	return NULL;
}

/* Number of well-formed scope entries before the first bad one. */
static u32 dmar_scope_count(const struct dmar_parse *p, u32 pos, u32 end)
{
	u32 n = 0, len;

	while (pos < end && !dmar_scope_check(p, pos, end, &len)) {
		n++;
		pos += len;
	}
	return n;
}

/* Decode one well-formed entry of @len bytes at @pos into @sc. */
static void dmar_scope_decode(struct dmar_parse *p, u32 off, u32 pos, u32 len,
			      unsigned long allowed, struct vtd_dmar_scope *sc)
{
	struct vtd_dmar_path *path;
	u32 i;

	sc->offset = pos;
	sc->type = dmar_get_u8(p, pos);
	sc->flags = dmar_get_u8(p, pos + 2);
	sc->enumeration_id = dmar_get_u8(p, pos + 4);
	sc->bus = dmar_get_u8(p, pos + 5);
	sc->path_len = (len - DMAR_SCOPE_HDR_LEN) / 2;

	if (sc->type < VTD_DMAR_SCOPE_PCI_ENDPOINT ||
	    sc->type > VTD_DMAR_SCOPE_NAMESPACE)
		dmar_report(p, VTD_DMAR_WARNING, off, pos, "scope_type",
			    sc->type, "unknown device scope type");
	else if (!(allowed & BIT(sc->type)))
		dmar_report(p, VTD_DMAR_WARNING, off, pos, "scope_type",
			    sc->type, "device scope type not allowed in this structure");

	path = kcalloc(sc->path_len, sizeof(*path), GFP_KERNEL);
	if (!path) {
		p->err = -ENOMEM;
		return;
	}
	for (i = 0; i < sc->path_len; i++) {
		path[i].device = dmar_get_u8(p, pos + DMAR_SCOPE_HDR_LEN + 2 * i);
		path[i].function = dmar_get_u8(p, pos + DMAR_SCOPE_HDR_LEN + 2 * i + 1);
		if (path[i].device > 31 || path[i].function > 7)
			dmar_report(p, VTD_DMAR_WARNING, off,
				    pos + DMAR_SCOPE_HDR_LEN + 2 * i, "path",
				    path[i].device << 8 | path[i].function,
				    "device scope path hop is not a PCI device/function");
	}
	sc->path = path;
}

/*
 * Decode the scope area [@pos, @end) of the structure at @off into an
 * exact-size array. The first malformed entry ends the area and refuses
 * the structure: the devices after it cannot be located.
 */
static void dmar_scopes_decode(struct dmar_parse *p, u32 off, u32 pos, u32 end,
			       unsigned long allowed,
			       struct vtd_dmar_scope **scopes, u32 *nr)
{
	u32 n = dmar_scope_count(p, pos, end), len;
	const char *msg;

	if (n) {
		*scopes = kcalloc(n, sizeof(**scopes), GFP_KERNEL);
		if (!*scopes) {
			p->err = -ENOMEM;
			return;
		}
	}
	for (*nr = 0; *nr < n && !p->err; (*nr)++) {
		dmar_scope_check(p, pos, end, &len);
		dmar_scope_decode(p, off, pos, len, allowed, &(*scopes)[*nr]);
		pos += len;
	}
	if (p->err || pos >= end)
		return;
	msg = dmar_scope_check(p, pos, end, &len);
	dmar_report(p, VTD_DMAR_IGNORED, off, pos, "scope_length", len, msg);
}

/* ---- the structures (VT-d 8.3 to 8.8) ---------------------------------- */

/* DMA Remapping Hardware Unit Definition, VT-d 8.3. */
static void dmar_drhd_decode(struct dmar_parse *p, u32 off, u32 len)
{
	struct vtd_dmar_drhd *d = dmar_vec_add(p, &p->drhd, sizeof(*d));
	unsigned int haw = p->t->host_address_width;

	if (!d)
		return;
	p->cur_ignored = &d->ignored;
	d->offset = off;
	d->flags = dmar_get_u8(p, off + 4);
	d->size = dmar_get_u8(p, off + 5);
	d->segment = dmar_get_u16(p, off + 6);
	d->base = dmar_get_u64(p, off + 8);

	if (d->flags & ~VTD_DRHD_INCLUDE_PCI_ALL)
		dmar_report(p, VTD_DMAR_WARNING, off, off + 4, "flags", d->flags,
			    "reserved DRHD flag bits set");
	if (!d->base)
		dmar_report(p, VTD_DMAR_IGNORED, off, off + 8, "base", d->base,
			    "DRHD register base is 0: unit refused");
	else if (d->base & DMAR_PAGE_MASK)
		dmar_report(p, VTD_DMAR_IGNORED, off, off + 8, "base", d->base,
			    "DRHD register base is not 4 KiB aligned: unit refused");
	else if (haw >= DMAR_HAW_MIN && haw < DMAR_HAW_MAX && d->base >> haw)
		dmar_report(p, VTD_DMAR_WARNING, off, off + 8, "base", d->base,
			    "DRHD register base lies beyond the host address width");

	dmar_scopes_decode(p, off, off + DMAR_DRHD_LEN, off + len,
			   DMAR_SCOPES_DRHD, &d->scopes, &d->nr_scopes);
	if (!d->nr_scopes && !(d->flags & VTD_DRHD_INCLUDE_PCI_ALL) &&
	    len == DMAR_DRHD_LEN)
		dmar_report(p, VTD_DMAR_WARNING, off, off, "scopes", 0,
			    "DRHD neither includes all devices nor scopes any");
}

/* Reserved Memory Region Reporting, VT-d 8.4. */
static void dmar_rmrr_decode(struct dmar_parse *p, u32 off, u32 len)
{
	struct vtd_dmar_rmrr *r = dmar_vec_add(p, &p->rmrr, sizeof(*r));

	if (!r)
		return;
	p->cur_ignored = &r->ignored;
	r->offset = off;
	r->segment = dmar_get_u16(p, off + 6);
	r->base = dmar_get_u64(p, off + 8);
	r->limit = dmar_get_u64(p, off + 16);

	if (r->limit < r->base)
		dmar_report(p, VTD_DMAR_IGNORED, off, off + 16, "limit", r->limit,
			    "RMRR limit below its base: region refused");
	/*
	 * BIOS gives RMRRs that do not start or end on a page: the region is
	 * still what the device uses, so it is kept and the user of it rounds
	 * it out to whole pages (VT-d 8.4 requires 4 KiB alignment).
	 */
	if (r->base & DMAR_PAGE_MASK)
		dmar_report(p, VTD_DMAR_WARNING, off, off + 8, "base", r->base,
			    "RMRR base is not 4 KiB aligned");
	if ((r->limit & DMAR_PAGE_MASK) != DMAR_PAGE_MASK)
		dmar_report(p, VTD_DMAR_WARNING, off, off + 16, "limit", r->limit,
			    "RMRR limit is not the last byte of a 4 KiB page");

	dmar_scopes_decode(p, off, off + DMAR_RMRR_LEN, off + len,
			   DMAR_SCOPES_PCI, &r->scopes, &r->nr_scopes);
	if (!r->nr_scopes && len == DMAR_RMRR_LEN)
		dmar_report(p, VTD_DMAR_WARNING, off, off, "scopes", 0,
			    "RMRR scopes no device");
}

/* ATSR (VT-d 8.5) and SATC (VT-d 8.8) share one layout. */
static void dmar_atsr_like_decode(struct dmar_parse *p, u32 off, u32 len,
				  struct vtd_dmar_atsr *a, unsigned long allowed)
{
	p->cur_ignored = &a->ignored;
	a->offset = off;
	a->flags = dmar_get_u8(p, off + 4);
	a->segment = dmar_get_u16(p, off + 6);
	if (a->flags & ~0x01)
		dmar_report(p, VTD_DMAR_WARNING, off, off + 4, "flags", a->flags,
			    "reserved flag bits set");
	dmar_scopes_decode(p, off, off + DMAR_ATSR_LEN, off + len, allowed,
			   &a->scopes, &a->nr_scopes);
}

static void dmar_atsr_decode(struct dmar_parse *p, u32 off, u32 len)
{
	struct vtd_dmar_atsr *a = dmar_vec_add(p, &p->atsr, sizeof(*a));

	if (!a)
		return;
	dmar_atsr_like_decode(p, off, len, a,
			      BIT(VTD_DMAR_SCOPE_PCI_BRIDGE));
	if (!a->nr_scopes && !(a->flags & VTD_ATSR_ALL_PORTS) &&
	    len == DMAR_ATSR_LEN)
		dmar_report(p, VTD_DMAR_WARNING, off, off, "scopes", 0,
			    "ATSR neither covers all ports nor scopes any");
}

static void dmar_satc_decode(struct dmar_parse *p, u32 off, u32 len)
{
	struct vtd_dmar_atsr *a = dmar_vec_add(p, &p->satc, sizeof(*a));

	if (!a)
		return;
	dmar_atsr_like_decode(p, off, len, a,
			      BIT(VTD_DMAR_SCOPE_PCI_ENDPOINT));
	if (!a->nr_scopes && len == DMAR_SATC_LEN)
		dmar_report(p, VTD_DMAR_WARNING, off, off, "scopes", 0,
			    "SATC scopes no device");
}

/* Remapping Hardware Static Affinity, VT-d 8.6. */
static void dmar_rhsa_decode(struct dmar_parse *p, u32 off, u32 len)
{
	struct vtd_dmar_rhsa *r = dmar_vec_add(p, &p->rhsa, sizeof(*r));

	if (!r)
		return;
	r->offset = off;
	r->base = dmar_get_u64(p, off + 8);
	r->proximity_domain = dmar_get_u32(p, off + 16);
}

/* ACPI Name-space Device Declaration, VT-d 8.7. */
static void dmar_andd_decode(struct dmar_parse *p, u32 off, u32 len)
{
	struct vtd_dmar_andd *a = dmar_vec_add(p, &p->andd, sizeof(*a));
	u32 room = len - 8, n;
	char *name;

	if (!a)
		return;
	p->cur_ignored = &a->ignored;
	a->offset = off;
	a->device_number = dmar_get_u8(p, off + 7);
	for (n = 0; n < room && dmar_get_u8(p, off + 8 + n); n++)
		;
	name = kcalloc(n + 1, 1, GFP_KERNEL);
	if (!name) {
		p->err = -ENOMEM;
		return;
	}
	memcpy(name, p->buf + off + 8, n);
	a->name = name;
	if (!n)
		dmar_report(p, VTD_DMAR_IGNORED, off, off + 8, "name", 0,
			    "ANDD object name is empty");
	else if (n == room)
		dmar_report(p, VTD_DMAR_WARNING, off, off + 8, "name", n,
			    "ANDD object name is not NUL-terminated");
}

/* Indexed by type; a type beyond the array is kept as unknown and skipped. */
static const struct dmar_type dmar_types[] = {
	[VTD_DMAR_TYPE_DRHD] = { DMAR_DRHD_LEN, dmar_drhd_decode },
	[VTD_DMAR_TYPE_RMRR] = { DMAR_RMRR_LEN, dmar_rmrr_decode },
	[VTD_DMAR_TYPE_ATSR] = { DMAR_ATSR_LEN, dmar_atsr_decode },
	[VTD_DMAR_TYPE_RHSA] = { DMAR_RHSA_LEN, dmar_rhsa_decode },
	[VTD_DMAR_TYPE_ANDD] = { DMAR_ANDD_LEN, dmar_andd_decode },
	[VTD_DMAR_TYPE_SATC] = { DMAR_SATC_LEN, dmar_satc_decode },
};

/* ---- the walk (VT-d 8.1, 8.2) ------------------------------------------ */

static bool dmar_all_zero(const struct dmar_parse *p, u32 pos)
{
	for (; pos < p->end; pos++)
		if (dmar_get_u8(p, pos))
			return false;
	return true;
}

/* One structure of @len bytes at @off, its header already bounds-checked. */
static void dmar_struct_decode(struct dmar_parse *p, u32 off, u16 type, u32 len)
{
	struct vtd_dmar_unknown *u;

	p->cur_ignored = NULL;
	if (type >= ARRAY_SIZE(dmar_types)) {
		dmar_report(p, VTD_DMAR_WARNING, off, off, "type", type,
			    "unknown structure type skipped");
		u = dmar_vec_add(p, &p->unknown, sizeof(*u));
		if (u) {
			u->offset = off;
			u->type = type;
			u->length = len;
		}
		return;
	}
	if (len < dmar_types[type].min_len) {
		dmar_report(p, VTD_DMAR_IGNORED, off, off + 2, "length", len,
			    "structure shorter than its type's minimum length: skipped");
		return;
	}
	dmar_types[type].decode(p, off, len);
	p->cur_ignored = NULL;
}

/* Walk the structures in [DMAR_HEADER_LEN, p->end). */
static void dmar_walk(struct dmar_parse *p)
{
	u32 off, len;
	u16 type;

	for (off = DMAR_HEADER_LEN; off < p->end && !p->err; off += len) {
		if (p->end - off < DMAR_STRUCT_HDR_LEN) {
			dmar_report(p, VTD_DMAR_UNUSABLE, off, off, "length",
				    p->end - off,
				    "structure header truncated by the table's end");
			return;
		}
		type = dmar_get_u16(p, off);
		len = dmar_get_u16(p, off + 2);
		if (!len && dmar_all_zero(p, off)) {
			dmar_report(p, VTD_DMAR_WARNING, off, off, "length",
				    p->end - off,
				    "zero padding after the last structure");
			return;
		}
		if (len < DMAR_STRUCT_HDR_LEN) {
			dmar_report(p, VTD_DMAR_UNUSABLE, off, off + 2, "length",
				    len, len ? "structure length below 4" :
				    "structure length is zero: rest of the table unreachable");
			return;
		}
		if (len > p->end - off) {
			dmar_report(p, VTD_DMAR_UNUSABLE, off, off + 2, "length",
				    len, "structure runs past the table's end");
			return;
		}
		dmar_struct_decode(p, off, type, len);
	}
}

/* The ACPI header and the DMAR fields; false if there is nothing to walk. */
static bool dmar_header_decode(struct dmar_parse *p, size_t buf_len)
{
	struct vtd_dmar_table *t = p->t;
	u32 length, i;
	u8 sum = 0;

	if (buf_len < DMAR_ACPI_HEADER_LEN) {
		dmar_report(p, VTD_DMAR_UNUSABLE, 0, 0, "length", buf_len,
			    "buffer shorter than an ACPI table header");
		return false;
	}
	p->end = DMAR_ACPI_HEADER_LEN;
	if (dmar_get_u32(p, 0) != DMAR_SIGNATURE)
		dmar_report(p, VTD_DMAR_UNUSABLE, 0, 0, "signature",
			    dmar_get_u32(p, 0), "signature is not DMAR");
	length = dmar_get_u32(p, DMAR_OFF_LENGTH);
	t->length = length;
	t->revision = dmar_get_u8(p, DMAR_OFF_REVISION);
	for (i = 0; i < sizeof(t->oem_id) - 1; i++)
		t->oem_id[i] = dmar_get_u8(p, DMAR_OFF_OEM_ID + i);
	for (i = 0; i < sizeof(t->oem_table_id) - 1; i++)
		t->oem_table_id[i] = dmar_get_u8(p, DMAR_OFF_OEM_TABLE_ID + i);

	if (length < DMAR_HEADER_LEN) {
		dmar_report(p, VTD_DMAR_UNUSABLE, 0, DMAR_OFF_LENGTH, "length",
			    length, "table length below the DMAR header's 48 bytes");
		return false;
	}
	if (length > buf_len) {
		dmar_report(p, VTD_DMAR_UNUSABLE, 0, DMAR_OFF_LENGTH, "length",
			    length, "table length runs past the end of the buffer");
		if (buf_len < DMAR_HEADER_LEN)
			return false;
		p->end = buf_len;
	} else {
		if (length < buf_len)
			dmar_report(p, VTD_DMAR_WARNING, 0, length, "length",
				    buf_len - length,
				    "bytes after the table's length ignored");
		p->end = length;
		for (i = 0; i < length; i++)
			sum += dmar_get_u8(p, i);
		if (sum)
			dmar_report(p, VTD_DMAR_UNUSABLE, 0, 9, "checksum",
				    dmar_get_u8(p, 9),
				    "checksum: the table's bytes do not sum to 0");
	}

	t->host_address_width = dmar_get_u8(p, DMAR_OFF_HAW) + 1;
	t->flags = dmar_get_u8(p, DMAR_OFF_FLAGS);
	if (t->host_address_width < DMAR_HAW_MIN ||
	    t->host_address_width > DMAR_HAW_MAX)
		dmar_report(p, VTD_DMAR_UNUSABLE, 0, DMAR_OFF_HAW,
			    "host_address_width", t->host_address_width,
			    "host address width out of range (32 to 64 bits)");
	if (t->flags & ~DMAR_FLAGS_KNOWN)
		dmar_report(p, VTD_DMAR_WARNING, 0, DMAR_OFF_FLAGS, "flags",
			    t->flags, "reserved DMAR flag bits set");
	return true;
}

/* ---- checks across structures (section 5) ------------------------------ */

static bool dmar_scope_same_device(const struct vtd_dmar_scope *a,
				   const struct vtd_dmar_scope *b)
{
	return a->type <= VTD_DMAR_SCOPE_PCI_BRIDGE &&
	       b->type <= VTD_DMAR_SCOPE_PCI_BRIDGE &&
	       a->bus == b->bus && a->path_len == b->path_len &&
	       !memcmp(a->path, b->path, a->path_len * sizeof(*a->path));
}

/* The first unit before @d, in @d's segment, scoping the same device as @sc. */
static const struct vtd_dmar_drhd *
dmar_earlier_scoper(const struct vtd_dmar_table *t,
		    const struct vtd_dmar_drhd *d,
		    const struct vtd_dmar_scope *sc)
{
	const struct vtd_dmar_drhd *e;
	u32 j, i;

	for (j = 0; j < (u32)(d - t->drhd); j++) {
		e = &t->drhd[j];
		if (e->segment != d->segment)
			continue;
		for (i = 0; i < e->nr_scopes; i++)
			if (dmar_scope_same_device(&e->scopes[i], sc))
				return e;
	}
	return NULL;
}

static void dmar_check_drhd(struct dmar_parse *p)
{
	struct vtd_dmar_table *t = p->t;
	const struct vtd_dmar_drhd *e;
	struct vtd_dmar_drhd *d;
	u32 i, j;

	for (j = 0; j < t->nr_drhd; j++) {
		d = &t->drhd[j];
		for (i = 0; i < j; i++) {
			e = &t->drhd[i];
			if (!d->ignored && d->base && e->base == d->base) {
				d->ignored = true;
				dmar_report_pair(p, VTD_DMAR_IGNORED, d->offset,
						 d->offset + 8, "base", d->base,
						 e->offset,
						 "DRHD register base duplicates an earlier unit: unit refused");
			}
		}
		for (i = 0; i < d->nr_scopes; i++) {
			e = dmar_earlier_scoper(t, d, &d->scopes[i]);
			if (e)
				dmar_report_pair(p, VTD_DMAR_WARNING, d->offset,
						 d->scopes[i].offset, "scope",
						 d->scopes[i].bus, e->offset,
						 "device already scoped by an earlier unit, which keeps it");
		}
	}
}

/* VT-d 8.3: an INCLUDE_PCI_ALL unit comes last among its segment's units. */
static void dmar_check_include_all(struct dmar_parse *p)
{
	struct vtd_dmar_table *t = p->t;
	struct vtd_dmar_drhd *d, *e;
	u32 i, j;

	for (j = 0; j < t->nr_drhd; j++) {
		d = &t->drhd[j];
		if (!(d->flags & VTD_DRHD_INCLUDE_PCI_ALL))
			continue;
		for (i = j + 1; i < t->nr_drhd; i++) {
			e = &t->drhd[i];
			if (e->segment == d->segment) {
				dmar_report_pair(p, VTD_DMAR_WARNING, d->offset,
						 d->offset + 4, "flags", d->flags,
						 e->offset,
						 "INCLUDE_PCI_ALL unit is not the last unit of its segment");
				break;
			}
		}
		for (i = 0; i < j; i++) {
			e = &t->drhd[i];
			if (!e->ignored && !d->ignored &&
			    e->segment == d->segment &&
			    (e->flags & VTD_DRHD_INCLUDE_PCI_ALL)) {
				d->ignored = true;
				dmar_report_pair(p, VTD_DMAR_IGNORED, d->offset,
						 d->offset + 4, "flags", d->flags,
						 e->offset,
						 "second INCLUDE_PCI_ALL unit for the segment: unit refused");
			}
		}
	}
}

/*
 * BIOS gives overlapping RMRRs, typically one region listed once per
 * device: harmless to whoever identity-maps them, so only a warning.
 */
static void dmar_check_rmrr(struct dmar_parse *p)
{
	struct vtd_dmar_table *t = p->t;
	struct vtd_dmar_rmrr *r, *e;
	u32 i, j;

	for (j = 0; j < t->nr_rmrr; j++) {
		r = &t->rmrr[j];
		if (r->ignored)
			continue;
		for (i = 0; i < j; i++) {
			e = &t->rmrr[i];
			if (!e->ignored && e->segment == r->segment &&
			    e->base <= r->limit && r->base <= e->limit) {
				dmar_report_pair(p, VTD_DMAR_WARNING, r->offset,
						 r->offset + 8, "base", r->base,
						 e->offset,
						 "RMRR overlaps an earlier RMRR");
				break;
			}
		}
	}
}

static void dmar_check_rhsa(struct dmar_parse *p)
{
	struct vtd_dmar_table *t = p->t;
	u32 i, j;

	for (i = 0; i < t->nr_rhsa; i++) {
		for (j = 0; j < t->nr_drhd; j++)
			if (t->drhd[j].base == t->rhsa[i].base)
				break;
		if (j == t->nr_drhd)
			dmar_report(p, VTD_DMAR_WARNING, t->rhsa[i].offset,
				    t->rhsa[i].offset + 8, "base",
				    t->rhsa[i].base,
				    "RHSA names no DRHD register base");
	}
}

static void dmar_check_namespace(struct dmar_parse *p)
{
	struct vtd_dmar_table *t = p->t;
	const struct vtd_dmar_scope *sc;
	const struct vtd_dmar_drhd *d;
	u32 i, j, k;

	for (k = 0; k < t->nr_drhd; k++) {
		d = &t->drhd[k];
		for (i = 0; i < d->nr_scopes; i++) {
			sc = &d->scopes[i];
			if (sc->type != VTD_DMAR_SCOPE_NAMESPACE)
				continue;
			for (j = 0; j < t->nr_andd; j++)
				if (t->andd[j].device_number == sc->enumeration_id)
					break;
			if (j == t->nr_andd)
				dmar_report(p, VTD_DMAR_WARNING, d->offset,
					    sc->offset, "enumeration_id",
					    sc->enumeration_id,
					    "namespace device scope names no ANDD");
		}
	}
}

/* Hand the arrays to the table: from here on vtd_dmar_free() owns them. */
static void dmar_publish(struct dmar_parse *p)
{
	struct vtd_dmar_table *t = p->t;

	t->drhd = p->drhd.items;
	t->nr_drhd = p->drhd.nr;
	t->rmrr = p->rmrr.items;
	t->nr_rmrr = p->rmrr.nr;
	t->atsr = p->atsr.items;
	t->nr_atsr = p->atsr.nr;
	t->rhsa = p->rhsa.items;
	t->nr_rhsa = p->rhsa.nr;
	t->andd = p->andd.items;
	t->nr_andd = p->andd.nr;
	t->satc = p->satc.items;
	t->nr_satc = p->satc.nr;
	t->unknown = p->unknown.items;
	t->nr_unknown = p->unknown.nr;
	t->findings = p->findings.items;
	t->nr_findings = p->findings.nr;
}

/* ---- exported: parsing ------------------------------------------------- */

static void dmar_scopes_free(struct vtd_dmar_scope *scopes, u32 nr)
{
	u32 i;

	if (!scopes)
		return;
	for (i = 0; i < nr; i++)
		kfree(scopes[i].path);
	kfree(scopes);
}

/**
 * vtd_dmar_free() - free a table from vtd_dmar_parse()
 * @t: the table, or NULL.
 */
void vtd_dmar_free(struct vtd_dmar_table *t)
{
	u32 i;

	if (!t)
		return;
	for (i = 0; i < t->nr_drhd; i++)
		dmar_scopes_free(t->drhd[i].scopes, t->drhd[i].nr_scopes);
	for (i = 0; i < t->nr_rmrr; i++)
		dmar_scopes_free(t->rmrr[i].scopes, t->rmrr[i].nr_scopes);
	for (i = 0; i < t->nr_atsr; i++)
		dmar_scopes_free(t->atsr[i].scopes, t->atsr[i].nr_scopes);
	for (i = 0; i < t->nr_satc; i++)
		dmar_scopes_free(t->satc[i].scopes, t->satc[i].nr_scopes);
	for (i = 0; i < t->nr_andd; i++)
		kfree(t->andd[i].name);
	kfree(t->drhd);
	kfree(t->rmrr);
	kfree(t->atsr);
	kfree(t->rhsa);
	kfree(t->andd);
	kfree(t->satc);
	kfree(t->unknown);
	kfree(t->findings);
	kfree(t);
}
EXPORT_SYMBOL_GPL(vtd_dmar_free);

/**
 * vtd_dmar_parse() - decode and check a DMAR table held in memory
 * @buf: the table's bytes; not referenced after the call.
 * @len: bytes readable at @buf; nothing past them is read.
 * @out: the parsed table, to be freed with vtd_dmar_free().
 *
 * Any byte string gives a table: check its usable flag, each structure's
 * ignored flag, and its findings. May sleep (GFP_KERNEL allocations).
 *
 * Return: 0, or -ENOMEM (then *@out is NULL).
 */
int vtd_dmar_parse(const void *buf, size_t len, struct vtd_dmar_table **out)
{
	struct dmar_parse p = { .buf = buf };

	*out = NULL;
	p.t = kzalloc(sizeof(*p.t), GFP_KERNEL);
	if (!p.t)
		return -ENOMEM;
	p.t->usable = true;
	if (dmar_header_decode(&p, len))
		dmar_walk(&p);
	dmar_publish(&p);
	if (!p.err) {
		dmar_check_drhd(&p);
		dmar_check_include_all(&p);
		dmar_check_rmrr(&p);
		dmar_check_rhsa(&p);
		dmar_check_namespace(&p);
		/* the checks may have moved the findings */
		p.t->findings = p.findings.items;
		p.t->nr_findings = p.findings.nr;
	}
	if (p.err) {
		vtd_dmar_free(p.t);
		return p.err;
	}
	*out = p.t;
	return 0;
}
EXPORT_SYMBOL_GPL(vtd_dmar_parse);

/**
 * vtd_dmar_has_errors() - whether any finding is worse than a warning
 * @t: a parsed table.
 *
 * Return: true if the table is unusable or refuses any structure.
 */
bool vtd_dmar_has_errors(const struct vtd_dmar_table *t)
{
	u32 i;

	for (i = 0; i < t->nr_findings; i++)
		if (t->findings[i].severity != VTD_DMAR_WARNING)
			return true;
	return !t->usable;
}
EXPORT_SYMBOL_GPL(vtd_dmar_has_errors);

/**
 * vtd_dmar_severity_name() - a severity as a word
 * @sev: the severity.
 *
 * Return: "unusable", "ignored" or "warning".
 */
const char *vtd_dmar_severity_name(enum vtd_dmar_severity sev)
{
	switch (sev) {
	case VTD_DMAR_UNUSABLE:
		return "unusable";
	case VTD_DMAR_IGNORED:
		return "ignored";
	default:
		return "warning";
	}
}
EXPORT_SYMBOL_GPL(vtd_dmar_severity_name);

/**
 * vtd_dmar_scope_type_name() - a device scope type as text, VT-d 8.3.1
 * @type: the entry's type field.
 *
 * Return: a short name, "unknown" for reserved values.
 */
const char *vtd_dmar_scope_type_name(u8 type)
{
	static const char * const names[] = {
		[VTD_DMAR_SCOPE_PCI_ENDPOINT] = "PCI endpoint",
		[VTD_DMAR_SCOPE_PCI_BRIDGE] = "PCI bridge",
		[VTD_DMAR_SCOPE_IOAPIC] = "IOAPIC",
		[VTD_DMAR_SCOPE_HPET] = "HPET",
		[VTD_DMAR_SCOPE_NAMESPACE] = "ACPI namespace device",
	};

	if (type < ARRAY_SIZE(names) && names[type])
		return names[type];
	return "unknown";
}
EXPORT_SYMBOL_GPL(vtd_dmar_scope_type_name);

/* ---- exported: scope resolution and ownership (section 6) -------------- */

/**
 * vtd_dmar_scope_resolve() - follow a PCI scope's path to a device
 * @sc: a scope of type PCI endpoint or PCI bridge.
 * @segment: the segment of the structure holding @sc.
 * @ops: the PCI topology.
 * @ctx: passed to @ops.
 *
 * Walks from the start bus through each bridge's secondary bus. A one-hop
 * path whose start bus sits behind a bridge is the firmware bug of section
 * 6: taken as the device on that bus, with @sc->workaround set.
 *
 * Return: 0 with @sc->resolved set; -EINVAL if @sc is not a PCI scope;
 * -ENODEV if a bridge on the path (or the scoped bridge) is absent.
 */
int vtd_dmar_scope_resolve(struct vtd_dmar_scope *sc, u16 segment,
			   const struct vtd_dmar_pci_ops *ops, void *ctx)
{
	u8 bus = sc->bus, devfn = 0, sec = 0, sub = 0;
	u32 i;

	sc->resolved = false;
	sc->workaround = false;
	if ((sc->type != VTD_DMAR_SCOPE_PCI_ENDPOINT &&
	     sc->type != VTD_DMAR_SCOPE_PCI_BRIDGE) || !sc->path_len)
		return -EINVAL;
	for (i = 0; i < sc->path_len; i++) {
		/* every hop but the last is a bridge leading one bus down */
		devfn = PCI_DEVFN(sc->path[i].device, sc->path[i].function);
		if (i + 1 == sc->path_len)
			break;
		if (ops->bridge_buses(ctx, segment, bus, devfn, &sec, &sub))
			return -ENODEV;
		bus = sec;
	}
	if (sc->type == VTD_DMAR_SCOPE_PCI_BRIDGE) {
		if (ops->bridge_buses(ctx, segment, bus, devfn, &sec, &sub))
			return -ENODEV;
		sc->sec_bus = sec;
		sc->sub_bus = sub;
	}
	if (sc->path_len == 1 && ops->behind_bridge(ctx, segment, sc->bus))
		sc->workaround = true;
	sc->res_bus = bus;
	sc->res_devfn = devfn;
	sc->resolved = true;
	return 0;
}
EXPORT_SYMBOL_GPL(vtd_dmar_scope_resolve);

static unsigned int dmar_resolve_scopes(struct vtd_dmar_scope *scopes, u32 nr,
					u16 segment,
					const struct vtd_dmar_pci_ops *ops,
					void *ctx)
{
	struct vtd_dmar_scope *sc;
	unsigned int n = 0;
	u32 i;

	for (i = 0; i < nr; i++) {
		sc = &scopes[i];
		if (vtd_dmar_scope_resolve(sc, segment, ops, ctx))
			continue;
		n++;
		if (sc->workaround)
			pr_info(FW_BUG "scope of %04x:%02x:%02x.%x (table offset %u) has a one-hop path from a bus behind a bridge; taking it as that device\n",
				segment, sc->res_bus, PCI_SLOT(sc->res_devfn),
				PCI_FUNC(sc->res_devfn), sc->offset);
	}
	return n;
}

/**
 * vtd_dmar_resolve() - resolve every PCI scope of a table
 * @t: a parsed table.
 * @ops: the PCI topology.
 * @ctx: passed to @ops.
 *
 * Scopes of DRHDs, RMRRs, ATSRs and SATCs; a scope whose path leads
 * nowhere stays unresolved (a device not present, or not yet).
 *
 * Return: the number of scopes resolved.
 */
unsigned int vtd_dmar_resolve(struct vtd_dmar_table *t,
			      const struct vtd_dmar_pci_ops *ops, void *ctx)
{
	unsigned int n = 0;
	u32 i;

	for (i = 0; i < t->nr_drhd; i++)
		n += dmar_resolve_scopes(t->drhd[i].scopes, t->drhd[i].nr_scopes,
					 t->drhd[i].segment, ops, ctx);
	for (i = 0; i < t->nr_rmrr; i++)
		n += dmar_resolve_scopes(t->rmrr[i].scopes, t->rmrr[i].nr_scopes,
					 t->rmrr[i].segment, ops, ctx);
	for (i = 0; i < t->nr_atsr; i++)
		n += dmar_resolve_scopes(t->atsr[i].scopes, t->atsr[i].nr_scopes,
					 t->atsr[i].segment, ops, ctx);
	for (i = 0; i < t->nr_satc; i++)
		n += dmar_resolve_scopes(t->satc[i].scopes, t->satc[i].nr_scopes,
					 t->satc[i].segment, ops, ctx);
	return n;
}
EXPORT_SYMBOL_GPL(vtd_dmar_resolve);

/* Does resolved scope @sc name the device itself (@below: or a bus under it)? */
static bool dmar_scope_covers(const struct vtd_dmar_scope *sc, u8 bus, u8 devfn,
			      bool below)
{
	if (!sc->resolved)
		return false;
	if (!below)
		return sc->res_bus == bus && sc->res_devfn == devfn;
	return sc->type == VTD_DMAR_SCOPE_PCI_BRIDGE &&
	       bus >= sc->sec_bus && bus <= sc->sub_bus;
}

static const struct vtd_dmar_drhd *
dmar_find_explicit(const struct vtd_dmar_table *t, u16 segment, u8 bus,
		   u8 devfn, bool below)
{
	const struct vtd_dmar_drhd *d;
	u32 i, j;

	for (j = 0; j < t->nr_drhd; j++) {
		d = &t->drhd[j];
		if (d->segment != segment)
			continue;
		for (i = 0; i < d->nr_scopes; i++)
			if (dmar_scope_covers(&d->scopes[i], bus, devfn, below))
				return d;
	}
	return NULL;
}

/**
 * vtd_dmar_find_unit() - the hardware unit that owns a PCI device
 * @t: a table whose scopes went through vtd_dmar_resolve().
 * @segment: the device's PCI segment.
 * @bus: its bus number.
 * @devfn: its device and function.
 *
 * In order: a unit scoping the device itself, a unit scoping a bridge above
 * it, the segment's INCLUDE_PCI_ALL unit. An explicit owner is returned
 * even if refused (its ignored flag set): no other unit sees that device's
 * DMA, so the caller must treat the device as unmanageable, not hand it to
 * the INCLUDE_PCI_ALL unit.
 *
 * Return: the unit, or NULL if none owns the device.
 */
const struct vtd_dmar_drhd *
vtd_dmar_find_unit(const struct vtd_dmar_table *t, u16 segment, u8 bus,
		   u8 devfn)
{
	const struct vtd_dmar_drhd *d;
	u32 i;

	d = dmar_find_explicit(t, segment, bus, devfn, false);
	if (!d)
		d = dmar_find_explicit(t, segment, bus, devfn, true);
	if (d)
		return d;
	for (i = 0; i < t->nr_drhd; i++) {
		d = &t->drhd[i];
		if (d->segment == segment && !d->ignored &&
		    (d->flags & VTD_DRHD_INCLUDE_PCI_ALL))
			return d;
	}
	/* a refused INCLUDE_PCI_ALL unit still owns what it would include */
	for (i = 0; i < t->nr_drhd; i++) {
		d = &t->drhd[i];
		if (d->segment == segment &&
		    (d->flags & VTD_DRHD_INCLUDE_PCI_ALL))
			return d;
	}
	return NULL;
}
EXPORT_SYMBOL_GPL(vtd_dmar_find_unit);

/* ---- kernel: the firmware's table and the PCI core --------------------- */

#ifdef __KERNEL__

static int dmar_pci_bridge_buses(void *ctx, u16 segment, u8 bus, u8 devfn,
				 u8 *sec_bus, u8 *sub_bus)
{
	struct pci_dev *pdev;
	int ret = -ENODEV;

	pdev = pci_get_domain_bus_and_slot(segment, bus, devfn);
	if (!pdev)
		return -ENODEV;
	if (pdev->subordinate) {
		*sec_bus = pdev->subordinate->number;
		*sub_bus = pdev->subordinate->busn_res.end;
		ret = 0;
	}
	pci_dev_put(pdev);
	return ret;
}

static bool dmar_pci_behind_bridge(void *ctx, u16 segment, u8 bus)
{
	struct pci_bus *b = pci_find_bus(segment, bus);

	return b && !pci_is_root_bus(b);
}

static const struct vtd_dmar_pci_ops dmar_pci_ops = {
	.bridge_buses = dmar_pci_bridge_buses,
	.behind_bridge = dmar_pci_behind_bridge,
};

/**
 * vtd_dmar_resolve_pci() - resolve a table's scopes against the PCI core
 * @t: a parsed table.
 *
 * Context: process context; takes the PCI bus lock through the lookups.
 * Return: the number of scopes resolved to present devices.
 */
unsigned int vtd_dmar_resolve_pci(struct vtd_dmar_table *t)
{
	return vtd_dmar_resolve(t, &dmar_pci_ops, NULL);
}
EXPORT_SYMBOL_GPL(vtd_dmar_resolve_pci);

/**
 * vtd_dmar_unit_for_pci() - the hardware unit that owns @pdev
 * @t: a table that went through vtd_dmar_resolve_pci().
 * @pdev: the device.
 *
 * An SR-IOV virtual function is owned by its physical function's unit:
 * firmware lists PFs, never VFs, which exist only once sriov_numvfs is
 * written (QEMU's q35 DMAR has no INCLUDE_PCI_ALL unit, only a scope per
 * device present when the table was built, so a VF would match nothing).
 *
 * Return: as vtd_dmar_find_unit(): the unit (check its ignored flag) or NULL.
 */
const struct vtd_dmar_drhd *
vtd_dmar_unit_for_pci(const struct vtd_dmar_table *t, struct pci_dev *pdev)
{
	pdev = pci_physfn(pdev);
	return vtd_dmar_find_unit(t, pci_domain_nr(pdev->bus),
				  pdev->bus->number, pdev->devfn);
}
EXPORT_SYMBOL_GPL(vtd_dmar_unit_for_pci);

static void dmar_log_findings(const struct vtd_dmar_table *t)
{
	const struct vtd_dmar_finding *f;
	u32 i;

	for (i = 0; i < t->nr_findings; i++) {
		f = &t->findings[i];
		if (f->severity == VTD_DMAR_WARNING)
			pr_warn(FW_WARN "offset %u (at %u): %s (%s = 0x%llx)\n",
				f->offset, f->at, f->message, f->field, f->value);
		else
			pr_err(FW_BUG "offset %u (at %u): %s (%s = 0x%llx)\n",
			       f->offset, f->at, f->message, f->field, f->value);
	}
}

/**
 * vtd_dmar_parse_firmware() - parse the DMAR table the firmware provides
 * @out: the parsed table, to be freed with vtd_dmar_free().
 *
 * The table is copied into plain data and released before returning. Each
 * finding is logged. Scopes are not resolved: call vtd_dmar_resolve_pci().
 *
 * Context: process context.
 * Return: 0 (check (*@out)->usable), -ENODEV without a DMAR table, or
 * -ENOMEM.
 */
int vtd_dmar_parse_firmware(struct vtd_dmar_table **out)
{
	struct acpi_table_header *hdr;
	acpi_status status;
	int ret;

	*out = NULL;
	status = acpi_get_table(ACPI_SIG_DMAR, 0, &hdr);
	if (ACPI_FAILURE(status))
		return -ENODEV;
	ret = vtd_dmar_parse(hdr, hdr->length, out);
	acpi_put_table(hdr);
	if (ret)
		return ret;
	dmar_log_findings(*out);
	return 0;
}
EXPORT_SYMBOL_GPL(vtd_dmar_parse_firmware);

#endif /* __KERNEL__ */
