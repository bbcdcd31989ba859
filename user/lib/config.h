/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * config.h - /etc/ntpguard/ntpguard.conf, the declarative configuration
 * that `apply`, `watch --config` and `export --config` read. The format is
 * documented in doc/ntpguard.conf.5.md (ntpguard.conf(5)); in short:
 *
 *	# comment                       (also after a value, following a blank)
 *	[interface eth0]                one section per interface
 *	direction = ingress|egress|both
 *	mode = auto|native|skb
 *	[watch vnet* tap*]              interfaces that come and go: patterns
 *	direction = both
 *	[policy]                        the keys of `ntpguard set`; the file
 *	mode7_request = ratecap         states the whole policy: a key left out
 *	                                is the default
 *	[allow]                         prefixes, one per line, and files of
 *	198.51.100.20                   them (one per line, comments allowed;
 *	file = allow.d/NAME.list         globs; relative to the config's dir)
 *	[export]                        ntpguard export --config
 *	dir = /var/lib/prometheus/node-exporter
 *	interval = 15
 *	[maps]
 *	max_sources = 65536             load --max-sources
 *	max_reflectors = 4096           load --max-reflectors
 *
 * Loading reads and checks everything (every included file too) and
 * reports every error as FILE:LINE: MESSAGE; a file with an error is
 * refused whole, so a command acting on it changes nothing.
 *
 * Sections are the place for what comes later (roadmap: per-tenant policy):
 * an [interface] or [watch] section will take allow entries and policy
 * keys of its own; today they are refused there with a clear error.
 */
#ifndef NG_CONFIG_H
#define NG_CONFIG_H

#include <limits.h>
#include <stdbool.h>

#include "ntpguard.h"
#include "parse.h"

#define NG_CONF_NAME_MAX 64     /* a [watch] pattern; interface names are shorter */
/* export's default: the directory Debian's prometheus-node-exporter reads */
#define NG_EXPORT_DIR "/var/lib/prometheus/node-exporter"

/* Where something was said */
struct ng_conf_at {
	const char *file;       /* one of ng_conf.files */
	int line;
};

/* An [interface NAME] or one pattern of a [watch PATTERN...] section */
struct ng_conf_if {
	char name[NG_CONF_NAME_MAX];
	unsigned dirs;          /* NG_WANT_* (attach.h): default ingress */
	int mode;               /* enum xdp_attach_mode: UNSPEC is auto */
	struct ng_conf_at at;
};

struct ng_conf_prefix {
	struct ng_cidr cidr;
	struct ng_conf_at at;
	int seq;                /* in the order read (file, then included files) */
};

struct ng_conf {
	char path[PATH_MAX];
	struct ng_conf_if *ifs, *watch;
	int n_ifs, n_watch;
	struct ng_policy policy;        /* the defaults, with [policy] applied */
	int n_policy_keys;              /* keys [policy] set */
	struct ng_conf_prefix *allow;   /* sorted (ng_cidr_cmp), without duplicates */
	int n_allow, n_allow_files;
	char export_dir[PATH_MAX];
	double export_interval;
	__u32 max_sources;              /* 0: not set */
	__u32 max_reflectors;           /* 0: not set */
	char **files;                   /* every file read, for ng_conf_at */
	int n_files;
	int errors;
};

/* The default path: SYSCONFDIR/ntpguard/ntpguard.conf (version.h). */
const char *ng_conf_default_path(void);

/*
 * Read path and every file it includes into c. 0 when the whole of it is
 * valid; otherwise the number of errors, each printed ("ntpguard:
 * FILE:LINE: ..."). Duplicated prefixes are warned about and kept once.
 * ng_conf_free() either way.
 */
int ng_conf_load(const char *path, struct ng_conf *c);
void ng_conf_free(struct ng_conf *c);

/* The entry that covers ifname: its [interface] section, else the first
 * [watch] pattern it matches; NULL if none. */
const struct ng_conf_if *ng_conf_match(const struct ng_conf *c, const char *ifname);

/* Is e one of the [watch] patterns (else an [interface])? */
bool ng_conf_is_watch(const struct ng_conf *c, const struct ng_conf_if *e);

/* "ingress", "egress", "both"; "auto", "native", "skb" */
const char *ng_conf_dirs_name(unsigned dirs);
const char *ng_conf_mode_name(int mode);

#endif
