#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/diff/run.sh [FRAMES [SEED]] - the differential test: the loaded BPF
# program (BPF_PROG_TEST_RUN, build/tests/diff_run) against the reference
# classifier written separately from headers/ntp_classify.h
# (tests/diff/reference.py), on FRAMES structure-aware generated and mutated
# frames (tests/diff/gen.py, deterministic in SEED), in verdict and reason:
#
#   1. the reference agrees with every hand-stated fixture of
#      tests/fixtures.py (default policy, empty allow-list);
#   2. FRAMES frames, default policy: zero mismatches;
#   3. FRAMES other frames, pass_unjudgeable=on: zero mismatches;
#   4. the corpus reaches every reason the default policy can give.
#
# make test runs 100,000 frames per policy (about 30 s); `make diff
# DIFF_FRAMES=1000000 DIFF_SEED=N` runs more. Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
FRAMES=${1:-100000}
SEED=${2:-11}
PY=/usr/bin/python3
RUN=build/tests/diff_run
TMP=$(mktemp -d /tmp/ngdiff.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

[ -x "$RUN" ] || { echo "missing $RUN (make test-bins)"; echo "0 passed, 1 failed"; exit 1; }

if "$PY" tests/fixtures.py >"$TMP/fixtures.txt" &&
	"$PY" tests/diff/check_fixtures.py "$TMP/fixtures.txt" >"$TMP/fx.out"; then
	ok "reference agrees with the hand-stated fixtures ($(tail -n 1 "$TMP/fx.out"))"
else
	bad "reference agrees with the hand-stated fixtures"; sed 's/^/     | /' "$TMP/fx.out"
fi

run_policy() { # LABEL SEED GEN_FLAGS RUN_FLAGS
	local label=$1 seed=$2 gflags=$3 rflags=$4 t0 t1
	t0=$(date +%s)
	# shellcheck disable=SC2086
	if ! "$PY" tests/diff/gen.py "$seed" "$FRAMES" "$TMP/frames.bin" $gflags >"$TMP/mix.txt"; then
		bad "$label: frame generation failed"; return
	fi
	# shellcheck disable=SC2086
	"$RUN" $rflags "$TMP/frames.bin" >"$TMP/run.out" 2>&1
	local rc=$? last
	last=$(tail -n 1 "$TMP/run.out")
	t1=$(date +%s)
	if [ $rc -eq 0 ] && [ "$last" = "frames $FRAMES mismatches 0" ]; then
		ok "$label: $last (seed $seed, $((t1 - t0)) s)"
	else
		bad "$label: $last (seed $seed)"; head -n 20 "$TMP/run.out" | sed 's/^/     | /'
	fi
	echo "     reasons in the corpus: $(tr '\n' ' ' <"$TMP/mix.txt")"
}

run_policy "default policy" "$SEED" "" ""
cp "$TMP/mix.txt" "$TMP/mix-default.txt"
run_policy "pass_unjudgeable=on" "$((SEED + 1))" --pass-unjudgeable --pass-unjudgeable

# Every reason the default policy gives (allow-list empty, caps unreachable)
# occurs often enough that a classifier change in it would show.
min=$((FRAMES / 2000 > 5 ? FRAMES / 2000 : 5))
for r in none malformed ntp_passed mode7_request_dropped mode7_response_oversized \
	mode7_response_passed mode6_request_passed fragment_passed fragment_dropped \
	unjudgeable_dropped; do
	n=$(awk -v r="$r" '$1 == r { print $2 }' "$TMP/mix-default.txt")
	if [ "${n:-0}" -ge "$min" ]; then ok "corpus covers $r ($n frames)"
	else bad "corpus covers $r (${n:-0} frames, want >= $min)"; fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
