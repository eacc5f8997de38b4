"""Experiment E2 (nested transformation sets, Figure 4): the draws, the run plan, and plots.py
fig4 on result files made here."""
import json
from pathlib import Path

import pytest

import claims
import experiments
import paper
import plots
import transforms


def test_nested_sets_are_distinct_deterministic_and_seeded():
    for seed in range(20):
        names = paper.nested_transforms(seed)
        assert len(names) == 8 == len(set(names)) and set(names) <= set(transforms.REGISTRY)
        assert paper.nested_transforms(seed) == names
    assert paper.nested_transforms(0) != paper.nested_transforms(1)
    # seeds 0-9 are the original's draws (PROTOCOL.md section 5.3), further seeds drawn alike
    assert paper.nested_transforms(0) == ["grayscale", "sharpen", "hue", "v_flip", "posterize", "noise",
                                                 "h_flip", "translate"]
    assert paper.nested_transforms(9)[0] == "blur" and paper.nested_transforms(10) != \
        paper.nested_transforms(0)


def flag(run, name, count=1):
    i = run.argv.index(name)
    return run.argv[i + 1] if count == 1 else run.argv[i + 1:i + 1 + count]


@pytest.mark.parametrize("scale", ["small", "paper"])
def test_e2_run_plan(scale):
    runs, points = experiments.e2(scale, "R")
    seeds = experiments.E2[scale]["seeds"]
    assert len(points) == seeds * 4 * 8 and len(runs) == 2 * len(points)
    assert len({r.out for r in runs}) == len(runs)
    by_out = {r.out: r for r in runs}
    for p in points:
        pre, probe = by_out[p.pretrain], by_out[p.probe]
        assert (pre.script, probe.script) == ("train", "transfer") and probe.needs == p.pretrain and not pre.needs
        names = paper.nested_transforms(p.seed)
        assert flag(pre, "--transforms") == ",".join(names[:p.k])
        assert flag(probe, "--transforms", 9) == [",".join(names[:j]) for j in range(1, 9)] + ["--train-samples"]
        target = ",".join(map(str, paper.class_split(p.seed)[0][:experiments.E2[scale].get("classes")]))
        assert flag(pre, "--classes") == flag(probe, "--classes") == target
    assert {p.arch for p in points} == set(experiments.E2_ARCHS)
    if scale == "paper":  # the original's E2: 100 epochs at batch 256, 50k samples, probes on 50k
        assert (flag(pre, "--epochs"), flag(pre, "--batch-size"), flag(probe, "--train-samples")) == (
            "100", "256", "50000")


def test_e2_commands(capsys):
    experiments.main(experiments.get_args_parser().parse_args(["fig4", "--commands", "--stage", "probe"]))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 64 and all(line.startswith("python transfer.py --checkpoint runs/small/e2/") for line in lines)


def test_fig4_from_result_files(tmp_path, fake_e2):
    fake_e2(tmp_path / "runs", drop=("vgg11", 3))
    out = tmp_path / "figures" / "fig4.png"
    table = plots.fig4("small", out, tmp_path / "runs")
    assert out.exists() and out.with_suffix(".pdf").exists()
    numbers = json.loads(out.with_suffix(".json").read_text())
    assert list(numbers["records"]) == experiments.E2_ARCHS and len(numbers["records"]["vit"]) == 64
    rec = next(r for r in numbers["records"]["resnet18"] if (r["k"], r["j"]) == (1, 8))
    assert rec["test_acc_by_seed"] == pytest.approx({"0": 0.25, "1": 0.27}) and rec["test_acc"] == pytest.approx(0.26)
    assert rec["pretrain_acc"] == pytest.approx(0.9)
    assert [r["arch"] for r in numbers["claims"]] == experiments.E2_ARCHS
    assert "| resnet18 | 0.960 |" in table and "6 of 7 k" in table


def test_fig4_with_missing_runs(tmp_path, capsys, fake_e2):
    with pytest.raises(SystemExit) as e:
        plots.main(plots.get_args_parser().parse_args(["fig4", "--root", str(tmp_path)]))
    assert "no E2 results" in str(e.value.code)
    fake_e2(tmp_path)
    for p in experiments.e2("small", str(tmp_path))[1][:3]:
        Path(p.probe, "results.json").unlink()
    results = claims.e2_results("small", tmp_path)
    assert "3 of 64 E2 points have no results" in capsys.readouterr().err
    assert len(results["resnet18"]) == 64  # seed 1 still covers every (k, j)
