// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_check.c - libFuzzer target over `ntpguard check`'s reply parser,
 * probe_reply() (user/lib/probe.h): what a hostile server sends is judged
 * there, one datagram at a time, against the probes of one host.
 *
 * Input: a 12-octet header, then datagrams.
 *   0-1   the probes' states, 2 bits each, probe i at bits 2i..2i+1 (little
 *         endian): 0 pending, 1 sent, 2 done, 3 skipped
 *   2-3   the mode 6 sequence number the READVAR probe sent (0 becomes 1)
 *   4-11  the transmit timestamp the mode 3 probe sent
 *   then  records: a 2-octet big-endian length L and L octets; a record
 *         that runs past the input takes what is left
 * Each datagram goes through probe_reply() as check_scan.c feeds it; a
 * probe still "sent" that is complete is finished (probe_finish(), which
 * frees its text) as check_scan.c does, later replies still count; at the
 * end every probe is finished.
 *
 * ASan and UBSan catch reads and writes outside the buffers and undefined
 * arithmetic; the target aborts when one of these does not hold:
 *   - the requests are the protocol note's vectors (V1-V4, V8, V9, V16,
 *     V20), but for the sequence number and the timestamp;
 *   - probe_reply() returns the probe the datagram answers, found here
 *     independently from the request bytes sent (mode, R bit, impl and
 *     code echoed, mode 6 opcode and sequence, mode 4 origin = our
 *     transmit timestamp), or -1 when it answers none; only a sent or
 *     done probe can be answered;
 *   - the datagram is counted once: the probe answered gets one packet
 *     and exactly len octets more, every other probe is left as it was
 *     (byte for byte); the octets counted over all probes plus those that
 *     answered none are the octets fed;
 *   - the probe answered changes as a model written here from the rules
 *     in probe.c's header says (expect_m7(), expect_m6()): an error reply
 *     sets the error and, without items, ends the exchange; a malformed
 *     reply (mode 7: items that do not fit the packet or ntpd's 500-octet
 *     data area; mode 6: a count past the packet or the 16384-octet text,
 *     more than 64 fragments) is counted and nothing else; a repeated mode
 *     7 sequence number likewise; a good one adds its items or its text
 *     (copied to its offset); complete is "ended, or the furthest last
 *     packet (M=0) and everything before it arrived";
 *   - over the whole input, mode 7: malformed + repeated + distinct
 *     sequence numbers <= packets; items <= octets counted - 8 per
 *     distinct sequence number (an item is at least an octet, in a packet
 *     after its 8-octet header), and <= 500 per sequence number; mode 6:
 *     fragments inside the text, their octets <= those counted - 12 each,
 *     the text NUL-ended; mode 3: no items, no fragments;
 *   - after probe_finish() the version is printable ASCII, NUL-ended, and
 *     probe_outcome() says data exactly when data came;
 *   - probe_find_version() on the datagram, into a buffer of 0-63 octets,
 *     writes only inside it, NUL-ended, printable ASCII.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

#define HDR_LEN   12
#define M7_HDR    8
#define M6_HDR    12

#define require(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_check: %s:%d: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t zeros[48];

/* The requests, against shared/docs/ntp-protocol.md section 8. */
static void check_requests(const struct probe p[PR__COUNT], const uint8_t xmt[8])
{
	static const struct {
		int id;
		uint8_t head[4];
		unsigned len;
	} m7[] = {
		{ PR_MONLIST,    { 0x17, 0x00, 0x03, 0x2a }, 48 },  /* V1 (V3 + 40 zeros) */
		{ PR_MONLIST_I2, { 0x17, 0x00, 0x02, 0x2a }, 48 },  /* V2 (V4 + 40 zeros) */
		{ PR_GETLIST,    { 0x17, 0x00, 0x03, 0x14 }, 48 },  /* V8 + 40 zeros */
		{ PR_PEER_LIST,  { 0x17, 0x00, 0x03, 0x00 }, 48 },  /* V9 + 40 zeros */
		{ PR_PEER_SUM,   { 0x17, 0x00, 0x03, 0x01 }, 48 },  /* code 1 */
	};
	static const uint8_t v16[4] = { 0x16, 0x02 };           /* V16 but the sequence */
	static const uint8_t v20[4] = { 0x23, 0x00, 0x06, 0xe0 };

	for (size_t i = 0; i < sizeof(m7) / sizeof(m7[0]); i++) {
		const struct probe *q = &p[m7[i].id];

		require(q->req_len == m7[i].len && !memcmp(q->req, m7[i].head, 4));
		require(!memcmp(q->req + 4, zeros, m7[i].len - 4));
	}
	require(p[PR_READVAR].req_len == 12 && !memcmp(p[PR_READVAR].req, v16, 2));
	require(!memcmp(p[PR_READVAR].req + 4, zeros, 8));
	require((p[PR_READVAR].req[2] << 8 | p[PR_READVAR].req[3]) != 0);
	require(p[PR_TIME].req_len == 48 && !memcmp(p[PR_TIME].req, v20, 4));
	require(!memcmp(p[PR_TIME].req + 4, zeros, 36) && !memcmp(p[PR_TIME].req + 40, xmt, 8));
}

