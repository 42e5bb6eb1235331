# syslab: the front door. Every command a learner or an instructor types is a target here.
# `make help` lists them. Each target first runs tools/bootstrap.sh, which installs what is
# missing (NO_INSTALL=1: only say what it would install).

SHELL := /bin/bash
BUILD ?= build
PYTHON ?= python3
SYSLAB := $(PYTHON) tools/syslab
export SYSLAB_BUILD := $(abspath $(BUILD))

# Optional variables: LAB=NN, TEST=Suite.Name, FORMAT=json, FORCE=1, REPEAT=N, REFERENCE=02,04, STRICT=1
# make check: FAULTS=SEED (only the run under faults; FAULTS=0: none), FAULT_KINDS=short,eintr, TSAN=0
# make bench: BENCH=echo,http1,h2,seed,workers MODELS=iterative,epoll LEVELS=10,100 BENCH_SECONDS=3 QUICK=1 BENCH_BUILD=build-bench
LAB ?=
FORMAT ?= text
REPEAT ?= 1

.DEFAULT_GOAL := help
.PHONY: help bootstrap fresh build configure grade check watch hint test skeletons demo slides \
        slides-check slides-update slides-fit bench student-kit format format-check tsan clean

help:
	@echo "syslab: from getpid() to an HTTP/2 server, one small program at a time"
	@echo
	@echo "learners:"
	@echo "  make grade              grade every lab (FORMAT=json writes results.json)"
	@echo "  make check LAB=NN       one lab: every test with a verdict, a repro and a hint"
	@echo "  make watch LAB=NN       re-run the check on every save"
	@echo "  make hint LAB=NN        the next hint for the first failing test"
	@echo "  REFERENCE=02,04         (with check, grade or watch) build those labs from the reference"
	@echo "  FAULTS=SEED             (with check) the lab's tests under injected faults from that seed"
	@echo "                          (FAULTS=0: skip the run under faults; TSAN=0: the ThreadSanitizer run)"
	@echo
	@echo "everyone, CI:"
	@echo "  make test               all tests against the reference solutions, plus the skeleton checks"
	@echo "  make tsan [LAB=NN]      the thread labs' solutions under ThreadSanitizer (in build-tsan)"
	@echo
	@echo "instructors:"
	@echo "  make demo [LAB=NN]      the narrated live demo of a lab"
	@echo "  make slides             render every deck to HTML (and PDF where Chromium is present)"
	@echo "  make slides-update      refresh the decks' code from the solutions (slides-check: only look)"
	@echo "  make slides-fit         measure every slide in headless Chromium (needs chromium)"
	@echo "  make bench              the echo server models side by side: req/s, p50/p99, RSS, threads;"
	@echo "                          then httpd beside nginx, h2o and a floor (BENCH=http1: only that),"
	@echo "                          then over HTTP/2 beside nghttpd, h2o and nginx (BENCH=h2),"
	@echo "                          the seed's h1-vs-h2 table with Hypercorn (BENCH=seed) and"
	@echo "                          lab 14's --workers/--threads scaling (BENCH=workers)"
	@echo "                          (MODELS=a,b LEVELS=10,100 BENCH_SECONDS=3 QUICK=1; build-bench/bench/)"
	@echo "  make student-kit        a tarball without solutions"
	@echo "  make skeletons          regenerate labs/ from solutions/ (FORCE=1 overwrites edits)"
	@echo "  make format             clang-format the kit's C++ (format-check: only list what it would change)"

# Extra package groups for some targets (tools/bootstrap.sh lists them); prerequisites inherit them.
BOOTSTRAP_GROUPS :=
demo: BOOTSTRAP_GROUPS := demo
test: BOOTSTRAP_GROUPS := demo format bench browser
# Lab 13's tests load a page in Chromium: a check of lab 13, or of every lab, needs it.
check watch hint grade: BOOTSTRAP_GROUPS := $(if $(LAB),$(if $(filter 13%,$(LAB)),browser),browser)
slides: BOOTSTRAP_GROUPS := slides
bench: BOOTSTRAP_GROUPS := bench
format format-check: BOOTSTRAP_GROUPS := format

bootstrap:
	@bash tools/bootstrap.sh $(BOOTSTRAP_GROUPS)

# .fresh/: the skeletons generated afresh from solutions/ (meson builds them as the skeleton side).
fresh:
	@if [ -d solutions ]; then $(SYSLAB) skeletons --fresh-only; fi

# Configure once; a later REFERENCE=... on the command line changes the meson option (at once:
# a setting meson refuses is shown with its ERROR: lines and not kept; refused in a student kit).
$(BUILD)/build.ninja: | bootstrap fresh
	@meson setup $(BUILD) >/dev/null || meson setup --wipe $(BUILD)
	@ln -sf $(BUILD)/compile_commands.json compile_commands.json

configure: $(BUILD)/build.ninja fresh
ifeq ($(origin REFERENCE),command line)
	@$(SYSLAB) reference '$(REFERENCE)'
endif

build: bootstrap configure
	@ninja -C $(BUILD)

grade: bootstrap configure
	@$(SYSLAB) grade --format $(FORMAT)

check: bootstrap configure
	@$(SYSLAB) check $(LAB) --repeat $(REPEAT) $(if $(TEST),--test '$(TEST)') \
	  $(if $(FAULTS),--faults '$(FAULTS)') $(if $(FAULT_KINDS),--fault-kinds '$(FAULT_KINDS)') \
	  $(if $(TSAN),--tsan '$(TSAN)')

watch: bootstrap configure
	@$(SYSLAB) watch $(LAB)

hint: bootstrap configure
	@$(SYSLAB) hint $(LAB)

test: bootstrap configure
	@$(SYSLAB) test $(if $(STRICT),--strict)

# ThreadSanitizer cannot share a build with ASan: build-tsan holds the thread labs (tests/tsan-labs.txt)
tsan: bootstrap
	@$(SYSLAB) tsan $(LAB)

skeletons: bootstrap
	@$(SYSLAB) skeletons $(if $(FORCE),--force) $(LAB)

demo: bootstrap configure
	@$(SYSLAB) demo $(LAB)

slides: bootstrap
	@$(SYSLAB) slides

slides-check:
	@$(SYSLAB) slides-check

slides-update:
	@$(SYSLAB) slides-update

# The slides measured in headless Chromium (make test checks the budget; this is the truth).
slides-fit: bootstrap
	@$(SYSLAB) slides-fit --chromium

# Its own release build without sanitizers (BENCH_BUILD), configured by tools/kit/bench.py.
BENCH_BUILD ?= build-bench
bench: bootstrap fresh
	@$(SYSLAB) bench --build $(BENCH_BUILD) $(if $(BENCH),--sections '$(BENCH)') \
	  $(if $(MODELS),--models '$(MODELS)') \
	  $(if $(LEVELS),--levels '$(LEVELS)') $(if $(BENCH_SECONDS),--seconds '$(BENCH_SECONDS)') \
	  $(if $(filter-out 0,$(QUICK)),--quick)

student-kit: bootstrap
	@$(SYSLAB) student-kit

format: bootstrap
	@$(SYSLAB) format

# make test runs the same check as one of its phases.
format-check: bootstrap
	@$(SYSLAB) format-check $(if $(DIFF),--diff)

clean:
	rm -rf $(BUILD) $(BENCH_BUILD) build-tsan .fresh compile_commands.json results.json
