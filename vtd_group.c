// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap device groups: which PCI devices a unit can isolate from one
 * another, computed from the PCI topology the way the kernel's IOMMU
 * groups (/sys/kernel/iommu_groups) are, and taken, attached and detached
 * as one by the DMA-API shim (vtd_dma.c).
 *
 * Theory of operation
 *
 * 1. What a group is. The unit tells devices apart by requester ID only,
 *    and sees only the requests that reach it. Two devices are in one
 *    group if
 *    - they share a requester ID (vtd_pci_sids(): the devices
 *      behind one PCIe-to-PCI bridge, quirk aliases): one context entry
 *      serves both, so they can only be in one domain; or
 *    - they are functions of one multi-function device and neither has
 *      ACS isolating it (source validation, P2P request and completion
 *      redirect, upstream forwarding: SV|RR|CR|UF): a function may reach
 *      a sibling without going through the unit; or
 *    - one sits below a bridge or port whose path to the root bus does
 *      not have those ACS controls on every hop: the device joins the
 *      group of the highest such bridge below the first isolating one,
 *      and so does everything else below it (devices under a switch
 *      port without ACS redirect reach each other directly).
 *    The relation is closed transitively (union-find). ACS is read from
 *    the devices' ACS capability as pci_acs_enabled() judges it (not
 *    exported to modules): conventional PCI devices and PCIe-to-PCI
 *    bridges never isolate; root and downstream ports need the controls
 *    they implement enabled; other PCIe functions need them only when
 *    multi-function. The PCI core's device-specific ACS quirks cannot be
 *    consulted from a module: a device that isolates only by quirk is
 *    grouped with its neighbours here, a larger group than the kernel's,
 *    which is the safe direction.
 *    A group's members are its devices that are not bridges
 *    (vtd_pci_is_bridge()): they are what own= names and the shim takes.
 *    Bridges that fell into the group are listed with it but stay on
 *    their unit's default entry: they originate no DMA of their own.
 *
 * 2. Invariants. Every device a unit translates is in exactly one group,
 *    all of whose devices that unit translates (a group never spans
 *    units; devices on different units are never compared). A group is
 *    attached whole (vtd_group_attach(): vtd_domain_attach_devs() of all
 *    members at once, all or nothing) and detached whole, so no member
 *    is left translating through a domain it is not attached to. Group
 *    numbers are positions in the PCI core's device order, stable while
 *    the topology is.
 *
 * 3. Locking and lifetime. Groups are computed on demand from the PCI
 *    device list (for_each_pci_dev(), which takes references) and are a
 *    snapshot of it: nothing here is cached, so a device added or removed
 *    later is seen by the next computation. A struct vtd_group holds a
 *    reference on each of its devices until vtd_group_free(). No lock is
 *    held while computing; callers that need the groups stable (the shim,
 *    under its mutex) serialise against topology changes themselves.
 *    Attach and detach take the unit's mutex inside vtd_domain.c.
 *
 * 4. Failure policy. An allocation failure fails the computation
 *    (-ENOMEM, nothing returned); vtd_group_of() of a device no unit
 *    translates returns -ENODEV. Whether a group may be taken (every
 *    member named by own=) is the shim's decision; this file only says
 *    what the group is.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-map-ops.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "vtd_group.h"
#include "vtd_unit.h"

/* The ACS controls that isolate (pci_acs_enabled()'s REQ_ACS_FLAGS). */
#define VTD_GROUP_ACS	(PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF)

/* One device while groups are computed. */
struct vtd_gnode {
	struct pci_dev *pdev;
	struct vtd_unit *unit;
	u16 *sids;
	int nr_sids;
	unsigned int parent;	/* union-find; the root is the lowest index */
};

struct vtd_gset {
	struct vtd_gnode *nodes;
	unsigned int n;
};

