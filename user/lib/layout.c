// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The layout of the pins and this binary's build (see layout.h).
 *
 * What "usable" means is checked twice: the layout number in NG_MAP_META
 * (a layout this binary knows), and the shape of every pinned map against
 * this binary's BPF object (type, key and value size, entries, flags), the
 * same test libbpf applies before it reuses a pinned map, made here first
 * so the user gets a sentence instead of libbpf's "parameter mismatch".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "layout.h"
#include "state.h"
#include "ntpguard.skel.h"
#include "version.h"

/* ---- this binary's build ------------------------------------------------- */

__u64 ng_build_id(void)
{
	static __u64 id;
	const unsigned char *b;
	size_t n;

	if (id)
		return id;
	b = ntpguard_bpf__elf_bytes(&n);
	id = 0xcbf29ce484222325ull;              /* FNV-1a, 64 bits */
	for (size_t i = 0; i < n; i++) {
		id ^= b[i];
		id *= 0x100000001b3ull;
	}
	if (!id)
		id = 1;
	return id;
}

const char *ng_build_version(void)
{
	return NG_VERSION;
}

/* ---- reading the layout --------------------------------------------------- */

static int meta_path(const struct ng_paths *p, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/%s", p->pin_dir, NG_STR(NG_MAP_META)) >= (int)len ? -1 : 0;
}

/* Maps whose size the loader sets (load --max-sources, --max-reflectors):
 * the pinned size is the one to keep. */
static bool sized_by_loader(const char *name)
{
	return !strcmp(name, NG_STR(NG_MAP_BUCKETS)) || !strcmp(name, NG_STR(NG_MAP_REFLECTORS));
}

/* This binary's object, opened (not loaded) with the pins' directory, so
 * every pinned map has its path, and the loader-sized maps have their
 * pinned sizes; NULL if it cannot be opened. */
static struct ntpguard_bpf *open_object(const struct ng_paths *p)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .pin_root_path = p->pin_dir);
	struct ntpguard_bpf *obj = ntpguard_bpf__open_opts(&oopts);
	struct bpf_map *m;

	if (!obj)
		return NULL;
	bpf_object__for_each_map(m, obj->obj) {
		__u32 n = sized_by_loader(bpf_map__name(m)) ?
			  ng_pinned_max_entries(p, bpf_map__name(m)) : 0;

		if (n)
			bpf_map__set_max_entries(m, n);
	}
	return obj;
}

static const char *map_type_name(__u32 t)
{
	const char *n = libbpf_bpf_map_type_str((enum bpf_map_type)t);

	return n ? n : "unknown";
}

/* Does the pinned map at path have the shape m defines? l->why if not. */
static bool shape_ok(const struct bpf_map *m, const char *path, struct ng_layout *l)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	const char *name = bpf_map__name(m);
	char what[160] = "";
	int fd = bpf_obj_get(path);

	if (fd < 0) {
		if (errno == ENOENT)
			return true;    /* not pinned yet: the next load creates it */
		snprintf(l->why, sizeof(l->why), "cannot open pinned map %s: %s", path,
			 strerror(errno));
		return false;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		snprintf(l->why, sizeof(l->why), "cannot inspect pinned map %s: %s", path,
			 strerror(errno));
		close(fd);
		return false;
	}
	close(fd);
	if (info.type != (__u32)bpf_map__type(m))
		snprintf(what, sizeof(what), "is a %s map, this ntpguard expects a %s map",
			 map_type_name(info.type), map_type_name(bpf_map__type(m)));
	else if (info.key_size != bpf_map__key_size(m))
		snprintf(what, sizeof(what), "has %u-octet keys, this ntpguard expects %u",
			 info.key_size, bpf_map__key_size(m));
	else if (info.value_size != bpf_map__value_size(m))
		snprintf(what, sizeof(what), "has %u-octet values, this ntpguard expects %u",
			 info.value_size, bpf_map__value_size(m));
	else if (info.map_flags != bpf_map__map_flags(m))
		snprintf(what, sizeof(what), "has flags 0x%x, this ntpguard expects 0x%x",
			 info.map_flags, bpf_map__map_flags(m));
	else if (!sized_by_loader(name) && info.max_entries != bpf_map__max_entries(m))
		snprintf(what, sizeof(what), "has %u entries, this ntpguard expects %u",
			 info.max_entries, bpf_map__max_entries(m));
	if (!*what)
		return true;
	snprintf(l->why, sizeof(l->why),
		 "pinned map %s %s: the pins were written by an incompatible ntpguard "
		 "(layout %u); nothing was read or changed. Detach with the ntpguard that "
		 "loaded them (`ntpguard unload --all`), or remove %s if nothing of "
		 "ntpguard is attached any more", name, what, l->version,
		 path);
	return false;
}

