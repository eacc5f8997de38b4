"""The paper's experiments as lists of runs (SPEC section 5), and the command that runs them.

    python experiments.py fig2 --scale small             # E1: train and probe what is missing
    python experiments.py fig2 --scale paper --commands  # one command per run, for a cluster

fig2 (and fig3) is E1, fig4 E2, table-invariance E3, table-irrelevant E4 (needs CIFAR-10). A run
is a train.py, transfer.py or invariance.py command with its own folder, named by its
configuration, so a run that two points share is made once. Runs whose results exist are
skipped; the rest go to worker processes (runner.py), pretrainings before the probes that need
them. Each experiment below is one section: its settings per scale beside its plan. `paper` is
SPEC exactly; `small` is the same design reduced to fit a 2-core CPU (README, "Scales").
"""
import os
import random
import shlex
import sys
from pathlib import Path
from typing import NamedTuple

from data import CIFAR, cifar_counts
from runfolder import Parser
from transforms import CATEGORIES, TRANSFORMS

N_OBJECTS = 61


class Run(NamedTuple):
    out: str  # the run folder
    script: str  # train, transfer or invariance
    argv: list  # its arguments
    needs: str = ""  # the folder of the pretraining whose checkpoint it reads
    result: str = "results.json"  # the file it writes last
    cost: float = 1.0  # a rough size, to start the longest runs first


def command(run, python="python"):
    return " ".join([python, f"{run.script}.py"] + [shlex.quote(a) for a in run.argv])


# the CPU time of a training step at SCALE=small's widths relative to resnet18's (README, "Speed")
ARCH_COST = {"resnet18": 1.0, "resnet50": 3.5, "densenet121": 3.6, "vgg11": 0.5, "vit": 3.6}


def pretrain_run(out, s, arch, data_args, samples, seed):
    """A train.py run at settings s, whose s["arch"][arch] overrides the rest: epochs, or as many
    as make s["image_budget"] images (at least 1)."""
    o = {**s, **s.get("arch", {}).get(arch, {})}
    epochs = o.get("epochs") or max(1, round(o["image_budget"] / samples))
    argv = [*data_args, "--arch", arch, "--train-samples", str(samples), "--val-samples", str(s["val_samples"]),
            "--test-samples", str(s["test_samples"]), "--width", str(o["width"]), "--epochs", str(epochs),
            "--batch-size", str(o["batch_size"]), *(["--lr", str(o["lr"])] if "lr" in o else []),
            "--seed", str(seed), "--out", out]
    return Run(out, "train", argv, cost=ARCH_COST[arch] * samples * epochs)


def probe_run(out, s, pre, arch, data_args, sets, samples, seed):
    """A transfer.py linear probe of pre's checkpoint on each transformation set in `sets`."""
    argv = ["--checkpoint", f"{pre}/checkpoint.pt", *data_args, "--transforms", *sets, "--train-samples",
            str(samples), "--test-samples", str(s["probe_test_samples"]), "--epochs", str(s["probe_epochs"]),
            *(["--batch-size", str(s["probe_batch_size"])] if "probe_batch_size" in s else []),
            "--seed", str(seed), "--out", out]
    return Run(out, "transfer", argv, needs=pre, cost=ARCH_COST[arch] * len(sets) * samples / 3)


def _overrides(s, key, fmt):
    found = [f"{arch} {format(o[key], fmt)}" for arch, o in s.get("arch", {}).items() if key in o]
    return f" ({', '.join(found)})" if found else ""


def caption(scale, s):
    """What a scale reduces, for figure captions; s: the experiment's settings at that scale."""
    if scale == "paper":
        return f"paper scale: {s['seeds']} seeds"
    text = (f"{scale} scale: {s['seeds']} seeds, networks {s['width']:g} x as wide{_overrides(s, 'width', 'g')}, "
            f"{s['train_samples']:,} pretraining samples, {s['image_budget']:,} images per pretraining"
            f"{_overrides(s, 'image_budget', ',')} at batch {s['batch_size']}")
    if "probe_samples" in s:
        text += f", probes on {s['probe_samples']:,} samples"
    if "invariance_samples" in s:
        text += f", invariance on {s['invariance_samples']:,} pairs"
    return text


