// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What every part of the CLI uses (see common.h). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "common.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

int ng_verbose;

static void vmsg(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}

void ng_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(stderr, "ntpguard: ", fmt, ap);
	va_end(ap);
}

void ng_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(stdout, "", fmt, ap);
	va_end(ap);
}

void ng_debug(const char *fmt, ...)
{
	va_list ap;

	if (!ng_verbose)
		return;
	va_start(ap, fmt);
	vmsg(stderr, "ntpguard: debug: ", fmt, ap);
	va_end(ap);
}



static bool have_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap >> 5].effective & (1u << (cap & 31));
}

int ng_require_privs(bool need_net_admin)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};
	bool bpf_ok, net_ok;

	if (syscall(SYS_capget, &h, d)) {
		ng_err("cannot read capabilities: %s", strerror(errno));
		return -1;
	}
	bpf_ok = have_cap(d, CAP_SYS_ADMIN) || have_cap(d, CAP_BPF);
	net_ok = have_cap(d, CAP_NET_ADMIN);
	if (bpf_ok && (net_ok || !need_net_admin))
		return 0;
	ng_err("permission denied: run as root (needs CAP_BPF or CAP_SYS_ADMIN%s)",
	       need_net_admin ? ", and CAP_NET_ADMIN" : "");
	return -1;
}

int ng_require_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	ng_err("kernel without BTF (/sys/kernel/btf/vmlinux is missing): "
	       "ntpguard needs a kernel built with CONFIG_DEBUG_INFO_BTF=y "
	       "(Debian's kernels are)");
	return -1;
}

__u64 ng_netns_ino(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return 0;
	return st.st_ino;
}

/*
 * How many octets at s form one well-formed UTF-8 character (Unicode
 * table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or
 * minus the length of the maximal subpart of an ill-formed one (the octets
 * a decoder consumes before it fails, at least one). s[0] >= 0x80; the
 * string's NUL ends any sequence.
 */
static int utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return -1;
	if (s[0] == 0xe0)
		lo = 0xa0;              /* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f;              /* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;              /* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f;              /* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return -1;
	for (int i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return -i;
	return n;
}

const unsigned char *ng_put_utf8(FILE *f, const unsigned char *s, const char *bad)
{
	int n = utf8_len(s);

	if (n > 0) {
		fwrite(s, 1, (size_t)n, f);
		return s + n;
	}
	fputs(bad, f);
	return s - n;
}

void ng_json_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (*s < 0x20) {
			fprintf(f, "\\u%04x", *s++);
		} else if (*s < 0x80) {
			fputc(*s++, f);
		} else {
			s = ng_put_utf8(f, s, "\\ufffd");
		}
	}
	fputc('"', f);
}

void ng_periodic_begin(sigset_t *set, sigset_t *old)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigprocmask(SIG_BLOCK, set, old);
}

double ng_mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int ng_periodic_wait(const sigset_t *set, double start, double interval)
{
	double wait = interval - (ng_mono_now() - start);
	struct timespec ts;
	int sig;

	if (wait < 0.01)
		wait = 0.01;
	ts.tv_sec = (time_t)wait;
	ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
	sig = sigtimedwait(set, NULL, &ts);
	return sig == SIGINT || sig == SIGTERM ? sig : 0;
}

int ng_link_type(const char *ifname)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int type = -1;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr))
		type = ifr.ifr_hwaddr.sa_family;
	close(fd);
	return type;
}

/* The service manager's notification protocol (sd_notify(3)): one datagram
 * to the AF_UNIX socket named by $NOTIFY_SOCKET ('@': abstract). */
void ng_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') ||
	    (len = strlen(path)) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		ng_debug("cannot notify the service manager: %s", strerror(errno));
	close(fd);
}
