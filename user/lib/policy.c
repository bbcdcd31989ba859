// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The live policy: `ntpguard set KEY=VALUE...`, and the policy part of
 * `status`. Keys are described once, in a table (the xdp-tools params.c
 * idea): name, where the value lives in struct ng_policy, its type and range.
 *
 * A change is all-or-nothing and atomic for the data plane: every argument
 * is validated first, the new policy is written to the inactive slot of the
 * double-buffered NG_MAP_POLICY, and NG_MAP_POLICY_SEL is flipped with one
 * 4-byte store. Every loaded interface shares the maps, so the change
 * applies everywhere at once, without detaching anything.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common.h"
#include "policy.h"
#include "ng_ratelimit.h"

enum key_type { K_ACTION, K_UINT, K_BOOL };

struct pkey {
	const char *name;
	enum key_type type;
	size_t off;             /* offset in struct ng_policy */
	__u32 min, max;         /* K_UINT */
	const char *help;
};

#define CLS(c, field) (offsetof(struct ng_policy, cls) + \
		       (c) * sizeof(struct ng_class_policy) + \
		       offsetof(struct ng_class_policy, field))
#define CLASS_KEYS(prefix, c, what)                                            \
	{ prefix, K_ACTION, CLS(c, action), 0, 0, "drop|ratecap|pass: " what }, \
	{ prefix "_rate", K_UINT, CLS(c, rate), 1, NG_RATE_MAX, "per-key tokens/s" }, \
	{ prefix "_burst", K_UINT, CLS(c, burst), 1, NG_RATE_MAX, "per-key bucket depth" }, \
	{ prefix "_global_rate", K_UINT, CLS(c, global_rate), 1, NG_RATE_MAX,      \
	  "host-wide tokens/s for this class" },                               \
	{ prefix "_global_burst", K_UINT, CLS(c, global_burst), 1, NG_RATE_MAX,    \
	  "host-wide bucket depth" }

static const struct pkey keys[] = {
	{ "monitor", K_BOOL, offsetof(struct ng_policy, monitor), 0, 1,
	  "on|off: count would-drops, drop nothing" },
	{ "track", K_BOOL, offsetof(struct ng_policy, track), 0, 1,
	  "on|off: per-source/victim counters for `top` (LRU table)" },
	{ "pass_unjudgeable", K_BOOL, offsetof(struct ng_policy, pass_unjudgeable), 0, 1,
	  "on|off: pass frames the parser cannot judge (README: Verdicts)" },
	CLASS_KEYS("mode7_request", NG_PC_M7_REQUEST,
		   "mode 7 requests (bucket per source /32 or /64)"),
	{ "mode7_response_max_bytes", K_UINT,
	  offsetof(struct ng_policy, mode7_response_max_bytes), 0, 65535,
	  "a mode 7 response above this UDP payload is oversized" },
	CLASS_KEYS("mode7_response", NG_PC_M7_RESPONSE,
		   "oversized mode 7 responses (bucket per destination)"),
	CLASS_KEYS("mode6_request", NG_PC_M6_REQUEST,
		   "mode 6 requests (bucket per source /32 or /64)"),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *action_name(__u8 a)
{
	return a == NG_ACT_DROP ? "drop" : a == NG_ACT_RATECAP ? "ratecap" :
	       a == NG_ACT_PASS ? "pass" : "?";
}

static __u32 get_val(const struct ng_policy *p, const struct pkey *k)
{
	const char *base = (const char *)p + k->off;
	__u32 v;

	if (k->type == K_ACTION)
		return *(const __u8 *)base;
	memcpy(&v, base, sizeof(v));
	return v;
}

static void set_val(struct ng_policy *p, const struct pkey *k, __u32 v)
{
	char *base = (char *)p + k->off;

	if (k->type == K_ACTION)
		*(__u8 *)base = (__u8)v;
	else
		memcpy(base, &v, sizeof(v));
}

static void format_val(const struct ng_policy *p, const struct pkey *k,
		       char *buf, size_t len)
{
	__u32 v = get_val(p, k);

	if (k->type == K_ACTION)
		snprintf(buf, len, "%s", action_name((__u8)v));
	else if (k->type == K_BOOL)
		snprintf(buf, len, "%s", v ? "on" : "off");
	else
		snprintf(buf, len, "%u", v);
}

/* Parse "KEY=VALUE" into *p; print why not and return -1. */
int ng_policy_assign(const char *arg, struct ng_policy *p)
{
	const char *eq = strchr(arg, '=');
	const struct pkey *k = NULL;
	const char *val;
	size_t nlen;

	if (!eq || eq == arg) {
		ng_err("'%s': expected KEY=VALUE", arg);
		return -1;
	}
	nlen = (size_t)(eq - arg);
	val = eq + 1;
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == nlen && !strncmp(keys[i].name, arg, nlen))
			k = &keys[i];
	if (!k) {
		ng_err("'%.*s': unknown key (see `ntpguard set --help`)", (int)nlen, arg);
		return -1;
	}
	if (k->type == K_ACTION) {
		__u8 a = !strcmp(val, "drop") ? NG_ACT_DROP :
			 !strcmp(val, "ratecap") ? NG_ACT_RATECAP :
			 !strcmp(val, "pass") ? NG_ACT_PASS : 0;

		if (!a) {
			ng_err("%s: '%s' is not drop, ratecap or pass", k->name, val);
			return -1;
		}
		set_val(p, k, a);
	} else if (k->type == K_BOOL) {
		if (strcmp(val, "on") && strcmp(val, "off")) {
			ng_err("%s: '%s' is not on or off", k->name, val);
			return -1;
		}
		set_val(p, k, !strcmp(val, "on"));
	} else {
		unsigned long long v;
		char *end;

		errno = 0;
		v = strtoull(val, &end, 10);
		/* strtoull() would skip leading blanks and take a sign. */
		if (!isdigit((unsigned char)val[0]) || *end || errno ||
		    v < k->min || v > k->max) {
			ng_err("%s: '%s' is not an integer in %u..%u", k->name, val,
			       k->min, k->max);
			return -1;
		}
		set_val(p, k, (__u32)v);
	}
	return 0;
}