/* Which probe the datagram answers, from the request bytes we sent:
 * written from the wire format, not from probe.c. */
static int expected_probe(const struct probe p[PR__COUNT], const uint8_t *b, size_t len)
{
	for (int i = 0; i < PR__COUNT; i++) {
		const uint8_t *q = p[i].req;
		int qmode = q[0] & 7;

		if (p[i].state != PS_SENT && p[i].state != PS_DONE)
			continue;
		if (len < 1)
			continue;
		if (qmode == 7 && len >= M7_HDR && (b[0] & 7) == 7 && (b[0] & 0x80) &&
		    b[2] == q[2] && b[3] == q[3])
			return i;
		if (qmode == 6 && len >= M6_HDR && (b[0] & 7) == 6 && (b[1] & 0x80) &&
		    (b[1] & 0x1f) == (q[1] & 0x1f) && b[2] == q[2] && b[3] == q[3])
			return i;
		if (qmode == 3 && len >= 48 && (b[0] & 7) == 4 && !memcmp(b + 24, q + 40, 8))
			return i;
	}
	return -1;
}

static unsigned popcount16(const uint8_t *v)
{
	unsigned n = 0;

	for (int i = 0; i < 16; i++)
		n += (unsigned)__builtin_popcount(v[i]);
	return n;
}

static int seen(const struct probe *q, int s)
{
	return q->seen[s >> 3] & (1u << (s & 7));
}

/* Everything up to the last sequence number arrived. */
static int m7_gapless(const struct probe *q)
{
	int s = 0;

	while (q->last_seq >= 0 && s <= q->last_seq && seen(q, s))
		s++;
	return q->last_seq >= 0 && s > q->last_seq;
}

static void check_m7(const struct probe *q)
{
	unsigned distinct = popcount16(q->seen);

	require(q->nfrags == 0 && q->m6_end == -1 && !q->text);
	require(q->bad + q->dups + distinct <= q->pkts);
	require((unsigned long)q->items + 8ul * distinct <= q->bytes);
	require(q->items <= 500u * distinct);
	require(q->got_data == (q->items > 0));
	require(q->err >= -1 && q->err <= 15);
	require(q->last_seq >= -1 && q->last_seq <= 127);
	require(q->last_seq < 0 || seen(q, q->last_seq));
	require(!q->ended || q->err >= 0);
	require(q->complete == (q->ended || m7_gapless(q)));
}

static int frag_cmp(const void *a, const void *b)
{
	const struct m6_frag *x = a, *y = b;

	return (x->off > y->off) - (x->off < y->off);
}

