# Two commands a newcomer needs (README quick start):
#   make run    create .venv, install the project, run the default benchmark job
#   make test   create .venv if needed and run the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= results/quickstart

.PHONY: setup run test
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: setup
	$(PY) scripts/run_scenario.py --scenario steady_design --controller rule_based --hours 24 --out $(OUT)

test: setup
	$(PY) -m pytest
