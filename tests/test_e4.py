"""E4 (irrelevant features): the composites, the invariance pairs, the run plan, a tiny run of
every command of the plan on a CIFAR fixture, the table, and the missing-CIFAR message."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_cifar import make_cifar

import data
import experiments
import tables
import train
import transfer

ROOT = Path(__file__).resolve().parents[1]
BOX = (slice(2, 14), slice(21, 32))  # the fixed spot: rows 2-13, columns 21-31 (the 12th is cut off)


@pytest.fixture(scope="module")
def cifar_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("cifar")
    make_cifar(root)
    return root


def outside(x):
    mask = torch.ones(32, 32, dtype=torch.bool)
    mask[BOX] = False
    return x[..., mask]


def test_fixed_composite_is_cifar_outside_the_box(cifar_dir):
    kw = dict(classes=range(10), root=cifar_dir)
    plain, plain_labels = data.cifar("cifar10", [], 500, **kw)
    x, labels = data.composite("cifar10+objects", 500, label="cifar", **kw)
    assert torch.equal(outside(x), outside(plain)) and torch.equal(labels, plain_labels)
    assert (x[..., BOX[0], BOX[1]] != plain[..., BOX[0], BOX[1]]).flatten(1).any(1).all()  # an object in each
    x2, objects = data.composite("cifar10+objects", 500, label="object", **kw)
    assert torch.equal(outside(x2), outside(plain))  # the same CIFAR images, labelled by the object
    # independent labels: every CIFAR class appears with many objects, every object is used
    assert all(len(objects[labels == c].unique()) >= 6 for c in range(10))
    assert (torch.bincount(objects, minlength=10) > 20).all()
    again, _ = data.composite("cifar10+objects", 500, label="object", **kw)
    other, other_objects = data.composite("cifar10+objects", 500, label="object", seed=1, **kw)
    assert torch.equal(again, x2) and not torch.equal(other, x2) and not torch.equal(other_objects, objects)


def test_objects_on_black_and_translated_placement(cifar_dir):
    black, labels = data.composite("black+objects", 300, classes=range(10), label="object")
    assert (outside(black) == 0).all() and (black[..., BOX[0], BOX[1]] > 0).flatten(1).any(1).all()
    _, composite_labels = data.composite("cifar10+objects", 300, classes=range(10), label="object", root=cifar_dir)
    assert torch.equal(labels, composite_labels)  # the object of sample i does not depend on the background
    moved, moved_labels = data.composite("black+objects", 300, classes=range(10), label="object",
                                         placement="translated")
    assert torch.equal(moved_labels, labels)  # the same objects, elsewhere
    lit = moved.amax(1) > 0  # (N, 32, 32)
    corners = {(int(r.nonzero()[:, 0].min()), int(c.nonzero()[:, 0].min()))
               for r, c in zip(lit.any(2), lit.any(1))}
    assert len(corners) > 50 and (outside(moved) > 0).flatten(1).any(1).float().mean() > 0.5
    subset, sub_labels = data.composite("black+objects", 50, classes=[40, 41], label="object")
    assert set(sub_labels.tolist()) == {0, 1} and not torch.equal(subset, black[:50])


def test_invariance_pairs_share_the_image_or_the_object(cifar_dir):
    kw = dict(classes=range(10), label="object", root=cifar_dir)
    x, objects = data.composite("cifar10+objects", 400, **kw)
    new_object, new_objects = data.composite("cifar10+objects", 400, object_seed=7, **kw)
    assert torch.equal(outside(new_object), outside(x))  # the same CIFAR image
    assert 0.8 < (new_objects != objects).float().mean() < 0.97  # a fresh draw of 10 objects
    new_image, same_objects = data.composite("cifar10+objects", 400, image_seed=7, **kw)
    assert torch.equal(same_objects, objects)
    sprites = data._small_objects("procedural", "cpu")[objects]
    alpha = data._paste(sprites, torch.full_like(objects, 21), torch.full_like(objects, 2))[:, 3]
    opaque = alpha > 0.998  # where the blend rounds to the object's colour whatever the background
    assert opaque.sum(dim=(1, 2)).min() >= 5
    same = new_image.permute(0, 2, 3, 1)[opaque].int() - x.permute(0, 2, 3, 1)[opaque].int()
    assert same.abs().max() <= 1  # the same object (up to rounding where alpha is not quite 1)
    assert (outside(new_image) != outside(x)).flatten(1).any(1).float().mean() > 0.9  # another CIFAR image

    class OutsideBox(torch.nn.Module):  # features that see only the pixels outside the fixed spot
        def features(self, images):
            return outside(images).flatten(1)

    kw = dict(classes=range(10), dataset="cifar10+objects", data_dir=cifar_dir, label="cifar", n=200)
    assert transfer.invariance(OutsideBox(), [], vary="object", **kw) == 0
    assert transfer.invariance(OutsideBox(), [], vary="background", **kw) > 0.9
    assert transfer.invariance(OutsideBox(), [], vary="object", placement="translated", **kw) > 0.05


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
        data.composite(kwargs.pop("name"), 10, **kwargs)


def test_load_errors(cifar_dir):
    with pytest.raises(ValueError, match="takes no transformations"):
        data.load("black+objects", "rotate", 10, classes=range(10))
    with pytest.raises(ValueError, match="object and image seeds are for"):
        data.load("t2d", [], 10, classes=range(10), object_seed=3)
    with pytest.raises(SystemExit):
        transfer.get_args_parser().parse_args(["--checkpoint", "x", "--vary", "colour"])


@pytest.mark.parametrize("scale,pretrainings,probes,invariances", [("small", 14, 62, 32), ("paper", 70, 310, 160)])
def test_plan(scale, pretrainings, probes, invariances):
    runs, cells = experiments.e4(scale, "R", "/c")
    kinds = [r.result == "invariance.json" for r in runs if r.needs]
    assert sum(not r.needs for r in runs) == pretrainings
    assert kinds.count(False) == probes and kinds.count(True) == invariances
    assert len({r.out for r in runs}) == len(runs) and all(r.out.startswith(f"R/{scale}/e4/") for r in runs)
    seeds = experiments.E4_SCALES[scale]["seeds"]
    assert len(cells) == seeds * 2 * 4 * 6 and len({c[:4] for c in cells}) == len(cells)
    by = {c[:4]: c.run for c in cells}
    assert by["fixed", 0, "C&C", "C&C"] is by["translated", 0, "C&C", "C&C"]  # placement-free: once
    assert by["fixed", 0, "O&O", "C&C"].needs != by["translated", 0, "O&O", "C&C"].needs
    inv = by["translated", 0, "C+O&C", "background"]
    assert inv.args[:3] == ["transfer.py", "--invariance", "--vary"] and "background" in inv.args
    assert ["--dataset", "cifar10+objects"] == inv.args[4:6] and "translated" in inv.args
    pre = next(r for r in runs if r.out == by["fixed", 0, "C+O&O", "O&O"].needs)
    assert pre.args[pre.args.index("--epochs") + 1] == ("200" if scale == "paper" else "4")
    assert "--label" in pre.args and pre.args[pre.args.index("--label") + 1] == "object"
    text = experiments.makefile(runs, "TABLE_IRRELEVANT_RUNS")
    assert f"{inv.out}/invariance.json: {inv.needs}/results.json\n" in text and "--data-dir /c " in text


def test_caption_names_only_resnet18_settings():
    assert "vit 0.25" in experiments.describe("small")  # E1's caption names the ViT's own width
    assert "vit" not in experiments.describe_e4("small") and "0.125 x as wide" in experiments.describe_e4("small")


def test_tiny_end_to_end(tmp_path, cifar_dir, monkeypatch):
    """Every command of a tiny plan, run as experiments.py writes it, then the table."""
    tiny = dict(experiments.SCALES["small"], seeds=1, width=0.0625, epochs=1, batch_size=16, train_samples=64,
                val_samples=8, test_samples=24, probe_samples=48, probe_test_samples=24, probe_epochs=3)
    monkeypatch.setitem(experiments.SCALES, "tiny", tiny)
    monkeypatch.setitem(experiments.E4_SCALES, "tiny", tiny)
    runs, cells = experiments.e4("tiny", str(tmp_path / "runs"), str(cifar_dir))
    for r in sorted(runs, key=lambda r: bool(r.needs)):  # pretrainings first
        script, *args = r.args
        args += ["--device", "cpu"]
        if script == "train.py":
            train.train(train.get_args_parser().parse_args(args))
        else:
            transfer.transfer(transfer.get_args_parser().parse_args(args))
    assert all((Path(c.run.out) / c.run.result).exists() for c in cells)
    inv = json.loads((Path(cells[-1].run.out) / "invariance.json").read_text())
    assert inv["vary"] == "background" and 0 < inv["l2"] < 3
    text = tables.table_irrelevant("tiny", tmp_path / "fig" / "t.md", str(tmp_path / "runs"))
    assert text.count("| fixed |") >= 4 and text.count("| translated |") >= 4 and "| 0.53 |" in text
    out = json.loads((tmp_path / "fig" / "t.json").read_text())
    entry = out["results"]["translated"]["C+O&O"]["object"]
    assert entry["seeds"] == [0] and len(entry["values"]) == 1 and entry["mean"] == entry["values"][0]
    assert {c["claim"] for c in out["claims"]} == {c[0] for c in tables.E4_CLAIMS}
    assert r"\pm" in (tmp_path / "fig" / "t.tex").read_text()


def test_missing_cifar_is_one_line_and_a_failure(tmp_path, capsys):
    res = subprocess.run([sys.executable, "experiments.py", "table-irrelevant", "--makefile", "--cifar-dir",
                          str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 1 and res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1 and "tv.datasets.CIFAR10('cifar', download=True)" in res.stderr
    parser = experiments.get_args_parser()
    for argv in (["table-irrelevant", "--check", "--cifar-dir", str(tmp_path)],
                 ["table-irrelevant", "--commands", "--cifar-dir", str(tmp_path)], ["fig2", "--check"]):
        with pytest.raises(SystemExit, match="needs CIFAR-10|--check is for table-irrelevant") as e:
            experiments.main(parser.parse_args(argv))
        assert e.value.code != 0 and capsys.readouterr().out == ""
    make_cifar(tmp_path)
    experiments.main(parser.parse_args(["table-irrelevant", "--check", "--cifar-dir", str(tmp_path)]))
    assert capsys.readouterr().out == ""  # found: silent, exit 0
    with pytest.raises(SystemExit, match="no E4 results"):
        tables.main(tables.get_args_parser().parse_args(["table-irrelevant", "--root", str(tmp_path / "runs"),
                                                       "--out", str(tmp_path / "fig" / "t.md")]))
    assert not (tmp_path / "fig").exists()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_without_cifar_writes_nothing(tmp_path):
    mk = ROOT / "runs" / "e4test" / "table-irrelevant.mk"
    res = subprocess.run(["make", "table-irrelevant", f"PYTHON={sys.executable}", "SCALE=e4test",
                          f"CIFAR_DIR={tmp_path}"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode != 0 and "needs CIFAR-10" in res.stderr and not mk.parent.exists()
