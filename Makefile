# azdedup — plain make, no configure step.
#   make            build the library and the six tools into $(BUILD)/bin
#   make check      install missing packages, build, run every test
#   make check-dates  dedupe's end-to-end tests with their files dated a second apart
#   make demo       install missing packages, build, run the pipeline on examples/
#   make bench      benchmarks (tables on stdout; never part of check)
#   make eval       accuracy on known variants of the example photos (tables)
#   make fuzz       libFuzzer runs of the decoders (FUZZ_SECONDS each)
#   make install    PREFIX, DESTDIR honoured; make uninstall removes what it put
#   make SAN=1 ...  build into build-san with AddressSanitizer + UBSan
#   make tsan       ThreadSanitizer (build-tsan) on the threaded parts' tests
#   make WERROR=1   warnings are errors (CI)

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
# where the tools look for the CUDA plugin: ../lib/azdedup from their own folder
PLUGINDIR = $(dir $(BINDIR))lib/azdedup
CC      ?= cc
CFLAGS  ?= -O2 -g
PKG_CONFIG ?= pkg-config

ifeq ($(SAN),1)
BUILD   ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(SAN),thread)
BUILD   ?= build-tsan
SANFLAGS = -fsanitize=thread -fno-omit-frame-pointer
else
BUILD   ?= build
SANFLAGS =
endif

