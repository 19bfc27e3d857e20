/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap debugfs: /sys/kernel/debug/vtd_remap/, units, domains, faults
 * and counters, for people and for the scenarios. The layout and the
 * lifetime rules are in the comment that opens vtd_debugfs.c.
 */
#ifndef VTD_DEBUGFS_H
#define VTD_DEBUGFS_H

struct vtd_unit;
struct vtd_domain;

/*
 * Call order: vtd_debugfs_init() before any unit comes up;
 * vtd_debugfs_add_unit() once per unit after it is up (it also adds the
 * unit's default domain); vtd_debugfs_add_domain() after a domain is on
 * its unit's list and vtd_debugfs_remove_domain() before it is freed,
 * neither with the unit's mutex held (the files' readers take it);
 * vtd_debugfs_exit() at unload, best before the units are freed. Each is
 * safe to call when debugfs is missing or after vtd_debugfs_exit().
 */
void vtd_debugfs_init(void);
void vtd_debugfs_exit(void);
void vtd_debugfs_add_unit(struct vtd_unit *unit);
void vtd_debugfs_add_domain(struct vtd_domain *dom);
void vtd_debugfs_remove_domain(struct vtd_domain *dom);

#endif /* VTD_DEBUGFS_H */
