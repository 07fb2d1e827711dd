# Two commands do everything on a fresh machine:
#   make run   - set up .venv and start the chat on the shipped corpus (http://127.0.0.1:7860)
#   make test  - set up .venv (plus Debian's chromium for the browser test) and run the tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export GRADIO_ANALYTICS_ENABLED := False
export OMP_NUM_THREADS ?= 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test index eval bench setup browser clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, from the local CPU build: anything else makes pip fetch a multi-GB CUDA build
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	# every installed package's requirements are met (a missing or conflicting dependency stops here)
	$(BIN)/pip check
	$(BIN)/python -c "import importlib.metadata as m; print('installed:', *(f'{d} {m.version(d)}' for d in ('lxml', 'lxml_html_clean', 'trafilatura', 'justext', 'torch')))"
	touch $@

setup: $(BIN)/.installed

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: setup
	$(BIN)/qa serve --index index

test: setup browser
	$(BIN)/python -m pytest -q

index: setup
	$(BIN)/qa index --seeds seeds --index index

eval: setup
	$(BIN)/qa eval eval/news-holdout.jsonl

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache
