// SPDX-License-Identifier: GPL-2.0
/*
 * vtd-remap IOVA allocator: ranges of frames handed out top-down under a
 * limit, with reserved holes, in O(log n) per operation.
 *
 * 1. Concepts
 *
 *    A domain is a space of frames [start, last]. A frame is one granule
 *    (4 KiB for DMA, 1 for IDs). Callers take ranges out of it with
 *    vtd_iova_alloc() and give them back with vtd_iova_free(); reserved
 *    ranges (vtd_iova_reserve()) are holes that are never handed out: the
 *    MSI/APIC window, RMRRs, peer-to-peer windows. vtd_iova_clone_reserved()
 *    copies a template domain's holes into a new domain. Per-CPU range
 *    caches (iova_rcache.c) may sit in front of the tree; a range they
 *    hold is an allocation here like any other.
 *
 * 2. Data structures
 *
 *    Every range, allocated or reserved, is one node in a red-black tree
 *    keyed by its first frame. The free space is not stored: a free gap is
 *    the span between two neighbouring nodes, and it belongs to the node
 *    above it (node->own_gap frames directly below node->pfn_lo). A
 *    sentinel node, the anchor, sits at last + 1 so that the gap at the top
 *    of the space has an owner and the tree is never empty.
 *
 *    The tree is augmented: each node also keeps, for its whole subtree,
 *    the largest gap (sub_gap) and, for every alignment order j in
 *    1..VTD_IOVA_FIT_ORDERS, the largest number of frames that a gap of the
 *    subtree offers from its first 2^j-aligned frame to its end
 *    (sub_fit[j - 1], saturated at U32_MAX). A gap [lo, hi] holds a request
 *    of size frames aligned to 2^j iff that number for the gap,
 *    hi + 1 - roundup(lo, 2^j), is at least size; so the maxima decide
 *    exactly whether a subtree holds room for a request of any shape, and a
 *    search skips every subtree that does not. A fit never grows with the
 *    order, so each node's sub_fit is a run of U32_MAX, then values, then
 *    zeros; the node counts the first run (sub_sat) and the orders that
 *    are not zero (sub_orders) and stores only the values in between
 *    (iova_fit() reads all three parts): an update visits only those, and
 *    a node is not zeroed when allocated. The gaps at the top of a space
 *    saturate every order, small gaps leave most orders at zero.
 *
 *    An insertion splits the gap of the node just above the new range:
 *    the new node becomes a leaf right below it in key order (its left
 *    child, or the right child of its left subtree's last node), so both
 *    changed gaps lie on the leaf's path to the root and one climb fixes
 *    the maxima, stopping where they no longer change. The allocation
 *    search ends at that node, so an allocation does no second descent;
 *    an erase hands its gap, start known from the erased node, to its
 *    successor. Rotations recompute the two nodes they move.
 *
 * 3. Invariants (checked by vtd_iova_check())
 *
 *    a. Nodes are disjoint and in key order; each has pfn_lo <= pfn_last.
 *    b. The anchor is the last node, with pfn_lo == pfn_last == last + 1;
 *       every other node lies inside [start, last].
 *    c. node->own_gap == node->pfn_lo - (previous node's pfn_last + 1), or
 *       node->pfn_lo - start for the first node.
 *    d. node->sub_gap and each node->sub_fit[j - 1] are the maxima of the
 *       node's own values (own_gap, and iova_gap_fit() of its own gap at
 *       order j, saturated) and its children's sub_gap and sub_fit[j - 1];
 *       node->sub_sat and node->sub_orders count the leading maxima that
 *       are U32_MAX and that are not zero; the entries of sub_fit between
 *       them hold the others (iova_fit() reads a maximum).
 *    e. Two reserved nodes are never adjacent: a frame is reserved iff it
 *       lies in a reserved node, and reserving merges touching holes.
 *    f. The counters equal what a walk of the tree counts.
 *
 * 4. Search
 *
 *    vtd_iova_alloc() asks for the highest start p, aligned to align = 2^j,
 *    with [p, p + size - 1] free and under limit. It first checks the one
 *    gap that straddles the limit (clipped), then walks gaps downwards in
 *    key order, skipping every subtree whose maxima say it cannot fit:
 *    sub_gap >= size, and for j >= 1 also sub_fit[min(j, FIT) - 1] >= size.
 *    For j <= VTD_IOVA_FIT_ORDERS and size < U32_MAX the test is exact (a
 *    subtree passes iff one of its gaps fits), so the walk never enters a
 *    subtree in vain: it costs one descent to the limit plus one climb and
 *    one descent, O(log n) nodes for every size and alignment. Otherwise
 *    (alignment above 2^FIT or size >= U32_MAX frames) the test is only
 *    necessary: a gap that passes it and does not fit holds a multiple of
 *    2^FIT, or is U32_MAX frames long, so at most (last + 1) / 2^FIT such
 *    gaps exist (8 in a 2^35-frame domain) and each adds O(log n) nodes.
 *    The number of nodes the last search visited is kept per domain and
 *    reported in vtd_iova_stats.last_search_visits, for the tests.
 *
 * 5. Locking
 *
 *    One spinlock per domain, taken with irqsave, protects the tree, every
 *    node in it and the counters: any context may call in. No other lock
 *    is ever taken inside it and it is never nested with another domain's
 *    (clone copies the source under its lock, drops it, then fills the
 *    destination). The per-CPU caches call in only with their own locks
 *    dropped, so their locks and this one never nest. Node memory is
 *    allocated before the lock is taken, with the caller's gfp, and nodes
 *    removed under the lock are freed after it is dropped.
 *
 * 6. Failure policy
 *
 *    Every operation either completes or changes nothing. Bad arguments are
 *    -EINVAL; no room is -ENOSPC; no memory is -ENOMEM; a reservation over
 *    a live allocation is -EBUSY. A free that does not match an allocation
 *    is refused with an errno and one rate-limited warning: the caller has
 *    a bug, and the tree stays as it was. The parameter iova_check runs the
 *    O(n) checker after every change, and iova_fail_nth makes every Nth
 *    node allocation fail, for the tests.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": iova: " fmt

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/rbtree_augmented.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "iova.h"

static bool iova_check;
module_param(iova_check, bool, 0644);
MODULE_PARM_DESC(iova_check, "Run the O(n) tree checker after every change");

static unsigned int iova_fail_nth;
module_param(iova_fail_nth, uint, 0644);
MODULE_PARM_DESC(iova_fail_nth, "Fail every Nth range-node allocation (0: never)");

static atomic_t iova_alloc_count = ATOMIC_INIT(0);
static struct kmem_cache *iova_node_cache;

/**
 * struct vtd_iova_node - one range in a domain's tree
 * @rb:		link in vtd_iova_domain.root, keyed by @pfn_lo.
 * @free_next:	once erased from the tree: next node to free after unlock.
 * @pfn_lo:	first frame of the range.
 * @pfn_last:	last frame of the range (inclusive).
 * @own_gap:	free frames just below @pfn_lo.
 * @sub_gap:	largest @own_gap in the subtree rooted here.
 * @sub_fit:	[j - 1]: largest iova_gap_fit() at order j of a gap in the
 *		subtree rooted here, saturated at U32_MAX (section 2); valid
 *		for @sub_sat <= j - 1 < @sub_orders only, see iova_fit().
 * @sub_orders:	how many leading maxima are not 0; the rest are 0 (a fit
 *		never grows with the order) and are not stored.
 * @sub_sat:	how many leading maxima are U32_MAX (not stored either).
 * @reserved:	the range is a hole, not an allocation.
 */
