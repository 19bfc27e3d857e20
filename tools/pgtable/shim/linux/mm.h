/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/mm.h>: see ../vtd_shim.h. */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H
#include "../vtd_shim.h"
#endif
