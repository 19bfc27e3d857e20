/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap debugfs: /sys/kernel/debug/vtd_remap/, units, domains, faults
 * and counters, for people and for the scenarios.
 */
#ifndef VTD_DEBUGFS_H
#define VTD_DEBUGFS_H

struct vtd_unit;
struct vtd_domain;

void vtd_debugfs_init(void);
void vtd_debugfs_exit(void);
void vtd_debugfs_add_unit(struct vtd_unit *unit);
void vtd_debugfs_add_domain(struct vtd_domain *dom);
void vtd_debugfs_remove_domain(struct vtd_domain *dom);

#endif /* VTD_DEBUGFS_H */
