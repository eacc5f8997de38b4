"""A run's folder: the settings it was made with and its results, written atomically (the command
line every script shares is cli.py's).

Every run of train.py, transfer.py and invariance.py owns one folder:

    args.json        every flag, plus where and how it ran (git revision, threads), written first
    <result>.json    written last: results.json, or invariance.json, with the settings that made it

A run is done when its result file exists and the settings stored in it equal the ones asked for
now; a folder holding a run with other settings is refused with one line, never passed off as
this run. The settings are every flag of the script's parser except the few in RUNTIME, which say
where or how fast a run goes, not what it computes (a new flag counts as a setting unless it is
added here), plus, for a run that reads a checkpoint, the checkpoint's SHA-256: a probe of a
checkpoint that has been trained again since is not done.

One writer at a time: a run holds a lock on its folder (.lock, holding its process id) from its
start to its end, and a second run into the same folder is refused with the first one's process
id (POSIX; on Windows runs are not locked). A run that starts writing first removes every file an
earlier run left there, its result file first, so an interrupted run leaves args.json (and
train.py's metrics.jsonl) without a result, and the same command makes it again from the start.
A folder that a failed run made and left empty is removed again.
"""
import contextlib
import hashlib
import json
import math
import os
import subprocess
import tempfile
import time
from pathlib import Path

import torch

from cli import one_line, parse_classes

try:
    import fcntl
except ImportError:  # Windows: no flock
    fcntl = None

RUNTIME = ("device", "out", "force", "compile", "cuda_graph", "deterministic")
RUN_FILES = ("results.json", "invariance.json", "checkpoint.pt", "metrics.jsonl")  # the results first


# ----------------------------------------------------------------------------------------
# The run folder


# What each script leaves in a finished run folder, its result file first, and the number in it
# that must be finite (and in range) for the run to count as done
RESULTS = {"train.py": ("results.json", "checkpoint.pt"), "transfer.py": ("results.json",),
           "invariance.py": ("invariance.json",)}
NUMBERS = {"results.json": ("test_acc", 0, 1), "invariance.json": ("l2", 0, math.inf)}
DIGESTS = ("checkpoint_sha256", "objects_digest", "backgrounds_digest", "data_dir_digest")


def settings(args, digests=True):
    """What a run's results depend on: every flag but the RUNTIME ones, plus digests of what it
    reads (the checkpoint's SHA-256; an SI-Score or CIFAR folder's file names and sizes), so that a
    run whose inputs changed since is not done; as they read back from a result file. digests=False
    leaves them out and reads no file."""
    s = {k: v for k, v in vars(args).items() if k not in RUNTIME}
    if digests and s.get("checkpoint"):
        s["checkpoint_sha256"] = file_digest(s["checkpoint"])
    for key in ("objects", "backgrounds"):
        if digests and s.get(key) not in (None, "procedural", "random"):
            s[f"{key}_digest"] = folder_digest(s[key])
    if digests and s.get("dataset", "t2d") != "t2d" and s.get("data_dir"):
        s["data_dir_digest"] = folder_digest(s["data_dir"])
    return json.loads(json.dumps(s))


def comparable(s):
    """Settings as they compare: a checkpoint and a data folder by their digests, not their paths
    (a folder moved is the same data); class lists and transformation lists as what they name (0-2
    is 0,1,2; geometric is its six). Unreadable values are compared as written."""
    import transforms  # not at the top: transforms.py is the data's, this module the run's

    folders = ("checkpoint", "data_dir", *(k for k in ("objects", "backgrounds")
                                           if s.get(k) not in (None, "procedural", "random")))
    s = {k: v for k, v in s.items() if k not in folders}
    parsers = {"classes": parse_classes, "pasted": parse_classes, "transforms": transforms.parse_transforms}
    for key, parse in parsers.items():
        try:
            if key in s:
                s[key] = [parse(v) for v in s[key]] if isinstance(s[key], list) else parse(s[key])
        except ValueError:
            pass
    return s


def default_name(args, readable):
    """readable-<8 hex digits of the settings>: runs with distinct settings get distinct default
    folders, equal settings written differently the same one. The digests are left out, so that a
    probe of a checkpoint trained again lands in the same folder and is refused there, not made
    beside the old one."""
    s = comparable(settings(args, digests=False))
    return f"{readable}-{hashlib.sha256(json.dumps(s, sort_keys=True).encode()).hexdigest()[:8]}"


