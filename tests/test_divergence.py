"""Numbers that are not finite (issue 15): a diverging run stops with one line and writes no result,
no JSON file holds NaN or infinity, a checkpoint with non-finite weights is refused, and
invariance is refused on features that do not vary."""
import json

import pytest
import torch
import torch.nn as nn

import data
import invariance
import models
import runfolder
import train
import transfer


def strict_json(text):
    """json.loads as strict readers do it: NaN and Infinity are not JSON."""
    def refuse(token):
        raise ValueError(f"{token} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_a_diverging_run_stops_with_one_line_and_writes_no_result(tmp_path, tiny_train, refused):
    out = tmp_path / "run"
    line = refused(train, tiny_train(out, "--lr", "1e30"), tmp_path / "elsewhere")
    assert line.startswith("train.py: error:") and "not finite" in line
    assert "epoch 1" in line and "step 2" in line  # step 1's loss is that of the initial weights
    assert not (out / "results.json").exists() and not (out / "checkpoint.pt").exists()
    strict_json((out / "args.json").read_text())
    for line in (out / "metrics.jsonl").read_text().splitlines() if (out / "metrics.jsonl").exists() else []:
        strict_json(line)


def test_json_files_hold_only_finite_numbers(tmp_path):
    for value in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite"):
            runfolder.write_json(tmp_path / "results.json", {"test_acc": value})
        with pytest.raises(ValueError, match="finite"):
            runfolder.write_jsonl(tmp_path / "metrics.jsonl", [{"train_loss": value}])
    assert list(tmp_path.iterdir()) == []  # not even a temporary file


@pytest.fixture
def nan_checkpoint(tmp_path):
    model = models.build("vgg11", 3, 0.125)
    weights = model.state_dict()
    weights["head.weight"][0, 0] = float("nan")
    path = tmp_path / "pre" / "checkpoint.pt"
    path.parent.mkdir()
    torch.save({"model": weights, "args": {"arch": "vgg11", "classes": "0-2", "width": 0.125}}, path)
    return path


def test_a_checkpoint_with_non_finite_weights_is_refused(nan_checkpoint, tmp_path, refused):
    with pytest.raises(ValueError, match="not finite.*head.weight"):
        train.load_checkpoint(nan_checkpoint)
    # not "the probe changed the backbone" (NaN != NaN), and not a NaN invariance
    line = refused(transfer, ["--checkpoint", nan_checkpoint, "--classes", "3-5", "--train-samples", "8",
                              "--test-samples", "8", "--epochs", "1", "--device", "cpu", "--out", tmp_path / "p"],
                   tmp_path)
    assert "not finite" in line and str(nan_checkpoint) in line
    line = refused(invariance, ["--checkpoint", nan_checkpoint, "--samples", "8", "--device", "cpu",
                                "--out", tmp_path / "i"], tmp_path)
    assert "not finite" in line


class Constant(nn.Module):
    def forward(self, x):
        return torch.ones(len(x), 4)


def test_invariance_of_features_that_do_not_vary_is_refused():
    model = models.Backbone(Constant(), 4, nn.Linear(4, 3))
    ds = data.Dataset(transforms=("rotate",), classes=(0, 1, 2))
    with pytest.raises(ValueError, match="do not vary"):
        invariance.invariance(model, ds, 16)
