# Two commands for a fresh machine: `make demo` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench readme screenshots eval docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' 2> $(VENV)/install.log || { cat $(VENV)/install.log; exit 1; }
	@cat $(VENV)/install.log
	@# pyproject.toml names the packages so that setuptools has nothing to warn about: keep it that way.
	@! grep -q "Editable installation" $(VENV)/install.log || { echo "setuptools warned (see above)"; exit 1; }
	touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/asmis demo

# Rewrite README.md's demo output from a real `asmis demo` on a fresh data dir (tests/test_readme.py checks it).
readme: $(STAMP)
	$(BIN)/python -m tools.readme_demo

# Rewrite docs/img/board.png and deal.png (the README's pictures of the pages) from a real demo run, through
# headless Chromium (Debian's chromium and chromium-driver).
screenshots: $(STAMP)
	$(BIN)/python -m tools.screenshots

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

# The offline extractor over the labelled calls in evals/ (tune/ and holdout/); fails when the pooled mean F1
# falls below the figure measured when the floor was last raised (README, Evaluation).
EVAL_MIN_F1 ?= 0.91
eval: $(STAMP)
	$(BIN)/asmis eval evals --provider offline --min-f1 $(EVAL_MIN_F1)

# The docs site: the reference pages regenerated from the code, then built with --strict (a broken link fails).
DOCS_STAMP := $(VENV)/.docs-installed
$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,docs]' > $(VENV)/install-docs.log 2>&1 || { cat $(VENV)/install-docs.log; exit 1; }
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(BIN)/python -m tools.docs_reference
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict  # not --quiet: it hides the warnings --strict counts
	@echo "docs site built in site/ (open site/index.html)"

bench: $(STAMP)
	$(BIN)/python -m benchmarks.ingest

# Stops the servers (their binaries are in the venv), removes the venv and the built site; the data stays.
clean:
	@if [ -x $(BIN)/asmis ]; then $(BIN)/asmis db stop 2>/dev/null || true; fi
	@where=$$([ -x $(BIN)/python ] && $(BIN)/python -c 'from lib.cli.db import made_by_asmis; from lib.settings import get_settings; print(", ".join(map(str, made_by_asmis(get_settings()))))' 2>/dev/null); \
	rm -rf $(VENV) *.egg-info site; \
	echo "removed $(VENV) and site/"; \
	if [ -n "$$where" ]; then echo "left the database and result cache: $$where"; \
	echo "(\`asmis db destroy\` removes them: run it before make clean, which removes the asmis command)"; fi
