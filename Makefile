# One target per figure; every target that runs Python installs the environment first.
# PYTHON=python3 make ... uses your own interpreter and environment instead of .venv.
# SCALE=small (default: about 20 min on 2 CPU cores) or SCALE=paper (the paper, for GPUs).
# CIFAR_DIR=folder (torchvision's download layout) adds the CIFAR versions to fig2 and fig3 and
# the CIFAR columns to table-invariance, and is what table-irrelevant needs.
PYTHON ?= .venv/bin/python
ifeq ($(origin PYTHON),file)
INSTALL := .venv/.installed
endif
SCALE ?= small

# Every run of an experiment is a file target (its results.json), so `make -j N fig2` runs N
# at once and an interrupted sweep resumes. experiments.py writes those rules into
# runs/$(SCALE)/*.mk; each rule file is read only when a goal needs it.
FIG2_MK := runs/$(SCALE)/fig2$(if $(CIFAR_DIR),-cifar).mk
FIG4_MK := runs/$(SCALE)/fig4.mk
TABLE_INVARIANCE_MK := runs/$(SCALE)/table-invariance$(if $(CIFAR_DIR),-cifar).mk
# E4 needs CIFAR-10. Without it, `make table-irrelevant` stops with experiments.py's one line on
# how to get it, having written nothing; `make all` leaves E4 out.
E4_MK := runs/$(SCALE)/table-irrelevant.mk
HAVE_CIFAR10 := $(if $(CIFAR_DIR),$(wildcard $(CIFAR_DIR)/cifar-10-batches-py/.))
ifneq ($(filter fig2 fig3 all,$(MAKECMDGOALS)),)
include $(FIG2_MK)
endif
ifneq ($(filter fig4 all,$(MAKECMDGOALS)),)
include $(FIG4_MK)
endif
ifneq ($(filter table-invariance all,$(MAKECMDGOALS)),)
include $(TABLE_INVARIANCE_MK)
endif
ifneq ($(filter table-irrelevant,$(MAKECMDGOALS))$(and $(filter all,$(MAKECMDGOALS)),$(HAVE_CIFAR10)),)
include $(E4_MK)
endif
ifneq ($(filter fig2 fig3 fig4 table-invariance table-irrelevant all,$(MAKECMDGOALS)),)
ifeq ($(SCALE),small)
# Small networks use two CPU cores better as two single-threaded runs than as one run on both:
# two at once by default (make -jN overrides it), each run's output shown when it ends.
MAKEFLAGS += -j2 --output-sync=target
RUN_ENV ?= OMP_NUM_THREADS=1
endif
endif
$(FIG2_MK): experiments.py $(INSTALL)
	@mkdir -p $(@D)
	$(PYTHON) experiments.py fig2 --scale $(SCALE) --makefile > $@.tmp && mv $@.tmp $@
$(FIG4_MK): experiments.py $(INSTALL)
	@mkdir -p $(@D)
	$(PYTHON) experiments.py fig4 --scale $(SCALE) --makefile > $@.tmp && mv $@.tmp $@
$(E4_MK): experiments.py $(INSTALL)
	@$(PYTHON) experiments.py table-irrelevant --check --cifar-dir "$(CIFAR_DIR)"
	@mkdir -p $(@D)
	$(PYTHON) experiments.py table-irrelevant --scale $(SCALE) --makefile --cifar-dir "$(CIFAR_DIR)" > $@.tmp && mv $@.tmp $@

$(TABLE_INVARIANCE_MK): experiments.py $(INSTALL)
	@mkdir -p $(@D)
	$(PYTHON) experiments.py table-invariance --scale $(SCALE) --makefile > $@.tmp && mv $@.tmp $@

.PHONY: help install test smoke fig1 fig2 fig3 fig4 table-invariance table-irrelevant all figures report \
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

smoke: install  ## the whole chain on tiny sizes on the CPU (about a minute): pretrain, probe, invariance
	$(PYTHON) train.py --arch vgg11 --transforms rotate --classes 0-2 --train-samples 600 --val-samples 150 --test-samples 300 --epochs 3 --batch-size 32 --device cpu --force --out runs/smoke/pretrain
	$(PYTHON) transfer.py --checkpoint runs/smoke/pretrain/checkpoint.pt --transforms rotate --classes 3-5 --train-samples 600 --test-samples 300 --epochs 30 --device cpu --force --out runs/smoke/probe
	$(PYTHON) transfer.py --checkpoint runs/smoke/pretrain/checkpoint.pt --invariance --transforms rotate --classes 3-5 --test-samples 300 --device cpu --force --out runs/smoke/invariance

fig1: install  ## figures/fig1.png: every transformation applied to one object
	$(PYTHON) plots.py fig1 --out figures/fig1.png

fig2: $(FIG2_RUNS)  ## figures/fig2.png: invariance versus other factors (experiment E1), claims table
	$(PYTHON) plots.py fig2 --scale $(SCALE)

fig3: $(FIG2_RUNS)  ## figures/fig3.png: the invariance gap against each factor's span (same runs)
	$(PYTHON) plots.py fig3 --scale $(SCALE)

fig4: $(FIG4_RUNS)  ## figures/fig4.png: nested transformation sets (experiment E2), claims table
	$(PYTHON) plots.py fig4 --scale $(SCALE)

table-invariance: $(TABLE_INVARIANCE_RUNS)  ## figures/table_invariance.md: invariance transfer across distribution shift (E3)
	$(PYTHON) tables.py table-invariance --scale $(SCALE)

table-irrelevant: $(TABLE_IRRELEVANT_RUNS)  ## figures/table_irrelevant.md/.tex/.json: invariance can hurt (E4; needs CIFAR_DIR)
	$(PYTHON) tables.py table-irrelevant --scale $(SCALE)

all: fig1 fig2 fig3 fig4 table-invariance $(if $(HAVE_CIFAR10),table-irrelevant)  ## every figure and table, then figures/REPORT.md
	$(if $(HAVE_CIFAR10),,@echo "make all: no CIFAR-10 under CIFAR_DIR, so table-irrelevant is left out (see README)")
	$(PYTHON) tables.py report --scale $(SCALE)

figures: install  ## re-plot every figure and table from the results present, training nothing
	$(PYTHON) tables.py figures --scale $(SCALE)

report: install  ## figures/REPORT.md: every figure, table and claims check of the results present
	$(PYTHON) tables.py report --scale $(SCALE)

commands: install  ## one command per run of FIG (fig2, fig4, table-invariance, table-irrelevant; default fig2) at SCALE, pretrainings first
	@$(PYTHON) experiments.py $(or $(FIG),fig2) --scale $(SCALE) --commands

bench: install  ## generator speed against a per-sample torchvision/PIL pipeline
	$(PYTHON) bench.py data

bench-train: install  ## pretraining, feature-extraction and probe speed (use a GPU: DEVICE=cuda)
	$(PYTHON) bench.py train --arch all --device $(or $(DEVICE),cpu)

clean:  ## remove figures and results (keeps .venv)
	rm -rf figures runs
