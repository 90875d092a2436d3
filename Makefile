# Two commands do all the set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_DAY := 2026-08-02
# The Korean day: the real GeekNews feed (demo/replay/2026-07-23); no other source was recorded that day
KO_DAY   := 2026-07-23

.PHONY: demo lint test test-fast bench bench-quick clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Runtime install (demo): re-done only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# Test install adds pytest and the llama.cpp server. llama-cpp-python is compiled once with portable CPU
# flags (never -march=native) into a wheelhouse named after those flags, never through pip's wheel cache:
# see scripts/llama-wheel.sh for why (a natively built wheel segfaults on another CPU).
$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed scripts/llama-wheel.sh
	scripts/llama-wheel.sh $(BIN)/pip
	$(BIN)/pip install --quiet -e '.[test,llamacpp]'
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/aidigest run --date $(DEMO_DAY) --replay demo/replay/$(DEMO_DAY) --db .aidigest/demo.sqlite3 --out reports --llm none
	$(BIN)/aidigest run --date $(KO_DAY) --replay demo/replay/$(KO_DAY) --db .aidigest/demo.sqlite3 --out reports --llm none
	$(BIN)/aidigest site --reports reports --db .aidigest/demo.sqlite3 --out site
	@echo "site: open site/index.html in a browser (or: $(BIN)/python -m http.server -d site 8000)"

# Static checks, rules in pyproject.toml ([tool.ruff], [tool.mypy]); zero findings. `make test` runs them first.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy

# scripts/system-deps.sh: Chromium + chromedriver for the site's browser tests (apt-get, only when missing)
test: $(VENV)/.installed-test lint
	scripts/system-deps.sh
	$(BIN)/python -m pytest -q

# Everything but the llama.cpp integration test.
test-fast: $(VENV)/.installed-test lint
	scripts/system-deps.sh
	$(BIN)/python -m pytest -q -m 'not llamacpp'

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

bench-quick: $(VENV)/.installed-test
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf $(VENV) .aidigest reports site
