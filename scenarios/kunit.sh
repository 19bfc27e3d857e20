#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kunit: load vtd_remap.ko and each KUnit test module, print every suite's KTAP results for scripts/ktap.py.
#
# Args: seed=N is passed to every test module as its "seed" parameter;
# remap=P1,P2 are vtd_remap.ko parameters (remap=invalidation=register).
# Test failures are judged in detail on the host from the KTAP between
# the VTD-KTAP-BEGIN/END lines (scripts/ktap.py, make check); this script
# fails too if a step fails (insmod, rmmod, no test modules, no results)
# or a result says "not ok", so that a boot of this scenario alone never
# passes with a failed case.

ko=/modules/vtd_remap.ko
params=
vtd_params=

# seed=N goes to the test modules; remap=P1,P2 (as for the edu scenarios,
# e.g. remap=invalidation=register) to vtd_remap.ko. In a multi-scenario
# boot, kunit.seed=N; other scenarios' arguments (name.key=...) are ignored.
for a in "$@"; do
	case "${a%%=*}" in
	kunit.*) a=${a#kunit.} ;;
	*.*) continue ;;
	esac
	case "$a" in
	seed=*) params="$params $a" ;;
	remap=*) vtd_params="$vtd_params $(echo "${a#remap=}" | tr , ' ')" ;;
	*) echo "kunit: unknown argument $a"; exit 2 ;;
	esac
done

status=0
echo "kunit: insmod $ko$vtd_params"
# shellcheck disable=SC2086
if ! insmod "$ko" $vtd_params; then
	echo "kunit: FAIL: insmod $ko"
	exit 1
fi

loaded=
for t in /modules/kunit/*.ko; do
	[ -e "$t" ] || { echo "kunit: FAIL: no test modules in /modules/kunit"; status=1; break; }
	echo "kunit: insmod $t$params"
	# shellcheck disable=SC2086
	if insmod "$t" $params; then
		loaded="$(basename "$t" .ko | tr - _) $loaded"
	else
		echo "kunit: FAIL: insmod $t"
		status=1
	fi
done

n=0
for d in /sys/kernel/debug/kunit/*/; do
	[ -f "$d/results" ] || continue
	s=$(basename "$d")
	echo "VTD-KTAP-BEGIN $s"
	cat "$d/results"
	echo "VTD-KTAP-END $s"
	n=$((n + 1))
	bad=$(grep -c '^[[:space:]]*not ok ' "$d/results")
	if [ "$bad" -gt 0 ]; then
		echo "kunit: FAIL: suite $s: $bad result(s) not ok"
		status=1
	fi
done
if [ $n -eq 0 ]; then
	echo "kunit: FAIL: no results under /sys/kernel/debug/kunit (a kernel without KUnit debugfs? use --kernel test)"
	status=1
fi

for m in $loaded; do
	if ! rmmod "$m"; then
		echo "kunit: FAIL: rmmod $m"
		status=1
	fi
done
if ! rmmod vtd_remap; then
	echo "kunit: FAIL: rmmod vtd_remap"
	status=1
fi
echo "kunit: $n suite(s) reported, status $status"
exit $status
