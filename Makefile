# Two commands a newcomer needs (README quick start):
#   make run    create .venv, install the project, run the default benchmark (manual vs rule_based)
#   make test   create .venv if needed and run the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= results/benchmark

.PHONY: setup run test
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: setup
	$(PY) scripts/benchmark.py --out $(OUT)

# pytest exit code 5 (no test collected) is a failure with a clear message, never a silent pass.
test: setup
	@$(PY) -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo 'make test: pytest collected no tests' >&2; exit 1; fi; exit $$rc
