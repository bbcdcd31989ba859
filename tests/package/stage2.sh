#!/bin/bash
# Stage 2, after the reboot: the filter is back with the same policy and
# allow-list, before the network; an upgrade to the second build while a
# monlist flood and a mode 3 stream flow; the Ansible role; apt purge.
set -u
# shellcheck source=tests/package/common.sh
. "$(dirname "$0")/common.sh"
ng_log "kernel $(uname -r), booted $(cut -d' ' -f1 /proc/uptime) s ago, NIC $NIC"
# This agent starts after multi-user.target, which does not wait for
# ntpguard.service (it orders itself before network-pre.target only); under
# qemu TCG its verifier runs take tens of seconds: wait for it, bounded.
for _ in $(seq 600); do
	[ "$(systemctl is-active ntpguard.service)" != activating ] && break
	sleep 0.5
done
phase "ntpguard.service is $(systemctl is-active ntpguard.service)"
ng_log "multi-user.target orders itself after: $(systemctl show -p After --value multi-user.target | tr ' ' '\n' | grep ntpguard | paste -sd' ')"

# ---- after the reboot -------------------------------------------------------
check_eq "2a ntpguard.service ran at boot" active "$(systemctl is-active ntpguard.service)"
journalctl -b -o short-monotonic --no-pager >"$NG_TMP/boot.all"
l_ng=$(grep -n 'Finished ntpguard.service' "$NG_TMP/boot.all" | head -n 1 | cut -d: -f1)
l_pre=$(grep -n 'Reached target network-pre.target' "$NG_TMP/boot.all" | head -n 1 | cut -d: -f1)
grep -E 'Finished ntpguard.service|Reached target network-pre.target|Started ntpguard-watch' \
	"$NG_TMP/boot.all" | sed 's/^/# /'
check "2b ... and had finished when network-pre.target was reached" \
	test -n "$l_ng" -a -n "$l_pre" -a "${l_ng:-0}" -lt "${l_pre:-0}"
check_eq "2c $NIC attached again, both directions, this build" "attached attached False" \
	"$(st "'%s %s %s' % (d['interfaces']['$NIC']['state'], d['interfaces']['$NIC']['egress']['state'], d['interfaces']['$NIC']['outdated'])")"
journalctl -b -u ntpguard.service --no-pager >"$NG_TMP/boot.journal"
check_grep_case "2d the boot's apply attached it" "$NG_TMP/boot.journal" "$NIC: attached \\("
check_grep_case "2e ... and skipped the absent ngpk0 with a warning" "$NG_TMP/boot.journal" \
	'\[interface ngpk0\]: no such interface; skipped'
check_eq "2f the policy is the one before the reboot" "$(cat "$CTL/policy.before")" "$(st "d['policy']")"
check_eq "2g ... and the allow-list" "$(cat "$CTL/allow.before")" "$(ntpguard allow list --json)"
journalctl -b -u ntpguard-watch.service --no-pager | sed 's/^/# watch: /' | head -n 20
veth_checks 2h again

# ---- the upgrade, under traffic -----------------------------------------------
phase "the upgrade"
D0=$(ntpguard stats --json | ng_json "d['interfaces']['ngpk0']['reasons']['mode7_request_dropped']['packets']")
ID_NIC=$(st "d['interfaces']['$NIC']['prog_id']")
ID_PK=$(st "d['interfaces']['ngpk0']['prog_id']")
W0=$(systemctl show -p MainPID --value ntpguard-watch.service)
ng_bg srv-up "$FLOW" serve --bind 192.0.2.1 --out "$NG_TMP/up.srv" --max-seconds 600
SPID=$NG_BG_PID
ng_wait_for 10 grep -q serving "$NG_TMP/srv-up.log"
mark_passed
ng_bg cli-up ns cli "$FLOW" send --dst 192.0.2.1 --rate3 300 --rate7 300 --max-seconds 500 \
	--out "$NG_TMP/up.cli"
CPID=$NG_BG_PID
# two seconds of the stream through ngpk0's program before the upgrade, two after
ng_wait_for 60 grown 600 || ng_fail "harness: no traffic before the upgrade"
T_UP=$(date '+%Y-%m-%d %H:%M:%S')
check "2k apt-get install ./ntpguard_2.deb while the flood flows" \
	apt-get install -y "$CTL/v2.deb"
