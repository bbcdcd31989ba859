/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * params.h - commands and their options, declared as tables; one parser
 * and the --help text (and, later, the man page) are generated from them.
 * The idea is xdp-tools' lib/util/params.c.
 *
 * A command fills a config struct with its defaults, then
 *
 *	static const struct ng_opt load_opts[] = {
 *		NG_OPT(NG_OPT_ENUM, struct load_cfg, mode, "mode", 'm',
 *		       .metavar = "MODE", .vals = modes, .help = "native or skb"),
 *		NG_OPT_END
 *	};
 *	rc = ng_parse(&cmd_load, &cfg, argc, argv, &first);
 *	if (rc != NG_CONTINUE)
 *		return rc;              (--help printed, or a usage error)
 *
 * and finds its operands in argv[first..argc).
 *
 * Errors, one style, each followed by the usage line and "(see --help)",
 * exit 2:
 *   unknown option, or option without its value: 'WORD'
 *   --OPTION: 'VALUE' is not an integer in MIN..MAX   (and the other types)
 *   --A and --B exclude each other
 *   CMD: no --OPTION METAVAR given
 *   CMD: unexpected argument 'WORD'
 */
#ifndef NG_PARAMS_H
#define NG_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "parse.h"

enum ng_opt_type {
	NG_OPT_NONE,            /* ends a table */
	NG_OPT_FLAG,            /* bool: set to true */
	NG_OPT_SET,             /* int: set to .set (--progress / --no-progress) */
	NG_OPT_STR,             /* const char *: the value as given */
	NG_OPT_LIST,            /* struct ng_strv: every value, in order */
	NG_OPT_UINT,            /* __u32 or unsigned long long, in [.min, .max] */
	NG_OPT_NUM,             /* double, in [.min, .max] */
	NG_OPT_ENUM,            /* int: the value of one of .vals */
};

/* Option flags */
#define NG_OPT_OPTIONAL  0x1    /* the value may be left out: --watch [SECONDS] */
#define NG_OPT_REQUIRED  0x2    /* must be given */
#define NG_OPT_NOSYN     0x4    /* not in the usage line (the operands say it) */

struct ng_strv {
	const char **v;
	int n;
};

struct ng_opt {
	enum ng_opt_type type;
	const char *name;       /* long name, or NULL for a short-only option */
	int short_opt;          /* 0 for a long-only option */
	size_t off, size;       /* the value's place in the command's config */
	const char *metavar;    /* the value in --help: "N", "SECONDS", "MODE" */
	const char *help;       /* lines separated by \n */
	unsigned long long min, max;    /* NG_OPT_UINT */
	double dmin, dmax;      /* NG_OPT_NUM */
	const char *what;       /* NG_OPT_NUM: "a number of seconds" */
	const struct ng_enum *vals;     /* NG_OPT_ENUM */
	int set;                /* NG_OPT_SET */
	const char *dflt;       /* NG_OPT_OPTIONAL: the value when left out */
	int group;              /* > 0: options of one group exclude each other */
	unsigned flags;         /* NG_OPT_OPTIONAL, NG_OPT_REQUIRED, NG_OPT_NOSYN */
};

#define NG_OPT(_type, _cfgtype, _member, _name, _short, ...) {                 \
		.type = (_type), .name = (_name), .short_opt = (_short),         \
		.off = offsetof(_cfgtype, _member),                              \
		.size = sizeof(((_cfgtype *)0)->_member), __VA_ARGS__ }
#define NG_OPT_END { .type = NG_OPT_NONE }

/* Command flags */
#define NG_CMD_IN_ORDER  0x1    /* options end at the first operand */

struct ng_cmd {
	const char *name;
	const char *summary;    /* one line in `ntpguard --help` */
	const char *args;       /* operands in the usage line; NULL: none taken */
	const char *hint;       /* NULL args: said with an unexpected operand */
	const char *doc;        /* what it does: after the usage line */
	const struct ng_opt *opts;
	void (*help_more)(FILE *f);     /* after the options (set: the keys) */
	const char *epilog;     /* last */
	int (*run)(int argc, char **argv);
	unsigned flags;
};

/*
 * The command object of cmd/NAME.c, NAME_cmd: its option table NAME_opts,
 * its entry point cmd_NAME(), the rest (.summary, .args, .doc, ...) as
 * designated initialisers.
 */
#define NG_COMMAND(_name, ...)                                                   \
	const struct ng_cmd _name##_cmd = { .name = #_name, .opts = _name##_opts, \
					    .run = cmd_##_name, __VA_ARGS__ }

#define NG_CONTINUE (-1)

/*
 * Parse argv[1..] (argv[0] is the command's name) into cfg by c->opts.
 * NG_CONTINUE: go on with the operands argv[*first..argc). Otherwise the
 * exit code: NG_EXIT_OK after --help, NG_EXIT_USAGE after a usage error
 * (printed).
 */
int ng_parse(const struct ng_cmd *c, void *cfg, int argc, char **argv, int *first);

/* A usage error of c: "ntpguard: MESSAGE", the usage line; NG_EXIT_USAGE. */
int ng_cmd_usage_err(const struct ng_cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "ntpguard load [--mode native|skb] ... IFACE..." */
void ng_cmd_synopsis(const struct ng_cmd *c, char *buf, size_t len);
void ng_cmd_help(const struct ng_cmd *c, FILE *f);
/* The command as JSON: name, summary, synopsis, args, doc, epilog, the text
 * help_more prints, and each option (long and short name, metavar, type,
 * the words of an enum, help, required/optional/repeatable). For the man
 * page, the README and the shell completion (`ntpguard help --json`). */
void ng_cmd_json(const struct ng_cmd *c, FILE *f);

#endif
