// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap fault event interrupt: a Linux interrupt for a remapping unit's
 * fault event, made from symbols the kernel exports to GPL modules.
 *
 * 1. Why not the kernel's helper. The kernel gives its own VT-d units their
 *    fault interrupt with dmar_alloc_hwirq(), which modules cannot call.
 *    What it does underneath is exported, though: an irq domain stacked on
 *    the x86 vector domain (exported as x86_vector_domain), whose chip
 *    writes the unit's message registers whenever the vector domain places
 *    or moves the vector. This file builds such a domain, with one
 *    interrupt, per unit.
 *
 * 2. The message (VT-d 5.1.6, 7.4.1; Intel SDM vol. 3, 11.11). Interrupt
 *    remapping is off, so the unit sends a compatibility-format MSI:
 *    FEADDR = 0xfee00000 | destination ID bits 7:0 << 12, bit 2 (DM) set
 *    when the local APICs use logical destinations; FEUADDR = destination
 *    ID bits 31:8 (used only by units with ECAP.EIM; 0 whenever the
 *    kernel runs without interrupt remapping, as it then brings up no CPU
 *    with an APIC ID above 255); FEDATA = the vector, fixed delivery,
 *    edge. The destination ID and vector come from irqd_cfg(), which the
 *    vector domain keeps current while the interrupt is activated.
 *
 * 3. When the message is written. (a) On activation, from request_irq():
 *    the vector domain activates first and assigns the real vector, then
 *    vtd_irq_domain_activate() writes it. (b) Whenever the interrupt's
 *    affinity changes: at startup, by a write to /proc/irq/N/smp_affinity, or
 *    when its CPU goes offline (irq_migrate_all_off_this_cpu()). All of these
 *    end in the chip's irq_set_affinity, vtd_irq_set_affinity(), which lets
 *    the vector domain pick the new vector and then writes it. An affinity
 *    notifier would not do: it is not called on CPU offline. The old vector
 *    stays routed to this interrupt until the first event arrives on the new
 *    one, so an event sent to the old message during the switch is still
 *    handled. Until then the vector domain refuses another move (-EBUSY); the
 *    core then keeps the new affinity pending and retries it when the next
 *    event is acknowledged, in hard interrupt context. A move that leaves the
 *    message as it was is not written.
 *
 * 4. Masking. FECTL.IM belongs to the caller: its program() leaves the
 *    event unmasked once it wants interrupts, and it masks the event before
 *    vtd_irq_teardown(). The chip's mask and unmask therefore do nothing (they
 *    must exist: the pending move path calls them unconditionally);
 *    disable_irq() still works (the core disables lazily: an event that
 *    arrives while disabled is marked pending and replayed by enable_irq()).
 *    The interrupt may be moved from process context (IRQ_MOVE_PCNTXT, as for
 *    the HPET): the caller's program() masks the event around its writes, so
 *    the unit never sends half a message.
 *
 * 5. Locking. The core calls vtd_irq_domain_activate() and
 *    vtd_irq_set_affinity() with the descriptor's raw spinlock held and
 *    interrupts off; they call program() under it (lockdep_assert_held()
 *    checks). @nr_programmed and the copy of the last message are written only
 *    there. setup and teardown sleep and must not run concurrently on one
 *    struct vtd_irq.
 *
 * 6. Failure policy. vtd_irq_setup() returns -errno with nothing left
 *    behind; the caller then polls for faults. Teardown undoes everything
 *    setup did, in reverse, and copes with a partly set up struct.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/irqdomain.h>
#include <linux/lockdep.h>
#include <linux/numa.h>
#include <linux/string.h>

#include <asm/apic.h>
#include <asm/hw_irq.h>
#include <asm/irqdomain.h>

#include "vtd_irq.h"

