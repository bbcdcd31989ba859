// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Prometheus text exposition of a snapshot, shared by `stats --prom`
 * and `export`.
 *
 * Metric families (README "Observability" documents them):
 *   ntpguard_loaded, ntpguard_build_info{version},
 *   ntpguard_attached{interface,direction,mode,dispatcher},
 *   ntpguard_packets_total / ntpguard_bytes_total
 *       {interface,direction,reason,action="drop|pass|would_drop"},
 *   ntpguard_allow_entries{family}, ntpguard_rate_table_entries,
 *   ntpguard_rate_table_capacity, ntpguard_rate_table_keys_inserted_total,
 *   ntpguard_monitor_mode, ntpguard_tracking_enabled,
 *   ntpguard_reflectors{interface,direction} (distinct servers whose
 *   oversized mode 7 responses were dropped there within the window),
 *   ntpguard_reflectors_window_seconds, ntpguard_reflector_table_entries,
 *   ntpguard_reflector_table_capacity,
 *   ntpguard_reflector_records_inserted_total, ntpguard_reflectors_recording,
 *   and from the exporter only ntpguard_export_failures_total and
 *   ntpguard_export_last_success_timestamp_seconds.
 * No per-address labels: per-key data is `ntpguard top`'s.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "common.h"
#include "prom.h"

#include "version.h"

/* A label value: Prometheus wants UTF-8, an interface name may be any bytes
 * (the kernel refuses only '/', ':' and whitespace), so what is not UTF-8
 * becomes U+FFFD, as in ng_json_str. */
