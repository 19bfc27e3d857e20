#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scenario-matrix.sh: the edu scenarios (edu-dma, edu-fault, isolation,
# load-unload) across the guest configurations issue 5 asks for: aw-bits 39
# and 48, caching mode on and off, 1 to 4 CPUs, 2 and 8 GiB of memory, the
# stock and the sanitizer kernel. Long: a boot of the sanitizer kernel
# costs one to several minutes, most of it kmemleak's scans.
#
# Default (pairwise): per kernel, eight boots that together cover every
# pair of values of aw-bits, caching mode, CPUs and memory; each boot runs
# all four scenarios with two edu devices (one boot, one kmemleak check).
# Two of the eight load vtd_remap with invalidation=register, so both
# invalidation paths do real DMA, and one with passthrough=0 (the other
# devices in an identity domain). --full: every combination, 64 boots per
# kernel. Then, without --scenarios, one boot per kernel of the scenarios
# that need a topology of their own (aliases). With the sanitizer kernel,
# three more boots follow: devices that appear and go after load (the PCI
# bus notifier): hotplug (an nvme behind a PCIe root port, removed in
# sysfs and added by the host into the slot the guest switched off and on,
# without pciehp: scenarios/hotplug.sh says why), rescan (sysfs remove and
# rescan of an owned
# nvme) and sriov (nvme VFs); --pci-only runs just those. Ends with one
# line: "N passed, N failed".
#
# usage: scripts/scenario-matrix.sh [--full] [--kernel stock|test|both]
#                                   [--scenarios LIST] [--count N]
#                                   [--pci-only] [--dry-run]

set -uo pipefail

me=scenario-matrix
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

full=0
kernels="stock test"
scenarios=edu-dma,edu-fault,isolation,load-unload
count=50
dry=0
pci_only=0

usage() {
	sed -n '3,23p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case "$1" in
	--full) full=1 ;;
	--kernel)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		case "$2" in
		stock | test) kernels=$2 ;;
		both) kernels="stock test" ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
		;;
	--scenarios)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		scenarios=$2
		shift
		;;
	--count)
		if [ $# -lt 2 ] || ! [[ "$2" =~ ^[1-9][0-9]*$ ]]; then
			usage >&2
			exit 2
		fi
		count=$2
		shift
		;;
	--dry-run) dry=1 ;;
	--pci-only) pci_only=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

# One configuration a line: aw-bits caching-mode CPUs memory vtd_remap
# parameters ("-" for none). Every pair of values of the first four
# columns appears in some line.
pairwise() {
	cat <<EOF
39 off 1 2G -
48 on 1 8G -
39 on 2 8G invalidation=register
48 off 2 2G -
39 off 3 8G -
48 on 3 2G invalidation=register
39 on 4 2G -
48 off 4 8G passthrough=0
EOF
}

every() {
	local aw cm smp mem
	for aw in 39 48; do
		for cm in off on; do
			for smp in 1 2 3 4; do
				for mem in 2G 8G; do
					echo "$aw $cm $smp $mem -"
				done
			done
		done
	done
}

logdir=$top/build/logs/matrix
mkdir -p "$logdir"
summary=$logdir/summary.txt
: > "$summary"

if [ $dry -eq 0 ]; then
	echo "$me: building (make, make test-modules)"
	for k in $kernels; do
		if [ "$k" = stock ]; then
			make -s -C "$top" > "$logdir/build-stock.log" 2>&1 ||
				{ echo "$me: make failed: $logdir/build-stock.log"; exit 1; }
		else
			make -s -C "$top" test-modules > "$logdir/build-test.log" 2>&1 ||
				{ echo "$me: make test-modules failed: $logdir/build-test.log"; exit 1; }
		fi
	done
fi

passed=0
failed=0
start=$(date +%s)

# run NAME CMD...: one boot, its verdict counted and added to the summary.
run() {
	local name=$1 t0 rc secs verdict line
	shift
	if [ $dry -eq 1 ]; then
		# Quoted for the shell: each line can be run as it is.
		printf '%q ' "$@"
		echo
		return
	fi
	t0=$(date +%s)
	"$@" > "$logdir/$name.out" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	verdict=$(tail -n 1 "$logdir/$name.out")
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		line="PASS $name ($secs s)"
	else
		failed=$((failed + 1))
		line="FAIL $name ($secs s): $verdict"
	fi
	echo "$line" | tee -a "$summary"
}

[ $pci_only -eq 0 ] || kernels_pairwise=
for k in ${kernels_pairwise-$kernels}; do
	if [ $full -eq 1 ]; then configs=$(every); else configs=$(pairwise); fi
	while read -r aw cm smp mem params; do
		args="load-unload.count=$count"
		[ "$params" = - ] || args+=" remap=$params"
		name=$k-aw$aw-cm$cm-smp$smp-mem$mem
		[ "$params" = - ] || name+=-${params//=/-}
		log=$logdir/$name.log
		# The time limit is qemu-boot.sh's own estimate for the run
		# (kernel, memory, CPUs, scenarios), printed before each boot.
		# shellcheck disable=SC2054 # edu,edu is one word
		cmd=(scripts/qemu-boot.sh --no-build --kernel "$k" --aw-bits "$aw"
			--caching-mode "$cm" --smp "$smp" --mem "$mem"
			--devices edu,edu --scenario "$scenarios"
			--scenario-args "$args" --log "$log")
		# disk-integrity needs its two disks.
		# shellcheck disable=SC2054 # nvme,virtio-blk is one word
		case ",$scenarios," in
		*,disk-integrity,*) cmd+=(--devices nvme,virtio-blk) ;;
		esac
		run "$name" "${cmd[@]}"
	done <<< "$configs"
done
# Scenarios that need a PCI topology of their own, once per kernel (not
# with --scenarios or --pci-only): aliases (two edus behind a PCIe-to-PCI
# bridge owned as one group, a third on the root bus isolated from them).
if [ "$scenarios" = edu-dma,edu-fault,isolation,load-unload ] &&
	[ $pci_only -eq 0 ]; then
	for k in $kernels; do
		run "$k-aliases-pcie-pci-bridge" scripts/qemu-boot.sh --no-build \
			--kernel "$k" --smp 2 --mem 1G --topology pcie-pci-bridge \
			--devices edu --scenario aliases \
			--log "$logdir/$k-aliases-pcie-pci-bridge.log"
	done
fi

# Devices added and removed after load (vtd_hotplug.c), sanitizer kernel:
# one scenario a boot, each on the topology it needs.
case " $kernels " in
*" test "*)
	pci=(scripts/qemu-boot.sh --no-build --kernel test --smp 2 --mem 1G)
	run test-hotplug "${pci[@]}" --topology pcie-root-port --devices none \
		--scenario hotplug --timeout 900 --log "$logdir/test-hotplug.log"
	run test-rescan "${pci[@]}" --devices nvme --scenario rescan \
		--timeout 900 --log "$logdir/test-rescan.log"
	run test-sriov "${pci[@]}" --topology nvme-sriov --devices none \
		--scenario sriov --timeout 900 --log "$logdir/test-sriov.log"
	;;
esac
[ $dry -eq 1 ] && exit 0
echo "$me: $(($(date +%s) - start)) s; logs in ${logdir#"$top"/}/" | tee -a "$summary"
echo "$passed passed, $failed failed" | tee -a "$summary"
[ $failed -eq 0 ]
