"""The paper's experiments as lists of runs (PROTOCOL.md section 5), and the command that runs them.

    python experiments.py fig2 --scale small             # E1: train and probe what is missing
    python experiments.py fig2 --scale paper --commands  # one command per run, for a cluster

fig2 (and fig3) is E1, fig4 E2, table-invariance E3, table-irrelevant E4 (needs CIFAR-10). A run is
a train.py, transfer.py or invariance.py command with a folder named by its configuration, so a run
two points share is made once; done runs are skipped, the rest go to worker processes (runner.py).
Each experiment is one section: its settings per scale beside its plan, the one place that defines
a run. `paper` is the paper's protocol; `small` the design made to fit a 2-core CPU (PROTOCOL.md
section 6 says why); `tiny` every step on a few dozen images, a check of a machine, not results.
"""
import cli  # first, and light: then a Ctrl-C while torch loads is one line, not a traceback

cli.quiet_start(__name__)

import os
import sys
from pathlib import Path
from typing import NamedTuple

import cifar
import models
import runfolder
import runner
from cli import Parser, add_seeds_arg
from paper import ALL_TRANSFORMS, E2_DEPTH, class_split, e4_objects, nested_transforms, transform_sets
from runner import Run


def classes_arg(ids):
    return ",".join(map(str, ids))


def for_arch(s, arch):
    """Scale settings s as they are for an architecture: s["arch"][arch] overrides the rest."""
    return {**s, **s.get("arch", {}).get(arch, {})}


def pretrain_run(out, s, arch, data_args, samples, seed):
    """A train.py run at scale settings s (for_arch's for arch): its epochs, or as many as make
    s["image_budget"] images (at least 1)."""
    o = for_arch(s, arch)
    epochs = o.get("epochs") or max(1, round(o["image_budget"] / samples))
    argv = [*data_args, "--arch", arch, "--train-samples", str(samples), "--val-samples", str(s["val_samples"]),
            "--test-samples", str(s["test_samples"]), "--width", str(o["width"]), "--epochs", str(epochs),
            "--batch-size", str(o["batch_size"]), *(["--lr", str(o["lr"])] if "lr" in o else []),
            "--seed", str(seed), "--out", out]
    return Run(out, "train", argv, cost=models.MODELS[arch].cost * samples * epochs)


def probe_run(out, s, pre, arch, data_args, sets, samples, seed):
    """A transfer.py linear probe of pre's checkpoint on each transformation set in `sets`."""
    argv = ["--checkpoint", f"{pre}/checkpoint.pt", *data_args, "--transforms", *sets, "--train-samples",
            str(samples), "--test-samples", str(s["probe_test_samples"]), "--epochs", str(s["probe_epochs"]),
            *(["--batch-size", str(s["probe_batch_size"])] if "probe_batch_size" in s else []),
            "--seed", str(seed), "--out", out]
    return Run(out, "transfer", argv, needs=pre, cost=models.MODELS[arch].cost * len(sets) * samples / 3)


# ----------------------------------------------------------------------------------------
# E1 (Figures 2 and 3): invariance versus other factors. Per seed, a target task of 30 objects
# under T_same; pretrainings under T_same or T_diff, one factor varied at a time; each probed.

E1 = {
    # small (PROTOCOL.md section 6): 1/8 as wide, 12,000 distinct images per pretraining (epochs =
    # 12,000 / samples), batch 32, lr 2e-3; resnet50 and densenet121 8,000 images, the ViT 24,000
    "small": dict(seeds=3, width=0.125, image_budget=12_000, batch_size=32, lr=2e-3, train_samples=12_000,
                  val_samples=250, test_samples=500, probe_samples=2000, probe_test_samples=500, probe_epochs=200,
                  arch={"resnet50": dict(train_samples=8000, image_budget=8000),
                        "densenet121": dict(width=0.25, lr=4e-3, train_samples=8000, image_budget=8000),
                        "vit": dict(width=0.25, lr=5e-4, train_samples=24_000, image_budget=24_000)}),
    "paper": dict(seeds=10, width=1.0, epochs=50, batch_size=512, train_samples=50_000, val_samples=10_000,
                  test_samples=10_000, probe_samples=50_000, probe_test_samples=10_000, probe_epochs=200),
    "tiny": dict(seeds=1, width=0.0625, image_budget=64, batch_size=16, train_samples=64, val_samples=8,
                 test_samples=16, probe_samples=32, probe_test_samples=16, probe_epochs=2),
}
# CIFAR at paper scale: every split as asked for, or all that the chosen classes have (cifar.split_sizes)
E1_CIFAR = {"small": {}, "tiny": {}, "paper": dict(train_samples=20_000, val_samples=2000, test_samples=5000,
                                       probe_samples=20_000, probe_test_samples=5000,
                                       values={"pretraining_samples": [1000, 2500, 5000, 10_000, 20_000]})}


