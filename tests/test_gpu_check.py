"""gpu_check.py, the one prepared device run (issue 24), end to end at the tiny scale on this
machine: the CUDA-only steps say in a line that they are skipped, the paper-check's runs are made
and tabled, the estimate is extrapolated from their times, and --out holds at most the eight files
the device returns, the run folders elsewhere."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(torch.cuda.is_available(), reason="with a GPU the CUDA steps run: minutes, not a CPU test")
def test_every_step_at_the_tiny_scale_on_a_cpu(tmp_path):
    out, root = tmp_path / "out", tmp_path / "runs"
    res = subprocess.run([sys.executable, "gpu_check.py", "--out", out, "--root", root, "--scale", "tiny", "--jobs",
                          "1", "--minutes", "6"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    log = (out / "gpu_check.log").read_text()
    assert "tests: skipped, no GPU" in log and "bench: skipped, no GPU" in log and "Traceback" not in log
    files = sorted(p.name for p in out.iterdir())
    assert files == ["estimate.json", "estimate.md", "gpu_check.log", "paper_check.json", "paper_check.md",
                     "paper_check_sweep.json"] and all(p.is_file() for p in out.iterdir())
    rows = json.loads((out / "paper_check.json").read_text())["rows"]
    assert len(rows) == 11 and all(isinstance(r["ours"], float) for r in rows)
    sweep = json.loads((out / "paper_check_sweep.json").read_text())
    assert sweep["made"] == sweep["runs"] == 12 and len(sweep["run_seconds"]) == 12 and sweep["runs_in_flight"] > 0
    estimate = json.loads((out / "estimate.json").read_text())
    assert estimate["scale"] == "tiny" and estimate["fig2_hours"] > 0
    # fig2 at the tiny scale, per kind: 4 class relationships, 4 more architectures, 1 more pretraining size
    # (the other is the default point's) and, for 2 target sizes, 1 more probe of the same-classes model
    assert (estimate["by_script"]["train"]["runs"], estimate["by_script"]["transfer"]["runs"]) == (2 * 9, 2 * 10)
    assert "Estimated wall time of `make fig2 SCALE=tiny`" in (out / "estimate.md").read_text()


def test_refuses_a_root_inside_out(tmp_path):
    res = subprocess.run([sys.executable, "gpu_check.py", "--out", tmp_path, "--root", tmp_path / "runs"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode != 0 and len(res.stderr.strip().splitlines()) == 1 and "--root" in res.stderr
