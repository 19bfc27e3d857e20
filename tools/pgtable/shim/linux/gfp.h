/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/gfp.h>: see ../vtd_shim.h. */
#ifndef __LINUX_GFP_H
#define __LINUX_GFP_H
#include "../vtd_shim.h"
#endif