class Factor(NamedTuple):
    label: str  # the figure's name for it
    setting: str  # the setting of the default point that its values replace
    values: dict  # scale -> values, in the figure's order
    fixed: dict = {}  # settings that differ from the default point for every value
    pretraining: bool = True  # varies the pretraining: part of the CIFAR versions and of E1-FT


FACTORS = {  # E1's factors: the plan and the figures read this; a new factor is one entry
    "class_relationship": Factor("class relationship", "classes",
                                 dict.fromkeys(E1, ["subset", "disjoint", "same", "superset"])),
    # models.MODELS itself, read when a plan is made: a new architecture is part of E1 at once
    "architecture": Factor("architecture", "arch", dict.fromkeys(E1, models.MODELS)),
    "pretraining_samples": Factor("pretraining samples", "train_samples",
                                  {"small": [2000, 3000, 4000, 6000, 12_000], "tiny": [32, 64],
                                   "paper": [1000, 10_000, 50_000, 100_000, 500_000]}),
    # PROTOCOL.md section 5.1: here the pretraining uses the target classes themselves
    "target_samples": Factor("target samples (probe)", "probe_samples",
                             {"small": [50, 200, 500, 1000, 2000], "tiny": [16, 32],
                              "paper": [50, 200, 500, 2000, 5000]},
                             fixed={"classes": "same"}, pretraining=False),
}
KINDS, DATASETS_E1 = ("same", "different"), ["t2d", *cifar.CIFAR]


def factor_values(name, scale, dataset="t2d"):
    """The values of E1's factor `name` at a scale, in the figure's order."""
    overrides = E1_CIFAR[scale].get("values", {}) if dataset != "t2d" else {}
    return list(overrides.get(name, FACTORS[name].values[scale]))


class Point(NamedTuple):
    """One (factor, value, seed, kind) point of Figure 2 and the runs behind it."""
    factor: str
    value: object
    seed: int
    kind: str  # "same" or "different"
    pretrain: str
    probe: str
    dataset: str = "t2d"


def e1(scale, root="runs", cifar_dir=None, seeds=None):
    """E1's runs at a scale (each once) and the figure's points: Transforms-2D, plus the CIFAR
    versions found in cifar_dir (half the classes as targets, all factors but target samples)."""
    runs, points = {}, []
    for dataset in [d for d in DATASETS_E1 if d == "t2d" or d in cifar.found(cifar_dir)]:
        s = {**E1[scale], **(E1_CIFAR[scale] if dataset != "t2d" else {})}
        folder = f"{root}/{scale}/e1" + ("" if dataset == "t2d" else f"-{dataset}")
        data_args = [] if dataset == "t2d" else ["--dataset", dataset, "--data-dir", str(cifar_dir)]
        # the default point; its train_samples is each architecture's own (s["arch"])
        default = dict(classes="disjoint", arch="resnet18", train_samples=None, probe_samples=s["probe_samples"])
        for seed in seeds or range(s["seeds"]):
            target, other = class_split(seed, dataset)
            classes = {"subset": target[:max(2, round(len(target) / 3))], "disjoint": other, "same": target,
                       "superset": target + other}
            for kind, transforms in zip(KINDS, transform_sets(seed)):
                for name, factor in FACTORS.items():
                    if dataset != "t2d" and not factor.pretraining:
                        continue
                    for value in factor_values(name, scale, dataset):
                        p = {**default, **factor.fixed, factor.setting: value}
                        ps = s if dataset == "t2d" else cifar.split_sizes(s, dataset, cifar_dir, classes[p["classes"]],
                                                                       target)
                        n = p["train_samples"] or for_arch(s, p["arch"])["train_samples"]
                        n = min(n, ps.get("max_train", n))
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
# E1-FT (the appendix): E1's Transforms-2D pretrainings fully fine-tuned (PROTOCOL.md section 4.3)

