/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim for <linux/cpumask.h>: see <linux/percpu.h>. */
#ifndef __LINUX_CPUMASK_H
#define __LINUX_CPUMASK_H

#include <linux/percpu.h>

#endif /* __LINUX_CPUMASK_H */
