"""The paper's experiments as lists of runs, one train.py or transfer.py command each (SPEC 5).

    python experiments.py fig2 --scale small --makefile     # make rules; the Makefile includes them
    python experiments.py fig2 --scale paper --commands      # one command per line, for a cluster
    python experiments.py fig2 --scale paper --commands --stage pretrain   # only the pretrainings
    python experiments.py table-irrelevant --scale small --makefile         # E4 (needs CIFAR-10)
    python experiments.py fig4 --scale small --makefile     # experiment E2's runs
    python experiments.py table-invariance --scale small --makefile        # E3's runs

Experiment E1 (Figures 2 and 3, "how important is invariance"): per seed, a target task of 30
objects under a set of three transformations T_same (one per category), and pretrainings
under T_same or under a disjoint set T_diff, varying one factor at a time: the relationship
between pretraining and target classes, the architecture, the number of pretraining samples
and the number of target samples for the probe. Every pretraining is probed on the target
task. A run is named by its configuration, so a run that two factors share (the default one)
appears once and is trained once.

Experiment E2 (Figure 4, "invariance mismatch"): per seed an ordered draw of 8 transformations;
t_k is the first k. One model per (architecture, k) on the seed's 30 E1 target objects, each
linear-probed on every t_j by one transfer.py run (--probe-sets).

Scales: `paper` is SPEC exactly. `small` (the default) is the same design reduced to fit about
20 minutes on a 2-core CPU: 2 seeds, networks 1/8 as wide (the ViT 1/4), 2,000 pretraining
samples (values 1,000 to 16,000), each pretraining about 8,000 images long (4 epochs of 2,000, 8 of
1,000, 1 of 16,000) at batch 32, probes on 2,000 samples (values 50 to 2,000).

Experiment E3 (the "how transferable is invariance" table): per seed, a resnet18 trained on
each single transformation (and none), on objects or on random data, and the invariance of
each to every transformation on its training data, other objects, random data and CIFAR.
`small` reduces it as E3_SCALES says.
"""
import argparse
import os
import random
import shlex
import sys
from pathlib import Path
from typing import NamedTuple

from data import CIFAR
from transforms import CATEGORIES, TRANSFORMS

N_OBJECTS = 61

SCALES = {
    # small: every pretraining sees about 8,000 images (epochs = 8,000 / samples, at least 1),
    # so that the runs with few samples learn something at all; below 1,000 samples (33 a class)
    # the narrow networks memorise them and neither invariance transfers. The ViT does not learn
    # at 1/8 width in 8,000 images (7-9% pretraining accuracy): it gets 1/4 width and lr 5e-4.
    "small": dict(seeds=2, width=0.125, epochs=None, image_budget=8000, batch_size=32, train_samples=2000,
                  arch={"vit": dict(width=0.25, lr=5e-4)},
                  val_samples=250, test_samples=500, pretrain_values=[1000, 2000, 4000, 8000, 16_000],
                  probe_samples=2000, probe_test_samples=500, target_values=[50, 200, 500, 1000, 2000],
                  probe_epochs=200),
    "paper": dict(seeds=10, width=1.0, epochs=50, image_budget=None, batch_size=512, train_samples=50_000,
                  val_samples=10_000, test_samples=10_000,
                  pretrain_values=[1000, 10_000, 50_000, 100_000, 500_000],
                  probe_samples=50_000, probe_test_samples=10_000,
                  target_values=[50, 200, 500, 2000, 5000], probe_epochs=200),
}

# CIFAR at paper scale: 45,000 training images (4,500 a class in CIFAR-10, 450 in CIFAR-100)
CIFAR_PAPER = dict(train_samples=20_000, val_samples=2000, test_samples=5000,
                   pretrain_values=[1000, 2500, 5000, 10_000, 20_000], probe_samples=20_000,
                   probe_test_samples=5000)
CIFAR_TRAIN_PER_CLASS = {"cifar10": 4500, "cifar100": 450}

