// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * help: a command's --help, or (--json) every command, option and policy
 * key as data. The man page, the README's command reference and the bash
 * completion are generated from that JSON (scripts/gendoc.py), so the
 * option tables are their one source.
 */
#include <string.h>

#include "common.h"
#include "policy.h"
#include "params.h"
#include "cmds.h"
#include "version.h"

struct help_cfg {
	bool json;
};

static const struct ng_opt help_opts[] = {
	NG_OPT(NG_OPT_FLAG, struct help_cfg, json, "json", 'j',
	       .help = "every command, option and policy key, as JSON"),
	NG_OPT_END
};

static void policy_json(FILE *f)
{
	static const struct ng_policy def = NG_DEFAULT_POLICY;
	char val[32];

	fprintf(f, "[");
	for (size_t i = 0; i < ng_policy_nkeys(); i++) {
		const char *words = ng_policy_key_values(i);

		ng_policy_value(&def, i, val, sizeof(val));
		fprintf(f, "%s{\"name\": ", i ? ", " : "");
		ng_json_str(f, ng_policy_key(i));
		fprintf(f, ", \"default\": ");
		ng_json_str(f, val);
		fprintf(f, ", \"help\": ");
		ng_json_str(f, ng_policy_key_help(i));
		fprintf(f, ", \"values\": ");
		if (words)
			ng_json_str(f, words);
		else
			fputs("null", f);
		fprintf(f, "}");
	}
	fprintf(f, "]");
}

static int cmd_help(int argc, char **argv)
{
	struct help_cfg cfg = { 0 };
	int first, ret;

	ret = ng_parse(&help_cmd, &cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	if (argc - first > 1 || (cfg.json && first < argc))
		return ng_cmd_usage_err(&help_cmd, "help: one COMMAND, or --json");
	if (cfg.json) {
		printf("{\"version\": ");
		ng_json_str(stdout, NG_VERSION);
		printf(", \"config\": ");
		ng_json_str(stdout, NG_CONFIG_PATH);
		printf(", \"commands\": [");
		for (size_t i = 0; ng_cmds[i]; i++) {
			printf("%s", i ? ",\n" : "\n");
			ng_cmd_json(ng_cmds[i], stdout);
		}
		printf("],\n\"policy_keys\": ");
		policy_json(stdout);
		printf("}\n");
		return NG_EXIT_OK;
	}
	if (first == argc) {
		ng_usage(stdout);
		return NG_EXIT_OK;
	}
	for (size_t i = 0; ng_cmds[i]; i++)
		if (!strcmp(argv[first], ng_cmds[i]->name)) {
			ng_cmd_help(ng_cmds[i], stdout);
			return NG_EXIT_OK;
		}
	return ng_cmd_usage_err(&help_cmd, "help: unknown command '%s'", argv[first]);
}

NG_COMMAND(help,
	.summary = "a command's help, or all of them as JSON",
	.args = "[COMMAND]",
	.doc = "Print the help of COMMAND (the same as `ntpguard COMMAND --help`),\n"
	       "or the list of commands. With --json: every command with its\n"
	       "synopsis, text and options, and every policy key with its default,\n"
	       "as one JSON object (the man page, the README's command reference\n"
	       "and the bash completion are made from it).\n");
