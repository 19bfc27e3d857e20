/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/bits.h>: see ../vtd_shim.h. */
#ifndef __LINUX_BITS_H
#define __LINUX_BITS_H
#include "../vtd_shim.h"
#endif