# SPEC E1: the original's draws for seeds 0-9, (T_same, T_diff)
E1_SETS = {
    0: ("translate,invert,pixelate", "rotate,posterize,erasing"),
    1: ("translate,invert,pixelate", "scale,hue,elastic"),
    2: ("scale,brightness,contrast", "translate,posterize,noise"),
    3: ("h_flip,invert,blur", "v_flip,hue,pixelate"),
    4: ("v_flip,invert,contrast", "h_flip,hue,blur"),
    5: ("v_flip,invert,elastic", "shear,brightness,pixelate"),
    6: ("h_flip,posterize,noise", "translate,hue,erasing"),
    7: ("h_flip,grayscale,erasing", "shear,sharpen,noise"),
    8: ("translate,posterize,pixelate", "shear,sharpen,noise"),
    9: ("translate,invert,elastic", "scale,sharpen,contrast"),
}

# E2 (Figure 4): nested transformation sets t_1 ... t_8, one model per (architecture, k), each
# probed on every t_j. paper: SPEC E2 (100 epochs at batch 256). small: E1's small width and
# batch (and its per-architecture overrides), but 64 models: 1,000 samples, 4,000 images per
# pretraining, 2,000 for densenet121 and vit (5-10 x slower per image on a CPU than resnet18),
# probes on 500 samples of each t_j
_SMALL_ARCH = SCALES["small"].get("arch", {})
E2 = {
    "small": {**SCALES["small"], "image_budget": 4000, "train_samples": 1000, "val_samples": 200,
              "test_samples": 400, "probe_samples": 500, "probe_test_samples": 250,
              "arch": {**_SMALL_ARCH, **{a: {**_SMALL_ARCH.get(a, {}), "image_budget": 2000}
                                         for a in ("densenet121", "vit")}}},
    "paper": {**SCALES["paper"], "epochs": 100, "batch_size": 256},
}
E2_ARCHS = ["resnet18", "vgg11", "densenet121", "vit"]
E2_DEPTH = 8  # transformations in the longest set
# E3 (the "how transferable" table): its own sample counts and pretraining length beside SCALES,
# whose network width and batch size it shares. 19 x 2 x seeds pretrainings and as many
# measurements of 18 transformations on 3 to 5 distributions each: at small scale a pretraining
# sees 2,000 images (1,000 samples, 2 epochs) and invariance is measured on 128 pairs, so the
# 76 pretrainings and 76 measurements take about 10 s of CPU each (see README).
E3_SCALES = {
    "small": dict(seeds=2, image_budget=2000, train_samples=1000, val_samples=100, test_samples=200,
                  invariance_samples=128),
    "paper": dict(seeds=10, train_samples=50_000, val_samples=10_000, test_samples=10_000,
                  invariance_samples=10_000),
}
# models trained on objects with image backgrounds, or on random foregrounds and backgrounds
E3_KINDS = {"objects": [], "random": ["--objects", "random", "--backgrounds", "random"]}

FACTORS = {  # factor -> its values, or the SCALES key holding them; see _e1_dataset()
    "class_relationship": ["subset", "disjoint", "same", "superset"],
    "architecture": ["resnet18", "resnet50", "densenet121", "vgg11", "vit"],
    "pretraining_samples": "pretrain_values",
    "target_samples": "target_values",
}


def describe(scale, s=None):
    """What a scale reduces, for captions; s: the experiment's settings (default: E1's SCALES)."""
    s = s or SCALES[scale]
    if scale == "paper":
        return f"paper scale: {s['seeds']} seeds"

    def overrides(key, fmt):  # per-architecture values of key, e.g. " (vit 0.25)"
        found = [f"{arch} {format(o[key], fmt)}" for arch, o in s.get("arch", {}).items() if key in o]
        return f" ({', '.join(found)})" if found else ""
    return (f"{scale} scale: {s['seeds']} seeds, networks {s['width']:g} x as wide{overrides('width', 'g')}, "
            f"{s['train_samples']:,} pretraining samples, {s['image_budget']:,} images per pretraining"
            f"{overrides('image_budget', ',')} at batch {s['batch_size']}, probes on {s['probe_samples']:,} samples")