/* The live policy (defaults when none was ever written). */
int ng_policy_read(int pol_fd, int sel_fd, struct ng_policy *p, __u32 *live_idx)
{
	static const struct ng_policy def = NG_DEFAULT_POLICY;
	__u32 zero = 0, sel = 0;

	if (bpf_map_lookup_elem(sel_fd, &zero, &sel) || sel >= NG_POLICY_SLOTS ||
	    bpf_map_lookup_elem(pol_fd, &sel, p)) {
		ng_err("cannot read the policy: %s", strerror(errno ? errno : EINVAL));
		return -1;
	}
	if (p->magic != NG_POLICY_MAGIC)
		*p = def;
	if (live_idx)
		*live_idx = sel;
	return 0;
}

/* Write p to the inactive slot, then flip the selector. */
int ng_policy_commit(int pol_fd, int sel_fd, __u32 live, const struct ng_policy *p)
{
	__u32 zero = 0, next = (live + 1) % NG_POLICY_SLOTS;

	if (bpf_map_update_elem(pol_fd, &next, p, BPF_ANY) ||
	    bpf_map_update_elem(sel_fd, &zero, &next, BPF_ANY)) {
		ng_err("cannot write the policy: %s (nothing changed)", strerror(errno));
		return -1;
	}
	return 0;
}

void ng_policy_print(FILE *f, const struct ng_policy *p, bool json)
{
	char buf[32];

	if (json)
		fputc('{', f);
	for (size_t i = 0; i < NKEYS; i++) {
		format_val(p, &keys[i], buf, sizeof(buf));
		if (!json)
			fprintf(f, "  %-30s %s\n", keys[i].name, buf);
		else if (keys[i].type == K_UINT)
			fprintf(f, "%s\"%s\": %s", i ? ", " : "", keys[i].name, buf);
		else
			fprintf(f, "%s\"%s\": \"%s\"", i ? ", " : "", keys[i].name, buf);
	}
	if (json)
		fputc('}', f);
}

/* The keys with their defaults and what they do (set --help). */
void ng_policy_help(FILE *f)
{
	static const struct ng_policy def = NG_DEFAULT_POLICY;
	char buf[32];

	fprintf(f, "\nKeys (default):\n");
	for (size_t i = 0; i < NKEYS; i++) {
		format_val(&def, &keys[i], buf, sizeof(buf));
		fprintf(f, "  %-28s %-8s %s\n", keys[i].name, buf, keys[i].help);
	}
}