static void check_m6(const struct probe *q)
{
	struct m6_frag f[PROBE_M6_FRAGS];
	unsigned long sum = 0;
	unsigned end = 0;

	require(q->items == 0 && q->last_seq == -1 && popcount16(q->seen) == 0);
	require(q->nfrags <= PROBE_M6_FRAGS);
	require(q->err >= -1 && q->err <= 255);
	require(q->got_data == (q->nfrags > 0));
	require(q->bad + q->nfrags <= q->pkts);
	for (unsigned i = 0; i < q->nfrags; i++) {
		require((unsigned)q->frags[i].off + q->frags[i].cnt <= PROBE_M6_TEXT_MAX);
		sum += q->frags[i].cnt;
	}
	require(sum + (unsigned long)M6_HDR * q->nfrags <= q->bytes);
	require(q->m6_end >= -1 && q->m6_end <= PROBE_M6_TEXT_MAX);
	if (q->text)
		require(q->text[PROBE_M6_TEXT_MAX] == 0);
	/* the text present from offset 0 on, written here independently */
	memcpy(f, q->frags, q->nfrags * sizeof(f[0]));
	qsort(f, q->nfrags, sizeof(f[0]), frag_cmp);
	for (unsigned i = 0; i < q->nfrags && f[i].off <= end; i++)
		if ((unsigned)f[i].off + f[i].cnt > end)
			end = (unsigned)f[i].off + f[i].cnt;
	require(q->ended == (q->err >= 0));
	require(q->complete == (q->ended || (q->m6_end >= 0 && end >= (unsigned)q->m6_end)));
}

static void check_probe(const struct probe *q, int id)
{
	require(q->got_data <= (q->pkts > 0));
	switch (probe_defs[id].mode) {
	case 7:
		check_m7(q);
		break;
	case 6:
		check_m6(q);
		break;
	default:
		require(q->items == 0 && q->nfrags == 0 && q->bad == 0 && q->dups == 0);
		require(q->got_data == (q->pkts > 0) && q->complete == q->got_data);
		break;
	}
}

static void check_text(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	require(n < cap);
	for (size_t i = 0; i < n; i++)
		require(s[i] >= 0x20 && s[i] < 0x7f);
}

static void check_finished(const struct probe *q)
{
	enum probe_outcome o = probe_outcome(q, false);

	require(!q->text);
	check_text(q->version, sizeof(q->version));
	require((o == PO_DATA) == (q->state != PS_SKIPPED && q->got_data));
	require((o == PO_SKIPPED) == (q->state == PS_SKIPPED));
}

static unsigned be16(const uint8_t *b)
{
	return (unsigned)(b[0] << 8 | b[1]);
}

/* What a mode 7 reply b does to probe e (a copy of it before). */
static void expect_m7(struct probe *e, const uint8_t *b, size_t len)
{
	unsigned err = b[4] >> 4, n = (b[4] & 0x0f) << 8 | b[5];
	unsigned isz = (b[6] & 0x0f) << 8 | b[7], seq = b[1] & 0x7f;

	if (err) {
		e->err = (int)err;
		e->ended |= n == 0;
	} else if (isz > 500 || n * isz > 500 || M7_HDR + n * isz > len || (n && !isz)) {
		e->bad++;
	} else if (seen(e, (int)seq)) {
		e->dups++;
	} else {
		e->seen[seq >> 3] |= (uint8_t)(1u << (seq & 7));
		e->items += n;
		e->got_data |= n > 0;
		if (!(b[0] & 0x40) && (int)seq > e->last_seq)
			e->last_seq = (int)seq;
	}
	e->complete = e->ended || m7_gapless(e);
}

/* The same for a mode 6 reply; 1 when its text must be at its offset. */
static int expect_m6(struct probe *e, const uint8_t *b, size_t len)
{
	unsigned off = be16(b + 8), cnt = be16(b + 10), end = 0;
	struct m6_frag f[PROBE_M6_FRAGS];

	if (b[1] & 0x40) {
		e->err = b[4];
		e->ended = e->complete = true;
		return 0;
	}
	if (M6_HDR + cnt > len || off + cnt > PROBE_M6_TEXT_MAX || e->nfrags >= PROBE_M6_FRAGS) {
		e->bad++;
		return 0;
	}
	e->frags[e->nfrags].off = (uint16_t)off;
	e->frags[e->nfrags].cnt = (uint16_t)cnt;
	e->nfrags++;
	e->got_data = true;
	if (!(b[1] & 0x20) && (int)(off + cnt) > e->m6_end)
		e->m6_end = (int)(off + cnt);
	memcpy(f, e->frags, e->nfrags * sizeof(f[0]));
	qsort(f, e->nfrags, sizeof(f[0]), frag_cmp);
	for (unsigned i = 0; i < e->nfrags && f[i].off <= end; i++)
		if ((unsigned)f[i].off + f[i].cnt > end)
			end = (unsigned)f[i].off + f[i].cnt;
	e->complete = e->ended || (e->m6_end >= 0 && end >= (unsigned)e->m6_end);
	return 1;
}

