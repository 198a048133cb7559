# make run: set up .venv if needed and start asyncrepl.  make test: lint, then the whole suite.
# make peer: the peer suites (IPython's own tests, flake8-async's fixtures) against asyncrepl.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench peer clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml $(wildcard src/asyncrepl/*.c src/asyncrepl/*/*.c) | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/asyncrepl

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

# Other projects' own tests run against asyncrepl: each tests/peer/*_peer.py downloads its peer's
# sdist and fails on any difference that asyncrepl causes.
peer: $(STAMP)
	for p in tests/peer/*_peer.py; do [ -e "$$p" ] || continue; $(BIN)/python $$p || exit 1; done

bench: $(STAMP)
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist src/*.egg-info .mypy_cache .ruff_cache .pytest_cache