E1_FT = {
    # small: 4,000 images of fine-tuning (200 samples: 20 epochs, 2,000: 2) at batch 64
    "small": dict(target_values=[200, 2000], finetune_budget=4000, probe_batch_size=64),
    "paper": dict(target_values=[200, 2000], finetune_epochs=50),
    "tiny": dict(target_values=[16, 32], finetune_budget=32),
}
FT_FACTORS = [name for name, f in FACTORS.items() if f.pretraining]


class FTPoint(NamedTuple):
    factor: str
    value: object
    seed: int
    kind: str
    target: int  # target samples
    pretrain: str
    run: str


def e1_ft(scale, root="runs", cifar_dir=None, seeds=None):
    """E1-FT's runs at a scale (E1's pretrainings, then a fine-tuning per target-sample count) and
    its points; E1-FT has no CIFAR version here."""
    s, ft = {**E1[scale], **E1_FT[scale]}, E1_FT[scale]
    pretrainings, points = e1(scale, root, seeds=seeds)
    runs = {r.out: r for r in pretrainings if r.script == "train"}
    ft_points = []
    for p in points:
        if p.factor not in FT_FACTORS:
            continue
        pre = runs[p.pretrain]
        arch = pre.argv[pre.argv.index("--arch") + 1]
        target = class_split(p.seed)[0]
        for n in ft["target_values"]:
            epochs = ft.get("finetune_epochs") or max(1, round(ft["finetune_budget"] / n))
            out = f"{root}/{scale}/e1-ft/{Path(p.pretrain).name}-to-target-n{n}"
            run = probe_run(out, s, p.pretrain, arch, ["--classes", classes_arg(target)],
                            [transform_sets(p.seed)[0]], n, p.seed)
            runs.setdefault(out, run._replace(argv=["--mode", "full", "--finetune-epochs", str(epochs), *run.argv],
                                              cost=run.cost + 3 * models.MODELS[arch].cost * n * epochs))
            ft_points.append(FTPoint(p.factor, p.value, p.seed, p.kind, n, p.pretrain, out))
    return list(runs.values()), ft_points


# ----------------------------------------------------------------------------------------
# E2 (Figure 4): nested transformation sets t_k, the first k of a seed's 8; one model per
# (architecture, k) on the seed's E1 target objects, probed on every t_j by one transfer.py run.

E2 = {
    # small (PROTOCOL.md section 6): the seed's first 10 targets; densenet121 6,000 images, the ViT 8,000
    "small": dict(seeds=2, classes=10, width=0.125, image_budget=12_000, batch_size=32, lr=2e-3, train_samples=12_000,
                  val_samples=200, test_samples=400, probe_samples=500, probe_test_samples=250, probe_epochs=200,
                  arch={"densenet121": dict(train_samples=6000, image_budget=6000),
                        "vit": dict(width=0.25, lr=5e-4, train_samples=8000, image_budget=8000)}),
    "paper": {**E1["paper"], "epochs": 100, "batch_size": 256, "probe_batch_size": 256},  # as the original
    "tiny": {**E1["tiny"], "classes": 4},
}
E2_ARCHS = ["resnet18", "vgg11", "densenet121", "vit"]


class NestedPoint(NamedTuple):
    """One model of E2: pretrained on t_k; its probe run holds one record per t_j."""
    arch: str
    k: int
    seed: int
    pretrain: str
    probe: str


def e2(scale, root="runs", cifar_dir=None, seeds=None):
    """E2's runs at a scale and its points (one per model); E2 has no CIFAR version."""
    s, folder = E2[scale], f"{root}/{scale}/e2"
    runs, points = [], []
    for seed in seeds or range(s["seeds"]):
        target = class_split(seed)[0][:s.get("classes")]
        names, classes = nested_transforms(seed), ["--classes", classes_arg(target)]
        sets = [",".join(names[:j]) for j in range(1, E2_DEPTH + 1)]
        for arch in E2_ARCHS:
            for k in range(1, E2_DEPTH + 1):
                pre, probe = f"{folder}/pretrain/{arch}-k{k}-s{seed}", f"{folder}/probe/{arch}-k{k}-s{seed}"
                runs.append(pretrain_run(pre, s, arch, ["--transforms", sets[k - 1], *classes],
                                         for_arch(s, arch)["train_samples"], seed))
                runs.append(probe_run(probe, s, pre, arch, classes, sets, s["probe_samples"], seed))
                points.append(NestedPoint(arch, k, seed, pre, probe))
    return runs, points


# ----------------------------------------------------------------------------------------
# E3 (the "how transferable" table): per seed, a resnet18 trained on each single transformation (and
# none), on objects or random data; its invariance to each on four distributions (and CIFAR's).