def describe_e2(scale):
    """What E2's scale reduces, for captions."""
    return describe(scale, E2[scale])


def describe_e4(scale):
    """What E4's scale reduces, for captions (E4 trains resnet18 only: no per-architecture overrides)."""
    return describe(scale, {**E4_SCALES[scale], "arch": {}})


def describe_e3(scale):
    """What a scale reduces in E3, for captions."""
    s = {**SCALES[scale], **E3_SCALES[scale]}
    if scale == "paper":
        return f"paper scale: {s['seeds']} seeds, invariance on {s['invariance_samples']:,} pairs"
    epochs = budget_args(s, "resnet18", s["train_samples"])[3]
    return (f"{scale} scale: {s['seeds']} seeds, networks {s['width']:g} x as wide, {s['train_samples']:,} "
            f"pretraining samples for {epochs} epochs at batch {s['batch_size']}, invariance on "
            f"{s['invariance_samples']:,} pairs")


def transform_sets(seed):
    """(T_same, T_diff) of a seed: the original's draws for seeds 0-9, further seeds drawn the
    same way (two distinct transformations per category, the first of each to T_same)."""
    if seed in E1_SETS:
        return E1_SETS[seed]
    rng = random.Random(seed)
    pairs = [rng.sample(names, 2) for names in CATEGORIES.values()]
    return ",".join(p[0] for p in pairs), ",".join(p[1] for p in pairs)


def class_split(seed, dataset="t2d"):
    """A seeded permutation of the classes: 30 target and 30 other objects for Transforms-2D,
    half and half of CIFAR's classes."""
    if dataset == "t2d":
        perm = random.Random(f"classes-{seed}").sample(range(N_OBJECTS), 60)
    else:
        perm = random.Random(f"{dataset}-classes-{seed}").sample(range(CIFAR[dataset][4]), CIFAR[dataset][4])
    half = len(perm) // 2
    return perm[:half], perm[half:]


def budget_args(s, arch, n):
    """A pretraining's --width, --epochs, --batch-size (and --lr) at scale settings s, for an
    architecture trained on n samples: s["arch"][arch] overrides the scale's settings."""
    o = {**s, **s.get("arch", {}).get(arch, {})}
    epochs = o["epochs"] or max(1, round(o["image_budget"] / n))
    args = ["--width", str(o["width"]), "--epochs", str(epochs), "--batch-size", str(o["batch_size"])]
    return args + (["--lr", str(o["lr"])] if "lr" in o else [])


class Run(NamedTuple):
    out: str  # the run folder; its result file is the make target
    args: list  # the script and its arguments
    needs: str = ""  # the run folder whose results.json must exist first
    result: str = "results.json"  # the file the run writes last


class Point(NamedTuple):
    """One (factor, value, seed, invariance) point of a figure and the runs behind it."""
    factor: str
    value: object
    seed: int
    invariance: str  # "same" or "different"
    pretrain: str
    probe: str
    dataset: str = "t2d"


def _classes(ids):
    return ",".join(map(str, ids))


def cifar_datasets(cifar_dir):
    """The CIFAR versions whose folder (as torchvision's download writes it) is in cifar_dir."""
    if not cifar_dir:
        return []
    return [name for name, (folder, *_) in CIFAR.items() if (Path(cifar_dir) / folder).is_dir()]


def e1(scale, root="runs", cifar_dir=None):
    """The runs of E1 at a scale and the figure points they make, runs deduplicated by folder:
    Transforms-2D, plus the CIFAR versions found in cifar_dir."""
    runs, points = {}, []
    for dataset in ["t2d", *cifar_datasets(cifar_dir)]:
        _e1_dataset(dataset, scale, root, cifar_dir, runs, points)
    return list(runs.values()), points


