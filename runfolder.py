"""A run's folder: the settings it was made with and its results, written atomically.

Every run of train.py, transfer.py and invariance.py owns one folder:

    args.json        every flag, plus where and how it ran (git revision, threads), written first
    <result>.json    written last: results.json, or invariance.json

A run is done when its result file exists and the settings stored beside it equal the ones
asked for now; a folder holding a run with other settings is refused with one line, never
passed off as this run. The settings are every flag of the script's parser except the few in
RUNTIME, which say where or how fast a run goes, not what it computes: a new flag counts as a
setting unless it is added here.
"""
import json
import os
import subprocess
import tempfile
from pathlib import Path

import torch

RUNTIME = ("device", "out", "force", "compile", "cuda_graph", "deterministic")


def add_run_args(p, out_help):
    """The flags every run shares: where it runs and where its folder is."""
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                   help="cpu, cuda or cuda:N (default: %(default)s)")
    p.add_argument("--out", default=None, help=out_help)
    p.add_argument("--force", action="store_true", help="rerun even if the run's result file exists")
    p.add_argument("--no-amp", action="store_true",
                   help="on CUDA, fp32 and NCHW instead of bf16 autocast and channels_last")


def settings(args):
    """What a run's results depend on: every flag but the RUNTIME ones."""
    return {k: v for k, v in vars(args).items() if k not in RUNTIME}


def is_done(out, result, args):
    """True if out holds this run's result already; raises ValueError if out holds a run made
    with other settings, False if there is nothing (or --force)."""
    out = Path(out)
    if args.force or not (out / result).exists():
        return False
    try:
        stored = json.loads((out / "args.json").read_text())
    except (OSError, ValueError):
        raise ValueError(f"{out} has {result} but no readable args.json: delete it or use --force") from None
    changed = [k for k, v in settings(args).items() if stored.get(k, "(missing)") != v]
    if changed:
        diff = ", ".join(f"{k}: {stored.get(k, '(missing)')} != {getattr(args, k)}" for k in changed[:4])
        raise ValueError(f"{out} holds a run with other settings ({diff}): delete it or use --force")
    return True


def create(out, args):
    """Make the run folder and write args.json: the settings, the revision and the threads."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "args.json", {**vars(args), "out": str(out), "git_revision": git_revision(),
                                   "threads": torch.get_num_threads()})


def write_atomic(path, write):
    """write(f) into a temporary file beside path, then rename it: a crash never leaves a
    half-written file behind."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        umask = os.umask(0o022)  # reading the umask means setting it: put it straight back
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_json(path, obj):
    write_atomic(path, lambda f: f.write((json.dumps(obj, indent=2) + "\n").encode()))


def write_jsonl(path, rows):
    write_atomic(path, lambda f: f.write("".join(json.dumps(r) + "\n" for r in rows).encode()))


def git_revision():
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None

