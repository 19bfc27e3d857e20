/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/bitfield.h>: see ../vtd_shim.h. */
#ifndef _LINUX_BITFIELD_H
#define _LINUX_BITFIELD_H
#include "../vtd_shim.h"
#endif
