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
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common.h"
#include "parse.h"
#include "policy.h"
#include "ng_ratelimit.h"

/* K_NBOOL: on|off stored inverted, so that a zero field (a policy written
 * before the key existed) means the default "on". */
enum key_type { K_ACTION, K_UINT, K_BOOL, K_NBOOL };

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
	{ "reflectors", K_NBOOL, offsetof(struct ng_policy, no_reflectors), 0, 1,
	  "on|off: record who sent dropped oversized mode 7 responses (reflectors)" },
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

/* The words of K_ACTION and K_BOOL values. */
static const struct ng_enum actions[] = {
	{ "drop", NG_ACT_DROP }, { "ratecap", NG_ACT_RATECAP }, { "pass", NG_ACT_PASS },
	{ NULL },
};
static const struct ng_enum on_off[] = { { "on", 1 }, { "off", 0 }, { NULL } };

static __u32 get_val(const struct ng_policy *p, const struct pkey *k)
{
	const char *base = (const char *)p + k->off;
	__u32 v;

	if (k->type == K_ACTION)
		return *(const __u8 *)base;
	memcpy(&v, base, sizeof(v));
	return k->type == K_NBOOL ? !v : v;
}

static void set_val(struct ng_policy *p, const struct pkey *k, __u32 v)
{
	char *base = (char *)p + k->off;

	if (k->type == K_NBOOL)
		v = !v;
	if (k->type == K_ACTION)
		*(__u8 *)base = (__u8)v;
	else
		memcpy(base, &v, sizeof(v));
}

static void format_val(const struct ng_policy *p, const struct pkey *k,
		       char *buf, size_t len)
{
	__u32 v = get_val(p, k);

	if (k->type != K_UINT)
		snprintf(buf, len, "%s", ng_enum_name(k->type == K_ACTION ? actions : on_off,
						      (int)v));
	else
		snprintf(buf, len, "%u", v);
}

/* VALUE of key k into *p; -1 and why not in err. */
static int set_value(struct ng_policy *p, const struct pkey *k, const char *val,
		     char *err, size_t len)
{
	const struct ng_enum *words = k->type == K_ACTION ? actions : on_off;
	unsigned long long v;
	char list[64];
	int w;

	if (k->type == K_UINT) {
		if (ng_parse_uint(val, k->min, k->max, &v)) {
			snprintf(err, len, "%s: '%s' is not an integer in %u..%u", k->name,
				 val, k->min, k->max);
			return -1;
		}
		set_val(p, k, (__u32)v);
		return 0;
	}
	if (ng_parse_enum(val, words, &w)) {
		ng_enum_list(words, NULL, list, sizeof(list));
		snprintf(err, len, "%s: '%s' is not %s", k->name, val, list);
		return -1;
	}
	set_val(p, k, (__u32)w);
	return 0;
}

static const struct pkey *find_key(const char *name, size_t nlen)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == nlen && !strncmp(keys[i].name, name, nlen))
			return &keys[i];
	return NULL;
}

int ng_policy_set(struct ng_policy *p, const char *key, const char *val, char *err,
		  size_t len)
{
	const struct pkey *k = find_key(key, strlen(key));

	if (!k) {
		snprintf(err, len, "'%s': unknown policy key (see `ntpguard set --help`)", key);
		return -1;
	}
	return set_value(p, k, val, err, len);
}

/* Parse "KEY=VALUE" into *p; print why not and return -1. */
int ng_policy_assign(const char *arg, struct ng_policy *p)
{
	const char *eq = strchr(arg, '=');
	const struct pkey *k;
	char err[256];
	size_t nlen;

	if (!eq || eq == arg) {
		ng_err("'%s': expected KEY=VALUE", arg);
		return -1;
	}
	nlen = (size_t)(eq - arg);
	k = find_key(arg, nlen);
	if (!k) {
		ng_err("'%.*s': unknown key (see `ntpguard set --help`)", (int)nlen, arg);
		return -1;
	}
	if (set_value(p, k, eq + 1, err, sizeof(err))) {
		ng_err("%s", err);
		return -1;
	}
	return 0;
}

size_t ng_policy_nkeys(void)
{
	return NKEYS;
}

const char *ng_policy_key(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
}

bool ng_policy_is_key(const char *name)
{
	return find_key(name, strlen(name)) != NULL;
}

void ng_policy_value(const struct ng_policy *p, size_t i, char *buf, size_t len)
{
	if (i < NKEYS)
		format_val(p, &keys[i], buf, len);
	else
		snprintf(buf, len, "?");
}

const char *ng_policy_key_help(size_t i)
{
	return i < NKEYS ? keys[i].help : NULL;
}

const char *ng_policy_key_values(size_t i)
{
	if (i >= NKEYS)
		return NULL;
	return keys[i].type == K_ACTION ? "drop ratecap pass" :
	       keys[i].type == K_BOOL || keys[i].type == K_NBOOL ? "on off" : NULL;
}

/* The live policy (defaults when none was ever written); 0 or -errno. */
int ng_policy_read(int pol_fd, int sel_fd, struct ng_policy *p, __u32 *live_idx)
{
	static const struct ng_policy def = NG_DEFAULT_POLICY;
	__u32 zero = 0, sel = 0;

	errno = 0;
	if (bpf_map_lookup_elem(sel_fd, &zero, &sel) || sel >= NG_POLICY_SLOTS ||
	    bpf_map_lookup_elem(pol_fd, &sel, p))
		return -(errno ? errno : EINVAL);
	if (p->magic != NG_POLICY_MAGIC)
		*p = def;
	if (live_idx)
		*live_idx = sel;
	return 0;
}

/* Write p to the inactive slot, then flip the selector; 0 or -errno. */
int ng_policy_commit(int pol_fd, int sel_fd, __u32 live, const struct ng_policy *p)
{
	__u32 zero = 0, next = (live + 1) % NG_POLICY_SLOTS;

	if (bpf_map_update_elem(pol_fd, &next, p, BPF_ANY) ||
	    bpf_map_update_elem(sel_fd, &zero, &next, BPF_ANY))
		return -errno;
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