def _e1_dataset(dataset, scale, root, cifar_dir, runs, points):
    s = dict(SCALES[scale])
    if dataset == "t2d":
        folder, data_args = f"{root}/{scale}/e1", []
        factors = list(FACTORS)
    else:  # half the classes are targets; CIFAR has fewer images per class than we can generate
        folder, data_args = f"{root}/{scale}/e1-{dataset}", ["--dataset", dataset, "--data-dir", str(cifar_dir)]
        factors = ["class_relationship", "architecture", "pretraining_samples"]
        s.update(CIFAR_PAPER if scale == "paper" else {})
    for seed in range(s["seeds"]):
        target, other = class_split(seed, dataset)
        relationship = {"subset": target[:max(1, round(len(target) / 3))], "disjoint": other, "same": target,
                        "superset": target + other}
        for invariance, transforms in zip(("same", "different"), transform_sets(seed)):
            def pretrain(rel="disjoint", arch="resnet18", n=s["train_samples"]):
                if dataset != "t2d":  # no more images than the classes have
                    n = min(n, CIFAR_TRAIN_PER_CLASS[dataset] * len(relationship[rel]))
                out = f"{folder}/pretrain/{arch}-{rel}-{invariance}-n{n}-s{seed}"
                runs[out] = Run(out, [
                    "train.py", *data_args, "--arch", arch, "--transforms", transforms,
                    "--classes", _classes(relationship[rel]), "--train-samples", str(n),
                    "--val-samples", str(s["val_samples"]), "--test-samples", str(s["test_samples"]),
                    *budget_args(s, arch, n), "--seed", str(seed), "--out", out])
                return out

            def probe(pre, n=s["probe_samples"]):
                out = f"{folder}/probe/{Path(pre).name}-to-target-n{n}"
                runs[out] = Run(out, [
                    "transfer.py", *data_args, "--checkpoint", f"{pre}/checkpoint.pt",
                    "--transforms", transform_sets(seed)[0], "--classes", _classes(target),
                    "--train-samples", str(n), "--test-samples", str(s["probe_test_samples"]),
                    "--epochs", str(s["probe_epochs"]), "--seed", str(seed), "--out", out], needs=pre)
                return out

            def point(factor, value, pre, n=s["probe_samples"]):
                points.append(Point(factor, value, seed, invariance, pre, probe(pre, n), dataset))

            # the longest runs first, so that `make -j N` does not end on one of them
            for arch in FACTORS["architecture"]:
                point("architecture", arch, pretrain(arch=arch))
            for n in reversed(s["pretrain_values"]):
                point("pretraining_samples", n, pretrain(n=n))
            if "class_relationship" in factors:
                for rel in FACTORS["class_relationship"]:
                    point("class_relationship", rel, pretrain(rel=rel))
            if "target_samples" in factors:  # pretrained on the target classes themselves (SPEC E1)
                for n in s["target_values"]:
                    point("target_samples", n, pretrain(rel="same"), n)


def nested_transforms(seed):
    """E2's ordered draw of a seed: 8 distinct transformations; t_k is the first k of them."""
    return random.Random(f"e2-{seed}").sample(TRANSFORMS, E2_DEPTH)


class NestedPoint(NamedTuple):
    """One model of E2: architecture, k (it was pretrained on t_k), seed, and its two runs;
    the probe run holds one record per t_j."""
    arch: str
    k: int
    seed: int
    pretrain: str
    probe: str


