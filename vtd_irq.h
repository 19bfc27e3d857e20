/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtd-remap fault event interrupt: public interface.
 *
 * Gives a remapping unit a Linux interrupt for its fault event (VT-d 7.4,
 * registers FECTL, FEDATA, FEADDR, FEUADDR) built only from symbols the
 * kernel exports to GPL modules: a one-interrupt irq domain stacked on the
 * x86 vector domain. The interrupt's vector and destination can move
 * (affinity writes, CPU offline); every time they do, the caller is asked
 * to rewrite the message. The theory of operation opens vtd_irq.c.
 */
#ifndef VTD_IRQ_H
#define VTD_IRQ_H

#include <linux/interrupt.h>
#include <linux/types.h>

struct fwnode_handle;
struct irq_domain;

/**
 * typedef vtd_irq_program_t - write a fault event message to the hardware
 * @data:	the @data given to vtd_irq_setup().
 * @addr:	for FEADDR: 0xfee00000, destination ID bits 7:0 in 19:12,
 *		bit 2 set for a logical destination.
 * @upper:	for FEUADDR: destination ID bits 31:8 (0 unless the CPU's
 *		APIC ID is above 255, which needs ECAP.EIM).
 * @msi_data:	for FEDATA: the vector, fixed delivery, edge.
 *
 * Called once while vtd_irq_setup() runs, then each time the vector or
 * destination changes, until vtd_irq_teardown() has freed the interrupt.
 * The caller should mask the event (FECTL.IM = 1) around the three 32-bit
 * writes: the unit then holds an event that arrives meanwhile (FECTL.IP)
 * and sends it, to the new message, when IM is cleared (VT-d 7.4.1).
 *
 * Context: interrupts off, under the interrupt descriptor's raw spinlock
 * (from process context, hard interrupt context, or the CPU-offline
 * path). Must not sleep; may take spinlocks the handler also takes
 * (irqsave), and must not call the irq API on this interrupt.
 */
typedef void (*vtd_irq_program_t)(void *data, u32 addr, u32 upper,
				  u32 msi_data);

/**
 * struct vtd_irq - one unit's fault event interrupt
 * @irq:	the Linux interrupt number (/proc/interrupts), 0 if none.
 * @domain:	the one-interrupt domain stacked on the x86 vector domain.
 * @fwnode:	@domain's name, shown in /sys/kernel/debug/irq/domains.
 * @data:	handed to @program and, as dev_id, to the handler.
 * @program:	writes a message to the hardware; see vtd_irq_program_t.
 * @requested:	request_irq() succeeded and free_irq() is still owed.
 * @nr_programmed: times @program was called. Written under the
 *		descriptor lock; read it with READ_ONCE().
 * @addr:	the last message given to @program (FEADDR), and the
 * @upper:	same for FEUADDR and
 * @msi_data:	FEDATA. Read with READ_ONCE(), for reporting only.
 * @name:	the domain's and the interrupt's name.
 *
 * Embed it in the unit; vtd_irq_setup() fills it in. A struct that
 * vtd_irq_setup() failed on, or that vtd_irq_teardown() has been called
 * on, holds nothing and may be set up again.
 */
struct vtd_irq {
	unsigned int irq;
	struct irq_domain *domain;
	struct fwnode_handle *fwnode;
	void *data;
	vtd_irq_program_t program;
	bool requested;
	unsigned long nr_programmed;
	u32 addr;
	u32 upper;
	u32 msi_data;
	char name[32];
};

int vtd_irq_setup(struct vtd_irq *vi, const char *name, irq_handler_t handler,
		  void *data, vtd_irq_program_t program);
void vtd_irq_teardown(struct vtd_irq *vi);

#endif /* VTD_IRQ_H */
