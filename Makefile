# The two commands of the README:
#   make book   executes every chapter and writes the HTML book to _build/html/
#   make test   runs the whole test suite (lint, unit tests, book checks, every chapter via nbval)
# Both create .venv and install requirements.txt plus lrbook (editable) on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CHAPTERS := $(wildcard chapters/*.md)
JOBS ?= 2

# Quiet TensorFlow: no C++ start-up logs in the rendered pages; oneDNN off also makes CPU
# results independent of the processor model.
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0
export PYTHONHASHSEED := 0

.PHONY: book test lint unit notebooks sync clean

book: $(INSTALLED)
	rm -rf _build
	$(BIN)/jupyter-book build . --all -n -W --keep-going
	$(BIN)/python tools/chapters.py check-build
	@echo
	@echo "The book is in _build/html/. Open _build/html/index.html in a browser."

test: lint unit notebooks

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

unit: $(INSTALLED)
	$(BIN)/python -m pytest -n $(JOBS) -p no:cacheprovider tests

notebooks: $(INSTALLED)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadscope -p no:cacheprovider \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=600 chapters

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
