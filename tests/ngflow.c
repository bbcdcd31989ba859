// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ngflow - a steady NTP flow and a counting server, for the upgrade tests
 * (tests/upgrade.sh on this host, tests/package.sh inside a Debian VM).
 *
 *   ngflow serve --bind ADDR [--port P] --out FILE [--max-seconds S]
 *       Counts every datagram arriving on ADDR:P by NTP mode (byte 0 & 7).
 *       Mode 3 requests carry a sequence number (below); the server counts
 *       distinct ones, so a loss is sent - distinct. Until the sender's end
 *       mark arrives (E = 1), SIGTERM/SIGINT or S seconds (default 600);
 *       then writes FILE (atomically) and exits 0:
 *           mode3 N distinct D mode7 M other O end E
 *
 *   ngflow send --dst ADDR [--port P] [--rate3 R] [--rate7 R] [--count N]
 *               [--max-seconds S] [--out FILE]
 *       Sends mode 3 requests (48 octets, VN 4, sequence number in the
 *       transmit timestamp) and mode 7 monlist requests (the 8-octet attack
 *       form: VN 2, implementation 3, request code 42) to ADDR:P from one
 *       ordinary UDP socket, each stream strictly paced at R per second
 *       (defaults 200 and 200), until SIGTERM/SIGINT, S seconds (default
 *       120) or, with --count, N of each.
 *       A send the kernel refuses (full queue) is counted in F and not in N
 *       or M. Last comes the end mark (48 octets, mode 0: ntpguard passes
 *       it as time service; not counted), which stops the server: a
 *       barrier, since the sender stays on one CPU and every datagram takes
 *       the same path, so each one sent before the mark has reached the
 *       socket or was dropped on the way once the server has seen it.
 *       Writes (FILE, or stdout): sent mode3 N mode7 M failed F
 *
 * Bounded in time and rate (at most 20,000 per second per stream). IPv4 or
 * IPv6 addresses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_RATE 20000
#define MAX_SEQ  (1u << 24)     /* distinct sequence numbers tracked */

/* The end mark: LI 0, VN 4, mode 0, then a tag no NTP packet carries. */
static const unsigned char end_mark[48] = { 0x20, [8] = 'n', 'g', 'f', 'l', 'o', 'w', '-',
					     'e', 'n', 'd' };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "ngflow: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ADDR:PORT into ss; its length, 0 if ADDR is not an address. */
static socklen_t make_addr(const char *addr, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return sizeof(*s6);
	}
	return 0;
}

static void write_out(const char *path, const char *line)
{
	char tmp[4096];
	FILE *f;

	if (!path) {
		fputs(line, stdout);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fputs(line, f) < 0 || fclose(f) || rename(tmp, path))
		die(path);
}

static void signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static int serve(const char *bind_addr, int port, const char *out, double max_s)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(bind_addr, port, &ss);
	unsigned long long n3 = 0, distinct = 0, n7 = 0, other = 0;
	int ended = 0;
	unsigned char *seen = calloc(MAX_SEQ / 8, 1), buf[2048];
	int fd, rcv = 16 << 20;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	double end = now() + max_s;
	char line[256];

	if (!len || !seen) {
		fprintf(stderr, "ngflow: bad address '%s'\n", bind_addr);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	/* Root may go beyond rmem_max: a starved reader must not lose. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind");
	signals();
	printf("ngflow: serving %s port %d\n", bind_addr, port);
	fflush(stdout);
	while (!stop && now() < end) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0)
			continue;       /* timeout or signal: check the clock */
		if (n == sizeof(end_mark) && !memcmp(buf, end_mark, sizeof(end_mark))) {
			ended = 1;
			break;
		}
		if (n < 1) {
			other++;
		} else if ((buf[0] & 7) == 3 && n == 48) {
			uint32_t seq;

			memcpy(&seq, buf + 44, sizeof(seq));
			seq = ntohl(seq);
			n3++;
			if (seq < MAX_SEQ && !(seen[seq / 8] & (1u << (seq % 8)))) {
				seen[seq / 8] |= (unsigned char)(1u << (seq % 8));
				distinct++;
			}
		} else if ((buf[0] & 7) == 7) {
			n7++;
		} else {
			other++;
		}
	}
	snprintf(line, sizeof(line), "mode3 %llu distinct %llu mode7 %llu other %llu end %d\n",
		 n3, distinct, n7, other, ended);
	write_out(out, line);
	return 0;
}

