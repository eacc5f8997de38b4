"""Ordinary mistakes and hostile input (issue 15): each is refused with one line naming what is
wrong (the SystemExit message in-process, one line on stderr from the command line), a non-zero
exit, and no new or changed files. Command lines, --out, data folders, CIFAR batches, checkpoints,
class lists, sizes that cannot fit in memory and Ctrl-C."""
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import data
import invariance
import models
import sources
import train
import transfer

ROOT = Path(__file__).resolve().parents[1]
BIG = str(10 ** 13)  # images or pairs: 30 TB, more than any machine has


@pytest.mark.parametrize("extra,says", [
    (["--width", "inf"], "--width"), (["--width", "nan"], "--width"), (["--width", "0"], "--width"),
    (["--width", "100000"], "GiB"),
    (["--device", "gpu"], "gpu"), (["--device", "cuda:99"], "cuda:99"),
    (["--seed", "1e20"], "--seed"), (["--seed", str(2 ** 64)], "--seed"), (["--seed", "-1"], "--seed"),
    (["--train-samples", BIG], "GiB"), (["--train-samples", "0"], "--train-samples"),
    (["--epochs", "0"], "--epochs"), (["--batch-size", "0"], "--batch-size"),
    (["--lr", "-1"], "--lr"), (["--lr", "0"], "--lr"), (["--lr", "nan"], "--lr"), (["--lr", "inf"], "--lr"),
    (["--weight-decay", "-1"], "--weight-decay"), (["--weight-decay", "nan"], "--weight-decay"),
    (["--classes", "1-"], "bad class list '1-'"), (["--classes", "3,3,4,4"], "twice"),
    (["--classes", "5-2"], "empty"), (["--classes", "0"], "two"), (["--classes", "²"], "bad class list '²'"),
    (["--arch", "nope"], "nope"), (["--transforms", "spin"], "spin"), (["--dataset", "mnist"], "mnist"),
    (["--epochs"], "--epochs"), (["--no-such-flag"], "--no-such-flag"),
])
def test_train_refuses_bad_arguments(tmp_path, tiny_train, refused, extra, says):
    line = refused(train, [*tiny_train(tmp_path / "run"), *extra], tmp_path)
    assert line.startswith("train.py: error:") and says in line


@pytest.mark.parametrize("where", ["file", "under a file", "read-only"])
def test_an_out_that_cannot_be_a_run_folder(tmp_path, tiny_train, tiny_checkpoint, refused, request, where):
    (tmp_path / "file").write_text("mine")
    out = {"file": tmp_path / "file", "under a file": tmp_path / "file" / "run",
           "read-only": request.getfixturevalue("read_only") / "run" if where == "read-only" else None}[where]
    for script, argv in ((train, tiny_train(out)),
                         (transfer, ["--checkpoint", tiny_checkpoint, "--device", "cpu", "--out", out]),
                         (invariance, ["--checkpoint", tiny_checkpoint, "--device", "cpu", "--out", out])):
        line = refused(script, argv, tmp_path)
        assert "--out" in line and str(out.parent if where != "file" else out) in line


def write_png(path, alpha=255, size=12):
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(0).integers(0, 256, (size, size, 4), dtype=np.uint8)
    pixels[..., 3] = alpha
    Image.fromarray(pixels, "RGBA").save(path)


def si_score(root):
    """An SI-Score folder: two objects, two backgrounds."""
    for c in ("a", "b"):
        write_png(root / "foregrounds" / c / "0.png")
    for b in ("0", "1"):
        (root / "backgrounds").mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(root / "backgrounds" / f"{b}.jpg")
    return root


def break_file(path, how):
    if how == "corrupt":
        path.write_bytes(b"not an image at all")
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[:60])
    elif how == "broken link":
        path.unlink()
        path.symlink_to(path.with_name("gone.png"))
    elif how == "folder":
        path.unlink()
        path.mkdir()
    elif how == "transparent":
        write_png(path, alpha=0)
    elif how == "unreadable":
        path.chmod(0)
        if os.access(path, os.R_OK):
            pytest.skip("root reads every file")


@pytest.mark.parametrize("how", ["corrupt", "truncated", "broken link", "folder", "transparent", "unreadable"])
@pytest.mark.parametrize("which", ["foregrounds/a/0.png", "backgrounds/1.jpg"])
def test_a_broken_image_in_a_data_folder_is_named(tmp_path, tiny_train, refused, which, how):
    if how == "transparent" and which.startswith("back"):
        pytest.skip("backgrounds have no alpha")
    root = si_score(tmp_path / "si")
    break_file(root / which, how)
    line = refused(train, [*tiny_train(tmp_path / "run"), "--objects", root, "--backgrounds", root,
                           "--classes", "0-1"], tmp_path)
    assert str(root / which) in line


def test_upper_case_foregrounds_are_read(tmp_path):
    root = si_score(tmp_path / "si")
    (root / "foregrounds" / "a" / "0.png").rename(root / "foregrounds" / "a" / "0.PNG")
    assert sources.object_canvases(str(root), 32, "cpu").shape == (2, 4, 32, 32)


