// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * apply: make the running state what the configuration file says
 * (lib/config.c reads it): interfaces attached and detached, programs of an
 * older build replaced atomically, the policy set in one flip, allow-list
 * entries added and removed. --dry-run prints the plan only.
 *
 * Nothing changes unless the whole file (and every prefix file) is valid.
 * The changes are made in an order where every intermediate state filters
 * at least as much as the old or the new configuration: new interfaces
 * first, then allow-list removals, the policy, allow-list additions, and
 * detaching last.
 */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "allowlist.h"
#include "attach.h"
#include "config.h"
#include "layout.h"
#include "pins.h"
#include "policy.h"
#include "snapshot.h"
#include "state.h"
#include "params.h"
#include "cmds.h"
#include "version.h"

#define SHOW_PREFIXES 8         /* listed per allow-list change, then counted */

struct apply_cfg {
	bool dry_run;
};

static const struct ng_opt apply_opts[] = {
	NG_OPT(NG_OPT_FLAG, struct apply_cfg, dry_run, "dry-run", 'n',
	       .help = "print what would change; change nothing"),
	NG_OPT_END
};

/* What one interface needs, by direction masks (NG_WANT_*). */
struct if_plan {
	char name[IF_NAMESIZE];
	const struct ng_conf_if *conf;  /* NULL: not in the configuration */
	unsigned attach, upgrade, remode, detach;
	__u8 cur_mode;                  /* NG_MODE_* of the live ingress program */
};

struct plan {
	struct if_plan *ifs;
	int n_ifs;
	int n_missing;
	unsigned layout_from;           /* != 0: the pins get migrated */
	bool create_maps;
	struct ng_policy cur_policy;
	int policy_changes;
	struct ng_cidr *add, *del;
	int n_add, n_del;
	int changes;
};

/* ---- the plan ------------------------------------------------------------------ */

static struct if_plan *plan_if(struct plan *pl, const char *name)
{
	struct if_plan *p;

