"""E4 (irrelevant features): the composites, the run plan, a tiny run of the whole plan through the
runner on a CIFAR fixture, the table, and the missing-CIFAR message."""
import json
from pathlib import Path

import pytest
import torch

import cifar
import claims
import data
import experiments
import paper
import plots
import runner
import tables

BOX = (slice(2, 14), slice(21, 32))  # the fixed spot: rows 2-13, columns 21-31 (the 12th is cut off)


def outside(x):
    mask = torch.ones(32, 32, dtype=torch.bool)
    mask[BOX] = False
    return x[..., mask]


def test_fixed_composite_is_cifar_outside_the_box(cifar_dir):
    kw = dict(classes=range(10), root=cifar_dir)
    plain, plain_labels = cifar.cifar("cifar10", [], 500, **kw)
    x, labels = cifar.composite("cifar10+objects", 500, label="cifar", **kw)
    assert torch.equal(outside(x), outside(plain)) and torch.equal(labels, plain_labels)
    assert (x[..., BOX[0], BOX[1]] != plain[..., BOX[0], BOX[1]]).flatten(1).any(1).all()  # an object in each
    x2, objects = cifar.composite("cifar10+objects", 500, label="object", **kw)
    assert torch.equal(outside(x2), outside(plain))  # the same CIFAR images, labelled by the object
    # independent labels: every CIFAR class appears with many objects, every object is used
    assert all(len(objects[labels == c].unique()) >= 6 for c in range(10))
    assert (torch.bincount(objects, minlength=10) > 20).all()
    again, _ = cifar.composite("cifar10+objects", 500, label="object", **kw)
    other, other_objects = cifar.composite("cifar10+objects", 500, label="object", seed=1, **kw)
    assert torch.equal(again, x2) and not torch.equal(other, x2) and not torch.equal(other_objects, objects)


def test_objects_on_black_and_translated_placement(cifar_dir):
    black, labels = cifar.composite("black+objects", 300, classes=range(10), label="object")
    assert (outside(black) == 0).all() and (black[..., BOX[0], BOX[1]] > 0).flatten(1).any(1).all()
    _, composite_labels = cifar.composite("cifar10+objects", 300, classes=range(10), label="object", root=cifar_dir)
    assert torch.equal(labels, composite_labels)  # the object of sample i does not depend on the background
    moved, moved_labels = cifar.composite("black+objects", 300, classes=range(10), label="object",
                                         placement="translated")
    assert torch.equal(moved_labels, labels)  # the same objects, elsewhere
    lit = moved.amax(1) > 0  # (N, 32, 32)
    corners = {(int(r.nonzero()[:, 0].min()), int(c.nonzero()[:, 0].min()))
               for r, c in zip(lit.any(2), lit.any(1))}
    assert len(corners) > 50 and (outside(moved) > 0).flatten(1).any(1).float().mean() > 0.5
    subset, sub_labels = cifar.composite("black+objects", 50, classes=[40, 41], label="object")
    assert set(sub_labels.tolist()) == {0, 1} and not torch.equal(subset, black[:50])


def test_invariance_pairs_share_the_image_or_the_object(cifar_dir):
    kw = dict(classes=range(10), label="object", root=cifar_dir)
    x, objects = cifar.composite("cifar10+objects", 400, **kw)
    new_object, new_objects = cifar.composite("cifar10+objects", 400, object_seed=7, **kw)
    assert torch.equal(outside(new_object), outside(x))  # the same CIFAR image
    assert 0.8 < (new_objects != objects).float().mean() < 0.97  # a fresh draw of 10 objects
    new_image, same_objects = cifar.composite("cifar10+objects", 400, image_seed=7, **kw)
    assert torch.equal(same_objects, objects)
    sprites = cifar._small_objects("procedural", "cpu")[objects]
    alpha = cifar._paste(sprites, torch.full_like(objects, 21), torch.full_like(objects, 2))[:, 3]
    opaque = alpha > 0.998  # where the blend rounds to the object's colour whatever the background
    assert opaque.sum(dim=(1, 2)).min() >= 5
    same = new_image.permute(0, 2, 3, 1)[opaque].int() - x.permute(0, 2, 3, 1)[opaque].int()
    assert same.abs().max() <= 1  # the same object (up to rounding where alpha is not quite 1)
    assert (outside(new_image) != outside(x)).flatten(1).any(1).float().mean() > 0.9  # another CIFAR image


@pytest.mark.parametrize("kwargs,message", [
    (dict(name="black+objects", label="cifar"), "label must be object for black"),
    (dict(label="cifar10"), "label must be object or cifar"),
    (dict(placement="random"), "placement must be fixed or translated"),
    (dict(classes=[61], label="object"), "object .61. is out of range"),
    (dict(classes=[10], label="cifar"), "classes must be in 0..9"),
    (dict(name="cifar100+objects"), "unknown composite"),
])
def test_composite_errors(cifar_dir, kwargs, message):
    kwargs = dict(dict(name="cifar10+objects", classes=range(10), label="cifar", root=cifar_dir), **kwargs)
    with pytest.raises(ValueError, match=message):
        cifar.composite(kwargs.pop("name"), 10, **kwargs)


