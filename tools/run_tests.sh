#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the userspace allocator tests built by tools/Makefile: every suite of
# iova_test for each compiler, then the fuzz target over its committed
# corpus. One line per run ("PASS  ..." or "FAIL  ... (see LOG)"), then
# "N passed, N failed"; exits non-zero if anything failed.
#
# usage: run_tests.sh BUILD_DIR SEED COMPILER...

set -uo pipefail

b=$1
seed=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
logs=$b/logs
mkdir -p "$logs"
passed=0
failed=0

# $1: name, $2: log, then the command.
run() {
	local name=$1 log=$2
	shift 2
	if "$@" > "$log" 2>&1; then
		passed=$((passed + 1))
		printf 'PASS  %s\n' "$name"
	else
		failed=$((failed + 1))
		printf 'FAIL  %s  (see %s)\n' "$name" "$log"
	fi
}

for cc in "$@"; do
	for suite in shim contract cost cache random failnth threads; do
		case $suite in
		random|threads|cache) what="$suite, $cc, seed $seed" ;;
		*) what="$suite, $cc" ;;
		esac
		run "iova_test $what" "$logs/iova_test-$suite-$cc.log" \
			"$b/$cc/iova_test" -s "$seed" "$suite"
	done
done

if [ -x "$b/fuzz/iova_fuzz" ]; then
	run "iova_fuzz corpus replay, clang" "$logs/iova_fuzz-corpus.log" \
		"$b/fuzz/iova_fuzz" -runs=0 "$here/fuzz/corpus-iova"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
