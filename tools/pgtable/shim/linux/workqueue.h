/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/workqueue.h>: see ../vtd_shim.h. */
#ifndef _LINUX_WORKQUEUE_H
#define _LINUX_WORKQUEUE_H
#include "../vtd_shim.h"
#endif
