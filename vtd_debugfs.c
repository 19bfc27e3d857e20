// SPDX-License-Identifier: GPL-2.0
/* PLACEHOLDER: debugfs is being written (issue 5). */
#include "vtd_debugfs.h"

void vtd_debugfs_init(void)
{
}

void vtd_debugfs_exit(void)
{
}

void vtd_debugfs_add_unit(struct vtd_unit *unit)
{
}

void vtd_debugfs_add_domain(struct vtd_domain *dom)
{
}

void vtd_debugfs_remove_domain(struct vtd_domain *dom)
{
}