def e2(scale, root="runs"):
    """The runs of E2 at a scale and its points (one per model). The 30 classes are the seed's
    E1 target half (class_split), so both experiments share their objects."""
    s, folder = E2[scale], f"{root}/{scale}/e2"
    runs, points = [], []
    for seed in range(s["seeds"]):
        names, classes = nested_transforms(seed), _classes(class_split(seed)[0])
        sets = [",".join(names[:j]) for j in range(1, E2_DEPTH + 1)]
        for arch in E2_ARCHS:
            for k in range(1, E2_DEPTH + 1):
                pre, probe = f"{folder}/pretrain/{arch}-k{k}-s{seed}", f"{folder}/probe/{arch}-k{k}-s{seed}"
                runs.append(Run(pre, [
                    "train.py", "--arch", arch, "--transforms", sets[k - 1], "--classes", classes,
                    "--train-samples", str(s["train_samples"]), "--val-samples", str(s["val_samples"]),
                    "--test-samples", str(s["test_samples"]), *budget_args(s, arch, s["train_samples"]),
                    "--seed", str(seed), "--out", pre]))
                runs.append(Run(probe, [
                    "transfer.py", "--checkpoint", f"{pre}/checkpoint.pt", "--probe-sets", *sets,
                    "--classes", classes, "--train-samples", str(s["probe_samples"]),
                    "--test-samples", str(s["probe_test_samples"]), "--epochs", str(s["probe_epochs"]),
                    "--seed", str(seed), "--out", probe], needs=pre))
                points.append(NestedPoint(arch, k, seed, pre, probe))
    return runs, points
class E3Model(NamedTuple):
    """One E3 model: trained on data `kind` with transformation `trained` ("none": without),
    and the measurement of its invariance to each transformation on each distribution."""
    kind: str
    trained: str
    seed: int
    pretrain: str
    measure: str


def e3(scale, root="runs", cifar_dir=None):
    """The runs of E3 (SPEC 5) at a scale and the models they make: per seed, kind of training
    data and transformation (or none), a pretraining on the seed's 30 target objects and one
    measurement of its invariance to each of the 18 transformations on its training data, the
    30 other objects, random data and the CIFAR versions found in cifar_dir."""
    s = {**SCALES[scale], **E3_SCALES[scale]}
    cifar = cifar_datasets(cifar_dir)
    dists = ",".join(["train", "objects", "random", *cifar])
    cifar_args = ["--data-dir", str(cifar_dir)] if cifar else []
    folder = f"{root}/{scale}/e3"
    runs, cells = [], []
    for seed in range(s["seeds"]):
        target, other = class_split(seed)
        for kind, data_args in E3_KINDS.items():
            for trained in ["none", *TRANSFORMS]:
                name = f"{kind}-{trained}-s{seed}"
                pre, inv = f"{folder}/pretrain/{name}", f"{folder}/invariance{''.join('-' + c for c in cifar)}/{name}"
                runs.append(Run(pre, [
                    "train.py", *data_args, "--arch", "resnet18", "--transforms", trained,
                    "--classes", _classes(target), "--train-samples", str(s["train_samples"]),
                    "--val-samples", str(s["val_samples"]), "--test-samples", str(s["test_samples"]),
                    *budget_args(s, "resnet18", s["train_samples"]), "--seed", str(seed), "--out", pre]))
                runs.append(Run(inv, [
                    "transfer.py", "--checkpoint", f"{pre}/checkpoint.pt", "--invariance", "--each",
                    "--transforms", ",".join(TRANSFORMS), "--distributions", dists, "--classes", _classes(other),
                    *cifar_args, "--test-samples", str(s["invariance_samples"]), "--seed", str(seed),
                    "--out", inv], needs=pre, result="invariance.json"))
                cells.append(E3Model(kind, trained, seed, pre, inv))
    return runs, cells


# ----------------------------------------------------------------------------------------
# E4, irrelevant features (the paper's "invariance can hurt" table)

