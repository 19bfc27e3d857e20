/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/cpuhotplug.h>: one multi-instance state whose
 * teardown shim_cpu_offline(cpu) runs for every instance, as the kernel
 * does on the CPU going down.
 */
#ifndef __CPUHOTPLUG_H
#define __CPUHOTPLUG_H

#include <linux/list.h>
#include <linux/types.h>

enum cpuhp_state {
	CPUHP_AP_ONLINE_DYN = 1,
};

int cpuhp_setup_state_multi(enum cpuhp_state state, const char *name,
			    int (*startup)(unsigned int cpu,
					   struct hlist_node *node),
			    int (*teardown)(unsigned int cpu,
					    struct hlist_node *node));
void cpuhp_remove_multi_state(enum cpuhp_state state);
int cpuhp_state_add_instance_nocalls(enum cpuhp_state state,
				     struct hlist_node *node);
int cpuhp_state_remove_instance_nocalls(enum cpuhp_state state,
					struct hlist_node *node);
/* Run the teardown of every instance for @cpu; returns how many ran. */
int shim_cpu_offline(unsigned int cpu);

#endif /* __CPUHOTPLUG_H */
