"""experiments.py (the E1 design as runs) and plots.py fig2/fig3 on result files made here."""
import json
from pathlib import Path

import pytest

import experiments
import paper
import plots
import transforms


def test_seed_sets_follow_the_spec_and_further_seeds_are_drawn_alike():
    assert paper.transform_sets(0) == ("translate,invert,pixelate", "rotate,posterize,erasing")
    assert paper.transform_sets(9) == ("translate,invert,elastic", "scale,sharpen,contrast")
    for seed in range(10, 30):
        same, diff = (s.split(",") for s in paper.transform_sets(seed))
        assert not set(same) & set(diff)
        for names in (same, diff):  # one per category, in category order
            assert [transforms.REGISTRY[n].category for n in names] == list(transforms.CATEGORIES)
    assert paper.transform_sets(10) != paper.transform_sets(11)


def test_class_split():
    target, other = paper.class_split(3)
    assert len(target) == len(other) == 30 and not set(target) & set(other)
    assert set(target + other) <= set(range(61))
    assert paper.class_split(3) == (target, other) != paper.class_split(4)


@pytest.mark.parametrize("scale,pretrainings,probes", [("small", 72, 96), ("paper", 240, 340)])
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
    assert res.returncode == 0 and len(lines) == 72 + 96
    first_probe = next(i for i, line in enumerate(lines) if "transfer.py" in line)
    assert all(line.startswith("python train.py") for line in lines[:first_probe]) and first_probe == 72
    assert "--arch vit" in lines[0] or "--arch resnet50" in lines[0] or "--arch densenet121" in lines[0]
    staged = cli("experiments.py", "fig2", "--commands", "--stage", "probe").stdout.splitlines()
    assert staged == lines[72:]


def test_fig2_and_fig3_from_result_files(tmp_path, fake_e1):
    fake_e1(tmp_path / "runs")
    out = tmp_path / "figures" / "fig2.png"
    table = plots.fig2("small", out, tmp_path / "runs")
    assert out.exists() and out.with_suffix(".pdf").exists()
    numbers = json.loads(out.with_suffix(".json").read_text())
    assert list(numbers["records"]["t2d"]) == ["class_relationship", "architecture", "pretraining_samples",
                                               "target_samples"]
    rec = numbers["records"]["t2d"]["architecture"][0]
    assert rec["value"] == "resnet18" and rec["invariance"] == "same"
    assert rec["transfer_acc_by_seed"] == pytest.approx({"0": 0.9, "1": 0.91, "2": 0.92}) and rec["seeds"] == [0, 1, 2]
    assert rec["transfer_acc"] == pytest.approx(0.91) and rec["pretrain_acc"] == pytest.approx(0.8)
    assert "| Transforms-2D | architecture | 0.30" in table and table.count("| no |") == 0
    plots.fig3("small", tmp_path / "figures" / "fig3.png", tmp_path / "runs")
    assert (tmp_path / "figures" / "fig3.pdf").exists()


def test_fig2_without_runs_is_one_line(tmp_path, cli):
    res = cli("plots.py", "fig2", "--root", tmp_path)
    assert res.returncode != 0 and "no E1" in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("scale", ["small", "paper"])
def test_e1_ft_fine_tunes_e1s_pretrainings(scale):
    runs, points = experiments.e1_ft(scale, "R")
    e1_runs = {r.out: r for r in experiments.e1(scale, "R")[0]}
    pre = [r for r in runs if r.script == "train"]
    ft = [r for r in runs if r.script == "transfer"]
    assert all(e1_runs[r.out] == r for r in pre)  # the same pretrainings as fig2: trained once for both
    assert {p.factor for p in points} == {"class_relationship", "architecture", "pretraining_samples"}
    assert {p.target for p in points} == {200, 2000} and {r.needs for r in ft} <= {r.out for r in pre}
    for r in ft:
        argv = r.argv
        assert argv[:2] == ["--mode", "full"] and argv[argv.index("--train-samples") + 1] in ("200", "2000")
        if scale == "paper":  # the paper's E1-FT: 50 epochs of fine-tuning after the 200-epoch probe
            assert argv[argv.index("--finetune-epochs") + 1] == "50" and argv[argv.index("--epochs") + 1] == "200"
    seeds = experiments.E1[scale]["seeds"]
    assert len(points) == seeds * 2 * 2 * (4 + 5 + 5)


def test_fig2_finetune_from_result_files(tmp_path, planned_settings):
    """Same 0.9 vs different 0.75 with 200 target samples, 0.95 vs 0.93 with 2,000: the gap
    shrinks."""
    runs, points = experiments.e1_ft("small", str(tmp_path))
    settings = planned_settings(runs)
    for p in points:
        acc = {200: (0.9, 0.75), 2000: (0.95, 0.93)}[p.target][p.kind != "same"] + 0.01 * p.seed
        Path(p.run).mkdir(parents=True, exist_ok=True)
        Path(p.run, "results.json").write_text(json.dumps({"records": [{"test_acc": acc}],
                                                           "settings": settings[p.run]}))
    out = tmp_path / "fig" / "fig2_finetune.png"
    table = plots.fig2_finetune("small", out, tmp_path)
    assert out.exists() and json.loads(out.with_suffix(".json").read_text())["records"]["200"]
    shrinks = [line for line in table.splitlines() if line.startswith("| architecture | 0.150 | 0.020 |")]
    assert shrinks == ["| architecture | 0.150 | 0.020 | yes |"]
    assert "| 200 | class relationship | 0.150 ± 0.000 |" in table
