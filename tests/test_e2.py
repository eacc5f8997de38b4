"""Experiment E2 (nested transformation sets, Figure 4): the draws, the run plan, transfer.py's
multi-set probe, and plots.py fig4 on result files made here."""
import json
from pathlib import Path

import pytest

import experiments
import plots
import train
import transfer
import transforms


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny vgg11 (one epoch on 3 objects): what it learned does not matter here."""
    out = tmp_path_factory.mktemp("pretrain")
    train.train(train.get_args_parser().parse_args([
        "--arch", "vgg11", "--width", "0.125", "--classes", "0-2", "--train-samples", "64", "--val-samples", "8",
        "--test-samples", "8", "--epochs", "1", "--batch-size", "32", "--device", "cpu", "--out", str(out)]))
    return out / "checkpoint.pt"


def probe_args(checkpoint, out, *extra):
    return transfer.get_args_parser().parse_args(
        ["--checkpoint", str(checkpoint), "--device", "cpu", "--out", str(out), *extra])


def test_nested_sets_are_distinct_deterministic_and_seeded():
    for seed in range(20):
        names = experiments.nested_transforms(seed)
        assert len(names) == 8 == len(set(names)) and set(names) <= set(transforms.REGISTRY)
        assert experiments.nested_transforms(seed) == names
    assert experiments.nested_transforms(0) != experiments.nested_transforms(1)


@pytest.mark.parametrize("scale", ["small", "paper"])
def test_e2_run_plan(scale):
    runs, points = experiments.e2(scale, "R")
    seeds = experiments.E2[scale]["seeds"]
    assert len(points) == seeds * 4 * 8 and len(runs) == 2 * len(points)
    assert len({r.out for r in runs}) == len(runs)
    by_out = {r.out: r for r in runs}
    for p in points:
        pre, probe = by_out[p.pretrain], by_out[p.probe]
        assert probe.needs == p.pretrain and not pre.needs
        names = experiments.nested_transforms(p.seed)
        assert pre.args[pre.args.index("--transforms") + 1] == ",".join(names[:p.k])
        i = probe.args.index("--probe-sets")  # t_1 ... t_8, nested
        assert probe.args[i + 1:i + 9] == [",".join(names[:j]) for j in range(1, 9)]
        assert probe.args[i + 9] == "--classes"
        target = ",".join(map(str, experiments.class_split(p.seed)[0]))
        assert pre.args[pre.args.index("--classes") + 1] == probe.args[probe.args.index("--classes") + 1] == target
    assert {p.arch for p in points} == set(experiments.E2_ARCHS)
    if scale == "paper":  # SPEC E2: 100 epochs at batch 256, 50k samples, probes on 50k
        assert pre.args[pre.args.index("--epochs") + 1] == "100"
        assert pre.args[pre.args.index("--batch-size") + 1] == "256"
        assert probe.args[probe.args.index("--train-samples") + 1] == "50000"


def test_e2_makefile_and_commands(capsys):
    experiments.main(experiments.get_args_parser().parse_args(["fig4", "--makefile"]))
    text = capsys.readouterr().out
    assert text.startswith("FIG4_RUNS := runs/small/e2/probe/")
    assert text.count("\t$(RUN_ENV) $(PYTHON) train.py") == text.count("transfer.py") == 64
    assert "runs/small/e2/probe/vit-k3-s1/results.json: runs/small/e2/pretrain/vit-k3-s1/results.json" in text
    experiments.main(experiments.get_args_parser().parse_args(["fig4", "--commands", "--stage", "probe"]))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 64 and all(line.startswith("python transfer.py") for line in lines)


def test_probe_sets_equal_separate_probes(checkpoint, tmp_path):
    common = ("--classes", "3-5", "--train-samples", "60", "--test-samples", "30", "--epochs", "5", "--seed", "2")
    sets = ["rotate", "rotate,hue", "none"]
    multi = transfer.transfer(probe_args(checkpoint, tmp_path / "multi", "--probe-sets", *sets, *common))
    assert json.loads((tmp_path / "multi" / "results.json").read_text()) == multi
    assert [p["transforms"] for p in multi["probes"]] == [["rotate"], ["rotate", "hue"], []]
    for t, rec in zip(sets, multi["probes"]):
        alone = transfer.transfer(probe_args(checkpoint, tmp_path / t, "--transforms", t, *common))
        assert (rec["train_acc"], rec["test_acc"]) == (alone["train_acc"], alone["test_acc"])
    assert set(multi) == {"mode", "probes", "wall_time_s"} and multi["mode"] == "linear"


@pytest.mark.parametrize("extra", [["--invariance"], ["--mode", "full"], ["wobble"], ["--transforms", "hue"]])
def test_probe_sets_cli_errors(checkpoint, tmp_path, capsys, extra):
    with pytest.raises(SystemExit) as e:
        transfer.main(probe_args(checkpoint, tmp_path / "run", "--probe-sets", "rotate", *extra))
    assert e.value.code not in (0, None)
    assert not (tmp_path / "run").exists()


def fake_e2(root, drop=None):
    """results.json for every E2 model: probe accuracy 0.95 on j <= k, then 0.1 less per unseen
    transformation; seed 1 is 0.02 higher. drop = (arch, k): that model's j=8 equals its j=k."""
    _, points = experiments.e2("small", str(root))
    for p in points:
        accs = [0.95 - 0.1 * max(0, j - p.k) + 0.02 * p.seed for j in range(1, 9)]
        if (p.arch, p.k) == drop:
            accs[7] = accs[p.k - 1]
        for folder, value in ((p.pretrain, {"test_acc": 0.9}),
                              (p.probe, {"probes": [{"transforms": [], "test_acc": a} for a in accs]})):
            Path(folder).mkdir(parents=True, exist_ok=True)
            (Path(folder) / "results.json").write_text(json.dumps(value))


def test_fig4_from_result_files(tmp_path):
    fake_e2(tmp_path / "runs", drop=("vgg11", 3))
    out = tmp_path / "figures" / "fig4.png"
    table = plots.fig4("small", out, tmp_path / "runs")
    assert out.exists() and out.with_suffix(".pdf").exists()
    numbers = json.loads(out.with_suffix(".json").read_text())
    assert list(numbers) == experiments.E2_ARCHS and len(numbers["vit"]) == 64
    rec = next(r for r in numbers["resnet18"] if (r["k"], r["j"]) == (1, 8))
    assert rec["test_acc_seeds"] == pytest.approx([0.25, 0.27]) and rec["test_acc"] == pytest.approx(0.26)
    assert rec["pretrain_acc"] == pytest.approx(0.9)
    rows = {r["arch"]: r for r in plots.e2_claims(plots.e2_results("small", tmp_path / "runs"))}
    assert rows["resnet18"]["seen"] == pytest.approx(0.96) and rows["resnet18"]["falls"] == 7
    assert rows["vgg11"]["falls"] == 6 and rows["vgg11"]["of"] == 7
    assert rows["resnet18"]["last_on_last"] == pytest.approx(0.96)
    assert "| resnet18 | 0.960 |" in table and "6 of 7 k" in table


def test_fig4_with_missing_runs(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        plots.main(plots.get_args_parser().parse_args(["fig4", "--root", str(tmp_path)]))
    assert "no E2 results" in str(e.value.code)
    fake_e2(tmp_path)
    for p in experiments.e2("small", str(tmp_path))[1][:3]:
        (Path(p.probe) / "results.json").unlink()
    results = plots.e2_results("small", tmp_path)
    assert "3 of 64 E2 models have no results" in capsys.readouterr().err
    assert len(results["resnet18"]) == 64  # seed 1 still covers every (k, j)
