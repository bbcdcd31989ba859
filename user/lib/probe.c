// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probe.c - requests and reply judgement for `ntpguard check` (see probe.h).
 *
 * Everything a server sends is counted (packets, UDP payload octets): that
 * is what a reflection victim would receive. Only well-formed replies are
 * believed: a mode 7 packet whose items do not fit its length or exceed
 * ntpd's 500-octet data area, a mode 6 fragment whose count or offset runs
 * past the packet or our bounded buffer, repeated sequence numbers: all
 * are counted as bytes but not as data.
 */
#include <stdlib.h>
#include <string.h>

#include "ntp_wire.h"
#include "probe.h"

const struct probe_def probe_defs[PR__COUNT] = {
	[PR_MONLIST]    = { "monlist",       "monlist (code 42, impl 3)", 7, 3, 42, PROBE_M7_LEN },
	[PR_MONLIST_I2] = { "monlist_impl2", "monlist (code 42, impl 2)", 7, 2, 42, PROBE_M7_LEN },
	[PR_GETLIST]    = { "mon_getlist",   "mon_getlist (code 20)",     7, 3, 20, PROBE_M7_LEN },
	[PR_PEER_LIST]  = { "peer_list",     "peer_list (code 0)",        7, 3, 0,  PROBE_M7_LEN },
	[PR_PEER_SUM]   = { "peer_list_sum", "peer_list_sum (code 1)",    7, 3, 1,  PROBE_M7_LEN },
	[PR_READVAR]    = { "readvar",       "readvar (mode 6)",          6, 0, NTP_M6_OP_READVAR, PROBE_M6_LEN },
	[PR_TIME]       = { "time",          "time (mode 3)",             3, 0, 0,  PROBE_M3_LEN },
};

void probe_init(struct probe *p, enum probe_id id, const __u8 nonce[8])
{
	const struct probe_def *d = &probe_defs[id];

	memset(p, 0, sizeof(*p));
	p->err = -1;
	p->last_seq = -1;
	p->m6_end = -1;
	p->req_len = d->req_len;
	switch (d->mode) {
	case NTP_MODE_PRIVATE:
		/* VN 2 like ntpdc and nmap, then 40 zero octets (vector V1) */
		ntp_m7_request(p->req, 2, d->impl, d->code);
		break;
	case NTP_MODE_CONTROL:
		p->m6_seq = (__u16)(nonce[0] << 8 | nonce[1]);
		if (!p->m6_seq)
			p->m6_seq = 1;
		ntp_m6_request(p->req, 2, d->code, p->m6_seq);
		break;
	default:
		/* NTPv4 client, poll 6 (vector V20); the transmit timestamp is
		 * a random nonce the server must echo as origin */
		p->req[0] = (4 << 3) | NTP_MODE_CLIENT;
		p->req[2] = 6;
		p->req[3] = 0xe0;
		memcpy(p->xmt, nonce, 8);
		memcpy(p->req + 40, p->xmt, 8);
		break;
	}
}

/* Does datagram buf/len answer probe id as sent in p? (Address and port
 * are the caller's business: the socket is connected to TARGET:123.) */
static bool probe_matches(const struct probe *p, enum probe_id id,
			  const __u8 *buf, size_t len)
{
	const struct probe_def *d = &probe_defs[id];

	if (len < 1 || ntp_mode(buf[0]) != (d->mode == NTP_MODE_CLIENT ?
					     NTP_MODE_SERVER : d->mode))
		return false;
	switch (d->mode) {
	case NTP_MODE_PRIVATE:
		return len >= NTP_M7_HDR_LEN && ntp_m7_is_response(buf[0]) &&
		       ntp_m7_impl(buf) == d->impl && ntp_m7_code(buf) == d->code;
	case NTP_MODE_CONTROL:
		return len >= NTP_M6_HDR_LEN && ntp_m6_is_response(buf) &&
		       ntp_m6_opcode(buf) == d->code && ntp_m6_seq(buf) == p->m6_seq;
	default:
		return len >= PROBE_M3_LEN && !memcmp(buf + 24, p->xmt, 8);
	}
}

static bool m7_seen(const struct probe *p, unsigned seq)
{
	return p->seen[seq >> 3] & (1u << (seq & 7));
}

/* Ended, or every sequence number up to the last one arrived. */
static bool m7_complete(const struct probe *p)
{
	int s;

	if (p->ended)
		return true;
	if (p->last_seq < 0)
		return false;
	for (s = 0; s <= p->last_seq && m7_seen(p, (unsigned)s); s++)
		;
	return s > p->last_seq;
}

static void m7_account(struct probe *p, const __u8 *buf, size_t len)
{
	unsigned nitems = ntp_m7_nitems(buf), isz = ntp_m7_itemsize(buf);
	unsigned seq = ntp_m7_seq(buf);
	unsigned long data = (unsigned long)nitems * isz;

	if (ntp_m7_err(buf)) {
		/* req_ack(): an 8-octet reply that ends the exchange */
		p->err = ntp_m7_err(buf);
		if (!nitems)
			p->ended = true;
		p->complete = m7_complete(p);
		return;
	}
	if (isz > NTP_M7_DATA_MAX || data > NTP_M7_DATA_MAX ||
	    NTP_M7_HDR_LEN + data > len || (nitems && !isz)) {
		p->bad++;
		return;
	}
	if (m7_seen(p, seq)) {
		p->dups++;
		return;
	}
	p->seen[seq >> 3] |= (__u8)(1u << (seq & 7));
	p->items += nitems;
	if (nitems)
		p->got_data = true;
	if (!ntp_m7_more(buf[0]) && (int)seq > p->last_seq)
		p->last_seq = (int)seq;
	p->complete = m7_complete(p);
}

