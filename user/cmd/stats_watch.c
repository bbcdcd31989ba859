// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * stats --watch: packets/s and bytes/s per interface, direction and reason
 * since the previous refresh, like `xdp-filter poll`. On a terminal one
 * screen is redrawn in place; otherwise (a pipe, a file, journald) it prints
 * plain lines, one per row that moved plus a total per attachment.
 * SIGINT (Ctrl-C) and SIGTERM end it with exit 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "pins.h"
#include "snapshot.h"
#include "cmds.h"

/* The same attachment in the previous snapshot (same slot and name). */
static const struct ng_snap_if *find_prev(const struct ng_snapshot *prev,
					  const struct ng_snap_if *x)
{
	for (int i = 0; prev && i < prev->n_if; i++) {
		const struct ng_snap_if *p = &prev->ifs[i];

		if (p->slot == x->slot && p->rec.direction == x->rec.direction &&
		    !strncmp(p->rec.ifname, x->rec.ifname, sizeof(x->rec.ifname)))
			return p;
	}
	return NULL;
}

/* A counter that went backwards was cleared (slot reused): count from 0. */
static __u64 delta(__u64 cur, __u64 old)
{
	return cur >= old ? cur - old : cur;
}

static void human(char *buf, size_t len, double v, const char *unit)
{
	static const char *const pfx[] = { "", "k", "M", "G", "T", "P" };
	int i = 0;

	while (v >= 1000 && i < 5) {
		v /= 1000;
		i++;
	}
	if (i)
		snprintf(buf, len, "%.2f %s%s", v, pfx[i], unit);
	else
		snprintf(buf, len, "%.0f %s", v, unit);
}

struct row {
	const char *reason, *action;
	__u64 pk, by;           /* totals */
	double pps, bps;        /* rates; < 0: no previous sample */
};

/* Rows of one attachment: every reason (and would-drop) seen so far. */
static int rows_of(const struct ng_snap_if *x, const struct ng_snap_if *p, double dt,
		   struct row *rows, struct row *tot /* [3]: drop, pass, would */)
{
	int n = 0;

	memset(tot, 0, 3 * sizeof(*tot));
	tot[0].action = "drop";
	tot[1].action = "pass";
	tot[2].action = "would_drop";
	for (int r = 0; r < NG_R__COUNT; r++) {
		for (int w = 0; w < 2; w++) {
			const struct ng_counter *c = w ? &x->would[r] : &x->real[r];
			const struct ng_counter *o = p ? (w ? &p->would[r] : &p->real[r]) : NULL;
			struct row *t;
			struct row rw = {
				.reason = ng_reason_name(r),
				.action = w ? "would_drop" : ng_reason_drops(r) ? "drop" : "pass",
				.pk = c->packets, .by = c->bytes, .pps = -1, .bps = -1,
			};

			if (w && !ng_reason_drops(r))
				continue;
			if (o && dt > 0) {
				rw.pps = (double)delta(c->packets, o->packets) / dt;
				rw.bps = (double)delta(c->bytes, o->bytes) / dt;
			}
			t = &tot[w ? 2 : ng_reason_drops(r) ? 0 : 1];
			t->pk += rw.pk;
			t->by += rw.by;
			t->pps = rw.pps < 0 ? -1 : (t->pps < 0 ? 0 : t->pps) + rw.pps;
			t->bps = rw.bps < 0 ? -1 : (t->bps < 0 ? 0 : t->bps) + rw.bps;
			if (rw.pk || rw.pps > 0)
				rows[n++] = rw;
		}
	}
	if (!p)
		for (int i = 0; i < 3; i++)
			tot[i].pps = tot[i].bps = -1;
	return n;
}

static void screen_row(FILE *f, const char *label, const char *action,
		       const struct row *r)
{
	char pps[32], bps[32], by[32];

	if (r->pps < 0) {
		snprintf(pps, sizeof(pps), "-");
		snprintf(bps, sizeof(bps), "-");
	} else {
		snprintf(pps, sizeof(pps), "%.1f", r->pps);
		human(bps, sizeof(bps), r->bps, "B/s");
	}
	human(by, sizeof(by), (double)r->by, "B");
	fprintf(f, "  %-26s %-10s %10s %12s %14" PRIu64 " %13s\033[K\n", label, action,
		pps, bps, (uint64_t)r->pk, by);
}