def classes_arg(ids):
    return ",".join(map(str, ids))


def class_split(seed, dataset="t2d"):
    """A seeded permutation of the classes: 30 target and 30 other objects for Transforms-2D,
    half and half of CIFAR's classes."""
    if dataset == "t2d":
        perm = random.Random(f"classes-{seed}").sample(range(N_OBJECTS), 60)
    else:
        perm = random.Random(f"{dataset}-classes-{seed}").sample(range(CIFAR[dataset][4]), CIFAR[dataset][4])
    half = len(perm) // 2
    return perm[:half], perm[half:]


def cifar_datasets(cifar_dir):
    """The CIFAR versions whose folder (as torchvision's download writes it) is in cifar_dir."""
    if not cifar_dir:
        return []
    return [name for name, (folder, *_) in CIFAR.items() if (Path(cifar_dir) / folder).is_dir()]


# ----------------------------------------------------------------------------------------
# E1 (Figures 2 and 3): invariance versus other factors. Per seed, a target task of 30 objects
# under T_same; pretrainings under T_same or T_diff, one factor varied at a time; each probed.

E1 = {
    # small: every pretraining sees about 8,000 images (epochs = 8,000 / samples, at least 1), so
    # that the runs with few samples learn at all; the ViT learns nothing at 1/8 width in 8,000
    # images (7-9% pretraining accuracy): 1/4 width and lr 5e-4
    "small": dict(seeds=2, width=0.125, image_budget=8000, batch_size=32, train_samples=2000, val_samples=250,
                  test_samples=500, probe_samples=2000, probe_test_samples=500, probe_epochs=200,
                  arch={"vit": dict(width=0.25, lr=5e-4)}),
    "paper": dict(seeds=10, width=1.0, epochs=50, batch_size=512, train_samples=50_000, val_samples=10_000,
                  test_samples=10_000, probe_samples=50_000, probe_test_samples=10_000, probe_epochs=200),
}
# CIFAR at paper scale: every split as asked for, or all that the chosen classes have (e1_cifar_sizes)
E1_CIFAR = {"small": {}, "paper": dict(train_samples=20_000, val_samples=2000, test_samples=5000,
                                       probe_samples=20_000, probe_test_samples=5000,
                                       values={"pretraining_samples": [1000, 2500, 5000, 10_000, 20_000]})}


class Factor(NamedTuple):
    label: str  # the figure's name for it
    setting: str  # the setting of the default point that its values replace
    values: dict  # scale -> values, in the figure's order
    fixed: dict = {}  # settings that differ from the default point for every value
    cifar: bool = True  # part of the CIFAR versions too


FACTORS = {  # E1's factors: the plan and the figures read this; a new factor is one entry
    "class_relationship": Factor("class relationship", "classes",
                                 dict.fromkeys(E1, ["subset", "disjoint", "same", "superset"])),
    "architecture": Factor("architecture", "arch",
                           dict.fromkeys(E1, ["resnet18", "resnet50", "densenet121", "vgg11", "vit"])),
    "pretraining_samples": Factor("pretraining samples", "train_samples",
                                  {"small": [1000, 2000, 4000, 8000, 16_000],
                                   "paper": [1000, 10_000, 50_000, 100_000, 500_000]}),
    # SPEC E1: here the pretraining uses the target classes themselves
    "target_samples": Factor("target samples (probe)", "probe_samples",
                             {"small": [50, 200, 500, 1000, 2000], "paper": [50, 200, 500, 2000, 5000]},
                             fixed={"classes": "same"}, cifar=False),
}
KINDS = ("same", "different")


def factor_values(name, scale, dataset="t2d"):
    """The values of E1's factor `name` at a scale, in the figure's order."""
    cifar = E1_CIFAR[scale].get("values", {}) if dataset != "t2d" else {}
    return cifar.get(name, FACTORS[name].values[scale])

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


def transform_sets(seed):
    """(T_same, T_diff) of a seed: the original's draws for seeds 0-9, further seeds drawn the
    same way (two distinct transformations per category, the first of each to T_same)."""
    if seed in E1_SETS:
        return E1_SETS[seed]
    rng = random.Random(seed)
    pairs = [rng.sample(names, 2) for names in CATEGORIES.values()]
    return ",".join(p[0] for p in pairs), ",".join(p[1] for p in pairs)


