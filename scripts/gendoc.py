#!/usr/bin/python3
"""gendoc.py - ntpguard's command reference, man pages and bash completion,
all from one source.

The source: the option tables in user/ (as `ntpguard help --json` prints
them: synopsis, options, policy keys), the text of each command in
doc/commands/NAME.md, the man page frames doc/ntpguard.8.md and
doc/ntpguard.conf.5.md. Python's standard library only.

  gendoc.py man8 CLI.json              ntpguard(8) as pandoc markdown (stdout);
                                       the Makefile turns it into roff
  gendoc.py man5 CLI.json              ntpguard.conf(5) likewise
  gendoc.py readme CLI.json README.md  exit 1 and a diff when the README's
                                       generated blocks differ from the source
  gendoc.py readme --write CLI.json README.md
                                       rewrite those blocks
  gendoc.py bash CLI.json              the bash completion script (stdout)

README blocks: "<!-- gendoc: command NAME -->" (a command: heading with
its synopsis, its text, its options), "<!-- gendoc: part NAME -->" (text
of doc/commands/NAME.md under the heading its first line names) and
"<!-- gendoc: conf -->" (the reference part of ntpguard.conf(5)), each
ended by "<!-- /gendoc -->".
"""
import difflib
import json
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DOC = os.path.join(ROOT, "doc")
BEGIN = re.compile(r"^<!-- gendoc: (command|part|conf) ?([\w.-]*) -->$")
END = "<!-- /gendoc -->"


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def cmd_text(name):
    return read(os.path.join(DOC, "commands", name + ".md")).rstrip("\n")


def one_line(s):
    return " ".join((s or "").split())


def policy_table(cli):
    rows = ["| key | default | values | what |", "|---|---|---|---|"]
    for k in cli["policy_keys"]:
        vals = (k["values"] or "integer").replace(" ", ", ")
        rows.append("| `%s` | `%s` | %s | %s |" % (k["name"], k["default"], vals,
                                                 one_line(k["help"]).replace("|", "\\|")))
    return "\n".join(rows)


def expand(text, cli):
    return text.replace("<!-- gendoc: policy-keys -->", policy_table(cli))


def find(cli, name):
    for c in cli["commands"]:
        if c["name"] == name:
            return c
    sys.exit("gendoc: no command %r in the CLI description" % name)


# ---- README ------------------------------------------------------------------

def readme_options(c):
    if not c["options"]:
        return ""
    rows = ["| option | |", "|---|---|"]
    for o in c["options"]:
        rows.append("| `%s` | %s |" % (o["left"], one_line(o["help"]).replace("|", "\\|")))
    return "\n".join(rows)


def readme_command(cli, name):
    c = find(cli, name)
    parts = ["### `%s`" % c["synopsis"], "", expand(cmd_text(name), cli)]
    opts = readme_options(c)
    if opts:
        parts += ["", opts]
    return "\n".join(parts)


def readme_part(name):
    text = cmd_text(name)
    head, _, body = text.partition("\n")
    m = re.match(r"^<!-- heading: (.*) -->$", head)
    if not m:
        sys.exit("gendoc: doc/commands/%s.md: a part starts with <!-- heading: ... -->" % name)
    return "### `%s`\n\n%s" % (m.group(1), body.lstrip("\n"))


def conf_reference():
    """The part of ntpguard.conf(5) between its readme markers, headings
    moved down two levels (# -> ###)."""
    text = read(os.path.join(DOC, "ntpguard.conf.5.md"))
    m = re.search(r"<!-- readme -->\n(.*?)<!-- /readme -->", text, re.S)
    if not m:
        sys.exit("gendoc: doc/ntpguard.conf.5.md has no <!-- readme --> region")
    text = m.group(1).strip("\n").replace(
        "<!-- gendoc: policy-keys -->",
        "(The keys, their values and defaults: the table of `ntpguard set` above.)")
    # "# WHAT COMES LATER" -> "### What comes later"
    return re.sub(r"^(#+) (.*)$",
                  lambda h: "##" + h.group(1) + " " +
                  (h.group(2).capitalize() if h.group(2).isupper() else h.group(2)),
                  text, flags=re.M)