/* Compatibility-format interrupt message (Intel SDM vol. 3, 11.11.1-2). */
#define VTD_MSI_ADDR_BASE	0xfee00000U
#define VTD_MSI_ADDR_DEST	GENMASK(19, 12)	/* destination ID bits 7:0 */
#define VTD_MSI_ADDR_DM		BIT(2)		/* 1: logical destination */
#define VTD_MSI_DATA_VECTOR	GENMASK(7, 0)	/* delivery 000 fixed, edge */

/* The domain holds one interrupt, at hardware number 0. */
#define VTD_IRQ_HWIRQ		0

/*
 * Compose the current message of @d's interrupt and hand it to program():
 * always on activation, otherwise only if it differs from the last one.
 */
static void vtd_irq_write_msg(struct vtd_irq *vi, struct irq_data *d,
			      bool activate)
{
	struct irq_cfg *cfg = irqd_cfg(d);
	u32 addr, upper, msi_data;

	lockdep_assert_held(&irq_data_to_desc(d)->lock);
	if (WARN_ON_ONCE(!cfg))
		return;
	addr = VTD_MSI_ADDR_BASE |
	       FIELD_PREP(VTD_MSI_ADDR_DEST, cfg->dest_apicid & 0xff);
	if (apic->dest_mode_logical)
		addr |= VTD_MSI_ADDR_DM;
	upper = cfg->dest_apicid >> 8;
	msi_data = FIELD_PREP(VTD_MSI_DATA_VECTOR, cfg->vector);

	/* A move to the same CPU and vector changes nothing. */
	if (!activate && vi->nr_programmed && addr == vi->addr &&
	    upper == vi->upper && msi_data == vi->msi_data)
		return;
	WRITE_ONCE(vi->addr, addr);
	WRITE_ONCE(vi->upper, upper);
	WRITE_ONCE(vi->msi_data, msi_data);
	WRITE_ONCE(vi->nr_programmed, vi->nr_programmed + 1);
	vi->program(vi->data, addr, upper, msi_data);
}

/* The unit's FECTL.IM is the caller's: see the theory statement, 4. */
static void vtd_irq_mask_nop(struct irq_data *d)
{
}

/*
 * Let the vector domain place the vector on a CPU of @mask, then tell the
 * unit if it moved. IRQ_SET_MASK_OK_DONE means nothing changed below.
 */
static int vtd_irq_set_affinity(struct irq_data *d, const struct cpumask *mask,
				bool force)
{
	struct vtd_irq *vi = irq_data_get_irq_chip_data(d);
	int ret;

	ret = irq_chip_set_affinity_parent(d, mask, force);
	if (ret >= 0 && ret != IRQ_SET_MASK_OK_DONE)
		vtd_irq_write_msg(vi, d, false);
	return ret;
}

static struct irq_chip vtd_irq_chip = {
	.name			= "VTD-FE",
	.irq_ack		= irq_chip_ack_parent,
	.irq_mask		= vtd_irq_mask_nop,
	.irq_unmask		= vtd_irq_mask_nop,
	.irq_set_affinity	= vtd_irq_set_affinity,
	.irq_retrigger		= irq_chip_retrigger_hierarchy,
	.flags			= IRQCHIP_SKIP_SET_WAKE |
				  IRQCHIP_AFFINITY_PRE_STARTUP,
};

static int vtd_irq_domain_alloc(struct irq_domain *domain, unsigned int virq,
				unsigned int nr_irqs, void *arg)
{
	int ret;

	if (nr_irqs != 1)
		return -EINVAL;
	ret = irq_domain_alloc_irqs_parent(domain, virq, nr_irqs, arg);
	if (ret)
		return ret;
	irq_domain_set_info(domain, virq, VTD_IRQ_HWIRQ, &vtd_irq_chip,
			    domain->host_data, handle_edge_irq, NULL, "edge");
	return 0;
}

/* The vector domain has activated first: its vector and CPU are current. */
static int vtd_irq_domain_activate(struct irq_domain *domain,
				   struct irq_data *d, bool reserve)
{
	vtd_irq_write_msg(domain->host_data, d, true);
	return 0;
}