class Point(NamedTuple):
    """One (factor, value, seed, kind) point of Figure 2 and the runs behind it."""
    factor: str
    value: object
    seed: int
    kind: str  # "same" or "different"
    pretrain: str
    probe: str
    dataset: str = "t2d"


def e1_cifar_sizes(s, dataset, cifar_dir, pretrain_classes, target_classes):
    """s with every split of a CIFAR run capped by the images its classes have (CIFAR-10: 4,500
    training images a class, CIFAR-100: 450; the last tenth of the training files is val)."""
    pre, target = (cifar_counts(dataset, cifar_dir, c) for c in (pretrain_classes, target_classes))
    return {**s, "val_samples": min(s["val_samples"], pre["val"]), "test_samples": min(s["test_samples"], pre["test"]),
            "probe_test_samples": min(s["probe_test_samples"], target["test"]), "max_train": pre["train"],
            "max_probe": target["train"]}


def e1(scale, root="runs", cifar_dir=None):
    """E1's runs at a scale (each once) and the figure's points: Transforms-2D, plus the CIFAR
    versions found in cifar_dir (half the classes as targets, all factors but target samples)."""
    runs, points = {}, []
    for dataset in ["t2d", *cifar_datasets(cifar_dir)]:
        s = {**E1[scale], **(E1_CIFAR[scale] if dataset != "t2d" else {})}
        folder = f"{root}/{scale}/e1" + ("" if dataset == "t2d" else f"-{dataset}")
        data_args = [] if dataset == "t2d" else ["--dataset", dataset, "--data-dir", str(cifar_dir)]
        default = dict(classes="disjoint", arch="resnet18", train_samples=s["train_samples"],
                       probe_samples=s["probe_samples"])
        for seed in range(s["seeds"]):
            target, other = class_split(seed, dataset)
            classes = {"subset": target[:max(1, round(len(target) / 3))], "disjoint": other, "same": target,
                       "superset": target + other}
            for kind, transforms in zip(KINDS, transform_sets(seed)):
                for name, factor in FACTORS.items():
                    if dataset != "t2d" and not factor.cifar:
                        continue
                    for value in factor_values(name, scale, dataset):
                        p = {**default, **factor.fixed, factor.setting: value}
                        ps = s if dataset == "t2d" else e1_cifar_sizes(s, dataset, cifar_dir, classes[p["classes"]],
                                                                       target)
                        n = min(p["train_samples"], ps.get("max_train", p["train_samples"]))
                        pre = f"{folder}/pretrain/{p['arch']}-{p['classes']}-{kind}-n{n}-s{seed}"
                        runs.setdefault(pre, pretrain_run(
                            pre, ps, p["arch"], [*data_args, "--transforms", transforms, "--classes",
                                                 classes_arg(classes[p["classes"]])], n, seed))
                        m = min(p["probe_samples"], ps.get("max_probe", p["probe_samples"]))
                        probe = f"{folder}/probe/{Path(pre).name}-to-target-n{m}"
                        runs.setdefault(probe, probe_run(
                            probe, ps, pre, p["arch"], [*data_args, "--classes", classes_arg(target)],
                            [transform_sets(seed)[0]], m, seed))
                        points.append(Point(name, value, seed, kind, pre, probe, dataset))
    return list(runs.values()), points


# ----------------------------------------------------------------------------------------
# E2 (Figure 4): nested transformation sets. Per seed an ordered draw of 8 transformations, t_k
# the first k; one model per (architecture, k) on the seed's 30 E1 target objects, each probed
# on every t_j by one transfer.py run.

E2 = {
    # small: E1's width and batch, 1,000 samples and 4,000 images per pretraining, 2,000 for
    # densenet121 and vit (5-10 x slower per image on a CPU than resnet18), probes on 500 samples
    "small": {**E1["small"], "image_budget": 4000, "train_samples": 1000, "val_samples": 200, "test_samples": 400,
              "probe_samples": 500, "probe_test_samples": 250,
              "arch": {"vit": dict(width=0.25, lr=5e-4, image_budget=2000), "densenet121": dict(image_budget=2000)}},
    "paper": {**E1["paper"], "epochs": 100, "batch_size": 256, "probe_batch_size": 256},  # SPEC E2
}
E2_ARCHS = ["resnet18", "vgg11", "densenet121", "vit"]
E2_DEPTH = 8  # transformations in the longest set


