"""make paper-check: the paper-scale runs behind the headline numbers, planned from the paper
plans themselves, refused on a CPU without --allow-cpu, and run end to end at a tiny scale."""
import json

import pytest
import torch

import experiments
import tables
import train


def test_it_uses_the_paper_plans_folders():
    runs, points = experiments.paper_check()
    paper = {r.out: r for plan in (experiments.e1, experiments.e2, experiments.e3) for r in plan("paper")[0]}
    assert all(paper[r.out] == r for r in runs)  # the same runs as make fig2/fig4/table-invariance SCALE=paper
    assert [p.kind for p in points.e1] == ["same", "different"] and {p.value for p in points.e1} == {"resnet18"}
    assert sorted(p.k for p in points.e2) == [1, 8] and {p.arch for p in points.e2} == {"resnet18"}
    assert sorted(m.trained for m in points.e3) == ["none", "rotate"]
    pre = next(r for r in runs if r.out == points.e1[0].pretrain).argv
    assert pre[pre.index("--train-samples") + 1] == "50000" and pre[pre.index("--epochs") + 1] == "50"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal without a GPU")
def test_without_a_gpu_it_says_so_in_one_line(tmp_path, cli):
    res = cli("experiments.py", "paper-check", "--root", tmp_path)
    assert res.returncode == 1 and "needs a GPU" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_tiny_end_to_end_on_a_cpu(tmp_path):
    args = experiments.get_args_parser().parse_args(["paper-check", "--scale", "tiny", "--root", str(tmp_path),
                                                     "--allow-cpu", "--jobs", "1", "--device", "cpu"])
    experiments.main(args)
    sweep = json.loads((tmp_path / "tiny" / "paper-check.sweep.json").read_text())
    assert sweep["runs"] == sweep["made"] == 12 and sweep["failed"] == [] and sweep["device"].endswith(" cores")
    assert len(sweep["git_revision"]) == 40 and sweep["finished"]
    text = tables.paper_check(str(tmp_path), tmp_path / "fig" / "paper_check.md", scale="tiny")
    assert "objects: procedural" in text and f"to make 12 of its 12 runs on {sweep['device']}" in text
    rows = json.loads((tmp_path / "fig" / "paper_check.json").read_text())["rows"]
    assert len(rows) == 11 and all(isinstance(r["ours"], float) for r in rows)
    assert {r["check"]: r["paper"] for r in rows}["E2 resnet18, k=1 on t_8"] == 0.28


def test_cuda_graph_falls_back_to_eager_on_a_cpu(tmp_path):
    common = ["--arch", "vgg11", "--width", "0.125", "--classes", "0-2", "--train-samples", "48", "--val-samples",
              "8", "--test-samples", "8", "--epochs", "1", "--batch-size", "16", "--device", "cpu"]
    for name, extra in (("eager", []), ("graph", ["--cuda-graph"])):
        train.train(train.get_args_parser().parse_args([*common, *extra, "--out", str(tmp_path / name)]))
    assert (tmp_path / "eager" / "results.json").read_text() == (tmp_path / "graph" / "results.json").read_text()
