"""Runs: a planned run (a script, its arguments, its folder) and the workers that make them,
the engine behind experiments.py. Nothing here knows the paper: experiments.py plans the runs.

    import experiments, runner
    runner.run(experiments.e2("small")[0], jobs=2, device="cpu")

A worker imports torch once and calls the scripts' main(args) in-process, so a run pays no
process start, and gives the same bytes as the same command run alone with as many threads.
Runs already done are skipped; a run starts once the pretraining it needs is done, the longest
first; its output goes to <run folder>.log. Workers share the CPU's cores (one thread each by
default) or spread over the visible GPUs, --jobs per GPU. A failed run is reported with its
folder and error line and the others go on; Ctrl-C stops every worker, and the same command
then resumes with what is missing.
"""
import importlib
import multiprocessing as mp
import os
import shlex
import signal
import sys
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout
from multiprocessing.connection import wait
from pathlib import Path
from typing import NamedTuple

from tqdm import tqdm


class Run(NamedTuple):
    out: str  # the run folder
    script: str  # train, transfer or invariance
    argv: list  # its arguments
    needs: str = ""  # the folder of the pretraining whose checkpoint it reads
    result: str = "results.json"  # the file it writes last
    cost: float = 1.0  # a rough size, to start the longest runs first


def command(run, python="python"):
    return " ".join([python, f"{run.script}.py"] + [shlex.quote(a) for a in run.argv])


def print_commands(runs, stage=None):
    """One command per run (stage: only the pretrainings, or only what reads one); `| head` is fine."""
    try:
        for r in runs:
            if stage is None or bool(r.needs) == (stage == "probe"):
                print(command(r), flush=True)
    except BrokenPipeError:  # the reader has all it wants: nothing more to say, no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def status(run):
    """"done", "todo", or the one-line reason the run is refused (its folder holds another run)."""
    import runfolder

    parser = importlib.import_module(run.script).get_args_parser()
    try:
        return "done" if runfolder.is_done(run.out, run.result, parser.parse_args(run.argv), parser) else "todo"
    except ValueError as e:
        return str(e)


def check_result(run):
    """Raise runfolder.BrokenResult if run's folder holds a result that its command did not make
    (other sizes or flags; the checkpoint's digest aside): what figures and tables check first."""
    import runfolder

    parser = importlib.import_module(run.script).get_args_parser()
    runfolder.check_planned(run.out, run.result, parser.parse_args(run.argv), parser)


