"""make figures / make report: every target whose results are present is re-plotted and
reported, the others are named as not run, and nothing is trained."""
import plots
import tables


def test_report_has_what_is_present_and_names_what_is_not(tmp_path, monkeypatch, fake_e2, fake_e3):
    monkeypatch.chdir(tmp_path)  # figures/ is written relative to the working directory
    (tmp_path / "figures").mkdir()
    monkeypatch.setattr(plots, "fig1", lambda out: open(out, "wb").close())  # tested in test_data.py
    fake_e2(tmp_path / "runs")
    fake_e3(tmp_path / "runs")
    text = tables.report("small", "figures/REPORT.md", root=str(tmp_path / "runs"))
    assert (tmp_path / "figures" / "REPORT.md").read_text() == text
    for name in ("fig1.png", "fig4.png", "fig4.json", "table_invariance.md", "invariance_heatmap.png"):
        assert (tmp_path / "figures" / name).exists(), name
    assert not (tmp_path / "figures" / "fig2.png").exists()  # E1 has no results: nothing is drawn
    sections = {s.split("\n", 1)[0]: s for s in text.split("\n## ")[1:]}
    fig4 = sections["Figure 4: nested transformation sets (E2)"]
    assert "![fig4](fig4.png)" in fig4 and "| resnet18 | 0.960 |" in fig4 and "Paper (SPEC)" in fig4
    assert "Same is the lowest" in sections["How transferable is invariance (E3)"]
    assert sections["Figure 2: invariance versus other factors (E1)"].count("Not run: no E1 results") == 1
    assert "Not run: no E4 results" in sections["Invariance can hurt: irrelevant features (E4)"]