# SPEC E2: the original's ordered draws for seeds 0-9
E2_ORDERS = {
    0: "grayscale,sharpen,hue,v_flip,posterize,noise,h_flip,translate",
    1: "brightness,sharpen,noise,pixelate,scale,rotate,h_flip,erasing",
    2: "sharpen,brightness,contrast,translate,blur,noise,shear,h_flip",
    3: "hue,grayscale,brightness,shear,invert,erasing,sharpen,posterize",
    4: "translate,hue,erasing,v_flip,h_flip,shear,rotate,noise",
    5: "v_flip,blur,erasing,pixelate,posterize,noise,sharpen,brightness",
    6: "noise,scale,brightness,hue,h_flip,elastic,pixelate,rotate",
    7: "posterize,v_flip,scale,contrast,erasing,brightness,sharpen,pixelate",
    8: "pixelate,rotate,erasing,hue,translate,shear,v_flip,invert",
    9: "blur,noise,v_flip,elastic,pixelate,hue,grayscale,h_flip",
}


def nested_transforms(seed):
    """E2's ordered draw of a seed: 8 distinct transformations, t_k the first k of them; the
    original's for seeds 0-9, further seeds drawn the same way."""
    if seed in E2_ORDERS:
        return E2_ORDERS[seed].split(",")
    return random.Random(f"e2-{seed}").sample(TRANSFORMS, E2_DEPTH)


class NestedPoint(NamedTuple):
    """One model of E2: pretrained on t_k; its probe run holds one record per t_j."""
    arch: str
    k: int
    seed: int
    pretrain: str
    probe: str


def e2(scale, root="runs", cifar_dir=None):
    """E2's runs at a scale and its points (one per model); E2 has no CIFAR version."""
    s, folder = E2[scale], f"{root}/{scale}/e2"
    runs, points = [], []
    for seed in range(s["seeds"]):
        names, classes = nested_transforms(seed), ["--classes", classes_arg(class_split(seed)[0])]
        sets = [",".join(names[:j]) for j in range(1, E2_DEPTH + 1)]
        for arch in E2_ARCHS:
            for k in range(1, E2_DEPTH + 1):
                pre, probe = f"{folder}/pretrain/{arch}-k{k}-s{seed}", f"{folder}/probe/{arch}-k{k}-s{seed}"
                runs.append(pretrain_run(pre, s, arch, ["--transforms", sets[k - 1], *classes], s["train_samples"],
                                         seed))
                runs.append(probe_run(probe, s, pre, arch, classes, sets, s["probe_samples"], seed))
                points.append(NestedPoint(arch, k, seed, pre, probe))
    return runs, points


# ----------------------------------------------------------------------------------------
# E3 (the "how transferable" table): per seed, a resnet18 trained on each single transformation
# (and none), on objects or on random data, and its invariance to every transformation on its
# training data, the 30 other objects, random data and CIFAR.

E3 = {
    # small: 1,000 samples, 2,000 images per pretraining, invariance on 128 pairs
    "small": {**E1["small"], "image_budget": 2000, "train_samples": 1000, "val_samples": 100, "test_samples": 200,
              "invariance_samples": 128, "arch": {}},
    "paper": {**E1["paper"], "invariance_samples": 10_000},
}
E3_KINDS = {"objects": [], "random": ["--objects", "random", "--backgrounds", "random"]}


class E3Model(NamedTuple):
    """One E3 model: trained on data `kind` with transformation `trained` ("none": without),
    and the measurement of its invariance to each transformation on each distribution."""
    kind: str
    trained: str
    seed: int
    pretrain: str
    measure: str


