#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Do the userspace tests notice a broken allocator? Each mutant below is one
# small, known bug put into a copy of iova.c under BUILD_DIR (never the
# source tree); the tests built from that copy must fail. Prints one line
# per mutant and which suite caught it; exits non-zero if a mutant survives
# or no longer applies (iova.c changed: update the table).
#
# usage: mutants.sh BUILD_DIR [NAME...]

set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=$1
shift
only=" $* "

# name | text in iova.c | replacement ("\n" and "\t" are newline and tab)
mutants=(
"align-ignored|p = (hi - req->size + 1) & ~(req->align - 1);|p = hi - req->size + 1;"
"limit-ignored-in-straddling-gap|min(node->pfn_lo - 1, req->limit)|node->pfn_lo - 1"
"walk-stops-early|\t\twhile (iova_subtree_may_fit(rb->rb_right, req))|\t\tif (iova_subtree_may_fit(rb->rb_right, req))"
"fit-pruning-off-by-one-order|iova_fit(n, req->fit_order - 1) >= req->need|iova_fit(n, req->fit_order) >= req->need"
"fit-pruning-dropped|iova_fit(n, req->fit_order - 1) >= req->need;|iova_fit(n, req->fit_order - 1) >= 0;"
"gap-fit-off-by-one|return waste < len ? len - waste : 0;|return waste <= len ? len - waste + 1 : 0;"
"erase-keeps-stale-gap|rb_erase_augmented(&node->rb, &dom->root, &iova_aug_cb);\n\tiova_set_gap(next, gap_lo);\n\tiova_aug_propagate(&next->rb, NULL);|rb_erase_augmented(&node->rb, &dom->root, &iova_aug_cb);"
"erase-gap-not-propagated|\tiova_set_gap(next, gap_lo);\n\tiova_aug_propagate(&next->rb, NULL);|\tiova_set_gap(next, gap_lo);"
"insert-climb-stops-below-succ|\tiova_aug_propagate(&succ->rb, NULL);\n\trb_insert_augmented|\trb_insert_augmented"
"fit-ignores-saturated-run|\tif (j < n->sub_sat)\n\t\treturn U32_MAX;|\tif (0)\n\t\treturn U32_MAX;"
"update-misses-orders-change|(orders ^ node->sub_orders)|(orders ^ orders)"
"gap-orders-off-by-one|fls_long((lo - 1) ^ (lo + len - 1)) - 1,|fls_long((lo - 1) ^ (lo + len - 1)),"
"reserve-no-merge-above|n->pfn_lo <= *last + 1;|n->pfn_lo <= *last;"
"reserve-no-merge-below|unsigned long from = *lo ? *lo - 1 : 0;|unsigned long from = *lo;"
"reserved-frames-miscounted|dom->reserved_frames += node->pfn_last - node->pfn_lo + 1;|dom->reserved_frames += node->pfn_last - node->pfn_lo;"
"free-of-reserved-allowed|} else if (n->reserved) {|} else if (0) {"
"free-of-smaller-size-allowed|} else if (n->pfn_last - n->pfn_lo + 1 != size) {|} else if (n->pfn_last - n->pfn_lo + 1 < size) {"
"clone-not-clipped|c->pfn_last = min(n->pfn_last, dst->last_pfn);|c->pfn_last = n->pfn_last;"
"stats-largest-gap-wrong|st->largest_gap = iova_node(dom->root.rb_node)->sub_gap;|st->largest_gap = iova_node(dom->root.rb_node)->own_gap;"
"alloc-leaks-node-on-enospc|\tif (node)\n\t\tkmem_cache_free(iova_node_cache, node);\n\telse\n\t\t*pfn_out = pfn;|\tif (!node)\n\t\t*pfn_out = pfn;"
"clone-leaks-unused-node|for (i = used; i < nr; i++)|for (i = used + 1; i < nr; i++)"
"reserve-double-free|\tiova_free_list(gone);\n\treturn ret;|\tiova_free_list(gone);\n\tiova_free_list(gone);\n\treturn ret;"
"free-without-lock|\tspin_lock_irqsave(&dom->lock, flags);\n\tn = iova_lookup_start_locked(dom, pfn);|\tn = iova_lookup_start_locked(dom, pfn);"
"fail-nth-knob-ignored|if (nth && atomic_inc_return|if (0 && nth && atomic_inc_return"
"enomem-after-change|\tnode = iova_node_alloc(gfp);\n\tif (!node)\n\t\treturn -ENOMEM;\n\n\tspin_lock_irqsave(&dom->lock, flags);\n\tret = iova_reserve_span_locked|\tnode = iova_node_alloc(gfp);\n\tif (!node) {\n\t\tdom->reserved_frames++;\n\t\treturn -ENOMEM;\n\t}\n\n\tspin_lock_irqsave(&dom->lock, flags);\n\tret = iova_reserve_span_locked"
)