def readme(cli, path, write):
    old = read(path)
    out, lines, i = [], old.split("\n"), 0
    while i < len(lines):
        m = BEGIN.match(lines[i])
        out.append(lines[i])
        i += 1
        if not m:
            continue
        kind, name = m.groups()
        j = i
        while j < len(lines) and lines[j] != END:
            j += 1
        if j == len(lines):
            sys.exit("gendoc: %s: %s has no %s" % (path, lines[i - 1], END))
        body = (readme_command(cli, name) if kind == "command" else
                readme_part(name) if kind == "part" else conf_reference())
        out += body.split("\n") + [END]
        i = j + 1
    new = "\n".join(out)
    if new == old:
        return 0
    if write:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
        print("gendoc: %s: generated blocks rewritten" % path)
        return 0
    sys.stdout.writelines(difflib.unified_diff(
        old.splitlines(True), new.splitlines(True), path, path + " (from the source)"))
    print("gendoc: %s differs from what the option tables and doc/ generate; "
          "run `make readme` and commit the result" % path)
    return 1


# ---- man pages -----------------------------------------------------------------

def cells(row):
    row = row.strip().strip("|")
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row)]


def tables_as_lists(text):
    """Pipe tables become definition lists: groff cannot justify table
    columns of long words (lintian: groff-message), a list it can."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        if (lines[i].startswith("|") and i + 1 < len(lines) and
                re.match(r"^\|[-|: ]+\|$", lines[i + 1].strip())):
            head = cells(lines[i])
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                row = cells(lines[i])
                parts = []
                for h, c in zip(head[1:], row[1:]):
                    if not c:
                        continue
                    parts.append(c if h in ("", "what", "meaning") else "%s %s" % (h, c))
                out += [row[0], ":   " + "; ".join(parts), ""]
                i += 1
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def for_man(text):
    # Internal links of the README mean nothing in a man page.
    text = re.sub(r"\[([^\]]+)\]\(#[^)]*\)", r"\1", text)
    # An HTML comment would be dropped by pandoc anyway.
    return tables_as_lists(re.sub(r"<!--.*?-->", "", text, flags=re.S))


def man_options(c):
    out = []
    for o in c["options"]:
        out += ["`%s`" % o["left"], ":   " + one_line(o["help"]), ""]
    return "\n".join(out)


def man_commands(cli):
    out = []
    parts = {}
    for f in sorted(os.listdir(os.path.join(DOC, "commands"))):
        name = f[:-3]
        if "-" in name:
            parts.setdefault(name.split("-")[0], []).append(name)
    for c in cli["commands"]:
        out += ["## %s" % c["synopsis"], "", for_man(expand(cmd_text(c["name"]), cli)), ""]
        if c["options"]:
            out += ["Options:", "", man_options(c)]
        for p in parts.get(c["name"], []):
            head, _, body = cmd_text(p).partition("\n")
            title = re.match(r"^<!-- heading: (.*) -->$", head).group(1)
            out += ["### %s" % title, "", for_man(body.strip("\n")), ""]
    return "\n".join(out)


def man_frame(name, cli):
    text = read(os.path.join(DOC, name))
    text = text.replace("@VERSION@", cli["version"]).replace("@CONFIG@", cli["config"])
    text = text.replace("<!-- gendoc: commands -->", man_commands(cli))
    text = text.replace("<!-- gendoc: policy-keys -->", policy_table(cli))
    return for_man(text)


# ---- bash completion -----------------------------------------------------------

def words(seq):
    return " ".join(seq)


def bash(cli):
    cmds = [c["name"] for c in cli["commands"]]
    keys = [k["name"] for k in cli["policy_keys"]]
    out = ["""# bash completion for ntpguard(8): commands, options and their values,