def e3(scale, root="runs", cifar_dir=None):
    """E3's runs at a scale and the models they make."""
    s, cifar = E3[scale], cifar_datasets(cifar_dir)
    folder = f"{root}/{scale}/e3"
    runs, models = [], []
    for seed in range(s["seeds"]):
        target, other = class_split(seed)
        for kind, data_args in E3_KINDS.items():
            for trained in ["none", *TRANSFORMS]:
                name = f"{kind}-{trained}-s{seed}"
                pre, inv = f"{folder}/pretrain/{name}", f"{folder}/invariance{''.join('-' + c for c in cifar)}/{name}"
                runs.append(pretrain_run(pre, s, "resnet18", [*data_args, "--transforms", trained, "--classes",
                                                              classes_arg(target)], s["train_samples"], seed))
                runs.append(Run(inv, "invariance", [
                    "--checkpoint", f"{pre}/checkpoint.pt", "--transforms", *TRANSFORMS, "--distributions",
                    ",".join(["train", "objects", "random", *cifar]), "--classes", classes_arg(other),
                    *(["--data-dir", str(cifar_dir)] if cifar else []), "--samples", str(s["invariance_samples"]),
                    "--seed", str(seed), "--out", inv], needs=pre, result="invariance.json",
                    cost=len(TRANSFORMS) * (3 + len(cifar)) * s["invariance_samples"]))
                models.append(E3Model(kind, trained, seed, pre, inv))
    return runs, models


# ----------------------------------------------------------------------------------------
# E4 (the "invariance can hurt" table): objects pasted onto CIFAR-10; four pretraining tasks,
# each probed on all four and measured for invariance to object and to background changes.

E4 = {
    # paper: 200 epochs on CIFAR-10's 45,000 training images (the last 5,000 are val), its 10,000
    # test images, probes of 100 epochs. small: E1's resnet18 budget, probes of 100 epochs.
    "small": {**E1["small"], "probe_epochs": 100, "arch": {}},
    "paper": {**E1["paper"], "epochs": 200, "train_samples": 45_000, "val_samples": 5000, "test_samples": 10_000,
              "probe_samples": 45_000, "probe_test_samples": 10_000, "probe_epochs": 100},
}
E4_TASKS = {  # task: (folder name, dataset, label)
    "C&C": ("cc", "cifar10", "cifar"),
    "C+O&C": ("coc", "cifar10+objects", "cifar"),
    "C+O&O": ("coo", "cifar10+objects", "object"),
    "O&O": ("oo", "black+objects", "object"),
}
PLACEMENTS = ["fixed", "translated"]
INVARIANCES = ["object", "background"]  # what differs within a pair: invariance.py --vary


class Cell(NamedTuple):
    """One entry of the table for one seed: a probe's accuracy or an invariance, and its run."""
    placement: str
    seed: int
    pretrain: str  # the pretraining task
    column: str  # the probe task, or "object" / "background" (invariance to changes of that)
    run: Run


def e4_objects(seed):
    """The 10 objects of a seed's E4 tasks, a seeded draw as the original's."""
    return random.Random(f"e4-objects-{seed}").sample(range(N_OBJECTS), 10)


def e4_task(task, placement, objects, cifar_dir):
    """(folder name, data flags) of a task; C&C does not depend on the placement. The CIFAR part
    is randomly cropped and flipped in training, as in the original."""
    name, dataset, label = E4_TASKS[task]
    args = ["--dataset", dataset, "--classes", "0-9" if label == "cifar" else classes_arg(objects),
            *(["--augment"] if dataset != "black+objects" else []), "--data-dir", cifar_dir]
    if dataset == "cifar10":
        return name, args
    return f"{name}-{placement}", [*args, "--label", label, "--placement", placement,
                                   *(["--pasted", classes_arg(objects)] if label == "cifar" else [])]


