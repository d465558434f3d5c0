# dockerlab: `make lab` to learn, `make test` to check everything. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Runs its command with a Docker engine: yours if one answers, else (Linux, root)
# the kit's private engine, started for the command and stopped after it.
WITH_ENGINE := $(PY) -m dockerlab with-engine --
# make test's second lane runs on the other private engine profile (see README):
# Docker 28 with the containerd image store by default, so the other is Debian 12's 20.10.
OTHER_ENGINE := $(if $(filter 20.10,$(DOCKERLAB_ENGINE)),28,20.10)
PRIVATE_ENGINES := $(PY) -c 'import sys; from dockerlab.engines import private as p; sys.exit(p.system_engine_host() is not None or not p.may_start())'
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# One session id for a test run: its leak check ignores anything else on the engine.
ifndef DOCKERLAB_SESSION
DOCKERLAB_SESSION := test-$(shell date +%s%N)
endif
export DOCKERLAB_SESSION
NBVAL := --durations=10 --nbval-lax --nbval-current-env --nbval-cell-timeout=900

.DEFAULT_GOAL := help
.PHONY: help lab test bases doctor lint notebooks bench cleanup engine-stop

help: ## Show this help
	@grep -hE '^[a-z-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

lab: $(STAMP) ## Open the course in JupyterLab (starts an engine and makes the base images if needed)
	$(WITH_ENGINE) bash -c '$(PY) -m dockerlab bases && $(PY) -m dockerlab doctor; \
	  $(VENV)/bin/jupyter lab --ip=127.0.0.1 $(ROOT_FLAG) notebooks/00-start-here.ipynb'

# Prints how long a lane took (the README's per-lane times come from these lines).
LANE_TIME = t0=$$(date +%s); $(1); rc=$$?; echo "== lane $(2): $$(( $$(date +%s) - t0 )) s (exit $$rc)"; [ $$rc -eq 0 ]

test: $(STAMP) lint ## Run every test: unit, integration on a real engine, and all notebooks under nbval
	@if $(PRIVATE_ENGINES); then scope='$(MAIN_SCOPE)'; else scope='tests notebooks exercises'; fi; \
	$(call LANE_TIME,$(WITH_ENGINE) $(MAKE) --no-print-directory _test-inner SCOPE="$$scope",main)
	@if $(PRIVATE_ENGINES); then \
	  $(call LANE_TIME,DOCKERLAB_ENGINE=$(OTHER_ENGINE) $(WITH_ENGINE) $(MAKE) --no-print-directory _test-lane,$(OTHER_ENGINE)); \
	else echo "== second engine lane skipped: your own engine answers (the kit starts its own engines only on Linux, as root, with none running)"; fi
	@if $(PRIVATE_ENGINES); then \
	  $(call LANE_TIME,DOCKERLAB_ENGINE=28-arm64 $(WITH_ENGINE) $(MAKE) --no-print-directory _test-arm64,arm64); \
	else echo "== arm64 lane skipped: your own engine answers (on an Apple Silicon Mac the main run is the arm64 one)"; fi
	@if $(PRIVATE_ENGINES); then \
	  $(call LANE_TIME,$(PY) tests/desktop_lane.py,desktop); \
	else echo "== desktop lane skipped: your own engine answers (the main lane ran on it)"; fi

# What the main lane runs where the desktop lane runs too: the notebooks, the exercises and
# DESKTOP_TESTS run once on Docker 28, there (as a learner who is not root would); the rest here.
MAIN_SCOPE = tests $(addprefix --ignore=,$(DESKTOP_TESTS))
SCOPE ?= tests notebooks exercises
_test-inner:
	$(PY) -m dockerlab bases
	$(PY) -m dockerlab doctor
	$(PY) -m pytest $(SCOPE) $(NBVAL)
	$(PY) -m dockerlab leftovers --session $(DOCKERLAB_SESSION)

# The second engine's lane: every notebook and exercise, and the integration tests of
# building, measuring, layers, the registry and the scorecard.
LANE_TESTS := tests/unit/test_build_context.py $(addprefix tests/integration/test_,\
  build.py measure.py layers.py secrets.py registry.py score.py static.py stack.py bases.py \
  exercises_config.py session_and_doctor.py)
_test-lane:
	$(PY) -m dockerlab bases
	$(PY) -m dockerlab doctor
	$(PY) -m pytest $(LANE_TESTS) notebooks exercises $(NBVAL)
	$(PY) -m dockerlab leftovers --session $(DOCKERLAB_SESSION)

