"""A run's folder: the settings it was made with and its results, written atomically; and the
command-line conventions that every script shares.

Every run of train.py, transfer.py and invariance.py owns one folder:

    args.json        every flag, plus where and how it ran (git revision, threads), written first
    <result>.json    written last: results.json, or invariance.json

A run is done when its result file exists and the settings stored beside it equal the ones
asked for now; a folder holding a run with other settings is refused with one line, never
passed off as this run. The settings are every flag of the script's parser except the few in
RUNTIME, which say where or how fast a run goes, not what it computes: a new flag counts as a
setting unless it is added here.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

RUNTIME = ("device", "out", "force", "compile", "deterministic")


# ----------------------------------------------------------------------------------------
# The command line: one line for every refusal, argparse's included


class Parser(argparse.ArgumentParser):
    """argparse with its errors on one line, as the scripts' own: `train.py: error: ...`, a
    non-zero exit, and the line as the SystemExit message when called in-process (runner.py)."""

    def error(self, message):
        raise SystemExit(f"{self.prog}: error: {message} (see --help)")


def _check(ok, message):
    if not ok:
        raise argparse.ArgumentTypeError(message)


def count(text):
    """argparse type: a whole number, at least 1."""
    n = int(text)
    _check(n >= 1, f"must be at least 1, got {n}")
    return n


def positive(text):
    """argparse type: a finite number above 0."""
    x = float(text)
    _check(math.isfinite(x) and x > 0, f"must be a finite number above 0, got {text}")
    return x


def non_negative(text):
    """argparse type: a finite number, 0 or more."""
    x = float(text)
    _check(math.isfinite(x) and x >= 0, f"must be a finite number, 0 or more, got {text}")
    return x


def seed(text):
    """argparse type: 0 <= seed < 2^32 (the data's hashes fold larger seeds onto smaller ones)."""
    n = int(text)
    _check(0 <= n < 2 ** 32, f"must be in 0..{2 ** 32 - 1}, got {n}")
    return n


def device(text):
    """argparse type: cpu, cuda or cuda:N, of a device that is there."""
    try:
        d = torch.device(text)
    except RuntimeError:
        d = None
    _check(d is not None and d.type in ("cpu", "cuda"), f"unknown device {text!r}: use cpu, cuda or cuda:N")
    found = torch.cuda.device_count() if torch.cuda.is_available() else 0
    _check(d.type == "cpu" or (d.index or 0) < found, f"{text} asked for, but this machine has {found} CUDA devices")
    return text


def one_line(e):
    return " ".join(str(e).split()) or type(e).__name__


def run_main(prog, fn, args):
    """fn(args) as a script's main(): a refusal (ValueError), a failed read or write (OSError) or
    Ctrl-C ends it with one line `prog: ...` and a non-zero exit, never a traceback."""
    try:
        return fn(args)
    except (ValueError, OSError) as e:
        sys.exit(f"{prog}: error: {one_line(e)}")
    except KeyboardInterrupt:
        sys.exit(f"{prog}: interrupted: no result was written; the same command makes the run again")




def add_run_args(p, out_help):
    """The flags every run shares: where it runs and where its folder is."""
    p.add_argument("--device", type=device, default="cuda" if torch.cuda.is_available() else "cpu",
                   help="cpu, cuda or cuda:N (default: %(default)s)")
    p.add_argument("--out", default=None, help=out_help)
    p.add_argument("--force", action="store_true", help="rerun even if the run's result file exists")
    p.add_argument("--no-amp", action="store_true",
                   help="on CUDA, fp32 and NCHW instead of bf16 autocast and channels_last")


# ----------------------------------------------------------------------------------------
# The run folder


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


def _json(obj, path, **kwargs):
    """JSON as strict readers take it: a NaN or an infinity is refused, never written."""
    try:
        return json.dumps(obj, allow_nan=False, **kwargs)
    except ValueError:
        raise ValueError(f"{path} not written: it would hold a number that is not finite (NaN or infinity)") from None


def write_json(path, obj):
    text = _json(obj, path, indent=2) + "\n"
    write_atomic(path, lambda f: f.write(text.encode()))


def write_jsonl(path, rows):
    text = "".join(_json(r, path) + "\n" for r in rows)
    write_atomic(path, lambda f: f.write(text.encode()))


def git_revision():
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


# ----------------------------------------------------------------------------------------
# Reading results back (plots.py, tables.py)


class BrokenResult(ValueError):
    """A result file that exists but cannot be used: not JSON, or not the numbers it should hold."""


def read_records(path, number, n=None, fields=()):
    """The records of a result file ("records", or the file itself as its one record), each with a
    finite number under `number` and the keys in `fields`; n: how many records it must have.
    Raises BrokenResult naming the file and what is wrong, so that no figure or claim is ever
    made from a broken file (a NaN gap would say "yes" to everything)."""
    try:
        obj = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        what = "not valid JSON" if isinstance(e, ValueError) else "unreadable"
        raise BrokenResult(f"{path} is {what} ({one_line(e)})") from None
    records = obj.get("records", [obj]) if isinstance(obj, dict) else None
    if not isinstance(records, list) or not records:
        raise BrokenResult(f"{path} holds no records (a JSON object with a list of records, or one record)")
    if n is not None and len(records) != n:
        raise BrokenResult(f"{path} has {len(records)} records, {n} expected: an unfinished or foreign run")
    for i, r in enumerate(records, 1):
        where = f"{path}, record {i}" if "records" in obj else str(path)
        missing = [k for k in (number, *fields) if not isinstance(r, dict) or k not in r]
        if missing:
            raise BrokenResult(f"{where} has no {missing[0]}")
        v = r[number]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise BrokenResult(f"{where}: {number} is {v!r}, not a finite number")
    return records
