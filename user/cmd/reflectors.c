// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * reflectors: the abuse desk's list. Which servers sent the oversized
 * mode 7 responses ntpguard dropped (the reflector records of the data
 * plane, ng_reflectors), on which interface and what is behind it, with
 * packets, bytes, estimated victims and first/last seen; --notice writes
 * the message for each confirmed server's owner (lib/notice.c), after
 * probing them the way `check` does.
 */
#include <errno.h>
#include <string.h>

#include "common.h"
#include "audit.h"
#include "pins.h"
#include "reflist.h"
#include "notice.h"
#include "params.h"
#include "cmds.h"

struct reflectors_cfg {
	bool json, notice, no_confirm;
	const char *since, *template;
	double timeout, rate;
};

static const struct ng_opt reflectors_opts[] = {
	NG_OPT(NG_OPT_FLAG, struct reflectors_cfg, json, "json", 'j',
	       .help = "machine-readable output (for ticket systems; with\n"
		       "--notice: subject and body per server)"),
	NG_OPT(NG_OPT_STR, struct reflectors_cfg, since, "since", 's', .metavar = "DURATION",
	       .help = "only servers seen within DURATION (90s, 15m, 2h, 7d;\n"
		       "a number alone is seconds)"),
	NG_OPT(NG_OPT_FLAG, struct reflectors_cfg, notice, "notice", 'n',
	       .help = "print a notice for each server's owner: each is\n"
		       "first probed like `ntpguard check` (monlist answered\n"
		       "with data: a notice with the measured amplification;\n"
		       "otherwise no notice, said on stderr)"),
	NG_OPT(NG_OPT_FLAG, struct reflectors_cfg, no_confirm, "no-confirm", 0,
	       .flags = NG_OPT_NOSYN,
	       .help = "with --notice: do not probe; a notice for every server"),
	NG_OPT(NG_OPT_STR, struct reflectors_cfg, template, "template", 'T', .metavar = "FILE",
	       .flags = NG_OPT_NOSYN,
	       .help = "with --notice: the notice text (default: "
		       NG_NOTICE_ETC_PATH " if it exists,\n"
		       "else the built-in English text; README \"Notices\")"),
	NG_OPT(NG_OPT_NUM, struct reflectors_cfg, timeout, "timeout", 't', .metavar = "S",
	       .dmin = 0.05, .dmax = 60, .what = "a number of seconds", .flags = NG_OPT_NOSYN,
	       .help = "with --notice: check's --timeout"),
	NG_OPT(NG_OPT_NUM, struct reflectors_cfg, rate, "rate", 'r', .metavar = "N",
	       .dmin = 0.1, .dmax = 10000, .flags = NG_OPT_NOSYN,
	       .help = "with --notice: check's --rate"),
	NG_OPT_END
};

/*
 * `ntpguard audit`'s lines for an ntpd with no restrict line of its own
 * (what a server answering monlist to everyone amounts to), for the
 * version the server reported, else for any classic ntpd; indented.
 */
static void ntpd_fix(const char *version, char *out, size_t len)
{
	char lines[1024], *save = NULL;
	size_t n = 0;

	if (audit_fix_lines("", 0, version, lines, sizeof(lines)) <= 0 &&
	    audit_fix_lines("", 0, "4.2.6p5", lines, sizeof(lines)) <= 0)
		snprintf(lines, sizeof(lines), "restrict default noquery");
	out[0] = 0;
	for (char *l = strtok_r(lines, "\n", &save); l && n < len; l = strtok_r(NULL, "\n", &save))
		n += (size_t)snprintf(out + n, len - n, "%s      %s", n ? "\n" : "", l);
}

static int cmd_reflectors(int argc, char **argv)
{
	struct reflectors_cfg cfg = { .timeout = 2, .rate = 20 };
	struct ng_paths paths = { 0 };
	struct ng_snapshot s;
	struct ng_reflist l;
	double since = 0;
	int first, ret;

	ret = ng_parse(&reflectors_cmd, &cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	if (cfg.since && ng_parse_duration(cfg.since, 1, 1e9, &since))
		return ng_cmd_usage_err(&reflectors_cmd, "--since: '%s' is not a duration "
					"(90s, 15m, 2h, 7d)", cfg.since);
	if ((cfg.no_confirm || cfg.template) && !cfg.notice)
		return ng_cmd_usage_err(&reflectors_cmd, "--no-confirm and --template go "
					"with --notice");
	ng_paths_init(&paths);
	if (ng_require_privs(false) ||
	    ng_snapshot_read(&paths, &s, NG_SNAP_REFL | NG_SNAP_LOADED))
		return NG_EXIT_FAIL;
	ret = NG_EXIT_FAIL;
	if (!s.refl_available) {
		ng_err("no reflector table: the pins were made by an older ntpguard; unload "
		       "every interface and load again");
		goto out;
	}
	if (ng_reflist_build(&s, since, true, &l)) {
		ng_err("out of memory");
		goto out;
	}
	if (cfg.notice)
		ret = ng_notices(stdout, &l, &(struct ng_notice_opts){
				 .confirm = !cfg.no_confirm, .json = cfg.json,
				 .template_path = cfg.template, .timeout = cfg.timeout,
				 .rate = cfg.rate, .ntpd_fix = ntpd_fix });
	else {
		if (cfg.json)
			ng_reflist_json(stdout, &l);
		else
			ng_reflist_text(stdout, &l);
		ret = NG_EXIT_OK;
	}
	ng_reflist_free(&l);
out:
	ng_snapshot_free(&s);
	return ret;
}

NG_COMMAND(reflectors,
	.summary = "servers whose monlist replies were dropped: the abuse desk's list",
	.doc = "The servers that sent the oversized mode 7 (monlist) responses\n"
	       "ntpguard dropped (or would have, in monitor mode), sorted by bytes:\n"
	       "the address (IPv4, IPv6 /128: one server), the interface and\n"
	       "direction, what is behind the interface (libvirt domain, the\n"
	       "process holding a tap, a veth's other end and namespace, the\n"
	       "bridge), packets and bytes dropped, distinct victims (estimated),\n"
	       "first and last seen. Kept in the data plane (LRU, load\n"
	       "--max-reflectors records; `ntpguard set reflectors=off` stops it).\n\n"
	       "Next: `ntpguard check --from-reflectors` confirms which still answer\n"
	       "monlist; `ntpguard reflectors --notice` writes one notice per\n"
	       "confirmed server for its owner.\n");