PKGS     = jansson libcurl libpng libwebp libwebpdemux zlib openssl expat libtiff-4 libheif
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
ifeq ($(WERROR),1)
WARN    += -Werror
endif
DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# libheif and libcurl are not linked: lib/image/heif.c opens libheif on the first HEIF or
# AVIF file, lib/storage/http.c libcurl on the first request (each with what it links
# costs every start of a tool several ms of CPU otherwise); only test_decode, which
# encodes HEIF and AVIF with libheif, links it
DEP_LIBS   := $(shell $(PKG_CONFIG) --libs $(filter-out libheif libcurl,$(PKGS)) 2>/dev/null) -ljpeg -lgif -lpthread -ldl -lm
HEIF_LIBS  := $(shell $(PKG_CONFIG) --libs libheif 2>/dev/null)
# lib/ by layer, each folder a job (its README says which): base (errors, logging, safe
# file writes, the memory budget), records (the NDJSON record and the tools' filter
# loop), storage (the local and Azure backends behind one dispatcher; the Azure one in
# its own folder, storage/azure), image (format decoders), features (hashes, keypoints,
# the GPU plugin's loader), match (the multi-index search and grouping), featstore (the
# feature store), report (dedupe's report writers).  Each folder goes on the quote path:
# modules include each other by plain name.
LIB_DIRS = base records storage storage/azure image features match featstore report
LIB_INC  = $(LIB_DIRS:%=-iquote lib/%)
ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) $(LIB_INC) $(DEP_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

TOOLS    = azls azget featx featstore dedupe azcp
LIB_SRC  = $(sort $(foreach d,$(LIB_DIRS),$(wildcard lib/$(d)/*.c)))
LIB_OBJ  = $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o)
LIBA     = $(BUILD)/libazdedup.a
BINS     = $(TOOLS:%=$(BUILD)/bin/%)
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRC = $(sort $(wildcard tests/helpers/*.c))
HELPER_BIN = $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)

.PHONY: all check check-dates check-cluster unit e2e demo bench eval fuzz tsan install uninstall clean deps test-deps examples

all: $(BINS)

$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# the review page's script and style (lib/report/review.js, review.css) as C strings for
# lib/report/report_html.c
$(BUILD)/gen/review_assets.h: lib/report/review.css lib/report/review.js lib/report/embed.awk
	@mkdir -p $(@D)
	awk -f lib/report/embed.awk lib/report/review.css lib/report/review.js > $@.tmp && mv $@.tmp $@
$(BUILD)/lib/report/report_html.o: $(BUILD)/gen/review_assets.h
$(BUILD)/lib/report/report_html.o: ALL_CFLAGS += -iquote $(BUILD)/gen

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/tools/%.o $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(DEP_LIBS)

$(BUILD)/tests/%.o: tests/unit/%.c tests/unit/unit.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -iquote tests/unit -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIBA)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(DEP_LIBS)
$(BUILD)/tests/test_decode: DEP_LIBS += $(HEIF_LIBS)

$(BUILD)/tests/helpers/%: tests/helpers/%.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(DEP_LIBS)

# --- CUDA (kernels/*.cu, lib/features/gpu.c) -----------------------------------------------------
# Only where nvcc is found; `make NVCC=` or `make CUDA=0` is the plain CPU build, and
# lib/features/gpu.c then answers every call with "built without CUDA".  The kernels must not
# fuse multiply-adds (-fmad=false): they are bit-for-bit copies of lib/features/hash.c's sums.
# The kernels and their CUDA runtime calls go into a plugin, $(CUDA_PLUGIN), linked
# against libcudart; lib/features/gpu.c (built with -DAZD_CUDA) dlopens it on the first
# --device cuda, so the tools never link cudart and one build runs with or without it.
# $(BUILD)/cuda.stamp records the setting: switching it rebuilds lib/gpu.o and relinks.
ifeq ($(CUDA),0)
NVCC :=
endif
ifeq ($(origin NVCC),undefined)
NVCC := $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
endif
CUDA_ARCH ?= 75 80 86 89 90
NVCCFLAGS ?= -O3
CU_SRC     = $(sort $(wildcard kernels/*.cu))
CU_OBJ     = $(CU_SRC:kernels/%.cu=$(BUILD)/kernels/%.o)
CUDA_PLUGIN = $(BUILD)/lib/azdedup/azdedup-cuda.so
CUDA_STAMP  = $(BUILD)/cuda.stamp
ALL_NVCCFLAGS = -std=c++17 $(NVCCFLAGS) -fmad=false \
  $(foreach a,$(CUDA_ARCH),-gencode arch=compute_$(a),code=sm_$(a)) \
  -gencode arch=compute_90,code=compute_90 \
  -Xcompiler -fPIC,-fvisibility=hidden,-Wall,-Wextra$(if $(filter 1,$(WERROR)),$(comma)-Werror) -MMD -MP
comma := ,
.PHONY: cuda-check cuda-stamp-force
$(CUDA_STAMP): cuda-stamp-force
	@mkdir -p $(@D)
	@echo 'NVCC=$(NVCC)' | cmp -s - $@ || echo 'NVCC=$(NVCC)' > $@
$(BUILD)/lib/features/gpu.o: $(CUDA_STAMP)
ifneq ($(NVCC),)
CUDA_HOME ?= $(patsubst %/bin/,%,$(dir $(realpath $(NVCC))))
$(BUILD)/kernels/%.o: kernels/%.cu kernels/azk.h
	@mkdir -p $(@D)
	$(NVCC) $(ALL_NVCCFLAGS) -c -o $@ $<
$(CUDA_PLUGIN): $(CU_OBJ)
	@mkdir -p $(@D)
	$(NVCC) -shared -cudart shared -Xlinker -rpath,$(CUDA_HOME)/lib64 -o $@ $(CU_OBJ) -ldl
all unit e2e: $(CUDA_PLUGIN)
$(BUILD)/lib/features/gpu.o: ALL_CFLAGS += -DAZD_CUDA
cuda-check: $(CUDA_PLUGIN)
	@echo "cuda-check: $(CU_SRC) compiled for sm $(CUDA_ARCH) into $(CUDA_PLUGIN)"
-include $(CU_OBJ:.o=.d)
else
CUDA_PLUGIN :=
cuda-check:
	@echo "cuda-check: nvcc not found (set NVCC=/path/to/nvcc)"; exit 1
endif
# --- end CUDA ---------------------------------------------------------------------------

# (lib/'s folders go on the quote path only: lib/features/features.h must never shadow
# <features.h>.)

# Debian packages, installed only when missing: DEB_PKGS what building and `make demo`
# need (the compiler, the libraries, examples/demo.sh's python3-pil and jq); `make check`
# adds TEST_DEB_PKGS, what the tests call (decoders' command-line tools, groff for the
# man pages, chromium for the HTML report, ...) and Azurite, the Azure Storage emulator,
# from npm (locked versions, with Node when missing).  CUDA is never installed: the
# kernels are built only where nvcc already is.
DEB_PKGS = build-essential pkg-config libcurl4-openssl-dev libssl-dev libjpeg62-turbo-dev \
           libpng-dev libwebp-dev zlib1g-dev libjansson-dev libexpat1-dev \
           libgif-dev libtiff-dev libheif-dev python3 python3-pil jq
TEST_DEB_PKGS = libjpeg-turbo-progs webp libheif-examples groff-base openssl time chromium file python3-yaml python3-numpy fonts-dejavu-core
define deb_install
missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef
deps:
	@$(call deb_install,$(DEB_PKGS))
test-deps: deps
	@$(call deb_install,$(TEST_DEB_PKGS))
	@if [ ! -x tests/azurite/node_modules/.bin/azurite-blob ]; then \
	  if ! command -v npm > /dev/null; then \
	    echo "installing: nodejs npm"; \
	    SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; \
	  fi; \
	  echo "installing: azurite (npm ci in tests/azurite)"; \
	  npm ci --prefix tests/azurite --no-audit --no-fund --loglevel=error > /dev/null; \
	fi

unit: $(UNIT_BIN) $(HELPER_BIN) $(BINS)
e2e: $(BINS) $(HELPER_BIN)

check: test-deps
	@$(MAKE) --no-print-directory all unit
	@BUILD=$(BUILD) sh tests/run.sh

# The end-to-end tests of dedupe's decisions again, with each test's files dated a second
# apart in the order written (TEST_DATES=spread: tests/e2e/spreaddates.py), then in runs
# sharing a second with the clock turning at places drawn from a fixed seed
# (TEST_DATES=ticks:1): the keep policy ranks older files first, to the second, and a
# test must pass whether its files were written within one second or across many, and
# wherever the second turns.  CI runs it after check.
DATES_E2E = $(basename $(notdir $(sort $(wildcard tests/e2e/t05*.sh))))
check-dates: test-deps
	@$(MAKE) --no-print-directory all
	@TEST_DATES=spread UNIT_TESTS="" E2E_TESTS="$(DATES_E2E)" BUILD=$(BUILD) sh tests/run.sh
	@TEST_DATES=ticks:1 UNIT_TESTS="" E2E_TESTS="$(DATES_E2E)" BUILD=$(BUILD) sh tests/run.sh

# The cluster recipes (examples/slurm, examples/k8s) on a real single-node Slurm that
# each test in tests/cluster starts itself (munged, slurmctld, slurmd on free ports, all
# under its temporary folder, stopped at exit), against Azurite.  Needs root; installs
# slurm-wlm and munge when missing.  Not part of check: CI runs it on its own.
CLUSTER_DEB_PKGS = slurm-wlm munge
check-cluster: test-deps
	@$(call deb_install,$(CLUSTER_DEB_PKGS))
	@$(MAKE) --no-print-directory all
	@fail=0; for t in tests/cluster/t*.sh; do \
	  echo "== $$t"; BUILD=$(BUILD) sh $$t > $(BUILD)/$$(basename $$t .sh).log 2>&1; rc=$$?; \
	  grep -v '^ok ' $(BUILD)/$$(basename $$t .sh).log; \
	  tail -n 1 $(BUILD)/$$(basename $$t .sh).log | grep -Eq '^[0-9]+ passed, 0 failed' && [ $$rc -eq 0 ] || fail=1; \
	done; exit $$fail

# ThreadSanitizer on the threaded parts: the record window (lib/records/filter.c, dedupe's
# reader in its collect mode), the keypoint cache, the multi-index search, the HTTP pool
# and the transfer workers, through their unit tests and end-to-end scripts that run them
# with -j/-P > 1.
# Any report fails the run (tests/tsan.supp holds only third-party reports, each said why).
TSAN_UNIT = test_mih test_kpcache test_featmemo test_http test_group test_keypoints test_membudget test_storage test_filter
TSAN_E2E  = t0200-azget t0250-featx t0400-featstore t0500-dedupe t0540-template t0600-azcp
tsan: deps
	@$(MAKE) --no-print-directory SAN=thread all unit
	@TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  UNIT_TESTS="$(TSAN_UNIT)" E2E_TESTS="$(TSAN_E2E)" BUILD=build-tsan sh tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) sh examples/demo.sh

# what make eval needs besides DEB_PKGS (the sets of one kind: pdftoppm for the pages,
# numpy for the generated sets and the scan-like variants, a TrueType font for captions,
# scipy and PyWavelets for ImageHash when IMAGEHASH_SRC names a checkout of it); the
# images themselves come from the packages evalsets.py names, downloaded and unpacked
# under build/eval by eval.sh, never installed.  SETS=pages,nightsky runs a few sets.
EVAL_DEB_PKGS = poppler-utils python3-numpy python3-scipy python3-pywt fonts-dejavu-core
eval: deps
	@$(call deb_install,$(EVAL_DEB_PKGS))
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) $(if $(SETS),SETS=$(SETS)) sh tests/bench/eval.sh

bench: test-deps
	@$(MAKE) --no-print-directory all $(HELPER_BIN)
	@BUILD=$(BUILD) sh tests/bench/run.sh

# libFuzzer targets for the decoders, each run FUZZ_SECONDS on the example photos as
# seeds, and for the other outside inputs (NDJSON records, a store segment, a List Blobs
# page, packed keypoints) and the HEIF box walk on tests/fuzz/seeds/<target> (clang and
# its fuzzer runtime are installed when missing); CI runs it briefly.  FUZZ_TARGETS=...
# picks some.
FUZZ_SECONDS ?= 20
FUZZ_TARGETS ?= jpeg png webp gif tiff heif bmp exif features rec featstore listing keypoints bmff
FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=undefined
fuzz:
	@command -v clang > /dev/null && [ -n "$$(find /usr/lib/llvm-*/lib/clang -name 'libclang_rt.fuzzer-x86_64.a' 2>/dev/null)" ] || { \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends clang libclang-rt-dev > /dev/null || \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev > /dev/null; }
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang SAN= \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" build-fuzz/libazdedup.a
	@mkdir -p build-fuzz/corpus
	@set -e; for t in $(FUZZ_TARGETS); do \
	  T=$$(echo $$t | tr a-z A-Z); \
	  clang -std=c11 -D_GNU_SOURCE -O1 -g -DTARGET_$$T $(LIB_INC) $(DEP_CFLAGS) \
	    -fsanitize=fuzzer $(FUZZ_SAN) -o build-fuzz/fuzz_$$t tests/fuzz/fuzz.c \
	    build-fuzz/libazdedup.a $(DEP_LIBS); \
	  mkdir -p build-fuzz/corpus/$$t; \
	  case $$t in rec|featstore|listing|keypoints|bmff) ;; *) cp examples/photos/* build-fuzz/corpus/$$t/ ;; esac; \
	  if [ -d tests/fuzz/seeds/$$t ]; then cp tests/fuzz/seeds/$$t/* build-fuzz/corpus/$$t/; fi; \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=300000 -rss_limit_mb=2048 -print_final_stats=1 build-fuzz/corpus/$$t \
	    > build-fuzz/fuzz_$$t.log 2>&1 || { tail -40 build-fuzz/fuzz_$$t.log; exit 1; }; \
	  grep -E '^(stat::number_of_executed_units|Done)' build-fuzz/fuzz_$$t.log; \
	done

# make install: the tools, every man page, pipeline.mk in $(DATADIR)/azdedup (it runs the
# tools in its ../../bin when they are there, else the ones on PATH) and, in a CUDA build,
# the plugin in $(PLUGINDIR), where the tools look for it.  make uninstall removes that.
MAN_PAGES = $(sort $(wildcard man/*.[157]))
# the tools' objects are kept (not deleted as intermediates after a first build), so that
# make install after make relinks nothing, whatever flags (SAN=1) that build had
.SECONDARY: $(TOOLS:%=$(BUILD)/tools/%.o)
install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	  $(DESTDIR)$(DATADIR)/azdedup
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 644 pipeline.mk $(DESTDIR)$(DATADIR)/azdedup/
ifneq ($(CUDA_PLUGIN),)
	mkdir -p $(DESTDIR)$(PLUGINDIR)
	install -m 755 $(CUDA_PLUGIN) $(DESTDIR)$(PLUGINDIR)/
endif

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(foreach m,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
	rm -f $(DESTDIR)$(DATADIR)/azdedup/pipeline.mk $(DESTDIR)$(PLUGINDIR)/azdedup-cuda.so
	-rmdir $(DESTDIR)$(DATADIR)/azdedup $(DESTDIR)$(PLUGINDIR) 2> /dev/null

clean:
	rm -rf build build-san build-tsan build-fuzz

-include $(LIB_OBJ:.o=.d) $(BINS:$(BUILD)/bin/%=$(BUILD)/tools/%.d) $(UNIT_BIN:=.d)