cp "$NG_OUT" "$NG_TMP/upgrade.out"
mark_passed
ng_wait_for 60 grown 600 || ng_fail "harness: no traffic after the upgrade"
ng_stop "$CPID"
ng_flow_end "$SPID" "$NG_TMP/up.srv" ||
	ng_fail "harness: upgrade: the sender's end mark never reached the server"
read -r SENT3 SENT7 FAILED < <(awk '{ print $3, $5, $7 }' "$NG_TMP/up.cli")
read -r RECV3 RECV7 < <(awk '{ print $4, $6 }' "$NG_TMP/up.srv")
ng_log "upgrade: sent mode 3 $SENT3, monlist $SENT7 (failed sends $FAILED); the socket got mode 3 $RECV3 (distinct), monlist $RECV7"
echo "$SENT3 $SENT7 $RECV3 $RECV7" >"$CTL/upgrade.counts"
check_eq "2l installed: the second build" "install ok installed $(cat "$CTL/v2.version")" \
	"$(dpkg-query -W -f='${Status} ${Version}' ntpguard)"
ng_assume "2m traffic flowed during the upgrade ($SENT3 mode 3 requests sent)" test "$SENT3" -ge 1200
check_eq "2n zero monlist requests reached the socket during the upgrade" 0 "$RECV7"
check_eq "2o zero mode 3 requests lost" "$SENT3" "$RECV3"
journalctl -u ntpguard.service --since "$T_UP" --no-pager >"$NG_TMP/up.journal"
check_grep_case "2p the postinst reloaded ntpguard: $NIC's program replaced atomically" \
	"$NG_TMP/up.journal" "$NIC: program replaced by this build \\(libxdp dispatcher: added, older one removed\\), prog id $ID_NIC -> "
check_grep_case "2q ... ngpk0's too" "$NG_TMP/up.journal" \
	"ngpk0: program replaced by this build \\(.*\\), prog id $ID_PK -> "
check_grep_case "2r ... and $NIC's TC egress filter in place" "$NG_TMP/up.journal" \
	"$NIC egress: program replaced by this build \\(TC filter replaced in place\\)"
check_eq "2s every attachment has the new build" "" \
	"$(st "' '.join(k for k, v in d['interfaces'].items() for x in (v, v.get('egress') or {}) if x.get('state') == 'attached' and x['outdated'])")"
check_eq "2t the dispatcher holds only the new program on ngpk0" \
	"$(st "d['interfaces']['ngpk0']['prog_id']")" "$(xdp_progs ngpk0)"
check_eq "2u counters carried over: mode7_request_dropped grew by the monlist requests sent" \
	"$SENT7" "$(( $(ntpguard stats --json | ng_json "d['interfaces']['ngpk0']['reasons']['mode7_request_dropped']['packets']") - D0 ))"
check_eq "2v policy and allow-list unchanged" "$(cat "$CTL/policy.before") $(cat "$CTL/allow.before")" \
	"$(st "d['policy']") $(ntpguard allow list --json)"
check "2w ntpguard-watch runs the new binary (restarted)" \
	test "$(systemctl show -p MainPID --value ntpguard-watch.service)" != "$W0"
check_eq "2x ... and is active" active "$(systemctl is-active ntpguard-watch.service)"
check_eq "2y the journal has no error of the reload" "" \
	"$(grep -E 'ntpguard\[[0-9]+\]: ntpguard: ' "$NG_TMP/up.journal" | grep -v 'ntpguard: warning: ')"

# ---- the Ansible role (connection local) --------------------------------------
phase "the Ansible role"
sed -e "s|@NIC@|$NIC|g" -e "s|@DEB@|$CTL/v2.deb|g" "$CTL/playbook.yml.in" >"$NG_TMP/playbook.yml"
play() { ANSIBLE_ROLES_PATH=$CTL/ansible/roles ANSIBLE_LOCAL_TEMP=$NG_TMP/ans \
	ANSIBLE_NOCOLOR=1 ansible-playbook -i localhost, -c local "$NG_TMP/playbook.yml" "$@"; }