@pytest.mark.parametrize("batch,says", [
    (b"X\x02\x00\x00\x00\xff\xfe.", "UnicodeDecodeError"),  # a string that is not UTF-8
    (b"\x80\x04\x95", "not a readable"),  # truncated
    ({b"data": np.zeros((10, 100), np.uint8), b"labels": [0] * 10}, "3,072"),
    ({b"data": np.zeros((10, 3072), np.uint8), b"labels": [0] * 9}, "label"),
    ({b"data": np.zeros((10, 3072), np.uint8), b"labels": [12] * 10}, "label"),
])
def test_a_corrupt_cifar_batch_is_named(tmp_path, tiny_train, make_cifar, refused, batch, says):
    make_cifar(tmp_path / "cifar")
    path = tmp_path / "cifar" / "cifar-10-batches-py" / "data_batch_2"
    path.write_bytes(batch if isinstance(batch, bytes) else pickle.dumps(batch))
    line = refused(train, [*tiny_train(tmp_path / "run"), "--dataset", "cifar10", "--data-dir", tmp_path / "cifar",
                           "--classes", "0-1"], tmp_path)
    assert str(path) in line and says in line


def save_checkpoint(path, args, weights=None):
    weights = models.build("vgg11", 3, 0.125).state_dict() if weights is None else weights
    torch.save({"model": weights, "args": args}, path)
    return path


@pytest.mark.parametrize("args", [
    {"arch": "vgg11", "width": 0.125},  # no classes
    {"arch": "vgg11", "classes": None, "width": 0.125},
    {"arch": "vgg11", "classes": "0-2", "width": "0.125"},
    {"arch": ["vgg11"], "classes": "0-2", "width": 0.125},
    ["vgg11", "0-2"],
])
@pytest.mark.parametrize("script", [transfer, invariance])
def test_a_checkpoint_with_broken_args_is_named(tmp_path, refused, script, args):
    path = save_checkpoint(tmp_path / "checkpoint.pt", args)
    line = refused(script, ["--checkpoint", path, "--device", "cpu", "--out", tmp_path / "run"], tmp_path)
    assert str(path) in line


@pytest.mark.parametrize("extra,says", [(["--classes", "3"], "two"), (["--lr", "nan"], "--lr"),
                                        (["--train-samples", BIG], "GiB"), (["--epochs", "-1"], "--epochs")])
def test_transfer_refuses_bad_arguments(tmp_path, tiny_checkpoint, refused, extra, says):
    line = refused(transfer, ["--checkpoint", tiny_checkpoint, "--device", "cpu", "--out", tmp_path / "run", *extra],
                   tmp_path)
    assert line.startswith("transfer.py: error:") and says in line


def test_a_probe_into_its_checkpoints_folder_is_refused(tmp_path, tiny_train, refused):
    train.train(train.get_args_parser().parse_args(tiny_train(tmp_path / "pre")))
    for script in (transfer, invariance):
        line = refused(script, ["--checkpoint", tmp_path / "pre" / "checkpoint.pt", "--device", "cpu", "--force",
                                "--out", tmp_path / "pre"], tmp_path)
        assert "checkpoint" in line


@pytest.mark.parametrize("extra,says", [(["--samples", BIG], "GiB"), (["--samples", "1"], "2"),
                                        (["--device", "gpu"], "gpu"), (["--distributions", "moon"], "moon")])
def test_invariance_refuses_bad_arguments(tmp_path, tiny_checkpoint, refused, extra, says):
    line = refused(invariance, ["--checkpoint", tiny_checkpoint, "--device", "cpu", "--out", tmp_path / "run", *extra],
                   tmp_path)
    assert line.startswith("invariance.py: error:") and says in line


@pytest.mark.parametrize("extra,says", [(["--n", "1e7"], "--n"), (["--n", BIG], "GiB"), (["--device", "gpu"], "gpu"),
                                        (["--classes", "1-"], "bad class list"), (["--out", "."], "folder")])
def test_data_refuses_bad_arguments(tmp_path, refused, extra, says, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = refused(data, ["--out", "grid.png", *extra], tmp_path)
    assert line.startswith("data.py: error:") and says in line


@pytest.mark.parametrize("script", [train, transfer, invariance])
def test_ctrl_c_is_one_line_and_the_run_is_made_again(tmp_path, tiny_train, tiny_checkpoint, refused, monkeypatch,
                                                      script):
    argv = {train: tiny_train(tmp_path / "run"),
            transfer: ["--checkpoint", tiny_checkpoint, "--train-samples", "8", "--test-samples", "8", "--epochs", "1",
                       "--device", "cpu", "--out", tmp_path / "run"],
            invariance: ["--checkpoint", tiny_checkpoint, "--samples", "8", "--device", "cpu",
                         "--out", tmp_path / "run"]}[script]

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(data, "load", interrupt)  # every script is interrupted while it makes its images
    try:
        line = refused(script, argv, tmp_path)
    except KeyboardInterrupt:  # let through, it would stop pytest itself
        pytest.fail("Ctrl-C ends the script with a traceback")
    assert "interrupted" in line and "same command" in line
    monkeypatch.undo()
    script.main(script.get_args_parser().parse_args([str(a) for a in argv]))
    assert list((tmp_path / "run").glob("*.json"))


def test_the_command_line_says_one_line(tmp_path, cli):
    r = cli("train.py", "--lr", "nan", "--out", tmp_path / "run")
    assert r.returncode != 0 and r.stderr.strip().splitlines() == [r.stderr.strip()], r.stderr
    assert "--lr" in r.stderr and not (tmp_path / "run").exists()


def test_ctrl_c_on_the_command_line(tmp_path, tiny_train, interruptible):
    argv = tiny_train(tmp_path / "run", "--train-samples", "512", "--batch-size", "32", "--epochs", "1000")
    proc = subprocess.Popen([sys.executable, "train.py", *argv], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"}, **interruptible)
    deadline = time.time() + 120
    while not (tmp_path / "run" / "args.json").exists() and time.time() < deadline:  # training has started
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and len(err.strip().splitlines()) == 1 and "interrupted" in err, err
    assert not (tmp_path / "run" / "results.json").exists() and not (tmp_path / "run" / ".lock").exists()
