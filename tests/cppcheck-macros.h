/* Definitions of libbpf/libxdp function-like macros for cppcheck (`make
 * lint`), which does not read system headers. Not used by any build. */
#define DECLARE_LIBBPF_OPTS(TYPE, NAME, ...) \
	struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }
#define LIBBPF_OPTS DECLARE_LIBBPF_OPTS
#define DECLARE_LIBXDP_OPTS DECLARE_LIBBPF_OPTS
#define bpf_object__for_each_map(pos, obj) \
	for ((pos) = bpf_object__next_map((obj), NULL); (pos); \
	     (pos) = bpf_object__next_map((obj), (pos)))
#define bpf_object__for_each_program(pos, obj) \
	for ((pos) = bpf_object__next_program((obj), NULL); (pos); \
	     (pos) = bpf_object__next_program((obj), (pos)))
