# One target per figure; every target that runs Python installs the environment first.
# PYTHON=python3 make ... uses your own interpreter and environment instead of .venv.
PYTHON ?= .venv/bin/python
ifeq ($(origin PYTHON),file)
INSTALL := .venv/.installed
endif

.PHONY: help install test fig1 bench clean
help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' Makefile | sed 's/:.*## /\t/' | expand -t 14

install: $(INSTALL)  ## create .venv and install requirements.txt (once)
.venv/.installed: requirements.txt
	python3 -m venv .venv
	.venv/bin/pip install -r requirements.txt
	touch $@

test: install  ## lint and run the tests (a few minutes on a laptop CPU)
	$(PYTHON) -m ruff check .
	$(PYTHON) -m pytest -q tests

fig1: install  ## figures/fig1.png: every transformation applied to one object
	$(PYTHON) plots.py fig1 --out figures/fig1.png

bench: install  ## generator speed against a per-sample torchvision/PIL pipeline
	$(PYTHON) bench.py data

clean:  ## remove figures and results (keeps .venv)
	rm -rf figures runs
