/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap device groups: the devices a unit cannot tell apart or keep
 * apart (a shared requester ID, peer-to-peer without ACS), owned, attached
 * and detached together. The theory of operation opens vtd_group.c.
 */
#ifndef VTD_GROUP_H
#define VTD_GROUP_H

#include <linux/types.h>

struct pci_dev;
struct seq_file;
struct vtd_domain;
struct vtd_unit;

/**
 * struct vtd_group - one group, as computed from the PCI topology
 * @id:		its number in the listing (debugfs "groups"): groups are
 *		numbered from 0 in the order of their first device in the
 *		PCI core's device list.
 * @unit:	the unit that translates every device of the group.
 * @nr:		members: the devices of the group that are not bridges.
 * @members:	those devices, a reference held on each.
 * @nr_bridges:	bridges that fell into the group (a PCIe-to-PCI bridge
 *		with the devices behind it, a port without ACS).
 * @bridges:	those bridges, a reference held on each.
 */
struct vtd_group {
	unsigned int id;
	struct vtd_unit *unit;
	unsigned int nr;
	struct pci_dev **members;
	unsigned int nr_bridges;
	struct pci_dev **bridges;
};

struct vtd_group *vtd_group_of(struct pci_dev *pdev);
void vtd_group_free(struct vtd_group *grp);
bool vtd_group_has(const struct vtd_group *grp, struct pci_dev *pdev);
void vtd_group_describe(const struct vtd_group *grp, char *buf, size_t len);
int vtd_group_attach(struct vtd_group *grp, struct vtd_domain *dom);
void vtd_group_detach(struct vtd_group *grp, struct vtd_domain *dom);
int vtd_groups_show(struct seq_file *m);

/* Exposed for the KUnit suite. */
int vtd_group_partition(struct pci_dev **pdevs, unsigned int n,
			unsigned int *group);

#endif /* VTD_GROUP_H */
