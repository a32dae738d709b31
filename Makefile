# Two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Redocly CLI (pinned) for the OpenAPI lint of tests/contract; without npm that test skips.
LINT_DIR   := tools/openapi-lint
LINT_STAMP := $(LINT_DIR)/node_modules/.installed

.PHONY: run test lint check bootstrap system-deps demo bench clean vendor-js

bootstrap: $(STAMP) $(LINT_STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed / 需要 Python 3.11 及以上")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@$(MAKE) --no-print-directory system-deps
	@touch $(STAMP)

$(LINT_STAMP): $(LINT_DIR)/package-lock.json
	@if command -v npm >/dev/null; then \
		(cd $(LINT_DIR) && npm ci --no-audit --no-fund --silent && touch node_modules/.installed) \
		|| echo "note: Redocly CLI could not be installed; the OpenAPI lint test will skip"; \
	else echo "note: no npm; the OpenAPI lint test will skip"; fi

# Optional system packages, installed when we can (root with apt-get), else skipped with a note:
# libzbar0 (pyzbar, a fallback decoder; the code does without it), Debian's chromium and CJK
# fonts (the browser tests; they skip, saying why, where no Chromium exists).
APT_GET = DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends
system-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium and CJK fonts (browser tests) ..."; \
		($(APT_GET) chromium fonts-noto-cjk >/dev/null 2>&1 || \
		 (apt-get update -qq >/dev/null 2>&1 && $(APT_GET) chromium fonts-noto-cjk >/dev/null 2>&1)) \
		 || echo "note: chromium could not be installed; the browser tests will skip"; \
	else echo "note: no chromium and not root; the browser tests will skip"; fi
	@if $(BIN)/python -c 'import pyzbar.pyzbar' 2>/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing libzbar0 (QR fallback decoder) ..."; \
		(apt-get install -y -qq libzbar0 >/dev/null 2>&1 || \
		 (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq libzbar0 >/dev/null 2>&1)) \
		 || echo "note: libzbar0 could not be installed; pyzbar stays off (zxing-cpp decodes)"; \
	else echo "note: libzbar0 missing and not root; pyzbar stays off (zxing-cpp decodes)"; fi

run: bootstrap
	$(BIN)/cylinder-trace migrate
	$(BIN)/cylinder-trace demo
	$(BIN)/cylinder-trace serve --host 127.0.0.1 --port 8000

lint: bootstrap
	$(BIN)/ruff check src devices tests benchmarks migrations
	$(BIN)/mypy

# Test processes (pytest-xdist): one per core; each makes its own database, so they never meet.
TEST_WORKERS ?= auto

# The whole suite against the embedded PostgreSQL; then, when DATABASE_URL names a server,
# everything that touches a database again against that server.
test: bootstrap lint
	env -u DATABASE_URL $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS)
	@# (the second run leaves out what touches no server: the rules, the appliance, the pages,
	@# serve's stopping on its own embedded PostgreSQL, the HTTP protocol)
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== again against the PostgreSQL server in DATABASE_URL =="; \
		$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --ignore=tests/domain --ignore=tests/devices \
			--ignore=tests/browser --ignore=tests/attacks/test_hardening_stop.py \
			--ignore=tests/api/test_protocol.py; \
	fi

# Every benchmark, one after the other (each is also one command on its own: see
# docs/performance.md). wrk drives the HTTP load of the fill-authorization benchmark.
bench: bootstrap
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && (apt-get install -y -qq wrk >/dev/null 2>&1 || \
		(apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq wrk >/dev/null 2>&1)); } || \
		echo "note: wrk missing; the fill-authorization benchmark needs it"
	@for b in benchmarks/[a-z]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# The phone app's third-party browser code (zxing-wasm), pinned in webapp/package-lock.json and
# committed under web/app/vendor so `make run` needs no Node.js; this refreshes that copy.
VENDOR := src/cylinder_trace/web/app/vendor/zxing-wasm
vendor-js:
	cd webapp && npm ci --no-audit --no-fund
	mkdir -p $(VENDOR)/es/reader
	cp webapp/node_modules/zxing-wasm/dist/es/reader/index.js $(VENDOR)/es/reader/
	cp webapp/node_modules/zxing-wasm/dist/es/share.js $(VENDOR)/es/
	cp webapp/node_modules/zxing-wasm/dist/reader/zxing_reader.wasm webapp/node_modules/zxing-wasm/LICENSE $(VENDOR)/

clean:
	rm -rf $(VENV) .data build *.egg-info
