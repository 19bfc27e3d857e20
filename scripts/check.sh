#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test layer of vtd-remap, fastest first. Prints one line
# per suite or check and ends with "N passed, N failed"; exits non-zero if
# anything failed. Logs go to build/logs/.
#
#   1. userspace: the allocator under ASan/UBSan (tools/), a short fuzz pass
#   2. the guest: KUnit suites and the scenarios (edu DMA, faults,
#      isolation, disk integrity through the shim, load/unload) in the test
#      kernel in QEMU, two boots of different shapes; then the main job on
#      the stock kernel, and stock boots with an owned disk held open and
#      with an nvme hot-added through pciehp
#   3. static: checkpatch --strict, sparse (C=2), W=1 builds
#
# Environment: VTD_CHECK_ONLY=userspace|guest|static runs one layer
# (kunit is a synonym of guest).

set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
logs=build/logs
mkdir -p "$logs"
passed=0
failed=0

# Count one check: $1 name, $2 exit status, $3 log to point at on failure.
record() {
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		printf 'PASS  %s\n' "$1"
	else
		failed=$((failed + 1))
		printf 'FAIL  %s  (see %s)\n' "$1" "$3"
	fi
}

# Add the counts of a "N passed, N failed" line in log $1 (0 0 if none).
add_counts() {
	local line p f
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
}

want() {
	[ -z "${VTD_CHECK_ONLY:-}" ] || [ "$VTD_CHECK_ONLY" = "$1" ]
}

scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

# --- 1. userspace ----------------------------------------------------------
if want userspace && [ -f tools/Makefile ]; then
	make -s -C tools test > "$logs/userspace.log" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL) ' "$logs/userspace.log"
	add_counts "$logs/userspace.log"
	[ $rc -eq 0 ] || grep -qE '^[0-9]+ passed, [1-9]' "$logs/userspace.log" ||
		record "userspace build and run" $rc "$logs/userspace.log"
	make -s -C tools/dmar test > "$logs/dmar.log" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL) ' "$logs/dmar.log" | grep -v '^PASS' || true
	grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/dmar.log" | sed 's/^/      dmar: /'
	add_counts "$logs/dmar.log"
	[ $rc -eq 0 ] || grep -qE '^[0-9]+ passed, [1-9]' "$logs/dmar.log" ||
		record "dmar tests build and run" $rc "$logs/dmar.log"
	make -s -C tools/pgtable test > "$logs/pgtable.log" 2>&1
	rc=$?
	grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/pgtable.log" | sed 's/^/      pgtable: /'
	add_counts "$logs/pgtable.log"
	[ $rc -eq 0 ] || grep -qE '^[0-9]+ passed, [1-9]' "$logs/pgtable.log" ||
		record "pgtable tests build and run" $rc "$logs/pgtable.log"
	make -s -C tools/dmar fuzz-short > "$logs/fuzz-dmar.log" 2>&1
	record "fuzz dmar (short pass)" $? "$logs/fuzz-dmar.log"
	if grep -q '^fuzz-iova-short:' tools/Makefile; then
		make -s -C tools fuzz-iova-short > "$logs/fuzz-iova.log" 2>&1
		record "fuzz iova (short pass)" $? "$logs/fuzz-iova.log"
	fi
fi

# --- 2. the guest: KUnit and the scenarios, under the sanitizer kernel ----
# Each boot runs several scenarios (kmemleak, the slow part, is checked once
# per boot). The two boots differ in every axis the issues name: address
# width, caching mode, CPUs, memory (above 4 GiB in the second), and the
# invalidation path (register-based in the first, queued in the second).
# disk-integrity runs in both without the second read (256 MiB per disk
# took 18 minutes under KASAN on one CPU; the full size runs in make
# matrix): 64 MiB per disk with deferred unmaps in the first, 32 MiB per
# disk through shadow buffers (unmap=shadow) in the second.
# The first boot's shim devices unmap deferred (unmap=deferred), and it
# shows the deferred window on QEMU's IOTLB (deferred-window), a fault
# storm blocked (fault-storm) and rmmod refused while an owned disk is held
# open (unload-busy). Both run every DMA-API operation through
# the shim on edu (dma-api); the second also has an intel-hda controller
# playing through a dma_mmap_coherent buffer (hda-play). The fields of a
# run: tag | runner options | scenarios | scenario arguments | devices.
# The whole matrix is `make matrix` (scripts/scenario-matrix.sh). Each
# boot's time limit is qemu-boot.sh's estimate for it (it prints the
# figure and how it was reached).
guest_runs=(
	"aw39-cmoff-smp1|--aw-bits 39 --caching-mode off --smp 1 --mem 1G|kunit,dma-api,edu-dma,edu-fault,isolation,fault-storm,disk-integrity,load-unload,deferred-window,unload-busy|remap=invalidation=register,unmap=deferred load-unload.count=50 disk-integrity.mib=64 disk-integrity.after=no|edu edu nvme,virtio-blk"
	"aw48-cmon-smp4|--aw-bits 48 --caching-mode on --smp 4 --mem 5G|kunit,dma-api,edu-dma,edu-fault,isolation,hda-play,disk-integrity,load-unload|load-unload.count=10 disk-integrity.remap=unmap=shadow disk-integrity.mib=32 disk-integrity.after=no|edu edu nvme,virtio-blk hda"
)
if want kunit || want guest; then
	make -s test-modules > "$logs/test-modules.log" 2>&1
	rc=$?
	record "build test kernel and test modules" $rc "$logs/test-modules.log"
	if [ $rc -eq 0 ]; then
		: > "$logs/kunit-totals"
		for run in "${guest_runs[@]}"; do
			IFS='|' read -r tag opts guest_scenarios sargs devs <<< "$run"
			devopts=()
			for d in $devs; do devopts+=(--devices "$d"); done
			log="$logs/guest-$tag.log"
			# shellcheck disable=SC2086
			scripts/qemu-boot.sh --no-build --kernel test $opts \
				"${devopts[@]}" \
				--scenario "$guest_scenarios" --scenario-args "$sargs" \
				--log "$log" > "$logs/guest-$tag.out" 2>&1
			rc=$?
			grep -E '^VTD-SCENARIO-END [^ ]+ status=[0-9]+ \(' "$log" |
				sed 's/^VTD-SCENARIO-END /      /'
			tail -n 1 "$logs/guest-$tag.out" | sed 's/^/      /'
			record "guest $tag: $guest_scenarios (sanitizers silent)" $rc "$log"
			scripts/ktap.py "$log" --label "$tag" --totals "$logs/kunit-totals" \
				> "$logs/ktap-$tag.txt" 2>&1
			rc=$?
			cat "$logs/ktap-$tag.txt"
			[ $rc -eq 0 ] || [ -s "$logs/kunit-totals" ] ||
				record "KTAP results, $tag" $rc "$log"
		done
		while read -r p f _; do
			passed=$((passed + p))
			failed=$((failed + f))
		done < "$logs/kunit-totals"
	fi
