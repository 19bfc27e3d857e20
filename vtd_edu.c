// SPDX-License-Identifier: GPL-2.0
/* PLACEHOLDER: the edu test driver is being written (issue 5). */
#include <linux/module.h>
MODULE_LICENSE("GPL");
