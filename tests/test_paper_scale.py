"""SCALE=paper is the paper's protocol: every number below is written from the paper (PROTOCOL.md
sections 4 and 5), and checked against the commands the plans give (not against the plans' own
settings tables)."""
from collections import Counter

import pytest
import torch

import experiments
import models
import train


def flags(run):
    """{flag: value} of a run's command (a list for the multi-valued --transforms)."""
    out, argv, i = {}, run.argv, 0
    while i < len(argv):
        values = []
        while i + 1 + len(values) < len(argv) and not argv[i + 1 + len(values)].startswith("--"):
            values.append(argv[i + 1 + len(values)])
        out[argv[i]] = values if len(values) != 1 else values[0]
        i += 1 + len(values)
    return out


def seeds(runs):
    return sorted({int(flags(r)["--seed"]) for r in runs})


def test_e1():
    runs, points = experiments.e1("paper")
    pre = [flags(r) for r in runs if r.script == "train"]
    probe = [flags(r) for r in runs if r.script == "transfer"]
    assert seeds(runs) == list(range(10))
    assert {(p["--epochs"], p["--batch-size"], p["--val-samples"], p["--test-samples"], p["--width"]) for p in pre} == {
        ("50", "512", "10000", "10000", "1.0")}
    assert {p["--epochs"] for p in probe} == {"200"} and {p["--test-samples"] for p in probe} == {"10000"}
    assert "--lr" not in {k for p in pre for k in p}  # Adam 1e-3, train.py's default
    values = {f: sorted({p.value for p in points if p.factor == f}, key=str) for f in experiments.FACTORS}
    assert sorted(values["pretraining_samples"]) == [1000, 10_000, 50_000, 100_000, 500_000]
    assert sorted(values["target_samples"]) == [50, 200, 500, 2000, 5000]
    assert set(values["architecture"]) == {"resnet18", "resnet50", "densenet121", "vgg11", "vit"}
    assert set(values["class_relationship"]) == {"subset", "disjoint", "same", "superset"}
    by = {(p.factor, p.value, p.seed, p.kind): p for p in points}
    default = flags(next(r for r in runs if r.out == by["architecture", "resnet18", 0, "same"].pretrain))
    assert default["--train-samples"] == "50000" and len(default["--classes"].split(",")) == 30
    probe0 = flags(next(r for r in runs if r.out == by["architecture", "resnet18", 0, "same"].probe))
    assert probe0["--train-samples"] == "50000" and probe0["--transforms"] == "translate,invert,pixelate"
    # the original's draws of seed 0 (E1)
    diff = flags(next(r for r in runs if r.out == by["architecture", "resnet18", 0, "different"].pretrain))
    assert (default["--transforms"], diff["--transforms"]) == ("translate,invert,pixelate", "rotate,posterize,erasing")
    classes = {rel: len(flags(next(r for r in runs if r.out == by["class_relationship", rel, 0, "same"].pretrain))
                        ["--classes"].split(",")) for rel in ("subset", "disjoint", "same", "superset")}
    assert classes == {"subset": 10, "disjoint": 30, "same": 30, "superset": 60}


def test_e2():
    runs, points = experiments.e2("paper")
    pre = [flags(r) for r in runs if r.script == "train"]
    probe = [flags(r) for r in runs if r.script == "transfer"]
    assert seeds(runs) == list(range(10)) and len(points) == 10 * 4 * 8
    assert {(p["--epochs"], p["--batch-size"], p["--train-samples"]) for p in pre} == {("100", "256", "50000")}
    assert {(p["--epochs"], p["--batch-size"], p["--train-samples"]) for p in probe} == {("200", "256", "50000")}
    # E2's ordered draw of seed 3, t_8 probed last
    assert probe[[r.out for r in runs if r.script == "transfer"].index(
        next(p.probe for p in points if (p.seed, p.arch, p.k) == (3, "vgg11", 2)))]["--transforms"][-1] == \
        "hue,grayscale,brightness,shear,invert,erasing,sharpen,posterize"
    assert Counter(p.arch for p in points) == dict.fromkeys(["resnet18", "vgg11", "densenet121", "vit"], 80)


def test_e3():
    runs, models = experiments.e3("paper")
    pre = [flags(r) for r in runs if r.script == "train"]
    measure = [flags(r) for r in runs if r.script == "invariance"]
    assert seeds(runs) == list(range(10)) and len(models) == 10 * 2 * 19
    assert {(p["--epochs"], p["--batch-size"], p["--train-samples"], p["--arch"]) for p in pre} == {
        ("50", "512", "50000", "resnet18")}
    assert {m["--samples"] for m in measure} == {"10000"} and len(measure[0]["--transforms"]) == 18


def test_e4():
    runs, cells = experiments.e4("paper", "R", "/c")
    pre = [flags(r) for r in runs if r.script == "train"]
    probe = [flags(r) for r in runs if r.script == "transfer"]
    assert seeds(runs) == list(range(10))
    assert {(p["--epochs"], p["--arch"]) for p in pre} == {("200", "resnet18")}
    assert {p["--epochs"] for p in probe} == {"100"}
    composite = next(p for p in pre if p.get("--label") == "object" and p["--dataset"] == "cifar10+objects")
    assert len(composite["--classes"].split(",")) == 10  # 10 objects


def test_vit_protocol_and_partial_batches(tmp_path, monkeypatch):
    """The paper: the ViT gets weight decay 5e-5, 5 warm-up epochs, cosine to 1e-5; the last
    partial batch is kept, as the original's DataLoader kept it."""
    assert (models.MODELS["vit"].weight_decay, train.WARMUP_EPOCHS, train.MIN_LR) == (5e-5, 5, 1e-5)
    sizes = [len(b) for b in train.batches(1000, 512, torch.Generator().manual_seed(0), "cpu")]
    assert sizes == [512, 488]
    opt = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=1e-3)
    sched = train.warmup_cosine(opt, steps_per_epoch=2, epochs=50, lr=1e-3)
    lrs = []
    for _ in range(100):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[9] == pytest.approx(1e-3) and lrs[0] == pytest.approx(1e-4)  # 5 epochs x 2 steps of warm-up
    assert lrs[-1] == pytest.approx(1e-5, rel=0.05)