fi

# --- 2b. the main job on the stock kernel ---------------------------------
if want guest || want kunit; then
	if make -s > "$logs/stock-modules.log" 2>&1; then
		scripts/qemu-boot.sh --no-build --log "$logs/main-job.log" \
			> "$logs/main-job.out" 2>&1
		rc=$?
		tail -n 1 "$logs/main-job.out" | sed 's/^/      /'
		record "main job: scripts/qemu-boot.sh on the stock kernel" $rc "$logs/main-job.log"
		# Drivers that free after their remove (nvme held open): on the
		# stock kernel, whose lack of DMA-API debug lets nvme be unbound
		# and removed with its disk open (the test kernel reports nvme's
		# pending buffers at the unbind, with or without vtd_remap).
		scripts/qemu-boot.sh --no-build --devices nvme \
			--scenario unload-busy,rescan \
			--scenario-args "unload-busy.unbind=yes rescan.hold=yes rescan.mib=8" \
			--log "$logs/held-open.log" > "$logs/held-open.out" 2>&1
		rc=$?
		tail -n 1 "$logs/held-open.out" | sed 's/^/      /'
		record "held open on the stock kernel: unload-busy unbind=yes, rescan hold=yes" $rc "$logs/held-open.log"
		# Hot-add and removal through pciehp itself (the test kernel's
		# lockdep reports pciehp's own lock order: scenarios/hotplug.sh).
		scripts/qemu-boot.sh --no-build --topology pcie-root-port \
			--devices none --scenario hotplug \
			--scenario-args "via=pciehp mib=8" \
			--log "$logs/hotplug-pciehp.log" > "$logs/hotplug-pciehp.out" 2>&1
		rc=$?
		tail -n 1 "$logs/hotplug-pciehp.out" | sed 's/^/      /'
		record "hotplug through pciehp on the stock kernel" $rc "$logs/hotplug-pciehp.log"
	else
		record "build against the stock headers" 1 "$logs/stock-modules.log"
	fi
fi

# --- 3. static checks ------------------------------------------------------
if want static; then
	kdir=$(scripts/test-kernel.sh --print-dir)
	cp=$(ls -d "${VTD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtd-remap}"/src-*/linux-source-6.1/scripts/checkpatch.pl 2>/dev/null | tail -n 1)
	files=$(git ls-files '*.c' '*.h')
	if [ -n "$cp" ]; then
		# shellcheck disable=SC2086
		perl "$cp" --no-tree --strict --terse --show-types -f $files \
			> "$logs/checkpatch.log" 2>&1
		! grep -qE ': (ERROR|WARNING|CHECK):' "$logs/checkpatch.log"
		record "checkpatch --strict ($(echo "$files" | wc -w) files)" $? "$logs/checkpatch.log"
	else
		echo "no checkpatch.pl: run scripts/test-kernel.sh" > "$logs/checkpatch.log"
		record "checkpatch --strict" 1 "$logs/checkpatch.log"
	fi

	# W=1, then sparse over every file, against the stock headers and
	# against the test kernel (the only one where the KUnit code compiles).
	for k in stock test; do
		if [ $k = stock ]; then kd=$(ls -d /lib/modules/*/build | sort -V | tail -n 1)
		else kd=$kdir; fi
		d=build/static-$k
		mkdir -p "$d/kunit"
		for f in Kbuild $(git ls-files '*.c' '*.h' 'kunit/Kbuild' | grep -v '^tools/'); do
			mkdir -p "$d/$(dirname "$f")"
			ln -sfn "$top/$f" "$d/$f"
		done
		make -C "$kd" M="$top/$d" W=1 modules > "$logs/w1-$k.log" 2>&1
		rc=$?
		[ $rc -eq 0 ] && ! grep -qE 'warning:|error:' "$logs/w1-$k.log"
		record "W=1 build without warnings ($k kernel)" $? "$logs/w1-$k.log"
		make -C "$kd" M="$top/$d" C=2 modules > "$logs/sparse-$k.log" 2>&1
		rc=$?
		[ $rc -eq 0 ] && ! grep -qE 'warning:|error:' "$logs/sparse-$k.log"
		record "sparse C=2 clean ($k kernel)" $? "$logs/sparse-$k.log"
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
