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
  --devices LIST        comma list of edu, nvme, virtio-blk; repeatable and
                        additive (--devices edu --devices edu: two edu
                        devices); "none" for no devices (default edu,nvme)
  --disk-size SIZE      size of each sparse disk file (default 512M)
  --scenario NAME[,NAME...]
                        scenarios/NAME.sh to run in the guest (default demo);
                        a comma list runs several in one boot, kmemleak
                        checked once after the last
  --scenario-args ARGS  arguments for the scenario(s) (space separated)
  --list-scenarios      print the scenarios and what each shows, then exit
  --timeout S           kill the guest after S seconds (default 300)
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
  -h, --help            this text

Exit status: 0 the guest passed and the log is clean; 1 anything else
(scenario failed, oops, KASAN/UBSAN/lockdep/kmemleak report, hung task,
timeout, QEMU error, missing build); 2 usage error. The last line printed is
"qemu-boot: PASS (...)" or "qemu-boot: FAIL (reason) ...".
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

kernel=stock
aw=48
cm=off
smp=2
mem=2G
devices=()
disk_size=512M
scenario=demo
scenario_args=
timeout_s=300
log=
append=
iommu_args="intel_iommu=off intremap=off"
extra_bins=()
build=1

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
	-h | --help | --list-scenarios | --no-build)
		[ $has_val -eq 0 ] || die_usage "$opt takes no value"
		;;
	--kernel | --aw-bits | --caching-mode | --smp | --mem | --devices | \
	--disk-size | --scenario | --scenario-args | --timeout | --log | --append | \
	--iommu-args | --extra-bin)
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
	--no-build) build=0 ;;
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
			none) devices+=(none) ;;
			*) die_usage "unknown device '$d' (edu, nvme, virtio-blk, none)" ;;
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
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || die_usage "--timeout must be a number of seconds"
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
	rm -rf "$work"
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
qemu=(qemu-system-x86_64 -machine q35 -accel tcg -cpu max,la57=off -smp "$smp" -m "$mem"
	-nographic -no-reboot -nic none
	-device "intel-iommu,intremap=off,aw-bits=$aw,caching-mode=$cm"
	-device isa-debug-exit,iobase=0xf4,iosize=0x04)
# Disks are numbered from 0 in the order given.
n=0
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
	esac
	[ "$d" = edu ] || n=$((n + 1))
done

# Every message on the console; any oops ends the guest at once. Under TCG
# on a busy host a vCPU can stall for many seconds without any bug, so the
# RCU stall and soft-lockup detectors get a minute instead of ~20 s.
cmdline="console=ttyS0,115200 loglevel=8 panic=-1 oops=panic"
cmdline+=" rcupdate.rcu_cpu_stall_timeout=60 watchdog_thresh=30"
# The stock kernel must leave the unit to the module.
[ "$kernel" = test ] || cmdline+=" $iommu_args edd=off"
cmdline+=" vtd.scenario=$scenario"
[ -z "$scenario_args" ] || cmdline+=" vtd.args=\"$scenario_args\""
[ -z "$append" ] || cmdline+=" $append"
qemu+=(-kernel "$image" -initrd "$initrd" -append "$cmdline")

echo "$me: $scenario on the $kernel kernel${kver:+ $kver}, aw-bits $aw, caching-mode $cm," \
	"$smp CPU(s), $mem, devices: ${devices[*]:-none}; log ${log#"$top"/}"
{
	echo "# $me: ${qemu[*]}"
} > "$log"

start=$(date +%s)
# QEMU's console, without CRs and the firmware's terminal escapes, shown
# live and saved. stdin is not the guest's: the scenario runs unattended.
timeout --foreground -k 10 "$timeout_s" "${qemu[@]}" < /dev/null 2>&1 |
	sed -u -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' |
	tee -a "$log"
rc=${PIPESTATUS[0]}
secs=$(($(date +%s) - start))

# --- verdict ----------------------------------------------------------------
# The first line of the log that shows the kernel in trouble, as
# "<line number>\t<reason>\t<line>". Per line, the most specific kind wins.
scan_log() {
	awk '
	function hit(reason, n, line) {
		printf "%d\t%s\t%s\n", n, reason, line
		done = 1
		exit
	}
	/^# qemu-boot: / { next }
	# A "cut here" line heads a splat: report the line that names it,
	# or the "cut here" line itself if none follows soon.
	cut && NR > cut + 5 { hit("kernel WARNING or BUG", cut, cutline) }
	/cut here/ { if (!cut) { cut = NR; cutline = $0 }; next }
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
	END { if (cut && !done) hit("kernel WARNING or BUG", cut, cutline) }
	' "$log"
}

trouble=$(scan_log)
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
	verdict="timeout: no verdict after $timeout_s s (hung guest?)"
	;;
*)
	verdict="QEMU exited with status $rc${qemu_err:+: $qemu_err}"
	;;
esac

if [ -n "$trouble" ]; then
	IFS=$'\t' read -r tline treason ttext <<< "$trouble"
	[ "$verdict" = pass ] || echo "$me: also: $verdict"
	fail "$treason" "${log#"$top"/}:$tline: $ttext"
fi
[ "$verdict" = pass ] || fail "$verdict" "log: ${log#"$top"/}"
echo "$me: PASS ($scenario, $secs s)"
exit 0
