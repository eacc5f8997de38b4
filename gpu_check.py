"""The GPU check: what this project measures on a GPU, in one bounded run that writes every number to
one folder. `make gpu-check` runs it (about 9 minutes on one H100); on a CPU the same steps run at
the tiny scale in a minute or two, the CUDA-only ones skipped with a line each (the tests do this).

    python gpu_check.py --out results/gpu                       # a GPU machine: about 9 minutes
    python gpu_check.py --out /tmp/check --scale tiny --root /tmp/runs   # any machine, as a check

Steps, each a fresh process with its own time limit, each writing into --out:
  tests        the CUDA tests (pytest -k cuda): cuda_tests.txt, a line per test
  bench        bench.py train --arch all at batch 512 (fp32 eager, bf16 + channels_last, the CUDA-graph
               step, feature extraction, the probe): bench_train.json
  paper-check  make paper-check (experiments.py paper-check, tables.py paper-check): paper_check.md,
               paper_check.json, and the sweep's record with every run's seconds: paper_check_sweep.json
  estimate     the time of `make fig2` at --scale, extrapolated from the runs the paper-check made and
               the speeds the bench measured: estimate.md, estimate.json
Everything printed also goes to gpu_check.log: seven files in all, as the device returns at most eight.
A step that runs out of time is stopped (the paper-check keeps every run it finished: the same
command goes on with the rest, so a second call completes it) and the next step starts.
"""
import cli  # first, and light: then a Ctrl-C while torch loads is one line, not a traceback

cli.quiet_start(__name__)

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import experiments
import models
import runfolder

STEPS = ["tests", "bench", "paper-check", "estimate"]


def gpu():
    import torch

    return torch.cuda.is_available()


class Log:
    """Print and keep: every line also goes to <out>/gpu_check.log."""

    def __init__(self, path):
        self.file = open(path, "a")

    def __call__(self, text=""):
        print(text, flush=True)
        self.file.write(text + "\n")
        self.file.flush()


