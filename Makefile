# ntpguard - XDP filter against NTP mode 7 (monlist) reflection.
#
#   make            build build/ntpguard (BPF object embedded as a skeleton)
#   make deps       install the Debian packages the build and tests need
#   make demo       the demo network in namespaces (README's first command)
#   make test       every test (README's second command)
#   make bench      the performance comparison (bench/run.sh; results in
#                   build/bench/results.md)
#   make diff       differential test, BPF program vs reference classifier
#                   (DIFF_FRAMES frames per policy, default 1000000; DIFF_SEED)
#   make fuzz       every libFuzzer target in tests/fuzz/ for FUZZ_SECONDS each
#   make docs       man pages ntpguard(8), ntpguard.conf(5), bash completion
#   make readme     rewrite the README's command reference from the sources
#   make install    binary, units, example config, man pages, completion,
#                   alert rules; DESTDIR, PREFIX (default /usr/local) and the
#                   directories below may be set
#   make deb        the Debian package (dpkg-buildpackage -us -uc -b), in ..
#   make bench-apply  apply with BENCH_PREFIXES prefixes (default 100000)
#
# Layout follows libbpf-bootstrap: all outputs under $(OUTPUT), `V=1` shows
# the commands, intermediate files are kept.

OUTPUT  ?= build
CLANG   ?= clang
BPFTOOL ?= bpftool
CC      ?= gcc
ARCH    := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/;s/ppc64le/powerpc/;s/mips.*/mips/')

ifndef VERSION
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
endif

# Installation (make install; debian/rules sets them for the package).
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions

CFLAGS  ?= -O2 -g
CFLAGS  += -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -Iheaders -I$(OUTPUT)
# valgrind's client requests, where its header is installed (user/lib/state.c
# marks what the kernel filled through bpf() commands valgrind does not model)
ifneq ($(wildcard /usr/include/valgrind/memcheck.h),)
CFLAGS  += -DNG_HAVE_VALGRIND
endif
# make SANITIZE=1 CC=clang OUTPUT=build/asan: the CLI and the test runners
# built with AddressSanitizer and UndefinedBehaviorSanitizer (tests/sanitize.sh
# runs every suite against that build and sums up the reports).
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
endif
LDLIBS  := -lxdp -lbpf -lelf -lz -lm

# Clang's own system include dirs, so the BPF target finds asm/types.h.
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra \
	      -Iheaders $(CLANG_BPF_SYS_INCLUDES)

