/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/atomic.h>: see ../vtd_shim.h. */
#ifndef _LINUX_ATOMIC_H
#define _LINUX_ATOMIC_H
#include "../vtd_shim.h"
#endif
