/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/shrinker.h>: see ../vtd_shim.h. */
#ifndef _LINUX_SHRINKER_H
#define _LINUX_SHRINKER_H
#include "../vtd_shim.h"
#endif