struct vtd_iova_node {
	union {
		struct rb_node rb;
		struct vtd_iova_node *free_next;
	};
	unsigned long pfn_lo;
	unsigned long pfn_last;
	unsigned long own_gap;
	unsigned long sub_gap;
	u32 sub_fit[VTD_IOVA_FIT_ORDERS];
	u8 sub_orders;
	u8 sub_sat;
	bool reserved;
};

/* 24 (rb) + 4 * 8 + 32 * 4 + 3, padded to 8: 192 bytes, three cache lines. */
static_assert(sizeof(struct vtd_iova_node) <= VTD_IOVA_NODE_BYTES);

/*
 * A request, with its alignment as an order, and the order whose maxima
 * prune the search (section 4): min(order, VTD_IOVA_FIT_ORDERS), 0 for none.
 */
struct iova_req {
	unsigned long size;
	unsigned long align;
	unsigned long limit;
	unsigned int fit_order;
	u32 need;		/* min(size, U32_MAX): what sub_fit must reach */
	unsigned long visits;	/* nodes looked at so far */
};

static inline struct vtd_iova_node *iova_node(struct rb_node *rb)
{
	return rb ? rb_entry(rb, struct vtd_iova_node, rb) : NULL;
}

/* --- gap arithmetic -------------------------------------------------- */

/*
 * Frames of the gap [lo, lo + len - 1] from its first frame aligned to
 * 2^order to its end, 0 if no aligned frame lies in it: a request of size
 * frames aligned to 2^order fits in the gap iff this is >= size.
 */
static unsigned long iova_gap_fit(unsigned long lo, unsigned long len,
				  unsigned int order)
{
	unsigned long waste = -lo & ((1UL << order) - 1);

	return waste < len ? len - waste : 0;
}

static u32 iova_sat32(unsigned long v)
{
	return v > U32_MAX ? U32_MAX : v;
}

/*
 * The subtree maximum at order j + 1 of @n: only the entries between the
 * saturated run and the zeros are stored (section 2).
 */
static inline u32 iova_fit(const struct vtd_iova_node *n, unsigned int j)
{
	if (j < n->sub_sat)
		return U32_MAX;
	return j < n->sub_orders ? n->sub_fit[j] : 0;
}

/*
 * Subtree maxima of @node from its own gap and its children's maxima, the
 * plain way (every order, a temporary): the checker's reference for
 * iova_sub_update().
 */
static void iova_sub_max(const struct vtd_iova_node *node, unsigned long *gap,
			 u32 *fit)
{
	const struct vtd_iova_node *l = iova_node(node->rb.rb_left);
	const struct vtd_iova_node *r = iova_node(node->rb.rb_right);
	unsigned long lo = node->pfn_lo - node->own_gap;
	unsigned int j;
	u32 v;

	*gap = node->own_gap;
	if (l)
		*gap = max(*gap, l->sub_gap);
	if (r)
		*gap = max(*gap, r->sub_gap);
	for (j = 0; j < VTD_IOVA_FIT_ORDERS; j++) {
		v = iova_sat32(iova_gap_fit(lo, node->own_gap, j + 1));
		if (l)
			v = max(v, iova_fit(l, j));
		if (r)
			v = max(v, iova_fit(r, j));
		fit[j] = v;
	}
}

/*
 * How many orders j = 1, 2, ... have a non-zero fit in the gap
 * [lo, lo + len - 1], capped at VTD_IOVA_FIT_ORDERS: the largest j such
 * that a multiple of 2^j lies in the gap. If lo - 1 and hi first differ
 * (from the top) at bit b, hi with its bits below b cleared is such a
 * multiple of 2^b, and no multiple of 2^(b + 1) lies in (lo - 1, hi].
 */
static unsigned int iova_gap_orders(unsigned long lo, unsigned long len)
{
	if (!len)
		return 0;
	if (!lo)
		return VTD_IOVA_FIT_ORDERS;
	return min_t(unsigned int, fls_long((lo - 1) ^ (lo + len - 1)) - 1,
		     VTD_IOVA_FIT_ORDERS);
}

/*
 * How many orders j = 1, 2, ... saturate the fit of the gap
 * [lo, lo + len - 1] at U32_MAX: len - (-lo mod 2^j) >= U32_MAX. The waste
 * grows with j, so they are the first ones.
 */
