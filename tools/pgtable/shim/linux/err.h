/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/err.h>: see ../vtd_shim.h. */
#ifndef _LINUX_ERR_H
#define _LINUX_ERR_H
#include "../vtd_shim.h"
#endif
