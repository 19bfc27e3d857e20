#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Compare two builds of the userspace allocator benchmark (iova_bench.c).
#
#   bench-iova.sh OLD NEW [ROUNDS [iova_bench args...]]
#	run them alternately, ROUNDS times each (default 5), and print for
#	every test the median over rounds of each build's median and mean
#	time, and the ratio new/old
#   bench-iova.sh -c OLD NEW
#	count instructions instead, under callgrind: per timed operation of
#	each test (what iova_bench times goes through timed_op()); exact and
#	unaffected by other load on the machine, and the nearest userspace
#	stand-in for a TCG guest, where every instruction costs
#
# The shim's test allocator and locks are inside both counts.

set -euo pipefail

if [ "${1:-}" = -c ]; then
	bins=("$2" "$3")
	# test and its arguments, then how many timed_op() calls it makes
	tests=("loop -b 2" $((7 * 3 * 1000))
	       "mix -l 20000 -o 2000" 2000
	       "linwalk -l 20000 -o 2000" 200
	       "3in4 -g 16384 -o 2000" 200)
	log=$(mktemp)
	trap 'rm -f "$log"' EXIT
	printf '%-10s %12s %12s %6s\n' test "old Ir/op" "new Ir/op" ratio
	for ((i = 0; i < ${#tests[@]}; i += 2)); do
		read -r -a args <<< "${tests[i]}"
		n=${tests[i + 1]}
		ir=()
		for bin in "${bins[@]}"; do
			valgrind --tool=callgrind --toggle-collect=timed_op \
				--callgrind-out-file=/dev/null "$bin" \
				"${args[@]:1}" "${args[0]}" > /dev/null 2> "$log"
			ir+=($(($(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log") / n)))
		done
		printf '%-10s %12d %12d %6.2f\n' "${args[0]}" "${ir[0]}" \
			"${ir[1]}" "$(echo "${ir[1]} / ${ir[0]}" | bc -l)"
	done
	exit 0
fi

old=$1
new=$2
rounds=${3:-5}
shift 3 2>/dev/null || shift $#
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for _ in $(seq "$rounds"); do
	"$old" "$@" >> "$tmp/old"
	"$new" "$@" >> "$tmp/new"
done
python3 - "$tmp/old" "$tmp/new" <<'PY'
import re, statistics, sys
def load(p):
    d = {}
    for line in open(p):
        name = line[:22].strip()
        kv = dict(re.findall(r'(\w+)=(\S+)', line[22:]))
        d.setdefault(name, []).append(kv)
    return d
o, n = load(sys.argv[1]), load(sys.argv[2])
print(f"{'test':22} {'old med':>8} {'new med':>8} {'ratio':>6}  {'old mean':>8} {'new mean':>8} {'ratio':>6}  visits old/new")
for k in o:
    om = statistics.median(float(x['med']) for x in o[k])
    nm = statistics.median(float(x['med']) for x in n[k])
    oa = statistics.median(float(x['mean']) for x in o[k])
    na = statistics.median(float(x['mean']) for x in n[k])
    ov = o[k][0].get('visits_med', '0')
    nv = n[k][0].get('visits_med', '0')
    print(f"{k:22} {om:8.0f} {nm:8.0f} {nm/om:6.2f}  {oa:8.0f} {na:8.0f} {na/oa:6.2f}  {ov}/{nv}")
PY