HEADERS   := $(wildcard headers/*.h)
# The CLI: user/main.c dispatches to user/cmd/ (one file per command), which
# use user/lib/ (shared modules; they never include a command's header).
USER_DIRS := user user/cmd user/lib
USER_SRCS := $(foreach d,$(USER_DIRS),$(wildcard $(d)/*.c))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
USER_HDRS := $(foreach d,$(USER_DIRS),$(wildcard $(d)/*.h))
USER_INC  := -Iuser/lib

BENCH_BINS := $(OUTPUT)/bench/bench $(OUTPUT)/bench/floodgen $(OUTPUT)/bench/baseline.bpf.o \
	      $(OUTPUT)/bench/flood.bpf.o
# Debian's xdp-tools installs xdp-filter's BPF objects here.
XDP_FILTER_DIR ?= /usr/lib/$(shell $(CC) -print-multiarch 2>/dev/null)/bpf

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all deps demo test bench bench-apply diff fuzz fuzz-bins lint clean FORCE \
	docs readme check-readme install uninstall deb
all: $(OUTPUT)/ntpguard

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests $(OUTPUT)/bench:
	$(Q)mkdir -p $@

# One BPF object; BTF kept (-g): libxdp reads the run config from it. It
# holds the version string (version.h), so every version's program differs.
%/ntpguard.bpf.o: bpf/ntpguard.bpf.c $(HEADERS) %/version.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -I$* -c $< -o $@

# libbpf (inside bpftool) notes that it does not know libxdp's
# .xdp_run_config section; that is expected, everything else is shown.
%/ntpguard.skel.h: %/ntpguard.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name ntpguard_bpf > $@ 2> $@.err; rc=$$?; \
	grep -v 'unrecognized data section.*\.xdp_run_config' $@.err >&2; \
	rm -f $@.err; exit $$rc

# The version lives in one generated header, rewritten only when it changes,
# so every object that shows it agrees and rebuilds when HEAD moves.
$(OUTPUT)/version.h: FORCE | $(OUTPUT)
	$(Q)v=$$(printf '#define NG_VERSION "%s"\n#define NG_CONFIG_PATH "%s"' \
		'$(VERSION)' '$(SYSCONFDIR)/ntpguard/ntpguard.conf'); \
	[ "$$(cat $@ 2>/dev/null)" = "$$v" ] || echo "$$v" > $@
FORCE:

# The notice text (data/reflector-notice.txt) as a C string: built in, so
# `reflectors --notice` needs no installed file.
$(OUTPUT)/notice_template.h: data/reflector-notice.txt | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q){ echo '/* generated from $< */'; echo 'static const char ng_notice_builtin[] ='; \
	  sed 's/\\/\\\\/g; s/"/\\"/g; s/^/\t"/; s/$$/\\n"/' $<; echo ';'; } > $@

$(OUTPUT)/user/lib/notice.o: $(OUTPUT)/notice_template.h

$(OUTPUT)/user/%.o: user/%.c $(OUTPUT)/ntpguard.skel.h $(OUTPUT)/version.h $(HEADERS) $(USER_HDRS) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(USER_INC) -c $< -o $@

$(OUTPUT)/ntpguard: $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---- documentation: one source (doc/, the option tables) ----------------------
PYTHON ?= python3
PANDOC ?= pandoc
DOCDIR := $(OUTPUT)/doc
DOC_SRCS := $(wildcard doc/*.md doc/commands/*.md) scripts/gendoc.py Makefile
MANS := $(DOCDIR)/ntpguard.8 $(DOCDIR)/ntpguard.conf.5

$(DOCDIR):
	$(Q)mkdir -p $@

# What the option tables say, for the generator.
$(DOCDIR)/cli.json: $(OUTPUT)/ntpguard | $(DOCDIR)
	$(Q)$(OUTPUT)/ntpguard help --json > $@

$(DOCDIR)/ntpguard.8: $(DOCDIR)/cli.json $(DOC_SRCS)
	$(call msg,MAN,$@)
	$(Q)$(PYTHON) scripts/gendoc.py man8 $< | $(PANDOC) -s -f markdown-smart -t man -o $@

$(DOCDIR)/ntpguard.conf.5: $(DOCDIR)/cli.json $(DOC_SRCS)
	$(call msg,MAN,$@)
	$(Q)$(PYTHON) scripts/gendoc.py man5 $< | $(PANDOC) -s -f markdown-smart -t man -o $@

$(DOCDIR)/ntpguard.bash: $(DOCDIR)/cli.json scripts/gendoc.py
	$(call msg,GEN,$@)
	$(Q)$(PYTHON) scripts/gendoc.py bash $< > $@

docs: $(MANS) $(DOCDIR)/ntpguard.bash

readme: $(DOCDIR)/cli.json
	$(PYTHON) scripts/gendoc.py readme --write $< README.md

check-readme: $(DOCDIR)/cli.json
	$(PYTHON) scripts/gendoc.py readme $< README.md

# ---- install ---------------------------------------------------------------------
# The units name the binary and the configuration where this install puts
# them. The example configuration is installed only where none exists yet
# (or into a DESTDIR staging tree), never over an administrator's file.
UNITS := ntpguard.service ntpguard-watch.service ntpguard-export.service

install: all docs
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DATADIR)/ntpguard \
		$(DESTDIR)$(SYSCONFDIR)/ntpguard
	install -m 0755 $(OUTPUT)/ntpguard $(DESTDIR)$(SBINDIR)/ntpguard
	for u in $(UNITS); do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' \
		    -e 's|@CONFIG@|$(SYSCONFDIR)/ntpguard/ntpguard.conf|g' \
		    dist/systemd/$$u.in > $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 $(DOCDIR)/ntpguard.8 $(DESTDIR)$(MANDIR)/man8/ntpguard.8
	install -m 0644 $(DOCDIR)/ntpguard.conf.5 $(DESTDIR)$(MANDIR)/man5/ntpguard.conf.5
	install -m 0644 $(DOCDIR)/ntpguard.bash $(DESTDIR)$(BASHCOMPDIR)/ntpguard
	install -m 0644 scripts/ntpguard-alerts.yml $(DESTDIR)$(DATADIR)/ntpguard/ntpguard-alerts.yml
	install -m 0644 dist/ntpguard.conf $(DESTDIR)$(DATADIR)/ntpguard/ntpguard.conf.example
	@if [ -n "$(DESTDIR)" ] || [ ! -e $(SYSCONFDIR)/ntpguard/ntpguard.conf ]; then \
		install -m 0644 dist/ntpguard.conf $(DESTDIR)$(SYSCONFDIR)/ntpguard/ntpguard.conf; \
	else \
		echo "kept $(SYSCONFDIR)/ntpguard/ntpguard.conf (the example is $(DATADIR)/ntpguard/ntpguard.conf.example)"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ntpguard $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) \
		$(DESTDIR)$(MANDIR)/man8/ntpguard.8 $(DESTDIR)$(MANDIR)/man5/ntpguard.conf.5 \
		$(DESTDIR)$(BASHCOMPDIR)/ntpguard
	rm -rf $(DESTDIR)$(DATADIR)/ntpguard

deb:
	dpkg-buildpackage -us -uc -b

# ---- a second build, for the upgrade tests -----------------------------------
# The same sources with "+next" appended to the version inside the BPF
# object: another program build (ng_build_id()), as a package upgrade
# brings. Only the object and the two files that embed it are built again;
# the rest is linked from the first build.
NEXT      := $(OUTPUT)/next
NEXT_OBJS := user/lib/attach.o user/lib/layout.o

$(NEXT)/version.h: $(OUTPUT)/version.h
	$(Q)mkdir -p $(@D)
	$(Q)sed 's/^\(#define NG_VERSION "[^"]*\)"/\1+next"/' $< > $@

$(NEXT)/user/%.o: user/%.c $(NEXT)/ntpguard.skel.h $(NEXT)/version.h $(HEADERS) $(USER_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -I$(NEXT) $(CPPFLAGS) $(CFLAGS) $(USER_INC) -c $< -o $@

$(NEXT)/ntpguard: $(filter-out $(addprefix $(OUTPUT)/,$(NEXT_OBJS)),$(USER_OBJS)) \
		  $(addprefix $(NEXT)/,$(NEXT_OBJS))
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---- tests -----------------------------------------------------------
# bpf_unit and bpf_policy share one loader, and write policies through the
# CLI's own code (ng_policy_commit), so they link its policy and common objects;
# bpf_reflectors uses the loader's setup (ngt_init) and links the same.
TEST_LOADER    := tests/bpf_loader.c tests/bpf_loader.h
TEST_USER_OBJS := $(filter %/lib/policy.o %/lib/parse.o %/lib/common.o,$(USER_OBJS))

$(OUTPUT)/tests/bpf_unit $(OUTPUT)/tests/bpf_policy: $(OUTPUT)/tests/%: tests/%.c $(TEST_LOADER) \
		$(TEST_USER_OBJS) $(OUTPUT)/ntpguard.skel.h $(HEADERS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(USER_INC) -Itests $< tests/bpf_loader.c $(TEST_USER_OBJS) $(LDLIBS) -o $@

$(OUTPUT)/tests/bpf_reflectors: tests/bpf_reflectors.c $(TEST_LOADER) $(TEST_USER_OBJS) \
		$(OUTPUT)/ntpguard.skel.h $(HEADERS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(USER_INC) -Itests $< tests/bpf_loader.c $(TEST_USER_OBJS) $(LDLIBS) -lm -o $@

# ---- bench -----------------------------------------------------------
$(OUTPUT)/bench/%.bpf.o: bench/bpf/%.bpf.c $(HEADERS) | $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/bench/bench: bench/bench.c bench/pathlen.c bench/pathlen.h $(OUTPUT)/version.h $(HEADERS) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -DXDP_FILTER_DIR='"$(XDP_FILTER_DIR)"' bench/bench.c bench/pathlen.c $(LDLIBS) -o $@

$(OUTPUT)/bench/floodgen: bench/floodgen.c | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -o $@

$(OUTPUT)/tests/diff_run: tests/diff/diff_run.c $(OUTPUT)/ntpguard.skel.h $(HEADERS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -o $@

$(OUTPUT)/tests/verifier_stats: tests/verifier_stats.c $(OUTPUT)/ntpguard.skel.h | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -o $@

# Test-only LD_PRELOAD shim: makes the kernel reject ntpguard_xdp (tests/verifier.sh).
$(OUTPUT)/tests/reject_preload.so: tests/reject_preload.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -shared -fPIC $< -ldl -o $@

$(OUTPUT)/tests/ntpresponder: tests/ntpresponder.c $(HEADERS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(OUTPUT)/tests/ngflow: tests/ngflow.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

test-bins: $(OUTPUT)/ntpguard $(OUTPUT)/tests/bpf_unit $(OUTPUT)/tests/bpf_policy $(OUTPUT)/tests/bpf_reflectors \
	   $(BENCH_BINS) $(OUTPUT)/tests/diff_run $(OUTPUT)/tests/verifier_stats \
	   $(OUTPUT)/tests/reject_preload.so \
	   $(OUTPUT)/tests/ngflow $(NEXT)/ntpguard

deps:
	scripts/deps.sh

demo:
	scripts/demo.sh

test:
	tests/run-all.sh

# BENCH_ARGS: e.g. BENCH_ARGS="--quick" or "--only packet" (bench/run.sh --help)
# (bench/run.sh installs what is missing and builds, as tests/run-all.sh does)
bench:
	bench/run.sh $(BENCH_ARGS)

# apply with a large allow-list (BENCH_PREFIXES, default 100000)
BENCH_PREFIXES ?= 100000
bench-apply: $(OUTPUT)/ntpguard
	bench/apply.sh $(BENCH_PREFIXES)

# ---- fuzzing: one libFuzzer binary per tests/fuzz/fuzz_NAME.c ---------------
# A target needing more sources or libraries lists them here.
AUDIT_SRCS := $(addprefix user/lib/,audit.c audit_model.c audit_version.c audit_ntp_scan.c \
	      audit_ntp.c audit_restrict.c audit_chrony.c audit_reach.c audit_eval.c audit_report.c)
FUZZ_EXTRA_fuzz_audit := $(AUDIT_SRCS) user/lib/common.c
FUZZ_EXTRA_fuzz_check := user/lib/probe.c

FUZZ_SECONDS ?= 60
FUZZ_SEED    ?= 0
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Wall -Wextra -std=gnu11 -D_GNU_SOURCE -Iheaders -I$(OUTPUT) $(USER_INC)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

$(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

.SECONDEXPANSION:
$(OUTPUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_EXTRA_fuzz_$$*) $(HEADERS) $(USER_HDRS) \
		$(OUTPUT)/version.h | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_EXTRA_fuzz_$*) $(FUZZ_LIBS_fuzz_$*) -o $@

fuzz-bins: $(FUZZ_BINS)

# fuzz_check.seeds records the test responder's replies
fuzz: fuzz-bins $(OUTPUT)/tests/ntpresponder
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_SEED)

DIFF_FRAMES ?= 1000000
DIFF_SEED   ?= 1
diff: test-bins
	tests/diff/run.sh $(DIFF_FRAMES) $(DIFF_SEED)

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem --include=tests/cppcheck-macros.h \
		-Iheaders -I$(OUTPUT) $(USER_INC) user/ tests/*.c tests/diff/*.c tests/fuzz/*.c bench/*.c

clean:
	rm -rf $(OUTPUT)

.DELETE_ON_ERROR:
.SECONDARY:
