# One target per figure; every target that runs Python installs the environment first.
# PYTHON=python3 make ... uses your own interpreter and environment instead of .venv.
PYTHON ?= .venv/bin/python
ifeq ($(origin PYTHON),file)
INSTALL := .venv/.installed
endif

.PHONY: help install test smoke fig1 bench bench-train clean
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

smoke: install  ## the whole chain on tiny sizes on the CPU (about a minute): pretrain, probe, invariance
	$(PYTHON) train.py --arch vgg11 --transforms rotate --classes 0-2 --train-samples 600 --val-samples 150 --test-samples 300 --epochs 3 --batch-size 32 --device cpu --force --out runs/smoke/pretrain
	$(PYTHON) transfer.py --checkpoint runs/smoke/pretrain/checkpoint.pt --transforms rotate --classes 3-5 --train-samples 600 --test-samples 300 --epochs 30 --device cpu --force --out runs/smoke/probe
	$(PYTHON) transfer.py --checkpoint runs/smoke/pretrain/checkpoint.pt --invariance --transforms rotate --classes 3-5 --test-samples 300 --device cpu --force --out runs/smoke/invariance

fig1: install  ## figures/fig1.png: every transformation applied to one object
	$(PYTHON) plots.py fig1 --out figures/fig1.png

bench: install  ## generator speed against a per-sample torchvision/PIL pipeline
	$(PYTHON) bench.py data

bench-train: install  ## pretraining, feature-extraction and probe speed (use a GPU: DEVICE=cuda)
	$(PYTHON) bench.py train --arch all --device $(or $(DEVICE),cpu)

clean:  ## remove figures and results (keeps .venv)
	rm -rf figures runs
