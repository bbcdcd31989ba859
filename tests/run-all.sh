#!/usr/bin/env bash
# Every ntpguard test. README's test command; CI runs it through .ci/run.
# Installs what is missing (Debian packages), builds, then runs each suite and
# prints one closing line "N passed, N failed, N skipped" summed over all
# suites, after the list of what was skipped.
#
# Exit status: non-zero when anything failed. A tool the suites need that
# is missing is a failure, not a skip (the dependency step installs all of
# them); what is left to skip is what the kernel under test cannot do (e.g.
# no 802.1Q module): such checks are counted, listed before the closing
# line and never taken for passes, but do not fail the run, whose result
# must not depend on the host kernel's configuration. NG_FAIL_ON_SKIP=1
# fails on skips too (a machine known to run everything).
#   NTPGUARD=PATH     run the suites against another build of the CLI, and
#   NG_TESTBIN=DIR    the BPF test runners from DIR (tests/sanitize.sh: the
#                     ASan/UBSan build, or a valgrind wrapper)
set -uo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" = 0 ] || { echo "tests: run as root (BPF, network namespaces)" >&2; exit 1; }
if ! scripts/deps.sh --check >/dev/null 2>&1; then
	scripts/deps.sh || { echo "tests: installing dependencies failed" >&2; exit 1; }
fi
make -s all test-bins fuzz-bins docs build/tests/ntpresponder || { echo "tests: build failed" >&2; exit 1; }

passed=0 failed=0 skipped=0
SKIPPED=()
suite() { # suite NAME CMD...: run, echo output, add its "N passed, N failed[, N skipped]"
	local name=$1 out rc line p f s=0 l
	shift
	echo "=== $name"
	out=$("$@" 2>&1); rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' | tail -n 1)
	if [ -z "$line" ]; then
		echo "--- $name: no summary line (exit $rc): counted as 1 failure"
		failed=$((failed + 1)); return
	fi
	p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
	[[ "$line" == *skipped ]] && { s=${line##*failed, }; s=${s%% skipped}; }
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	# "skip NAME (why)" lines of lib.sh, "ok N - name # SKIP" of the C runners
	while IFS= read -r l; do
		SKIPPED+=("$name: $l")
	done < <(printf '%s\n' "$out" | sed 's/\x1b\[[0-9;]*m//g' | grep -E '^skip |# SKIP')
}

lint() { # cppcheck over the C sources, as one test
	if make -s lint; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; return 1; fi
}

suite "static analysis (cppcheck)" lint
suite "docs: the README's command reference, man pages, bash completion from one source" tests/docs.sh
/usr/bin/python3 tests/fixtures.py > build/tests/fixtures.txt || { echo "tests: fixture generation failed" >&2; exit 1; }
TESTBIN=${NG_TESTBIN:-build/tests}   # tests/sanitize.sh: the sanitized runners
suite "BPF unit tests (BPF_PROG_TEST_RUN fixtures)" "$TESTBIN/bpf_unit" build/tests/fixtures.txt
suite "BPF policy tests (rate caps, monitor mode, live policy)" "$TESTBIN/bpf_policy"
suite "BPF reflector records and the victim estimator" "$TESTBIN/bpf_reflectors"
suite "differential: BPF program vs reference classifier (100,000 frames per policy)" tests/diff/run.sh 100000 11
suite "fuzz: libFuzzer targets in tests/fuzz/, 20 s each (ASan, UBSan)" tests/fuzz/run.sh 20 1
suite "CLI tests" tests/cli.sh
suite "policy CLI tests (set, status)" tests/policy-cli.sh
suite "test responder checks" tests/responder-check.sh
suite "integration tests (network namespaces)" tests/integration.sh
suite "observability (export, node_exporter, promtool, top, stats --watch)" tests/observability.sh
suite "rate-cap tests (network namespaces)" tests/ratecap.sh
suite "ntpguard check (namespaces, tshark)" tests/check.sh
suite "reflectors: the abuse desk's list, check on it, notices (namespaces)" tests/reflectors.sh
suite "ntpguard audit (config table, ntpsec ground truth)" tests/audit.sh
suite "egress: host ntpd, VM behind a bridge, TC hook hygiene (namespaces)" tests/egress.sh
suite "watch: interfaces that come and go (namespaces)" tests/watch.sh
suite "apply: configuration files, watch and export --config (namespaces)" tests/apply.sh
suite "upgrade: another build replaces the programs under traffic; layout versions (namespaces)" tests/upgrade.sh
suite "evasion: fragments, extension chains, lengths, VLAN stacks end to end (namespaces)" tests/evasion.sh
suite "reflection scenarios: attack, ntpguard on either side, real NTP software (namespaces)" tests/scenarios.sh
suite "faults: churn under a flood, SIGKILL mid-command, concurrent commands, full maps (namespaces)" tests/faults.sh
suite "verifier on this kernel: acceptance, budget, rejected-load message" tests/verifier.sh
suite "CLI over a veth pair on this kernel: counters and arrival" tests/vm-cli.sh
suite "kernel matrix: Debian 6.1 and 6.12 under qemu (tests, dispatcher, xdp-filter)" tests/kernel-matrix.sh
suite "the Debian package in a fresh Debian 12 VM: install, reboot, upgrade under traffic, Ansible, purge" tests/package.sh

echo
if [ "$skipped" -gt 0 ] || [ ${#SKIPPED[@]} -gt 0 ]; then
	echo "SKIPPED ($skipped): these checks did not run"
	printf '  %s\n' "${SKIPPED[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || exit 1
if [ "$skipped" -gt 0 ] && [ "${NG_FAIL_ON_SKIP:-0}" = 1 ]; then
	echo "tests: $skipped check(s) skipped (NG_FAIL_ON_SKIP=1)" >&2
	exit 1
fi
exit 0