/* The probe answered, against the model: every field but the text. */
static void check_answered(const struct probe *before, const struct probe *q, int id,
			   const uint8_t *b, size_t len)
{
	struct probe e = *before;
	int text = 0;

	e.pkts++;
	e.bytes += len;
	if (probe_defs[id].mode == 7)
		expect_m7(&e, b, len);
	else if (probe_defs[id].mode == 6)
		text = expect_m6(&e, b, len);
	else
		e.got_data = e.complete = true;
	require(q->pkts == e.pkts && q->bytes == e.bytes && q->items == e.items);
	require(q->bad == e.bad && q->dups == e.dups && q->err == e.err);
	require(q->got_data == e.got_data && q->ended == e.ended && q->complete == e.complete);
	require(!memcmp(q->seen, e.seen, sizeof(e.seen)) && q->last_seq == e.last_seq);
	require(q->nfrags == e.nfrags && q->m6_end == e.m6_end);
	require(!memcmp(q->frags, e.frags, sizeof(e.frags)));
	require(q->state == e.state && q->m6_seq == e.m6_seq && !memcmp(q->req, e.req, sizeof(e.req)));
	if (text)
		require(q->text && !memcmp(q->text + be16(b + 8), b + M6_HDR, be16(b + 10)));
}

/* One datagram, as check_scan.c's receive loop feeds it. */
static void feed(struct probe p[PR__COUNT], const uint8_t *b, size_t len,
		 unsigned long *other)
{
	struct probe before[PR__COUNT];
	int want = expected_probe(p, b, len), got;

	memcpy(before, p, sizeof(before));
	got = probe_reply(b, len, p);
	require(got == want);
	for (int i = 0; i < PR__COUNT; i++) {
		if (i != got) {
			require(!memcmp(&before[i], &p[i], sizeof(p[i])));
			continue;
		}
		check_answered(&before[i], &p[i], i, b, len);
		check_probe(&p[i], i);
	}
	if (got < 0)
		*other += len;
	else if (p[got].state == PS_SENT && p[got].complete)
		probe_finish(&p[got], (enum probe_id)got);
}

static void find_version(const uint8_t *b, size_t len, size_t cap)
{
	char out[64];

	memset(out, 0x7f, sizeof(out));
	if (!probe_find_version((const char *)b, len, out, cap)) {
		require(cap == 0 || out[0] == 0);
		return;
	}
	check_text(out, cap);
	for (size_t i = cap; i < sizeof(out); i++)
		require(out[i] == 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe p[PR__COUNT];
	unsigned long fed = 0, other = 0, counted = 0;
	unsigned states;
	uint8_t n6[8] = { 0 };
	size_t o = HDR_LEN;

	if (size < HDR_LEN)
		return 0;
	states = (unsigned)(data[0] | data[1] << 8);
	n6[0] = data[2];
	n6[1] = data[3];
	for (int i = 0; i < PR__COUNT; i++) {
		probe_init(&p[i], (enum probe_id)i, i == PR_READVAR ? n6 : data + 4);
		p[i].state = (enum probe_state)((states >> (2 * i)) & 3);
	}
	check_requests(p, data + 4);
	while (o < size) {
		size_t len = o + 2 <= size ? (size_t)(data[o] << 8 | data[o + 1]) : 0;
		const uint8_t *b;

		o = o + 2 <= size ? o + 2 : size;
		if (len > size - o)
			len = size - o;
		/* an exactly sized copy: ASan sees any read past the datagram */
		b = len ? malloc(len) : NULL;
		if (len && !b)
			break;
		if (len)
			memcpy((void *)b, data + o, len);
		feed(p, b ? b : zeros, len, &other);
		find_version(b ? b : zeros, len, len % 64);
		free((void *)b);
		fed += len;
		o += len;
	}
	for (int i = 0; i < PR__COUNT; i++) {
		check_probe(&p[i], i);
		counted += p[i].bytes;
		if (p[i].state == PS_SENT || p[i].state == PS_DONE)
			probe_finish(&p[i], (enum probe_id)i);
		check_finished(&p[i]);
		probe_free(&p[i]);
	}
	require(counted + other == fed);
	return 0;
}
