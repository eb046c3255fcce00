# Two commands for a newcomer: `make run` (the whole system with demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint bench mutate wheelhouse clean

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sortes needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(INSTALLED)
	$(BIN)/sortes run

test: $(INSTALLED)
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check shared services sortes_cli tests bench
	$(BIN)/lint-imports

# Every script in bench/ at the issues' sizes (PostgreSQL ones included); the table goes to docs/benchmarks.md.
bench: $(INSTALLED)
	$(BIN)/python -m bench.run_all

# Mutation testing of the code that carries the promises (tests/mutation/mutate.py): small deliberate bugs,
# each run against its module's tests; prints each module's score. Survivors are explained in docs/testing.md.
MUTATE_BUDGET ?= 1800
mutate: $(INSTALLED)
	$(BIN)/python -m tests.mutation.mutate --budget $(MUTATE_BUDGET)

# Every wheel an installation needs (sortes and its dependencies, not the test tools) into wheelhouse/,
# for a machine without the package registries: pip install --no-index --find-links wheelhouse/ sortes
# (README.md). Build it on the target's OS, architecture and Python version.
wheelhouse: $(INSTALLED)
	rm -rf wheelhouse
	$(BIN)/python -m pip wheel --wheel-dir wheelhouse .
	@ls wheelhouse | wc -l | xargs echo "wheels in wheelhouse/:"

clean:
	rm -rf $(VENV) data test-output .pytest_cache wheelhouse