E4_TASKS = {  # task: (folder name, data flags); the composites also get --placement
    "C&C": ("cc", ["--dataset", "cifar10", "--classes", "0-9"]),
    "C+O&C": ("coc", ["--dataset", "cifar10+objects", "--label", "cifar", "--classes", "0-9"]),
    "C+O&O": ("coo", ["--dataset", "cifar10+objects", "--label", "object", "--classes", "0-9"]),
    "O&O": ("oo", ["--dataset", "black+objects", "--label", "object", "--classes", "0-9"]),
}
PLACEMENTS = ["fixed", "translated"]
INVARIANCES = ["object", "background"]  # what differs within a pair: transfer.py --vary
# paper: 200 pretraining epochs on CIFAR-10's 45,000 training images (the last 5,000 are val),
# its 10,000 test images; probes of 100 epochs. small: E1's small budget, probes of 100 epochs.
E4_SCALES = {
    "small": dict(SCALES["small"], probe_epochs=100),
    "paper": dict(SCALES["paper"], epochs=200, train_samples=45_000, val_samples=5000, test_samples=10_000,
                  probe_samples=45_000, probe_test_samples=10_000, probe_epochs=100),
}


class Cell(NamedTuple):
    """One entry of the table for one seed: a probe's accuracy or an invariance, and its run."""
    placement: str
    seed: int
    pretrain: str  # the pretraining task
    column: str  # the probe task, or "object" / "background" (invariance to changes of that)
    run: Run


def e4(scale, root="runs", cifar_dir="$(CIFAR_DIR)"):
    """The runs of E4 at a scale and the table cells they fill, runs deduplicated by folder.
    Every pretraining is probed on all four tasks of its placement, and its invariance to object
    and to background changes is measured on the composite images of that placement. C&C does
    not depend on the placement: it is trained once and its C&C probe is shared."""
    s, folder, runs, cells = E4_SCALES[scale], f"{root}/{scale}/e4", {}, []

    def flags(task, placement):
        name, args = E4_TASKS[task]
        if task == "C&C":
            return name, args + ["--data-dir", cifar_dir]
        return f"{name}-{placement}", args + ["--placement", placement, "--data-dir", cifar_dir]

    def add(run):
        return runs.setdefault(run.out, run)

    for seed in range(s["seeds"]):
        for placement in PLACEMENTS:
            for pre_task in E4_TASKS:
                name, data_args = flags(pre_task, placement)
                pre = add(Run(f"{folder}/pretrain/{name}-s{seed}", [
                    "train.py", *data_args, "--arch", "resnet18", "--train-samples", str(s["train_samples"]),
                    "--val-samples", str(s["val_samples"]), "--test-samples", str(s["test_samples"]),
                    *budget_args(s, "resnet18", s["train_samples"]), "--seed", str(seed),
                    "--out", f"{folder}/pretrain/{name}-s{seed}"]))
                ckpt = ["--checkpoint", f"{pre.out}/checkpoint.pt", "--seed", str(seed)]
                for task in E4_TASKS:
                    probe_name, probe_args = flags(task, placement)
                    out = f"{folder}/probe/{name}-to-{probe_name}-s{seed}"
                    cells.append(Cell(placement, seed, pre_task, task, add(Run(out, [
                        "transfer.py", *probe_args, *ckpt, "--train-samples", str(s["probe_samples"]),
                        "--test-samples", str(s["probe_test_samples"]), "--epochs", str(s["probe_epochs"]),
                        "--out", out], needs=pre.out))))
                _, composite_args = flags("C+O&C", placement)
                for vary in INVARIANCES:
                    out = f"{folder}/invariance/{name}-{vary}-{placement}-s{seed}"
                    cells.append(Cell(placement, seed, pre_task, vary, add(Run(out, [
                        "transfer.py", "--invariance", "--vary", vary, *composite_args, *ckpt,
                        "--test-samples", str(s["test_samples"]), "--out", out], needs=pre.out,
                        result="invariance.json"))))
    return list(runs.values()), cells