	for (int i = 0; i < pl->n_ifs; i++)
		if (!strcmp(pl->ifs[i].name, name))
			return &pl->ifs[i];
	p = realloc(pl->ifs, (size_t)(pl->n_ifs + 1) * sizeof(*p));
	if (!p)
		return NULL;
	pl->ifs = p;
	p = &pl->ifs[pl->n_ifs++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	return p;
}

static bool has_xdp_mode(int mode, __u8 cur)
{
	return mode == XDP_MODE_UNSPEC ||
	       (mode == XDP_MODE_NATIVE && cur == NG_MODE_NATIVE) ||
	       (mode == XDP_MODE_SKB && cur == NG_MODE_SKB);
}

/* Interfaces: what the file wants of each existing one, against the live
 * records of this namespace. */
static int plan_ifaces(const struct ng_conf *c, const struct ng_snapshot *s, struct plan *pl)
{
	struct if_nameindex *all = if_nameindex(), *i;

	if (!all) {
		ng_err("cannot list the interfaces: %s", strerror(errno));
		return -1;
	}
	for (int k = 0; k < c->n_ifs; k++)
		if (!if_nametoindex(c->ifs[k].name)) {
			fprintf(stderr, "ntpguard: warning: %s:%d: [interface %s]: no such "
				"interface; skipped (ntpguard watch --config attaches it when "
				"it appears)\n", c->ifs[k].at.file, c->ifs[k].at.line,
				c->ifs[k].name);
			pl->n_missing++;
		}
	for (i = all; i->if_index; i++) {
		const struct ng_conf_if *e = ng_conf_match(c, i->if_name);
		struct if_plan *p;

		/* patterns take Ethernet devices only, as watch does */
		if (!e || (ng_conf_is_watch(c, e) && ng_link_type(i->if_name) != ARPHRD_ETHER))
			continue;
		p = plan_if(pl, i->if_name);
		if (!p)
			goto oom;
		p->conf = e;
	}
	if_freenameindex(all);
	for (int k = 0; k < s->n_if; k++) {
		const struct ng_snap_if *x = &s->ifs[k];
		unsigned d = 1u << x->rec.direction;
		struct if_plan *p;

		if (!x->live)
			continue;       /* detached, or gone: nothing to take off */
		p = plan_if(pl, x->rec.ifname);
		if (!p)
			goto oom;
		if (!p->conf || !(p->conf->dirs & d)) {
			p->detach |= d;
			continue;
		}
		p->upgrade |= x->outdated ? d : 0;
		p->attach |= d;         /* marks "live"; cleared below */
		if (d == NG_WANT_INGRESS)
			p->cur_mode = x->rec.mode;
	}
	for (int k = 0; k < pl->n_ifs; k++) {
		struct if_plan *p = &pl->ifs[k];
		unsigned live = p->attach;

		if (!p->conf)
			continue;
		p->attach = p->conf->dirs & ~live;
		if ((live & NG_WANT_INGRESS) && !has_xdp_mode(p->conf->mode, p->cur_mode)) {
			p->remode = NG_WANT_INGRESS;
			p->upgrade &= ~NG_WANT_INGRESS;
		}
		pl->changes += !!p->attach + !!p->upgrade + !!p->remode;
	}
	for (int k = 0; k < pl->n_ifs; k++)
		pl->changes += !!pl->ifs[k].detach;
	return 0;
oom:
	if_freenameindex(all);
	ng_err("out of memory");
	return -1;
}

/* The allow-list: what to add and remove (both lists sorted the same way). */
static int plan_allow(const struct ng_conf *c, struct ng_state *st, struct plan *pl)
{
	struct ng_cidr *cur[2] = { NULL, NULL };
	int n[2] = { 0, 0 }, j = 0, ret = -1;

	if (st) {
		cur[0] = ng_allow_list(st, 0, &n[0]);
		cur[1] = ng_allow_list(st, 1, &n[1]);
		if (!cur[0] || !cur[1]) {
			ng_err("cannot read the allow-list");
			goto out;
		}
	}
	pl->add = calloc((size_t)c->n_allow + 1, sizeof(*pl->add));
	pl->del = calloc((size_t)(n[0] + n[1]) + 1, sizeof(*pl->del));
	if (!pl->add || !pl->del) {
		ng_err("out of memory");
		goto out;
	}
	for (int f = 0; f < 2; f++)
		for (int i = 0; i < n[f]; i++) {
			const struct ng_cidr *x = &cur[f][i];
			int r = 1;

			while (j < c->n_allow && (r = ng_cidr_cmp(&c->allow[j].cidr, x)) < 0)
				pl->add[pl->n_add++] = c->allow[j++].cidr;
			if (r == 0)
				j++;
			else
				pl->del[pl->n_del++] = *x;
		}
	while (j < c->n_allow)
		pl->add[pl->n_add++] = c->allow[j++].cidr;
	pl->changes += !!pl->n_add + !!pl->n_del;
	ret = 0;
out:
	free(cur[0]);
	free(cur[1]);
	return ret;
}

static void plan_policy(const struct ng_conf *c, struct plan *pl)
{
	char a[32], b[32];

	for (size_t i = 0; i < ng_policy_nkeys(); i++) {
		ng_policy_value(&pl->cur_policy, i, a, sizeof(a));
		ng_policy_value(&c->policy, i, b, sizeof(b));
		pl->policy_changes += !!strcmp(a, b);
	}
	pl->changes += !!pl->policy_changes;
}

static void plan_free(struct plan *pl)
{
	free(pl->ifs);
	free(pl->add);
	free(pl->del);
}

/* ---- printing ---------------------------------------------------------------------- */

static const char *dirs_text(unsigned d)
{
	return d == NG_WANT_BOTH ? "ingress and egress" :
	       d == NG_WANT_EGRESS ? "egress" : "ingress";
}

static void print_prefixes(const char *what, const struct ng_cidr *c, int n)
{
	char txt[64];

	if (!n)
		return;
	printf("allow-list: %s %d prefix%s:", what, n, n == 1 ? "" : "es");
	for (int i = 0; i < n && i < SHOW_PREFIXES; i++) {
		ng_cidr_format(&c[i], txt, sizeof(txt));
		printf(" %s", txt);
	}
	if (n > SHOW_PREFIXES)
		printf(" (and %d more)", n - SHOW_PREFIXES);
	printf("\n");
}

static void print_policy(const struct ng_conf *c, const struct plan *pl)
{
	char a[32], b[32];

	for (size_t i = 0; i < ng_policy_nkeys(); i++) {
		ng_policy_value(&pl->cur_policy, i, a, sizeof(a));
		ng_policy_value(&c->policy, i, b, sizeof(b));
		if (strcmp(a, b))
			printf("policy: %s %s -> %s\n", ng_policy_key(i), a, b);
	}
}

static const char *source(const struct ng_conf *c, const struct ng_conf_if *e, char *buf,
			  size_t len)
{
	bool watch = ng_conf_is_watch(c, e);

	snprintf(buf, len, "[%s %s], %s:%d", watch ? "watch" : "interface", e->name,
		 e->at.file, e->at.line);
	return buf;
}

static void print_plan(const struct ng_conf *c, const struct plan *pl)
{
	char src[PATH_MAX + 128];

	if (pl->layout_from)
		printf("layout: migrate the pins from layout %u to %u\n", pl->layout_from,
		       NG_LAYOUT_VERSION);
	for (int i = 0; i < pl->n_ifs; i++) {
		const struct if_plan *p = &pl->ifs[i];

		if (p->attach)
			printf("%s: attach %s, %s mode (%s)\n", p->name, dirs_text(p->attach),
			       ng_conf_mode_name(p->conf->mode),
			       source(c, p->conf, src, sizeof(src)));
		if (p->upgrade)
			printf("%s: replace the older program build on %s (atomic)\n", p->name,
			       dirs_text(p->upgrade));
		if (p->remode)
			printf("%s: move ingress from %s to %s mode (detach and attach: XDP "
			       "modes cannot be swapped atomically)\n", p->name,
			       ng_mode_name(p->cur_mode), ng_conf_mode_name(p->conf->mode));
	}
	print_prefixes("remove", pl->del, pl->n_del);
	print_policy(c, pl);
	print_prefixes("add", pl->add, pl->n_add);
	for (int i = 0; i < pl->n_ifs; i++)
		if (pl->ifs[i].detach)
			printf("%s: detach %s (%s)\n", pl->ifs[i].name,
			       dirs_text(pl->ifs[i].detach), pl->ifs[i].conf ?
			       "direction not in the configuration" : "not in the configuration");
}

/* ---- doing it ---------------------------------------------------------------------------- */

static int run_ifaces(const struct ng_paths *paths, const struct plan *pl, bool detach)
{
	int ret = 0;

	for (int i = 0; i < pl->n_ifs; i++) {
		const struct if_plan *p = &pl->ifs[i];

		if (detach) {
			if (p->detach && ng_unload_iface(paths, p->name, p->detach))
				ret = -1;
			continue;
		}
		if (p->remode && (ng_unload_iface(paths, p->name, NG_WANT_INGRESS) ||
				  ng_load_iface(paths, p->name,
						(enum xdp_attach_mode)p->conf->mode,
						NG_WANT_INGRESS, true)))
			ret = -1;
		if ((p->attach | p->upgrade) &&
		    ng_load_iface(paths, p->name, (enum xdp_attach_mode)p->conf->mode,
				  p->attach | p->upgrade, true))
			ret = -1;
	}
	return ret;
}

static int run_maps(const struct ng_paths *paths, const struct ng_conf *c,
		    const struct plan *pl)
{
	struct ng_state st;
	struct ng_policy live_pol;
	__u32 live;
	int ret = -1;

	if (!pl->n_add && !pl->n_del && !pl->policy_changes)
		return 0;
	if (!ng_pins_exist(paths) && ng_create_maps(paths))
		return -1;
	if (ng_state_open(&st, paths, NG_MAPS_POLICY | NG_MAPS_ALLOW, false))
		return -1;
	if (pl->n_del && ng_allow_change(&st, pl->del, pl->n_del, false))
		goto out;
	print_prefixes("removed", pl->del, pl->n_del);
	if (pl->policy_changes) {
		if (ng_state_policy(&st, &live_pol, &live) ||
		    ng_state_policy_commit(&st, live, &c->policy))
			goto out;
		print_policy(c, pl);
	}
	if (pl->n_add && ng_allow_change(&st, pl->add, pl->n_add, true))
		goto out;
	print_prefixes("added", pl->add, pl->n_add);
	ret = 0;
out:
	ng_state_close(&st);
	return ret;
}

/* ---- the command --------------------------------------------------------------------------- */

/* Read what runs now (the lock is held); pins may be absent. */
static int read_current(const struct ng_paths *paths, const struct ng_conf *c,
			struct plan *pl, struct ng_snapshot *s)
{
	static const struct ng_policy def = NG_DEFAULT_POLICY;
	struct ng_state st;
	int ret;