static unsigned int iova_gap_sat(unsigned long lo, unsigned long len)
{
	unsigned long neg_lo = -lo;
	unsigned int j;

	if (len < U32_MAX)
		return 0;
	if (len - U32_MAX >= (neg_lo & ((2UL << (VTD_IOVA_FIT_ORDERS - 1)) - 1)))
		return VTD_IOVA_FIT_ORDERS;
	for (j = 0; len - U32_MAX >= (neg_lo & ((2UL << j) - 1)); j++)
		;
	return j;
}

/* An absent child: no gap, every fit 0. */
static const struct vtd_iova_node iova_none;

/*
 * Recompute @node's subtree maxima in place from its own gap and its
 * children's; return true if they did not change. The hot loop of every
 * insert, erase and rotation, so it visits only the orders whose maximum
 * is neither U32_MAX nor 0 (sub_sat and sub_orders: the gaps at the top of
 * the space saturate every order, the small ones leave most orders at 0),
 * and never fills or copies the runs it does not store.
 */
static bool iova_sub_update(struct vtd_iova_node *node)
{
	const struct vtd_iova_node *l = iova_node(node->rb.rb_left) ?: &iova_none;
	const struct vtd_iova_node *r = iova_node(node->rb.rb_right) ?: &iova_none;
	unsigned long len = node->own_gap;
	unsigned long lo = node->pfn_lo - len, neg_lo = -lo;
	unsigned long gap = max(len, max(l->sub_gap, r->sub_gap));
	unsigned int own = iova_gap_orders(lo, len), j;
	unsigned int orders = max_t(unsigned int, own,
				    max(l->sub_orders, r->sub_orders));
	unsigned int sat = max_t(unsigned int, iova_gap_sat(lo, len),
				 max(l->sub_sat, r->sub_sat));
	unsigned long changed;
	u32 v;

	/* If a count changed, so did the values: the stored ones are moot. */
	changed = (gap ^ node->sub_gap) | (orders ^ node->sub_orders) |
		  (sat ^ node->sub_sat);
	node->sub_gap = gap;
	node->sub_orders = orders;
	node->sub_sat = sat;
	/*
	 * From @sat up, no child's maximum is saturated, and a child's entry
	 * at or above its own count is 0: masked, not branched on.
	 */
	for (j = sat; j < own; j++) {
		/* Below @own, order j + 1's waste (-lo mod 2^(j + 1)) is < len. */
		v = iova_sat32(len - (neg_lo & ((2UL << j) - 1)));
		v = max(v, l->sub_fit[j] & -(u32)(j < l->sub_orders));
		v = max(v, r->sub_fit[j] & -(u32)(j < r->sub_orders));
		changed |= v ^ node->sub_fit[j];
		node->sub_fit[j] = v;
	}
	for (; j < orders; j++) {
		v = max(l->sub_fit[j] & -(u32)(j < l->sub_orders),
			r->sub_fit[j] & -(u32)(j < r->sub_orders));
		changed |= v ^ node->sub_fit[j];
		node->sub_fit[j] = v;
	}
	return !changed;
}

/* Set @node's own gap to the free span [gap_lo, node->pfn_lo). */
static void iova_set_gap(struct vtd_iova_node *node, unsigned long gap_lo)
{
	node->own_gap = node->pfn_lo - gap_lo;
}

/*
 * rbtree augmentation callbacks (see <linux/rbtree_augmented.h>): the
 * maxima of a subtree live in its root, so a rotation hands the old root's
 * maxima to the new root and recomputes the old one from its new children.
 */
static void iova_aug_propagate(struct rb_node *rb, struct rb_node *stop)
{
	while (rb != stop && !iova_sub_update(iova_node(rb)))
		rb = rb_parent(rb);
}

static void iova_aug_copy(struct rb_node *from, struct rb_node *to)
{
	iova_node(to)->sub_gap = iova_node(from)->sub_gap;
	iova_node(to)->sub_orders = iova_node(from)->sub_orders;
	iova_node(to)->sub_sat = iova_node(from)->sub_sat;
	memcpy(iova_node(to)->sub_fit, iova_node(from)->sub_fit,
	       sizeof(iova_node(to)->sub_fit));
}

static void iova_aug_rotate(struct rb_node *old, struct rb_node *new)
{
	iova_aug_copy(old, new);
	iova_sub_update(iova_node(old));
}

static const struct rb_augment_callbacks iova_aug_cb = {
	.propagate = iova_aug_propagate,
	.copy = iova_aug_copy,
	.rotate = iova_aug_rotate,
};

/* First free frame above @node's predecessor: where @node's gap starts. */
static unsigned long iova_gap_lo(struct vtd_iova_node *node)
{
	return node->pfn_lo - node->own_gap;
}

/* --- node memory ----------------------------------------------------- */

static struct vtd_iova_node *iova_node_alloc(gfp_t gfp)
{
	unsigned int nth = READ_ONCE(iova_fail_nth);

	struct vtd_iova_node *node;

	if (nth && atomic_inc_return(&iova_alloc_count) % nth == 0)
		return NULL;
	/*
	 * Not zalloc: sub_fit needs no zeroing (only the entries the counts
	 * say are stored are read), and zeroing three cache lines is a
	 * visible part of an allocation. Everything else starts at 0.
	 */
	node = kmem_cache_alloc(iova_node_cache, gfp);
	if (node) {
		RB_CLEAR_NODE(&node->rb);
		node->rb.rb_left = NULL;
		node->rb.rb_right = NULL;
		node->pfn_lo = 0;
		node->pfn_last = 0;
		node->own_gap = 0;
		node->sub_gap = 0;
		node->sub_orders = 0;
		node->sub_sat = 0;
		node->reserved = false;
	}
	return node;
}

static void iova_free_list(struct vtd_iova_node *head)
{
	struct vtd_iova_node *next;

	for (; head; head = next) {
		next = head->free_next;
		kmem_cache_free(iova_node_cache, head);
	}
}

/* --- tree primitives (all under dom->lock) --------------------------- */

