# Restock: `make demo` and `make test` do all the set-up themselves (a .venv, the installs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-all check format lint types bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,ray]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/restock demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m ''

format: $(STAMP)
	$(BIN)/ruff format restock tests benchmarks examples

lint: $(STAMP)
	$(BIN)/ruff format --check restock tests benchmarks examples
	$(BIN)/ruff check restock tests benchmarks examples

types: $(STAMP)
	$(BIN)/mypy restock

check: lint types
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

bench: $(STAMP)
	$(BIN)/restock bench --json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
