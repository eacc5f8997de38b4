# One target per figure: `experiments.py FIG` makes the runs that are missing (in worker processes,
# skipping what is done), then `plots.py FIG` or `tables.py TABLE` draws it from the result files.
# `make -n fig2` prints the commands. Every target that runs Python installs the environment first;
# PYTHON=python3 make ... uses your own interpreter and environment instead of .venv.
# SCALE=small (default: a 2-core CPU), SCALE=paper (the paper, for GPUs) or SCALE=tiny (every step
# on a few dozen images: a check of a machine or a change, not results). JOBS=N: worker processes
# (per GPU on CUDA; auto: one per CPU core, or one per GPU). SEEDS=3-7: other seeds. CIFAR_DIR=folder
# (torchvision's download layout) adds the CIFAR versions of fig2/fig3 and the CIFAR columns of
# table-invariance, and is what table-irrelevant needs.
PYTHON ?= .venv/bin/python
ifeq ($(origin PYTHON),file)
INSTALL := .venv/.installed
endif
SCALE ?= small
JOBS ?= auto
SEEDS_ARG := $(if $(SEEDS),--seeds $(SEEDS))
HAVE_CIFAR10 := $(if $(CIFAR_DIR),$(wildcard $(CIFAR_DIR)/cifar-10-batches-py/.))

.PHONY: help install test smoke fig1 fig2 fig3 fig2-finetune fig4 table-invariance table-irrelevant paper-check gpu-check all \
	figures report \
	commands bench bench-train clean
help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' Makefile | sed 's/:.*## /\t/' | expand -t 18

install: $(INSTALL)  ## create .venv and install requirements.txt (once)
.venv/.installed: requirements.txt
	python3 -m venv .venv
	.venv/bin/pip install -r requirements.txt
	touch $@

test: install  ## lint and run the tests (a few minutes on a laptop CPU)
	$(PYTHON) -m ruff check .
	$(PYTHON) -m pytest -q tests

smoke: install  ## the whole chain on tiny sizes on the CPU (under a minute): pretrain, probe, invariance
	$(PYTHON) train.py --arch vgg11 --transforms rotate --classes 0-2 --train-samples 600 --val-samples 150 --test-samples 300 --epochs 3 --batch-size 32 --device cpu --force --out runs/smoke/pretrain
	$(PYTHON) transfer.py --checkpoint runs/smoke/pretrain/checkpoint.pt --transforms rotate --classes 3-5 --train-samples 600 --test-samples 300 --epochs 30 --device cpu --force --out runs/smoke/probe
	$(PYTHON) invariance.py --checkpoint runs/smoke/pretrain/checkpoint.pt --transforms rotate --classes 3-5 --samples 300 --device cpu --force --out runs/smoke/invariance

fig1: install  ## figures/fig1.png: every transformation applied to one object
	$(PYTHON) plots.py fig1 --out figures/fig1.png

fig2: install  ## figures/fig2.png: invariance versus other factors (experiment E1), claims table
	$(PYTHON) experiments.py fig2 --scale $(SCALE) --jobs $(JOBS) $(SEEDS_ARG)
	$(PYTHON) plots.py fig2 --scale $(SCALE) $(SEEDS_ARG)

fig3: install  ## figures/fig3.png: the invariance gap against each factor's span (fig2's runs)
	$(PYTHON) experiments.py fig2 --scale $(SCALE) --jobs $(JOBS) $(SEEDS_ARG)
	$(PYTHON) plots.py fig3 --scale $(SCALE) $(SEEDS_ARG)

fig2-finetune: install  ## figures/fig2_finetune.png: E1's factors with full fine-tuning on 200 and 2,000 target samples (E1-FT)
	$(PYTHON) experiments.py fig2-finetune --scale $(SCALE) --jobs $(JOBS) $(SEEDS_ARG)
	$(PYTHON) plots.py fig2-finetune --scale $(SCALE) $(SEEDS_ARG)

fig4: install  ## figures/fig4.png: nested transformation sets (experiment E2), claims table
	$(PYTHON) experiments.py fig4 --scale $(SCALE) --jobs $(JOBS) $(SEEDS_ARG)
	$(PYTHON) plots.py fig4 --scale $(SCALE) $(SEEDS_ARG)

table-invariance: install  ## figures/table_invariance.md: invariance transfer across distribution shift (E3)
	$(PYTHON) experiments.py table-invariance --scale $(SCALE) --jobs $(JOBS)
	$(PYTHON) tables.py table-invariance --scale $(SCALE)

table-irrelevant: install  ## figures/table_irrelevant.md/.tex/.json: invariance can hurt (E4; needs CIFAR_DIR)
	$(PYTHON) experiments.py table-irrelevant --scale $(SCALE) --jobs $(JOBS)
	$(PYTHON) tables.py table-irrelevant --scale $(SCALE)

paper-check: install  ## figures/paper_check.md: the paper-scale headline runs (E1, E2, E3 seed 0) beside the paper's numbers; needs a GPU
	$(PYTHON) experiments.py paper-check --jobs $(JOBS)
	$(PYTHON) tables.py paper-check

gpu-check: install  ## results/gpu/: CUDA tests, bench.py train, paper-check and fig2's time, within 9 min on one GPU (OUT=folder)
	$(PYTHON) gpu_check.py --out $(or $(OUT),results/gpu)

all: fig1 fig2 fig3 fig2-finetune fig4 table-invariance $(if $(HAVE_CIFAR10),table-irrelevant)  ## every figure and table, then results/SCALE/REPORT.md
	$(if $(HAVE_CIFAR10),,@echo "make all: no CIFAR-10 under CIFAR_DIR, so table-irrelevant is left out (see README)")
	$(PYTHON) tables.py report --scale $(SCALE)

figures: install  ## re-plot every figure and table from the results present, training nothing
	$(PYTHON) tables.py figures --scale $(SCALE)

report: install  ## results/SCALE/: REPORT.md with every figure, table and claims check of the results present, and the sweeps that made them
	$(PYTHON) tables.py report --scale $(SCALE)

commands: install  ## one command per run of FIG (fig2, fig2-finetune, fig4, table-invariance, table-irrelevant; default fig2) at SCALE, pretrainings first
	@$(PYTHON) experiments.py $(or $(FIG),fig2) --scale $(SCALE) --commands

bench: install  ## results/bench_data_cpu.json: the generator's speed against the original's per-sample pipeline
	$(PYTHON) bench.py data --json results/bench_data_cpu.json

bench-train: install  ## pretraining, feature-extraction and probe speed (use a GPU: DEVICE=cuda)
	$(PYTHON) bench.py train --arch all --device $(or $(DEVICE),cpu)

clean:  ## remove figures/ and runs/ (keeps .venv and results/)
	rm -rf figures runs