/* Every datagram from one CPU: on their way through veth and the stack
 * (per-CPU backlogs) they stay in the order they were sent. */
static void pin_to_this_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu >= 0) {
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
}

static int sender(const char *dst, int port, int rate3, int rate7, long count,
		  const char *out, double max_s)
{
	static const unsigned char monlist[8] = { 0x17, 0x00, 0x03, 0x2a };
	unsigned char m3[48] = { 0x23 };        /* LI 0, VN 4, mode 3 */
	struct sockaddr_storage ss;
	socklen_t len = make_addr(dst, port, &ss);
	unsigned long long n3 = 0, n7 = 0, failed = 0;
	double t0, end, next3, next7;
	int fd, snd = 4 << 20;
	char line[256];

	if (!len) {
		fprintf(stderr, "ngflow: bad address '%s'\n", dst);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	pin_to_this_cpu();
	signals();
	t0 = now();
	end = t0 + max_s;
	next3 = rate3 ? t0 : end + 1;
	next7 = rate7 ? t0 : end + 1;
	while (!stop) {
		double t = now(), wake;

		if (t >= end)
			break;
		if (count && (!rate3 || (long)n3 >= count))
			next3 = end + 1;
		if (count && (!rate7 || (long)n7 >= count))
			next7 = end + 1;
		if (next3 > end && next7 > end)
			break;
		if (t >= next3) {
			uint32_t seq = htonl((uint32_t)n3);

			memcpy(m3 + 44, &seq, sizeof(seq));
			if (sendto(fd, m3, sizeof(m3), 0, (struct sockaddr *)&ss, len) ==
			    (ssize_t)sizeof(m3))
				n3++;
			else
				failed++;
			next3 += 1.0 / rate3;
		}
		if (t >= next7) {
			if (sendto(fd, monlist, sizeof(monlist), 0, (struct sockaddr *)&ss,
				   len) == (ssize_t)sizeof(monlist))
				n7++;
			else
				failed++;
			next7 += 1.0 / rate7;
		}
		wake = next3 < next7 ? next3 : next7;
		t = now();
		if (wake > t) {
			struct timespec ts = { 0, (long)((wake - t) * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	if (sendto(fd, end_mark, sizeof(end_mark), 0, (struct sockaddr *)&ss, len) !=
	    (ssize_t)sizeof(end_mark))
		fprintf(stderr, "ngflow: the end mark: %s\n", strerror(errno));
	snprintf(line, sizeof(line), "sent mode3 %llu mode7 %llu failed %llu\n", n3, n7,
		 failed);
	write_out(out, line);
	return 0;
}

static void usage(void)
{
	fputs("usage: ngflow serve --bind ADDR [--port P] --out FILE [--max-seconds S]\n"
	      "       ngflow send --dst ADDR [--port P] [--rate3 R] [--rate7 R] [--count N]\n"
	      "                   [--max-seconds S] [--out FILE]\n", stderr);
	exit(2);
}

static int int_arg(const char *s, int min, int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == 0 || *end || v < min || v > max)
		usage();
	return (int)v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "rate3", required_argument, NULL, '3' },
		{ "rate7", required_argument, NULL, '7' },
		{ "max-seconds", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ 0 },
	};
	const char *addr = NULL, *out = NULL;
	int port = 123, rate3 = 200, rate7 = 200, max_s = -1, count = 0, c;
	int is_serve;

	if (argc < 2)
		usage();
	is_serve = !strcmp(argv[1], "serve");
	if (!is_serve && strcmp(argv[1], "send"))
		usage();
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
		case 'd': addr = optarg; break;
		case 'p': port = int_arg(optarg, 1, 65535); break;
		case 'o': out = optarg; break;
		case '3': rate3 = int_arg(optarg, 0, MAX_RATE); break;
		case '7': rate7 = int_arg(optarg, 0, MAX_RATE); break;
		case 's': max_s = int_arg(optarg, 1, 3600); break;
		case 'n': count = int_arg(optarg, 1, 10000000); break;
		default: usage();
		}
	}
	if (!addr || optind != argc || (is_serve && !out))
		usage();
	if (is_serve)
		return serve(addr, port, out, max_s > 0 ? max_s : 600);
	return sender(addr, port, rate3, rate7, count, out, max_s > 0 ? max_s : 120);
}
