#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run two builds of the userspace allocator benchmark (iova_bench.c),
# alternately, ROUNDS times each, and print for every line the median over
# rounds of each build's median and mean, and their ratio new/old.
#
# usage: bench-iova.sh OLD NEW [ROUNDS] [iova_bench args...]

set -euo pipefail
old=$1
new=$2
rounds=${3:-5}
shift 3 2>/dev/null || shift $#
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for r in $(seq "$rounds"); do
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
