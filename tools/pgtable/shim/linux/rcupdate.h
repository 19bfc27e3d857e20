/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/rcupdate.h>: see ../vtd_shim.h. */
#ifndef _LINUX_RCUPDATE_H
#define _LINUX_RCUPDATE_H
#include "../vtd_shim.h"
#endif
