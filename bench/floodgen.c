// SPDX-License-Identifier: GPL-2.0
/*
 * floodgen.c - a bounded, spoofed NTP flood for the end-to-end bench
 * (bench/e2e.sh): prebuilt Ethernet frames sent on one interface through
 * an AF_PACKET socket with sendmmsg(), bypassing the qdisc.
 *
 *   floodgen -i IFACE --dst-mac MAC [-c COUNT] [-t SECONDS] [-b BATCH]
 *            [--kind m7|m3] [--sources N] [--xdp-live OBJ]
 *
 * Frames: IPv4 UDP to 192.0.2.1:123 from N spoofed sources spread over
 * 198.51.100.0/24 and 203.0.113.0/24 (documentation ranges only), source
 * ports varying; kind m7 is an 8-octet MON_GETLIST_1 request (the
 * CVE-2013-5211 probe), m3 a 48-octet client request. Every header
 * checksum is correct.
 *
 * Bounded: stops after COUNT frames (at most 100,000,000) or SECONDS (at
 * most 120), whichever comes first. ENOBUFS from the device (the receiver's
 * ring is full: veth pushes back) is counted and the batch retried after a
 * yield; the count says the receiver, not this sender, was the bottleneck.
 *
 * --xdp-live OBJ (bench/bpf/flood.bpf.c) sends instead from inside the
 * kernel: BPF_PROG_TEST_RUN in live-frames mode runs OBJ's program, which
 * redirects each frame out of IFACE, so a veth peer receives XDP frames
 * the way a NIC driver hands them to XDP (the AF_PACKET path gives veth an
 * skb that it must copy into a fresh page before XDP can see it). The
 * template's UDP checksum is 0 there; the program varies the source.
 *
 * Prints one JSON object: frames sent, ENOBUFS retries, wall time and this
 * thread's CPU time (send side: syscall, skb or XDP frame, veth transmit,
 * and any receive work the kernel ran inline in this thread's softirq
 * context).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAX_COUNT   100000000L
#define MAX_SECONDS 120
#define MAX_BATCH   1024
#define MAX_SOURCES 508
#define FRAME_LEN   (14 + 20 + 8 + 48)

static unsigned char frames[MAX_SOURCES][FRAME_LEN];
static size_t frame_len;

static void die(const char *what)
{
	fprintf(stderr, "floodgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: floodgen -i IFACE --dst-mac MAC [-c COUNT] [-t SECONDS] [-b BATCH]\n"
		"                [--kind m7|m3] [--sources N]\n"
		"  -c COUNT     frames to send (default 1000000, at most %ld)\n"
		"  -t SECONDS   stop earlier after this long (default 30, at most %d)\n"
		"  -b BATCH     frames per sendmmsg() (default 64, at most %d)\n"
		"  --kind       m7: mode 7 monlist request (default); m3: mode 3 request\n"
		"  --sources N  spoofed sources, 1..%d (default %d)\n"
		"  --xdp-live OBJ  send from the kernel: OBJ's XDP program redirects\n"
		"               each frame out of IFACE (BPF_PROG_TEST_RUN, live frames)\n",
		MAX_COUNT, MAX_SECONDS, MAX_BATCH, MAX_SOURCES, MAX_SOURCES);
}

static long num(const char *opt, const char *s, long lo, long hi)
{
	char *e;
	long v;

	errno = 0;
	v = strtol(s, &e, 10);
	if (errno || e == s || *e || v < lo || v > hi) {
		fprintf(stderr, "floodgen: %s wants an integer in [%ld, %ld], got '%s'\n", opt, lo,
			hi, s);
		exit(2);
	}
	return v;
}

static unsigned short fold(unsigned long sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned short)~sum;
}

static unsigned long sum16(const unsigned char *p, size_t n, unsigned long sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (unsigned long)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (unsigned long)p[n - 1] << 8;
	return sum;
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void build(int n, int m3, const unsigned char *dmac, const unsigned char *smac,
		  int no_udp_csum)
{
	static const unsigned char monlist[8] = { 0x17, 0x00, 0x03, 0x2a };
	unsigned char client[48] = { 0x23, 0x00, 0x06, 0xe0 };
	const unsigned char *pl = m3 ? client : monlist;
	size_t plen = m3 ? sizeof(client) : sizeof(monlist);

	frame_len = 14 + 20 + 8 + plen;
	for (int i = 0; i < n; i++) {
		unsigned char *f = frames[i], *ip = f + 14, *udp = ip + 20;
		unsigned long s;

		memcpy(f, dmac, 6);
		memcpy(f + 6, smac, 6);
		put16(f + 12, 0x0800);
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(20 + 8 + plen));
		put16(ip + 4, (unsigned)i);
		ip[8] = 64;
		ip[9] = 17;
		/* 198.51.100.1-254, then 203.0.113.1-254 */
		ip[12] = i < 254 ? 198 : 203;
		ip[13] = i < 254 ? 51 : 0;
		ip[14] = i < 254 ? 100 : 113;
		ip[15] = (unsigned char)(i % 254 + 1);
		ip[16] = 192;
		ip[17] = 0;
		ip[18] = 2;
		ip[19] = 1;
		put16(ip + 10, fold(sum16(ip, 20, 0)));
		put16(udp, 1024 + (unsigned)i * 97 % 60000);
		put16(udp + 2, 123);
		put16(udp + 4, (unsigned)(8 + plen));
		memcpy(udp + 8, pl, plen);
		s = sum16(ip + 12, 8, 0) + 17 + 8 + plen;
		s = fold(sum16(udp, 8 + plen, s));
		put16(udp + 6, no_udp_csum ? 0 : s ? s : 0xffff);
	}
}

