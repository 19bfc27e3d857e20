#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bench-alloc: the allocator benchmark of make bench (vtd_bench.ko: ours against Linux's alloc_iova and alloc_iova_fast, same sequences).
#
# Args: quick=1        fewer operations, at most 1e5 live ranges
#       tests=LIST     vtd_bench tests (default ref,loop,churn,scale,mem)
# The figures are the module's "VTD-BENCH ..." console lines, collected by
# scripts/bench.sh. Runs on the bench kernel (qemu-boot.sh --kernel bench).

P=bench-alloc
quick=0
tests=ref,loop,churn,scale,mem
for a in "$@"; do
	case "$a" in
	quick=*) quick=${a#quick=} ;;
	tests=*) tests=${a#tests=} ;;
	*=*) ;;	# another scenario's argument
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done

echo "$P: $(nproc) CPU(s), $(grep MemTotal /proc/meminfo | tr -s ' '), $(uname -r)"
echo "VTD-BENCH-CMD alloc insmod /modules/vtd_bench.ko tests=$tests quick=$quick"
t0=$(date +%s)
if ! insmod /modules/vtd_bench.ko tests="$tests" quick="$quick"; then
	echo "$P: FAIL: insmod vtd_bench.ko"
	exit 1
fi
rmmod vtd_bench || { echo "$P: FAIL: rmmod vtd_bench"; exit 1; }
st=ok
dmesg | grep -q 'VTD-BENCH done - status=ok' || st=errors
echo "$P: done in $(($(date +%s) - t0)) s, status $st"
[ "$st" = ok ]
