"""Fixtures shared by the tests: the command line, tiny CIFAR folders, a tiny checkpoint, a run of
seconds, a refusal check, and fabricated result files of the experiments. Everything is written under
pytest's temporary folders."""
import importlib
import json
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import cifar
import experiments
import paper
import runfolder
import train

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cli():
    """Run a script of the project as a fresh process: cli("train.py", "--help")."""
    def run(*argv, **kwargs):
        return subprocess.run([sys.executable, *map(str, argv)], cwd=ROOT, capture_output=True, text=True,
                              timeout=kwargs.pop("timeout", 300), **kwargs)
    return run


@pytest.fixture
def interruptible():
    """Popen's keywords for a child that Ctrl-C stops, as in a terminal: a shell starts background
    jobs with SIGINT ignored, a child inherits that, and Python then never raises KeyboardInterrupt."""
    return dict(preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def write_cifar(root, name="cifar10", n_train=300, n_test=200):
    """CIFAR batches in torchvision's download layout: pickled dicts of uint8 (N, 3072) rows and
    labels (random pixels). Returns {file: (images, labels)}."""
    folder, train_files, test_files, key, n_classes = cifar.CIFAR[name]
    rng = np.random.default_rng(0)
    (Path(root) / folder).mkdir(parents=True)
    raw = {}
    for files, n in ((train_files, n_train), (test_files, n_test)):
        for f in files:
            images = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
            labels = [i % n_classes for i in range(n)]
            raw[f] = (images, labels)
            with open(Path(root) / folder / f, "wb") as fh:
                pickle.dump({b"data": images, key: labels}, fh)
    return raw


@pytest.fixture
def make_cifar():
    return write_cifar


@pytest.fixture(scope="session")
def cifar_dir(tmp_path_factory):
    """A CIFAR-10 folder of 5 x 300 training and 200 test images."""
    root = tmp_path_factory.mktemp("cifar")
    write_cifar(root)
    return root


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A tiny vgg11 (one epoch on objects 0-2): what it learned does not matter."""
    out = tmp_path_factory.mktemp("pretrain")
    train.train(train.get_args_parser().parse_args([
        "--arch", "vgg11", "--width", "0.125", "--classes", "0-2", "--train-samples", "64", "--val-samples", "8",
        "--test-samples", "8", "--epochs", "1", "--batch-size", "32", "--device", "cpu", "--out", str(out)]))
    return out / "checkpoint.pt"


def write(folder, name, obj):
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / name).write_text(json.dumps(obj))


def planned(runs):
    """{folder: the settings its planned run would store}: a fabricated result says it was made by
    the plan's command, as plots.py and tables.py check before they draw it."""
    def settings(run):
        parser = importlib.import_module(run.script).get_args_parser()
        return runfolder.settings(parser.parse_args(run.argv))
    return {r.out: settings(r) for r in runs}


@pytest.fixture
def planned_settings():
    return planned


@pytest.fixture
def fake_e1():
    def make(root, scale="small", same=0.9, different=0.6, at=None):
        """results.json for every E1 point: same transfers at `same`, different at `different`,
        +0.01 per seed for same and +0.005 for different; at = {value: (same, different)}
        overrides values; pretraining accuracy 0.8."""
        runs, points = experiments.e1(scale, str(root))
        settings = planned(runs)
        for p in points:
            acc = dict(same=same, different=different)
            acc.update(zip(("same", "different"), (at or {}).get(p.value, (same, different))))
            value = acc[p.kind] + (0.01 if p.kind == "same" else 0.005) * p.seed
            write(p.probe, "results.json", {"records": [{"test_acc": value}], "settings": settings[p.probe]})
            write(p.pretrain, "results.json", {"test_acc": 0.8, "settings": settings[p.pretrain]})
    return make


@pytest.fixture
def tiny_train():
    """train.py's command line for a run of a second: tiny_train(out, *extra) -> argv."""
    def argv(out, *extra):
        return ["--arch", "vgg11", "--width", "0.125", "--classes", "0-2", "--train-samples", "16",
                "--val-samples", "4", "--test-samples", "4", "--epochs", "1", "--batch-size", "8", "--device", "cpu",
                "--out", str(out), *map(str, extra)]
    return argv


def snapshot(folder):
    """Every file and folder under folder, with the bytes of the files (None: no such folder)."""
    folder = Path(folder)
    if not folder.exists():
        return None
    return {p.relative_to(folder): p.read_bytes() if p.is_file() else p.is_dir() for p in folder.rglob("*")}


@pytest.fixture
def refused():
    """refused(script, argv, folder): the script's command line, parsed and run in-process, is
    refused with one line (the SystemExit message) and leaves the files under folder as they were.
    Returns the line."""
    def check(script, argv, folder):
        before = snapshot(folder)
        with pytest.raises(SystemExit) as stop:
            script.main(script.get_args_parser().parse_args([str(a) for a in argv]))
        line = stop.value.code
        assert isinstance(line, str) and line.strip() and "\n" not in line.strip(), repr(line)
        assert snapshot(folder) == before, "the files changed"
        return line
    return check


@pytest.fixture
def fake_e2():
    def make(root, drop=None):
        """results.json for every E2 model: probe accuracy 0.95 on j <= k, then 0.1 less per unseen
        transformation; seed 1 is 0.02 higher. drop = (arch, k): that model's j=8 equals its j=k."""
        runs, points = experiments.e2("small", str(root))
        settings = planned(runs)
        for p in points:
            accs = [0.95 - 0.1 * max(0, j - p.k) + 0.02 * p.seed for j in range(1, 9)]
            if (p.arch, p.k) == drop:
                accs[7] = accs[p.k - 1]
            write(p.pretrain, "results.json", {"test_acc": 0.9, "settings": settings[p.pretrain]})
            write(p.probe, "results.json", {"records": [{"transforms": [], "test_acc": a} for a in accs],
                                            "settings": settings[p.probe]})
    return make


@pytest.fixture
def fake_e3():
    def make(root, cifar_dir=None):
        """invariance.json for every E3 model: trained on t and measured on t 0.1 (+0.01 per seed),
        except 0.6 on random data; the model trained on o measured on t != o 0.4 + 0.001 x the
        index of o; the model trained without transformation 0.5."""
        runs, models = experiments.e3("small", str(root), cifar_dir)
        settings = planned(runs)
        for m in models:
            records = []
            for dist in ["train", "objects", "random", *cifar.found(cifar_dir)]:
                for t in paper.ALL_TRANSFORMS:
                    if m.trained == "none":
                        x = 0.5
                    elif m.trained == t:
                        x = 0.6 if dist == "random" else 0.1 + 0.01 * m.seed
                    else:
                        x = 0.4 + 0.001 * paper.ALL_TRANSFORMS.index(m.trained)
                    records.append(dict(distribution=dist, transforms=t, l2=x, cosine=x / 2))
            write(m.measure, "invariance.json", {"records": records, "settings": settings[m.measure]})
    return make


@pytest.fixture
def read_only(tmp_path):
    """A folder this process cannot write in, even as root (chattr +i), or skip."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):
        subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("no way to make a folder read-only here")
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
        folder.chmod(0o755)


@pytest.fixture(scope="module")
def one_thread():
    """torch on one thread for a module of per-sample work (its users: autouse it)."""
    # per-sample work on 32 x 32 images: torch's threads only contend (36 ms against 0.3 ms per blur
    # on a busy 2-core machine)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
