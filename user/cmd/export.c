// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * export: write ntpguard's metrics to DIR/ntpguard.prom for node_exporter's
 * textfile collector.
 *
 * Atomic: the text is built in memory, written to a hidden temporary file in
 * DIR (".ntpguard.prom.XXXXXXXXXXXX": the collector reads only *.prom),
 * chmod 0644, fsync'ed and renamed over ntpguard.prom. Every step is
 * relative to one descriptor of DIR, and the temporary file is created
 * with O_EXCL | O_NOFOLLOW under a random name: a symlink planted in DIR
 * (under the final name or a temporary one) is never followed; the final
 * name's is replaced, not written through. A failed write (directory
 * missing, disk full, read-only) removes the temporary file and leaves the
 * previous ntpguard.prom as it was; the loop logs it and tries again at the
 * next interval. The exporter only reads pinned maps: it takes no lock and
 * holds no map open between two exports, so it can neither stop nor slow
 * the filter, and `ntpguard unload` works while it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "pins.h"
#include "params.h"
#include "cmds.h"
#include "prom.h"

#define NG_EXPORT_FILE "ntpguard.prom"

/* Create a new temporary file in dfd: a random name, never an existing
 * file or symlink. Returns the fd, name in tmp. */
static int create_tmp(int dfd, char *tmp, size_t tmplen)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned long long r = 0;
		int fd;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r ^= (unsigned long long)time(NULL) * 2654435761u + (unsigned)getpid() + tries;
		snprintf(tmp, tmplen, ".%s.%012llx", NG_EXPORT_FILE, r & 0xffffffffffffull);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/* Write buf to dir/ntpguard.prom through a temporary file and rename. */
static int write_atomic(const char *dir, const char *buf, size_t len,
			char *err, size_t errlen)
{
	char tmp[64];
	size_t off = 0;
	int dfd, fd;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = dfd < 0 ? -1 : create_tmp(dfd, tmp, sizeof(tmp));
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file in %s: %s", dir,
			 strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "cannot write %s/%s: %s", dir, tmp,
				 w < 0 ? strerror(errno) : "short write");
			goto fail;
		}
		off += (size_t)w;
	}
	/* created 0600; node_exporter runs as user prometheus */
	if (fchmod(fd, 0644)) {
		snprintf(err, errlen, "cannot chmod %s/%s: %s", dir, tmp, strerror(errno));
		goto fail;
	}
	if (fsync(fd)) {
		snprintf(err, errlen, "cannot write %s/%s: %s", dir, tmp, strerror(errno));
		goto fail;
	}
	if (close(fd)) {
		fd = -1;
		snprintf(err, errlen, "cannot write %s/%s: %s", dir, tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, NG_EXPORT_FILE)) {
		snprintf(err, errlen, "cannot rename the temporary file to %s/%s: %s", dir,
			 NG_EXPORT_FILE, strerror(errno));
		goto fail;
	}
	close(dfd);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
	close(dfd);
	return -1;
}

/* One export: snapshot, text, file. */
static int export_once(const struct ng_paths *paths, const char *dir, double interval,
		       unsigned long long failures, char *err, size_t errlen)
{
	struct ng_prom_export x = { .failures = failures, .interval = interval };
	struct ng_snapshot s;
	struct timespec now;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int rc;

	if (ng_snapshot_take(paths, &s, NG_SNAP_PROM, err, errlen))
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

struct export_cfg {
	const char *dir;
	double interval;
	const char *config;
	bool once;
};

static const struct ng_opt export_opts[] = {
	NG_OPT(NG_OPT_STR, struct export_cfg, dir, "dir", 'd', .metavar = "DIR",
	       .help = "default " NG_EXPORT_DIR),
	NG_OPT(NG_OPT_NUM, struct export_cfg, interval, "interval", 'i',
	       .metavar = "SECONDS", .dmin = 0.1, .dmax = 86400, .what = "a number of seconds",
	       .help = "between two writes (default 15, 0.1..86400)"),
	NG_OPT(NG_OPT_STR, struct export_cfg, config, "config", 'c', .metavar = "FILE",
	       .help = "DIR and SECONDS from FILE's [export] section\n"
		       "(ntpguard.conf(5)); excludes --dir and --interval"),
	NG_OPT(NG_OPT_FLAG, struct export_cfg, once, "once", '1',
	       .help = "write once; exit 1 if that fails"),
	NG_OPT_END
};

static int cmd_export(int argc, char **argv)
{
	struct export_cfg cfg = { 0 };
	struct ng_conf conf;
	unsigned long long failures = 0;
	struct ng_paths paths = { 0 };
	char err[PATH_MAX + 256], last[sizeof(err)] = "";
	const char *dir;
	double interval;
	sigset_t set, old;
	int first, sig;

	char conf_dir[PATH_MAX];

	sig = ng_parse(&export_cmd, &cfg, argc, argv, &first);
	if (sig != NG_CONTINUE)
		return sig;
	if (cfg.config && (cfg.dir || cfg.interval > 0))
		return ng_cmd_usage_err(&export_cmd, "--config gives the directory and the "
					"interval: no --dir or --interval with it");
	dir = cfg.dir ? cfg.dir : NG_EXPORT_DIR;
	interval = cfg.interval > 0 ? cfg.interval : 15;
	if (cfg.config) {
		if (ng_conf_load(cfg.config, &conf)) {
			ng_err("%s: %d error%s", cfg.config, conf.errors,
			       conf.errors == 1 ? "" : "s");
			ng_conf_free(&conf);
			return NG_EXIT_USAGE;
		}
		snprintf(conf_dir, sizeof(conf_dir), "%s", conf.export_dir);
		dir = conf_dir;
		interval = conf.export_interval;
		ng_conf_free(&conf);
	}
	if (!*dir || strlen(dir) > PATH_MAX - 64)
		return ng_cmd_usage_err(&export_cmd, "--dir: '%s' is not a usable directory "
					"name", dir);

	ng_paths_init(&paths);
	if (ng_require_privs(false))
		return NG_EXIT_FAIL;

	if (cfg.once) {
		if (export_once(&paths, dir, interval, 0, err, sizeof(err))) {
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

		if (export_once(&paths, dir, interval, failures, err, sizeof(err))) {
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

NG_COMMAND(export,
	.summary = "write metrics for node_exporter's textfile collector",
	.doc = "Write ntpguard's metrics in the Prometheus text format to\n"
	       "DIR/" NG_EXPORT_FILE " for node_exporter's textfile collector\n"
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
	       "ntpguard_loaded 0.\n",
	.epilog = "`ntpguard stats --prom` prints the same metrics (without the\n"
		  "exporter's own ntpguard_export_*) to stdout.\n");
