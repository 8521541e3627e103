# Two commands do all the set-up on a fresh machine:
#   make run    install into .venv (Python 3.12) and run the embedded default scenario
#   make test   install with test extras, Chromium and offline web assets, run the tests
VENV   := .venv
PY     := $(VENV)/bin/python
# Python 3.12: on PATH, or under pyenv (whose shim may exist without a 3.12 selected).
PYTHON312 := $(shell for c in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 \
	/usr/local/bin/python3.12 /usr/bin/python3.12; do \
	$$c -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && \
	{ echo $$c; break; }; done)
PYTEST_ARGS ?=

.PHONY: setup run test lint bench docs attribution-docs clean

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON312)" || { echo "error: Python 3.12 not found (needed by Mesa 3.5)"; exit 1; }
	$(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(VENV)/bin/povsim run

test: setup
	bash tools/install_system.sh
	$(PY) tools/solara_assets.py
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS) tests

lint: setup
	$(VENV)/bin/ruff check simulation tests benchmarks calibration tools

bench: setup
	$(PY) -m benchmarks

docs: setup
	$(VENV)/bin/povsim params --out docs/parameters.md

# The attribution tables of docs/attribution.md (20,000 households x 3 seeds; many minutes).
attribution-docs: setup
	$(PY) docs/make_attribution.py

clean:
	rm -rf $(VENV) results test-artifacts
