# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Shared by the edu scenarios (sourced by busybox sh in the guest): load and
# unload vtd_remap.ko and vtd_edu.ko, find the edu devices' test
# directories in debugfs, run a test and print its result. The caller sets
# P to its name first; every line printed starts with "$P: ".
#
# vtd_edu.ko's interface (see vtd_edu.c): per bound edu device a directory
# /sys/kernel/debug/vtd_edu/<pci name>/ with
#   run     write "<test> [high]": roundtrip, fault (fault-write, fault-read,
#           fault-ro), isolation (isolation-write, isolation-read); the
#           write fails (EIO, ...) if the test fails
#   result  what the last run found, a "PASS|FAIL <test>: ..." line per test
#   info    "key value" lines: device, source_id, unit, domain, runs, ...

. /scenarios/lib/vtd.sh

VTD_KO=/modules/vtd_remap.ko
EDU_KO=/modules/vtd_edu.ko
EDU_DBG=/sys/kernel/debug/vtd_edu

# Set by edu_common_arg: vtd_remap's parameters, and whether test buffers
# must lie above 4 GiB (auto: when the guest has RAM there).
EDU_REMAP_PARAMS=
EDU_HIGH=auto

# edu_arg ARG: ARG as this scenario should see it. In a multi-scenario
# boot every scenario gets the same arguments, so "NAME.key=value" is for
# scenario NAME only: printed without the prefix for $P, skipped (status
# 1) for the others. Other arguments are printed as they are.
edu_arg() {
	local key="${1%%=*}"
	case "$key" in
	"$P".*) echo "${1#"$P".}" ;;
	*.*) return 1 ;;
	*) echo "$1" ;;
	esac
}

# edu_common_arg ARG: the arguments every edu scenario takes; status 1 if
# ARG is not one of them.
#   remap=P1,P2,...  vtd_remap.ko parameters, e.g. remap=invalidation=register
#   high=auto|yes|no  test buffers above 4 GiB: auto (default) when the
#                     guest has RAM there, yes fails without it
edu_common_arg() {
	case "$1" in
	remap=*) EDU_REMAP_PARAMS=$(echo "${1#remap=}" | tr , ' ') ;;
	high=auto | high=yes | high=no) EDU_HIGH=${1#high=} ;;
	*) return 1 ;;
	esac
}

# edu_resolve_high: resolve EDU_HIGH to yes or no and set EDU_OPT to the
# option for the run file ("high" or nothing); status 1, with a FAIL
# line, for high=yes without RAM above 4 GiB.
# shellcheck disable=SC2034 # EDU_OPT is read by the scenarios
edu_resolve_high() {
	if [ "$EDU_HIGH" = auto ]; then
		if edu_have_high_mem; then EDU_HIGH=yes; else EDU_HIGH=no; fi
	fi
	if [ "$EDU_HIGH" = yes ] && ! edu_have_high_mem; then
		echo "$P: FAIL: high=yes but the guest has no RAM above 4 GiB (--mem 8G)"
		return 1
	fi
	EDU_OPT=
	[ "$EDU_HIGH" = no ] || EDU_OPT=high
}

# Shell builtins only below, where a scenario loops: on the sanitizer
# kernel every fork and exec costs about 0.3 s.

# EDU_NPCI: the number of edu devices (1234:11e8) on the PCI bus.
edu_count_pci() {
	local d v
	EDU_NPCI=0
	for d in /sys/bus/pci/devices/*; do
		read -r v < "$d/vendor" || continue
		[ "$v" = 0x1234 ] || continue
		read -r v < "$d/device" || continue
		[ "$v" = 0x11e8 ] || continue
		EDU_NPCI=$((EDU_NPCI + 1))
	done
}

# EDU_DIRS: the test directories of the bound edu devices, space
# separated; EDU_NDIRS: how many.
edu_find_dirs() {
	local d
	EDU_DIRS=
	EDU_NDIRS=0
	for d in "$EDU_DBG"/*; do
		[ -f "$d/run" ] || continue
		EDU_DIRS="$EDU_DIRS $d"
		EDU_NDIRS=$((EDU_NDIRS + 1))
	done
}

# edu_loaded MODULE: true if MODULE is in /proc/modules.
edu_loaded() {
	local m rest
	while read -r m rest; do
		[ "$m" = "$1" ] && return 0
	done < /proc/modules
	return 1
}

# edu_result_has DIR TEXT: true if DIR's last result has TEXT in a line.
edu_result_has() {
	local line
	while read -r line; do
		case "$line" in *"$2"*) return 0 ;; esac
	done < "$1/result"
	return 1
}

# edu_info DIR KEY: one value from DIR/info.
edu_info() {
	sed -n "s/^$2 //p" "$1/info"
}

# True if the guest has RAM above 4 GiB (a "System RAM" range starting at
# 0x100000000 or above in /proc/iomem).
edu_have_high_mem() {
	grep -qiE '^ *0*[1-9a-f][0-9a-f]{8,}-[0-9a-f]+ : System RAM' /proc/iomem
}

# edu_load: insmod both modules (vtd_remap with EDU_REMAP_PARAMS); fails
# (with a FAIL line) unless every edu device on the bus got a test
# directory; sets EDU_DIRS and EDU_NDIRS. EDU_QUIET=1 prints nothing on
# success.
edu_load() {
	local d
	# shellcheck disable=SC2086
	if ! insmod "$VTD_KO" $EDU_REMAP_PARAMS; then
		echo "$P: FAIL: insmod $VTD_KO $EDU_REMAP_PARAMS"
		return 1
	fi
	if ! insmod "$EDU_KO"; then
		echo "$P: FAIL: insmod $EDU_KO"
		vtd_unload
		return 1
	fi
	edu_count_pci
	edu_find_dirs
	if [ "$EDU_NDIRS" -ne "$EDU_NPCI" ]; then
		echo "$P: FAIL: $EDU_NPCI edu device(s) on the bus, $EDU_NDIRS bound by vtd_edu"
		dmesg | grep -E 'vtd_edu|vtd_remap' | tail -n 10 | sed "s/^/$P:   /"
		return 1
	fi
	[ "${EDU_QUIET:-0}" = 1 ] && return 0
	for d in $EDU_DIRS; do
		echo "$P: $(edu_info "$d" device): source ID $(edu_info "$d" source_id), $(edu_info "$d" unit) domain $(edu_info "$d" domain)"
	done
	return 0
}

# edu_unload: rmmod both modules; a FAIL line if either refuses.
edu_unload() {
	local st=0
	if edu_loaded vtd_edu && ! rmmod vtd_edu; then
		echo "$P: FAIL: rmmod vtd_edu"
		st=1
	fi
	if edu_loaded vtd_remap && ! vtd_unload; then
		echo "$P: FAIL: rmmod vtd_remap"
		st=1
	fi
	return $st
}

# edu_run DIR TEST [high]: run a test, print its result lines; the status
# is the write's. EDU_QUIET=1 prints the result only on failure.
edu_run() {
	local dir=$1 st=0
	shift
	echo "$*" > "$dir/run" || st=1
	if [ $st -ne 0 ] || [ "${EDU_QUIET:-0}" != 1 ]; then
		sed "s/^/$P: ${dir##*/}: /" "$dir/result"
		[ $st -eq 0 ] || echo "$P: FAIL: ${dir##*/}: '$*' failed"
	fi
	return $st
}