void ng_prom_label(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		if (*s == '\\' || *s == '"') {
			fprintf(f, "\\%c", *s++);
		} else if (*s == '\n') {
			fputs("\\n", f);
			s++;
		} else if (*s < 0x80) {
			fputc(*s++, f);
		} else {
			s = ng_put_utf8(f, s, "\xef\xbf\xbd");   /* U+FFFD */
		}
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* interface="..",direction=".." (ifname as a C string, NUL-bounded) */
static void if_labels(FILE *f, const struct ng_ifrec *r)
{
	char name[sizeof(r->ifname) + 1];

	memcpy(name, r->ifname, sizeof(r->ifname));
	name[sizeof(r->ifname)] = 0;
	fputs("interface=", f);
	ng_prom_label(f, name);
	fprintf(f, ",direction=\"%s\"", ng_dir_name(r->direction));
}

static void traffic(FILE *f, const struct ng_snapshot *s, bool bytes)
{
	for (int i = 0; i < s->n_if; i++) {
		const struct ng_snap_if *x = &s->ifs[i];

		for (int r = 0; r < NG_R__COUNT; r++) {
			const char *name = bytes ? "ntpguard_bytes_total" :
						   "ntpguard_packets_total";

			fprintf(f, "%s{", name);
			if_labels(f, &x->rec);
			fprintf(f, ",reason=\"%s\",action=\"%s\"} %" PRIu64 "\n",
				ng_reason_name(r), ng_reason_drops(r) ? "drop" : "pass",
				(uint64_t)(bytes ? x->real[r].bytes : x->real[r].packets));
			if (!ng_reason_drops(r))
				continue;
			fprintf(f, "%s{", name);
			if_labels(f, &x->rec);
			fprintf(f, ",reason=\"%s\",action=\"would_drop\"} %" PRIu64 "\n",
				ng_reason_name(r),
				(uint64_t)(bytes ? x->would[r].bytes : x->would[r].packets));
		}
	}
}

/* A family of one sample without labels: HELP, TYPE and the value. */
static void metric(FILE *f, const char *name, const char *type, const char *help,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void metric(FILE *f, const char *name, const char *type, const char *help,
		   const char *fmt, ...)
{
	va_list ap;

	family(f, name, type, help);
	fprintf(f, "%s ", name);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

static void attachments(FILE *f, const struct ng_snapshot *s)
{
	family(f, "ntpguard_attached", "gauge",
	       "1 while the filter is attached to the interface in this direction, "
	       "0 if it was detached or vanished (interface or program gone).");
	for (int i = 0; i < s->n_if; i++) {
		const struct ng_ifrec *r = &s->ifs[i].rec;

		fputs("ntpguard_attached{", f);
		if_labels(f, r);
		fprintf(f, ",mode=\"%s\",dispatcher=\"%s\"} %d\n", ng_mode_name(r->mode),
			r->path == NG_PATH_DISPATCHER ? "true" : "false", s->ifs[i].live ? 1 : 0);
	}
	family(f, "ntpguard_packets_total", "counter",
	       "NTP packets seen by ntpguard, by reason; action is drop or pass, "
	       "or would_drop for drops that monitor mode let pass.");
	traffic(f, s, false);
	family(f, "ntpguard_bytes_total", "counter",
	       "Octets of those packets (whole frames), by reason and action.");
	traffic(f, s, true);
}

static void tables(FILE *f, const struct ng_snapshot *s)
{
	family(f, "ntpguard_allow_entries", "gauge",
	       "Prefixes on the allow-list, by address family.");
	fprintf(f, "ntpguard_allow_entries{family=\"ipv4\"} %ld\n", s->allow_v4);
	fprintf(f, "ntpguard_allow_entries{family=\"ipv6\"} %ld\n", s->allow_v6);
	metric(f, "ntpguard_rate_table_entries", "gauge",
	       "Keys (source or victim address and class) in the per-key rate-cap "
	       "and top table.", "%ld", s->rate_entries);
	metric(f, "ntpguard_rate_table_capacity", "gauge",
	       "Capacity of the per-key table (load --max-sources).", "%u", s->rate_capacity);
	metric(f, "ntpguard_rate_table_keys_inserted_total", "counter",
	       "Keys ever inserted into the per-key table; above its capacity, "
	       "least recently used keys were evicted.", "%" PRIu64,
	       (uint64_t)s->keys_inserted);
}

/*
 * Per attachment, the distinct reflectors seen in the last `window`
 * seconds: a gauge, no address labels (reflectors can be forged by the
 * thousand; the addresses are `ntpguard reflectors`'). Records are per
 * (slot, address), so counting records of a slot counts addresses.
 */
static void reflectors(FILE *f, const struct ng_snapshot *s, double window)
{
	family(f, "ntpguard_reflectors", "gauge",
	       "Distinct servers whose oversized mode 7 (monlist) responses were dropped "
	       "(or would-dropped) on the interface within the last "
	       "ntpguard_reflectors_window_seconds; `ntpguard reflectors` lists them.");
	for (int i = 0; i < s->n_if; i++) {
		long n = 0;

		for (long k = 0; k < s->refl_entries; k++)
			if (s->rkeys[k].slot == s->ifs[i].slot && s->rvals[k].packets &&
			    (double)(s->mono_ns - s->rvals[k].last_ns) / 1e9 <= window)
				n++;
		fputs("ntpguard_reflectors{", f);
		if_labels(f, &s->ifs[i].rec);
		fprintf(f, "} %ld\n", n);
	}
	metric(f, "ntpguard_reflectors_window_seconds", "gauge",
	       "The window of ntpguard_reflectors: the export interval (60 for stats --prom).",
	       "%g", window);
	metric(f, "ntpguard_reflector_table_entries", "gauge",
	       "Records (interface and server address) in the reflector table.", "%ld",
	       s->refl_entries);
	metric(f, "ntpguard_reflector_table_capacity", "gauge",
	       "Capacity of the reflector table (load --max-reflectors).", "%u",
	       s->refl_capacity);
	metric(f, "ntpguard_reflector_records_inserted_total", "counter",
	       "Records ever inserted into the reflector table; above its capacity, "
	       "least recently seen records were evicted.", "%" PRIu64,
	       (uint64_t)s->refl_inserted);
	metric(f, "ntpguard_reflectors_recording", "gauge",
	       "1 if reflectors are recorded (policy reflectors=on).", "%d",
	       s->policy.no_reflectors ? 0 : 1);
}

int ng_prom_write(FILE *f, const struct ng_snapshot *s, const struct ng_prom_export *x)
{
	metric(f, "ntpguard_loaded", "gauge",
	       "1 if ntpguard's maps are pinned (the filter is loaded), 0 if not.",
	       "%d", s->loaded ? 1 : 0);
	family(f, "ntpguard_build_info", "gauge",
	       "Version of the ntpguard binary that produced these metrics.");
	fputs("ntpguard_build_info{version=", f);
	ng_prom_label(f, NG_VERSION);
	fputs("} 1\n", f);
	if (s->n_if)
		attachments(f, s);
	if (s->loaded) {
		metric(f, "ntpguard_monitor_mode", "gauge",
		       "1 if monitor mode is on: drop verdicts are counted as would_drop "
		       "and nothing is dropped.", "%d", s->policy.monitor ? 1 : 0);
		metric(f, "ntpguard_tracking_enabled", "gauge",
		       "1 if per-key counters (ntpguard top) are kept for every policed "
		       "class (policy track=on), 0 if only for rate-capped classes.",
		       "%d", s->policy.track ? 1 : 0);
	}
	if (s->loaded && (s->what & NG_SNAP_ALLOW))
		tables(f, s);
	if (s->loaded && (s->what & NG_SNAP_REFL) && s->refl_available)
		reflectors(f, s, x && x->interval > 0 ? x->interval : NG_PROM_REFL_WINDOW);
	if (x) {
		metric(f, "ntpguard_export_failures_total", "counter",
		       "Export attempts that failed (state unreadable or file not written) "
		       "since the exporter started.", "%llu", x->failures);
		metric(f, "ntpguard_export_last_success_timestamp_seconds", "gauge",
		       "Unix time at which this file's content was produced; the file is "
		       "only replaced by complete writes, so this is the last successful "
		       "export.", "%.3f", x->timestamp);
	}
	fflush(f);
	return ferror(f) ? -1 : 0;
}