_digests = {}


def file_digest(path):
    """SHA-256 of a file ("missing" if there is none), remembered per inode, size and mtime."""
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _digests:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _digests[key] = h.hexdigest()
    return _digests[key]


def folder_digest(folder):
    """SHA-256 of the names and sizes of every file under folder: it changes when an image is added,
    removed or rewritten to another size, without reading the images, and not when the folder is
    copied or moved."""
    h = hashlib.sha256()
    for p in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        h.update(f"{p.relative_to(folder)}\0{p.stat().st_size}\n".encode())
    return h.hexdigest()


def _short(v):
    s = json.dumps(v)
    return s if len(s) <= 40 else s[:37] + "..."


def defaults(parser):
    """Every flag's default, as a result file stores settings: what a setting that an older result
    file lacks stood for when it was made (the flag did not exist yet, so it was at its default)."""
    return json.loads(json.dumps({a.dest: a.default for a in parser._actions if a.dest != "help"}))


def holder(out):
    """The script whose result is in out, or None: the result file says it ("script"); older ones
    by their file and settings (a probe's results.json names its checkpoint, a pretraining's not)."""
    for name in ("invariance.json", "results.json"):
        try:
            obj = json.loads((Path(out) / name).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(obj, dict) and obj.get("script"):
            return obj["script"]
        if name == "invariance.json":
            return "invariance.py"
        return "transfer.py" if "checkpoint" in (obj.get("settings") or {}) else "train.py"
    return None


def changes(stored, args, parser, digests=True):
    """The settings that differ between a stored run and the one asked for: [(key, was, now)]. A
    setting the stored run lacks counts as the parser's default: adding a flag keeps the runs made
    before it done as long as the flag is left at its default."""
    asked, default = settings(args, digests), defaults(parser)
    if not digests:  # a check of the sizes and flags only: no checkpoint or data folder is read
        stored = {k: v for k, v in stored.items() if k not in DIGESTS}
    stored = {**{k: default[k] for k in asked.keys() - stored.keys() if k in default}, **stored}
    was, now = (comparable({k: d.get(k, "(missing)") for k in asked.keys() | stored.keys()}) for d in (stored, asked))
    return [(k, was.get(k), now.get(k)) for k in sorted(was.keys() | now.keys()) if was.get(k) != now.get(k)]


def stored_settings(path):
    """The settings a result file says made it; BrokenResult (a ValueError) if it cannot say."""
    try:
        stored = json.loads(Path(path).read_text()).get("settings")
    except (OSError, ValueError, AttributeError):
        stored = None
    if not isinstance(stored, dict):
        raise BrokenResult(f"{path} is unreadable or does not say which settings made it: delete it or use --force")
    return stored


def is_done(out, result, args, parser):
    """True if out holds this run, whole and sound, already; False if there is nothing, or --force,
    or what is there is broken (a result that is not a finite number in range, a missing
    checkpoint: the run is made again). Raises ValueError if out holds a run of another script
    (whatever --force says: a run never removes another script's result) or one made with other
    settings."""
    out, prog = Path(out), parser.prog
    other = holder(out)
    if other and other != prog:
        raise ValueError(f"{out} holds a run of {other}: give this run a folder of its own (--out)")
    path = out / result
    if args.force or not path.is_file():
        return False
    changed = changes(stored_settings(path), args, parser)
    if changed:
        diff = ", ".join(f"{k}: {_short(was)} != {_short(now)}" for k, was, now in changed[:4])
        raise ValueError(f"{out} holds a run with other settings ({diff}): delete it or use --force")
    number, low, high = NUMBERS[result]
    try:
        read_records(path, number, low=low, high=high)
    except BrokenResult as e:
        print(f"{prog}: {e}: making the run again")
        return False
    missing = [f for f in RESULTS.get(prog, ())[1:] if not (out / f).is_file()]
    if missing:
        print(f"{prog}: {out} has {result} but no {missing[0]}: making the run again")
        return False
    return True


def check_planned(out, result, args, parser):
    """Raise BrokenResult if the result in out was made with other settings than args (the plan's
    command), the digests aside: what plots.py and tables.py check before they draw a result."""
    changed = changes(stored_settings(Path(out) / result), args, parser, digests=False)
    if changed:
        k, was, now = changed[0]
        raise BrokenResult(f"{Path(out) / result} was made with other settings than the plan's ({k}: {_short(was)}, "
                           f"not {_short(now)}, and {len(changed) - 1} more): make it again (delete it)")


def check_out(out, reads=None):
    """Refuse an --out that cannot be a run folder: a file, a path under a file, a folder this
    process may not write in, or the folder of the file `reads` (a checkpoint: starting a run
    there would remove its pretraining). Checked before anything runs."""
    out = Path(out)
    if reads and out.resolve() == Path(reads).resolve().parent:
        raise ValueError(f"--out {out} is the folder of the checkpoint it reads: give the run a folder of its own")
    existing = next((p for p in (out, *out.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        raise ValueError(f"--out {out}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"--out {out}: cannot write in {existing}")


@contextlib.contextmanager
def claim(out):
    """Hold out's lock while the run goes on: a second run into the same folder is refused with
    the first one's process id. Folders this made and the run left empty are removed afterwards."""
    out = Path(out)
    made = [p for p in (out, *out.parents) if not p.exists()]  # innermost first
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = _lock(out / ".lock") if fcntl else None
    except OSError as e:
        _remove_empty(made)
        raise ValueError(f"cannot make the run folder {out}: {one_line(e)}") from None
    except ValueError:
        _remove_empty(made)
        raise
    try:
        yield
    finally:
        if fd is not None:
            os.unlink(out / ".lock")
            os.close(fd)  # releases the lock
        _remove_empty(made)


def _lock(path):
    """An open descriptor of path, flock-ed; ValueError naming the holder if another run has it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise ValueError(f"{path.parent} is being written by another run (process {other}): wait for it "
                             "to end, or stop it") from None
        try:  # the holder before us may have removed the file as we opened it: lock the one in its place
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def _remove_empty(folders):
    for p in folders:
        try:
            p.rmdir()
        except OSError:
            return


def create(out, args):
    """Start writing the run in out (claimed): remove what an earlier run left, its result first,
    then write args.json, with the revision and the threads."""
    out = Path(out)
    for name in RUN_FILES:
        (out / name).unlink(missing_ok=True)
    write_json(out / "args.json", {**vars(args), "out": str(out), "git_revision": git_revision(),
                                   "threads": torch.get_num_threads()})


def checkpoint_run(args, parser, result, load, compute):
    """The frame of a run that reads a checkpoint (transfer.py, invariance.py): refuse an --out that
    cannot be its folder; load(checkpoint, device) (first, so that a broken checkpoint is refused,
    never skipped); skip
    the run if its folder holds it already; else compute(loaded) -> its result in the claimed folder,
    which then replaces whatever an earlier run left there. Returns the result, with its settings."""
    out = Path(args.out)
    check_out(out, reads=args.checkpoint)
    loaded = load(args.checkpoint, args.device)
    if is_done(out, result, args, parser):
        print(f"{parser.prog}: {out} already has {result}, skipping (use --force to rerun)")
        return json.loads((out / result).read_text())
    asked = settings(args)  # the checkpoint's digest as it is now, before the computation
    start = time.time()
    with claim(out):
        record = {**compute(loaded), "script": parser.prog, "settings": asked}
        create(out, args)  # everything is computed: only now is an earlier run removed
        write_json(out / result, record)
    print(f"wrote {out / result} ({time.time() - start:.1f} s)")
    return record


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


def finite(obj):
    """obj with every non-finite float as None (null), for tables where a number can be missing."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    return [finite(v) for v in obj] if isinstance(obj, (list, tuple)) else obj


def write_text(path, text):
    """Write a text file atomically, making its folder if needed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda f: f.write(text.encode()))


def write_json(path, obj):
    write_text(path, _json(obj, path, indent=2) + "\n")


def write_jsonl(path, rows):
    write_text(path, "".join(_json(r, path) + "\n" for r in rows))


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


def read_records(path, number, n=None, fields=(), low=-math.inf, high=math.inf):
    """The records of a result file ("records", or the file itself as its one record), each with a
    finite number under `number` in [low, high] and the keys in `fields`; n: how many records it
    must have. Raises BrokenResult naming the file and what is wrong, so that no figure or claim is
    ever made from a broken file (a NaN gap would say "yes" to everything, an accuracy of 7.5 draw
    a figure)."""
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
        if not low <= v <= high:
            raise BrokenResult(f"{where}: {number} is {v!r}, outside [{low:g}, {high:g}]")
    return records
