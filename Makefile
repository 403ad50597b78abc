# One command per chore. Each target bootstraps .venv itself from python3 alone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench peers venv clean

EMULATOR := packages/lockstep-emulator

$(STAMP): pyproject.toml $(EMULATOR)/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-e '$(EMULATOR)[dev]' -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	@$(BIN)/lockstep demo

# lockstep's suite, then the emulator's own (its package, its config).
test: $(STAMP)
	@$(BIN)/python -m pytest $(PYTEST_ARGS)
	@cd $(EMULATOR) && ../../$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	@$(BIN)/ruff check src tests bench $(EMULATOR)
	@$(BIN)/ruff format --check src tests bench $(EMULATOR)
	@$(BIN)/mypy
	@$(BIN)/lint-imports

bench: $(STAMP)
	@$(BIN)/python bench/emulator_bench.py
	@$(BIN)/python -m bench.connectors_bench
	@$(BIN)/python bench/migrate_bench.py
	@$(BIN)/python -m bench.sync_bench
	@$(BIN)/python bench/startup_bench.py

peers: $(STAMP)
	@bash bench/peers/setup.sh
	@bench/peers/.venv/bin/python bench/peers/cumulusci_load_extract.py
	@bench/peers/.venv/bin/python bench/peers/tap_salesforce_sync.py
	@$(BIN)/python bench/migrate_vs_peers.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .lockstep reports