def cifar10_missing(cifar_dir):
    """None if cifar_dir holds CIFAR-10 as torchvision's download writes it, else one line
    saying how to get it."""
    if "cifar10" in cifar_datasets(cifar_dir):
        return None
    return (f"table-irrelevant needs CIFAR-10, not found under CIFAR_DIR={cifar_dir or ''!r}: run "
            "python -c \"import torchvision as tv; tv.datasets.CIFAR10('cifar', download=True)\" "
            "and set CIFAR_DIR=$PWD/cifar (see README)")



def command(run, python="python"):
    return " ".join([python] + [shlex.quote(a) for a in run.args])


def makefile(runs, var):
    """Make rules: each run's result file is a target that needs its pretraining's results.json."""
    lines = [f"{var} := " + " ".join(f"{r.out}/{r.result}" for r in runs if r.needs), ""]
    for r in runs:
        lines.append(f"{r.out}/{r.result}: {r.needs + '/results.json' if r.needs else ''}".rstrip())
        lines.append(f"\t$(RUN_ENV) {command(r, '$(PYTHON)')}")
    return "\n".join(lines) + "\n"


# figure target: (its plan, the make variable listing its runs)
EXPERIMENTS = {"fig2": (e1, "FIG2_RUNS"), "fig4": (lambda scale, root, cifar_dir: e2(scale, root), "FIG4_RUNS"),
               "table-invariance": (e3, "TABLE_INVARIANCE_RUNS"), "table-irrelevant": (e4, "TABLE_IRRELEVANT_RUNS")}


def get_args_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("figure", choices=list(EXPERIMENTS),
                   help="which experiment's runs: fig2 (and fig3) E1, fig4 E2, table-invariance E3, "
                        "table-irrelevant E4")
    p.add_argument("--scale", choices=list(SCALES), default="small", help="(default: %(default)s)")
    p.add_argument("--root", default="runs", help="folder of all runs (default: %(default)s)")
    p.add_argument("--cifar-dir", default=os.environ.get("CIFAR_DIR"),
                   help="folder with cifar-10-batches-py/ and/or cifar-100-python/: adds E1's CIFAR "
                        "versions and E3's CIFAR columns; E4 needs CIFAR-10 (default: $CIFAR_DIR: %(default)s)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--makefile", action="store_true", help="print make rules")
    what.add_argument("--commands", action="store_true",
                      help="print one command per run, pretrainings first")
    what.add_argument("--check", action="store_true",
                      help="table-irrelevant: exit 1 with one line if CIFAR-10 is missing, else 0 silently")
    p.add_argument("--stage", choices=["pretrain", "probe"], default=None,
                   help="with --commands: only this stage, probe including invariance (default: both)")
    return p


def main(args):
    if args.check and args.figure != "table-irrelevant":
        sys.exit("experiments.py: error: --check is for table-irrelevant")
    if args.figure == "table-irrelevant":
        missing = cifar10_missing(args.cifar_dir)
        if missing:  # nothing is printed on stdout, so a Makefile rule writes nothing
            sys.exit(f"experiments.py: {missing}")
        if args.check:
            return
        # make rules read the folder from $(CIFAR_DIR) when they run; commands name it
        args.cifar_dir = "$(CIFAR_DIR)" if args.makefile else str(Path(args.cifar_dir).resolve())
    elif args.figure != "fig4" and not cifar_datasets(args.cifar_dir):
        where = f"no CIFAR under {args.cifar_dir!r}" if args.cifar_dir else "CIFAR_DIR is not set"
        print(f"experiments.py: {where} (see README): the CIFAR parts are skipped", file=sys.stderr)
    plan, var = EXPERIMENTS[args.figure]
    runs, _ = plan(args.scale, args.root, args.cifar_dir)
    if args.makefile:
        sys.stdout.write(makefile(runs, var))
        return
    for stage in ("pretrain", "probe"):
        if args.stage in (None, stage):
            for r in runs:
                if bool(r.needs) == (stage == "probe"):
                    print(command(r))


if __name__ == "__main__":
    main(get_args_parser().parse_args())