def e4(scale, root="runs", cifar_dir=None):
    """E4's runs at a scale (each once: C&C's pretraining and probe are shared by both
    placements) and the table cells they fill."""
    s, folder, runs, cells = E4[scale], f"{root}/{scale}/e4", {}, []
    cifar_dir = str(Path(cifar_dir).resolve()) if cifar_dir else ""
    for seed in range(s["seeds"]):
        objects = e4_objects(seed)
        for placement in PLACEMENTS:
            for pre_task in E4_TASKS:
                name, data_args = e4_task(pre_task, placement, objects, cifar_dir)
                pre = f"{folder}/pretrain/{name}-s{seed}"
                runs.setdefault(pre, pretrain_run(pre, s, "resnet18", data_args, s["train_samples"], seed))
                for task in E4_TASKS:
                    probe_name, probe_args = e4_task(task, placement, objects, cifar_dir)
                    out = f"{folder}/probe/{name}-to-{probe_name}-s{seed}"
                    run = runs.setdefault(out, probe_run(out, s, pre, "resnet18", probe_args, ["none"],
                                                         s["probe_samples"], seed))
                    cells.append(Cell(placement, seed, pre_task, task, run))
                composite = e4_task("C+O&C", placement, objects, cifar_dir)[1]  # the pairs are composites
                for vary in INVARIANCES:
                    out = f"{folder}/invariance/{name}-{vary}-{placement}-s{seed}"
                    run = runs.setdefault(out, Run(out, "invariance", [
                        "--checkpoint", f"{pre}/checkpoint.pt", "--vary", vary, *composite,
                        "--samples", str(s["test_samples"]), "--seed", str(seed), "--out", out],
                        needs=pre, result="invariance.json", cost=s["test_samples"]))
                    cells.append(Cell(placement, seed, pre_task, vary, run))
    return list(runs.values()), cells


def cifar10_missing(cifar_dir):
    """None if cifar_dir holds CIFAR-10 as torchvision's download writes it, else one line
    saying how to get it."""
    if "cifar10" in cifar_datasets(cifar_dir):
        return None
    return (f"table-irrelevant needs CIFAR-10, not found under CIFAR_DIR={cifar_dir or ''!r}: run "
            "python -c \"import torchvision as tv; tv.datasets.CIFAR10('cifar', download=True)\" "
            "and set CIFAR_DIR=$PWD/cifar (see README)")


# ----------------------------------------------------------------------------------------

PLANS = {"fig2": e1, "fig4": e2, "table-invariance": e3, "table-irrelevant": e4}


def get_args_parser():
    p = Parser(prog="experiments.py", description=__doc__.split("\n\n")[0])
    p.add_argument("figure", choices=list(PLANS),
                   help="whose runs: fig2 (and fig3) E1, fig4 E2, table-invariance E3, table-irrelevant E4")
    p.add_argument("--scale", choices=list(E1), default="small", help="(default: %(default)s)")
    p.add_argument("--root", default="runs", help="folder of all runs (default: %(default)s)")
    p.add_argument("--cifar-dir", default=os.environ.get("CIFAR_DIR"),
                   help="folder with cifar-10-batches-py/ and/or cifar-100-python/: adds E1's CIFAR versions and "
                        "E3's CIFAR columns; E4 needs CIFAR-10 (default: $CIFAR_DIR: %(default)s)")
    p.add_argument("--jobs", default="auto",
                   help="worker processes (per GPU on CUDA); auto: one per CPU core, or one per GPU "
                        "(default: %(default)s)")
    p.add_argument("--device", default="auto",
                   help="cpu, cuda (every visible GPU) or cuda:N; auto: cuda if there is one (default: %(default)s)")
    p.add_argument("--commands", action="store_true",
                   help="print one command per run instead of running them, longest first, pretrainings first")
    p.add_argument("--stage", choices=["pretrain", "probe"], default=None,
                   help="with --commands: only this stage, probe including invariance (default: both)")
    return p


def main(args):
    if args.figure == "table-irrelevant" and (missing := cifar10_missing(args.cifar_dir)):
        sys.exit(f"experiments.py: {missing}")
    if args.figure in ("fig2", "table-invariance") and not cifar_datasets(args.cifar_dir):
        where = f"no CIFAR under {args.cifar_dir!r}" if args.cifar_dir else "CIFAR_DIR is not set"
        print(f"experiments.py: {where} (see README): the CIFAR parts are skipped", file=sys.stderr)
    runs, _ = PLANS[args.figure](args.scale, args.root, args.cifar_dir)
    runs = sorted(runs, key=lambda r: (bool(r.needs), -r.cost))
    if args.commands:
        for r in runs:
            if args.stage is None or bool(r.needs) == (args.stage == "probe"):
                print(command(r))
        return
    import runner  # torch and the scripts: only when runs are made

    failed = runner.run(runs, args.jobs, args.device, name=f"{args.figure} ({args.scale})")
    if failed:
        sys.exit(f"experiments.py: {len(failed)} runs failed: {', '.join(failed)} (each has a .log beside it)")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
