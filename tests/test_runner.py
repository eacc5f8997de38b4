"""runner.py: a run made in a worker gives the bytes of the same command run alone; done runs are
skipped; a failed run, or a killed worker, fails that run only; Ctrl-C stops the sweep with one
line and the same command resumes."""
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import experiments
import runner

ROOT = Path(__file__).resolve().parents[1]


def tiny_plan(root):
    """A pretraining, a probe of it on two sets and an invariance measurement: seconds each."""
    s = dict(width=0.125, epochs=1, batch_size=32, val_samples=16, test_samples=32, probe_test_samples=32,
             probe_epochs=3)
    pre = f"{root}/pre"
    return [
        experiments.pretrain_run(pre, s, "vgg11", ["--transforms", "rotate", "--classes", "0-2"], 96, 0),
        experiments.probe_run(f"{root}/probe", s, pre, "vgg11", ["--classes", "3-5"], ["rotate", "none"], 64, 0),
        runner.Run(f"{root}/inv", "invariance", ["--checkpoint", f"{pre}/checkpoint.pt", "--transforms", "rotate",
                                                      "--classes", "3-5", "--samples", "16", "--out", f"{root}/inv"],
                        needs=pre, result="invariance.json"),
    ]


def test_a_worker_gives_the_bytes_of_a_fresh_process(tmp_path):
    runs = tiny_plan(tmp_path / "runs")
    threads = runner.cores()  # what one worker gets
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    for r in runs:
        subprocess.run([sys.executable, f"{r.script}.py", *r.argv, "--device", "cpu"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
    shutil.move(tmp_path / "runs", tmp_path / "fresh")
    assert runner.run(runs, jobs=1, device="cpu") == []
    for name in ("pre/results.json", "pre/checkpoint.pt", "probe/results.json", "inv/invariance.json"):
        assert (tmp_path / "runs" / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes(), name
    assert (tmp_path / "runs" / "probe.log").read_text().count("test ") == 2


def test_done_runs_are_skipped(tmp_path, capsys):
    runs, record = tiny_plan(tmp_path / "runs"), tmp_path / "fig.sweep.json"
    assert runner.run(runs, jobs=2, device="cpu", record=record) == []
    made = json.loads(record.read_text())
    assert made["made"] == made["runs"] == 3 and set(made["run_seconds"]) == {r.out for r in runs}
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.json")}
    assert runner.run(runs, jobs=2, device="cpu", record=record) == []
    assert "all 3 runs are done" in capsys.readouterr().out
    # nothing touched, the record of the sweep that made the runs kept (a sweep that made none says nothing new)
    assert stamps == {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.json")}


def fake_script(folder, name, body):
    """A script module the workers can import: a parser with the run flags and main(args) = body."""
    (folder / f"{name}.py").write_text(textwrap.dedent(f'''\
        import argparse, os, signal, sys
        def get_args_parser():
            p = argparse.ArgumentParser()
            for flag in ("--out", "--device"):
                p.add_argument(flag)
            p.add_argument("--force", action="store_true")
            return p
        def main(args):
            {body}
        '''))


def test_a_failure_or_a_killed_worker_fails_that_run_only(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(tmp_path))  # the spawned workers inherit sys.path
    fake_script(tmp_path, "crash", 'sys.exit("crash.py: error: the --out folder is on fire")')
    fake_script(tmp_path, "killer", "os.kill(os.getpid(), signal.SIGKILL)")
    runs = tiny_plan(tmp_path / "ok")
    bad = runner.Run(str(tmp_path / "bad"), "crash", ["--out", str(tmp_path / "bad")], cost=9)
    killed = runner.Run(str(tmp_path / "killed"), "killer", ["--out", str(tmp_path / "killed")], cost=8)
    orphan = runner.Run(str(tmp_path / "orphan"), "transfer", ["--checkpoint", str(tmp_path / "bad/c.pt")],
                             needs=bad.out)
    failed = runner.run([bad, killed, orphan, *runs], jobs=1, device="cpu")
    assert sorted(failed) == sorted([bad.out, killed.out, orphan.out])
    err = capsys.readouterr().err
    assert f"failed: {bad.out}: crash.py: error: the --out folder is on fire" in err
    assert f"failed: {killed.out}: its worker died (exit code -9)" in err
    assert all((Path(r.out) / r.result).exists() for r in runs)  # the others went on, in a new worker


def test_ctrl_c_is_one_line_and_the_sweep_resumes(tmp_path, interruptible):
    cmd = [sys.executable, "experiments.py", "fig4", "--root", str(tmp_path), "--jobs", "2", "--device", "cpu"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **interruptible)
    deadline = time.time() + 120
    while not list(tmp_path.rglob("*.log")) and time.time() < deadline:  # until the workers have started
        time.sleep(0.5)
    time.sleep(2)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: to every process of the group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "Traceback" not in err and "KeyboardInterrupt" not in err
    lines = [line for line in err.replace("\r", "\n").splitlines() if "interrupted" in line]
    assert len(lines) == 1 and "the same command resumes" in lines[0]
    runs, _ = experiments.e2("small", str(tmp_path))
    started = [r for r in runs if Path(f"{r.out}.log").exists()]
    assert started and all(runner.status(r) == "todo" for r in started)  # stopped midway: made again next time
