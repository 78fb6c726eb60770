# One virtual environment holds everything; every target creates it when missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# The official Peppol rules, beside the checkout (never copied into it: ../shared/peppol/README.md).
# Billing validates every UBL it publishes against them; unset, it refuses to publish one.
export COOP_PEPPOL_RULES ?= $(abspath ../shared/peppol)

.PHONY: setup run test lint typecheck unit fuzz bench bench-http profile-http up down schemas clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

run: setup
	@echo "Personal data is sealed with the keys in $${COOP_DATA_DIR:-data}/keys.sqlite3: back it up with the"
	@echo "event store (COOP_KEYS_PASSPHRASE=... $(BIN)/python -m shared.ops export-keys keys.backup)."
	$(BIN)/python -m services.embedded

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -q --cov --cov-branch --cov-report=term

test: lint typecheck unit

# The long fuzz run: schemathesis, negative mode, over the whole OpenAPI document of the embedded
# app served on 127.0.0.1 (5,000 requests; COOP_FUZZ_REQUESTS, COOP_FUZZ_MODE, COOP_FUZZ_SEED).
# The report lands in fuzz-report/ (summary.md, each round's failures with curl reproducers).
fuzz: setup
	$(BIN)/python -m tests.fuzz.long_run

bench: setup
	$(BIN)/python -m bench

# The HTTP write path next to bare FastAPI, with wrk from Debian (BENCH_HTTP_ARGS: --duration …).
bench-http: setup
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	$(BIN)/python -m bench.http_load $(BENCH_HTTP_ARGS)

# The operations tool's replay and replay --diff of contracts_views over a store of 1,000,000
# realistic events (bench/replay_million.py; BENCH_REPLAY_ARGS: --events N, --dir PATH, --keep).
.PHONY: bench-replay
bench-replay: setup
	$(BIN)/python -m bench.replay_million $(BENCH_REPLAY_ARGS)

# The same load under py-spy, then strace (fsync/fdatasync per encoding, by file).
profile-http: setup
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	command -v strace >/dev/null || (apt-get update && apt-get install -y strace)
	$(BIN)/python -m bench.profile_http $(PROFILE_HTTP_ARGS)

# Regenerate the committed JSON Schemas after a compatible event change.
schemas: setup
	$(BIN)/python -m shared.events.catalog

up:
	docker compose -f deploy/compose.yaml up -d --build

down:
	docker compose -f deploy/compose.yaml down -v

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage fuzz-report

# The operations tool (shared/ops): make ops ARGS="verify --data-dir ./data"
.PHONY: ops
ops: setup
	$(BIN)/python -m shared.ops $(ARGS)
