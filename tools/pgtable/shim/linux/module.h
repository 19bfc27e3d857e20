/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/module.h>: see ../vtd_shim.h. */
#ifndef _LINUX_MODULE_H
#define _LINUX_MODULE_H
#include "../vtd_shim.h"
#endif
