#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh: `make bench`. Builds the bench kernel (scripts/bench-kernel.sh,
# cached), vtd_remap.ko and vtd_bench.ko against it and the kernel's own
# dma_map_benchmark tool (statically, from the installed linux-source-6.1),
# boots the guests one after the other and writes build/bench/report.md
# with its plots (bench/report.py).
#
# Boots: one for the allocators (bench/scenarios/bench-alloc.sh), then one
# per IOMMU configuration and caching mode for map/unmap and fio
# (bench/scenarios/bench-dma.sh):
#   none           intel_iommu=off: no translation, the physical limit
#   linux-strict   intel_iommu=on iommu.strict=1
#   linux-lazy     intel_iommu=on iommu.strict=0
#   ours-strict    intel_iommu=off intremap=off + vtd_remap own=<edu>,<nvme>
#   ours-deferred  the same + unmap=deferred ("not available" in the report
#                  while vtd_remap has no unmap= parameter)
#   ours-shadow    the same + unmap=shadow (copies through shadow buffers
#                  up to shadow_max, zero-copy strict above)
# and, per caching mode, one boot of our three modes interleaved
# (bench/scenarios/bench-modes.sh: strict, deferred, shadow, three rounds),
# whose ratios come from one boot.
#
# usage: scripts/bench.sh [--quick] [--only alloc|dma|report]
#                         [--configs LIST] [--cm LIST] [--repeat N] [--no-build]
#   --quick        short runs, caching mode off only (also BENCH_QUICK=1)
#   --only WHAT    only the allocator boot, only the DMA boots, or only
#                  regenerate the report from the logs already there
#   --configs LIST comma list of configurations (default: all six, then
#                  modes, the boot of bench-modes.sh)
#   --cm LIST      caching modes (default off,on; quick: off)
#   --repeat N     every DMA and modes boot N times, round by round (names
#                  end in -r1..-rN); the report gives each figure's median
#                  over the rounds (default 1)
#   --no-build     use the modules and tool already built
# Environment: VTD_GUEST_WRAPPER, a command every guest runs under (e.g. a
# machine-wide slot limiter); BENCH_OUT (default build/bench).

set -uo pipefail

me=bench
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

quick=${BENCH_QUICK:-0}
only=
configs=none,linux-strict,linux-lazy,ours-strict,ours-deferred,ours-shadow,modes
cms=
build=1
repeat=1
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--only) only=$2; shift ;;
	--configs) configs=$2; shift ;;
	--cm) cms=$2; shift ;;
	--no-build) build=0 ;;
	--repeat) repeat=$2; shift ;;
	-h | --help) sed -n '4,41p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "$me: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ "$quick" = 1 ] || quick=0
case "$repeat" in '' | *[!0-9]* | 0) echo "$me: --repeat wants a number >= 1" >&2; exit 2 ;; esac
[ -n "$cms" ] || { [ "$quick" = 1 ] && cms=off || cms=off,on; }

out=${BENCH_OUT:-$top/build/bench}
logs=$out/logs
mkdir -p "$logs" "$out/tools"

iommu_args() {
	case "$1" in
	none) echo "intel_iommu=off intremap=off" ;;
	linux-strict) echo "intel_iommu=on iommu.strict=1" ;;
	linux-lazy) echo "intel_iommu=on iommu.strict=0" ;;
	ours-* | modes) echo "intel_iommu=off intremap=off" ;;
	*) return 1 ;;
	esac
}

# --- build ------------------------------------------------------------------
if [ "$only" != report ] && [ $build -eq 1 ]; then
	scripts/setup.sh >/dev/null || { echo "$me: scripts/setup.sh failed" >&2; exit 1; }
	echo "$me: make -s bench-modules (builds the bench kernel the first time)"
	make -s bench-modules || { echo "$me: make bench-modules failed" >&2; exit 1; }
	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	src=${VTD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtd-remap}/src-$srcver/linux-source-6.1
	tool=$src/tools/testing/selftests/dma/dma_map_benchmark.c
	[ -f "$tool" ] || { echo "$me: no $tool" >&2; exit 1; }
	# Its header is include/linux/map_benchmark.h: after the system's.
	gcc -O2 -static -idirafter "$src/include" -o "$out/tools/dma_map_benchmark" "$tool" ||
		{ echo "$me: cannot build $tool" >&2; exit 1; }
	command -v fio >/dev/null || { echo "$me: no fio: run scripts/setup.sh" >&2; exit 1; }
	command -v gnuplot >/dev/null || { echo "$me: no gnuplot: run scripts/setup.sh" >&2; exit 1; }
	command -v perf >/dev/null || { echo "$me: no perf: run scripts/setup.sh" >&2; exit 1; }
