// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * audit: read ntpd / ntpsec / chrony configurations and say whether remote
 * hosts can send the daemon NTP mode 6 and mode 7 queries (the rules:
 * lib/audit.h). This file is the command: options, which files, which
 * daemon version, one report per file and the exit code.
 */
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "params.h"
#include "audit.h"
#include "audit_chrony.h"
#include "audit_report.h"
#include "cmds.h"

#define AUDIT_MAX_FILES 64

enum ftype { FT_AUTO, FT_NTPD, FT_NTPSEC, FT_CHRONY };

struct audit_cfg {
	const char *ntpd, *given;       /* --ntpd, --ntpd-version */
	int type;                       /* enum ftype */
	bool json;
};

/* What all files share: the options, and the version once it is known. */
struct audit_run {
	struct audit_cfg cfg;
	struct audit_version ver;
	bool ver_tried;
};

static const struct ng_enum ftypes[] = {
	{ "ntpd", FT_NTPD }, { "ntpsec", FT_NTPSEC }, { "chrony", FT_CHRONY }, { NULL },
};

static const struct ng_opt audit_opts[] = {
	NG_OPT(NG_OPT_STR, struct audit_cfg, ntpd, "ntpd", 0, .metavar = "PATH", .group = 1,
	       .help = "ask this ntpd binary for its version"),
	NG_OPT(NG_OPT_STR, struct audit_cfg, given, "ntpd-version", 0, .metavar = "VER",
	       .group = 1, .help = "run nothing: the daemon is VER (4.2.6p5,\n"
				   "4.2.8p15, ntpsec-1.2.2, ...)"),
	NG_OPT(NG_OPT_ENUM, struct audit_cfg, type, "type", 0, .metavar = "T", .vals = ftypes,
	       .help = "ntpd, ntpsec or chrony (default: from the file)"),
	NG_OPT(NG_OPT_FLAG, struct audit_cfg, json, "json", 'j',
	       .help = "machine-readable output"),
	NG_OPT_END
};

/* The files named, or the default ones that exist: their count, 0 none,
 * -1 too many (the message is printed). */
static int audit_files(int argc, char **argv, int first, const char **files)
{
	static const char *const defaults[] = {
		"/etc/ntp.conf", "/etc/ntpsec/ntp.conf", "/etc/chrony/chrony.conf",
		"/etc/chrony.conf", NULL
	};
	int n = 0;

	if (argc - first > AUDIT_MAX_FILES) {
		ng_cmd_usage_err(&audit_cmd, "at most %zu files", (size_t)AUDIT_MAX_FILES);
		return -1;
	}
	for (int i = first; i < argc; i++)
		files[n++] = argv[i];
	if (n)
		return n;
	for (int i = 0; defaults[i]; i++)
		if (access(defaults[i], F_OK) == 0)
			files[n++] = defaults[i];
	return n;
}

/* The version, the first time an ntp.conf needs it: --ntpd, or the first
 * ntpd binary that answers --version. */
static void detect_version(struct audit_run *run)
{
	static const char *const bins[] = {
		"/usr/sbin/ntpd", "/usr/local/sbin/ntpd", "/usr/bin/ntpd", "/sbin/ntpd", NULL
	};
	const char *ntpd = run->cfg.ntpd;

	if (run->ver.known || run->ver_tried)
		return;
	run->ver_tried = true;
	if (ntpd) {
		if (audit_version_exec(ntpd, &run->ver))
			ng_err("%s --version gave no version; the version is treated as "
			       "unknown", ntpd);
	} else {
		for (int b = 0; bins[b] && audit_version_exec(bins[b], &run->ver); b++)
			;
	}
}

/* The kinds that may read path, after --type and the file's name. */
static unsigned ntp_kinds(const struct audit_run *run, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') : path;
	unsigned kinds = audit_version_kinds(&run->ver);
	int type = run->cfg.type;

	if (type == FT_NTPSEC || (type == FT_AUTO && !run->ver.known &&
				  (strstr(path, "/ntpsec/") || strstr(base, "ntpsec"))))
		kinds &= K_NTPSEC;
	else if (type == FT_NTPD)
		kinds &= K_CLASSIC;
	return kinds;
}

/* Audit one ntp.conf into r: 0, or NG_EXIT_USAGE (--type contradicts). */
static int audit_ntp(struct audit_run *run, struct report *r)
{
	char note[sizeof(r->vernote)];
	struct ktext kt;
	unsigned kinds;

	detect_version(run);
	kinds = ntp_kinds(run, r->path);
	if (!kinds) {
		ng_err("%s: --type %s contradicts the ntpd version %s", r->path,
		       run->cfg.type == FT_NTPSEC ? "ntpsec" : "ntpd", run->ver.text);
		return NG_EXIT_USAGE;
	}
	if (run->ver.known)
		snprintf(note, sizeof(note), "%s (%s)", run->ver.text, run->ver.how);
	else
		snprintf(note, sizeof(note), "version unknown (%s); assuming any of: %s",
			 run->cfg.ntpd ? "no answer to --version" : "no ntpd binary found",
			 audit_kinds_text(kinds, &kt));
	audit_ntp_file(r, &run->ver, kinds, note);
	return 0;
}

