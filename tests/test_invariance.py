"""invariance.py: the measure of PROTOCOL.md section 4.4 at its two ends, one run over several sets and
distributions equal to single measurements, E4's object and background pairs, and CLI errors."""
import dataclasses
import json

import pytest
import torch
import torch.nn as nn

import data
import invariance
import models

BOX = (slice(2, 14), slice(21, 32))  # E4's fixed spot: rows 2-13, columns 21-31


class NoiseBody(nn.Module):
    """Features that ignore the image entirely: fresh Gaussian noise for every call."""

    def forward(self, x):
        return torch.randn(len(x), 16)


def test_ends_of_the_scale():
    small = models.Backbone(nn.Sequential(nn.Conv2d(3, 8, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                          nn.Flatten()), 8, nn.Linear(8, 3))
    plain = data.Dataset(classes=(0, 1, 2))
    # without transformations both copies are the same images: perfectly invariant
    assert invariance.invariance(small, plain, 64)["l2"] == 0
    assert invariance.invariance(small, plain, 64)["cosine"] == pytest.approx(0, abs=1e-6)
    # a representation that carries no information about its input is not invariant at all
    noise = models.Backbone(NoiseBody(), 16, nn.Linear(16, 3))
    rotated = data.Dataset(transforms=("rotate",), classes=(0, 1, 2))
    for metric, value in invariance.invariance(noise, rotated, 400).items():
        assert 0.8 < value < 1.2, metric
    # a real network lies in between for a transformation it has to see through
    assert 0 < invariance.invariance(small, rotated, 64)["l2"] < 1.2


@pytest.fixture
def random_checkpoint(tmp_path):
    """An untrained narrow resnet18 as train.py would save it, trained on random data."""
    torch.manual_seed(0)
    model = models.build("resnet18", 3, 0.125)
    args = dict(arch="resnet18", classes="0-2", width=0.125, dataset="t2d", objects="random", backgrounds="random")
    torch.save({"model": model.state_dict(), "args": args}, tmp_path / "checkpoint.pt")
    return tmp_path / "checkpoint.pt", model.eval()


def test_one_run_equals_single_measurements(random_checkpoint, tmp_path, make_cifar):
    path, model = random_checkpoint
    make_cifar(tmp_path / "cifar")
    args = invariance.get_args_parser().parse_args([
        "--checkpoint", str(path), "--device", "cpu", "--transforms", "rotate", "invert", "none",
        "--distributions", "train,objects,random,cifar10", "--classes", "3-5", "--samples", "16",
        "--seed", "2", "--data-dir", str(tmp_path / "cifar"), "--out", str(tmp_path / "inv")])
    result = invariance.measure(args)
    assert json.loads((tmp_path / "inv" / "invariance.json").read_text()) == result
    got = {(r["distribution"], r["transforms"]): r for r in result["records"]}
    assert set(got) == {(d, t) for d in ("train", "objects", "random", "cifar10") for t in ("rotate", "invert", "none")}
    expected = {  # the same distributions, written out, through the single measurement
        "train": data.Dataset(classes=(0, 1, 2), objects="random", backgrounds="random"),
        "objects": data.Dataset(classes=(3, 4, 5)),
        "random": data.Dataset(classes=(3, 4, 5), objects="random", backgrounds="random"),
        "cifar10": data.Dataset("cifar10", classes=tuple(range(10)), data_dir=str(tmp_path / "cifar"))}
    for dist, ds in expected.items():
        for t in ("rotate", "invert"):
            single = invariance.invariance(model, dataclasses.replace(ds, transforms=(t,)), 16, seed=2)
            assert (got[dist, t]["l2"], got[dist, t]["cosine"]) == pytest.approx((single["l2"], single["cosine"]))
        assert got[dist, "none"]["l2"] == 0 and got[dist, "rotate"]["l2"] > 0.05
    assert got["objects", "rotate"]["l2"] != got["random", "rotate"]["l2"]
    assert {r["vary"] for r in result["records"]} == {"transforms"}


@pytest.mark.parametrize("extra,message", [
    (["--distributions", "train,moon"], "unknown distribution 'moon'"),
    (["--transforms", "spin"], "unknown transformation 'spin'"),
    (["--samples", "1"], "at least 2 samples"),
])
def test_cli_errors(random_checkpoint, tmp_path, extra, message):
    path, _ = random_checkpoint
    args = invariance.get_args_parser().parse_args(["--checkpoint", str(path), "--device", "cpu", "--samples", "8",
                                                    "--out", str(tmp_path / "x"), *extra])
    with pytest.raises(SystemExit, match=message):
        invariance.main(args)
    assert not (tmp_path / "x").exists()


def outside(x):
    mask = torch.ones(32, 32, dtype=torch.bool)
    mask[BOX] = False
    return x[..., mask]


class OutsideBox(torch.nn.Module):
    """Features that see only the pixels outside E4's fixed spot."""

    def features(self, images):
        return outside(images).flatten(1)


def test_object_and_background_pairs(cifar_dir):
    ds = data.Dataset("cifar10+objects", classes=tuple(range(10)), data_dir=str(cifar_dir), label="cifar")
    assert invariance.invariance(OutsideBox(), ds, 200, vary="object")["l2"] == 0
    assert invariance.invariance(OutsideBox(), ds, 200, vary="background")["l2"] > 0.9
    moved = dataclasses.replace(ds, placement="translated")
    assert invariance.invariance(OutsideBox(), moved, 200, vary="object")["l2"] > 0.05
    with pytest.raises(ValueError, match="object and image seeds are for"):
        invariance.invariance(OutsideBox(), data.Dataset(), 10, vary="object")
