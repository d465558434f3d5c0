# dockerlab: `make lab` to learn, `make test` to check everything. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Runs its command with a Docker engine: yours if one answers, else (Linux, root)
# the kit's private engine, started for the command and stopped after it.
WITH_ENGINE := $(PY) -m dockerlab with-engine --
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# One session id for a test run: its leak check ignores anything else on the engine.
ifndef DOCKERLAB_SESSION
DOCKERLAB_SESSION := test-$(shell date +%s%N)
endif
export DOCKERLAB_SESSION
NBVAL := --durations=10 --nbval-lax --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout=900

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

test: $(STAMP) lint ## Run every test: unit, integration on a real engine, and all notebooks under nbval
	$(WITH_ENGINE) $(MAKE) --no-print-directory _test-inner

_test-inner:
	$(PY) -m dockerlab bases
	$(PY) -m dockerlab doctor
	$(PY) -m pytest tests notebooks exercises $(NBVAL)
	$(PY) -m dockerlab leftovers --session $(DOCKERLAB_SESSION)

bases: $(STAMP) ## Make sure the course's base images exist (pulled, or bootstrapped offline)
	$(WITH_ENGINE) $(PY) -m dockerlab bases

doctor: $(STAMP) ## Is this machine ready for the course?
	$(WITH_ENGINE) $(PY) -m dockerlab doctor

lint: $(STAMP) ## Lint and check formatting (ruff), and that notebooks match their sources
	$(VENV)/bin/ruff check dockerlab tests bench build_tools
	$(VENV)/bin/ruff format --check dockerlab tests bench build_tools
	$(PY) build_tools/notebooks.py check

notebooks: $(STAMP) ## Regenerate the .ipynb files from their jupytext sources
	$(PY) build_tools/notebooks.py write

bench: $(STAMP) ## Benchmarks: notebook times, overhead vs the docker CLI, setup time -> docs/benchmarks.md
	$(WITH_ENGINE) bash -c '$(PY) -m dockerlab bases && $(PY) bench/overhead.py && $(PY) bench/notebooks.py'
	$(PY) bench/setup_time.py
	$(WITH_ENGINE) $(PY) bench/report.py

cleanup: $(STAMP) ## Remove everything the kit made (keeps the base images)
	$(WITH_ENGINE) $(PY) -m dockerlab cleanup

engine-stop: $(STAMP) ## Stop the kit's private engine if one was left running
	$(PY) -m dockerlab engine stop