/* Audit and print file i: its verdict, or NG_EXIT_USAGE. */
static int audit_one(struct audit_run *run, const char *path, int i)
{
	struct report r = { .path = path };
	int type = run->cfg.type;
	int verdict;

	if (type == FT_CHRONY || (type == FT_AUTO && audit_looks_chrony(path)))
		audit_chrony_file(&r);
	else if (audit_ntp(run, &r))
		return NG_EXIT_USAGE;
	if (r.unreadable)
		ng_err("cannot read %s: %s", path, strerror(r.read_err));
	if (run->cfg.json) {
		printf("%s", i ? ", " : "");
		audit_print_json(&r, stdout);
	} else {
		printf("%s", i ? "\n" : "");
		audit_print_text(&r, stdout);
	}
	verdict = r.verdict;
	audit_report_free(&r);
	return verdict;
}

static int cmd_audit(int argc, char **argv)
{
	struct audit_run run = { .cfg = { .type = FT_AUTO } };
	const char *files[AUDIT_MAX_FILES];
	int first, nfiles, worst;

	worst = ng_parse(&audit_cmd, &run.cfg, argc, argv, &first);
	if (worst != NG_CONTINUE)
		return worst;
	worst = NG_EXIT_OK;
	if (run.cfg.given) {
		if (audit_version_parse(run.cfg.given, &run.ver, false))
			return ng_cmd_usage_err(&audit_cmd, "--ntpd-version: '%s' is not a "
						"version like 4.2.6p5 or ntpsec-1.2.2", run.cfg.given);
		snprintf(run.ver.text, sizeof(run.ver.text), "%s", run.cfg.given);
		snprintf(run.ver.how, sizeof(run.ver.how), "--ntpd-version");
	}
	nfiles = audit_files(argc, argv, first, files);
	if (nfiles < 0)
		return NG_EXIT_USAGE;
	if (!nfiles) {
		ng_err("no NTP configuration found (looked for /etc/ntp.conf, "
		       "/etc/ntpsec/ntp.conf, /etc/chrony/chrony.conf, /etc/chrony.conf)");
		if (run.cfg.json)
			printf("{\"files\": [], \"verdict\": \"unknown\"}\n");
		return AUDIT_EXIT_UNKNOWN;
	}
	if (run.cfg.json)
		printf("{\"files\": [");
	for (int i = 0; i < nfiles; i++) {
		int v = audit_one(&run, files[i], i);

		if (v == NG_EXIT_USAGE)
			return v;
		if (v == AUDIT_EXIT_RISK || (v == AUDIT_EXIT_UNKNOWN && worst == NG_EXIT_OK))
			worst = v;
	}
	if (run.cfg.json)
		printf("], \"verdict\": \"%s\"}\n", audit_verdict_name(worst));
	return worst;
}

NG_COMMAND(audit,
	.summary = "audit an ntpd/ntpsec/chrony config for mode 6/7 exposure",
	.args = "[FILE...]",
	.doc = "Reads an ntpd, ntpsec or chrony configuration (includes too) and says\n"
	       "whether other hosts can send the daemon NTP mode 6 (ntpq) and mode 7\n"
	       "(ntpdc, monlist: CVE-2013-5211) queries, why, and which lines to add.\n"
	       "Without FILE: /etc/ntp.conf, /etc/ntpsec/ntp.conf, /etc/chrony/chrony.conf\n"
	       "and /etc/chrony.conf, those that exist.\n\n"
	       "Safe means: the default restrict entries of IPv4 and IPv6 carry noquery\n"
	       "or ignore. Also reported: 'disable monitor' (and that 'limited' turns\n"
	       "the monitor list back on in ntpd 4.2.6, so it is not enough alone),\n"
	       "'enable mode7', 'restrict source', per-address exceptions, malformed\n"
	       "lines (with their line number), and chrony's allow/cmdallow/\n"
	       "bindcmdaddress (chrony never answers mode 6/7).\n\n"
	       "The answer depends on the daemon and version ('restrict default' covers\n"
	       "IPv6 only from ntpd 4.2.6 on; ntpsec >= 1.1.9 starts with noquery): the\n"
	       "version comes from running 'ntpd --version' (the first of /usr/sbin/ntpd,\n"
	       "/usr/local/sbin/ntpd, /usr/bin/ntpd, /sbin/ntpd) unless given.\n",
	.epilog = "Exit: 0 safe, 3 at risk, 4 could not tell (unreadable file, or the\n"
		  "answer depends on an unknown version), 1 runtime error, 2 bad arguments.\n"
		  "With several files: 3 if any is at risk, else 4 if any could not tell.\n");