/* The first node whose last frame is >= @pfn; the anchor at worst. */
static struct vtd_iova_node *iova_first_ending_at_or_above(struct vtd_iova_domain *dom,
							   unsigned long pfn)
{
	struct rb_node *rb = dom->root.rb_node;
	struct vtd_iova_node *best = NULL;

	while (rb) {
		struct vtd_iova_node *n = iova_node(rb);

		if (n->pfn_last >= pfn) {
			best = n;
			rb = rb->rb_left;
		} else {
			rb = rb->rb_right;
		}
	}
	return best;
}

/*
 * The first node starting above @pfn; the anchor at worst (pfn <= last).
 * Counts the nodes it looks at in *@visits.
 */
static struct vtd_iova_node *iova_first_above(struct vtd_iova_domain *dom,
					      unsigned long pfn,
					      unsigned long *visits)
{
	struct rb_node *rb = dom->root.rb_node;
	struct vtd_iova_node *best = NULL;

	while (rb) {
		struct vtd_iova_node *n = iova_node(rb);

		++*visits;

		if (n->pfn_lo > pfn) {
			best = n;
			rb = rb->rb_left;
		} else {
			rb = rb->rb_right;
		}
	}
	return best;
}

/*
 * Link @node (bounds and reserved set) into the tree just below @succ, the
 * node whose gap holds it, split that gap between the two, and restore the
 * augmented values and colours. In key order @node goes right before
 * @succ: as @succ's left child, or as the right child of the rightmost
 * node of @succ's left subtree; either way @succ lies on the new leaf's
 * path to the root, so one climb from the leaf updates both changed gaps.
 */
static void iova_insert_below_locked(struct vtd_iova_domain *dom,
				     struct vtd_iova_node *node,
				     struct vtd_iova_node *succ)
{
	struct rb_node *parent = &succ->rb, **link = &parent->rb_left, *rb;

	lockdep_assert_held(&dom->lock);
	while (*link) {
		parent = *link;
		link = &parent->rb_right;
	}
	rb_link_node(&node->rb, parent, link);
	iova_set_gap(node, iova_gap_lo(succ));
	iova_set_gap(succ, node->pfn_last + 1);
	/*
	 * Below @succ only @node was added: stop there once nothing changes.
	 * @succ's own gap changed: from @succ up, propagate as usual.
	 */
	for (rb = &node->rb; rb != &succ->rb; rb = rb_parent(rb))
		if (iova_sub_update(iova_node(rb)))
			break;
	iova_aug_propagate(&succ->rb, NULL);
	rb_insert_augmented(&node->rb, &dom->root, &iova_aug_cb);

	if (node->reserved) {
		dom->nr_reserved++;
		dom->reserved_frames += node->pfn_last - node->pfn_lo + 1;
	} else {
		dom->nr_allocated++;
		dom->allocated_frames += node->pfn_last - node->pfn_lo + 1;
	}
}

/*
 * Unlink @node, let its successor (the anchor at worst: it is never
 * erased) absorb the gap, update the counters.
 */
static void iova_erase_locked(struct vtd_iova_domain *dom,
			      struct vtd_iova_node *node)
{
	struct vtd_iova_node *next = iova_node(rb_next(&node->rb));
	unsigned long gap_lo = iova_gap_lo(node);

	lockdep_assert_held(&dom->lock);
	rb_erase_augmented(&node->rb, &dom->root, &iova_aug_cb);
	iova_set_gap(next, gap_lo);
	iova_aug_propagate(&next->rb, NULL);
	if (node->reserved) {
		dom->nr_reserved--;
		dom->reserved_frames -= node->pfn_last - node->pfn_lo + 1;
	} else {
		dom->nr_allocated--;
		dom->allocated_frames -= node->pfn_last - node->pfn_lo + 1;
	}
}

/* --- search ---------------------------------------------------------- */

/*
 * May the subtree at @rb hold the request? Exact for the shapes section 4
 * names, necessary for the others. Counts the node it looks at.
 */
static bool iova_subtree_may_fit(struct rb_node *rb, struct iova_req *req)
{
	const struct vtd_iova_node *n = iova_node(rb);

	if (!n)
		return false;
	req->visits++;
	if (n->sub_gap < req->size)
		return false;
	return !req->fit_order || iova_fit(n, req->fit_order - 1) >= req->need;
}

/*
 * The exact test: the highest aligned start in the free span [lo, hi]
 * (hi already clipped to the limit) that leaves room for the request.
 */
static bool iova_span_fit(unsigned long lo, unsigned long hi,
			  const struct iova_req *req, unsigned long *pfn)
{
	unsigned long p;

	if (hi < lo || hi - lo + 1 < req->size)
		return false;
	p = (hi - req->size + 1) & ~(req->align - 1);
	if (p < lo)
		return false;
	*pfn = p;
	return true;
}

/*
 * The next node below @node, in key order, whose subtree part below @node
 * may hold the request, skipping subtrees that cannot (section 4). From a
 * node we either descend into its left subtree, to the rightmost node there
 * whose right subtree cannot fit, or climb to the first ancestor we reach
 * from its right.
 */
static struct vtd_iova_node *iova_prev_candidate(struct vtd_iova_node *node,
						 struct iova_req *req)
{
	struct rb_node *rb = &node->rb, *parent;

	if (iova_subtree_may_fit(rb->rb_left, req)) {
		rb = rb->rb_left;
		while (iova_subtree_may_fit(rb->rb_right, req))
			rb = rb->rb_right;
		return iova_node(rb);
	}
	while ((parent = rb_parent(rb)) && rb == parent->rb_left) {
		req->visits++;
		rb = parent;
	}
	if (parent)
		req->visits++;
	return iova_node(parent);
}

/* The node whose gap holds the request's range at *@pfn, or NULL. */
static struct vtd_iova_node *iova_find_space_locked(struct vtd_iova_domain *dom,
						    struct iova_req *req,
						    unsigned long *pfn)
{
	struct vtd_iova_node *node;

	lockdep_assert_held(&dom->lock);
	/* The gap that straddles the limit: clipped, checked on its own. */
	node = iova_first_above(dom, req->limit, &req->visits);
	if (iova_span_fit(iova_gap_lo(node),
			  min(node->pfn_lo - 1, req->limit), req, pfn))
		return node;
	/* Every gap below it lies wholly under the limit. */
	while ((node = iova_prev_candidate(node, req))) {
		if (iova_span_fit(iova_gap_lo(node), node->pfn_lo - 1, req,
				  pfn))
			return node;
	}
	return NULL;
}

