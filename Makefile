# Council Publishing: `make run` for a local council with a demo, `make test` for
# the whole suite. Both create .venv on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
NODE_STAMP := node_modules/.installed
# pytest processes: the suite spends much of its time waiting on real workers,
# browsers and servers, so one more process than two cores keeps both busy.
TEST_PROCESSES ?= 3

.PHONY: run test install lint soak bench screenshots clean chromium

# uv installs the pinned dependencies into the venv, compiled, in about ten
# seconds where pip takes half a minute. Compiled at install, not as they are
# first imported: the suite's first processes all start at once, and each
# would compile the same modules.
UV_VERSION := 0.13.9
UV := $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(UV) -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(UV) -e ".[test]"
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/python manage.py devkey
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/honcho --procfile Procfile.dev --no-prefix start || true

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

test: $(TEST_STAMP) $(NODE_STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/bandit -q -c pyproject.toml -r council_site publishing channels sandbox benchmarks --severity-level high
	@# The suite starts Python processes by the hundred (test processes, Celery
	@# workers, sandboxes, the soak's): with PYTHONDONTWRITEBYTECODE set, each
	@# would compile the project and rewrite the tests' asserts again (a test
	@# process collects in 6 s instead of 12), so this run writes bytecode.
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist load --maxschedchunk 2 --durations 15

# A hundred random lifecycles (tests/publishing/test_lifecycle_properties.py),
# then 300 announcements x 5 channels against a faulty sandbox (a fifth of
# YouTube's upload answers lost, its playlist lagging): two workers SIGKILLed,
# beat killed and started again, Redis and PostgreSQL restarted when they are
# local and we are root; fails on any duplicate, lost or failed post. The suite
# runs only a short one (tests/proof/test_soak.py).
soak: $(TEST_STAMP)
	LIFECYCLE_EXAMPLES=100 $(BIN)/python -m pytest -q tests/publishing/test_lifecycle_properties.py
	$(BIN)/python -m pytest -m soak -rP tests/proof/test_soak.py

# Every benchmark in benchmarks/; writes benchmarks/REPORT.md.
bench: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.report

# The README's screenshots, from the demo that `make run` serves (start it first).
screenshots: $(TEST_STAMP) chromium
	$(BIN)/python docs/screenshots.py

# axe-core (pinned in package.json) for the browser accessibility tests.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The browser tests drive Debian's Chromium (never a downloaded build). As root we
# install it; otherwise those tests skip and say why.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update && apt-get install -y --no-install-recommends chromium; \
	  else \
	    echo "Chromium is not installed and this is not root: browser tests will skip."; \
	  fi; \
	fi

clean:
	rm -rf var .pytest_cache .ruff_cache