E3 = {
    # small: resnet18 1/8 as wide, 1,000 samples, 2,000 images per pretraining, invariance on 128 pairs
    "small": dict(seeds=2, width=0.125, image_budget=2000, batch_size=32, train_samples=1000, val_samples=100,
                  test_samples=200, invariance_samples=128),
    "paper": {**E1["paper"], "invariance_samples": 10_000},
    "tiny": {**E1["tiny"], "invariance_samples": 8},
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


def e3(scale, root="runs", cifar_dir=None, seeds=None):
    """E3's runs at a scale and the models they make."""
    s, cifars = E3[scale], cifar.found(cifar_dir)
    folder = f"{root}/{scale}/e3"
    runs, nets = [], []
    for seed in seeds or range(s["seeds"]):
        target, other = class_split(seed)
        for kind, data_args in E3_KINDS.items():
            for trained in ["none", *ALL_TRANSFORMS]:
                name = f"{kind}-{trained}-s{seed}"
                pre, inv = f"{folder}/pretrain/{name}", f"{folder}/invariance{''.join('-' + c for c in cifars)}/{name}"
                runs.append(pretrain_run(pre, s, "resnet18", [*data_args, "--transforms", trained, "--classes",
                                                              classes_arg(target)], s["train_samples"], seed))
                runs.append(Run(inv, "invariance", [
                    "--checkpoint", f"{pre}/checkpoint.pt", "--transforms", *ALL_TRANSFORMS, "--distributions",
                    ",".join(["train", "objects", "random", *cifars]), "--classes", classes_arg(other),
                    *(["--data-dir", str(cifar_dir)] if cifars else []), "--samples", str(s["invariance_samples"]),
                    "--seed", str(seed), "--out", inv], needs=pre, result="invariance.json",
                    cost=len(ALL_TRANSFORMS) * (3 + len(cifars)) * s["invariance_samples"]))
                nets.append(E3Model(kind, trained, seed, pre, inv))
    return runs, nets


# ----------------------------------------------------------------------------------------
# E4 (the "invariance can hurt" table): four tasks of objects and CIFAR-10, each model probed on all four

E4 = {
    # paper: 200 epochs on CIFAR-10's 45,000 training images (the last 5,000 are val), probes of 100
    "small": dict(seeds=2, width=0.125, image_budget=8000, batch_size=32, train_samples=2000, val_samples=250,
                  test_samples=500, probe_samples=2000, probe_test_samples=500, probe_epochs=100),
    "paper": {**E1["paper"], "epochs": 200, "train_samples": 45_000, "val_samples": 5000, "test_samples": 10_000,
              "probe_samples": 45_000, "probe_test_samples": 10_000, "probe_epochs": 100},
    "tiny": E1["tiny"],
}
E4_TASKS = {  # task: (folder name, dataset, label)
    "C&C": ("cc", "cifar10", "cifar"),
    "C+O&C": ("coc", "cifar10+objects", "cifar"),
    "C+O&O": ("coo", "cifar10+objects", "object"),
    "O&O": ("oo", "black+objects", "object"),
}
PLACEMENTS, INVARIANCES = ["fixed", "translated"], ["object", "background"]  # the latter: invariance.py --vary


class Cell(NamedTuple):
    """One entry of the table for one seed: a probe's accuracy or an invariance, and its run."""
    placement: str
    seed: int
    pretrain: str  # the pretraining task
    column: str  # the probe task, or "object" / "background" (invariance to changes of that)
    run: Run


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


def e4(scale, root="runs", cifar_dir=None, seeds=None):
    """E4's runs at a scale (each once: C&C's pretraining and probe are shared by both
    placements) and the table cells they fill."""
    s, folder, runs, cells = E4[scale], f"{root}/{scale}/e4", {}, []
    cifar_dir = str(Path(cifar_dir).resolve()) if cifar_dir else ""
    for seed in seeds or range(s["seeds"]):
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


# ----------------------------------------------------------------------------------------
# paper-check: the headline runs, taken from the plans themselves (make fig2 does not train them again)

CHECK_E3 = "rotate"  # E3's model trained on it, against the one trained on nothing


class CheckPoints(NamedTuple):  # of seed 0: E1's default point, E2's resnet18 k = 1 and 8, E3's none and CHECK_E3
    e1: list
    e2: list
    e3: list


def paper_check(scale="paper", root="runs", cifar_dir=None, seeds=None):
    """The runs of `make paper-check` and their points."""
    e1_runs, e1_points = e1(scale, root, seeds=[0])
    e2_runs, e2_points = e2(scale, root, seeds=[0])
    e3_runs, e3_models = e3(scale, root, seeds=[0])
    points = CheckPoints(
        [p for p in e1_points if (p.factor, p.value, p.seed) == ("architecture", "resnet18", 0)],
        [p for p in e2_points if p.seed == 0 and p.arch == "resnet18" and p.k in (1, E2_DEPTH)],
        [m for m in e3_models if m.seed == 0 and m.kind == "objects" and m.trained in ("none", CHECK_E3)])
    wanted = {f for p in points.e1 + points.e2 for f in (p.pretrain, p.probe)} | \
        {f for m in points.e3 for f in (m.pretrain, m.measure)}
    return [r for r in e1_runs + e2_runs + e3_runs if r.out in wanted], points


PLANS = {"fig2": e1, "fig2-finetune": e1_ft, "fig4": e2, "table-invariance": e3, "table-irrelevant": e4,
         "paper-check": paper_check}


def get_args_parser():
    p = Parser(prog="experiments.py", description=__doc__.split("\n\n")[0])
    p.add_argument("figure", choices=list(PLANS),
                   help="whose runs: fig2 (and fig3) E1, fig2-finetune E1-FT, fig4 E2, table-invariance E3, "
                        "table-irrelevant E4, paper-check the paper-scale headline runs")
    p.add_argument("--scale", choices=list(E1), default=None,
                   help="small, paper or tiny (default: small; paper for paper-check)")
    p.add_argument("--root", default="runs", help="folder of all runs (default: %(default)s)")
    add_seeds_arg(p)
    p.add_argument("--cifar-dir", default=os.environ.get("CIFAR_DIR"),
                   help="folder with cifar-10-batches-py/ and/or cifar-100-python/: adds E1's CIFAR versions and "
                        "E3's CIFAR columns; E4 needs CIFAR-10 (default: $CIFAR_DIR: %(default)s)")
    p.add_argument("--jobs", type=cli.jobs, default="auto",
                   help="worker processes (per GPU on CUDA); auto: one per CPU core, or one per GPU "
                        "(default: %(default)s)")
    p.add_argument("--device", type=cli.sweep_device, default="auto",
                   help="cpu, cuda (every visible GPU) or cuda:N; auto: cuda if there is one (default: %(default)s)")
    p.add_argument("--commands", action="store_true", help="print one command per run instead, pretrainings first")
    p.add_argument("--stage", choices=["pretrain", "probe"], default=None,
                   help="with --commands: only this stage, probe including invariance (default: both)")
    p.add_argument("--allow-cpu", action="store_true", help="paper-check: run even without a GPU")
    return p


def main(args):
    cli.run_main("experiments.py", sweep, args)


def sweep(args):
    """Plan the figure's runs, then print their commands or make the missing ones."""
    args.scale = args.scale or ("paper" if args.figure == "paper-check" else "small")
    runfolder.check_out(args.root)  # a file, or a folder this process cannot write in, before any planning
    if args.figure == "table-irrelevant" and "cifar10" not in cifar.found(args.cifar_dir):
        sys.exit(f"experiments.py: table-irrelevant needs CIFAR-10, not under CIFAR_DIR={args.cifar_dir or ''!r}: "
                 f"{cifar.GET_CIFAR10}")
    if args.figure in ("fig2", "table-invariance") and not cifar.found(args.cifar_dir):
        where = f"no CIFAR under {args.cifar_dir!r}" if args.cifar_dir else "CIFAR_DIR is not set"
        print(f"experiments.py: {where} (see README): the CIFAR parts are skipped", file=sys.stderr)
    runs, _ = PLANS[args.figure](args.scale, args.root, args.cifar_dir, args.seeds)
    runs = sorted(runs, key=lambda r: (bool(r.needs), -r.cost))
    if args.commands:
        return runner.print_commands(runs, args.stage)
    if args.figure == "paper-check" and not (args.allow_cpu or runner.has_gpu(args.device)):
        sys.exit("experiments.py: paper-check trains at the paper's scale and needs a GPU (--allow-cpu to try anyway)")
    failed = runner.run(runs, args.jobs, args.device, name=f"{args.figure} ({args.scale})",
                        record=Path(args.root, args.scale, f"{args.figure}.sweep.json"))
    if failed:
        sys.exit(f"experiments.py: {len(failed)} runs failed: {', '.join(failed)} (each has a .log beside it)")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