static void iova_req_init(struct iova_req *req, unsigned long size,
			  unsigned long limit, unsigned long align)
{
	req->size = size;
	req->align = align;
	req->limit = limit;
	req->fit_order = min_t(unsigned int, ilog2(align),
			       VTD_IOVA_FIT_ORDERS);
	req->need = iova_sat32(size);
	req->visits = 0;
}

/* --- checker --------------------------------------------------------- */

static int iova_check_fail(struct vtd_iova_node *n, const char *what)
{
	pr_err("check: node [%#lx, %#lx]: %s\n", n->pfn_lo, n->pfn_last, what);
	return -EUCLEAN;
}

static int iova_check_node(struct vtd_iova_domain *dom,
			   struct vtd_iova_node *n, struct vtd_iova_node *prev)
{
	unsigned long gap_lo = prev ? prev->pfn_last + 1 : dom->start_pfn;
	u32 sub_fit[VTD_IOVA_FIT_ORDERS];
	unsigned long sub_gap;
	unsigned int j;

	if (n->pfn_lo > n->pfn_last)
		return iova_check_fail(n, "inverted");
	if (n->pfn_lo < gap_lo)
		return iova_check_fail(n, "overlaps its predecessor or starts below the space");
	if (n != dom->anchor && n->pfn_last > dom->last_pfn)
		return iova_check_fail(n, "ends above the space");
	if (prev && prev->reserved && n->reserved && n->pfn_lo == gap_lo)
		return iova_check_fail(n, "reserved range touches another one");
	if (n->own_gap != n->pfn_lo - gap_lo)
		return iova_check_fail(n, "stale gap");
	iova_sub_max(n, &sub_gap, sub_fit);
	for (j = 0; j < VTD_IOVA_FIT_ORDERS && sub_fit[j] == U32_MAX; j++)
		;
	if (n->sub_sat != j)
		return iova_check_fail(n, "stale count of saturated orders");
	for (j = 0; j < VTD_IOVA_FIT_ORDERS && sub_fit[j]; j++)
		;
	if (n->sub_orders != j)
		return iova_check_fail(n, "stale count of fitting orders");
	if (n->sub_gap != sub_gap)
		return iova_check_fail(n, "stale subtree maximum");
	for (j = n->sub_sat; j < n->sub_orders; j++)
		if (n->sub_fit[j] != sub_fit[j])
			return iova_check_fail(n, "stale subtree maximum");
	return 0;
}

static int iova_check_locked(struct vtd_iova_domain *dom)
{
	unsigned long nr[2] = {}, frames[2] = {};
	struct vtd_iova_node *n, *prev = NULL;
	struct rb_node *rb;
	int ret;

	lockdep_assert_held(&dom->lock);
	for (rb = rb_first(&dom->root); rb; rb = rb_next(rb)) {
		n = iova_node(rb);
		ret = iova_check_node(dom, n, prev);
		if (ret)
			return ret;
		if (n != dom->anchor) {
			nr[n->reserved]++;
			frames[n->reserved] += n->pfn_last - n->pfn_lo + 1;
		}
		prev = n;
	}
	if (prev != dom->anchor || dom->anchor->pfn_lo != dom->last_pfn + 1 ||
	    dom->anchor->pfn_last != dom->anchor->pfn_lo) {
		pr_err("check: anchor is not the last node at last + 1\n");
		return -EUCLEAN;
	}
	if (nr[0] != dom->nr_allocated || nr[1] != dom->nr_reserved ||
	    frames[0] != dom->allocated_frames ||
	    frames[1] != dom->reserved_frames) {
		pr_err("check: counters %lu/%lu ranges, %lu/%lu frames; tree has %lu/%lu, %lu/%lu\n",
		       dom->nr_allocated, dom->nr_reserved,
		       dom->allocated_frames, dom->reserved_frames,
		       nr[0], nr[1], frames[0], frames[1]);
		return -EUCLEAN;
	}
	return 0;
}

/* After a change, with iova_check set: the tree must still be sound. */
static void iova_debug_check_locked(struct vtd_iova_domain *dom)
{
	if (unlikely(READ_ONCE(iova_check)))
		WARN_ON_ONCE(iova_check_locked(dom));
}

/* --- reserve --------------------------------------------------------- */

/*
 * Bounds of the reservation [lo, last] merged with the reserved ranges it
 * overlaps or touches, or -EBUSY if it overlaps an allocation. Walks only
 * the ranges the reservation meets, which the commit then removes.
 */
static int iova_reserve_span_locked(struct vtd_iova_domain *dom,
				    unsigned long *lo, unsigned long *last)
{
	struct vtd_iova_node *n;
	unsigned long from = *lo ? *lo - 1 : 0;

	lockdep_assert_held(&dom->lock);
	for (n = iova_first_ending_at_or_above(dom, from);
	     n != dom->anchor && n->pfn_lo <= *last + 1;
	     n = iova_node(rb_next(&n->rb))) {
		if (!n->reserved) {
			if (n->pfn_lo <= *last && n->pfn_last >= *lo)
				return -EBUSY;
			continue;
		}
		*lo = min(*lo, n->pfn_lo);
		*last = max(*last, n->pfn_last);
	}
	return 0;
}

/* Replace the reserved ranges inside [lo, last] by @node; return them. */
static struct vtd_iova_node *iova_reserve_commit_locked(struct vtd_iova_domain *dom,
							struct vtd_iova_node *node)
{
	struct vtd_iova_node *n, *next, *gone = NULL;
	unsigned long visits = 0;