check "2z ansible-playbook with the role" play
cp "$NG_OUT" "$NG_TMP/play1.out"
check_grep_case "2z1 ... changed the configuration and reloaded ntpguard" "$NG_TMP/play1.out" \
	'RUNNING HANDLER \[ntpguard : Reload ntpguard\]'
check_grep_case "2z2 ... recap: no failure" "$NG_TMP/play1.out" 'localhost +: ok=[0-9]+ +changed=[1-9][0-9]* +unreachable=0 +failed=0'
check_eq "2z3 the role's policy is live" "ratecap drop on" \
	"$(st "'%s %s %s' % (d['policy']['mode7_request'], d['policy']['mode6_request'], d['policy']['track'])")"
check_eq "2z4 ... and its allow-list (203.0.113.7 replaced by .8)" \
	'{"ipv4": ["198.51.100.0/24", "203.0.113.8/32"], "ipv6": ["2001:db8:100::/48"]}' \
	"$(ntpguard allow list --json)"
check_eq "2z5 ... the interfaces stayed attached" "attached attached" \
	"$(st "d['interfaces']['$NIC']['state'] + ' ' + d['interfaces']['ngpk0']['state']")"
phase "the role again"
check "2z6 a second run" play
check_grep_case "2z7 ... changes nothing" "$NG_OUT" 'localhost +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0'
cp /etc/ntpguard/ntpguard.conf "$NG_TMP/conf.before"
S=$(st "d['policy']")
phase "the role with a bad value"
check_not "2z8 a policy value ntpguard refuses: the play fails" play -e '{"ntpguard_policy": {"mode7_request": "dorp"}}'
check_grep_case "2z9 ... at the template's validation (apply --dry-run)" "$NG_OUT" "mode7_request: 'dorp' is not drop, ratecap or pass"
check_eq "2z10 ... the file and the policy are unchanged" "$(cat "$NG_TMP/conf.before") $S" \
	"$(cat /etc/ntpguard/ntpguard.conf) $(st "d['policy']")"
phase "the role with a bad prefix in an allow-list file"
cp /etc/ntpguard/allow.d/noc.list "$NG_TMP/noc.before"
check_not "2z11 a prefix with host bits in ntpguard_allow_files: the play fails" play \
	-e '{"ntpguard_allow_files": [{"name": "noc.list", "prefixes": ["203.0.113.9/24"]}]}'
check_grep_case "2z12 ... at the file's validation, naming the line" "$NG_OUT" \
	":2: '203.0.113.9/24' has host bits set"
check_eq "2z13 ... the prefix file on the host is unchanged, and a reload applies cleanly" \
	"$(cat "$NG_TMP/noc.before") 0" "$(cat /etc/ntpguard/allow.d/noc.list) $(systemctl reload ntpguard.service; echo $?)"

# ---- apt purge -------------------------------------------------------------------
phase "apt purge"
check "3a apt-get purge ntpguard" apt-get purge -y ntpguard
check_eq "3b dpkg knows nothing of it" "" "$(dpkg-query -W -f='${Status}' ntpguard 2>/dev/null)"
check "3c no pins" test ! -e /sys/fs/bpf/ntpguard
check_eq "3d no XDP program on $NIC or ngpk0" "/" "$(xdp_any "$NIC")/$(xdp_any ngpk0)"
check_eq "3e no TC filter on $NIC's egress" "" "$(tc filter show dev "$NIC" egress 2>/dev/null)"
check_eq "3f no libxdp dispatcher left in /sys/fs/bpf/xdp" "" \
	"$(ls -d /sys/fs/bpf/xdp/dispatch-* 2>/dev/null)"
check_eq "3g no file of the package or made by it" "" \
	"$(ls -d /etc/ntpguard /usr/sbin/ntpguard /usr/share/ntpguard /lib/systemd/system/ntpguard* \
		/etc/systemd/system/*.wants/ntpguard* /var/lib/prometheus/node-exporter/ntpguard.prom \
		/usr/share/man/man8/ntpguard.8.gz /usr/share/bash-completion/completions/ntpguard 2>/dev/null)"
check_eq "3h no unit known to systemd" "" \
	"$(systemctl list-units --all --no-legend 'ntpguard*' | grep -v not-found)"
check_eq "3i no ntpguard process" "" "$(pgrep -a -x ntpguard)"
phase "done"
ng_summary