fi

# boot NAME TIMEOUT QEMU-BOOT-ARGS...: one guest; its command in boots.tsv.
boot() {
	local name=$1 t=$2
	shift 2
	local cmd=(scripts/qemu-boot.sh --kernel bench --no-build --timeout "$t"
		--log "${logs#"$top"/}/$name.log" "$@")
	local shown
	# Quoted for the shell: the report's commands can be pasted as they are.
	printf -v shown '%q ' "${cmd[@]}"
	shown=${shown% }
	printf '%s\t%s\n' "$name" "$shown" >> "$out/boots.new"
	echo "$me: boot $name: $shown"
	# shellcheck disable=SC2086
	${VTD_GUEST_WRAPPER:-} "${cmd[@]}" > "$logs/$name.out" 2>&1
	local rc=$?
	tail -n 1 "$logs/$name.out"
	printf '%s\t%s\n' "$name" "$rc" >> "$out/status.new"
}

start=$(date +%s)
if [ "$only" != report ]; then
	# Keep the commands of boots not rerun now.
	: > "$out/boots.new"
	: > "$out/status.new"
	if [ -z "$only" ] || [ "$only" = alloc ]; then
		rm -f "$logs"/alloc.*
		boot alloc $((quick ? 1200 : 3600)) --smp 2 --mem 2G --devices none \
			--scenario bench-alloc --scenario-args "quick=$quick"
	fi
	if [ -z "$only" ] || [ "$only" = dma ]; then
		IFS=, read -r -a cfgl <<< "$configs"
		IFS=, read -r -a cml <<< "$cms"
		for ((r = 1; r <= repeat; r++)); do
		# Round r of every boot before round r + 1: drift falls on all.
		sfx=
		[ "$repeat" = 1 ] || sfx=-r$r
		for cm in "${cml[@]}"; do
			for c in "${cfgl[@]}"; do
				a=$(iommu_args "$c") || { echo "$me: unknown configuration $c" >&2; exit 2; }
				if [ "$c" = modes ]; then
					[ "$r" = 1 ] && rm -f "$logs/modes-cm$cm".* "$logs/modes-cm$cm"-r*.*
					echo "modes-cm$cm" >> "$out/rerun.new"
					boot "modes-cm$cm$sfx" $((quick ? 900 : 1800)) --smp 2 \
						--mem 1G --caching-mode "$cm" --devices edu,nvme \
						--disk-size 1G \
						--extra-bin "${out#"$top"/}/tools/dma_map_benchmark" \
						--extra-bin "$(command -v fio)" --iommu-args "$a" \
						--scenario bench-modes --scenario-args "quick=$quick"
					continue
				fi
				[ "$r" = 1 ] && rm -f "$logs/dma-$c-cm$cm".* "$logs/dma-$c-cm$cm"-r*.*
				echo "dma-$c-cm$cm" >> "$out/rerun.new"
				boot "dma-$c-cm$cm$sfx" $((quick ? 900 : 1800)) --smp 2 --mem 1G \
					--caching-mode "$cm" --devices edu,nvme --disk-size 1G \
					--extra-bin "${out#"$top"/}/tools/dma_map_benchmark" \
					--extra-bin "$(command -v fio)" \
					--extra-bin "$(command -v perf)" --iommu-args "$a" \
					--scenario bench-dma \
					--scenario-args "config=$c quick=$quick profile=1"
			done
		done
		done
	fi
	touch "$out/rerun.new"
	for f in boots status; do
		touch "$out/$f.tsv"
		# New lines replace old ones of the same boot, and every round of
		# a boot run again now (its name without -rN) goes.
		awk -F'\t' 'FILENAME == ARGV[1] { again[$1] = 1; next }
			FILENAME == ARGV[2] { new[$1] = $0; next }
			{ b = $1; sub(/-r[0-9]+$/, "", b) }
			!($1 in new) && !(b in again) { print }
			END { for (k in new) print new[k] }' \
			"$out/rerun.new" "$out/$f.new" "$out/$f.tsv" | sort > "$out/$f.tmp"
		mv "$out/$f.tmp" "$out/$f.tsv"
		rm -f "$out/$f.new"
	done
	rm -f "$out/rerun.new"
fi

echo "$me: writing the report"
python3 bench/report.py --out "$out" --quick "$quick" || { echo "$me: report failed" >&2; exit 1; }
echo "$me: done in $(($(date +%s) - start)) s: ${out#"$top"/}/report.md"