	n = iova_first_ending_at_or_above(dom, node->pfn_lo);
	for (; n != dom->anchor && n->pfn_lo <= node->pfn_last; n = next) {
		next = iova_node(rb_next(&n->rb));
		if (!n->reserved)
			continue;
		iova_erase_locked(dom, n);
		n->free_next = gone;
		gone = n;
	}
	/* [pfn_lo, pfn_last] is free now: it lies in the gap of the next node. */
	iova_insert_below_locked(dom, node,
				 iova_first_above(dom, node->pfn_lo, &visits));
	return gone;
}

/* --- exported API ---------------------------------------------------- */

/**
 * vtd_iova_alloc() - take a range of frames, top-down under a limit
 * @dom:	the domain
 * @size:	frames wanted, at least 1
 * @limit_pfn:	highest frame the range may include (a DMA mask's frame)
 * @align:	power-of-two alignment of the first frame, in frames
 * @gfp:	allocation flags for the range's node (GFP_ATOMIC in atomic
 *		context)
 * @pfn_out:	first frame of the range, on success
 *
 * Picks the highest aligned start whose whole range is free and at or
 * below @limit_pfn. Callable from any context with a matching @gfp.
 *
 * Return: 0, -EINVAL for a zero size or an alignment that is not a power
 * of two, -ENOSPC if no range fits, -ENOMEM if no node could be allocated.
 */
int vtd_iova_alloc(struct vtd_iova_domain *dom, unsigned long size,
		   unsigned long limit_pfn, unsigned long align, gfp_t gfp,
		   unsigned long *pfn_out)
{
	struct vtd_iova_node *node, *succ;
	struct iova_req req;
	unsigned long flags, pfn;
	int ret;

	if (!size || !is_power_of_2(align))
		return -EINVAL;
	if (limit_pfn < dom->start_pfn)
		return -ENOSPC;
	iova_req_init(&req, size, min(limit_pfn, dom->last_pfn), align);

	node = iova_node_alloc(gfp);
	if (!node)
		return -ENOMEM;

	spin_lock_irqsave(&dom->lock, flags);
	succ = iova_find_space_locked(dom, &req, &pfn);
	dom->last_search_visits = req.visits;
	ret = succ ? 0 : -ENOSPC;
	if (succ) {
		node->pfn_lo = pfn;
		node->pfn_last = pfn + size - 1;
		iova_insert_below_locked(dom, node, succ);
		node = NULL;
		iova_debug_check_locked(dom);
	}
	spin_unlock_irqrestore(&dom->lock, flags);

	if (node)
		kmem_cache_free(iova_node_cache, node);
	else
		*pfn_out = pfn;
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_iova_alloc);

/* The node starting exactly at @pfn, or NULL. */
static struct vtd_iova_node *iova_lookup_start_locked(struct vtd_iova_domain *dom,
						      unsigned long pfn)
{
	struct vtd_iova_node *n = iova_first_ending_at_or_above(dom, pfn);

	return n && n != dom->anchor && n->pfn_lo == pfn ? n : NULL;
}

/**
 * vtd_iova_free() - give back an allocated range
 * @dom:	the domain
 * @pfn:	first frame of the range, as returned by vtd_iova_alloc()
 * @size:	its size in frames, as passed to vtd_iova_alloc()
 *
 * A free that does not match a live allocation exactly changes nothing and
 * prints one warning.
 *
 * Return: 0, -ENOENT if no range starts at @pfn, -EPERM if that range is
 * reserved, -EINVAL if its size is not @size.
 */
int vtd_iova_free(struct vtd_iova_domain *dom, unsigned long pfn,
		  unsigned long size)
{
	struct vtd_iova_node *n;
	unsigned long flags, have = 0;
	int ret = 0;

	spin_lock_irqsave(&dom->lock, flags);
	n = iova_lookup_start_locked(dom, pfn);
	if (!n) {
		ret = -ENOENT;
	} else if (n->reserved) {
		ret = -EPERM;
	} else if (n->pfn_last - n->pfn_lo + 1 != size) {
		have = n->pfn_last - n->pfn_lo + 1;
		ret = -EINVAL;
	} else {
		iova_erase_locked(dom, n);
		iova_debug_check_locked(dom);
	}
	spin_unlock_irqrestore(&dom->lock, flags);

	if (!ret)
		kmem_cache_free(iova_node_cache, n);
	else if (ret == -EINVAL)
		pr_warn_ratelimited("refused free of %#lx: size %#lx, allocated %#lx\n",
				    pfn, size, have);
	else
		pr_warn_ratelimited("refused free of %#lx (size %#lx): %s\n", pfn,
				    size, ret == -EPERM ? "reserved range" :
				    "no allocation starts there");
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_iova_free);

/**
 * vtd_iova_reserve() - make frames a hole that is never handed out
 * @dom:	the domain
 * @pfn_lo:	first frame of the hole
 * @pfn_last:	last frame of the hole (inclusive)
 * @gfp:	allocation flags for the hole's node
 *
 * The hole is clipped to the domain; one wholly outside it is a no-op.
 * Holes that overlap or touch merge into one range.
 *
 * Return: 0, -EINVAL if @pfn_last < @pfn_lo, -EBUSY if an allocated frame
 * lies inside (nothing is reserved then), -ENOMEM.
 */
int vtd_iova_reserve(struct vtd_iova_domain *dom, unsigned long pfn_lo,
		     unsigned long pfn_last, gfp_t gfp)
{
	struct vtd_iova_node *node, *gone = NULL;
	unsigned long flags, lo, last;
	int ret;

	if (pfn_last < pfn_lo)
		return -EINVAL;
	if (pfn_last < dom->start_pfn || pfn_lo > dom->last_pfn)
		return 0;
	lo = max(pfn_lo, dom->start_pfn);
	last = min(pfn_last, dom->last_pfn);

	node = iova_node_alloc(gfp);
	if (!node)
		return -ENOMEM;

	spin_lock_irqsave(&dom->lock, flags);
	ret = iova_reserve_span_locked(dom, &lo, &last);
	if (!ret) {
		node->pfn_lo = lo;
		node->pfn_last = last;
		node->reserved = true;
		gone = iova_reserve_commit_locked(dom, node);
		iova_debug_check_locked(dom);
		node = NULL;
	}
	spin_unlock_irqrestore(&dom->lock, flags);

	if (node)
		kmem_cache_free(iova_node_cache, node);
	iova_free_list(gone);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_iova_reserve);