/* The ACS controls @pdev implements are all enabled. */
static bool vtd_acs_ctrl_on(struct pci_dev *pdev)
{
	u16 cap, ctrl, want = VTD_GROUP_ACS;

	if (!pdev->acs_cap)
		return false;
	pci_read_config_word(pdev, pdev->acs_cap + PCI_ACS_CAP, &cap);
	pci_read_config_word(pdev, pdev->acs_cap + PCI_ACS_CTRL, &ctrl);
	/* A control a port does not implement is behaviour it never has. */
	want &= cap;
	return (ctrl & want) == want;
}

/* Whether @pdev keeps the requests it forwards or makes apart (section 1). */
static bool vtd_acs_isolates(struct pci_dev *pdev)
{
	if (!pci_is_pcie(pdev))
		return false;
	switch (pci_pcie_type(pdev)) {
	case PCI_EXP_TYPE_PCIE_BRIDGE:
	case PCI_EXP_TYPE_PCI_BRIDGE:
	case PCI_EXP_TYPE_RC_EC:
		return false;
	case PCI_EXP_TYPE_DOWNSTREAM:
	case PCI_EXP_TYPE_ROOT_PORT:
		return vtd_acs_ctrl_on(pdev);
	case PCI_EXP_TYPE_ENDPOINT:
	case PCI_EXP_TYPE_UPSTREAM:
	case PCI_EXP_TYPE_LEG_END:
	case PCI_EXP_TYPE_RC_END:
		return !pdev->multifunction || vtd_acs_ctrl_on(pdev);
	}
	return true;
}

/* Whether @pdev and every bridge above it up to the root bus isolate. */
static bool vtd_acs_path(struct pci_dev *pdev)
{
	struct pci_bus *bus;

	if (!vtd_acs_isolates(pdev))
		return false;
	for (bus = pdev->bus; !pci_is_root_bus(bus); bus = bus->parent)
		if (bus->self && !vtd_acs_isolates(bus->self))
			return false;
	return true;
}

static void vtd_gset_free(struct vtd_gset *set)
{
	unsigned int i;

	for (i = 0; i < set->n; i++) {
		kfree(set->nodes[i].sids);
		pci_dev_put(set->nodes[i].pdev);
	}
	kfree(set->nodes);
	set->nodes = NULL;
	set->n = 0;
}

/* Every device a unit translates, in the PCI core's order. */
static int vtd_gset_collect(struct vtd_gset *set)
{
	struct pci_dev *pdev = NULL;
	struct vtd_gnode *node, *grown;
	unsigned int room = 0;
	struct vtd_unit *unit;

	for_each_pci_dev(pdev) {
		unit = vtd_unit_for_pci(pdev);
		if (!unit)
			continue;
		if (set->n == room) {
			room = room ? room * 2 : 32;
			grown = krealloc_array(set->nodes, room, sizeof(*grown),
					       GFP_KERNEL);
			if (!grown)
				goto out_nomem;
			set->nodes = grown;
		}
		node = &set->nodes[set->n];
		node->nr_sids = vtd_pci_sids(pdev, &node->sids);
		if (node->nr_sids < 0)
			goto out_nomem;
		node->pdev = pci_dev_get(pdev);
		node->unit = unit;
		node->parent = set->n++;
	}
	return 0;

out_nomem:
	pci_dev_put(pdev);
	vtd_gset_free(set);
	return -ENOMEM;
}

static unsigned int vtd_gset_find(struct vtd_gset *set, unsigned int i)
{
	while (set->nodes[i].parent != i) {
		set->nodes[i].parent = set->nodes[set->nodes[i].parent].parent;
		i = set->nodes[i].parent;
	}
	return i;
}

static void vtd_gset_unite(struct vtd_gset *set, unsigned int i,
			   unsigned int j)
{
	unsigned int a = vtd_gset_find(set, i), b = vtd_gset_find(set, j);

	if (a < b)
		set->nodes[b].parent = a;
	else if (b < a)
		set->nodes[a].parent = b;
}