/* Every pinned map against this binary's object. */
static int check_shapes(const struct ng_paths *p, struct ng_layout *l)
{
	struct ntpguard_bpf *obj = open_object(p);
	struct bpf_map *m;
	bool ok = true;

	if (!obj) {
		snprintf(l->why, sizeof(l->why), "cannot open ntpguard's BPF object: %s",
			 strerror(errno));
		return -1;
	}
	bpf_object__for_each_map(m, obj->obj) {
		const char *path = bpf_map__pin_path(m);

		if (path && !(ok = shape_ok(m, path, l)))
			break;
	}
	ntpguard_bpf__destroy(obj);
	l->usable = ok;
	return 0;
}

int ng_layout_read(const struct ng_paths *p, struct ng_layout *l)
{
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd;

	memset(l, 0, sizeof(*l));
	if (!ng_pins_exist(p)) {
		l->usable = true;
		return 0;
	}
	l->pinned = true;
	if (meta_path(p, path, sizeof(path)))
		return snprintf(l->why, sizeof(l->why), "path too long: %s", p->pin_dir), -1;
	fd = bpf_obj_get(path);
	if (fd < 0 && errno != ENOENT) {
		snprintf(l->why, sizeof(l->why), "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fd < 0) {
		l->version = 1;         /* before layout versions */
	} else {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int err = bpf_obj_get_info_by_fd(fd, &info, &len) ||
			  info.value_size != sizeof(l->meta) ||
			  bpf_map_lookup_elem(fd, &zero, &l->meta);

		close(fd);
		if (err) {
			snprintf(l->why, sizeof(l->why),
				 "%s is not a layout record this ntpguard (%s) can read; "
				 "nothing was read or changed", path, NG_VERSION);
			return 0;
		}
		l->meta.version[sizeof(l->meta.version) - 1] = 0;
		if (l->meta.magic == 0 && l->meta.layout == 0) {
			/* created by the load that is stamping it right now */
			l->version = NG_LAYOUT_VERSION;
		} else if (l->meta.magic != NG_META_MAGIC || l->meta.layout < 2) {
			snprintf(l->why, sizeof(l->why),
				 "%s holds no layout this ntpguard (%s) knows (magic 0x%08x, "
				 "layout %u); nothing was read or changed", path, NG_VERSION,
				 l->meta.magic, l->meta.layout);
			return 0;
		} else {
			l->version = l->meta.layout;
		}
	}
	if (l->version > NG_LAYOUT_VERSION) {
		snprintf(l->why, sizeof(l->why),
			 "the pins in %s have layout %u, written by ntpguard %s; this "
			 "ntpguard (%s) knows layouts up to %u and leaves them alone. Use "
			 "ntpguard %s or newer (to go back to this version: `ntpguard "
			 "unload --all` with it, then load again)", p->pin_dir, l->version,
			 l->meta.version[0] ? l->meta.version : "(unknown)", NG_VERSION,
			 NG_LAYOUT_VERSION, l->meta.version[0] ? l->meta.version : "(unknown)");
		return 0;
	}
	if (check_shapes(p, l))
		return -1;
	l->migrate = l->usable && l->version < NG_LAYOUT_VERSION;
	return 0;
}

void ng_layout_describe(const struct ng_layout *l, char *buf, size_t len)
{
	if (!l->pinned)
		snprintf(buf, len, "no pins");
	else if (l->version == 1)
		snprintf(buf, len, "layout 1 (before layout versions)");
	else if (l->meta.version[0])
		snprintf(buf, len, "layout %u (written by ntpguard %s)", l->version,
			 l->meta.version);
	else
		snprintf(buf, len, "layout %u", l->version);
}

/* ---- writing it ------------------------------------------------------------ */

static int write_meta(int fd, __u32 from)
{
	struct ng_meta m = {
		.magic = NG_META_MAGIC, .layout = NG_LAYOUT_VERSION,
		.created_at = (__u64)time(NULL), .from_layout = from,
	};
	__u32 zero = 0;

	snprintf(m.version, sizeof(m.version), "%s", NG_VERSION);
	return bpf_map_update_elem(fd, &zero, &m, BPF_ANY) ? -errno : 0;
}

int ng_layout_stamp(const struct ng_paths *p)
{
	struct ng_meta m;
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd, err = 0;

	if (meta_path(p, path, sizeof(path)))
		return -1;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		ng_err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (bpf_map_lookup_elem(fd, &zero, &m))
		err = -errno;
	else if (m.magic == 0)
		err = write_meta(fd, 0);
	close(fd);
	if (err)
		ng_err("cannot record the layout in %s: %s", path, strerror(-err));
	return err ? -1 : 0;
}

/* Every map of this binary's object that is not pinned yet, created (with
 * its BTF, as a load would) and pinned; the pinned ones are reused, no
 * program is loaded. */
static int create_missing_maps(const struct ng_paths *p)
{
	struct ntpguard_bpf *obj = open_object(p);
	int err;

	if (!obj)
		return -errno;
	bpf_program__set_autoload(obj->progs.NG_PROG_XDP, false);
	bpf_program__set_autoload(obj->progs.NG_PROG_TC, false);
	err = ntpguard_bpf__load(obj);
	ntpguard_bpf__destroy(obj);
	return err;
}

static int open_pin(const struct ng_paths *p, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", p->pin_dir, name);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

/* Is a family's trie holding anything? */
static bool trie_used(const struct ng_paths *p, const char *name)
{
	unsigned char key[sizeof(struct ng_lpm_v6)];
	char path[PATH_MAX];
	bool used;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", p->pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	used = !bpf_map_get_next_key(fd, NULL, key);
	close(fd);
	return used;
}

/*
 * 1 -> 2: create NG_MAP_META. Pins of layout 1 may predate NG_MAP_ALLOW_USED
 * too: a program loaded now would find it missing, create it zeroed and skip
 * the allow-list; it is created from the tries' contents instead. Records
 * keep build 0 ("attached by an older ntpguard"): load and apply replace
 * those programs.
 */
static int migrate_1_to_2(const struct ng_paths *p, char *did, size_t len)
{
	int used = open_pin(p, NG_STR(NG_MAP_ALLOW_USED)), meta, err = 0;
	bool had_used = used >= 0;
	size_t n = 0;

	if (had_used)
		close(used);
	err = create_missing_maps(p);
	if (err)
		return err;
	if (!had_used) {
		used = open_pin(p, NG_STR(NG_MAP_ALLOW_USED));
		if (used < 0)
			return used;
		for (__u32 f = 0; f < NG_ALLOW_FAMILIES && !err; f++) {
			__u32 v = trie_used(p, f ? NG_STR(NG_MAP_ALLOW_V6) :
					     NG_STR(NG_MAP_ALLOW_V4)) ? NG_USED_ALLOW : 0;

			if (bpf_map_update_elem(used, &f, &v, BPF_ANY))
				err = -errno;
		}
		close(used);
		n += (size_t)snprintf(did + n, len - n, "%s created from the allow-lists, ",
				      NG_STR(NG_MAP_ALLOW_USED));
	}
	meta = open_pin(p, NG_STR(NG_MAP_META));
	if (!err && meta < 0)
		err = meta;
	if (!err)
		err = write_meta(meta, 1);
	if (meta >= 0)
		close(meta);
	if (!err)
		snprintf(did + n, len - n, "%s created", NG_STR(NG_MAP_META));
	return err;
}

int ng_layout_migrate(const struct ng_paths *p, const struct ng_layout *l)
{
	char did[256] = "";
	int err = 0;

	if (!l->pinned || !l->migrate)
		return 0;
	if (l->version == 1)
		err = migrate_1_to_2(p, did, sizeof(did));
	else
		err = -EINVAL;  /* ng_layout_read() accepts no other */
	if (err) {
		ng_err("cannot migrate the pins in %s from layout %u to %u: %s", p->pin_dir,
		       l->version, NG_LAYOUT_VERSION, strerror(-err));
		return -1;
	}
	ng_info("pins in %s: migrated from layout %u to %u (%s); programs attached by "
		"the older ntpguard are replaced when loaded or applied again",
		p->pin_dir, l->version, NG_LAYOUT_VERSION, did);
	return 0;
}
