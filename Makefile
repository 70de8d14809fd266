# Developer entry points: `make run` serves the app locally, `make test` runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
AS ?= admin

.PHONY: deps portal portal-test browser run token test lint typecheck infra-check docs docs-check openapi unit fuzz bench clean

deps: $(VENV)/.installed node_modules/.installed portal/dist/index.html

# the admin portal, bundled from npm packages only (no CDN at run time); the app serves it at /api/portal/
PORTAL_SOURCES := $(shell find portal/src portal/docs -type f) portal/index.html portal/styles.css portal/build.mjs
portal: portal/dist/index.html
portal/dist/index.html: node_modules/.installed $(PORTAL_SOURCES)
	node portal/build.mjs

# the portal's pure parts (timeline layout, wizard state, ...) under node's own test runner
portal-test: node_modules/.installed
	node --test portal/test/

# Debian's chromium for the browser tests (Playwright's own browser download cannot work here)
browser:
	@command -v chromium >/dev/null || { echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || { echo "install chromium (apt-get install chromium) and run again"; exit 1; }

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# the documentation site (MkDocs with the Material theme, mkdocs.yml): served here, built with --strict by `make test`
docs: $(VENV)/.installed
	$(VENV)/bin/mkdocs serve -a 127.0.0.1:8000

docs-check: $(VENV)/.installed
	$(VENV)/bin/mkdocs build --strict --quiet

# docs/openapi.json, which the site's API reference renders, written afresh from the app (a test holds them equal)
openapi: deps
	WRITE_OPENAPI=1 $(PY) -m pytest tests/integration/test_http_meta.py -q -p no:schemathesis -k documentation

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

# checkov on the deployment template, from a virtual environment of its own (its pins are not the app's);
# every check passes or is skipped in infra/main.bicep with its reason
infra-check: .venv-tools/.installed
	BC_SKIP_MAPPING=TRUE .venv-tools/bin/checkov -d infra --framework bicep --skip-download --compact --quiet

.venv-tools/.installed: requirements-tools.txt
	$(PYTHON) -m venv .venv-tools
	.venv-tools/bin/pip install -q -r requirements-tools.txt
	touch $@

# the tiers in TEST_WORKERS parallel workers, a test file each at a time (its module fixtures stay on one worker): a
# worker has its own Azurite, Azure emulator and app host on free loopback ports, and spends most of a test waiting
# on Azure's long-running operations and the app's durable timers, so more workers than cores still pays. Files go
# out in the order of testpaths (pyproject.toml), the slowest tiers first, so the unit tier fills the workers' last
# minutes; xdist's own order (most tests first) would start the few long browser and fuzz tests last. Seven workers
# left the two cores a fifth idle (docs/benchmarks.md), and the fuzzing is two files so that it is no one worker's tail
TEST_WORKERS ?= 10
# the installs go side by side (pip, npm and checkov's own environment each wait mostly on the registry), then the
# static checks run beside pytest, whose workers wait mostly on timers; their output follows pytest's, and any
# failure fails the target (about a minute off a fresh clone's run)
# Each worker collects every test module, and pytest rewrites each one's asserts as it imports it: one collection
# first keeps the rewritten modules, so that the workers load them rather than each rewrite them (about 11 s of CPU
# a worker). Python writes no bytecode where PYTHONDONTWRITEBYTECODE is set (as some machines do): not for this run.
test: export PYTHONDONTWRITEBYTECODE =
test: browser
	$(MAKE) --no-print-directory -j3 deps .venv-tools/.installed
	@mkdir -p test-artefacts; \
	$(MAKE) --no-print-directory -j4 --output-sync=target lint typecheck infra-check portal-test docs-check \
		> test-artefacts/checks.log 2>&1 & checks=$$!; \
	$(PY) -m pytest --collect-only -q > /dev/null; \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS); tests=$$?; \
	wait $$checks; checked=$$?; cat test-artefacts/checks.log; \
	[ $$checked -eq 0 ] || echo "the static checks failed (ruff, mypy, checkov, the portal's node tests or the docs): see above"; \
	[ $$tests -eq 0 ] && [ $$checked -eq 0 ]

# the unit tier alone (no I/O, about 10 s); schemathesis' plugin is the fuzz tier's and costs a second to load
unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit -q -p no:schemathesis

# the fuzzing tier alone, with a bigger budget than in `make test`: FUZZ_EXAMPLES per operation (fuzzing phase),
# FUZZ_SEED for a seeded rather than derandomized run, FUZZ_REPORT=path for the failures as JSON (tests/fuzz)
FUZZ_EXAMPLES ?= 500
FUZZ_TIMEOUT ?= 3600
fuzz: deps
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) $(PY) -m pytest tests/fuzz $(PYTEST_ARGS)

run: deps
	$(PY) -m devhost --start-azurite --start-azure-emulator

# a user's access token for the app's API from the emulator `make run` started: `make token AS=alice`
token: $(VENV)/.installed
	@$(PY) -m azure_emulator token $(AS) --state-dir .azure-emulator

bench: deps browser
	$(PY) -m bench

clean:
	rm -rf $(VENV) .venv-tools node_modules portal/dist test-artefacts .devhost .azurite .azure-emulator .pytest_cache .mypy_cache .ruff_cache
