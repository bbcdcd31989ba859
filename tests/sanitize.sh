#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# tests/sanitize.sh - every test suite against a checked build of the CLI,
# then a summary of what the checkers reported.
#
#   tests/sanitize.sh asan [SUITE...]      build/asan: ntpguard and the BPF
#                                          test runners with ASan + UBSan,
#                                          built by clang (make SANITIZE=1
#                                          CC=clang OUTPUT=build/asan)
#   tests/sanitize.sh valgrind [SUITE...]  build/ntpguard under valgrind
#                                          memcheck (definite leaks included;
#                                          tests/valgrind.supp: what valgrind's
#                                          bpf() model cannot know)
#
# Without SUITEs it runs tests/run-all.sh (everything); with them, only
# those scripts (e.g. tests/cli.sh). The checkers write one log per
# process into build/<mode>-reports/ (world-writable: some tests run the
# CLI as nobody). The closing lines: the suites' own "N passed, N failed,
# N skipped", then "<mode>: N reports in N processes" with the first
# lines of each report; exit 0 only when the suites passed and nothing
# was reported. First a control program with a known leak, a signed
# overflow (asan) or a use of an uninitialised value (valgrind) runs
# under the same checker settings: both of its findings must reach the
# report directory, or nothing runs (so that no reports means something).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

MODE=${1:-}
shift || true
[ "$(id -u)" = 0 ] || { echo "sanitize: run as root (like the suites)" >&2; exit 2; }
REP=$PWD/build/$MODE-reports
case $MODE in
asan)
	# clang: one runtime carries both checkers and honours log_path for
	# both. gcc links libubsan as a second runtime that never reads
	# log_path: UBSan's findings went to the CLI's stderr, uncounted.
	[ "$(cat build/asan/.cc 2>/dev/null)" = clang ] || rm -rf build/asan
	mkdir -p build/asan && echo clang >build/asan/.cc
	make -s OUTPUT=build/asan SANITIZE=1 CC=clang build/asan/ntpguard \
		build/asan/tests/bpf_unit build/asan/tests/bpf_policy \
		build/asan/tests/bpf_reflectors || exit 1
	export NTPGUARD=$PWD/build/asan/ntpguard NG_TESTBIN=$PWD/build/asan/tests
	# log_path: one file per process, never on the tests' stderr;
	# verify_asan_link_order=0: a test preloads a getrandom() shim.
	export ASAN_OPTIONS="log_path=$REP/asan:detect_leaks=1:verify_asan_link_order=0"
	export UBSAN_OPTIONS="log_path=$REP/ubsan:print_stacktrace=1"
	;;
valgrind)
	make -s all || exit 1
	mkdir -p build/valgrind
	# the wrapper's options, for the control below too
	VG_OPTS="--quiet --leak-check=full --show-leak-kinds=definite \
--errors-for-leak-kinds=definite --num-callers=40 \
--suppressions=$PWD/tests/valgrind.supp --log-file=$REP/vg.%p"
	cat >build/valgrind/ntpguard <<EOF
#!/bin/sh
exec valgrind $VG_OPTS $PWD/build/ntpguard "\$@"
EOF
	chmod 0755 build/valgrind/ntpguard
	export NTPGUARD=$PWD/build/valgrind/ntpguard
	;;
*)
	sed -n '4,25p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
rm -rf "$REP"
mkdir -p "$REP"
chmod 1777 "$REP"

# The control: with the settings the suites get, the checker must write
# its two findings into $REP.
ctl=$PWD/build/$MODE-control
cat >"$ctl.c" <<'CONTROL'
#include <stdlib.h>
__attribute__((noinline)) static int leak(int i)
{
	int *p = malloc(4 * sizeof(*p));	/* never freed */

	return p[i] != 0;			/* never written */
}

int main(int argc, char **argv)
{
	int big = 0x7fffffff;

	(void)argv;
	big += argc;		/* signed overflow: UBSan */
	if (leak(argc))		/* uninitialised: memcheck */
		big++;
	return big == 1;
}
CONTROL
if [ "$MODE" = asan ]; then
	clang -g -O1 -fsanitize=address,undefined -o "$ctl" "$ctl.c" || exit 1
	"$ctl" 2>/dev/null
	want='runtime error: signed integer overflow|ERROR: LeakSanitizer: detected'
else
	cc -g -O1 -o "$ctl" "$ctl.c" || exit 1
	# shellcheck disable=SC2086 # the options, one word each
	valgrind $VG_OPTS "$ctl" 2>/dev/null
	want='uninitialised|definitely lost'
fi
found=$(cat "$REP"/* 2>/dev/null | grep -Eo "$want" | sort -u | wc -l)
if [ "$found" -ne 2 ]; then
	echo "sanitize: $found of the control's 2 findings reached $REP;" \
		"the suites' would not either: nothing run" >&2
	exit 1
fi
echo "sanitize: control ok (its $MODE findings reached $REP)"
rm -f -- "$REP"/asan.* "$REP"/ubsan.* "$REP"/vg.*

rc=0
# What the suites need besides the checked CLI (run-all.sh builds it itself).
if [ $# -gt 0 ]; then
	make -s all docs test-bins build/tests/ntpresponder || exit 1
fi
if [ $# -eq 0 ]; then
	tests/run-all.sh || rc=1
else
	for s in "$@"; do
		echo "=== $s ($MODE)"
		"$s" || rc=1
	done
fi

# A report is a checker's finding about ntpguard: ASan/LSan errors, UBSan
# runtime errors, valgrind errors. (LeakSanitizer cannot run in a process
# that strace already traces - tests/faults.sh does that - and says so;
# that is counted apart, not as a finding.)
echo
files=$(find "$REP" -type f -size +0 | sort)
n=0 tool=0 notes=0
for f in $files; do
	# valgrind's own notes ("--PID-- WARNING: unhandled eBPF command 35":
	# a bpf() command it does not model) are not findings; its reports
	# are the "==PID== " lines
	if [ "$MODE" = valgrind ] && ! grep -q '^==[0-9]*== ' "$f"; then
		notes=$((notes + 1))
		continue
	fi
	if grep -q 'LeakSanitizer has encountered a fatal error' "$f" &&
	   ! grep -Eq 'ERROR: AddressSanitizer|ERROR: LeakSanitizer: detected|runtime error:' "$f"; then
		tool=$((tool + 1))
		continue
	fi
	n=$((n + 1))
	echo "--- $f"
	grep -E 'ERROR|runtime error|Invalid|uninitialised|definitely lost|Syscall param|^==[0-9]+== +(at|by) ' "$f" | head -n 12
done
echo "$MODE: $n reports ($(find "$REP" -type f | wc -l) log files)" \
	"$([ $tool -gt 0 ] && echo "; $tool processes where LeakSanitizer could not run (traced by strace)")" \
	"$([ $notes -gt 0 ] && echo "; $notes with only valgrind's notes on bpf() commands it does not model")"
[ "$n" -eq 0 ] || rc=1
exit $rc
