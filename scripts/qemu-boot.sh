#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu-boot.sh: boot a QEMU guest (q35, TCG, -device intel-iommu, no network)
# with a busybox initramfs holding vtd_remap.ko and vtd_edu.ko, run one
# scenario from scenarios/ (or several, comma separated) in it, and exit
# with the guest's verdict. The serial console is shown live and saved to a
# log, which is then scanned for oopses and sanitizer reports. With no
# arguments: the README's main job (stock kernel, edu + nvme devices,
# scenario demo). See --help.

set -uo pipefail

me="qemu-boot"
top=$(cd "$(dirname "$0")/.." && pwd)

usage() {
	cat <<EOF
usage: scripts/qemu-boot.sh [options]

Boots a q35 guest under QEMU (TCG, -device intel-iommu, no network) with a
busybox initramfs, runs scenarios/<NAME>.sh in it and exits with its verdict.
Builds the module first (make, or make test-modules for the test kernel).

  --kernel stock|test|bench
                        guest kernel: Debian's installed kernel (default),
                        the KUnit/KASAN test kernel (scripts/test-kernel.sh)
                        or the bench kernel (scripts/bench-kernel.sh, with
                        build/bench/modules; scenarios from bench/scenarios)
  --aw-bits 39|48       intel-iommu address width (default 48)
  --caching-mode on|off intel-iommu caching mode (default off)
  --smp N               guest CPUs (default 2)
  --mem SIZE            guest memory, e.g. 512M, 2G, 8G (default 2G)
  --devices LIST        comma list of edu, nvme, virtio-blk, ahci (a disk on
                        q35's ICH9 AHCI), xhci (qemu-xhci + usb-storage),
                        virtio-scsi, megasas, lsi (lsi53c895a), each with a
                        disk, and hda (intel-hda + hda-output, audiodev
                        none); repeatable and additive (--devices edu
                        --devices edu: two edu devices); "none" for no
                        devices (default edu,nvme)
  --disk-size SIZE      size of each sparse disk file (default 512M)
  --scenario NAME[,NAME...]
                        scenarios/NAME.sh to run in the guest (default demo);
                        a comma list runs several in one boot, kmemleak
                        checked once after the last
  --scenario-args ARGS  arguments for the scenario(s) (space separated)
  --list-scenarios      print the scenarios and what each shows, then exit
  --timeout S|auto      stop the guest after S seconds; auto (default)
                        derives it from the kernel, memory, CPUs, scenarios
                        and disk size (printed before the boot, with how
                        it was reached); a given S shorter than that
                        estimate is used, with a warning before the boot
  --topology NAME       add a named PCI topology; repeatable:
                          pcie-root-port   a hotplug-capable PCIe root port
                                           (id hp-port) with an nvme behind
                                           it (id hp-nvme, serial vtdhp,
                                           its disk the blockdev hp-disk)
                          pcie-pci-bridge  a PCIe-to-PCI bridge (id pci-br)
                                           with two edu devices behind it:
                                           both DMA with one requester ID
                                           (secondary bus, 00.0)
                          multifunction    one slot (00:18) with two edu
                                           functions, multifunction=on
                          nvme-sriov       an nvme (id sriov-nvme, serial
                                           vtdsriov, subsystem sriov-subsys)
                                           offering 2 SR-IOV VFs
                        (--list-topologies prints them)
  --qemu-args ARGS      raw QEMU arguments appended to the command line
                        (split at blanks, no quoting); repeatable, e.g.
                        --qemu-args "-device pcie-root-port,id=rp9,chassis=9"
  --s3                  let the guest suspend to RAM (S3): passes
                        -global ICH9-LPC.disable_s3=0
  --log FILE            console log (default build/logs/<scenario>-<kernel>-
                        aw<bits>-cm<on|off>-smp<N>[-mem<SIZE>].log, a list's
                        names joined with +)
  --append ARGS         extra kernel command line arguments
  --iommu-args ARGS     the kernel's IOMMU arguments instead of the default
                        "intel_iommu=off intremap=off" (stock and bench
                        kernels), e.g. "intel_iommu=on iommu.strict=1"
  --extra-bin PATH      put a host binary into the guest's /usr/bin, with
                        its shared libraries at their paths; repeatable
  --no-build            do not run setup and make first
  --list-topologies     print the --topology names, then exit
  --print-time-limit    print the run's time limit and how it was reached,
                        then exit
  --scan-log FILE       judge a saved console log as a run would (oopses,
                        sanitizer and DMA-API reports; not the verdict),
                        then exit
  -h, --help            this text

Host requests (hotplug while a scenario runs): every run has a QMP
socket (/tmp/vtd-qmp.*/qmp.sock), and the console passes through
scripts/qmp-host.py. A guest line "VTD-HOST: <seq> <command> <args>"
(scenarios/lib/host.sh writes them to /dev/kmsg) is run once per <seq>:
  device_add driver=nvme,id=hp-nvme,bus=hp-port,drive=hp-disk,serial=vtdhp
  device_del id=hp-nvme
  wakeup delay=SECS     (QMP system_wakeup, SECS seconds later)
in order; a device_add waits (up to 60 s) until a device_del of the same id
has finished (QEMU frees the id only once the guest powered the slot off,
5 s after pciehp's button press). Anything else is refused. The host logs what it did as "# qemu-boot: host:"
lines and QEMU's events as "# qemu-boot: qmp event:" lines; the guest gets
no reply and checks the effect in sysfs (scenarios/lib/pci.sh). At the time
limit the log gets each vCPU's registers (HMP info registers -a) before
QEMU is stopped.

Exit status: 0 the guest passed and the log is clean; 1 anything else
(scenario failed, oops, KASAN/UBSAN/lockdep/kmemleak/DMA-API debug report,
hung task, timeout, QEMU error, missing build); 2 usage error. The last line
printed is "qemu-boot: PASS (...)" or "qemu-boot: FAIL (reason) ...".
EOF
}

die_usage() {
	echo "$me: $*" >&2
	echo "$me: see scripts/qemu-boot.sh --help" >&2
	exit 2
}

# fail REASON [DETAIL]: the one verdict line, then exit 1.
fail() {
	echo "$me: FAIL ($1)${2:+ $2}"
	exit 1
}

# scan_log LOG: the first line of LOG that shows the kernel in trouble, as
# "<line number>\t<reason>\t<line>". Per line, the most specific kind wins.
# A WARNING that scripts/known-warnings names (an upstream bug, matched by
# its line and one of its stack frames) is skipped, with its whole splat.
# With mode=known it prints, instead, "<id>\t<count>" per known warning
# skipped.
scan_log() {
	awk -v kfile="$top/scripts/known-warnings" -v mode="${2:-scan}" '
	function hit(reason, n, line) {
		if (mode == "known")
			return
		printf "%d\t%s\t%s\n", n, reason, line
		done = 1
		exit
	}
	BEGIN {
		FS = "\t"
		while ((getline kl < kfile) > 0) {
			if (kl ~ /^#/ || kl !~ /\t/)
				continue
			split(kl, kf, "\t")
			nk++
			kid[nk] = kf[1]
			kwarn[nk] = kf[2]
			kframe[nk] = kf[3]
		}
		FS = " "
	}
	/^# qemu-boot: / { next }
	# Inside a known warning: its frames until "end trace" decide.
	kin {
		if ($0 ~ kframe[kin])
			kok = 1
		if ($0 ~ /---\[ end trace/) {
			if (!kok)
				hit("kernel WARNING", kline, ktext)
			else
				skipped[kin]++
			kin = 0
			cut = 0
		} else if (NR > kline + 150) {
			hit("kernel WARNING", kline, ktext)
		}
		next
	}
	/WARNING:/ {
		for (i = 1; i <= nk; i++)
			if ($0 ~ kwarn[i]) {
				kin = i
				kok = 0
				kline = NR
				ktext = $0
				next
			}
	}
	# A "cut here" line heads a splat: report the line that names it,
	# or the "cut here" line itself if none follows soon.
	cut && NR > cut + 5 { hit("kernel WARNING or BUG", cut, cutline) }
	/cut here/ { if (!cut) { cut = NR; cutline = $0 }; next }
	# DMA-API debugging (CONFIG_DMA_API_DEBUG): its boot and bookkeeping
	# messages are not reports; a report names a misuse, and running out
	# of memory switches the checking off for the rest of the boot.
	/DMA-API: (preallocated [0-9]+ debug entries|debugging enabled by kernel config|dma_debug_entry pool grown|switching off dma-debug driver filter|enable driver filter)/ { next }
	/DMA-API: .*(out of memory|ENOMEM)/ { hit("DMA-API debug out of memory: checking stopped", NR, $0) }
	/DMA-API: / { hit("DMA-API debug report", NR, $0) }
	/BUG: KASAN/ { hit("KASAN report", NR, $0) }
	/UBSAN:/ { hit("UBSAN report", NR, $0) }
	/possible recursive locking|circular locking|inconsistent lock state|suspicious RCU usage|INFO: lockdep|BUG: sleeping function called|possible irq lock inversion|bad unlock balance|held lock freed|lock held when returning to user space/ {
		hit("lockdep report", NR, $0)
	}
	/unreferenced object/ { hit("kmemleak: unreferenced object", NR, $0) }
	/INFO: task .* blocked/ { hit("hung task", NR, $0) }
	/Kernel panic/ { hit("kernel panic", NR, $0) }
	/general protection fault/ { hit("oops: general protection fault", NR, $0) }
	/Oops:/ { hit("oops", NR, $0) }
	/BUG:|kernel BUG at/ { hit("kernel BUG", NR, $0) }
	/WARNING:/ { hit("kernel WARNING", NR, $0) }
	END {
		if (mode == "known") {
			for (i = 1; i <= nk; i++)
				if (skipped[i])
					printf "%s\t%d\n", kid[i], skipped[i]
		} else if (cut && !done) {
			hit("kernel WARNING or BUG", cut, cutline)
		}
	}
	' "$1"
}

# known_warnings LOG: say which known upstream warnings scan_log skipped.
known_warnings() {
	local id n kid why
	while IFS=$'\t' read -r id n; do
		while IFS=$'\t' read -r kid _ _ why; do
			[ "$kid" = "$id" ] &&
				echo "$me: note: $n known upstream warning(s) $id not counted: $why"
		done < "$top/scripts/known-warnings"
	done < <(scan_log "$1" known)
}

list_scenarios() {
	for f in "$top"/scenarios/*.sh; do
		[ -e "$f" ] || continue
		name=$(basename "$f" .sh)
		# The first comment line that is not the shebang or SPDX tag.
		desc=$(grep -m1 '^# ' "$f" | grep -v SPDX)
		[ -n "$desc" ] || desc=$(grep '^# ' "$f" | grep -v SPDX | head -n 1)
		desc=${desc#\# }
		desc=${desc#"$name: "}
		printf '%-14s %s\n' "$name" "$desc"
	done
}

list_topologies() {
	usage | sed -n '/^  --topology/,/^  --qemu-args/p' |
		sed -e '1d' -e '$d' -e '/--list-topologies/d' -e 's/^ \{26\}//'
}

kernel=stock
aw=48
cm=off
smp=2
mem=2G
devices=()
disk_size=512M
scenario=demo
scenario_args=
timeout_s=auto
log=
append=
iommu_args="intel_iommu=off intremap=off"
extra_bins=()
build=1
topologies=()
qemu_extra=()
s3=0
print_limit=0

# Options take their value as the next word or after "=".
while [ $# -gt 0 ]; do
	opt=$1
	val=
	has_val=0
	case "$opt" in
	--*=*)
		val=${opt#*=}
		opt=${opt%%=*}
		has_val=1
		;;
	esac
	case "$opt" in
	-h | --help | --list-scenarios | --list-topologies | --no-build | --s3 | \
	--print-time-limit)
		[ $has_val -eq 0 ] || die_usage "$opt takes no value"
		;;
	--kernel | --aw-bits | --caching-mode | --smp | --mem | --devices | \
	--disk-size | --scenario | --scenario-args | --timeout | --log | --append | \
	--topology | --qemu-args | --scan-log | --iommu-args | --extra-bin)
		if [ $has_val -eq 0 ]; then
			[ $# -ge 2 ] || die_usage "$opt needs a value"
			val=$2
			shift
		fi
		;;
	*)
		die_usage "unknown option: $opt"
		;;
	esac
	shift
	case "$opt" in
	-h | --help) usage; exit 0 ;;
	--list-scenarios) list_scenarios; exit 0 ;;
	--list-topologies) list_topologies; exit 0 ;;
	--scan-log)
		[ -r "$val" ] || die_usage "cannot read $val"
		known_warnings "$val"
		trouble=$(scan_log "$val")
		[ -n "$trouble" ] || { echo "$me: $val: no oops or sanitizer report"; exit 0; }
		IFS=$'\t' read -r tline treason ttext <<< "$trouble"
		fail "$treason" "$val:$tline: $ttext"
		;;
	--no-build) build=0 ;;
	--s3) s3=1 ;;
	--print-time-limit) print_limit=1 ;;
	--topology)
		case "$val" in
		pcie-root-port | pcie-pci-bridge | multifunction | nvme-sriov)
			# Each has fixed ids (and multifunction a fixed slot).
			[[ " ${topologies[*]} " != *" $val "* ]] ||
				die_usage "--topology $val given twice"
			topologies+=("$val") ;;
		*) die_usage "unknown topology '$val' (see --list-topologies)" ;;
		esac
		;;
	--qemu-args)
		read -r -a words <<< "$val"
		qemu_extra+=(${words[@]+"${words[@]}"})
		;;
	--kernel) kernel=$val ;;
	--aw-bits) aw=$val ;;
	--caching-mode) cm=$val ;;
	--smp) smp=$val ;;
	--mem) mem=$val ;;
	--devices)
		IFS=, read -r -a list <<< "$val"
		[ ${#list[@]} -gt 0 ] || die_usage "--devices needs a list"
		for d in "${list[@]}"; do
			case "$d" in
			edu | nvme | virtio-blk) devices+=("$d") ;;
			ahci | xhci | virtio-scsi | megasas | lsi | hda) devices+=("$d") ;;
			none) devices+=(none) ;;
			*) die_usage "unknown device '$d' (edu, nvme, virtio-blk, ahci, xhci, virtio-scsi, megasas, lsi, hda, none)" ;;
			esac
		done
		;;
	--disk-size) disk_size=$val ;;
	--scenario) scenario=$val ;;
	--scenario-args) scenario_args=$val ;;
	--timeout) timeout_s=$val ;;
	--log) log=$val ;;
	--append) append=$val ;;
	--iommu-args) iommu_args=$val ;;
	--extra-bin) extra_bins+=("$val") ;;
	esac
done

case "$kernel" in stock | test | bench) ;; *) die_usage "--kernel must be stock, test or bench" ;; esac
case "$aw" in 39 | 48) ;; *) die_usage "--aw-bits must be 39 or 48" ;; esac
case "$cm" in on | off) ;; *) die_usage "--caching-mode must be on or off" ;; esac
[[ "$smp" =~ ^[1-9][0-9]*$ ]] && [ "$smp" -le 64 ] || die_usage "--smp must be 1..64"
[[ "$mem" =~ ^[1-9][0-9]*[MG]?$ ]] || die_usage "--mem must look like 512M or 2G"
[[ "$disk_size" =~ ^[1-9][0-9]*[KMG]?$ ]] || die_usage "--disk-size must look like 512M or 1G"
[[ "$timeout_s" =~ ^([1-9][0-9]*|auto)$ ]] || die_usage "--timeout must be a number of seconds or auto"
[[ "$scenario" =~ ^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$ ]] ||
	die_usage "--scenario takes NAME or NAME,NAME,... (see --list-scenarios)"
IFS=, read -r -a scenario_list <<< "$scenario"
for s in "${scenario_list[@]}"; do
	[ -f "$top/scenarios/$s.sh" ] || [ -f "$top/bench/scenarios/$s.sh" ] ||
		die_usage "no scenario '$s' (see --list-scenarios)"
done
case "$scenario_args$append$iommu_args" in
*'"'*) die_usage "--scenario-args, --append and --iommu-args cannot contain double quotes" ;;
esac

# "none" alone means no devices; the default is the main job's pair.
if [ ${#devices[@]} -eq 0 ]; then
	devices=(edu nvme)
else
	kept=()
	for d in "${devices[@]}"; do
		[ "$d" = none ] || kept+=("$d")
	done
	devices=(${kept[@]+"${kept[@]}"})
fi

# --- time limit -------------------------------------------------------------
# The run's time limit must fit the work it starts. The estimate adds up
# what the guest does, at rates measured on this project's 2-core TCG
# hosts (see the README's runner section), then allows for a second guest
# or a build sharing the host:
#   boot          stock kernel 30 s; sanitizer kernel 60 s + 15 s per CPU
#                 + 5 s per GiB (KASAN, lockdep, kmemleak early boot under
#                 TCG: /init started 58-66 s into boot at 2 CPUs and 1 GiB,
#                 about 50 s at 3 CPUs and 8 GiB, 154 s at 2 GiB on a host
#                 running six guests)
#   kmemleak      sanitizer kernel only: three scans (boot objects cleared,
#                 then two after the last scenario); a scan walks all
#                 objects and every page's struct page: 40 s + 7 s per GiB
#                 (measured: 35-61 s for one scan and 60-85 s for two at
#                 1 GiB under load; issue 11: 84 s for one and 162 s for two
#                 at 8 GiB)
#   scenarios     per scenario, sanitizer kernel (stock: a quarter):
#                 kunit 240 s, demo 180 s, load-unload 5 s per cycle, others
#                 90 s; disk-integrity 2 disks x MiB x passes (write, read,
#                 and the read after rmmod unless after=no) at 0.8 s per MiB
#                 on one CPU and 0.3 s on more (256 MiB per disk took 18
#                 minutes on one CPU; 512 MiB written and read in about
#                 170 s on four)
#   margin        x 1.5 for a shared host, rounded up to a whole minute,
#                 at least 300 s (the old fixed default)
mem_mib() {
	case "$1" in
	*G) echo $((${1%G} * 1024)) ;;
	*M) echo "${1%M}" ;;
	*) echo "$1" ;;
	esac
}

# scenario_arg NAME KEY DEFAULT: the value of KEY=V (or NAME.KEY=V, which
# wins) in --scenario-args.
scenario_arg() {
	local a v=$3 own=
	for a in $scenario_args; do
		case "$a" in
		"$1.$2="*) own=${a#"$1.$2="} ;;
		"$2="*) v=${a#"$2="} ;;
		esac
	done
	echo "${own:-$v}"
}

# Sets est (seconds) and est_why (how it was reached).
estimate_time() {
	local gib10 boot leak=0 work=0 s n mib passes rate
	gib10=$(($(mem_mib "$mem") * 10 / 1024))	# GiB, tenths
	if [ "$kernel" = test ]; then
		boot=$((60 + 15 * smp + 5 * gib10 / 10))
		leak=$((3 * (40 + 7 * gib10 / 10)))
	else
		boot=30
	fi
	for s in "${scenario_list[@]}"; do
		case "$s" in
		kunit) n=240 ;;
		demo) n=180 ;;
		load-unload) n=$((5 * $(scenario_arg "$s" count 50))) ;;
		disk-integrity)
			mib=$(scenario_arg "$s" mib 256)
			[[ "$mib" =~ ^[0-9]+$ ]] || mib=256
			passes=3
			[ "$(scenario_arg "$s" after yes)" = no ] && passes=2
			rate=8
			[ "$smp" -eq 1 ] || rate=3
			n=$((2 * mib * passes * rate / 10))
			;;
		suspend)
			# disk-integrity twice (write and read, no unload) on
			# two disks, S3 and the unload
			mib=$(scenario_arg "$s" mib 64)
			[[ "$mib" =~ ^[0-9]+$ ]] || mib=64
			rate=8
			[ "$smp" -eq 1 ] || rate=3
			n=$((2 * 2 * mib * 2 * rate / 10 + 90))
			;;
		*) n=90 ;;
		esac
		[ "$kernel" = test ] || n=$((n / 4))
		work=$((work + n))
	done
	est=$(((boot + leak + work) * 3 / 2))
	est=$(((est + 59) / 60 * 60))
	est_why="boot $boot s + kmemleak $leak s + scenarios $work s, x1.5"
	# Never below the old fixed default, which the stock runs fit.
	[ $est -ge 300 ] || { est=300; est_why+=", at least 300 s"; }
}
estimate_time
if [ "$timeout_s" = auto ]; then
	timeout_s=$est
	timeout_note="time limit $timeout_s s (auto: $est_why)"
elif [ "$timeout_s" -lt "$est" ]; then
	timeout_note="time limit $timeout_s s"
	echo "$me: warning: --timeout $timeout_s will likely not fit this run: it needs about $est s ($est_why)" >&2
else
	timeout_note="time limit $timeout_s s"
fi

[ $print_limit -eq 0 ] || { echo "$me: $timeout_note"; exit 0; }

run_name=${scenario//,/+}-$kernel-aw$aw-cm$cm-smp$smp
[ "$mem" = 2G ] || run_name+=-mem$mem
[ -n "$log" ] || log=$top/build/logs/$run_name.log
case "$log" in /*) ;; *) log=$PWD/$log ;; esac
mkdir -p "$(dirname "$log")" || fail "cannot create the directory of $log"

cd "$top" || exit 1

# --- build ------------------------------------------------------------------
if [ $build -eq 1 ]; then
	scripts/setup.sh >/dev/null || fail "scripts/setup.sh failed"
	if [ "$kernel" = stock ]; then
		echo "$me: make -s"
		make -C "$top" -s || fail "build failed: make -C $top -s"
	elif [ "$kernel" = bench ]; then
		echo "$me: make -s bench-modules (builds the bench kernel the first time)"
		make -C "$top" -s bench-modules || fail "build failed: make -C $top -s bench-modules"
	else
		echo "$me: make -s test-modules (builds the test kernel the first time)"
		make -C "$top" -s test-modules || fail "build failed: make -C $top -s test-modules"
	fi
fi

# --- kernel -----------------------------------------------------------------
kver=
if [ "$kernel" = stock ]; then
	# The newest installed Debian kernel whose modules are installed too.
	for k in $(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -rV); do
		v=${k#/boot/vmlinuz-}
		if [ -f "/lib/modules/$v/modules.dep" ]; then
			kver=$v
			image=$k
			break
		fi
	done
	[ -n "$kver" ] || fail "no /boot/vmlinuz-*-amd64 with /lib/modules/<version>: run scripts/setup.sh"
	[ -r "$image" ] || fail "$image is not readable (run as root)"
elif [ "$kernel" = bench ]; then
	kdir=$(scripts/bench-kernel.sh --print-dir) || fail "scripts/bench-kernel.sh --print-dir failed"
	image=$kdir/arch/x86/boot/bzImage
	[ -f "$image" ] || fail "no bench kernel at $image: run make bench-modules"
else
	kdir=$(scripts/test-kernel.sh --print-dir) || fail "scripts/test-kernel.sh --print-dir failed"
	image=$kdir/arch/x86/boot/bzImage
	[ -f "$image" ] || fail "no test kernel at $image: run make test-modules"
fi

moddir=$top/build/$kernel
[ "$kernel" != bench ] || moddir=$top/build/bench/modules
ko=$moddir/vtd_remap.ko
edu_ko=$moddir/vtd_edu.ko
for k in "$ko" "$edu_ko"; do
	[ -f "$k" ] || fail "no module at ${k#"$top"/}: run make$([ "$kernel" = stock ] || echo " $kernel-modules")"
	if [ "$kernel" = stock ]; then
		vm=$(modinfo -F vermagic "$k" 2>/dev/null)
		[ "${vm%% *}" = "$kver" ] ||
			fail "${k#"$top"/} is built for '${vm%% *}', the guest boots $kver: run make"
	fi
done

# --- initramfs --------------------------------------------------------------
mkdir -p "$top/build/qemu"
work=$(mktemp -d "$top/build/qemu/$run_name.XXXXXX") || fail "mktemp failed"
cleanup() {
	rm -rf "$work" ${qmp_dir:+"$qmp_dir"}
}
trap cleanup EXIT

root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,modules/kunit,scenarios/lib}
cp /bin/busybox "$root/bin/busybox" || fail "no /bin/busybox: install busybox-static"
for a in $(/bin/busybox --list-full); do
	[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
done
# The kernel opens /dev/console for /init before devtmpfs is mounted.
[ "$(id -u)" -ne 0 ] || mknod -m 600 "$root/dev/console" c 5 1
install -m 755 scripts/guest/init "$root/init"
cp scenarios/*.sh "$root/scenarios/"
# Shell functions the scenarios source (not scenarios themselves).
for f in scenarios/lib/*.sh; do
	[ -e "$f" ] && cp "$f" "$root/scenarios/lib/"
done
cp "$ko" "$root/modules/vtd_remap.ko"
cp "$edu_ko" "$root/modules/vtd_edu.ko"
for t in "$moddir"/kunit/*.ko; do
	[ -e "$t" ] && cp "$t" "$root/modules/kunit/"
done
# The scenarios' static programs (tools/guest: PCM playback, block checker).
make -s -C tools/guest || fail "build failed: make -C tools/guest"
cp tools/guest/build/* "$root/usr/bin/" || fail "no programs in tools/guest/build"
# The benchmark module (bench kernel) and the bench scenarios.
for t in "$moddir"/bench/*.ko; do
	[ -e "$t" ] && cp "$t" "$root/modules/"
done
cp bench/scenarios/*.sh "$root/scenarios/" 2>/dev/null
# Host binaries (--extra-bin) with the shared libraries they load.
for b in ${extra_bins[@]+"${extra_bins[@]}"}; do
	[ -x "$b" ] || fail "--extra-bin $b: not an executable"
	cp -L "$b" "$root/usr/bin/" || fail "cannot stage $b"
	for f in $(ldd "$b" 2>/dev/null | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f" || fail "cannot stage $f"
	done
done

# Stock kernel: the drivers of the devices given, with their dependencies,
# uncompressed, and a modules.dep of their own for busybox modprobe.
if [ "$kernel" = stock ]; then
	want=()
	for d in ${devices[@]+"${devices[@]}"}; do
		case "$d" in
		nvme) want+=(nvme) ;;
		virtio-blk) want+=(virtio_pci virtio_blk) ;;
		ahci) want+=(ahci sd_mod) ;;
		xhci) want+=(xhci_pci usb_storage sd_mod) ;;
		virtio-scsi) want+=(virtio_pci virtio_scsi sd_mod) ;;
		megasas) want+=(megaraid_sas sd_mod) ;;
		lsi) want+=(sym53c8xx sd_mod) ;;
		hda) want+=(snd_hda_codec_generic snd_hda_intel) ;;
		esac
	done
	for t in ${topologies[@]+"${topologies[@]}"}; do
		case "$t" in
		pcie-root-port | nvme-sriov) want+=(nvme) ;;
		esac
	done
	kmods=$root/lib/modules/$kver
	mkdir -p "$kmods"
	: > "$root/etc/vtd-modules"
	for m in $(printf '%s\n' ${want[@]+"${want[@]}"} | awk '!seen[$0]++'); do
		deps=$(modprobe --show-depends -S "$kver" "$m") ||
			fail "modprobe --show-depends -S $kver $m failed"
		echo "$deps" | grep -q '^builtin ' && continue
		for f in $(echo "$deps" | awk '$1 == "insmod" { print $2 }'); do
			rel=${f#/lib/modules/"$kver"/}
			dst=$kmods/$rel
			mkdir -p "$(dirname "$dst")"
			case "$f" in
			*.ko) cp "$f" "$dst" ;;
			*.ko.xz) xz -dc "$f" > "${dst%.xz}" ;;
			*.ko.gz) gzip -dc "$f" > "${dst%.gz}" ;;
			*.ko.zst) zstd -qdc "$f" > "${dst%.zst}" ;;
			*) fail "unexpected module file $f" ;;
			esac || fail "cannot stage $f"
		done
		echo "$m" >> "$root/etc/vtd-modules"
	done
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		[ -f "/lib/modules/$kver/$f" ] && cp "/lib/modules/$kver/$f" "$kmods/"
	done
	depmod -b "$root" "$kver" || fail "depmod -b $root $kver failed"
fi

initrd=$work/initramfs.cpio.gz
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 > "$initrd" || fail "cannot build the initramfs"

# --- QEMU -------------------------------------------------------------------
# la57=off: with TCG's "max" CPU a 6.1 kernel runs 5-level paging, and the
# KASAN test kernel then reports a wild access in rcu_is_watching() when an
# interrupt lands during identify_cpu() at boot (seen once in about ten
# boots, before any module loads). VT-d DMA does not depend on it.
# shellcheck disable=SC2054 # the commas are QEMU's option syntax
qemu=(qemu-system-x86_64 -machine q35 -accel tcg -cpu max,la57=off -smp "$smp" -m "$mem"
	-nographic -no-reboot -nic none
	-device "intel-iommu,intremap=off,aw-bits=$aw,caching-mode=$cm"
	-device isa-debug-exit,iobase=0xf4,iosize=0x04)
# Disks are numbered from 0 in the order given.
n=0
nahci=0
nhda=0
for d in ${devices[@]+"${devices[@]}"}; do
	case "$d" in
	edu)
		qemu+=(-device edu)
		;;
	nvme)
		img=$work/nvme$n.img
		truncate -s "$disk_size" "$img" || fail "cannot create $img"
		qemu+=(-drive "file=$img,if=none,id=nvm$n,format=raw"
			-device "nvme,serial=vtd$n,drive=nvm$n")
		;;
	virtio-blk)
		img=$work/vd$n.img
		truncate -s "$disk_size" "$img" || fail "cannot create $img"
		qemu+=(-drive "file=$img,if=none,id=vd$n,format=raw"
			-device "virtio-blk-pci,drive=vd$n,iommu_platform=on,disable-legacy=on")
		;;
	ahci | xhci | virtio-scsi | megasas | lsi)
		img=$work/$d$n.img
		truncate -s "$disk_size" "$img" || fail "cannot create $img"
		qemu+=(-drive "file=$img,if=none,id=dk$n,format=raw")
		case "$d" in
		ahci)	# q35's ICH9 AHCI (00:1f.2) has six ports, ide.0 to ide.5
			[ $nahci -lt 6 ] || die_usage "at most six ahci disks"
			qemu+=(-device "ide-hd,bus=ide.$nahci,drive=dk$n")
			nahci=$((nahci + 1)) ;;
		xhci) qemu+=(-device "qemu-xhci,id=hc$n" -device "usb-storage,bus=hc$n.0,drive=dk$n") ;;
		# hotplug=off: virtio_scsi posts 8 event buffers it never unmaps
		# on remove (DMA-API debug: "pending DMA allocations" at unbind)
		virtio-scsi) qemu+=(-device "virtio-scsi-pci,id=hc$n,iommu_platform=on,disable-legacy=on,hotplug=off") ;;
		megasas) qemu+=(-device "megasas,id=hc$n") ;;
		lsi) qemu+=(-device "lsi53c895a,id=hc$n") ;;
		esac
		case "$d" in
		virtio-scsi | megasas | lsi) qemu+=(-device "scsi-hd,bus=hc$n.0,drive=dk$n") ;;
		esac
		;;
	hda)
		qemu+=(-audiodev "none,id=snd$nhda" -device "intel-hda,id=hda$nhda"
			-device "hda-output,bus=hda$nhda.0,audiodev=snd$nhda")
		nhda=$((nhda + 1))
		;;
	esac
	case "$d" in edu | hda) ;; *) n=$((n + 1)) ;; esac
done

# Named topologies (--topology). Scenarios find these devices by
# vendor:device and position (scenarios/lib/pci.sh), never by address; the
# ids here are what host requests (device_add/device_del) name.
chassis=1
for t in ${topologies[@]+"${topologies[@]}"}; do
	case "$t" in
	pcie-root-port)
		# A -blockdev, not a -drive: QEMU deletes a -drive's backend
		# when its device is unplugged, so the nvme could not be
		# added again after a device_del.
		img=$work/hp-nvme.img
		truncate -s "$disk_size" "$img" || fail "cannot create $img"
		qemu+=(-device "pcie-root-port,id=hp-port,chassis=$chassis,slot=$chassis"
			-blockdev "driver=raw,node-name=hp-disk,file.driver=file,file.filename=$img"
			-device "nvme,id=hp-nvme,bus=hp-port,drive=hp-disk,serial=vtdhp")
		chassis=$((chassis + 1))
		;;
	pcie-pci-bridge)
		# Conventional PCI behind a PCIe-to-PCI bridge: QEMU (like
		# real bridges) gives both edus the requester ID of the
		# bridge's secondary bus, device 0 function 0.
		qemu+=(-device "pcie-pci-bridge,id=pci-br,bus=pcie.0"
			-device "edu,bus=pci-br,addr=1" -device "edu,bus=pci-br,addr=2")
		;;
	multifunction)
		qemu+=(-device "edu,addr=18.0,multifunction=on" -device "edu,addr=18.1")
		;;
	nvme-sriov)
		# QEMU 7.2's nvme needs a subsystem for SR-IOV, and flexible
		# queue and interrupt resources for its VFs (at least 2 queues
		# and 1 vector each); the namespace is a device of its own.
		img=$work/sriov-nvme.img
		truncate -s "$disk_size" "$img" || fail "cannot create $img"
		qemu+=(-device "nvme-subsys,id=sriov-subsys,nqn=vtd-sriov"
			-device "nvme,id=sriov-nvme,serial=vtdsriov,subsys=sriov-subsys,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2"
			-drive "file=$img,if=none,id=sriov-disk,format=raw"
			-device "nvme-ns,drive=sriov-disk,bus=sriov-nvme,nsid=1")
		;;
	esac
done
# With q35's default ACPI PCI hotplug, QEMU's _OSC keeps PCIe native
# hotplug from the OS, and the test kernel has no ACPI hotplug driver
# (acpiphp): hand the root ports to the kernel's pciehp instead.
for t in ${topologies[@]+"${topologies[@]}"}; do
	[ "$t" = pcie-root-port ] || continue
	qemu+=(-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off)
	break
done
# S3: q35's ICH9 power management hides S3 from the guest unless told.
[ $s3 -eq 0 ] || qemu+=(-global ICH9-LPC.disable_s3=0)
# The host's side of the run: QMP for hotplug requests and the time limit.
# A unix socket path must be shorter than 108 bytes: the run's directory
# can be longer (a deep checkout, a long list of scenarios), so the socket
# lives in a short directory of its own.
qmp_dir=$(mktemp -d /tmp/vtd-qmp.XXXXXX) || fail "mktemp failed"
qmp_sock=$qmp_dir/qmp.sock
qemu+=(-qmp "unix:$qmp_sock,server=on,wait=off")
qemu+=(${qemu_extra[@]+"${qemu_extra[@]}"})

# Every message on the console; any oops ends the guest at once. Under TCG
# on a busy host a vCPU can stall for many seconds without any bug, so the
# RCU stall and soft-lockup detectors get a minute instead of ~20 s.
cmdline="console=ttyS0,115200 loglevel=8 panic=-1 oops=panic"
cmdline+=" rcupdate.rcu_cpu_stall_timeout=60 watchdog_thresh=30"
# Host requests are /dev/kmsg lines: never rate-limit them away.
cmdline+=" printk.devkmsg=on"
# The stock kernel must leave the unit to the module.
[ "$kernel" = test ] || cmdline+=" $iommu_args edd=off"
# No KASLR: the vCPU registers logged at a time limit are named from
# System.map after the run. SysRq-L (sent at a time limit) must not be
# masked by the kernel's default sysrq bits (Debian's leave it off).
cmdline+=" nokaslr sysrq_always_enabled"
cmdline+=" vtd.scenario=$scenario"
# The topologies given, for the scenarios that check for them.
[ ${#topologies[@]} -eq 0 ] || cmdline+=" vtd.topology=$(IFS=,; echo "${topologies[*]}")"
# With S3, the console stays on across suspend: what a driver or the
# module prints while suspending or resuming is in the log.
[ $s3 -eq 0 ] || cmdline+=" vtd.s3=1 no_console_suspend"
[ -z "$scenario_args" ] || cmdline+=" vtd.args=\"$scenario_args\""
[ -z "$append" ] || cmdline+=" $append"
qemu+=(-kernel "$image" -initrd "$initrd" -append "$cmdline")

echo "$me: $scenario on the $kernel kernel${kver:+ $kver}, aw-bits $aw, caching-mode $cm," \
	"$smp CPU(s), $mem, devices: ${devices[*]:-none}${topologies[*]:+, topologies: ${topologies[*]}}" \
	"$([ $s3 -eq 0 ] || echo ", S3"); log ${log#"$top"/}"
echo "$me: $timeout_note"
{
	echo "# $me: ${qemu[*]}"
} > "$log"

start=$(date +%s)
# QEMU's console, without CRs and the firmware's terminal escapes, shown
# live and saved. stdin is not the guest's: the scenario runs unattended.
# qmp-host.py runs the guest's host requests and stops QEMU at the time
# limit (after logging the vCPUs' state); timeout(1) is the backstop.
timeout_file=$work/timed-out
timeout --foreground -k 10 "$((timeout_s + 60))" "${qemu[@]}" < /dev/null 2>&1 |
	sed -u -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' |
	python3 -u "$top/scripts/qmp-host.py" --qmp "$qmp_sock" \
		--deadline "$timeout_s" --timeout-file "$timeout_file" |
	tee -a "$log"
rc=${PIPESTATUS[0]}
[ ! -e "$timeout_file" ] || rc=124
secs=$(($(date +%s) - start))

# At a time limit qmp-host.py logged every vCPU's registers: name each
# RIP from the kernel's System.map, so a hang shows where the CPUs were.
sysmap=
if [ "$kernel" = test ]; then sysmap=$kdir/System.map; else sysmap=/boot/System.map-$kver; fi
if [ -e "$timeout_file" ] && [ -r "$sysmap" ]; then
	python3 - "$sysmap" "$log" <<'PYEOF' | tee -a "$log"
import bisect, re, sys
syms = []
for l in open(sys.argv[1]):
    f = l.split()
    if len(f) >= 3 and f[1] in "tTwW":
        syms.append((int(f[0], 16), f[2]))
syms.sort()
if len(syms) < 1000:
    sys.exit(0)    # a placeholder map (Debian's stock kernels)
addrs = [a for a, _ in syms]
cpu = 0
for l in open(sys.argv[2], errors="replace"):
    m = re.search(r"RIP=([0-9a-f]{16})", l)
    if not m:
        continue
    rip = int(m.group(1), 16)
    i = bisect.bisect_right(addrs, rip) - 1
    where = "%s+0x%x" % (syms[i][1], rip - syms[i][0]) if i >= 0 else "?"
    print("# qemu-boot: vCPU %d at %s" % (cpu, where))
    cpu += 1
PYEOF
fi

# --- verdict ----------------------------------------------------------------

verdict=
trouble=$(scan_log "$log")
# An RCU stall under TCG is as likely the host's load as a bug: say so,
# without failing the run (a real one ends in a lockup, hang or timeout).
stall=$(grep -a -n -m1 -E 'rcu: INFO: .*detected stall|self-detected stall' "$log")
[ -z "$stall" ] || echo "$me: note: RCU stall reported (busy host?): ${log#"$top"/}:$stall"
end_line=$(grep -a -m1 "^VTD-SCENARIO-END $scenario status=" "$log")
qemu_err=$(grep -a -m1 '^qemu-system-x86_64: ' "$log")

case $rc in
1)
	if [ "$end_line" = "VTD-SCENARIO-END $scenario status=0" ]; then
		verdict=pass
	else
		verdict="QEMU exited 1 without the guest's pass verdict${qemu_err:+: $qemu_err}"
	fi
	;;
3)
	verdict="scenario $scenario failed in the guest${end_line:+ (${end_line#VTD-SCENARIO-END })}"
	;;
0)
	verdict="guest stopped without a verdict (panic, reboot or poweroff)"
	;;
124 | 137)
	# What the guest was doing when the time ran out: the last line of
	# /init's or a scenario's progress.
	last_leak=$(grep -a -E '^vtd-init: kmemleak: ' "$log" | tail -n 1)
	last_any=$(grep -a -v '^# qemu-boot: ' "$log" | grep -a -v '^ *$' | tail -n 1)
	# /init says "scanning ..." before each kmemleak scan and what it
	# found after it: a "scanning" line last means a scan was running.
	case "$last_leak" in
	*": scanning"*)
		verdict="timeout during the kmemleak scan (${last_leak#vtd-init: kmemleak: }) after $timeout_s s: give more time (--timeout) or less memory"
		;;
	esac
	if [ -z "${verdict:-}" ]; then
		# The test kernel used to stop after "Running RCU-tasks wait
		# API self tests" (about 1 boot in 300): a deadlock in 6.1's
		# RCU-tasks self test (init waits on tasks_gp_mutex, which the
		# kthread holds while it waits for init's callback), removed by
		# scripts/test-kernel-patches/0001-*. qmp-host.py dumps the
		# vCPUs and CPU 0's local APIC at the time limit.
		if grep -a -q '^VTD-SCENARIO-BEGIN' "$log"; then
			verdict="timeout: no verdict after $timeout_s s, the scenario running (last line: ${last_any:0:120})"
		else
			verdict="timeout: no verdict after $timeout_s s, before any scenario started (boot hung? last line: ${last_any:0:120})"
		fi
	fi
	;;
*)
	verdict="QEMU exited with status $rc${qemu_err:+: $qemu_err}"
	;;
esac

known_warnings "$log"
if [ -n "$trouble" ]; then
	IFS=$'\t' read -r tline treason ttext <<< "$trouble"
	[ "$verdict" = pass ] || echo "$me: also: $verdict"
	fail "$treason" "${log#"$top"/}:$tline: $ttext"
fi
[ "$verdict" = pass ] || fail "$verdict" "log: ${log#"$top"/}"
echo "$me: PASS ($scenario, $secs s)"
exit 0