static int frag_cmp(const void *a, const void *b)
{
	const struct m6_frag *x = a, *y = b;

	return (int)x->off - (int)y->off;
}

/* Octets available from offset 0 without a gap. */
static unsigned m6_prefix(const struct probe *p)
{
	struct m6_frag f[PROBE_M6_FRAGS];
	unsigned end = 0;

	memcpy(f, p->frags, p->nfrags * sizeof(f[0]));
	qsort(f, p->nfrags, sizeof(f[0]), frag_cmp);
	for (unsigned i = 0; i < p->nfrags && f[i].off <= end; i++)
		if ((unsigned)f[i].off + f[i].cnt > end)
			end = (unsigned)f[i].off + f[i].cnt;
	return end;
}

static void m6_account(struct probe *p, const __u8 *buf, size_t len)
{
	unsigned off = ntp_m6_offset(buf), cnt = ntp_m6_count(buf);

	if (ntp_m6_error(buf)) {
		p->err = ntp_m6_status(buf) >> 8;
		p->ended = p->complete = true;
		return;
	}
	if (NTP_M6_HDR_LEN + (size_t)cnt > len || off + cnt > PROBE_M6_TEXT_MAX ||
	    p->nfrags >= PROBE_M6_FRAGS) {
		p->bad++;
		return;
	}
	if (!p->text) {
		p->text = calloc(1, PROBE_M6_TEXT_MAX + 1);
		if (!p->text) {
			p->bad++;
			return;
		}
	}
	memcpy(p->text + off, buf + NTP_M6_HDR_LEN, cnt);
	p->frags[p->nfrags].off = (__u16)off;
	p->frags[p->nfrags].cnt = (__u16)cnt;
	p->nfrags++;
	p->got_data = true;
	if (!ntp_m6_more(buf) && (int)(off + cnt) > p->m6_end)
		p->m6_end = (int)(off + cnt);
	p->complete = p->ended || (p->m6_end >= 0 && m6_prefix(p) >= (unsigned)p->m6_end);
}

/* Account one matching datagram. */
static void probe_account(struct probe *p, enum probe_id id, const __u8 *buf, size_t len)
{
	p->pkts++;
	p->bytes += len;
	switch (probe_defs[id].mode) {
	case NTP_MODE_PRIVATE:
		m7_account(p, buf, len);
		break;
	case NTP_MODE_CONTROL:
		m6_account(p, buf, len);
		break;
	default:
		p->got_data = true;
		p->complete = true;
		break;
	}
}

int probe_reply(const uint8_t *buf, size_t len, struct probe p[PR__COUNT])
{
	for (int i = 0; i < PR__COUNT; i++) {
		if (p[i].state != PS_SENT && p[i].state != PS_DONE)
			continue;
		if (!probe_matches(&p[i], (enum probe_id)i, buf, len))
			continue;
		probe_account(&p[i], (enum probe_id)i, buf, len);
		return i;
	}
	return -1;
}

bool probe_find_version(const char *text, size_t len, char *out, size_t outlen)
{
	static const char key[] = "version=";
	const size_t klen = sizeof(key) - 1;

	if (!outlen)
		return false;
	for (size_t i = 0; i + klen <= len; i++) {
		size_t j, o = 0;
		char c;
		bool quoted;

		if (memcmp(text + i, key, klen))
			continue;
		/* a whole variable name: at the start or after a separator */
		if (i > 0 && text[i - 1] != ',' && text[i - 1] != ' ' &&
		    text[i - 1] != '\n' && text[i - 1] != '\r' && text[i - 1] != '\t')
			continue;
		j = i + klen;
		quoted = j < len && text[j] == '"';
		if (quoted)
			j++;
		for (; j < len && o + 1 < outlen; j++) {
			c = text[j];
			if (quoted ? c == '"' : (c == ',' || c == '\r' || c == '\n'))
				break;
			if (c == 0)
				break;
			out[o++] = (c >= 0x20 && c < 0x7f) ? c : '?';
		}
		out[o] = 0;
		return true;
	}
	out[0] = 0;
	return false;
}

void probe_finish(struct probe *p, enum probe_id id)
{
	if (p->state == PS_SENT)
		p->state = PS_DONE;
	if (probe_defs[id].mode == NTP_MODE_CONTROL && p->text && !p->version[0])
		probe_find_version(p->text, m6_prefix(p), p->version, sizeof(p->version));
	probe_free(p);
}

void probe_free(struct probe *p)
{
	free(p->text);
	p->text = NULL;
}

enum probe_outcome probe_outcome(const struct probe *p, bool unreachable)
{
	if (p->state == PS_SKIPPED)
		return PO_SKIPPED;
	if (p->got_data)
		return PO_DATA;
	if (p->pkts)
		return PO_ERROR;        /* error replies, or only malformed ones */
	return unreachable ? PO_UNREACH : PO_NONE;
}

const char *probe_outcome_name(enum probe_outcome o)
{
	switch (o) {
	case PO_DATA: return "data";
	case PO_ERROR: return "error";
	case PO_UNREACH: return "unreachable";
	case PO_SKIPPED: return "skipped";
	default: return "none";
	}
}

const char *m7_err_name(int err)
{
	switch (err) {
	case 0: return "INFO_OKAY";
	case NTP_M7_ERR_IMPL: return "INFO_ERR_IMPL";
	case NTP_M7_ERR_REQ: return "INFO_ERR_REQ";
	case NTP_M7_ERR_FMT: return "INFO_ERR_FMT";
	case NTP_M7_ERR_NODATA: return "INFO_ERR_NODATA";
	case NTP_M7_ERR_AUTH: return "INFO_ERR_AUTH";
	default: return "unknown error";
	}
}
