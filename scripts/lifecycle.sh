# scripts/lifecycle.sh - stopping our own processes and removing our own
# network namespaces. Sourced (bash) by tests/lib.sh and scripts/topology.sh;
# defines functions only, keeps no state.
#
#   ng_stop PID                TERM, then KILL after 2 s; bounded
#   ng_stop_pids PID...        TERM all, then as ng_stop for each
#   ng_netns_purge NAME...     KILL whatever runs inside each namespace (the
#                              caller created them, so it is the caller's),
#                              then delete them
#
# Callers pass only pids they started and namespaces they created.

# ng_stop_pids PID... : TERM every pid first (they stop in parallel), then
# wait for each, KILL after 2 s.
ng_stop_pids() {
	local pid _
	for pid in "$@"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "$@"; do
		for _ in $(seq 20); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	return 0
}

ng_stop() {
	kill -0 "$1" 2>/dev/null || return 0
	ng_stop_pids "$1"
}

ng_netns_purge() {
	local n p
	for n in "$@"; do
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
	done
	for n in "$@"; do
		ip netns del "$n" 2>/dev/null
	done
	return 0
}
