"""E3 (invariance transfer across distribution shift): the run plan, the one-process measurement
of every transformation on every distribution, and the table and heatmap from result files."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_cifar import make_cifar

import data
import experiments
import models
import tables
import transfer

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("scale", ["small", "paper"])
def test_e3_plan_trains_every_transformation_on_both_kinds(scale):
    runs, cells = experiments.e3(scale, "R")
    seeds = experiments.E3_SCALES[scale]["seeds"]
    pretrain = [r for r in runs if not r.needs]
    measure = [r for r in runs if r.needs]
    assert len(pretrain) == len(measure) == len(cells) == 19 * 2 * seeds
    assert len({r.out for r in runs}) == len(runs)  # no folder twice
    assert {r.needs for r in measure} == {r.out for r in pretrain}  # each measures its own pretraining
    assert all(r.result == "invariance.json" and f"{r.needs}/checkpoint.pt" in r.args for r in measure)
    assert {(c.kind, c.trained) for c in cells} == {(k, t) for k in ("objects", "random")
                                                    for t in ["none", *data.TRANSFORMS]}
    random_runs = [r for r in pretrain if "/random-" in r.out]
    assert all("--objects" in r.args and r.args[r.args.index("--objects") + 1] == "random" for r in random_runs)
    m = measure[0].args
    assert m[m.index("--distributions") + 1] == "train,objects,random"
    assert m[m.index("--transforms") + 1].split(",") == data.TRANSFORMS
    # the measurement's objects are the 30 the pretraining did not see
    p = pretrain[0].args
    seen, measured = (set(data.parse_classes(a[a.index("--classes") + 1])) for a in (p, m))
    assert len(measured) == 30 and not seen & measured


def test_e3_makefile_and_commands():
    runs, _ = experiments.e3("small", "R")
    text = experiments.makefile(runs, "TABLE_INVARIANCE_RUNS")
    m = next(r for r in runs if r.needs)
    assert f"{m.out}/invariance.json: {m.needs}/results.json\n\t$(RUN_ENV) $(PYTHON) transfer.py" in text
    assert text.split("\n")[0].count("invariance.json") == 76
    res = subprocess.run([sys.executable, "experiments.py", "table-invariance", "--commands", "--stage", "probe"],
                         cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0 and len(res.stdout.splitlines()) == 76
    assert all("--each" in line for line in res.stdout.splitlines())


def test_e3_cifar_columns_when_cifar_is_there(tmp_path):
    (tmp_path / "cifar-10-batches-py").mkdir()
    runs, cells = experiments.e3("small", "R", tmp_path)
    m = next(r for r in runs if r.needs).args
    assert m[m.index("--distributions") + 1] == "train,objects,random,cifar10"
    assert m[m.index("--data-dir") + 1] == str(tmp_path)
    assert cells[0].measure != experiments.e3("small", "R")[1][0].measure  # not mistaken for a run without


@pytest.fixture
def checkpoint(tmp_path):
    """An untrained narrow resnet18 as train.py would save it, trained on random data."""
    torch.manual_seed(0)
    model = models.build("resnet18", 3, 0.125)
    args = dict(arch="resnet18", classes="0-2", width=0.125, dataset="t2d", objects="random", backgrounds="random")
    torch.save({"model": model.state_dict(), "args": args}, tmp_path / "checkpoint.pt")
    return tmp_path / "checkpoint.pt", model.eval()


def test_each_matches_single_measurements(checkpoint, tmp_path):
    path, model = checkpoint
    make_cifar(tmp_path / "cifar")
    args = transfer.get_args_parser().parse_args([
        "--checkpoint", str(path), "--device", "cpu", "--invariance", "--each", "--transforms", "rotate,invert,none",
        "--distributions", "train,objects,random,cifar10", "--classes", "3-5", "--test-samples", "16",
        "--seed", "2", "--data-dir", str(tmp_path / "cifar"), "--out", str(tmp_path / "inv")])
    result = transfer.transfer(args)
    assert json.loads((tmp_path / "inv" / "invariance.json").read_text()) == result
    got = {(r["distribution"], r["transforms"]): r for r in result["records"]}
    assert set(got) == {(d, t) for d in ("train", "objects", "random", "cifar10") for t in ("rotate", "invert", "none")}
    kw = dict(seed=2, device="cpu")
    expected = {  # the same distributions through the single-transformation measure
        "train": dict(classes=[0, 1, 2], objects="random", backgrounds="random"),
        "objects": dict(classes=[3, 4, 5]),
        "random": dict(classes=[3, 4, 5], objects="random", backgrounds="random"),
        "cifar10": dict(classes=range(10), dataset="cifar10", data_dir=tmp_path / "cifar")}
    for dist, dist_kw in expected.items():
        for t in ("rotate", "invert"):
            for metric in ("l2", "cosine"):
                single = transfer.invariance(model, [t], 16, metric=metric, **kw, **dist_kw)
                assert got[dist, t][metric] == pytest.approx(single, rel=1e-5)
        assert got[dist, "none"]["l2"] == 0 and got[dist, "rotate"]["l2"] > 0.05
    assert got["objects", "rotate"]["l2"] != got["random", "rotate"]["l2"]


def test_each_cli_errors(checkpoint, tmp_path):
    path, _ = checkpoint
    for extra, message in ((["--each"], "go together"), (["--distributions", "train"], "go together"),
                           (["--each", "--distributions", "train,moon"], "unknown distribution 'moon'")):
        args = transfer.get_args_parser().parse_args(["--checkpoint", str(path), "--device", "cpu", "--invariance",
                                                      "--test-samples", "8", "--out", str(tmp_path / "x"), *extra])
        with pytest.raises(SystemExit, match=message):
            transfer.main(args)
    assert not (tmp_path / "x").exists()


def fake_measurements(root, cifar_dir=None):
    """invariance.json for every E3 model: trained on t and measured on t 0.1 (+0.01 per seed),
    except 0.6 on random data; the model trained on o measured on t != o 0.4 + 0.001 x the
    index of o; the model trained without transformation 0.5."""
    _, cells = experiments.e3("small", str(root), cifar_dir)
    for c in cells:
        records = []
        for dist in ["train", "objects", "random", *experiments.cifar_datasets(cifar_dir)]:
            for t in data.TRANSFORMS:
                if c.trained == "none":
                    x = 0.5
                elif c.trained == t:
                    x = 0.6 if dist == "random" else 0.1 + 0.01 * c.seed
                else:
                    x = 0.4 + 0.001 * data.TRANSFORMS.index(c.trained)
                records.append(dict(distribution=dist, transforms=t, l2=x, cosine=x / 2))
        Path(c.measure).mkdir(parents=True)
        (Path(c.measure) / "invariance.json").write_text(json.dumps({"records": records}))


def test_table_from_result_files(tmp_path, capsys):
    (tmp_path / "cifar" / "cifar-10-batches-py").mkdir(parents=True)
    fake_measurements(tmp_path / "runs", tmp_path / "cifar")
    out = tmp_path / "figures" / "table_invariance.md"
    tables.table_invariance("small", out, tmp_path / "runs", tmp_path / "cifar")
    numbers = json.loads(out.with_suffix(".json").read_text())
    table = numbers["table"]
    assert list(table) == ["objects", "random"] and list(table["objects"]["same"]) == [
        "train", "objects", "random", "cifar10"]
    assert table["objects"]["same"]["train"]["seeds"] == pytest.approx([0.1, 0.11])
    assert table["random"]["same"]["cifar10"]["mean"] == pytest.approx(0.105)
    # Other for t: the mean of 0.4 + 0.001 i over the 17 other indices i; over t: 0.4 + 0.001 (153 - 8.5) / 17
    assert table["objects"]["other"]["objects"]["mean"] == pytest.approx(0.4085)
    assert table["objects"]["none"]["random"]["mean"] == pytest.approx(0.5)
    assert numbers["claim_same_is_lowest"]["objects"] == {"train": True, "objects": True, "random": False,
                                                          "cifar10": True}
    assert numbers["matrices"]["random"]["train"]["rotate"]["rotate"] == pytest.approx(0.105)
    assert numbers["matrices"]["random"]["train"]["none"]["blur"] == 0.5
    assert numbers["reference_resnet18_trained_on_objects"]["same"]["cifar100"] == 0.35
    assert "1,000 pretraining samples for 2 epochs" in numbers["description"]
    md = out.read_text()
    assert "| Same is the lowest | yes | yes | NO | yes |" in md and "0.409 ± 0.000 (0.41)" in md
    assert "CIFAR-10" in md and "CIFAR-100" not in md
    assert "\\begin{tabular}{lrrrr}" in out.with_suffix(".tex").read_text()
    assert (tmp_path / "figures" / "invariance_heatmap.png").exists()
    assert (tmp_path / "figures" / "invariance_heatmap.pdf").exists()
    assert "Same is the lowest" in capsys.readouterr().out


def test_table_without_runs_is_one_line(tmp_path):
    res = subprocess.run([sys.executable, "tables.py", "table-invariance", "--root", str(tmp_path), "--cifar-dir", ""],
                         cwd=ROOT, capture_output=True, text=True)
    assert res.returncode != 0 and "76 of 76 E3 measurements" in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
