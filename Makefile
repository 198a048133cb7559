# make run: set up .venv if needed and start asyncrepl.  make test: lint, then the whole suite.
# make test-pure: the suite with the Python twins of the C parts.
# make peer: the peer suites (IPython's own tests, flake8-async's fixtures) against asyncrepl.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-pure lint format bench peer clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml $(wildcard src/asyncrepl/*.[ch] src/asyncrepl/*/*.c) | $(BIN)/python
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

# The suite again with the Python twins of the C parts (see src/asyncrepl/cparts.py): what runs
# where no C compiler was at hand when asyncrepl was installed.
test-pure: $(STAMP)
	ASYNCREPL_PURE_PYTHON=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

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