suites="contract cost failnth random threads"
fuzz_seconds=${MUTANT_FUZZ_SECONDS:-0}
survived=0
broken=0
mkdir -p "$out"
for m in "${mutants[@]}"; do
	IFS='|' read -r name old new <<< "$m"
	[ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || continue
	d=$out/$name
	rm -rf "$d"
	mkdir -p "$d/tools"
	cp "$top/iova.h" "$top/iova_rcache.c" "$d/"
	(cd "$here" && tar --exclude=./build -cf - .) | tar -C "$d/tools" -xf -
	if ! OLD=$(printf '%b' "$old") NEW=$(printf '%b' "$new") perl -0pe '
		BEGIN { $n = 0 }
		$n += s/\Q$ENV{OLD}\E/$ENV{NEW}/;
		END { exit($n == 1 ? 0 : 3) }' "$top/iova.c" > "$d/iova.c"; then
		printf 'BROKEN    %-34s does not apply to iova.c any more\n' "$name"
		broken=$((broken + 1))
		continue
	fi
	# Without -Werror: a mutant may leave a variable unused.
	if ! make -s -C "$d/tools" WERROR= "$d/tools/build/gcc/iova_test" \
		> "$d/build.log" 2>&1; then
		printf 'BROKEN    %-34s does not build (see %s)\n' "$name" "$d/build.log"
		broken=$((broken + 1))
		continue
	fi
	# Every suite, to show which ones see the bug; the first reason given.
	killers=
	why=
	for s in $suites; do
		# (grouped, so that bash announces a crash to /dev/null)
		{ timeout 300 "$d/tools/build/gcc/iova_test" -s 1 "$s" \
			> "$d/$s.log" 2>&1; } 2> /dev/null && continue
		killers="$killers $s"
		[ -n "$why" ] || why=$(grep -m1 -E 'FAIL line|MISMATCH|shim: BUG|threads: |ERROR: AddressSanitizer|runtime error' "$d/$s.log" | sed 's/^ *//' | cut -c1-80)
	done
	if [ "$fuzz_seconds" -gt 0 ] &&
	   make -s -C "$d/tools" WERROR= "$d/tools/build/fuzz/iova_fuzz" > "$d/build-fuzz.log" 2>&1; then
		(cd "$d/tools/build/fuzz" && mkdir -p corpus &&
		 ./iova_fuzz -max_total_time="$fuzz_seconds" -artifact_prefix=./ \
			corpus "$here/fuzz/corpus-iova" > "$d/fuzz.log" 2>&1) ||
			killers="$killers fuzz"
	fi
	if [ -n "$killers" ]; then
		printf 'killed    %-34s by%s\n          %s\n' "$name" "$killers" "$why"
	else
		printf 'SURVIVED  %-34s\n' "$name"
		survived=$((survived + 1))
	fi
done
echo "$survived survived, $broken broken"
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ]
