"""make figures / make report: every target whose results are present is re-plotted and
reported, the others are named as not run, and nothing is trained."""
import plots
import tables


def test_report_has_what_is_present_and_names_what_is_not(tmp_path, monkeypatch, fake_e2, fake_e3):
    monkeypatch.setattr(plots, "fig1", lambda out: open(out, "wb").close())  # tested in test_data.py
    fake_e2(tmp_path / "runs")
    fake_e3(tmp_path / "runs")
    out = tmp_path / "results" / "small"
    (out / "stale.png").parent.mkdir(parents=True)
    (out / "stale.png").write_text("an earlier report's figure")
    assert tables.report("small", out, root=str(tmp_path / "runs")) == out
    text = (out / "REPORT.md").read_text()
    for name in ("fig1.png", "fig4.png", "fig4.json", "table_invariance.md", "invariance_heatmap.png"):
        assert (out / name).exists(), name
    assert not (out / "fig2.png").exists()  # E1 has no results: nothing is drawn
    assert not (out / "stale.png").exists()  # the folder is replaced whole: no file of an earlier report
    assert [p.name for p in out.parent.iterdir()] == ["small"]  # and no temporary folder left beside it
    sections = {s.split("\n", 1)[0]: s for s in text.split("\n## ")[1:]}
    fig4 = sections["Figure 4: nested transformation sets (E2)"]
    assert "![fig4](fig4.png)" in fig4 and "| resnet18 | 0.960 |" in fig4 and "Paper: About 1.0" in fig4
    assert "Same is the lowest" in sections["How transferable is invariance (E3)"]
    assert sections["Figure 2: invariance versus other factors (E1)"].count("Not run: no E1 results") == 1
    assert "Not run: no E4 results" in sections["Invariance can hurt: irrelevant features (E4)"]


def test_the_finetuning_caption_says_fine_tuned_not_probed():
    text = plots.caption("small", plots.finetune_settings("small"))  # the appendix: 200 and 2,000 samples
    assert text.endswith("fine-tuned on 200 and 2,000 target samples") and "probes" not in text
    assert plots.caption("tiny", plots.finetune_settings("tiny")).startswith("tiny scale: 1 seed,")


def test_a_pdf_carries_no_creation_date(tmp_path):
    # results/ is under version control: the same results must give the same bytes on every report
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1])
    plots.save_figure(fig, tmp_path / "f.png", pdf=True)
    assert b"CreationDate" not in (tmp_path / "f.pdf").read_bytes()
