#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make -C tools/dmar test: the DMAR parser's userspace tests, built with
# ASan and UBSan in $1; the remaining arguments are the tables. Prints one
# PASS/FAIL line per check and ends with "N passed, N failed".
#
#   1. dmar_test: real tables, malformed-table suite, -ENOMEM, resolution
#   2. iasl_compare.py: dmar-dump --json against iasl -d, field by field
#   3. dmar-dump's exit status: 0 usable, 1 errors, 2 usage or I/O error

set -uo pipefail
bin=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
passed=0
failed=0

count() {
	grep -E '^(PASS|FAIL)  ' "$out"
	passed=$((passed + $(grep -c '^PASS  ' "$out")))
	failed=$((failed + $(grep -c '^FAIL  ' "$out")))
}

"$bin/dmar_test" "$@" > "$out" 2>&1
rc=$?
grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$out"
passed=$((passed + $(grep -c '^PASS  ' "$out")))
failed=$((failed + $(grep -c '^FAIL  ' "$out")))
if [ $rc -ne 0 ] && ! grep -q '^FAIL  ' "$out"; then
	echo "FAIL  dmar_test exited $rc"
	failed=$((failed + 1))
fi

if command -v iasl > /dev/null; then
	python3 "$here/iasl_compare.py" "$bin/dmar-dump" "$@" > "$out" 2>&1
	rc=$?
	cat "$out" | grep -vE '^(PASS|FAIL)  ' || true
	count
	if [ $rc -ne 0 ] && ! grep -q '^FAIL  ' "$out"; then
		echo "FAIL  iasl_compare.py exited $rc"
		failed=$((failed + 1))
	fi
else
	echo "FAIL  iasl not installed (scripts/setup.sh installs acpica-tools)"
	failed=$((failed + 1))
fi

# $1 name, $2 expected status, then the command
expect_status() {
	local name=$1 want=$2 got
	shift 2
	"$@" > /dev/null 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then
		echo "PASS  dmar-dump exit status: $name"
		passed=$((passed + 1))
	else
		echo "FAIL  dmar-dump exit status: $name: $got, expected $want"
		failed=$((failed + 1))
	fi
}
tables=$(dirname "$1")/..
expect_status "usable table is 0" 0 "$bin/dmar-dump" "$tables/qemu/q35_aw-bits_39_intremap_off.dmar"
expect_status "base-0 table is 1" 1 "$bin/dmar-dump" --json "$tables/linuxhw/Notebook__Lenovo__IdeaPadFlex__IdeaPadFlex_15_20309__D19FB82D46CF.dmar"
expect_status "missing file is 2" 2 "$bin/dmar-dump" /nonexistent/DMAR
expect_status "bad option is 2" 2 "$bin/dmar-dump" --bogus
expect_status "two files is 2" 2 "$bin/dmar-dump" "$1" "$1"
expect_status "empty file is 1" 1 "$bin/dmar-dump" /dev/null

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
