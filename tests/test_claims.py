"""claims.py: intervals, paired gaps, and every claim of E1, E1-FT and E2 on fabricated results,
including the cases where a claim does not hold or cannot be computed."""
import json
import math
from pathlib import Path

import pytest

import claims
import experiments


def test_mean_ci_and_paired():
    mean, ci = claims.mean_ci([0.5])  # one seed: no interval, never a half-width of 0
    assert mean == 0.5 and math.isnan(ci) and claims.pm(mean, ci) == "0.500 ± n/a"
    mean, ci = claims.mean_ci([0.4, 0.6])
    assert mean == pytest.approx(0.5) and ci == pytest.approx(12.71 * 0.1414 / 1.4142, rel=1e-3)
    assert all(math.isnan(x) for x in claims.mean_ci([]))
    # paired by seed: the common seeds only, their differences
    gap, ci = claims.paired({0: 0.9, 1: 0.8, 2: 0.7}, {0: 0.5, 1: 0.45, 5: 0.0})
    assert gap == pytest.approx(0.375) and ci == pytest.approx(12.71 * 0.025 * 2 ** 0.5 / 2 ** 0.5, rel=1e-3)


def rows(root):
    results = claims.e1_results("small", root)
    factor_rows, cross = claims.e1_claims(results)["t2d"]
    return {r["factor"]: r for r in factor_rows}, cross, results


def test_e1_claims_hold_on_a_clear_result(tmp_path, fake_e1):
    fake_e1(tmp_path)
    factors, cross, results = rows(tmp_path)
    arch = factors["architecture"]
    # per seed s: same 0.9 + 0.01 s, different 0.6 + 0.005 s: a gap of 0.3 + 0.005 s at every value
    gaps = [0.3 + 0.005 * s for s in range(experiments.E1["small"]["seeds"])]
    assert (arch["gap"], arch["gap_ci"]) == pytest.approx(claims.mean_ci(gaps)) and arch["gap_ci"] > 0
    assert arch["same_ahead"] and arch["interval_above_0"] and arch["gap_beats_span"]
    assert arch["span_different"] == pytest.approx(0) and factors["class_relationship"]["gap_beats_span"] is None
    assert [c[-1] for c in cross] == [True] * 4
    table = claims.e1_tables(results)
    cells = [c.strip() for line in table.splitlines() for c in line.split("|")]
    assert cells.count("yes") == 4 * 2 + 2 + 4 and "no" not in cells and "0.12 / 0.07" in cells


def test_e1_claims_say_no_when_they_fail(tmp_path, fake_e1):
    # vgg11: different above same; the smallest pretraining count's same model (0.55) below the
    # largest count's different one (0.6, the default point's)
    fake_e1(tmp_path, at={"vgg11": (0.6, 0.7), 2000: (0.55, 0.5)})
    factors, cross, results = rows(tmp_path)
    assert factors["architecture"]["same_ahead"] is False and factors["architecture"]["interval_above_0"] is False
    assert factors["class_relationship"]["same_ahead"] and factors["class_relationship"]["interval_above_0"]
    assert cross[1][0] == "different, 12,000 pretraining samples < same, 2,000" and cross[1][-1] is False
    table = claims.e1_tables(results)
    assert "| Transforms-2D | architecture |" in table and "| no |" in table


def test_a_nan_result_is_refused_and_a_missing_one_is_never_a_yes(tmp_path, fake_e1):
    fake_e1(tmp_path)
    points = experiments.e1("small", str(tmp_path))[1]
    probe = next(p.probe for p in points if p.factor == "architecture" and p.value == "vit" and p.kind == "same")
    Path(probe, "results.json").write_text(json.dumps({"records": [{"test_acc": float("nan")}]}))
    with pytest.raises(ValueError, match=f"{probe}/results.json.*not a finite number"):
        claims.e1_results("small", tmp_path)
    Path(probe, "results.json").unlink()  # missing: the claims it feeds cannot be computed
    for p in points:
        if p.factor == "class_relationship" and p.value == "superset" and p.kind == "different":
            Path(p.probe, "results.json").unlink(missing_ok=True)
    factors, cross, results = rows(tmp_path)
    assert cross[0][-1] is None and "n/a" in claims.e1_tables(results)


def test_e2_claims(tmp_path, fake_e2):
    fake_e2(tmp_path, drop=("vgg11", 3))
    got = {r["arch"]: r for r in claims.e2_claims(claims.e2_results("small", tmp_path))}
    r18 = got["resnet18"]
    # 0.95 on j <= k, 0.1 less per unseen transformation; seed 1 is 0.02 higher
    assert r18["seen"] == pytest.approx(0.96) and r18["falls"] == 7 and r18["of"] == 7
    assert r18["first_on_last"] == pytest.approx(0.26) and r18["last_on_last"] == pytest.approx(0.96)
    assert r18["gain"] == pytest.approx(0.7) and r18["gain_ci"] == pytest.approx(0) and r18["gain_holds"]
    assert r18["unseen"] == pytest.approx(0.66) and not r18["seen_above"]  # 0.96 < 1.5 x 0.66
    assert got["vgg11"]["falls"] == 6
    table = claims.e2_table(claims.e2_claims(claims.e2_results("small", tmp_path)))
    assert "| resnet18 | 0.960 |" in table and "0.28 / 0.98" in table and "6 of 7 k" in table
