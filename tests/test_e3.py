"""E3 (invariance transfer across distribution shift): the run plan, and the table and heatmap
from result files."""
import json

import pytest

import experiments
import paper
import tables
from cli import parse_classes


@pytest.mark.parametrize("scale", ["small", "paper"])
def test_e3_plan_trains_every_transformation_on_both_kinds(scale):
    runs, models = experiments.e3(scale, "R")
    seeds = experiments.E3[scale]["seeds"]
    pretrain = [r for r in runs if not r.needs]
    measure = [r for r in runs if r.needs]
    assert len(pretrain) == len(measure) == len(models) == 19 * 2 * seeds
    assert len({r.out for r in runs}) == len(runs)  # no folder twice
    assert {r.needs for r in measure} == {r.out for r in pretrain}  # each measures its own pretraining
    assert all(r.script == "invariance" and r.result == "invariance.json" and f"{r.needs}/checkpoint.pt" in r.argv
               for r in measure)
    assert {(m.kind, m.trained) for m in models} == {(k, t) for k in ("objects", "random")
                                                     for t in ["none", *paper.ALL_TRANSFORMS]}
    random_runs = [r for r in pretrain if "/random-" in r.out]
    assert all(r.argv[r.argv.index("--objects") + 1] == "random" for r in random_runs)
    m = measure[0].argv
    assert m[m.index("--distributions") + 1] == "train,objects,random"
    assert m[m.index("--transforms") + 1:m.index("--transforms") + 19] == paper.ALL_TRANSFORMS  # each on its own
    # the measurement's objects are the 30 the pretraining did not see
    p = pretrain[0].argv
    seen, measured = (set(parse_classes(a[a.index("--classes") + 1])) for a in (p, m))
    assert len(measured) == 30 and not seen & measured


def test_e3_commands(cli):
    res = cli("experiments.py", "table-invariance", "--commands", "--stage", "probe")
    lines = res.stdout.splitlines()
    assert res.returncode == 0 and len(lines) == 76 and all(line.startswith("python invariance.py") for line in lines)


def test_e3_cifar_columns_when_cifar_is_there(tmp_path):
    (tmp_path / "cifar-10-batches-py").mkdir()
    runs, models = experiments.e3("small", "R", tmp_path)
    m = next(r for r in runs if r.needs).argv
    assert m[m.index("--distributions") + 1] == "train,objects,random,cifar10"
    assert m[m.index("--data-dir") + 1] == str(tmp_path)
    assert models[0].measure != experiments.e3("small", "R")[1][0].measure  # not mistaken for a run without


def test_table_from_result_files(tmp_path, capsys, fake_e3):
    (tmp_path / "cifar" / "cifar-10-batches-py").mkdir(parents=True)
    fake_e3(tmp_path / "runs", tmp_path / "cifar")
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
    assert "1,000 pretraining samples, 2,000 images per pretraining" in numbers["description"]
    md = out.read_text()
    assert "| Same is the lowest | yes | yes | NO | yes |" in md and "0.409 ± 0.000 (0.41)" in md
    assert "CIFAR-10" in md and "CIFAR-100" not in md
    assert "\\begin{tabular}{lrrrr}" in out.with_suffix(".tex").read_text()
    assert (tmp_path / "figures" / "invariance_heatmap.png").exists()
    assert (tmp_path / "figures" / "invariance_heatmap.pdf").exists()
    assert "Same is the lowest" in capsys.readouterr().out


def test_table_without_runs_is_one_line(tmp_path, cli):
    res = cli("tables.py", "table-invariance", "--root", tmp_path, "--cifar-dir", "")
    assert res.returncode != 0 and "76 of 76 E3 measurements" in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
