# The two commands of the README:
#   make book   executes every chapter and writes the HTML book to _build/html/
#   make test   runs the whole test suite (lint, unit tests, book checks, every chapter via nbval)
# Both create .venv and install requirements.txt plus lrbook (editable) on first use.
#
# Other targets:
#   make robust   every chapter under nbval, for every seed in ROBUST_SEEDS x oneDNN off and on
#   make colab    every chapter in an environment with Colab's TensorFlow, Keras and ipywidgets
#   make browser  every page of the built book in headless Chromium (after make book)
#   make sync     rewrite each chapter's .ipynb from its .md

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
COLAB_VENV := .venv-colab
COLAB_INSTALLED := $(COLAB_VENV)/.installed
JOBS ?= 2

# Training results depend on the seed (LRBOOK_SEED, read by lrbook.make_deterministic) and on
# the CPU kernels TensorFlow picks; oneDNN's kernels (TF_ENABLE_ONEDNN_OPTS=1, Colab's default)
# round differently from TensorFlow's own. The book is built under one configuration and the
# notebooks are tested under another, so every run of CI checks every claim under two seeds
# and both kernel families; `make robust` checks a whole matrix.
BOOK_SEED ?= 0
BOOK_ONEDNN ?= 0
TEST_SEED ?= 1
TEST_ONEDNN ?= 1
ROBUST_SEEDS ?= 0 1 2 3 4

# Quiet TensorFlow: no C++ start-up logs in the rendered pages.
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0

NBVAL := -m pytest -n $(JOBS) --dist loadscope -p no:cacheprovider \
	--nbval-lax --nbval-current-env --nbval-cell-timeout=600 chapters

.PHONY: book test lint unit distributed notebooks robust colab browser browser-deps sync clean

book: $(INSTALLED)
	rm -rf _build
	LRBOOK_SEED=$(BOOK_SEED) TF_ENABLE_ONEDNN_OPTS=$(BOOK_ONEDNN) \
		$(BIN)/jupyter-book build . --all -n -W --keep-going
	$(BIN)/python tools/chapters.py check-build
	@echo
	@echo "The book is in _build/html/. Open _build/html/index.html in a browser."

test: lint unit notebooks

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The whole suite runs on TensorFlow; the library's tests run again on Keras' two other
# backends, JAX and PyTorch (their CPU builds are in requirements.txt).
LIBRARY_TESTS := tests/test_finder.py tests/test_schedules.py tests/test_snapshots.py \
	tests/test_suggest.py
unit: $(INSTALLED)
	KERAS_BACKEND=tensorflow $(BIN)/python -m pytest -n $(JOBS) -p no:cacheprovider tests \
		--ignore=tests/browser
	KERAS_BACKEND=jax $(BIN)/python -m pytest -n $(JOBS) -p no:cacheprovider $(LIBRARY_TESTS)
	KERAS_BACKEND=torch $(BIN)/python -m pytest -n $(JOBS) -p no:cacheprovider $(LIBRARY_TESTS)
	$(MAKE) --no-print-directory distributed

# The library under data-parallel training, each backend in a process of its own (the devices are
# set up before the backend starts): tf.distribute.MirroredStrategy over two logical CPU devices,
# and keras.distribution.DataParallel over two JAX host devices.
distributed: $(INSTALLED)
	KERAS_BACKEND=tensorflow $(BIN)/python -m pytest -p no:cacheprovider tests/test_distributed.py
	KERAS_BACKEND=jax XLA_FLAGS=--xla_force_host_platform_device_count=2 \
		$(BIN)/python -m pytest -p no:cacheprovider tests/test_distributed.py

notebooks: $(INSTALLED)
	LRBOOK_SEED=$(TEST_SEED) TF_ENABLE_ONEDNN_OPTS=$(TEST_ONEDNN) $(BIN)/python $(NBVAL)

# Every chapter for every seed x oneDNN setting; the failures of all runs are listed at the end.
# Every claim a chapter checks is logged to CLAIMS_LOG, and tabulated at the end.
CLAIMS_LOG := $(CURDIR)/_build/claims.jsonl
robust: $(INSTALLED)
	@mkdir -p _build; rm -f $(CLAIMS_LOG); failed=""; \
	for seed in $(ROBUST_SEEDS); do for onednn in 0 1; do \
		echo "== LRBOOK_SEED=$$seed TF_ENABLE_ONEDNN_OPTS=$$onednn"; \
		LRBOOK_SEED=$$seed TF_ENABLE_ONEDNN_OPTS=$$onednn LRBOOK_CLAIMS_LOG=$(CLAIMS_LOG) \
			$(BIN)/python $(NBVAL) -q || failed="$$failed seed=$$seed,onednn=$$onednn"; \
	done; done; \
	$(BIN)/python tools/claims.py table $(CLAIMS_LOG) > _build/claims.md; \
	echo "The claims checked, with the range measured for each: _build/claims.md"; \
	if [ -n "$$failed" ]; then echo "make robust: failed under$$failed"; exit 1; fi; \
	echo "make robust: every chapter passed under seeds $(ROBUST_SEEDS) x oneDNN off and on"

# Colab's own versions (requirements-colab.txt), lrbook installed from this checkout the way the
# chapters' first cell installs it from GitHub (dependencies resolved against what is there),
# a check that this changed none of Colab's versions, then every chapter with oneDNN on, as in
# Colab, and the seed a Colab reader gets (LRBOOK_SEED unset).
colab: $(COLAB_INSTALLED)
	$(COLAB_VENV)/bin/python -m pip install --quiet "lrbook[book] @ file://$(CURDIR)"
	$(COLAB_VENV)/bin/python tools/colab.py check-versions requirements-colab.txt
	mkdir -p _build
	env -u LRBOOK_SEED TF_ENABLE_ONEDNN_OPTS=1 PYDEVD_DISABLE_FILE_VALIDATION=1 \
		LRBOOK_CLAIMS_LOG=$(CURDIR)/_build/claims-colab.jsonl $(COLAB_VENV)/bin/python $(NBVAL)

$(COLAB_INSTALLED): requirements-colab.txt
	rm -rf $(COLAB_VENV)
	$(PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install --quiet -r requirements-colab.txt
	touch $@

# The built book (make book first) in Debian's headless Chromium, driven by Selenium through
# Debian's chromedriver: every page of _build/html, served locally with no network. It fails on
# console errors, failed or outside requests, broken images, unresolved references, raw TeX,
# missing figures, wrong Colab links and explorers without their default figure or live note
# (tests/browser/test_pages.py), and leaves a screenshot of each page in _build/screenshots/.
browser: $(INSTALLED) browser-deps
	rm -rf _build/screenshots
	$(BIN)/python -m pytest -n $(JOBS) -p no:cacheprovider tests/browser

# Chromium and its driver from Debian (PyPI's Selenium cannot download a driver without a
# network, and Playwright's own browser download is not reachable); needs root or sudo.
browser-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium chromium-driver; \
	fi

# Re-write each chapter's output-free .ipynb from its .md source (the .md is what you edit).
sync: $(INSTALLED)
	$(BIN)/python tools/chapters.py sync

$(INSTALLED): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

clean:
	rm -rf _build .pytest_cache
