"""generate(): determinism, balance, the transform_seed pairs, objects and backgrounds,
SI-Score folders, errors and the command line."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

import data
import sources
import transforms as tr

ROOT = Path(__file__).resolve().parents[1]


def test_shapes_labels_and_balance():
    images, labels = data.generate(["rotate"], 95, classes=[4, 9, 2])
    assert images.shape == (95, 3, 32, 32) and images.dtype == torch.uint8
    assert labels.dtype == torch.int64 and set(labels.tolist()) == {0, 1, 2}
    assert torch.bincount(labels).tolist() == [32, 32, 31]


def test_same_arguments_same_images_whatever_the_batch_size():
    a, la = data.generate(data.TRANSFORMS, 40, batch_size=4096)
    b, lb = data.generate(data.TRANSFORMS, 40, batch_size=7)
    assert torch.equal(a, b) and torch.equal(la, lb)
    # sample i does not depend on how many samples come after it
    c, _ = data.generate(data.TRANSFORMS, 13)
    assert torch.equal(a[:13], c)


def test_seeds_and_splits_give_other_samples():
    base, _ = data.generate(["translate"], 32)
    for kwargs in (dict(seed=1), dict(split="test")):
        other, _ = data.generate(["translate"], 32, **kwargs)
        assert (other != base).flatten(1).any(1).all(), kwargs


def test_transform_seed_changes_only_the_transformation():
    a, la = data.generate(["invert", "hue"], 64)
    b, lb = data.generate(["invert", "hue"], 64, transform_seed=123)
    assert torch.equal(la, lb)
    changed = (a != b).any(1)  # (n, H, W)
    assert changed.flatten(1).any(1).float().mean() > 0.9
    box = torch.zeros(32, 32, dtype=torch.bool)
    box[5:27, 5:27] = True  # the object box: backgrounds are the same outside it
    assert not changed[:, ~box].any()
    plain_a, _ = data.generate([], 16)
    plain_b, _ = data.generate([], 16, transform_seed=123)
    assert torch.equal(plain_a, plain_b)


def test_objects_are_distinct_and_asymmetric():
    objs = sources.object_canvases("procedural", 32, torch.device("cpu"))
    assert len(objs) == sources.N_OBJECTS == 61
    flat = objs.flatten(1)
    dist = torch.cdist(flat, flat) / flat.shape[1] ** 0.5
    dist.fill_diagonal_(float("inf"))
    assert dist.min() > 0.1  # RMS difference between any two objects
    gray = tr._gray(objs[:, :3] * objs[:, 3:]).flatten(1)
    gdist = torch.cdist(gray, gray) / gray.shape[1] ** 0.5
    gdist.fill_diagonal_(float("inf"))
    assert gdist.min() > 0.03  # still distinct without colour
    for changed in (objs.flip(-1), objs.flip(-2), objs.flip(-1).flip(-2)):
        assert ((changed - objs).abs().mean((1, 2, 3)) > 0.02).all()  # flips/rotations show
    soft = (objs[:, 3] > 0.05) & (objs[:, 3] < 0.95)
    assert (soft.sum((1, 2)) > 8).all()  # a soft alpha edge
    colours = (objs[:, :3] * 8).long().flatten(2).unique(dim=2)
    assert colours.shape[2] >= 3


def test_backgrounds_are_varied_scenes():
    pool = sources.background_pool("procedural", 32, torch.device("cpu"))
    assert pool.shape == (sources.N_BACKGROUNDS, 3, 32, 32) and pool.dtype == torch.uint8
    assert pool.float().std((1, 2, 3)).min() > 5  # never flat
    assert pool.flatten(1).unique(dim=0).shape[0] == sources.N_BACKGROUNDS


def test_random_variant():
    images, _ = data.generate([], 8, objects="random", backgrounds="random")
    again, _ = data.generate([], 8, objects="random", backgrounds="random", seed=1)
    centre = slice(5, 27)
    # the object square is a fixed noise pattern per class; backgrounds are fresh noise
    assert torch.equal(images[:, :, centre, centre], again[:, :, centre, centre])
    assert not torch.equal(images[:, :, :5], again[:, :, :5])


def make_si_score(root, alpha=True):
    for k, colour in enumerate([(255, 0, 0), (0, 0, 255)]):
        d = root / "foregrounds" / f"class{k}"
        d.mkdir(parents=True)
        img = Image.new("RGBA" if alpha else "RGB", (40, 30), colour + ((255,) if alpha else ()))
        img.save(d / "a.png")
    (root / "backgrounds").mkdir()
    bg = Image.new("RGB", (64, 32), (0, 255, 0))
    bg.paste((255, 255, 0), (32, 0, 64, 32))  # right half must be cropped away
    bg.save(root / "backgrounds" / "b.jpg", quality=95)


def test_si_score_folder(tmp_path):
    make_si_score(tmp_path)
    images, labels = data.generate([], 4, classes=[1, 0], objects=tmp_path, backgrounds=tmp_path)
    centre, corner = images[:, :, 16, 16], images[:, :, 0, 0]
    assert centre[0].tolist() == [0, 0, 255] and centre[1].tolist() == [255, 0, 0]
    assert corner[:, 1].min() > 240 and corner[:, 0].max() < 20  # green: top-left square


@pytest.mark.parametrize("setup,message", [
    (lambda p: None, "does not exist"),
    (lambda p: p.mkdir(), "not in SI-Score layout"),
    (lambda p: (p / "foregrounds" / "empty").mkdir(parents=True), "has no .png"),
])
def test_bad_folders(tmp_path, setup, message):
    root = tmp_path / "si"
    setup(root)
    with pytest.raises(ValueError, match=message):
        data.generate([], 4, objects=root)


def test_foreground_without_alpha(tmp_path):
    make_si_score(tmp_path, alpha=False)
    with pytest.raises(ValueError, match="no alpha channel"):
        data.generate([], 4, classes=[0], objects=tmp_path)
    with pytest.raises(ValueError, match="no background images"):
        data.generate([], 4, backgrounds=tmp_path / "foregrounds")


@pytest.mark.parametrize("kwargs,message", [
    (dict(transforms=["spin"]), "unknown transformation 'spin'.*translate, rotate"),
    (dict(transforms="geometric,colour"), "unknown transformation 'colour'.*categories"),
    (dict(n=0), "at least 1"),
    (dict(classes=[0, 61]), "class 61 is out of range: 61 objects"),
])
def test_bad_arguments(kwargs, message):
    kwargs = dict(dict(transforms=[], n=4), **kwargs)
    with pytest.raises(ValueError, match=message):
        data.generate(kwargs.pop("transforms"), kwargs.pop("n"), **kwargs)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    cpu, lc = data.generate(data.TRANSFORMS, 256)
    gpu, lg = data.generate(data.TRANSFORMS, 256, device="cuda")
    assert torch.equal(lc, lg.cpu())
    # same parameters; float rounding of sin/exp may move a nearest-sampled pixel
    assert (cpu == gpu.cpu()).float().mean() > 0.99


def run(*args, **kwargs):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, **kwargs)


def test_cli_writes_a_grid(tmp_path):
    out = tmp_path / "grid.png"
    res = run("data.py", "--transforms", "rotate,hue", "--n", "16", "--classes", "0-3", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert Image.open(out).size[0] > 300


@pytest.mark.parametrize("args,message", [
    (["--transforms", "spin"], "unknown transformation 'spin'"),
    (["--n", "0"], "at least 1"),
    (["--classes", "a-b"], "bad class list"),
    (["--objects", "/nonexistent"], "does not exist"),
])
def test_cli_errors_are_one_line(tmp_path, args, message):
    res = run("data.py", *args, "--out", str(tmp_path / "x.png"))
    assert res.returncode != 0
    assert message in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_help():
    for script in ("data.py", "plots.py", "tables.py"):
        res = run(script, "--help")
        assert res.returncode == 0 and "usage" in res.stdout


def test_fig1(tmp_path):
    res = run("plots.py", "fig1", "--samples", "2", "--out", str(tmp_path / "fig1.png"))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "fig1.png").exists() and (tmp_path / "fig1.pdf").exists()
    assert not list(tmp_path.glob(".*tmp"))