def test_load_errors():
    with pytest.raises(ValueError, match="takes no transformations"):
        data.load(data.Dataset("black+objects", transforms=("rotate",), classes=tuple(range(10))), 10)
    with pytest.raises(ValueError, match="object and image seeds are for"):
        data.load(data.Dataset(), 10, object_seed=3)


@pytest.mark.parametrize("scale,pretrainings,probes,invariances", [("small", 14, 62, 32), ("paper", 70, 310, 160)])
def test_plan(scale, pretrainings, probes, invariances):
    runs, cells = experiments.e4(scale, "R", "/c")
    assert sum(not r.needs for r in runs) == pretrainings
    assert sum(r.script == "transfer" for r in runs) == probes
    assert sum(r.script == "invariance" for r in runs) == invariances
    assert len({r.out for r in runs}) == len(runs) and all(r.out.startswith(f"R/{scale}/e4/") for r in runs)
    seeds = experiments.E4[scale]["seeds"]
    assert len(cells) == seeds * 2 * 4 * 6 and len({c[:4] for c in cells}) == len(cells)
    by = {c[:4]: c.run for c in cells}
    assert by["fixed", 0, "C&C", "C&C"] is by["translated", 0, "C&C", "C&C"]  # placement-free: once
    assert by["fixed", 0, "O&O", "C&C"].needs != by["translated", 0, "O&O", "C&C"].needs
    inv = by["translated", 0, "C+O&C", "background"].argv
    assert inv[inv.index("--vary") + 1] == "background" and inv[inv.index("--placement") + 1] == "translated"
    assert inv[inv.index("--dataset") + 1] == "cifar10+objects" and inv[inv.index("--data-dir") + 1] == "/c"
    pre = next(r for r in runs if r.out == by["fixed", 0, "C+O&O", "O&O"].needs).argv
    assert pre[pre.index("--epochs") + 1] == ("200" if scale == "paper" else "4")
    assert pre[pre.index("--label") + 1] == "object" and "--augment" in pre
    # each seed's 10 objects are a seeded draw: the object tasks' classes and the objects pasted
    objects = [paper.e4_objects(seed) for seed in range(seeds)]
    assert all(len(set(o)) == 10 and set(o) <= set(range(61)) for o in objects) and objects[0] != objects[1]
    assert pre[pre.index("--classes") + 1] == ",".join(map(str, objects[0]))
    coc = by["fixed", 0, "C+O&C", "C+O&C"].argv
    assert coc[coc.index("--pasted") + 1] == ",".join(map(str, objects[0])) and coc[coc.index("--classes") + 1] == "0-9"


def test_caption_names_only_resnet18_settings():
    assert "vit 0.25" in plots.caption("small", experiments.E1["small"])  # E1 names the ViT's own width
    e4 = plots.caption("small", experiments.E4["small"])
    assert "vit" not in e4 and "0.125 x as wide" in e4


def test_tiny_end_to_end(tmp_path, cifar_dir, monkeypatch):
    """The whole plan at a tiny scale, made by the runner as experiments.py makes it, then the table."""
    tiny = dict(experiments.E4["small"], seeds=1, width=0.0625, image_budget=64, batch_size=16, train_samples=64,
                val_samples=8, test_samples=24, probe_samples=48, probe_test_samples=24, probe_epochs=3)
    monkeypatch.setitem(experiments.E4, "tiny", tiny)
    runs, cells = experiments.e4("tiny", str(tmp_path / "runs"), str(cifar_dir))
    assert runner.run(runs, jobs=1, device="cpu") == []
    assert all((Path(c.run.out) / c.run.result).exists() for c in cells)
    inv = json.loads((Path(cells[-1].run.out) / "invariance.json").read_text())["records"][0]
    assert inv["vary"] == "background" and 0 < inv["l2"] < 3
    text = tables.table_irrelevant("tiny", tmp_path / "fig" / "t.md", str(tmp_path / "runs"))
    assert text.count("| fixed |") >= 4 and text.count("| translated |") >= 4 and "| 0.53 |" in text
    out = json.loads((tmp_path / "fig" / "t.json").read_text())
    entry = out["results"]["translated"]["C+O&O"]["object"]
    assert entry["seeds"] == [0] and len(entry["values"]) == 1 and entry["mean"] == entry["values"][0]
    assert {c["claim"] for c in out["claims"]} == {c[0] for c in claims.E4_CLAIMS}
    assert r"\pm" in (tmp_path / "fig" / "t.tex").read_text()


def test_missing_cifar_is_one_line_and_a_failure(tmp_path, cli, make_cifar):
    for argv in (["table-irrelevant"], ["table-irrelevant", "--commands"]):
        res = cli("experiments.py", *argv, "--cifar-dir", tmp_path, "--root", tmp_path / "runs")
        assert res.returncode == 1 and res.stdout == ""
        assert len(res.stderr.strip().splitlines()) == 1 and "tv.datasets.CIFAR10('cifar', download=True)" in res.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written
    make_cifar(tmp_path)
    res = cli("experiments.py", "table-irrelevant", "--commands", "--cifar-dir", tmp_path)
    assert res.returncode == 0 and len(res.stdout.splitlines()) == 14 + 62 + 32
    res = cli("tables.py", "table-irrelevant", "--root", tmp_path / "runs", "--out", tmp_path / "fig" / "t.md")
    assert res.returncode == 1 and "no E4 results" in res.stderr and not (tmp_path / "fig").exists()