# interface names, policy keys and their values, configuration files.
# Generated by scripts/gendoc.py from `ntpguard help --json` (%s).
# shellcheck shell=bash

_ntpguard_ifaces()
{
    local d
    for d in /sys/class/net/*; do [[ -e $d ]] && printf '%%s\\n' "${d##*/}"; done
}

_ntpguard()
{
    local cur prev words cword
    _init_completion -n = || return

    local i cmd=
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -*) ;;
        *) cmd=${words[i]}; break ;;
        esac
    done
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W '%s -v --verbose -V --version -h --help' -- "$cur"))
        return
    fi
    local opts= args= first=
    case $cmd in""" % (cli["version"], words(cmds))]
    for c in cli["commands"]:
        names, values = [], []
        for o in c["options"]:
            flags = [f for f in ("--" + o["long"] if o["long"] else None, o["short"]) if f]
            names += flags
            if not o["metavar"]:
                continue
            pat = "|".join(flags)
            if o["values"]:
                values.append("        %s) COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;"
                              % (pat, words(o["values"])))
            elif o["metavar"] in ("FILE", "PATH"):
                values.append("        %s) _filedir; return ;;" % pat)
            elif o["metavar"] == "DIR":
                values.append("        %s) _filedir -d; return ;;" % pat)
            elif not o["optional_value"]:
                values.append("        %s) return ;;" % pat)
        args = c["args"] or ""
        kind = ("ifaces" if "IFACE" in args else "keys" if "KEY=VALUE" in args else
                "files" if "FILE" in args else "commands" if "COMMAND" in args else "")
        # sub-commands: "add CIDR... | allow del CIDR... | allow list [--json]"
        subs = args.split()[:1] + re.findall(r"\| %s ([a-z]+)\b" % c["name"], args)
        first = " ".join(subs) if len(subs) > 1 and re.match(r"^[a-z]+$", subs[0]) else ""
        out.append("    %s)" % c["name"])
        if values:
            out += ["        case $prev in"] + ["    " + v for v in values] + ["        esac"]
        out.append("        opts='%s' args=%s first='%s'" % (words(names), kind or "''", first))
        out.append("        ;;")
    out.append("""    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    if [[ -n $first ]]; then
        local seen=
        for ((i = i + 1; i < cword; i++)); do
            [[ ${words[i]} != -* ]] && seen=1
        done
        if [[ -z $seen ]]; then
            COMPREPLY=($(compgen -W "$first" -- "$cur"))
            return
        fi
    fi
    case $args in
    ifaces) COMPREPLY=($(compgen -W "$(_ntpguard_ifaces)" -- "$cur")) ;;
    files) _filedir ;;
    commands) COMPREPLY=($(compgen -W '%s' -- "$cur")) ;;
    keys)
        if [[ $cur == *=* ]]; then
            local key=${cur%%%%=*} vals=
            case $key in""" % words(cmds))
    for k in cli["policy_keys"]:
        if k["values"]:
            out.append("            %s) vals='%s' ;;" % (k["name"], k["values"]))
    out.append("""            esac
            COMPREPLY=($(compgen -P "$key=" -W "$vals" -- "${cur#*=}"))
        else
            compopt -o nospace 2>/dev/null
            COMPREPLY=($(compgen -S = -W '%s' -- "$cur"))
        fi
        ;;
    esac
} &&
    complete -F _ntpguard ntpguard
""" % words(keys))
    return "\n".join(out)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    what = argv[1]
    write = "--write" in argv
    argv = [a for a in argv if a != "--write"]
    cli = json.loads(read(argv[2]))
    if what == "man8":
        sys.stdout.write(man_frame("ntpguard.8.md", cli))
    elif what == "man5":
        sys.stdout.write(man_frame("ntpguard.conf.5.md", cli))
    elif what == "readme" and len(argv) == 4:
        return readme(cli, argv[3], write)
    elif what == "bash":
        sys.stdout.write(bash(cli))
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
