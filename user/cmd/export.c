// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * export: write ntpguard's metrics to DIR/ntpguard.prom for node_exporter's
 * textfile collector.
 *
 * Atomic: the text is built in memory, written to a hidden temporary file in
 * DIR (".ntpguard.prom.XXXXXX": the collector reads only *.prom), chmod
 * 0644, fsync'ed and renamed over ntpguard.prom. A failed write (directory
 * missing, disk full, read-only) removes the temporary file and leaves the
 * previous ntpguard.prom as it was; the loop logs it and tries again at the
 * next interval. The exporter only reads pinned maps: it takes no lock and
 * holds no map open between two exports, so it can neither stop nor slow
 * the filter, and `ntpguard unload` works while it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "attach.h"
#include "policy.h"
#include "cmds.h"
#include "prom.h"

#define NG_EXPORT_DIR  "/var/lib/prometheus/node-exporter"
#define NG_EXPORT_FILE "ntpguard.prom"

static const char export_usage[] =
	"ntpguard export [--dir DIR] [--interval SECONDS] [--once]";

/* Write buf to dir/ntpguard.prom through a temporary file and rename. */
static int write_atomic(const char *dir, const char *buf, size_t len,
			char *err, size_t errlen)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	size_t off = 0;
	int fd;

	snprintf(dst, sizeof(dst), "%s/%s", dir, NG_EXPORT_FILE);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, NG_EXPORT_FILE);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file in %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "cannot write %s: %s", tmp,
				 w < 0 ? strerror(errno) : "short write");
			goto fail;
		}
		off += (size_t)w;
	}
	/* mkstemp creates 0600; node_exporter runs as user prometheus */
	if (fchmod(fd, 0644)) {
		snprintf(err, errlen, "cannot chmod %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fsync(fd)) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd)) {
		fd = -1;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, dst)) {
		snprintf(err, errlen, "cannot rename the temporary file to %s: %s", dst,
			 strerror(errno));
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

/* One export: snapshot, text, file. */
static int export_once(const struct ng_paths *paths, const char *dir,
		       unsigned long long failures, char *err, size_t errlen)
{
	struct ng_prom_export x = { .failures = failures };
	struct ng_snapshot s;
	struct timespec now;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int rc;

	if (ng_snapshot_take(paths, &s, NG_SNAP_FULL, err, errlen))
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	x.timestamp = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	mem = open_memstream(&buf, &len);
	if (!mem) {
		snprintf(err, errlen, "out of memory");
		ng_snapshot_free(&s);
		return -1;
	}
	rc = ng_prom_write(mem, &s, &x);
	ng_snapshot_free(&s);
	if (fclose(mem) || rc) {
		snprintf(err, errlen, "out of memory");
		free(buf);
		return -1;
	}
	rc = write_atomic(dir, buf, len, err, errlen);
	free(buf);
	return rc;
}

static void help(void)
{
	printf("usage: %s\n\n"
	       "Write ntpguard's metrics in the Prometheus text format to\n"
	       "DIR/%s for node_exporter's textfile collector\n"
	       "(--collector.textfile.directory=DIR). Each write goes to a temporary\n"
	       "file in DIR that is renamed over the old one, so a reader never sees\n"
	       "a partial file; the file is mode 0644 and has no timestamps.\n\n"
	       "Without --once it writes every SECONDS until SIGTERM or SIGINT, then\n"
	       "exits 0, leaving the last complete file (its age shows in\n"
	       "node_textfile_mtime_seconds). A failed write (directory missing, disk\n"
	       "full, read-only) is logged on stderr, counted in\n"
	       "ntpguard_export_failures_total and retried at the next interval; the\n"
	       "previous file stays as it was. It only reads the pinned maps, so it\n"
	       "never affects the filter. When ntpguard is not loaded the file says\n"
	       "ntpguard_loaded 0.\n\n"
	       "  -d, --dir DIR          default %s\n"
	       "  -i, --interval SECONDS between two writes (default 15, 0.1..86400)\n"
	       "  -1, --once             write once; exit 1 if that fails\n"
	       "  -h, --help             this help\n\n"
	       "`ntpguard stats --prom` prints the same metrics (without the\n"
	       "exporter's own ntpguard_export_*) to stdout.\n",
	       export_usage, NG_EXPORT_FILE, NG_EXPORT_DIR);
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, '1' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *dir = NG_EXPORT_DIR;
	unsigned long long failures = 0;
	double interval = 15;
	bool once = false;
	struct ng_paths paths = { 0 };
	char err[PATH_MAX + 256], last[sizeof(err)] = "";
	sigset_t set, old;
	int c, sig;

	opterr = 0;     /* our own one-line messages */
	while ((c = getopt_long(argc, argv, "+:d:i:1h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			if (!*dir || strlen(dir) > PATH_MAX - 64)
				return ng_usage_err(export_usage, "export: --dir: '%s' is not "
						    "a usable directory name", dir);
			break;
		case 'i':
			if (ng_parse_seconds(optarg, 0.1, 86400, &interval))
				return ng_usage_err(export_usage, "export: --interval: '%s' is "
						    "not a number of seconds in 0.1..86400", optarg);
			break;
		case '1': once = true; break;
		case 'h': help(); return NG_EXIT_OK;
		case ':':
			return ng_usage_err(export_usage, "export: %s needs an argument",
					    argv[optind - 1]);
		default:
			return ng_usage_err(export_usage, "export: unknown option '%s'",
					    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ng_usage_err(export_usage, "export: unexpected argument '%s'",
				    argv[optind]);

	ng_paths_init(&paths);
	if (ng_require_privs(false))
		return NG_EXIT_FAIL;
	ng_attach_init();

	if (once) {
		if (export_once(&paths, dir, 0, err, sizeof(err))) {
			ng_err("export: %s", err);
			return NG_EXIT_FAIL;
		}
		return NG_EXIT_OK;
	}

	/* Signals only between two exports: a write is never cut short. */
	ng_periodic_begin(&set, &old);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ng_info("ntpguard export: writing %s/%s every %g s", dir, NG_EXPORT_FILE, interval);
	for (;;) {
		double t0 = ng_mono_now();

		if (export_once(&paths, dir, failures, err, sizeof(err))) {
			failures++;
			/* Log a failure when it starts or changes, not every time. */
			if (strcmp(err, last)) {
				ng_err("export: %s (keeping the previous file; retrying "
				       "every %g s)", err, interval);
				snprintf(last, sizeof(last), "%s", err);
			}
		} else if (last[0]) {
			ng_info("ntpguard export: %s/%s written again (%llu failed "
				"attempts so far)", dir, NG_EXPORT_FILE, failures);
			last[0] = 0;
		}
		sig = ng_periodic_wait(&set, t0, interval);
		if (sig)
			break;
	}
	ng_info("ntpguard export: stopped by %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
	sigprocmask(SIG_SETMASK, &old, NULL);
	return NG_EXIT_OK;
}
