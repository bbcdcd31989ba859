#!/bin/bash
# Stage 1, the first boot of a fresh Debian 12: install the package, write
# a configuration, systemctl enable --now ntpguard, check the filter; then
# reboot.
set -u
ip -o link show | awk -F': ' '$2 != "lo" { print $2; exit }' >"$(dirname "$0")/nic"
# shellcheck source=tests/package/common.sh
. "$(dirname "$0")/common.sh"
ng_log "kernel $(uname -r), NIC $NIC"

check_eq "1a the fresh image has no ntpguard" "" \
	"$(dpkg-query -W -f='${Status}' ntpguard 2>/dev/null)"
check "1b apt-get install ./ntpguard_1.deb (offline: its dependencies are in the image)" \
	apt-get install -y "$CTL/v1.deb"
check_eq "1c installed" "install ok installed $(cat "$CTL/v1.version")" \
	"$(dpkg-query -W -f='${Status} ${Version}' ntpguard)"
check "1d the postinst attached nothing: no pins" test ! -e /sys/fs/bpf/ntpguard
check_eq "1e ... no XDP program on $NIC" "" "$(xdp_any "$NIC")"
check_eq "1f ntpguard.service is neither enabled nor running" "disabled inactive" \
	"$(systemctl is-enabled ntpguard.service) $(systemctl is-active ntpguard.service)"
for f in /usr/sbin/ntpguard /lib/systemd/system/ntpguard.service /lib/systemd/system/ntpguard-watch.service \
	 /lib/systemd/system/ntpguard-export.service /etc/ntpguard/ntpguard.conf \
	 /usr/share/man/man8/ntpguard.8.gz /usr/share/man/man5/ntpguard.conf.5.gz \
	 /usr/share/bash-completion/completions/ntpguard /usr/share/ntpguard/ntpguard-alerts.yml; do
	check "1g the package installed $f" test -s "$f"
done
check_rc "1h the shipped configuration applies to nothing (--dry-run)" 0 ntpguard apply --dry-run
check_grep_case "1i ... says so" "$NG_OUT" '^nothing to change'

phase "the configuration"
mkdir -p /etc/ntpguard/allow.d
printf '# the NOC\n2001:db8:100::/48\n203.0.113.7\n' >/etc/ntpguard/allow.d/noc.list
cat >/etc/ntpguard/ntpguard.conf <<CONF
# tests/package.sh
[interface $NIC]
direction = both

[interface ngpk0]       # a veth that exists only once the test creates it

[watch ngpw*]

[policy]
mode6_request = drop
track = on

[allow]
198.51.100.0/24
file = allow.d/*.list
CONF
check_rc "1j apply --dry-run plans the NIC" 0 ntpguard apply --dry-run
check_grep_case "1k ... both directions" "$NG_OUT" "^$NIC: attach ingress and egress, auto mode"
check_grep_case "1l ... and warns about the absent ngpk0" "$NG_ERR" '\[interface ngpk0\]: no such interface; skipped'
check "1m systemctl enable --now ntpguard" systemctl enable --now ntpguard.service
for _ in $(seq 60); do
	[ "$(systemctl is-active ntpguard-watch.service)" = active ] && break
	sleep 0.5
done
check_eq "1n ntpguard and ntpguard-watch (Also=, Wants=) enabled and running" \
	"enabled active enabled active" \
	"$(systemctl is-enabled ntpguard.service) $(systemctl is-active ntpguard.service) $(systemctl is-enabled ntpguard-watch.service) $(systemctl is-active ntpguard-watch.service)"
check_eq "1o $NIC attached in both directions" "attached attached" \
	"$(st "d['interfaces']['$NIC']['state'] + ' ' + d['interfaces']['$NIC']['egress']['state']")"
ng_log "attach path on $NIC: $(st "d['interfaces']['$NIC']['attach']") $(st "d['interfaces']['$NIC']['mode']")"
phase "the veth and traffic"
veth_checks 1p now
st "d['policy']" >"$CTL/policy.before"
ntpguard allow list --json >"$CTL/allow.before"
check_grep_case "1s the allow-list as the file says" "$CTL/allow.before" \
	'^\{"ipv4": \["198.51.100.0/24", "203.0.113.7/32"\], "ipv6": \["2001:db8:100::/48"\]\}$'
touch "$CTL/reboot1"
ng_summary
