#!/bin/bash
# tests/docs.sh - the command reference comes from one source: the README's
# generated blocks are what scripts/gendoc.py makes of the option tables and
# doc/ (a stale README fails), the man pages render without a groff warning
# (lintian's test) and name every command, option and policy key, and the
# bash completion completes commands, options, option values, interface
# names and policy keys with their values.
#
#   tests/docs.sh       prints "N passed, N failed"
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

D=$NG_ROOT/build/doc
ng_require_bin man col "$NG_PY" "$NTPGUARD"
for f in "$D/cli.json" "$D/ntpguard.8" "$D/ntpguard.conf.5" "$D/ntpguard.bash" \
	 /usr/share/bash-completion/bash_completion; do
	[ -r "$f" ] || ng_die "missing $f (make docs; scripts/deps.sh)"
done
GEN=$NG_ROOT/scripts/gendoc.py
not() { ! "$@"; }

ng_log "the README"
check "1a the README's generated blocks are what the sources make" \
	"$NG_PY" "$GEN" readme "$D/cli.json" "$NG_ROOT/README.md"
cp "$NG_ROOT/README.md" "$NG_TMP/README.md"
sed -i 's/^| `-n, --dry-run` | print what would change; change nothing |$/| `-n, --dry-run` | print what would change |/' \
	"$NG_TMP/README.md"
ng_assume "1b control: a README whose option text drifted fails" \
	not "$NG_PY" "$GEN" readme "$D/cli.json" "$NG_TMP/README.md"
check_grep_case "1c ... with a diff naming the line" "$NG_OUT" '^-\| `-n, --dry-run` \| print what would change \|$'
"$NG_PY" - "$D/cli.json" "$NG_ROOT/README.md" >"$NG_TMP/missing" <<'PY'
import json, sys
cli = json.load(open(sys.argv[1]))
readme = open(sys.argv[2]).read()
for c in cli["commands"]:
    if "### `%s`" % c["synopsis"] not in readme:
        print("command", c["name"])
    for o in c["options"]:
        if "`%s`" % o["left"] not in readme:
            print("option", c["name"], o["left"])
for k in cli["policy_keys"]:
    if "| `%s` | `%s` |" % (k["name"], k["default"]) not in readme:
        print("policy key", k["name"])
PY
check_eq "1d every command's synopsis, option and policy key (with its default) is in the README" \
	"" "$(cat "$NG_TMP/missing")"

# =============================================================================
ng_log "the man pages"
for m in ntpguard.8 ntpguard.conf.5; do
	MANWIDTH=120 man --warnings -E UTF-8 -l -Tutf8 -Z "$D/$m" >"$NG_TMP/$m.txt" 2>"$NG_TMP/$m.err"
	check_eq "2 $m: renders without a groff warning" "" "$(cat "$NG_TMP/$m.err")"
done
MANWIDTH=200 man -l "$D/ntpguard.8" 2>/dev/null | col -b >"$NG_TMP/man8.txt"
"$NG_PY" - "$D/cli.json" "$NG_TMP/man8.txt" >"$NG_TMP/missing" <<'PY'
import json, sys
cli = json.load(open(sys.argv[1]))
man = open(sys.argv[2]).read()
for c in cli["commands"]:
    if c["synopsis"] not in man:
        print("command", c["synopsis"])
    for o in c["options"]:
        if o["left"] not in man:
            print("option", c["name"], o["left"])
for k in cli["policy_keys"]:
    if k["name"] not in man:
        print("policy key", k["name"])
PY
check_eq "2 ntpguard(8) has every command's synopsis, option and policy key" "" "$(cat "$NG_TMP/missing")"
check_grep_case "2 ntpguard(8) is headed with this build's version" "$NG_TMP/man8.txt" \
	"ntpguard $("$NTPGUARD" --version | cut -d' ' -f2)"
MANWIDTH=200 man -l "$D/ntpguard.conf.5" 2>/dev/null | col -b >"$NG_TMP/man5.txt"
for s in '\[interface NAME\]' '\[watch PATTERN\.\.\.\]' '\[policy\]' '\[allow\]' '\[export\]' '\[maps\]'; do
	check_grep_case "2 ntpguard.conf(5) documents $s" "$NG_TMP/man5.txt" "^ +$s"
done

# =============================================================================
ng_log "bash completion"
# complete WORDS... : what the completion offers for the last word, sorted,
# on one line (the interfaces of this host's namespace are real).
complete_words() {
	bash --norc --noprofile -c '
		. /usr/share/bash-completion/bash_completion
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}
		_ntpguard ntpguard "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd" "
	' bash "$D/ntpguard.bash" "$@"
}
check_eq "3a a command" "allow apply audit" "$(complete_words ntpguard a)"
check_eq "3b every command" \
	"$("$NG_PY" -c 'import json,sys; print(" ".join(sorted(c["name"] for c in json.load(open(sys.argv[1]))["commands"])))' "$D/cli.json")" \
	"$(complete_words ntpguard '' | tr ' ' '\n' | grep -v '^-' | paste -sd' ')"
check_eq "3c an option of the command" "--max-reflectors --max-sources --mode" "$(complete_words ntpguard load --m)"
check_eq "3d an option's values" "native skb" "$(complete_words ntpguard load --mode '')"
check_eq "3e interface names for load" "lo" "$(complete_words ntpguard load l)"
check_eq "3f ... also after an option" "lo" "$(complete_words ntpguard unload --keep-maps l)"
check_eq "3g policy keys for set" "mode6_request= mode6_request_burst= mode6_request_global_burst= mode6_request_global_rate= mode6_request_rate=" \
	"$(complete_words ntpguard set mode6)"
check_eq "3h a key's values" "mode7_request=drop mode7_request=pass mode7_request=ratecap" \
	"$(complete_words ntpguard set mode7_request=)"
check_eq "3h2 ... also of reflectors (on|off, stored inverted)" "reflectors=off reflectors=on" \
	"$(complete_words ntpguard set reflectors=)"
check_eq "3h3 every policy key has its words, or an integer default" "" \
	"$("$NG_PY" -c 'import json,sys; print(" ".join(k["name"] for k in json.load(open(sys.argv[1]))["policy_keys"] if not k["values"] and not k["default"].isdigit()))' "$D/cli.json")"
check_eq "3i allow's sub-commands" "add del list" "$(complete_words ntpguard allow '')"
check_eq "3j watch --config: files" "$(cd "$NG_ROOT" && compgen -f dist/ntp)" \
	"$(cd "$NG_ROOT" && complete_words ntpguard watch --config dist/ntp)"
check_eq "3k help COMMAND" "set stats status" "$(complete_words ntpguard help s)"
ng_assume_eq "3l control: nothing for an unknown command's arguments" "" \
	"$(complete_words ntpguard bogus l)"

ng_summary