def execute(run, device):
    """Make one run in this process, its output in <folder>.log; None, or its last error line."""
    log = Path(f"{run.out}.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as f, redirect_stdout(f), redirect_stderr(f):
        try:
            script = importlib.import_module(run.script)
            script.main(script.get_args_parser().parse_args([*run.argv, "--device", device]))
            return None
        except SystemExit as e:  # a script's one-line error, or argparse's
            if e.code in (None, 0):
                return None
            if isinstance(e.code, str):
                print(e.code, file=sys.stderr)
        except Exception:
            traceback.print_exc()
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    return lines[-1] if lines else "failed without a word"


def _die_with_parent():
    """Ask Linux to kill this process when the process that started it dies (SIGKILL included):
    a killed sweep takes its workers with it, instead of leaving them training and holding their
    folders' locks. Elsewhere a worker ends at its next run, when the closed pipe says so."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _work(conn, device, threads, parent):
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request was made
        return
    import torch

    torch.set_num_threads(threads)
    try:
        for run in iter(conn.recv, None):
            conn.send(execute(run, device))
    except (EOFError, BrokenPipeError):  # the sweep is gone: nobody to report to
        pass


def worker_devices(jobs, device):
    """One device per worker: jobs per GPU on CUDA (one by default), else jobs on the CPU (one per
    core by default)."""
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device 'cuda' asked for, but CUDA is not available")
        devices = [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    else:
        devices = [device]
    per_device = (cores() if device == "cpu" else 1) if jobs == "auto" else int(jobs)
    if per_device < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    return [d for _ in range(per_device) for d in devices]  # cuda:0, cuda:1, ..., cuda:0, ...


def has_gpu(device):
    import torch

    return device != "cpu" and torch.cuda.is_available()


def device_name(device):
    """What the workers ran on, in words: the GPUs, or the CPU's model and the cores this process may use."""
    import torch

    if has_gpu(device):
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        return names[0] if len(names) == 1 else f"{len(names)} x {names[0]}"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        model = "CPU"
    return f"{model}, {cores()} cores"


def cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


class Worker:
    def __init__(self, ctx, device, threads):
        self.conn, child = ctx.Pipe()
        self.device, self.run = device, None
        # started with SIGINT ignored (kept across exec): Ctrl-C is the runner's alone to handle
        handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self.process = ctx.Process(target=_work, args=(child, device, threads, os.getpid()), daemon=True)
            self.process.start()
        finally:
            signal.signal(signal.SIGINT, handler)

    def give(self, run):
        self.run = run
        self.conn.send(run)


def run(runs, jobs="auto", device="auto", name="runs", record=None):
    """Make every run of `runs` that is not done yet; returns the folders of those that failed.
    record: a JSON file to write what made them and how long it took (time, device, failures)."""
    start = time.time()
    failed, todo = {}, []
    for r in runs:
        state = status(r)
        if state == "todo":
            todo.append(r)
        elif state != "done":
            failed[r.out] = state
    total, done = len(todo), {r.out for r in runs} - {r.out for r in todo} - set(failed)
    for out, why in failed.items():
        print(f"refused: {out}: {why}", file=sys.stderr)
    if not todo:
        print(f"{name}: all {len(runs) - len(failed)} runs are done")
        if record and not Path(record).exists():  # else it says how these runs were made: keep it
            write_record(record, name, start, device, jobs, runs, 0, failed)
        return list(failed)
    devices = worker_devices(jobs, device)[:total]
    threads = max(1, cores() // len(devices)) if devices[0] == "cpu" else 1
    os.environ["OMP_NUM_THREADS"] = str(threads)  # as a fresh process would start with
    ctx = mp.get_context("spawn")  # CUDA cannot be forked
    workers = [Worker(ctx, d, threads) for d in devices]
    bar = tqdm(total=total, desc=name, unit="run", dynamic_ncols=True)
    seconds, started = {}, {}
    stop = signal.signal(signal.SIGTERM, _terminated)  # SIGTERM (a scheduler, kill) as Ctrl-C
    try:
        while todo or any(w.run for w in workers):
            for r in [r for r in todo if r.needs in failed]:
                todo.remove(r)
                failed[r.out] = f"the pretraining it needs failed: {r.needs}"
                bar.update()
            for w in [w for w in workers if w.run is None]:
                ready = [r for r in todo if not r.needs or r.needs in done]
                if not ready:
                    break
                todo.remove(best := max(ready, key=lambda r: r.cost))
                w.give(best)
                started[best.out] = time.time()
            busy = [w for w in workers if w.run]
            if not busy:  # what is left needs a pretraining that is neither done nor planned
                for r in todo:
                    failed[r.out] = f"the pretraining it needs is not done: {r.needs}"
                break
            bar.set_postfix_str(f"running {len(busy)}, failed {len(failed)}")
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for i, w in enumerate(workers):
                if w.run and (w.conn in ready or w.process.sentinel in ready):
                    try:
                        error = w.conn.recv()
                    except EOFError:  # killed (out of memory, a signal): its run is lost, a new worker takes over
                        w.process.join()
                        error = f"its worker died (exit code {w.process.exitcode})"
                        workers[i] = Worker(ctx, w.device, threads)
                    if error:
                        failed[w.run.out] = error
                        bar.write(f"failed: {w.run.out}: {error}", file=sys.stderr)
                    else:
                        done.add(w.run.out)
                        seconds[w.run.out] = round(time.time() - started[w.run.out], 1)
                    w.run = None
                    bar.update()
    except KeyboardInterrupt:
        for w in workers:
            w.process.terminate()
            w.process.join()
        bar.close()
        stopped = sum(1 for w in workers if w.run)
        sys.exit(f"experiments.py: interrupted with {bar.n} of {total} runs made and {stopped} stopped midway; "
                 "the same command resumes with what is missing")
    finally:
        signal.signal(signal.SIGTERM, stop)
    for w in workers:
        w.conn.send(None)
        w.process.join()
    bar.set_postfix_str(f"failed {len(failed)}")
    bar.close()
    write_record(record, name, start, device, jobs, runs, total, failed, seconds)
    return list(failed)


def _terminated(signum, frame):
    raise KeyboardInterrupt


def write_record(path, name, start, device, jobs, runs, made, failed, seconds=None):
    """What a sweep made, on what, at which commit, how long it took, and each run it made in how
    many seconds (make report's sweeps table; gpu_check.py's estimates)."""
    import runfolder

    if path:
        runfolder.write_json(path, {"name": name, "seconds": round(time.time() - start, 1),
                                    "device": device_name(device), "jobs": jobs, "runs": len(runs), "made": made,
                                    "failed": list(failed), "git_revision": runfolder.git_revision(),
                                    "finished": time.strftime("%Y-%m-%d %H:%M %Z"), "run_seconds": seconds or {}})