static int vtd_gset_index(struct vtd_gset *set, struct pci_dev *pdev)
{
	unsigned int i;

	for (i = 0; i < set->n; i++)
		if (set->nodes[i].pdev == pdev)
			return i;
	return -1;
}

static bool vtd_gnodes_share_sid(const struct vtd_gnode *a,
				 const struct vtd_gnode *b)
{
	int i, j;

	for (i = 0; i < a->nr_sids; i++)
		for (j = 0; j < b->nr_sids; j++)
			if (a->sids[i] == b->sids[j])
				return true;
	return false;
}

/* Section 1: unite what the unit cannot keep apart. */
static void vtd_gset_partition(struct vtd_gset *set)
{
	unsigned int i, j;
	struct pci_bus *bus;
	struct pci_dev *pdev, *top, *other;
	int k;

	for (i = 0; i < set->n; i++) {
		pdev = set->nodes[i].pdev;
		/* Up to the first bridge whose path isolates. */
		top = pdev;
		for (bus = pdev->bus; !pci_is_root_bus(bus); bus = bus->parent) {
			if (!bus->self)
				continue;
			if (vtd_acs_path(bus->self))
				break;
			top = bus->self;
		}
		k = top == pdev ? -1 : vtd_gset_index(set, top);
		if (k >= 0 && set->nodes[k].unit == set->nodes[i].unit)
			vtd_gset_unite(set, i, k);
		for (j = i + 1; j < set->n; j++) {
			other = set->nodes[j].pdev;
			if (set->nodes[j].unit != set->nodes[i].unit)
				continue;
			if (vtd_gnodes_share_sid(&set->nodes[i], &set->nodes[j]))
				vtd_gset_unite(set, i, j);
			else if (pdev->multifunction && other->bus == pdev->bus &&
				 PCI_SLOT(other->devfn) == PCI_SLOT(pdev->devfn) &&
				 !vtd_acs_isolates(pdev) &&
				 !vtd_acs_isolates(other))
				vtd_gset_unite(set, i, j);
		}
	}
}

/* The number of the group whose root is node @root. */
static unsigned int vtd_gset_group_id(struct vtd_gset *set, unsigned int root)
{
	unsigned int i, id = 0;

	for (i = 0; i < root; i++)
		if (vtd_gset_find(set, i) == i)
			id++;
	return id;
}

/* A struct vtd_group of the group whose root is @root. */
static struct vtd_group *vtd_gset_group(struct vtd_gset *set,
					unsigned int root)
{
	struct vtd_group *grp;
	struct pci_dev *pdev;
	unsigned int i, n = 0;

	grp = kzalloc(sizeof(*grp), GFP_KERNEL);
	if (!grp)
		return ERR_PTR(-ENOMEM);
	for (i = root; i < set->n; i++)
		if (vtd_gset_find(set, i) == root)
			n++;
	grp->members = kcalloc(n, sizeof(*grp->members), GFP_KERNEL);
	grp->bridges = kcalloc(n, sizeof(*grp->bridges), GFP_KERNEL);
	if (!grp->members || !grp->bridges) {
		vtd_group_free(grp);
		return ERR_PTR(-ENOMEM);
	}
	grp->id = vtd_gset_group_id(set, root);
	grp->unit = set->nodes[root].unit;
	for (i = root; i < set->n; i++) {
		if (vtd_gset_find(set, i) != root)
			continue;
		pdev = pci_dev_get(set->nodes[i].pdev);
		if (vtd_pci_is_bridge(pdev))
			grp->bridges[grp->nr_bridges++] = pdev;
		else
			grp->members[grp->nr++] = pdev;
	}
	return grp;
}