	if (ng_snapshot_read(paths, s, NG_SNAP_IFACES))
		return -1;
	pl->cur_policy = s->loaded ? s->policy : def;
	if (plan_ifaces(c, s, pl))
		return -1;
	if (!s->loaded) {
		ret = plan_allow(c, NULL, pl);
	} else {
		if (ng_state_open(&st, paths, NG_MAPS_ALLOW, false))
			return -1;
		ret = plan_allow(c, &st, pl);
		ng_state_close(&st);
	}
	plan_policy(c, pl);
	return ret;
}

/* A table size of the file, unless the loaded table differs (said: it is
 * resized only when ntpguard is loaded afresh). */
static __u32 table_size(const struct ng_paths *paths, const char *map, const char *key,
			__u32 want)
{
	__u32 pinned = ng_pinned_max_entries(paths, map);

	if (want && pinned && pinned != want) {
		fprintf(stderr, "ntpguard: warning: [maps] %s = %u, but the loaded table "
			"holds %u; it is resized only when ntpguard is loaded afresh "
			"(`ntpguard unload --all`, then apply)\n", key, want, pinned);
		return 0;
	}
	return want;
}

static __u32 max_sources(const struct ng_paths *paths, const struct ng_conf *c)
{
	return table_size(paths, NG_STR(NG_MAP_BUCKETS), "max_sources", c->max_sources);
}

static int cmd_apply(int argc, char **argv)
{
	struct apply_cfg cfg = { 0 };
	struct ng_paths paths = { 0 };
	struct ng_snapshot snap = { 0 };
	struct ng_layout layout;
	struct plan pl = { 0 };
	struct ng_conf c;
	const char *file;
	int first, lock = -1, ret;

	ret = ng_parse(&apply_cmd, &cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	if (argc - first > 1)
		return ng_cmd_usage_err(&apply_cmd, "apply: one configuration file at most");
	file = first < argc ? argv[first] : ng_conf_default_path();

	if (ng_conf_load(file, &c)) {
		ng_err("%s: %d error%s; nothing was changed", file, c.errors,
		       c.errors == 1 ? "" : "s");
		ng_conf_free(&c);
		return NG_EXIT_USAGE;
	}
	ng_paths_init(&paths);
	ret = NG_EXIT_FAIL;
	if (ng_require_privs(true))
		goto out;
	if (!cfg.dry_run) {
		/* bpffs, the lock, the layout checked (and migrated) */
		if (ng_layout_read(&paths, &layout) == 0 && layout.migrate)
			pl.layout_from = layout.version;
		lock = ng_attach_prepare(&paths, max_sources(&paths, &c));
		if (lock < 0)
			goto out;
		if (ng_attach_max_reflectors(&paths, table_size(&paths,
				NG_STR(NG_MAP_REFLECTORS), "max_reflectors", c.max_reflectors)))
			goto out;
	} else if (ng_is_bpffs(paths.bpffs)) {
		lock = ng_lock(&paths);
		if (lock < 0)
			goto out;
		if (ng_layout_read(&paths, &layout) || !layout.usable) {
			ng_err("%s", layout.why);
			goto out;
		}
		pl.layout_from = layout.migrate ? layout.version : 0;
		max_sources(&paths, &c);
		table_size(&paths, NG_STR(NG_MAP_REFLECTORS), "max_reflectors", c.max_reflectors);
	}
	pl.changes = !!pl.layout_from;
	if (read_current(&paths, &c, &pl, &snap))
		goto out;

	if (cfg.dry_run) {
		print_plan(&c, &pl);
		if (pl.changes)
			printf("dry run: %d change%s planned from %s; nothing was changed\n",
			       pl.changes, pl.changes == 1 ? "" : "s", file);
		else
			printf("nothing to change: the running state matches %s\n", file);
		ret = NG_EXIT_OK;
		goto out;
	}
	ret = NG_EXIT_OK;
	if (run_ifaces(&paths, &pl, false))
		ret = NG_EXIT_FAIL;
	if (run_maps(&paths, &c, &pl))
		ret = NG_EXIT_FAIL;
	if (run_ifaces(&paths, &pl, true))
		ret = NG_EXIT_FAIL;
	if (ret)
		ng_err("%s: applied with errors (above); run apply again once they are fixed",
		       file);
	else if (pl.changes)
		printf("applied %d change%s from %s\n", pl.changes, pl.changes == 1 ? "" : "s",
		       file);
	else
		printf("nothing to change: the running state matches %s\n", file);
out:
	if (lock >= 0)
		ng_unlock(lock);
	ng_snapshot_free(&snap);
	plan_free(&pl);
	ng_conf_free(&c);
	return ret;
}

NG_COMMAND(apply,
	.summary = "make the running state what the configuration file says",
	.args = "[FILE]",
	.doc = "Read FILE (default " NG_CONFIG_PATH ", format:\n"
	       "ntpguard.conf(5)) and change the running state to match it: attach\n"
	       "the interfaces it names (and existing ones matching its [watch]\n"
	       "patterns), detach the others of this network namespace, replace\n"
	       "programs of an older build atomically, set the policy in one step,\n"
	       "add and remove allow-list entries. Prints each change, or says that\n"
	       "nothing had to change. An error anywhere in the file or the files\n"
	       "it includes is reported as FILE:LINE and nothing is changed (exit 2).\n"
	       "Interfaces named but not present are skipped with a warning.\n");
