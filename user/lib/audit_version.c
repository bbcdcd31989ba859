// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * audit_version.c - the daemon's version (see audit_version.h): parsed from
 * what the user gives or from what "ntpd --version" prints, and the daemon
 * kinds it leaves possible.
 */
#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit_version.h"

#define VERSION_EXEC_MS 3000    /* how long ntpd --version may take */

int audit_vcmp(const struct audit_version *v, int a, int b, int c, int p)
{
	const int w[4] = { a, b, c, p };

	for (int i = 0; i < 4; i++)
		if (v->v[i] != w[i])
			return v->v[i] < w[i] ? -1 : 1;
	return 0;
}

int audit_version_parse(const char *s, struct audit_version *v, bool strict)
{
	const char *p = strstr(s, "ntpsec-");
	int n = 0;

	memset(v->v, 0, sizeof(v->v));
	v->ntpsec = p != NULL;
	if (!p) {
		const char *from = strict ? strstr(s, "ntpd") : s;

		if (!from)
			return -1;
		for (p = from; *p && !(isdigit((unsigned char)*p) && p[1] == '.'); p++)
			;
		if (strict && (p[0] != '4' || p[1] != '.'))
			return -1;
	} else {
		p += 7;
	}
	if (!*p || !isdigit((unsigned char)*p))
		return -1;
	for (int i = 0; i < 3; i++) {
		char *end;
		long x = strtol(p, &end, 10);

		if (end == p || x < 0 || x > 9999)
			break;
		v->v[i] = (int)x;
		n++;
		p = end;
		if (*p != '.')
			break;
		p++;
	}
	if (n < 2)
		return -1;
	if (!v->ntpsec && *p == 'p' && isdigit((unsigned char)p[1]))
		v->v[3] = (int)strtol(p + 1, NULL, 10);
	v->known = true;
	return 0;
}

unsigned audit_version_kinds(const struct audit_version *v)
{
	if (!v->known)
		return K_ALL;
	if (v->ntpsec)
		return audit_vcmp(v, 1, 1, 9, 0) < 0 ? K_SECOLD : K_SEC;
	if (audit_vcmp(v, 4, 2, 6, 0) < 0)
		return K_ANCIENT;
	return audit_vcmp(v, 4, 2, 8, 0) < 0 ? K_OLD : K_NEW;
}

/* Read fd into buf (NUL-terminated) until EOF, a full buffer or the deadline. */
static size_t read_bounded(int fd, char *buf, size_t size)
{
	struct timespec t0, t;
	size_t got = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long ms;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = VERSION_EXEC_MS - ((t.tv_sec - t0.tv_sec) * 1000 +
					(t.tv_nsec - t0.tv_nsec) / 1000000);
		if (ms <= 0 || poll(&pfd, 1, (int)ms) <= 0)
			break;
		n = read(fd, buf + got, size - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got >= size - 1)
			break;
	}
	buf[got] = 0;
	return got;
}

/* The child: stdin from /dev/null, stdout and stderr into the pipe. */
static void exec_version(const char *path, int out)
{
	int nul = open("/dev/null", O_RDWR);

	if (nul >= 0)
		dup2(nul, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	execl(path, path, "--version", (char *)NULL);
	_exit(127);
}

int audit_version_exec(const char *path, struct audit_version *v)
{
	char buf[512];
	int fds[2], status;
	pid_t pid;

	if (access(path, X_OK) || pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0)
		exec_version(path, fds[1]);
	close(fds[1]);
	read_bounded(fds[0], buf, sizeof(buf));
	close(fds[0]);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);     /* our own child, and only it */
		waitpid(pid, &status, 0);
	}
	buf[strcspn(buf, "\r\n")] = 0;
	if (audit_version_parse(buf, v, true))
		return -1;
	snprintf(v->text, sizeof(v->text), "%.127s", buf);
	snprintf(v->how, sizeof(v->how), "%s --version", path);
	return 0;
}

/*
 * 4.2.6's ntp_parser.y gave "restrict -4 default" the mask 255.255.255.255
 * (and "-6 default" an all-ones one): a host entry for 0.0.0.0 or ::, not
 * the default (Bug 1535, fixed in 4.2.6p2 and 4.2.7p26). Known versions only.
 */
bool audit_bug1535(const struct audit_version *v)
{
	return v->known && !v->ntpsec &&
	       ((audit_vcmp(v, 4, 2, 6, 0) >= 0 && audit_vcmp(v, 4, 2, 6, 2) < 0) ||
		(audit_vcmp(v, 4, 2, 7, 0) >= 0 && audit_vcmp(v, 4, 2, 7, 26) < 0));
}

const char *audit_kinds_text(unsigned k, struct ktext *b)
{
	b->s[0] = 0;
	if (k & K_ANCIENT) strcat(b->s, ", ntpd < 4.2.6");
	if (k & K_OLD) strcat(b->s, ", ntpd 4.2.6/4.2.7");
	if (k & K_NEW) strcat(b->s, ", ntpd >= 4.2.8");
	if (k & K_SECOLD) strcat(b->s, ", ntpsec < 1.1.9");
	if (k & K_SEC) strcat(b->s, ", ntpsec >= 1.1.9");
	return b->s[0] ? b->s + 2 : "none";
}
