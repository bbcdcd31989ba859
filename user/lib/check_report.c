// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * check's report (see check_report.h): per host its verdict, the probe that
 * amplified most and what each probe got, as text or JSON. BAF: reply UDP
 * payload / request UDP payload; the IP-level factor adds the IP and UDP
 * headers of every packet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "common.h"
#include "ntp_wire.h"
#include "check_local.h"
#include "check_report.h"

#define SHOW_SILENT 32          /* list silent hosts up to this many */

static const char *const verdict_key[V__COUNT] = {
	"vulnerable", "mode7-no-data", "mode6-only", "not-answering", "error",
};
static const char *const verdict_text[V__COUNT] = {
	"VULNERABLE", "answers mode 7 without data", "mode 6 only",
	"not answering", "not probed",
};

static void host_fmt(const struct host *h, char *buf, size_t len)
{
	if (!inet_ntop(h->family, &h->a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	if (h->family == AF_INET6 && h->scope) {
		size_t l = strlen(buf);

		snprintf(buf + l, len - l, "%%%u", h->scope);
	}
}

/* IP + UDP header octets per packet. */
static unsigned hdr_len(int family)
{
	return family == AF_INET6 ? 40 + 8 : 20 + 8;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static void sum_host(const struct host *h, unsigned *tx_pkts, unsigned long *tx_bytes,
		     unsigned *rx_pkts, unsigned long *rx_bytes)
{
	*tx_pkts = 0;
	*tx_bytes = 0;
	*rx_pkts = h->other_pkts;
	*rx_bytes = h->other_bytes;
	for (int i = 0; i < PR__COUNT; i++) {
		if (h->s[i].sent) {
			(*tx_pkts)++;
			*tx_bytes += probe_defs[i].req_len;
		}
		*rx_pkts += h->s[i].pkts;
		*rx_bytes += h->s[i].bytes;
	}
}

/* The probe with the largest amplification (mode 7/6 only), or -1. */
static int worst_probe(const struct host *h)
{
	int w = -1;
	double best = 0;

	for (int i = 0; i < PR__COUNT; i++) {
		double b = ratio((double)h->s[i].bytes, probe_defs[i].req_len);

		if (probe_defs[i].mode == NTP_MODE_CLIENT || !h->s[i].pkts)
			continue;
		if (b > best) {
			best = b;
			w = i;
		}
	}
	return w;
}

static const char *reply_detail(const struct probe_sum *ps, int mode, char *buf, size_t len)
{
	buf[0] = 0;
	if (ps->outcome == PO_SKIPPED)
		snprintf(buf, len, "%s", ps->skip ? ps->skip : "");
	else if (mode == NTP_MODE_PRIVATE && ps->err > 0)
		snprintf(buf, len, "%s", m7_err_name(ps->err));
	else if (mode == NTP_MODE_CONTROL && ps->err >= 0)
		snprintf(buf, len, "mode 6 error %d", ps->err);
	else if (mode == NTP_MODE_PRIVATE && ps->items)
		snprintf(buf, len, "%u items%s", ps->items, ps->complete ? "" : ", incomplete");
	if (ps->bad || ps->dups) {
		size_t l = strlen(buf);

		snprintf(buf + l, len - l, "%s%u malformed, %u duplicate", l ? "; " : "",
			 ps->bad, ps->dups);
	}
	return buf;
}

static void text_host(FILE *f, const struct host *h, const struct check_opts *o)
{
	char addr[INET6_ADDRSTRLEN + 16], det[96];
	unsigned hl = hdr_len(h->family), txp, rxp;
	unsigned long txb, rxb;
	int w = worst_probe(h);

	host_fmt(h, addr, sizeof(addr));
	sum_host(h, &txp, &txb, &rxp, &rxb);
	fprintf(f, "%s: %s", addr, verdict_text[h->v]);
	if (h->v == V_VULNERABLE || h->v == V_M7_NODATA || h->v == V_M6_ONLY) {
		if (w >= 0)
			fprintf(f, " (worst: %s, %u packet%s, %lu bytes, %.1fx)", probe_defs[w].key,
				h->s[w].pkts, h->s[w].pkts == 1 ? "" : "s", h->s[w].bytes,
				ratio((double)h->s[w].bytes, probe_defs[w].req_len));
	} else if (h->v == V_ERROR) {
		fprintf(f, " (%s: %s)", h->lerr_what, strerror(h->lerr));
	} else if (h->unreachable) {
		fprintf(f, " (%s)", h->uerr == ECONNREFUSED ? "port unreachable (ICMP)" :
			strerror(h->uerr));
	} else {
		fprintf(f, " (no reply within %.1f s)", o->timeout);
	}
	if (h->target && strcmp(h->target, addr))
		fprintf(f, " [%s]", h->target);
	fprintf(f, "\n");
	if (h->v == V_SILENT || h->v == V_ERROR)
		return;
	fprintf(f, "  %-26s %-11s %5s %7s %9s %9s\n", "probe", "reply", "pkts", "bytes",
		"BAF", "IP-level");
	for (int i = 0; i < PR__COUNT; i++) {
		const struct probe_sum *ps = &h->s[i];
		const struct probe_def *d = &probe_defs[i];

		reply_detail(ps, d->mode, det, sizeof(det));
		if (!ps->sent)
			fprintf(f, "  %-26s %-11s %5s %7s %9s %9s", d->label, "-", "-", "-", "-", "-");
		else
			fprintf(f, "  %-26s %-11s %5u %7lu %9.1f %9.1f", d->label,
				probe_outcome_name((enum probe_outcome)ps->outcome), ps->pkts,
				ps->bytes, ratio((double)ps->bytes, d->req_len),
				ratio((double)ps->bytes + (double)ps->pkts * hl, d->req_len + hl));
		fprintf(f, "%s%s\n", det[0] ? "  " : "", det);
	}
	if (h->other_pkts)
		fprintf(f, "  other replies: %u packets, %lu bytes (matched no probe)\n",
			h->other_pkts, h->other_bytes);
	fprintf(f, "  total: sent %u requests, %lu bytes; received %u packets, %lu bytes "
		"(%.1fx; IP-level %.1fx)\n", txp, txb, rxp, rxb, ratio((double)rxb, (double)txb),
		ratio((double)rxb + (double)rxp * hl, (double)txb + (double)txp * hl));
	fprintf(f, "  ntpd version: %s\n", h->version ? h->version :
		h->s[PR_READVAR].outcome == PO_DATA ? "(not in the mode 6 reply)" :
		"unknown (mode 6 not answered)");
}

static void text_report(FILE *f, const struct scan *s, double elapsed)
{
	unsigned long cnt[V__COUNT] = { 0 };
	bool any = false;

	for (size_t i = 0; i < s->n; i++)
		cnt[s->h[i].v]++;
	for (size_t i = 0; i < s->n; i++) {
		const struct host *h = &s->h[i];

		if (h->v == V_SILENT && !s->o.all && s->n > SHOW_SILENT)
			continue;
		text_host(f, h, &s->o);
		any |= h->v != V_SILENT && h->v != V_ERROR;
	}
	if (s->n > SHOW_SILENT && !s->o.all && cnt[V_SILENT])
		fprintf(f, "%lu hosts not answering (--all lists them)\n", cnt[V_SILENT]);
	if (any)
		fprintf(f, "\nBAF: reply UDP payload / request UDP payload (requests: mode 7 %u, "
			"mode 6 %u, mode 3 %u bytes);\nIP-level: the same with IP and UDP "
			"headers (28 bytes IPv4, 48 IPv6 per packet).\n",
			PROBE_M7_LEN, PROBE_M6_LEN, PROBE_M3_LEN);
	fprintf(f, "%s%zu host%s checked in %.1f s: %lu vulnerable, %lu answer mode 7 without data, "
		"%lu mode 6 only, %lu not answering", any ? "" : "\n", s->n,
		s->n == 1 ? "" : "s", elapsed, cnt[V_VULNERABLE], cnt[V_M7_NODATA],
		cnt[V_M6_ONLY], cnt[V_SILENT]);
	if (cnt[V_ERROR])
		fprintf(f, ", %lu not probed (local error)", cnt[V_ERROR]);
	fprintf(f, "\n");
	if (s->local)
		check_local_text(f, s->local);
}

static void json_num(FILE *f, double v)
{
	fprintf(f, "%.2f", isfinite(v) ? v : 0);
}

/* "KEY": {...} of probe i */
static void json_probe(FILE *f, const struct host *h, int i, unsigned hl)
{
	const struct probe_sum *ps = &h->s[i];
	const struct probe_def *d = &probe_defs[i];
	unsigned long ipb = ps->bytes + (unsigned long)ps->pkts * hl;

	fprintf(f, "%s\"%s\": {\"mode\": %u", i ? ", " : "", d->key, d->mode);
	if (d->mode == NTP_MODE_PRIVATE)
		fprintf(f, ", \"impl\": %u, \"code\": %u", d->impl, d->code);
	else if (d->mode == NTP_MODE_CONTROL)
		fprintf(f, ", \"opcode\": %u", d->code);
	fprintf(f, ", \"sent\": %s, \"answered\": %s, \"reply\": \"%s\"",
		ps->sent ? "true" : "false", ps->pkts ? "true" : "false",
		probe_outcome_name((enum probe_outcome)ps->outcome));
	fprintf(f, ", \"skipped_because\": ");
	if (!ps->sent && ps->skip)
		ng_json_str(f, ps->skip);
	else
		fprintf(f, "null");
	fprintf(f, ", \"error\": ");
	if (ps->err >= 0 && d->mode == NTP_MODE_PRIVATE)
		fprintf(f, "\"%s\"", m7_err_name(ps->err));
	else if (ps->err >= 0)
		fprintf(f, "%d", ps->err);
	else
		fprintf(f, "null");
	fprintf(f, ", \"packets\": %u, \"bytes\": %lu, \"ip_bytes\": %lu", ps->pkts, ps->bytes,
		ipb);
	fprintf(f, ", \"request_bytes\": %u, \"request_ip_bytes\": %u", ps->sent ? d->req_len : 0,
		ps->sent ? d->req_len + hl : 0);
	fprintf(f, ", \"baf\": ");
	if (ps->sent)
		json_num(f, ratio((double)ps->bytes, d->req_len));
	else
		fprintf(f, "null");
	fprintf(f, ", \"ip_factor\": ");
	if (ps->sent)
		json_num(f, ratio((double)ipb, d->req_len + hl));
	else
		fprintf(f, "null");
	fprintf(f, ", \"complete\": %s, \"malformed\": %u, \"duplicates\": %u",
		ps->complete ? "true" : "false", ps->bad, ps->dups);
	if (d->mode == NTP_MODE_PRIVATE)
		fprintf(f, ", \"items\": %u", ps->items);
	if (d->mode == NTP_MODE_CONTROL) {
		fprintf(f, ", \"version\": ");
		if (h->version)
			ng_json_str(f, h->version);
		else
			fprintf(f, "null");
	}
	fprintf(f, "}");
}

static void json_host(FILE *f, const struct host *h)
{
	char addr[INET6_ADDRSTRLEN + 16];
	unsigned hl = hdr_len(h->family), txp, rxp;
	unsigned long txb, rxb;
	int w = worst_probe(h);

	host_fmt(h, addr, sizeof(addr));
	sum_host(h, &txp, &txb, &rxp, &rxb);
	fprintf(f, "{\"address\": ");
	ng_json_str(f, addr);
	fprintf(f, ", \"family\": \"%s\", \"target\": ", h->family == AF_INET ? "ipv4" : "ipv6");
	ng_json_str(f, h->target ? h->target : addr);
	fprintf(f, ", \"verdict\": \"%s\", \"ntpd_version\": ", verdict_key[h->v]);
	if (h->version)
		ng_json_str(f, h->version);
	else
		fprintf(f, "null");
	fprintf(f, ", \"serves_time\": %s, \"unreachable\": ",
		h->s[PR_TIME].outcome == PO_DATA ? "true" : "false");
	if (h->unreachable)
		ng_json_str(f, h->uerr == ECONNREFUSED ? "port unreachable" : strerror(h->uerr));
	else
		fprintf(f, "null");
	fprintf(f, ", \"error\": ");
	if (h->lerr) {
		char e[160];

		snprintf(e, sizeof(e), "%s: %s", h->lerr_what, strerror(h->lerr));
		ng_json_str(f, e);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ", \"tx_packets\": %u, \"tx_bytes\": %lu, \"rx_packets\": %u, \"rx_bytes\": %lu"
		", \"rx_ip_bytes\": %lu, \"other_packets\": %u, \"other_bytes\": %lu"
		", \"max_baf\": ", txp, txb, rxp, rxb, rxb + (unsigned long)rxp * hl,
		h->other_pkts, h->other_bytes);
	if (w >= 0) {
		json_num(f, ratio((double)h->s[w].bytes, probe_defs[w].req_len));
		fprintf(f, ", \"max_baf_probe\": \"%s\"", probe_defs[w].key);
	} else {
		fprintf(f, "0, \"max_baf_probe\": null");
	}
	fprintf(f, ", \"local_ntpguard_passed\": ");
	if (h->local_flow)
		fprintf(f, "{\"packets\": %lu, \"bytes\": %lu}", h->local_pkts, h->local_bytes);
	else
		fprintf(f, "null");
	fprintf(f, ", \"probes\": {");
	for (int i = 0; i < PR__COUNT; i++)
		json_probe(f, h, i, hl);
	fprintf(f, "}}");
}

static void json_report(FILE *f, const struct scan *s, double elapsed)
{
	unsigned long cnt[V__COUNT] = { 0 };

	fprintf(f, "{\"timeout\": ");
	json_num(f, s->o.timeout);
	fprintf(f, ", \"rate\": ");
	json_num(f, s->o.rate);
	fprintf(f, ", \"request_bytes\": {\"mode7\": %u, \"mode6\": %u, \"mode3\": %u}, \"hosts\": [",
		PROBE_M7_LEN, PROBE_M6_LEN, PROBE_M3_LEN);
	for (size_t i = 0; i < s->n; i++) {
		cnt[s->h[i].v]++;
		fprintf(f, "%s", i ? ", " : "");
		json_host(f, &s->h[i]);
	}
	fprintf(f, "], \"summary\": {\"hosts\": %zu", s->n);
	for (int v = 0; v < V__COUNT; v++)
		fprintf(f, ", \"%s\": %lu", verdict_key[v], cnt[v]);
	fprintf(f, ", \"requests_sent\": %lu, \"elapsed_s\": ", s->sent);
	json_num(f, elapsed);
	fprintf(f, "}, \"local_ntpguard\": ");
	if (s->local)
		check_local_json(f, s->local);
	else
		fprintf(f, "{\"state\": \"not-loaded\"}");
	fprintf(f, "}\n");
}

void check_report(FILE *f, const struct scan *s, double elapsed)
{
	if (s->o.json)
		json_report(f, s, elapsed);
	else
		text_report(f, s, elapsed);
}
