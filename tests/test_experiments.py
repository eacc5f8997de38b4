"""experiments.py (the E1 design as runs) and plots.py fig2/fig3 on result files made here."""
import json
from pathlib import Path

import pytest

import experiments
import plots
import transforms


def test_seed_sets_follow_the_spec_and_further_seeds_are_drawn_alike():
    assert experiments.transform_sets(0) == ("translate,invert,pixelate", "rotate,posterize,erasing")
    assert experiments.transform_sets(9) == ("translate,invert,elastic", "scale,sharpen,contrast")
    for seed in range(10, 30):
        same, diff = (s.split(",") for s in experiments.transform_sets(seed))
        assert not set(same) & set(diff)
        for names in (same, diff):  # one per category, in category order
            assert [transforms.REGISTRY[n].category for n in names] == list(transforms.CATEGORIES)
    assert experiments.transform_sets(10) != experiments.transform_sets(11)


def test_class_split():
    target, other = experiments.class_split(3)
    assert len(target) == len(other) == 30 and not set(target) & set(other)
    assert set(target + other) <= set(range(61))
    assert experiments.class_split(3) == (target, other) != experiments.class_split(4)


@pytest.mark.parametrize("scale,pretrainings,probes", [("small", 48, 64), ("paper", 240, 340)])
def test_e1_runs_are_shared_and_complete(scale, pretrainings, probes):
    runs, points = experiments.e1(scale)
    assert sum(not r.needs for r in runs) == pretrainings and sum(bool(r.needs) for r in runs) == probes
    assert len({r.out for r in runs}) == len(runs)
    outs = {r.out for r in runs}
    assert all(p.pretrain in outs and p.probe in outs for p in points)
    seeds = experiments.E1[scale]["seeds"]
    for name, factor in experiments.FACTORS.items():
        assert len([p for p in points if p.factor == name]) == len(factor.values[scale]) * 2 * seeds
    default = {(p.factor, p.value): p.pretrain for p in points if p.seed == 0 and p.kind == "same"}
    assert default["class_relationship", "disjoint"] == default["architecture", "resnet18"]  # trained once
    # the target-samples factor probes models pretrained on the target classes themselves
    assert default["target_samples", 50] == default["class_relationship", "same"]


def test_commands_list_pretrainings_first_longest_first(cli):
    res = cli("experiments.py", "fig2", "--commands")
    lines = res.stdout.splitlines()
    assert res.returncode == 0 and len(lines) == 112
    first_probe = next(i for i, line in enumerate(lines) if "transfer.py" in line)
    assert all(line.startswith("python train.py") for line in lines[:first_probe]) and first_probe == 48
    assert "--arch vit" in lines[0] or "--arch resnet50" in lines[0] or "--arch densenet121" in lines[0]
    staged = cli("experiments.py", "fig2", "--commands", "--stage", "probe").stdout.splitlines()
    assert staged == lines[48:]


def fake_results(root, gap_at=None):
    """results.json for every E1 point: same transfers at 0.9, different at 0.6 (or above same
    at the value gap_at), pretraining accuracy 0.8; seeds differ a little."""
    _, points = experiments.e1("small", str(root))
    for p in points:
        acc = 0.9 if p.kind == "same" else (0.95 if p.value == gap_at else 0.6)
        for folder, result in ((p.probe, {"records": [{"test_acc": acc + 0.01 * p.seed}]}),
                               (p.pretrain, {"test_acc": 0.8})):
            Path(folder).mkdir(parents=True, exist_ok=True)
            (Path(folder) / "results.json").write_text(json.dumps(result))


def test_fig2_and_fig3_from_result_files(tmp_path, capsys):
    fake_results(tmp_path / "runs")
    out = tmp_path / "figures" / "fig2.png"
    table = plots.fig2("small", out, tmp_path / "runs")
    assert out.exists() and out.with_suffix(".pdf").exists()
    numbers = json.loads(out.with_suffix(".json").read_text())
    assert list(numbers) == ["class_relationship", "architecture", "pretraining_samples", "target_samples"]
    rec = numbers["architecture"][0]
    assert set(rec) == {"dataset", "value", "invariance", "transfer_acc", "transfer_acc_seeds", "pretrain_acc"}
    assert rec["value"] == "resnet18" and rec["transfer_acc_seeds"] == pytest.approx([0.9, 0.91])
    assert rec["transfer_acc"] == pytest.approx(0.905)
    assert table.count("| yes |") == 4 and "0.300" in table
    plots.fig3("small", tmp_path / "figures" / "fig3.png", tmp_path / "runs")
    assert (tmp_path / "figures" / "fig3.pdf").exists()


def test_claims_table_says_when_same_does_not_win(tmp_path):
    fake_results(tmp_path / "runs", gap_at="vgg11")
    rows = {r["factor"]: r for r in plots.claims(plots.e1_results("small", tmp_path / "runs"))}
    assert set(rows) == set(experiments.FACTORS)
    assert not rows["architecture"]["same_beats_different"]
    assert rows["class_relationship"]["same_beats_different"]
    assert rows["architecture"]["span_different"] == pytest.approx(0.35)


def test_fig2_without_runs_is_one_line(tmp_path, cli):
    res = cli("plots.py", "fig2", "--root", tmp_path)
    assert res.returncode != 0 and "no E1 results" in res.stderr and "Traceback" not in res.stderr


def test_mean_ci():
    assert plots.mean_ci([0.5]) == (0.5, 0.0)
    mean, ci = plots.mean_ci([0.4, 0.6])
    assert mean == pytest.approx(0.5) and ci == pytest.approx(12.71 * 0.1414 / 1.4142, rel=1e-3)
