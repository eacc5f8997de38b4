"""Figures and tables from broken result files (issue 15): a file that is not JSON, lacks its
numbers, holds other types or NaN, or has too few records is named with what is wrong with it,
never drawn and never claimed; make report says so instead of "Not run"."""
import json
from pathlib import Path

import pytest
from conftest import planned

import claims
import experiments
import plots
import tables


def write(path, obj):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(obj if isinstance(obj, str) else json.dumps(obj))


def fake_e1(root, probe_acc=None):
    """E1's architecture points of seed 0: pretraining 0.9, transfer 0.8 same and 0.6 different;
    probe_acc: the transfer accuracy of the first point instead."""
    runs, points = experiments.e1("small", str(root))
    points, settings = [p for p in points if p.factor == "architecture" and p.seed == 0], planned(runs)
    for i, p in enumerate(points):
        acc = probe_acc if i == 0 and probe_acc is not None else (0.8 if p.kind == "same" else 0.6)
        write(Path(p.pretrain) / "results.json", {"test_acc": 0.9, "settings": settings[p.pretrain]})
        write(Path(p.probe) / "results.json", {"records": [{"transforms": [], "test_acc": acc}],
                                               "settings": settings[p.probe]})
    return points


def test_e1_with_a_nan_is_named_and_claims_nothing(tmp_path, capsys):
    fake_e1(tmp_path)
    rows = claims.e1_claims(claims.e1_results("small", str(tmp_path)))["t2d"][0]
    assert rows and all(r["same_ahead"] for r in rows)
    points = fake_e1(tmp_path, probe_acc=float("nan"))
    with pytest.raises(ValueError, match=f"{points[0].probe}/results.json.*test_acc.*not a finite number"):
        claims.e1_results("small", str(tmp_path))
    with pytest.raises(SystemExit) as stop:
        plots.main(plots.get_args_parser().parse_args(["fig2", "--root", str(tmp_path), "--out",
                                                       str(tmp_path / "fig2.png")]))
    assert str(points[0].probe) in stop.value.code and "yes" not in capsys.readouterr().out
    assert not (tmp_path / "fig2.png").exists()


def first_e2(root):
    return experiments.e2("small", str(root))[1][0]


@pytest.mark.parametrize("broken,says", [
    ("", "not valid JSON"),
    ("{\"records\": [{\"test_acc\": 0.9", "not valid JSON"),
    ({"records": [{"test_acc": 0.9}] * 3}, "3 records, 8 expected"),
    ({"records": [{"test_acc": 0.9}] * 7 + [{"transforms": []}]}, "record 8 has no test_acc"),
    ({"records": [{"test_acc": "0.9"}] * 8}, "test_acc is '0.9', not a finite number"),
    ({"records": [{"test_acc": True}] * 8}, "not a finite number"),
    ({"records": "all good"}, "records"),
    ([0.9], "records"),
])
def test_a_broken_e2_probe_file_is_named(tmp_path, fake_e2, broken, says):
    fake_e2(tmp_path)
    path = Path(first_e2(tmp_path).probe) / "results.json"
    write(path, broken)
    with pytest.raises(ValueError, match=f"{path}.*{says}"):
        claims.e2_results("small", str(tmp_path))


@pytest.mark.parametrize("broken,says", [({}, "has no test_acc"), ({"test_acc": None}, "not a finite number"),
                                          ("NaN", "not a finite number")])
def test_a_broken_pretraining_file_is_named(tmp_path, fake_e2, broken, says):
    fake_e2(tmp_path)
    path = Path(first_e2(tmp_path).pretrain) / "results.json"
    write(path, broken if broken != "NaN" else '{"test_acc": NaN}')
    with pytest.raises(ValueError, match=f"{path}.*{says}"):
        claims.e2_results("small", str(tmp_path))


def test_broken_e3_and_e4_files_are_named(tmp_path, fake_e3):
    fake_e3(tmp_path)
    path = Path(experiments.e3("small", str(tmp_path))[1][0].measure) / "invariance.json"
    records = json.loads(path.read_text())["records"]
    write(path, {"records": [{**records[0], "l2": float("nan")}, *records[1:]]})
    with pytest.raises(ValueError, match=f"{path}.*l2.*not a finite number"):
        tables.e3_values("small", str(tmp_path))
    write(path, {"records": records[:-1]})
    with pytest.raises(ValueError, match=f"{path}.*{len(records) - 1} records, {len(records)} expected"):
        tables.e3_values("small", str(tmp_path))
    cell = experiments.e4("small", str(tmp_path), "cifar")[1][0]
    write(Path(cell.run.out) / cell.run.result, {"records": [{"transforms": [], "test_acc": "high"}]})
    with pytest.raises(ValueError, match=f"{cell.run.out}.*not a finite number"):
        tables.e4_results("small", str(tmp_path))


def test_report_names_a_broken_file_instead_of_not_run(tmp_path, monkeypatch, fake_e2):
    monkeypatch.setattr(plots, "fig1", lambda out: open(out, "wb").close())
    fake_e2(tmp_path / "runs")
    path = Path(first_e2(tmp_path / "runs").pretrain) / "results.json"
    path.write_text("")
    text = (tables.report("small", tmp_path / "report", root=str(tmp_path / "runs")) / "REPORT.md").read_text()
    section = text.split("## Figure 4")[1].split("\n## ")[0]
    assert "Not run" not in section and str(path) in section and "not valid JSON" in section