def run_step(argv, seconds, log, output=None):
    """argv as a process in its own session, its output logged (and written to `output`), stopped
    with SIGTERM (a sweep's Ctrl-C: it ends its workers and records what it made) and then SIGKILL
    if it outlives `seconds`. Returns its exit code, or None if it was stopped."""
    log(f"$ {' '.join(map(str, argv))}   (limit {seconds:.0f} s)")
    start = time.time()
    proc = subprocess.Popen([sys.executable, *map(str, argv)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = queue.Queue()
    threading.Thread(target=lambda: [*map(lines.put, proc.stdout), lines.put(None)], daemon=True).start()
    stopped = False
    with open(output or os.devnull, "w") as out:
        while (line := _next(lines, start + seconds)) is not None:
            if line is TimeoutError:
                stopped = True
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                break
            line = line.rstrip("\n").rsplit("\r", 1)[-1]  # of a progress bar, its last state
            log(line)
            out.write(line + "\n")
    proc.wait()
    log(f"({'stopped after' if stopped else f'exit {proc.returncode} after'} {time.time() - start:.0f} s)")
    return None if stopped else proc.returncode


def _next(lines, deadline):
    try:
        return lines.get(timeout=max(0.0, deadline - time.time()))
    except queue.Empty:
        return TimeoutError


# ----------------------------------------------------------------------------------------
# The estimate: make fig2's time from the runs measured


def estimate(scale, root, sweep, bench):
    """make fig2's wall time at `scale`, from the paper-check's measured runs: seconds per training
    image of resnet18 at E1's batch size (the median over its pretrainings), other architectures by the
    bench's training speed relative to resnet18 (or, without a bench, models.MODELS' cost), probes
    by the measured seconds per probe sample; divided by the runs the sweep made at once."""
    seconds = sweep.get("run_seconds", {})
    runs = {r.out: r for r in experiments.paper_check(scale, root)[0]}
    arg = lambda r, flag: int(r.argv[r.argv.index(flag) + 1])
    batch = experiments.E1[scale]["batch_size"]  # E2's runs train at another batch size: not these
    per_image = [seconds[out] / (arg(r, "--train-samples") * arg(r, "--epochs")) for out, r in runs.items()
                 if out in seconds and r.script == "train" and arg(r, "--batch-size") == batch]
    per_sample = [seconds[out] / (arg(r, "--train-samples") + arg(r, "--test-samples")) for out, r in runs.items()
                  if out in seconds and r.script == "transfer"]
    if not per_image or not per_sample:
        raise ValueError(f"the paper-check made no resnet18 pretraining at batch {batch} or no probe with a recorded "
                         "time: nothing to extrapolate from (run the paper-check step again)")
    image_s, sample_s = sorted(per_image)[len(per_image) // 2], sorted(per_sample)[len(per_sample) // 2]
    rate = {r["arch"]: r["ours_per_s"] for r in bench if r.get("ours_per_s")}
    slower = {a: rate["resnet18"] / rate[a] if a in rate and "resnet18" in rate else models.MODELS[a].cost
              for a in models.MODELS}
    rows = {}
    for r in experiments.e1(scale, root)[0]:
        arch = r.argv[r.argv.index("--arch") + 1] if "--arch" in r.argv else None
        if r.script == "train":
            s = arg(r, "--train-samples") * arg(r, "--epochs") * image_s * slower[arch]
        else:
            s = (arg(r, "--train-samples") + arg(r, "--test-samples")) * sample_s
        row = rows.setdefault(r.script, {"runs": 0, "seconds": 0.0})
        row["runs"] += 1
        row["seconds"] += s
    at_once = max(1.0, sweep.get("runs_in_flight", 1.0))
    total = sum(row["seconds"] for row in rows.values()) / at_once
    return dict(scale=scale, device=sweep.get("device"), seconds_per_image_resnet18=image_s,
                seconds_per_probe_sample=sample_s, slower_than_resnet18=slower, runs_in_flight=at_once,
                by_script=rows, fig2_hours=total / 3600)


def estimate_markdown(e):
    lines = [f"Estimated wall time of `make fig2 SCALE={e['scale']}` on {e['device']}: **{e['fig2_hours']:.1f} h**, "
             "extrapolated from the runs the paper-check made (estimate.json holds every input).", "",
             "| runs | how many | seconds, one at a time |", "|---|---:|---:|"]
    lines += [f"| {script} | {row['runs']} | {row['seconds']:,.0f} |" for script, row in e["by_script"].items()]
    lines += ["", f"resnet18 pretraining: {e['seconds_per_image_resnet18'] * 1e6:.1f} µs per training image at E1's "
              "batch size (the median of the paper-check's), the other architectures slower by "
              + ", ".join(f"{a} {x:.2f} x" for a, x in e["slower_than_resnet18"].items())
              + f"; probes: {e['seconds_per_probe_sample'] * 1e3:.2f} ms per train and test sample; "
              f"{e['runs_in_flight']:.1f} runs in flight on average, as in the paper-check's sweep.", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------


def get_args_parser():
    p = cli.Parser(prog="gpu_check.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="the folder every number is written to (made if needed)")
    p.add_argument("--root", default="runs", help="folder of the runs, outside --out (default: %(default)s)")
    p.add_argument("--scale", choices=list(experiments.E1), default="paper",
                   help="the paper-check's and the estimate's scale; tiny checks the steps on any machine "
                        "(default: %(default)s)")
    p.add_argument("--steps", default=",".join(STEPS), help=f"which, of {', '.join(STEPS)} (default: all)")
    p.add_argument("--jobs", type=cli.jobs, default=2,
                   help="the paper-check's runs at once per GPU: small models leave an H100 idle alone "
                        "(default: %(default)s)")
    p.add_argument("--minutes", type=cli.positive, default=9.0,
                   help="the time all steps share; each gets its part of what is left (default: %(default)s)")
    return p


def check(args):
    out, root = Path(args.out), Path(args.root)
    steps = [s.strip() for s in args.steps.split(",")]
    if bad := [s for s in steps if s not in STEPS]:
        raise ValueError(f"unknown step {bad[0]!r}; choose from {', '.join(STEPS)}")
    runfolder.check_out(out)
    if out.resolve() in (root.resolve(), *root.resolve().parents):
        raise ValueError(f"--root {root} is inside --out {out}: the checkpoints would be sent back with the numbers")
    out.mkdir(parents=True, exist_ok=True)
    log, deadline, cuda = Log(out / "gpu_check.log"), time.time() + 60 * args.minutes, gpu()
    left = lambda share: max(10.0, (deadline - time.time()) * share)
    log(f"gpu_check.py: steps {', '.join(steps)} at scale {args.scale}, {args.minutes:g} minutes, "
        f"{'a GPU' if cuda else 'no GPU: the CUDA-only steps are skipped'}")
    if "tests" in steps:
        if cuda:
            run_step(["-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "-k", "cuda", "tests"], left(0.12), log,
                     out / "cuda_tests.txt")
        else:
            log("tests: skipped, no GPU (the CUDA tests skip themselves on a CPU)")
    if "bench" in steps:
        if cuda:
            run_step(["bench.py", "train", "--arch", "all", "--device", "cuda", "--batch-size", "512", "--steps", "20",
                      "--json", out / "bench_train.json"], left(0.2), log)
        else:
            log("bench: skipped, no GPU (bench.py train times CUDA steps)")
    if "paper-check" in steps:
        run_step(["experiments.py", "paper-check", "--scale", args.scale, "--root", root, "--jobs", args.jobs,
                  *([] if cuda else ["--allow-cpu", "--device", "cpu"])], left(0.92), log)
        run_step(["tables.py", "paper-check", "--scale", args.scale, "--root", root, "--out",
                  out / "paper_check.md"], left(0.5), log)
        record = root / args.scale / "paper-check.sweep.json"
        if record.exists():  # with the run times of earlier calls: a second call only makes the rest
            sweep, kept = json.loads(record.read_text()), out / "paper_check_sweep.json"
            earlier = json.loads(kept.read_text()) if kept.exists() else {}
            own = sweep.get("run_seconds", {})
            sweep["runs_in_flight"] = sum(own.values()) / sweep["seconds"] if own and sweep["seconds"] else \
                earlier.get("runs_in_flight", 1.0)  # on average: this sweep's run seconds over its wall time
            sweep["run_seconds"] = {**earlier.get("run_seconds", {}), **own}
            runfolder.write_json(kept, sweep)
    if "estimate" in steps:
        sweep_path, bench_path = out / "paper_check_sweep.json", out / "bench_train.json"
        if not sweep_path.exists():
            raise ValueError(f"no {sweep_path}: the estimate needs the paper-check step first")
        bench = json.loads(bench_path.read_text())["rows"] if bench_path.exists() else []
        e = estimate(args.scale, str(root), json.loads(sweep_path.read_text()), bench)
        runfolder.write_json(out / "estimate.json", e)
        runfolder.write_text(out / "estimate.md", estimate_markdown(e))
        log(estimate_markdown(e))
    log(f"gpu_check.py: done; the numbers are in {out}")


def main(args):
    cli.run_main("gpu_check.py", check, args)


if __name__ == "__main__":
    main(get_args_parser().parse_args())
