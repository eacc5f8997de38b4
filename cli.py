"""The command line that every script shares: refusals in one line (argparse's included), the
argument types, class and seed lists, the flags of a run, and sizes refused before they are made.

A refusal is a ValueError (or an argparse error) that main() turns into one line, `prog: error:
...`, and a non-zero exit, never a traceback; run_main does it for the scripts, Parser for argparse.

    python -c "import cli; print(cli.parse_classes('0-4,10'))"
"""
import argparse
import math
import re
import signal
import sys
from pathlib import Path


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


def non_negative_int(text):
    """argparse type: a whole number, 0 or more."""
    n = int(text)
    _check(n >= 0, f"must be 0 or more, got {n}")
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
    import torch  # here, not at the top: a script imports cli first, before torch (quiet_start)

    try:
        d = torch.device(text)
    except RuntimeError:
        d = None
    _check(d is not None and d.type in ("cpu", "cuda"), f"unknown device {text!r}: use cpu, cuda or cuda:N")
    found = torch.cuda.device_count() if torch.cuda.is_available() else 0
    _check(d.type == "cpu" or (d.index or 0) < found, f"{text} asked for, but this machine has {found} CUDA devices")
    return text


def sweep_device(text):
    """argparse type of a sweep's device: auto, or a device (cpu, cuda: every GPU, or cuda:N)."""
    return text if text == "auto" else device(text)


def jobs(text):
    """argparse type of --jobs: auto, or a whole number of worker processes, at least 1."""
    if text == "auto":
        return text
    _check(text.isdigit() and int(text) >= 1, f"must be auto or a whole number, at least 1, got {text!r}")
    return int(text)


def parse_classes(spec):
    """'0-29' or '0,3,7' or '0-4,10-14' -> list of object indices, each once (a class listed twice
    would be one object with two labels)."""
    out = []
    for part in str(spec).split(","):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part.strip(), re.ASCII)
        if not m:
            raise ValueError(f"bad class list {spec!r}: {part.strip()!r} is neither a class nor a range lo-hi "
                             "(use e.g. 0-29 or 0,3,7)")
        lo, hi = int(m[1]), int(m[2] or m[1])
        if hi < lo:
            raise ValueError(f"bad class list {spec!r}: the range {lo}-{hi} is empty")
        out += range(lo, hi + 1)
    seen = set()
    for c in out:
        if c in seen:
            raise ValueError(f"bad class list {spec!r}: class {c} is listed twice")
        seen.add(c)
    return out


def seed_list(text):
    """argparse type of --seeds: '3-5' or '0,7' -> [3, 4, 5] or [0, 7]."""
    try:
        return parse_classes(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e).replace("class", "seed")) from None


def add_seeds_arg(p):
    """--seeds, shared with plots.py and tables.py, which must read the same runs."""
    p.add_argument("--seeds", type=seed_list, default=None,
                   help="which seeds, e.g. 3-5 or 0,7 (default: the scale's, 0 to its count - 1)")


def one_line(e):
    return " ".join(str(e).split()) or type(e).__name__


def run_main(prog, fn, args):
    """fn(args) as a script's main(): a refusal (ValueError), a failed read or write (OSError) or
    Ctrl-C ends it with one line `prog: ...` and a non-zero exit, never a traceback. (Before main,
    while torch loads, quiet_start's handler does the same.)"""
    if signal.getsignal(signal.SIGINT) is quiet_interrupt:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # from here on, KeyboardInterrupt
    try:
        return fn(args)
    except (ValueError, OSError) as e:
        sys.exit(f"{prog}: error: {one_line(e)}")
    except KeyboardInterrupt:
        sys.exit(f"{prog}: interrupted: no result was written; the same command makes the run again")


def quiet_start(name):
    """Called first thing by a script with its __name__: run from the command line, a Ctrl-C while
    its modules load (torch takes seconds) ends it with one line, not the import's traceback;
    run_main takes over once main() starts. Imported as a module, nothing happens."""
    if name == "__main__":
        signal.signal(signal.SIGINT, quiet_interrupt)


def quiet_interrupt(signum, frame):
    sys.exit(f"{Path(sys.argv[0]).name}: interrupted while starting; nothing was written")


def ensure_fits(nbytes, device, what):
    """Refuse what needs more memory than the device has free, at once and with the numbers,
    instead of failing (or being killed) partway through."""
    free = free_memory(device)
    if free is not None and nbytes > free:
        raise ValueError(f"{what} need {nbytes / 2 ** 30:,.1f} GiB, more than the {free / 2 ** 30:,.1f} GiB "
                         f"free on {device}")


def free_memory(device):
    """Bytes free on device: CUDA's free memory, or MemAvailable on Linux; None if unknown."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        return None


def add_run_args(p, default_out):
    """The flags every run shares: its seed, where it runs and where its folder is (by default
    default_out, then 8 hex digits of the settings); returns p."""
    import torch

    p.add_argument("--seed", type=seed, default=0,
                   help="the run's seed: its data, initialisation, shuffling and pairs, 0 to 2^32 - 1 "
                        "(default: %(default)s)")
    p.add_argument("--device", type=device, default="cuda" if torch.cuda.is_available() else "cpu",
                   help="cpu, cuda or cuda:N (default: %(default)s)")
    p.add_argument("--out", default=None, help=f"run folder (default: {default_out}-<8 hex digits of the settings>)")
    p.add_argument("--force", action="store_true", help="rerun even if the run's result file exists")
    p.add_argument("--no-amp", action="store_true",
                   help="on CUDA, fp32 and NCHW instead of bf16 autocast and channels_last")
    return p