/**
 * vtd_group_partition() - group given devices, for the KUnit suite
 * @pdevs: devices (made-up ones will do: nothing but their ACS
 *	   capability, when they have one, is read from hardware)
 * @n: how many
 * @group: set to the index in @pdevs of the first device of each one's
 *	   group
 *
 * The same rules as vtd_group_of(), applied to @pdevs alone as if one
 * unit translated them all.
 * Return: 0 or -ENOMEM.
 */
int vtd_group_partition(struct pci_dev **pdevs, unsigned int n,
			unsigned int *group)
{
	struct vtd_gset set = {};
	unsigned int i;
	int ret = 0;

	set.nodes = kcalloc(n, sizeof(*set.nodes), GFP_KERNEL);
	if (!set.nodes)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		set.nodes[i].nr_sids = vtd_pci_sids(pdevs[i],
						    &set.nodes[i].sids);
		if (set.nodes[i].nr_sids < 0) {
			ret = -ENOMEM;
			break;
		}
		/* No reference: made-up devices have no kobject to count. */
		set.nodes[i].pdev = pdevs[i];
		set.nodes[i].parent = set.n++;
	}
	if (!ret) {
		vtd_gset_partition(&set);
		for (i = 0; i < n; i++)
			group[i] = vtd_gset_find(&set, i);
	}
	for (i = 0; i < set.n; i++)
		set.nodes[i].pdev = NULL;
	vtd_gset_free(&set);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_group_partition);

/**
 * vtd_group_of() - the group of a device, computed now
 * @pdev: the device
 *
 * Context: process; sleeps.
 * Return: the group (free it with vtd_group_free()), ERR_PTR(-ENODEV) if
 * no unit translates @pdev, ERR_PTR(-ENOMEM).
 */
struct vtd_group *vtd_group_of(struct pci_dev *pdev)
{
	struct vtd_gset set = {};
	struct vtd_group *grp;
	int i, ret;

	ret = vtd_gset_collect(&set);
	if (ret)
		return ERR_PTR(ret);
	i = vtd_gset_index(&set, pdev);
	if (i < 0) {
		grp = ERR_PTR(-ENODEV);
	} else {
		vtd_gset_partition(&set);
		grp = vtd_gset_group(&set, vtd_gset_find(&set, i));
	}
	vtd_gset_free(&set);
	return grp;
}

/**
 * vtd_group_free() - drop a group and its device references
 * @grp: from vtd_group_of(), or NULL
 */
void vtd_group_free(struct vtd_group *grp)
{
	unsigned int i;

	if (!grp)
		return;
	for (i = 0; i < grp->nr; i++)
		pci_dev_put(grp->members[i]);
	for (i = 0; i < grp->nr_bridges; i++)
		pci_dev_put(grp->bridges[i]);
	kfree(grp->members);
	kfree(grp->bridges);
	kfree(grp);
}

/**
 * vtd_group_has() - whether a device is a member of a group
 * @grp: the group
 * @pdev: the device
 *
 * Return: true if @pdev is one of @grp's members (bridges are not).
 */
bool vtd_group_has(const struct vtd_group *grp, struct pci_dev *pdev)
{
	unsigned int i;

	for (i = 0; i < grp->nr; i++)
		if (grp->members[i] == pdev)
			return true;
	return false;
}

/**
 * vtd_group_describe() - "group N (A B C)" for messages
 * @grp: the group
 * @buf: where to write it, NUL terminated (truncated to fit)
 * @len: the room in @buf
 */
void vtd_group_describe(const struct vtd_group *grp, char *buf, size_t len)
{
	unsigned int i;
	int at;

	at = scnprintf(buf, len, "group %u (", grp->id);
	for (i = 0; i < grp->nr; i++)
		at += scnprintf(buf + at, len - at, "%s%s", i ? " " : "",
				pci_name(grp->members[i]));
	scnprintf(buf + at, len - at, ")");
}

/**
 * vtd_group_attach() - attach every member of a group to a domain
 * @grp: the group
 * @dom: a DMA domain of @grp's unit
 *
 * All or nothing (vtd_domain_attach_devs()).
 * Context: process; sleeps.
 * Return: 0 or as vtd_domain_attach_devs().
 */
