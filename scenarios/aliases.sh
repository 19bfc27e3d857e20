#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# aliases: two edus behind a PCIe-to-PCI bridge share one requester ID: own= of one alone is refused, of both takes them as one group in one domain, which does DMA through the shim and is isolated from a third edu on the root bus.
# shellcheck shell=dash
#
# Needs: qemu-boot.sh --topology pcie-pci-bridge --devices edu (two edus
# behind the bridge, found by vendor:device and their parent's PCIe type;
# a third edu on the root bus).
#   1. insmod vtd_remap.ko own=<one bridged edu>: must fail, with a
#      message naming the group and its other member.
#   2. insmod vtd_remap.ko own=<both bridged edus>, then vtd_edu.ko: the
#      pair is one group (debugfs vtd_remap/groups) in one domain, both in
#      dma-api mode; the third edu is in a domain of its own.
#   3. DMA-API tests through the shim on each of the pair (their DMA
#      carries the bridge's requester ID: only the group's domain
#      translates it).
#   4. The third edu reaches for IOVAs mapped only in the pair's domain:
#      isolation-write and isolation-read fault and leave memory alone.
#   5. Unload both modules.
# Sanitizer and kmemleak reports are checked by the runner after the run.

P=aliases
. /scenarios/lib/edu.sh
. /scenarios/lib/pci.sh

EDU=1234:11e8
GROUPS_DBG=/sys/kernel/debug/vtd_remap/groups
TESTS="api-superpage api-page api-sg api-coherent api-pages"

for a in "$@"; do
	a=$(edu_arg "$a") || continue
	edu_common_arg "$a" && continue
	echo "$P: unknown argument $a"
	exit 2
done

status=0
fail() {
	echo "$P: FAIL: $*"
	status=1
}

pair=
third=
bridge=
for n in $(pci_list $EDU); do
	if p=$(pci_parent "$n"); then
		[ "$(pci_pcie_type "$p")" = pcie-to-pci ] || continue
		pair="$pair${pair:+ }$n"
		bridge=$p
	else
		third=$n
	fi
done
a=${pair%% *}
b=${pair#* }
if [ -z "$pair" ] || [ "$a" = "$b" ] || [ -z "$third" ]; then
	echo "$P: FAIL: needs two edus behind a PCIe-to-PCI bridge and one on the root bus (--topology pcie-pci-bridge --devices edu); found pair '$pair', root-bus '$third'"
	exit 1
fi
echo "$P: $a and $b behind PCIe-to-PCI bridge $bridge (requester ID $(pci_secondary_bus "$bridge"):00.0); $third on the root bus"

# 1. One member alone is refused.
dmesg -c > /dev/null
# shellcheck disable=SC2086 # the parameters are words
if insmod "$VTD_KO" own="$a" $EDU_REMAP_PARAMS; then
	fail "own=$a (one member of a two-member group) was accepted"
	[ -r "$GROUPS_DBG" ] && sed "s/^/$P:   groups: /" "$GROUPS_DBG"
	vtd_unload || fail "rmmod vtd_remap"
else
	msg=$(dmesg | grep -E 'dma: .*group' | head -n 3)
	echo "$msg" | sed "s/^/$P:   /"
	case "$msg" in
	*"$b"*) echo "$P: own=$a alone refused, the message names the group and $b" ;;
	*) fail "own=$a refused without a message naming the group and $b" ;;
	esac
fi

# 2. Both members: one group, one domain.
EDU_REMAP_PARAMS="$EDU_REMAP_PARAMS own=$a,$b"
edu_load || { edu_unload; exit 1; }
sed "s/^/$P: groups: /" "$GROUPS_DBG" 2>/dev/null ||
	fail "no $GROUPS_DBG"
# "group N ..." lines are followed by "  member DEV ... domain D" lines.
grp_of() {
	awk -v d="$1" '/^group / { g = $2 } $1 == "member" && $2 == d { print g }' "$GROUPS_DBG"
}
ga=$(grp_of "$a")
gb=$(grp_of "$b")
gc=$(grp_of "$third")
if [ -z "$ga" ] || [ "$ga" != "$gb" ]; then
	fail "$a and $b not shown in one group ('$ga', '$gb')"
fi
[ -n "$gc" ] && [ "$gc" = "$ga" ] && fail "$third is in the pair's group"
for d in $EDU_DIRS; do
	case "${d##*/}" in
	"$a") da=$d ;;
	"$b") db=$d ;;
	"$third") dc=$d ;;
	esac
done
doma=$(edu_info "$da" domain)
domb=$(edu_info "$db" domain)
domc=$(edu_info "$dc" domain)
[ "$doma" = "$domb" ] || fail "$a in domain $doma, $b in domain $domb: not one domain"
[ "$domc" != "$doma" ] || fail "$third shares domain $doma with the pair"
if [ "$(edu_info "$da" mode)" != dma-api ] || [ "$(edu_info "$db" mode)" != dma-api ]; then
	fail "the pair is not bound in dma-api mode"
fi
echo "$P: group $ga: $a and $b in domain $doma; $third in domain $domc"

# 3. DMA through the shim, one device after the other (the tests count
# their domain's maps, which only they change meanwhile).
if [ $status -eq 0 ]; then
	for d in $da $db; do
		for t in $TESTS; do
			# api-superpage wants the fresh domain: the first device only.
			[ "$d" = "$db" ] && [ "$t" = api-superpage ] && continue
			edu_run "$d" "$t" || status=1
		done
	done
fi

# 4. The third edu against the pair's domain (its peer is the first
# other edu bound: the root-bus one binds first, so the peer is $a).
if [ $status -eq 0 ]; then
	edu_run "$dc" isolation || status=1
	edu_result_has "$dc" "$a" || fail "the isolation tests did not use $a's domain as the peer"
fi

# 5. Unload.
edu_unload || status=1
if [ $status -eq 0 ]; then
	echo "$P: PASS: one member alone refused; $a and $b owned as one group in one domain, DMA through the shim; $third cannot reach their mappings; unloaded"
else
	echo "$P: FAIL"
fi
exit $status
