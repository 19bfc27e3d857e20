/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/types.h>: see ../vtd_shim.h. */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H
#include "../vtd_shim.h"
#endif