int vtd_group_attach(struct vtd_group *grp, struct vtd_domain *dom)
{
	return vtd_domain_attach_devs(dom, grp->members, grp->nr);
}

/**
 * vtd_group_detach() - detach every member of a group from its domain
 * @grp: the group, attached to @dom with vtd_group_attach()
 * @dom: the domain
 *
 * Context: process; sleeps.
 */
void vtd_group_detach(struct vtd_group *grp, struct vtd_domain *dom)
{
	unsigned int i;

	for (i = 0; i < grp->nr; i++)
		vtd_domain_detach(dom, grp->members[i]);
}

static void vtd_groups_show_sids(struct seq_file *m, const u16 *sids, int n)
{
	int i;

	for (i = 0; i < n; i++)
		seq_printf(m, "%s%02x:%02x.%d", i ? "," : " ", sids[i] >> 8,
			   PCI_SLOT(sids[i] & 0xff), PCI_FUNC(sids[i] & 0xff));
}

static void vtd_groups_show_did(struct seq_file *m, int did)
{
	if (did < 0)
		seq_puts(m, "default");
	else
		seq_printf(m, "%d", did);
}

/**
 * vtd_groups_show() - every group, for debugfs "groups"
 * @m: the file
 *
 * One "group N UNIT: M member(s), B bridge(s), domain D" line per group,
 * D the members' domain ID, "default" (pass-through or identity) or
 * "mixed"; then a "  member DEV sids S,S domain D dma-ops yes|no" line
 * per member and a "  bridge DEV sids S" line per bridge.
 * Context: process; sleeps.
 * Return: 0 or -ENOMEM.
 */
int vtd_groups_show(struct seq_file *m)
{
	struct vtd_gset set = {};
	struct vtd_gnode *node;
	unsigned int root, i, nr, nb, id = 0;
	int did, gdid;
	bool mixed;
	int ret;

	ret = vtd_gset_collect(&set);
	if (ret)
		return ret;
	vtd_gset_partition(&set);
	for (root = 0; root < set.n; root++) {
		if (vtd_gset_find(&set, root) != root)
			continue;
		nr = 0;
		nb = 0;
		gdid = -2;
		mixed = false;
		for (i = root; i < set.n; i++) {
			node = &set.nodes[i];
			if (vtd_gset_find(&set, i) != root)
				continue;
			if (vtd_pci_is_bridge(node->pdev)) {
				nb++;
				continue;
			}
			nr++;
			did = vtd_domain_did_of(node->pdev);
			if (gdid != -2 && did != gdid)
				mixed = true;
			gdid = did;
		}
		seq_printf(m, "group %u %s: %u member(s), %u bridge(s), domain ",
			   id++, set.nodes[root].unit->name, nr, nb);
		if (mixed)
			seq_puts(m, "mixed");
		else
			vtd_groups_show_did(m, gdid == -2 ? -1 : gdid);
		seq_putc(m, '\n');
		for (i = root; i < set.n; i++) {
			node = &set.nodes[i];
			if (vtd_gset_find(&set, i) != root)
				continue;
			if (vtd_pci_is_bridge(node->pdev)) {
				seq_printf(m, "  bridge %s sids", pci_name(node->pdev));
				vtd_groups_show_sids(m, node->sids, node->nr_sids);
				seq_putc(m, '\n');
				continue;
			}
			seq_printf(m, "  member %s sids", pci_name(node->pdev));
			vtd_groups_show_sids(m, node->sids, node->nr_sids);
			seq_puts(m, " domain ");
			vtd_groups_show_did(m, vtd_domain_did_of(node->pdev));
			seq_printf(m, " dma-ops %s\n",
				   get_dma_ops(&node->pdev->dev) ? "yes" : "no");
		}
	}
	vtd_gset_free(&set);
	return 0;
}
