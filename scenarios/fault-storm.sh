#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fault-storm: an edu device that DMA-faults in a loop gets blocked (one message naming it), the module stays responsive and another device's DMA works meanwhile; debugfs unblock lets it through again.
#
# Needs two edu devices: qemu-boot.sh --devices edu --devices edu.
# Args: remap=P1,P2: see scenarios/lib/edu.sh (fault_storm_faults=5 and
# fault_storm_ms=10000 are added: edu needs 100 ms per transfer).
# Device A runs "storm" (20 transfers from an IOVA nothing maps) in the
# background; meanwhile debugfs reads answer and device B does a round
# trip. Then: exactly one "its DMA is blocked" message naming A, A listed
# as blocked in dmar<N>/faults, a second storm adds no fault (blocked
# entries do not record faults), A's round trip fails (its DMA goes
# nowhere); after "echo A > dmar<N>/unblock" A's round trip passes.

P=fault-storm
. /scenarios/lib/edu.sh

for a in "$@"; do
	a=$(edu_arg "$a") || continue
	edu_common_arg "$a" && continue
	echo "$P: unknown argument $a"
	exit 2
done

fail() {
	echo "$P: FAIL: $*"
	status=1
}

# counter NAME: a value from the unit's counters file.
counter() {
	sed -n "s/^$1  *//p" "$dbg/counters"
}

edu_count_pci
if [ "$EDU_NPCI" -lt 2 ]; then
	echo "$P: FAIL: $EDU_NPCI edu device(s); needs two (qemu-boot.sh --devices edu --devices edu)"
	exit 1
fi
EDU_REMAP_PARAMS="$EDU_REMAP_PARAMS fault_storm_faults=5 fault_storm_ms=10000"
edu_load || { edu_unload; exit 1; }

status=0
# shellcheck disable=SC2086 # one word per directory
set -- $EDU_DIRS
a=$1
b=$2
bdf=${a##*/}
bdf=${bdf#0000:}
unit=$(edu_info "$a" unit)
dbg=/sys/kernel/debug/vtd_remap/$unit
[ -d "$dbg" ] || fail "no $dbg"
echo "$P: A = $bdf (storming), B = ${b##*/}, unit $unit"

faults0=$(counter faults)
# Only what the kernel logs from here on is this scenario's (an earlier
# scenario of the same boot, the KUnit suites say, may block sources too).
mark="$P: start $$ $(date +%s)"
echo "$mark" > /dev/kmsg
mylog() { dmesg | sed -n "/$mark/,\$p"; }
echo storm > "$a/run" &
storm=$!
# The module answers while A storms, and B's DMA works.
reads=0
for i in 1 2 3 4 5; do
	cat "$dbg/counters" "$dbg/faults" /sys/kernel/debug/vtd_remap/units > /dev/null ||
		fail "debugfs read $i during the storm"
	reads=$((reads + 1))
done
edu_run "$b" roundtrip || fail "B's round trip during A's storm"
wait $storm || fail "A's storm run: $(cat "$a/result")"
sed "s/^/$P: A: /" "$a/result"
echo "$P: $reads rounds of debugfs reads answered during the storm; faults $faults0 -> $(counter faults)"

n=$(mylog | grep -c "$bdf faulted [0-9]* times within [0-9]* ms: its DMA is blocked")
[ "$n" -eq 1 ] || fail "$n block messages naming $bdf (want 1)"
mylog | grep "its DMA is blocked" | sed "s/^/$P:   /"
grep -q "^blocked $bdf" "$dbg/faults" || fail "$bdf not listed as blocked in $dbg/faults"
[ "$(counter sources_blocked)" = 1 ] || fail "sources_blocked $(counter sources_blocked)"
echo "$P: fault lines in the log: $(mylog | grep -cE 'vtd_remap: .*DMA (read|write) fault')"

f1=$(counter faults)
echo storm > "$a/run" || fail "second storm run"
f2=$(counter faults)
[ "$f1" = "$f2" ] || fail "faults went on while blocked: $f1 -> $f2"
echo "$P: blocked: 20 more transfers, faults $f1 -> $f2"
if echo roundtrip > "$a/run"; then
	fail "A's round trip worked while blocked"
else
	echo "$P: A's round trip fails while blocked (its DMA reaches nothing)"
fi

echo "$bdf" > "$dbg/unblock" || fail "echo $bdf > $dbg/unblock"
grep -q "^blocked $bdf" "$dbg/faults" && fail "$bdf still listed as blocked"
if echo "$bdf" > "$dbg/unblock" 2>/dev/null; then
	fail "a second unblock of $bdf succeeded"
fi
mylog | grep -q "$bdf unblocked" || fail "no unblock message"
edu_run "$a" roundtrip || fail "A's round trip after unblock"
edu_run "$b" roundtrip || fail "B's round trip at the end"

edu_unload || status=1
if [ $status -eq 0 ]; then
	echo "$P: PASS: $bdf blocked after its fault storm with one message, module responsive and B's DMA fine meanwhile, no faults while blocked, DMA back after unblock"
else
	echo "$P: FAIL"
fi
exit $status