static const struct irq_domain_ops vtd_irq_domain_ops = {
	.alloc		= vtd_irq_domain_alloc,
	.free		= irq_domain_free_irqs_common,
	.activate	= vtd_irq_domain_activate,
};

/**
 * vtd_irq_teardown() - free a fault event interrupt
 * @vi:	the interrupt; may be partly set up, or not set up at all
 *
 * The caller has masked the event (FECTL.IM = 1) first: an event sent
 * after this would hit a vector that is no longer routed. Waits for a
 * running handler to finish. program() is not called again.
 *
 * Context: process; sleeps.
 */
void vtd_irq_teardown(struct vtd_irq *vi)
{
	if (vi->requested)
		free_irq(vi->irq, vi->data);
	vi->requested = false;
	/* For a domain stacked on another, this frees the whole stack. */
	if (vi->irq)
		irq_dispose_mapping(vi->irq);
	vi->irq = 0;
	if (vi->domain)
		irq_domain_remove(vi->domain);
	vi->domain = NULL;
	if (vi->fwnode)
		irq_domain_free_fwnode(vi->fwnode);
	vi->fwnode = NULL;
}

/* The domain and its one interrupt, not yet requested. */
static int vtd_irq_alloc(struct vtd_irq *vi)
{
	struct irq_alloc_info info;
	int irq;

	vi->fwnode = irq_domain_alloc_named_fwnode(vi->name);
	if (!vi->fwnode)
		return -ENOMEM;
	vi->domain = irq_domain_create_hierarchy(x86_vector_domain, 0, 0,
						 vi->fwnode,
						 &vtd_irq_domain_ops, vi);
	if (!vi->domain)
		return -ENOMEM;

	/*
	 * No mask: the vector domain only reserves a vector now and assigns
	 * it on activation. The type is what the kernel's own VT-d uses.
	 */
	memset(&info, 0, sizeof(info));
	info.type = X86_IRQ_ALLOC_TYPE_DMAR;
	irq = __irq_domain_alloc_irqs(vi->domain, -1, 1, NUMA_NO_NODE, &info,
				      false, NULL);
	if (irq < 0)
		return irq;
	if (WARN_ON_ONCE(!irq))
		return -EINVAL;
	vi->irq = irq;
	irq_modify_status(irq, IRQ_NOREQUEST, IRQ_NOPROBE | IRQ_MOVE_PCNTXT);
	return 0;
}

/**
 * vtd_irq_setup() - give a unit a fault event interrupt
 * @vi:		where to keep it; embedded in the unit
 * @name:	name for /proc/interrupts and the irq domain, e.g. "dmar0-fault"
 * @handler:	hard interrupt handler, called with @data as dev_id
 * @data:	handed to @handler and @program
 * @program:	writes the message to FEDATA, FEADDR and FEUADDR
 *
 * Allocates the interrupt, requests it, and calls @program with its
 * message before returning (and later whenever the vector moves).
 * Whether the event is unmasked (FECTL.IM) is up to @program and the
 * caller; @handler may run as soon as it is, even before this returns.
 *
 * Context: process; sleeps.
 * Return: 0, or -errno with @vi holding nothing (poll for faults then).
 */
int vtd_irq_setup(struct vtd_irq *vi, const char *name, irq_handler_t handler,
		  void *data, vtd_irq_program_t program)
{
	int ret;

	memset(vi, 0, sizeof(*vi));
	strscpy(vi->name, name, sizeof(vi->name));
	vi->data = data;
	vi->program = program;

	ret = vtd_irq_alloc(vi);
	if (ret)
		goto out_teardown;
	/* Activates the interrupt: program() runs in here. */
	ret = request_irq(vi->irq, handler, 0, vi->name, data);
	if (ret)
		goto out_teardown;
	vi->requested = true;
	if (WARN_ON_ONCE(!READ_ONCE(vi->nr_programmed))) {
		ret = -EIO;
		goto out_teardown;
	}
	return 0;

out_teardown:
	vtd_irq_teardown(vi);
	return ret;
}