static int parse_mac(const char *s, unsigned char *mac)
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return -1;
		mac[i] = (unsigned char)v[i];
	}
	return 0;
}

static double now_ns(clockid_t c);

/*
 * Live frames: the XDP program redirects each frame out of ifindex. The
 * frames are sent in calls of at most `chunk` until count or the deadline.
 */
static long send_live(const char *path, int ifindex, int nsrc, long count, int batch,
		      double deadline, long *errors)
{
	struct { __u32 tx_ifindex, nsrc; } ro = { (__u32)ifindex, (__u32)nsrc };
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	struct bpf_map *rodata = NULL, *m;
	long sent = 0;
	int fd;

	if (!obj) {
		fprintf(stderr, "floodgen: opening %s: %s\n", path, strerror(errno));
		exit(1);
	}
	bpf_object__for_each_map(m, obj)
		if (strstr(bpf_map__name(m), ".rodata"))
			rodata = m;
	/* .rodata holds tx_ifindex then nsrc (bench/bpf/flood.bpf.c) */
	if (!rodata || bpf_map__value_size(rodata) != sizeof(ro) ||
	    bpf_map__set_initial_value(rodata, &ro, sizeof(ro)) || bpf_object__load(obj)) {
		fprintf(stderr, "floodgen: loading %s failed\n", path);
		exit(1);
	}
	prog = bpf_object__find_program_by_name(obj, "flood_tx");
	if (!prog) {
		fprintf(stderr, "floodgen: %s has no flood_tx\n", path);
		exit(1);
	}
	fd = bpf_program__fd(prog);
	while (sent < count && now_ns(CLOCK_MONOTONIC) < deadline) {
		long n = count - sent < 1000000 ? count - sent : 1000000;
		struct bpf_test_run_opts o;

		memset(&o, 0, sizeof(o));
		o.sz = sizeof(o);
		o.data_in = frames[0];
		o.data_size_in = (__u32)frame_len;
		o.repeat = (__u32)n;
		o.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
		o.batch_size = (__u32)batch;
		if (bpf_prog_test_run_opts(fd, &o)) {
			if (errno != EINTR) {
				fprintf(stderr, "floodgen: live frames: %s\n", strerror(errno));
				exit(1);
			}
			(*errors)++;
			continue;
		}
		sent += n;
	}
	bpf_object__close(obj);
	return sent;
}

