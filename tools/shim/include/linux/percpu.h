/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim for <linux/percpu.h> and <linux/cpumask.h>: SHIM_NR_CPUS
 * possible CPUs; each thread says which one it "runs on" with
 * shim_set_cpu() (0 until it does), and raw_cpu_ptr() follows it. A
 * thread may change CPU between two calls, as a preempted kernel task may.
 */
#ifndef _LINUX_PERCPU_H
#define _LINUX_PERCPU_H

#include <asm/barrier.h>
#include <linux/slab.h>

#define SHIM_NR_CPUS	4

#define __percpu

extern __thread unsigned int shim_cpu;

static inline void shim_set_cpu(unsigned int cpu)
{
	shim_cpu = cpu % SHIM_NR_CPUS;
}

#define alloc_percpu(type)	\
	((type *)kcalloc(SHIM_NR_CPUS, sizeof(type), GFP_KERNEL))
#define free_percpu(p)		kfree(p)
#define per_cpu_ptr(p, cpu)	(&(p)[cpu])
#define raw_cpu_ptr(p)		(&(p)[shim_cpu])
#define for_each_possible_cpu(cpu)	\
	for ((cpu) = 0; (cpu) < SHIM_NR_CPUS; (cpu)++)

#endif /* _LINUX_PERCPU_H */