# The arm64 lane: an Apple Silicon Mac's platform, linux/arm64, emulated here by qemu
# (engine profile 28-arm64 sets DOCKERLAB_PLATFORM): notebooks 01-04 and exercises 1-2
# with their lessons asserted, and the ELF, stack and base-image tests.
ARM64_TESTS := $(addprefix tests/integration/test_,static.py stack.py bases.py) \
  $(wildcard notebooks/0[1-4]-*.ipynb exercises/0[12]-*.ipynb exercises/solutions/0[12]-*.ipynb)
_test-arm64:
	$(PY) -m dockerlab bases
	$(PY) -m dockerlab doctor
	$(PY) -m pytest $(ARM64_TESTS) $(NBVAL)
	$(PY) -m dockerlab leftovers --session $(DOCKERLAB_SESSION)

# The desktop-like lane (tests/desktop_lane.py, run as root): Docker Engine 28 in network and
# mount namespaces of its own, as in Docker Desktop's VM, found through a docker context by a
# learner who is not root; she runs this target in her own copy, with her own venv and cache.
DESKTOP_TESTS := $(addprefix tests/integration/test_,\
  build.py measure.py layers.py secrets.py registry.py score.py exercises_config.py \
  session_and_doctor.py)
_test-desktop: $(STAMP)
	$(PY) -m dockerlab bases
	$(PY) -m dockerlab doctor
	$(PY) -m pytest $(DESKTOP_TESTS) notebooks exercises $(NBVAL)
	$(PY) -m dockerlab leftovers --session $(DOCKERLAB_SESSION)

bases: $(STAMP) ## Make sure the course's base images exist (pulled, or bootstrapped offline)
	$(WITH_ENGINE) $(PY) -m dockerlab bases

doctor: $(STAMP) ## Is this machine ready for the course?
	$(WITH_ENGINE) $(PY) -m dockerlab doctor

lint: $(STAMP) ## Lint and check formatting (ruff), and that notebooks match their sources
	$(VENV)/bin/ruff check dockerlab tests bench build_tools notebooks/src exercises/src instructor/src
	$(VENV)/bin/ruff format --check dockerlab tests bench build_tools notebooks/src exercises/src instructor/src
	$(PY) build_tools/notebooks.py check
	@# Every test module, notebook and exercise is collected (imports resolve) before any engine starts.
	DOCKER_HOST=unix:///nonexistent $(PY) -m pytest --collect-only -q -p no:cacheprovider tests notebooks exercises --nbval-lax >/dev/null

notebooks: $(STAMP) ## Regenerate the .ipynb files from their jupytext sources
	$(PY) build_tools/notebooks.py write

# Benchmarked on each private engine profile where the kit runs its own, else on yours;
# on the emulated arm64 engine only the arm64 lane's notebooks (01-04) and the figures
# (an emulated engine's overhead against its CLI says nothing about a Mac's).
BENCH_ARM64 := $(wildcard notebooks/0[1-4]-*.ipynb)
bench: $(STAMP) ## Benchmarks per engine: notebook times, overhead vs the docker CLI, figures per platform, setup time -> docs/benchmarks.md
	@if $(PRIVATE_ENGINES); then engines="28 20.10 28-arm64"; else engines=yours; fi; \
	for e in $$engines; do \
	  if [ $$e = yours ]; then unset DOCKERLAB_ENGINE; else export DOCKERLAB_ENGINE=$$e; fi; \
	  if [ $$e = 28-arm64 ]; then run='$(PY) bench/figures.py && $(PY) bench/notebooks.py $(BENCH_ARM64)'; \
	  else run='$(PY) bench/overhead.py && $(PY) bench/figures.py && $(PY) bench/notebooks.py && $(PY) bench/grade.py'; fi; \
	  $(WITH_ENGINE) bash -c "$(PY) -m dockerlab bases && $$run" || exit 1; \
	done
	$(PY) bench/setup_time.py
	@if [ "$$(id -u)" = 0 ] && [ -e /dev/loop-control ]; then \
	  $(WITH_ENGINE) bash -c "$(PY) -m dockerlab bases && $(PY) bench/classroom.py"; \
	else echo "bench/classroom.py skipped: a class is set up by root, with loop devices"; fi
	$(PY) bench/report.py

cleanup: $(STAMP) ## Remove everything any session of the kit made on this engine (keeps the base images)
	$(WITH_ENGINE) $(PY) -m dockerlab cleanup --all-sessions

engine-stop: $(STAMP) ## Stop the kit's private engine if one was left running
	$(PY) -m dockerlab engine stop
