#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/fuzz/run.sh SECONDS [SEED] - run every libFuzzer target built from
# tests/fuzz/fuzz_*.c (build/fuzz/fuzz_*, `make fuzz-bins`) for SECONDS
# each, and report its executions. SEED (libFuzzer -seed) makes a run
# repeatable; the default, 0, lets libFuzzer pick.
#
# Corpus per target NAME, all under build/fuzz/ (kept between runs, so
# coverage accumulates):
#   corpus/NAME/   the working corpus libFuzzer grows
#   seeds/NAME/    seeds, rebuilt each run: tests/fuzz/NAME.seeds (a
#                  script printing nothing, writing files into "$1"), if
#                  present, and tests/fuzz/corpus/NAME/ (checked-in files)
#   artifacts/     crash-*, leak-*, timeout-* inputs of a failing run
# tests/fuzz/NAME.dict, if present, is the target's dictionary.
#
# A target fails when libFuzzer exits non-zero (a sanitizer report, an
# abort() of the target's own checks, a leak, a timeout). Prints
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:?usage: tests/fuzz/run.sh SECONDS [SEED]}
SEED=${2:-0}
OUT=build/fuzz
pass=0 fail=0
targets=()
for t in tests/fuzz/fuzz_*.c; do
	[ -x "$OUT/$(basename "$t" .c)" ] && targets+=("$OUT/$(basename "$t" .c)")
done
if [ "${#targets[@]}" -eq 0 ]; then
	echo "no fuzz targets in $OUT (make fuzz-bins)"; echo "0 passed, 1 failed"; exit 1
fi
mkdir -p "$OUT/artifacts"
for bin in "${targets[@]}"; do
	name=$(basename "$bin")
	corpus=$OUT/corpus/$name seeds=$OUT/seeds/$name log=$OUT/$name.log
	rm -rf "$seeds"
	mkdir -p "$corpus" "$seeds"
	[ -x "tests/fuzz/$name.seeds" ] && "tests/fuzz/$name.seeds" "$seeds"
	[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$seeds/"
	dict=()
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
	nseeds=$(find "$seeds" -type f | wc -l)
	"$bin" -max_total_time="$SECS" -seed="$SEED" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=1024 -artifact_prefix="$OUT/artifacts/$name-" "${dict[@]}" \
		"$corpus" "$seeds" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	size=$(find "$corpus" -type f | wc -l)
	if [ $rc -eq 0 ] && [ -n "$execs" ] && [ "$execs" -gt 0 ]; then
		pass=$((pass + 1))
		echo "ok   $name: $execs executions in ${SECS} s, $nseeds seeds, corpus $size inputs"
	else
		fail=$((fail + 1))
		echo "FAIL $name: exit $rc after ${execs:-?} executions (log $log)"
		grep -E 'ERROR|SUMMARY|==[0-9]+==|Test unit written' "$log" | head -n 12 | sed 's/^/     | /'
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
