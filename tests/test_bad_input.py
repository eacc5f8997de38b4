"""Ordinary mistakes and hostile input (issue 15): each is refused with one line naming what is
wrong (the SystemExit message in-process, one line on stderr from the command line), a non-zero
exit, and no new or changed files."""
import pytest

import data
import train


@pytest.mark.parametrize("extra,says", [
    (["--width", "inf"], "--width"), (["--width", "nan"], "--width"), (["--width", "0"], "--width"),
    (["--device", "gpu"], "gpu"), (["--device", "cuda:99"], "cuda:99"),
    (["--seed", "1e20"], "--seed"), (["--seed", str(2 ** 64)], "--seed"), (["--seed", "-1"], "--seed"),
    (["--train-samples", "0"], "--train-samples"), (["--epochs", "0"], "--epochs"),
    (["--batch-size", "0"], "--batch-size"),
    (["--lr", "-1"], "--lr"), (["--lr", "0"], "--lr"), (["--lr", "nan"], "--lr"), (["--lr", "inf"], "--lr"),
    (["--weight-decay", "-1"], "--weight-decay"), (["--weight-decay", "nan"], "--weight-decay"),
    (["--arch", "nope"], "nope"), (["--transforms", "spin"], "spin"), (["--dataset", "mnist"], "mnist"),
    (["--epochs"], "--epochs"), (["--no-such-flag"], "--no-such-flag"),
])
def test_train_refuses_bad_arguments(tmp_path, tiny_train, refused, extra, says):
    line = refused(train, [*tiny_train(tmp_path / "run"), *extra], tmp_path)
    assert line.startswith("train.py: error:") and says in line


@pytest.mark.parametrize("extra,says", [(["--n", "1e7"], "--n"), (["--device", "gpu"], "gpu"),
                                        (["--out", "."], "folder")])
def test_data_refuses_bad_arguments(tmp_path, refused, extra, says, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = refused(data, ["--out", "grid.png", *extra], tmp_path)
    assert line.startswith("data.py: error:") and says in line


def test_the_command_line_says_one_line(tmp_path, cli):
    r = cli("train.py", "--lr", "nan", "--out", tmp_path / "run")
    assert r.returncode != 0 and r.stderr.strip().splitlines() == [r.stderr.strip()], r.stderr
    assert "--lr" in r.stderr and not (tmp_path / "run").exists()
