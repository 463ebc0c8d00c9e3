# The two quick-start commands are `make demo` and `make test`; `make check` is what CI runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.wbr-installed

.PHONY: demo test lint types check clean

# Re-install whenever the dependencies change.
$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

demo: $(INSTALLED)  ## Install, build the demo store and serve the deck at http://127.0.0.1:8050
	$(BIN)/wbr demo

test: $(INSTALLED)  ## Install and run the test suite
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(INSTALLED)
	$(BIN)/mypy

check: lint types test  ## Lint, types and tests: what CI runs

clean:
	rm -rf $(VENV) .wbr demo/data .mypy_cache .ruff_cache .pytest_cache