/* Copy up to @max of @src's reserved ranges, clipped to @dst, into @nodes. */
static unsigned long iova_copy_reserved_locked(struct vtd_iova_domain *src,
					       struct vtd_iova_domain *dst,
					       struct vtd_iova_node **nodes,
					       unsigned long max)
{
	struct vtd_iova_node *n, *c;
	unsigned long i = 0;
	struct rb_node *rb;

	lockdep_assert_held(&src->lock);
	for (rb = rb_first(&src->root); rb; rb = rb_next(rb)) {
		n = iova_node(rb);
		if (!n->reserved || n->pfn_last < dst->start_pfn ||
		    n->pfn_lo > dst->last_pfn)
			continue;
		if (WARN_ON_ONCE(i == max))
			break;
		c = nodes[i++];
		c->pfn_lo = max(n->pfn_lo, dst->start_pfn);
		c->pfn_last = min(n->pfn_last, dst->last_pfn);
		c->reserved = true;
	}
	return i;
}

/*
 * Build @dst's tree from @nr sorted, disjoint, non-touching reserved nodes
 * and the anchor in linear time: each new node is the maximum so far, so it
 * hangs off the rightmost node, which never has a right child. Plain
 * rb_insert_color() keeps the colours; the gaps and maxima are filled in
 * afterwards by one post-order pass, children before parents.
 */
static void iova_build_sorted_locked(struct vtd_iova_domain *dst,
				     struct vtd_iova_node **nodes,
				     unsigned long nr)
{
	struct vtd_iova_node *n, *tmp, *prev = NULL;
	struct rb_node *rightmost = NULL;
	unsigned long i;

	lockdep_assert_held(&dst->lock);
	rb_erase(&dst->anchor->rb, &dst->root);
	for (i = 0; i <= nr; i++) {
		n = i < nr ? nodes[i] : dst->anchor;
		rb_link_node(&n->rb, rightmost,
			     rightmost ? &rightmost->rb_right : &dst->root.rb_node);
		rb_insert_color(&n->rb, &dst->root);
		iova_set_gap(n, prev ? prev->pfn_last + 1 : dst->start_pfn);
		rightmost = &n->rb;
		prev = n;
		if (n != dst->anchor) {
			dst->nr_reserved++;
			dst->reserved_frames += n->pfn_last - n->pfn_lo + 1;
		}
	}
	rbtree_postorder_for_each_entry_safe(n, tmp, &dst->root, rb)
		iova_sub_update(n);
}

/**
 * vtd_iova_clone_reserved() - copy a domain's holes into an empty domain
 * @dst:	the new domain; it must hold no ranges
 * @src:	the template domain
 * @gfp:	allocation flags for the new nodes
 *
 * Every reserved range of @src, clipped to @dst's space, becomes a reserved
 * range of @dst. Takes time linear in the number of ranges copied.
 *
 * Return: 0, -EBUSY if @dst already holds ranges, -ENOMEM.
 */
int vtd_iova_clone_reserved(struct vtd_iova_domain *dst,
			    struct vtd_iova_domain *src, gfp_t gfp)
{
	unsigned long want, nr, used = 0, flags, i;
	struct vtd_iova_node **nodes;
	int ret = 0;

	for (;;) {
		want = READ_ONCE(src->nr_reserved);
		nodes = kvcalloc(max(want, 1UL), sizeof(*nodes), gfp);
		if (!nodes)
			return -ENOMEM;
		for (nr = 0; nr < want; nr++) {
			nodes[nr] = iova_node_alloc(gfp);
			if (!nodes[nr]) {
				ret = -ENOMEM;
				goto out_free_unused;
			}
		}
		/* Allocated with the lock dropped: re-check the count under it. */
		spin_lock_irqsave(&src->lock, flags);
		if (src->nr_reserved <= want)
			break;
		spin_unlock_irqrestore(&src->lock, flags);
		for (i = 0; i < nr; i++)
			kmem_cache_free(iova_node_cache, nodes[i]);
		kvfree(nodes);
	}
	used = iova_copy_reserved_locked(src, dst, nodes, want);
	spin_unlock_irqrestore(&src->lock, flags);

	spin_lock_irqsave(&dst->lock, flags);
	if (dst->nr_allocated || dst->nr_reserved) {
		ret = -EBUSY;
		used = 0;
	} else {
		iova_build_sorted_locked(dst, nodes, used);
		iova_debug_check_locked(dst);
	}
	spin_unlock_irqrestore(&dst->lock, flags);

out_free_unused:
	/* nodes[0, used) now belong to @dst; the rest were not needed. */
	for (i = used; i < nr; i++)
		kmem_cache_free(iova_node_cache, nodes[i]);
	kvfree(nodes);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_iova_clone_reserved);

/**
 * vtd_iova_find() - the range that contains a frame
 * @dom:	the domain
 * @pfn:	the frame
 * @out:	a copy of the range; it describes the range as it was under the
 *		lock, and stays valid whatever happens to the range later
 *
 * Return: 0, or -ENOENT if @pfn is free or outside the domain.
 */
int vtd_iova_find(struct vtd_iova_domain *dom, unsigned long pfn,
		  struct vtd_iova_range *out)
{
	struct vtd_iova_node *n;
	unsigned long flags;
	int ret = -ENOENT;