static double now_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "iface",   required_argument, 0, 'i' },
		{ "dst-mac", required_argument, 0, 'm' },
		{ "count",   required_argument, 0, 'c' },
		{ "time",    required_argument, 0, 't' },
		{ "batch",   required_argument, 0, 'b' },
		{ "kind",    required_argument, 0, 'k' },
		{ "sources", required_argument, 0, 's' },
		{ "xdp-live", required_argument, 0, 'x' },
		{ "help",    no_argument,       0, 'h' },
		{ 0, 0, 0, 0 }
	};
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	const unsigned char smac[6] = { 0x02, 0x00, 0x00, 0x00, 0xbe, 0x01 };
	unsigned char dmac[6];
	const char *ifname = NULL, *live = NULL;
	long count = 1000000, sent = 0, nobufs = 0, seconds = 30;
	int batch = 64, nsrc = MAX_SOURCES, m3 = 0, have_mac = 0, opt, fd, one = 1;
	struct sockaddr_ll sll;
	double t0, c0, deadline, t1, c1;

	while ((opt = getopt_long(argc, argv, "i:c:t:b:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'i': ifname = optarg; break;
		case 'm':
			if (parse_mac(optarg, dmac)) {
				fprintf(stderr, "floodgen: bad MAC '%s'\n", optarg);
				return 2;
			}
			have_mac = 1;
			break;
		case 'c': count = num("-c", optarg, 1, MAX_COUNT); break;
		case 't': seconds = num("-t", optarg, 1, MAX_SECONDS); break;
		case 'b': batch = (int)num("-b", optarg, 1, MAX_BATCH); break;
		case 's': nsrc = (int)num("--sources", optarg, 1, MAX_SOURCES); break;
		case 'k':
			if (strcmp(optarg, "m7") && strcmp(optarg, "m3")) {
				fprintf(stderr, "floodgen: --kind wants m7 or m3\n");
				return 2;
			}
			m3 = !strcmp(optarg, "m3");
			break;
		case 'x': live = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!ifname || !have_mac || optind != argc) {
		usage(stderr);
		return 2;
	}
	build(live ? 1 : nsrc, m3, dmac, smac, live != NULL);
	if (live) {
		int idx = (int)if_nametoindex(ifname);

		if (!idx)
			die(ifname);
		if (batch > 256)
			batch = 256;   /* the kernel's live-frames batch limit */
		t0 = now_ns(CLOCK_MONOTONIC);
		c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		sent = send_live(live, idx, nsrc > 254 ? 254 : nsrc, count, batch,
				 t0 + (double)seconds * 1e9, &nobufs);
		t1 = now_ns(CLOCK_MONOTONIC);
		c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		printf("{\"sent\": %ld, \"enobufs\": %ld, \"wall_ns\": %.0f, \"cpu_ns\": %.0f, "
		       "\"batch\": %d, \"sources\": %d, \"frame_len\": %zu, \"kind\": \"%s\", "
		       "\"mode\": \"xdp-live\"}\n", sent, nobufs, t1 - t0, c1 - c0, batch,
		       nsrc > 254 ? 254 : nsrc, frame_len, m3 ? "m3" : "m7");
		return 0;
	}

	/* protocol 0: this socket only sends, it never receives */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		die("socket(AF_PACKET)");
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex)
		die(ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind");
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)))
		die("PACKET_QDISC_BYPASS");

	for (int i = 0; i < batch; i++) {
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		iov[i].iov_len = frame_len;
	}

	t0 = now_ns(CLOCK_MONOTONIC);
	c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	deadline = t0 + (double)seconds * 1e9;
	while (sent < count) {
		int n = count - sent < batch ? (int)(count - sent) : batch, r;

		for (int i = 0; i < n; i++)
			iov[i].iov_base = frames[(sent + i) % nsrc];
		r = sendmmsg(fd, msgs, (unsigned)n, 0);
		if (r < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
				die("sendmmsg");
			nobufs++;
			sched_yield();
		} else {
			sent += r;
		}
		/* the clock is read once per batch: cheap against a batch */
		if (now_ns(CLOCK_MONOTONIC) > deadline)
			break;
	}
	t1 = now_ns(CLOCK_MONOTONIC);
	c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	printf("{\"sent\": %ld, \"enobufs\": %ld, \"wall_ns\": %.0f, \"cpu_ns\": %.0f, "
	       "\"batch\": %d, \"sources\": %d, \"frame_len\": %zu, \"kind\": \"%s\", "
	       "\"mode\": \"af_packet\"}\n",
	       sent, nobufs, t1 - t0, c1 - c0, batch, nsrc, frame_len, m3 ? "m3" : "m7");
	close(fd);
	return 0;
}
