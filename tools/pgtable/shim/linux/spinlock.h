/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/spinlock.h>: see ../vtd_shim.h. */
#ifndef __LINUX_SPINLOCK_H
#define __LINUX_SPINLOCK_H
#include "../vtd_shim.h"
#endif