static void draw_screen(FILE *f, const struct ng_snapshot *s, const struct ng_snapshot *prev,
			double dt, double interval, const char *err)
{
	struct row rows[2 * NG_R__COUNT], tot[3];
	char when[64];
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&now));
	fputs("\033[H", f);
	fprintf(f, "ntpguard stats --watch: every %g s, %s (Ctrl-C quits)\033[K\n",
		interval, when);
	if (err) {
		fprintf(f, "ntpguard: %s\033[K\n\033[J", err);
		return;
	}
	if (!s->loaded) {
		fprintf(f, "ntpguard is not loaded (no pins); waiting\033[K\n\033[J");
		return;
	}
	fprintf(f, "monitor mode: %s   per-key tracking: %s   rates since the last "
		"refresh\033[K\n", s->policy.monitor ? "ON (nothing is dropped)" : "off",
		s->policy.track ? "on" : "off");
	if (!s->n_if)
		fprintf(f, "\033[K\nno interfaces in this network namespace\033[K\n");
	for (int i = 0; i < s->n_if; i++) {
		const struct ng_snap_if *x = &s->ifs[i];
		const struct ng_snap_if *p = find_prev(prev, x);
		int n = rows_of(x, p, dt, rows, tot);

		fprintf(f, "\033[K\n%.*s %s (%s mode, %s attach, %s)\033[K\n",
			(int)sizeof(x->rec.ifname), x->rec.ifname, ng_dir_name(x->rec.direction),
			ng_mode_name(x->rec.mode), ng_path_name(x->rec.path), x->state);
		fprintf(f, "  %-26s %-10s %10s %12s %14s %13s\033[K\n", "REASON", "ACTION",
			"PKTS/S", "BYTES/S", "TOTAL PKTS", "TOTAL BYTES");
		if (!n)
			fprintf(f, "  (no NTP traffic counted yet)\033[K\n");
		for (int k = 0; k < n; k++)
			screen_row(f, rows[k].reason, rows[k].action, &rows[k]);
		screen_row(f, "= all dropped", "drop", &tot[0]);
		screen_row(f, "= all passed", "pass", &tot[1]);
		if (tot[2].pk)
			screen_row(f, "= would-drop (monitor)", "would_drop", &tot[2]);
	}
	fputs("\033[J", f);
}

static void plain_rate(FILE *f, const struct row *r)
{
	fprintf(f, " %.1f pkt/s %.0f B/s", r->pps, r->bps);
}

static void print_plain(FILE *f, const struct ng_snapshot *s, const struct ng_snapshot *prev,
			double dt, const char *err, bool *was_loaded)
{
	struct row rows[2 * NG_R__COUNT], tot[3];
	char when[64];
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", localtime(&now));
	if (err) {
		fprintf(f, "%s ntpguard: %s\n", when, err);
		return;
	}
	if (!s->loaded) {
		if (*was_loaded)
			fprintf(f, "%s ntpguard is not loaded (no pins); waiting\n", when);
		*was_loaded = false;
		return;
	}
	*was_loaded = true;
	for (int i = 0; i < s->n_if; i++) {
		const struct ng_snap_if *x = &s->ifs[i];
		const struct ng_snap_if *p = find_prev(prev, x);
		int n = rows_of(x, p, dt, rows, tot);

		if (!p)
			continue;   /* new: rates from the next refresh on */
		for (int k = 0; k < n; k++) {
			if (rows[k].pps <= 0)
				continue;
			fprintf(f, "%s %.*s %s %s %s", when, (int)sizeof(x->rec.ifname),
				x->rec.ifname, ng_dir_name(x->rec.direction), rows[k].reason,
				rows[k].action);
			plain_rate(f, &rows[k]);
			fputc('\n', f);
		}
		fprintf(f, "%s %.*s %s total drop", when, (int)sizeof(x->rec.ifname),
			x->rec.ifname, ng_dir_name(x->rec.direction));
		plain_rate(f, &tot[0]);
		fputs(" pass", f);
		plain_rate(f, &tot[1]);
		if (tot[2].pk) {
			fputs(" would_drop", f);
			plain_rate(f, &tot[2]);
		}
		fprintf(f, " (%s)\n", x->state);
	}
}

int ng_stats_watch(double interval)
{
	struct ng_snapshot snaps[2] = {};
	struct ng_snapshot *cur = &snaps[0], *prev = NULL;
	bool tty = isatty(STDOUT_FILENO), was_loaded = true;
	double t_prev = 0, t_cur;
	struct ng_paths paths = { 0 };
	sigset_t set, old;
	char err[1024];
	int e;

	ng_paths_init(&paths);
	if (ng_require_privs(false) || ng_require_loaded(&paths))
		return NG_EXIT_FAIL;

	/* Signals are taken only between two refreshes, so a Ctrl-C never
	 * cuts a screen in half. */
	ng_periodic_begin(&set, &old);

	if (tty)
		fputs("\033[?25l\033[H\033[2J", stdout);   /* hide cursor, clear */
	else
		printf("# ntpguard stats --watch: every %g s; per interface, direction "
		       "and reason that moved, and a total per attachment; rates since "
		       "the previous line\n", interval);
	for (;;) {
		err[0] = 0;
		t_cur = ng_mono_now();
		e = ng_snapshot_take(&paths, cur, NG_SNAP_COUNTERS, err, sizeof(err));
		if (tty)
			draw_screen(stdout, cur, prev, t_cur - t_prev, interval, e ? err : NULL);
		else if (prev || e)
			print_plain(stdout, cur, prev, t_cur - t_prev, e ? err : NULL, &was_loaded);
		fflush(stdout);
		if (!e) {
			if (prev)
				ng_snapshot_free(prev);
			prev = cur;
			cur = cur == &snaps[0] ? &snaps[1] : &snaps[0];
			t_prev = t_cur;
		}

		if (ng_periodic_wait(&set, t_cur, interval))
			break;
	}
	if (tty)
		fputs("\033[?25h\n", stdout);   /* cursor back, leave the screen */
	fflush(stdout);
	ng_snapshot_free(&snaps[0]);
	ng_snapshot_free(&snaps[1]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return NG_EXIT_OK;
}
