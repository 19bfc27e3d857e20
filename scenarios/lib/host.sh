# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Requests from a scenario to the host (sourced by busybox sh in the
# guest): hot-add or remove a device through QEMU's monitor while the
# scenario runs, or have the host wake the guest from S3.
#
# The channel: a request is one kernel log line,
#     VTD-HOST: <seq> <command> <key=value,...>
# written to /dev/kmsg, so it reaches the serial console whole (a printk
# record is never interleaved with other output). scripts/qemu-boot.sh
# watches the console as it arrives and runs each <seq> once over QMP
# (a dmesg dump that repeats the line later does not run it again); what
# it did is logged as a "# qemu-boot: host:" line in the host's log only.
# There is no reply to the guest: the scenario checks the effect itself
# (pci_wait_count, pci_wait_gone in lib/pci.sh) with a deadline.
#
# Commands (see scripts/qemu-boot.sh --help):
#   device_add driver=nvme,id=hp-nvme,bus=hp-port,drive=hp-disk,serial=hp0
#   device_del id=hp-nvme
#   wakeup delay=SECS     QMP system_wakeup SECS seconds from now (S3)

HOST_SEQ_FILE=/tmp/vtd-host-seq

# host_request COMMAND ARGS: send one request; status 1 if it could not be
# written.
host_request() {
	local seq=0
	[ -f "$HOST_SEQ_FILE" ] && read -r seq < "$HOST_SEQ_FILE"
	seq=$((seq + 1))
	echo "$seq" > "$HOST_SEQ_FILE"
	echo "VTD-HOST: $seq $1 $2" > /dev/kmsg
}

# host_device_add DRIVER,id=ID,...: QMP device_add with these properties.
host_device_add() {
	host_request device_add "driver=$1"
}

# host_device_del ID: QMP device_del of the device with this id.
host_device_del() {
	host_request device_del "id=$1"
}

# host_wakeup_after SECS: QMP system_wakeup SECS seconds from now.
host_wakeup_after() {
	host_request wakeup "delay=$1"
}