	spin_lock_irqsave(&dom->lock, flags);
	n = iova_first_ending_at_or_above(dom, pfn);
	if (n && n != dom->anchor && n->pfn_lo <= pfn) {
		out->pfn_lo = n->pfn_lo;
		out->pfn_last = n->pfn_last;
		out->reserved = n->reserved;
		ret = 0;
	}
	spin_unlock_irqrestore(&dom->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_iova_find);

/**
 * vtd_iova_get_stats() - a consistent snapshot of a domain's counters
 * @dom:	the domain
 * @st:		filled in
 */
void vtd_iova_get_stats(struct vtd_iova_domain *dom, struct vtd_iova_stats *st)
{
	unsigned long flags;

	spin_lock_irqsave(&dom->lock, flags);
	st->nr_allocated = dom->nr_allocated;
	st->nr_reserved = dom->nr_reserved;
	st->allocated_frames = dom->allocated_frames;
	st->reserved_frames = dom->reserved_frames;
	st->largest_gap = iova_node(dom->root.rb_node)->sub_gap;
	st->last_search_visits = dom->last_search_visits;
	spin_unlock_irqrestore(&dom->lock, flags);
	st->bytes = (st->nr_allocated + st->nr_reserved + 1) *
		    kmem_cache_size(iova_node_cache);
}
EXPORT_SYMBOL_GPL(vtd_iova_get_stats);

/**
 * vtd_iova_check() - verify every invariant of a domain (O(n))
 * @dom:	the domain
 *
 * Prints the first broken invariant it finds.
 *
 * Return: 0 if the tree is sound, -EUCLEAN otherwise.
 */
int vtd_iova_check(struct vtd_iova_domain *dom)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&dom->lock, flags);
	ret = iova_check_locked(dom);
	spin_unlock_irqrestore(&dom->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_iova_check);

/**
 * vtd_iova_node_bytes() - memory one range costs
 *
 * Return: the object size of a range node in its slab cache (the slab's
 * own per-object metadata, if debugging adds any, comes on top).
 */
size_t vtd_iova_node_bytes(void)
{
	return kmem_cache_size(iova_node_cache);
}
EXPORT_SYMBOL_GPL(vtd_iova_node_bytes);

/**
 * vtd_iova_domain_init() - set up an empty domain
 * @dom:	the domain to initialise
 * @granule:	bytes per frame, a power of two (1 for an ID allocator)
 * @start_pfn:	first frame that may be handed out
 * @last_pfn:	last frame that may be handed out, below ULONG_MAX
 *
 * May sleep.
 *
 * Return: 0, -EINVAL for a bad granule or bounds, -ENOMEM.
 */
int vtd_iova_domain_init(struct vtd_iova_domain *dom, unsigned long granule,
			 unsigned long start_pfn, unsigned long last_pfn)
{
	struct vtd_iova_node *anchor;

	if (!is_power_of_2(granule) || start_pfn > last_pfn ||
	    last_pfn == ULONG_MAX)
		return -EINVAL;
	anchor = iova_node_alloc(GFP_KERNEL);
	if (!anchor)
		return -ENOMEM;

	memset(dom, 0, sizeof(*dom));
	spin_lock_init(&dom->lock);
	dom->root = RB_ROOT;
	dom->start_pfn = start_pfn;
	dom->last_pfn = last_pfn;
	dom->granule_lg2 = ilog2(granule);
	anchor->pfn_lo = last_pfn + 1;
	anchor->pfn_last = last_pfn + 1;
	iova_set_gap(anchor, start_pfn);
	iova_sub_update(anchor);
	rb_link_node(&anchor->rb, NULL, &dom->root.rb_node);
	rb_insert_color(&anchor->rb, &dom->root);
	dom->anchor = anchor;
	return 0;
}
EXPORT_SYMBOL_GPL(vtd_iova_domain_init);

/**
 * vtd_iova_domain_destroy() - free every range of a domain, and the anchor
 * @dom:	the domain; nobody may use it during or after the call
 */
void vtd_iova_domain_destroy(struct vtd_iova_domain *dom)
{
	struct vtd_iova_node *n, *next;

	/* The caches point at the domain: they must be gone first. */
	WARN_ON_ONCE(dom->cache);

	rbtree_postorder_for_each_entry_safe(n, next, &dom->root, rb)
		kmem_cache_free(iova_node_cache, n);
	dom->root = RB_ROOT;
	dom->anchor = NULL;
}
EXPORT_SYMBOL_GPL(vtd_iova_domain_destroy);

/* --- module init / exit ---------------------------------------------- */

int vtd_iova_init(void)
{
	int ret;

	iova_node_cache = kmem_cache_create("vtd_iova_node",
					    sizeof(struct vtd_iova_node), 0, 0,
					    NULL);
	if (!iova_node_cache)
		return -ENOMEM;
	ret = vtd_iova_cache_module_init();
	if (ret)
		kmem_cache_destroy(iova_node_cache);
	return ret;
}

void vtd_iova_exit(void)
{
	vtd_iova_cache_module_exit();
	kmem_cache_destroy(iova_node_cache);
}

/**
 * vtd_iova_checking() - whether the iova_check parameter is on
 *
 * Return: true if every change should be checked (the caches then also
 * check each free against the tree).
 */
bool vtd_iova_checking(void)
{
	return READ_ONCE(iova_check);
}

/* --- iteration, for debugfs ------------------------------------------ */

/**
 * vtd_iova_find_next() - the first range that ends at or above a frame
 * @dom:	the domain
 * @pfn:	where to look from
 * @out:	a copy of the range (the one containing @pfn if there is one,
 *		else the next one up); valid after the lock is dropped
 *
 * Walks every range in order in O(log n) per step without holding the
 * lock between steps: start at the domain's first frame and go on from
 * @out->pfn_last + 1. Ranges freed or added meanwhile are seen or not.
 * Context: any.
 * Return: 0, or -ENOENT if no range ends at or above @pfn.
 */
int vtd_iova_find_next(struct vtd_iova_domain *dom, unsigned long pfn,
		       struct vtd_iova_range *out)
{
	struct vtd_iova_node *n;
	unsigned long flags;
	int ret = -ENOENT;

	spin_lock_irqsave(&dom->lock, flags);
	n = iova_first_ending_at_or_above(dom, pfn);
	if (n && n != dom->anchor) {
		out->pfn_lo = n->pfn_lo;
		out->pfn_last = n->pfn_last;
		out->reserved = n->reserved;
		ret = 0;
	}
	spin_unlock_irqrestore(&dom->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(vtd_iova_find_next);
