#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# s3-smoke: the guest suspends to RAM (S3) and wakes by the RTC alarm (the host's system_wakeup only as a fallback that fails the run); without vtd_remap.
# shellcheck shell=dash
#
# Needs scripts/qemu-boot.sh --s3. Args: secs=N (RTC alarm, default 5),
# wake=rtc|host: rtc (default) sets the RTC wake alarm and has the host
# wake the guest only N+30 s later as a fallback: waking by the fallback
# fails the run; host asks the host to wake the guest after N s and sets
# no alarm.
# Busybox has no rtcwake: the alarm is set through
# /sys/class/rtc/rtc0/wakealarm and the guest sleeps by writing "mem" to
# /sys/power/state, which is what rtcwake -m mem does.
# After the resume: the time slept (by the RTC) tells which wake-up came
# first; the PCI devices are all still there.

P=s3-smoke
. /scenarios/lib/host.sh

secs=5
wake=rtc
for a in "$@"; do
	case "${a%%=*}" in
	"$P".*) a=${a#"$P".} ;;
	*.*) continue ;;
	esac
	case "$a" in
	secs=*) secs=${a#secs=} ;;
	wake=rtc | wake=host) wake=${a#wake=} ;;
	*) echo "$P: unknown argument $a"; exit 2 ;;
	esac
done
case "$secs" in '' | *[!0-9]*) echo "$P: secs= wants a number"; exit 2 ;; esac

RTC=/sys/class/rtc/rtc0
if ! grep -qw mem /sys/power/state; then
	echo "$P: FAIL: no S3: /sys/power/state has '$(cat /sys/power/state)' (qemu-boot.sh --s3)"
	exit 1
fi
if [ ! -e "$RTC/wakealarm" ]; then
	echo "$P: FAIL: no $RTC/wakealarm"
	exit 1
fi
echo "$P: /sys/power/state: $(cat /sys/power/state); mem_sleep: $(cat /sys/power/mem_sleep 2>/dev/null)"
ndev=$(ls /sys/bus/pci/devices | wc -l)

echo 0 > "$RTC/wakealarm"
alarm=
if [ "$wake" = rtc ]; then
	echo "+$secs" > "$RTC/wakealarm" || { echo "$P: FAIL: cannot set the alarm"; exit 1; }
	alarm=$(cat "$RTC/wakealarm")
	echo "$P: RTC alarm at $alarm (now $(cat "$RTC/since_epoch")), host fallback after $((secs + 30)) s"
	host_wakeup_after $((secs + 30))
else
	host_wakeup_after "$secs"
fi
# Let the host see the request before the console sleeps.
sleep 1
t0=$(cat "$RTC/since_epoch")
echo "$P: suspending"
if ! echo mem > /sys/power/state; then
	echo "$P: FAIL: echo mem > /sys/power/state failed"
	dmesg | tail -n 20 | sed "s/^/$P: dmesg: /"
	exit 1
fi
t1=$(cat "$RTC/since_epoch")
slept=$((t1 - t0))
echo "$P: resumed after $slept s (RTC)"
dmesg | grep -E 'PM: suspend (entry|exit)|ACPI: PM: (Preparing|Waking|Low-level)|Restarting tasks' |
	tail -n 8 | sed "s/^/$P: dmesg: /"

status=0
n=$(ls /sys/bus/pci/devices | wc -l)
[ "$n" -eq "$ndev" ] || { echo "$P: FAIL: $ndev PCI devices before, $n after"; status=1; }
# The RTC counts whole seconds: the alarm's second or the next one.
if [ "$wake" = rtc ]; then
	if [ "$t1" -ge $((alarm + 25)) ]; then
		echo "$P: FAIL: the RTC alarm did not wake the guest (the host's system_wakeup did, after $slept s)"
		status=1
	elif [ "$t1" -lt "$alarm" ]; then
		echo "$P: FAIL: woke at $t1, before the alarm ($alarm)"
		status=1
	fi
fi
if [ $status -eq 0 ]; then
	echo "$P: PASS: suspended to RAM and woken by the $wake after $slept s; $n PCI devices"
else
	echo "$P: FAIL"
fi
exit $status
