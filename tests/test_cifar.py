"""CIFAR read from torchvision's download layout (tiny pickle fixtures made here), the
transformations on whole images, training on it, and E1's CIFAR runs."""
import pytest
import torch

import cifar
import data
import experiments
import paper
import train
import transfer
from cli import parse_classes


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_reads_torchvision_layout(tmp_path, name, make_cifar):
    raw = make_cifar(tmp_path, name)
    test_images, test_labels = raw[cifar.CIFAR[name][2][0]]
    n = 2 * (len(test_labels) // cifar.CIFAR[name][4])  # every test image of classes 3 and 7
    images, labels = cifar.cifar(name, [], n, classes=[3, 7], split="test", root=tmp_path)
    assert images.shape == (n, 3, 32, 32) and sorted(labels.tolist()) == [0] * (n // 2) + [1] * (n // 2)
    rows = {tuple(r) for r in test_images[[i for i, lab in enumerate(test_labels) if lab in (3, 7)]]}
    assert {tuple(im.flatten().tolist()) for im in images} <= rows  # untouched pixels, right classes
    for im, lab in zip(images, labels):
        i = [tuple(r) for r in test_images].index(tuple(im.flatten().tolist()))
        assert [3, 7][lab] == test_labels[i]


def test_splits_seeds_and_whole_image_transformations(tmp_path, make_cifar):
    make_cifar(tmp_path)
    train_set, _ = cifar.cifar("cifar10", [], 40, classes=range(10), root=tmp_path)
    val_set, _ = cifar.cifar("cifar10", [], 10, classes=range(10), split="val", root=tmp_path)
    assert not {tuple(x.flatten().tolist()) for x in train_set} & {tuple(x.flatten().tolist()) for x in val_set}
    again, _ = cifar.cifar("cifar10", [], 40, classes=range(10), root=tmp_path)
    other, _ = cifar.cifar("cifar10", [], 40, classes=range(10), seed=1, root=tmp_path)
    assert torch.equal(train_set, again) and not torch.equal(train_set, other)
    inverted, _ = cifar.cifar("cifar10", ["invert"], 40, classes=range(10), root=tmp_path)
    flipped = (inverted == 255 - train_set).flatten(1).all(1)
    assert torch.equal(inverted[~flipped], train_set[~flipped]) and 0.2 < flipped.float().mean() < 0.8
    rotated, _ = cifar.cifar("cifar10", ["rotate"], 40, classes=range(10), root=tmp_path)
    assert (rotated[:, :, 0, 0] == 0).all(1).float().mean() > 0.5  # uncovered corners are black


@pytest.mark.parametrize("kwargs,message", [
    (dict(root="/nonexistent"), "does not exist"),
    (dict(n=5000), "has 1350 images of these classes, 5000 asked for"),  # 5 files x 300, a tenth for val
    (dict(classes=[10]), "classes must be in 0..9"),
    (dict(split="dev"), "unknown split .dev."),
])
def test_errors(tmp_path, kwargs, message, make_cifar):
    make_cifar(tmp_path)
    kwargs = dict(dict(n=10, classes=range(10), root=tmp_path), **kwargs)
    with pytest.raises(ValueError, match=message):
        cifar.cifar("cifar10", [], kwargs.pop("n"), **kwargs)


def test_no_folder_says_how_to_get_one(monkeypatch):
    monkeypatch.delenv("CIFAR_DIR", raising=False)
    with pytest.raises(ValueError, match="set CIFAR_DIR"):
        data.load(data.Dataset("cifar10", classes=(0,)), 10)


def test_pretrain_and_probe_on_cifar(tmp_path, make_cifar):
    make_cifar(tmp_path / "c")
    args = train.get_args_parser().parse_args([
        "--dataset", "cifar10", "--data-dir", str(tmp_path / "c"), "--arch", "vgg11", "--width", "0.25",
        "--classes", "0-4", "--transforms", "h_flip", "--train-samples", "40", "--val-samples", "5",
        "--test-samples", "20", "--epochs", "1", "--batch-size", "8", "--device", "cpu", "--out",
        str(tmp_path / "pre")])
    _, metrics = train.train(args)
    assert 0 <= metrics["test_acc"] <= 1
    result = transfer.transfer(transfer.get_args_parser().parse_args([
        "--dataset", "cifar10", "--data-dir", str(tmp_path / "c"), "--checkpoint", str(tmp_path / "pre/checkpoint.pt"),
        "--classes", "5-9", "--train-samples", "40", "--test-samples", "20", "--epochs", "2", "--device", "cpu",
        "--out", str(tmp_path / "probe")]))
    assert (tmp_path / "probe" / "results.json").exists() and 0 <= result["records"][0]["test_acc"] <= 1


def test_e1_adds_cifar_versions_when_their_folders_exist(tmp_path, make_cifar):
    assert {p.dataset for p in experiments.e1("small", cifar_dir=tmp_path)[1]} == {"t2d"}
    make_cifar(tmp_path)
    runs, points = experiments.e1("small", cifar_dir=tmp_path)
    assert {p.dataset for p in points} == {"t2d", "cifar10"}
    cifar_runs = [r for r in runs if "/e1-cifar10/" in r.out]
    assert all(r.argv[r.argv.index("--dataset") + 1] == "cifar10" for r in cifar_runs)
    # the fixture has 135 training images a class: pretraining-sample values above that collapse
    for r in cifar_runs:
        if r.script == "train":
            classes = r.argv[r.argv.index("--classes") + 1].split(",")
            assert int(r.argv[r.argv.index("--train-samples") + 1]) <= 135 * len(classes)
    seeds = experiments.E1["small"]["seeds"]
    assert len([p for p in points if p.dataset == "cifar10"]) == seeds * 2 * (4 + 5 + 5)  # seeds, kinds, values
    target, other = paper.class_split(0, "cifar10")
    assert sorted(target + other) == list(range(10)) and len(target) == 5
    assert {p.factor for p in points if p.dataset == "cifar10"} == {
        "class_relationship", "architecture", "pretraining_samples"}


def test_without_cifar_the_plan_says_so_in_one_line(tmp_path, cli):
    res = cli("experiments.py", "fig2", "--commands", "--cifar-dir", tmp_path)
    assert res.returncode == 0 and "CIFAR parts are skipped" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_augmentation_is_torchvisions_crop_and_flip(tmp_path, make_cifar):
    """--augment: the training split's images as RandomCrop(32, padding=4) then
    RandomHorizontalFlip would make them, drawn per sample; val and test untouched."""
    import torchvision.transforms.functional as TF

    make_cifar(tmp_path)
    plain, labels = cifar.cifar("cifar10", [], 200, classes=range(10), root=tmp_path)
    aug, aug_labels = cifar.cifar("cifar10", [], 200, classes=range(10), root=tmp_path, augment=True)
    assert torch.equal(labels, aug_labels)
    found = 0
    for x, y in zip(plain, aug):  # every augmented image is one of the 81 x 2 crops and flips
        padded = TF.pad(x, 4)
        crops = [TF.crop(padded, i, j, 32, 32) for i in range(9) for j in range(9)]
        found += any(torch.equal(y, c) or torch.equal(y, TF.hflip(c)) for c in crops)
    assert found == 200
    moved = (aug != plain).flatten(1).any(1).float().mean()
    assert moved > 0.9  # only the centre crop without a flip leaves an image as it was
    for split in ("val", "test"):
        assert torch.equal(cifar.cifar("cifar10", [], 50, classes=range(10), root=tmp_path, split=split)[0],
                           cifar.cifar("cifar10", [], 50, classes=range(10), root=tmp_path, split=split,
                                      augment=True)[0])


def test_paper_plan_fits_real_cifar_class_counts(tmp_path, monkeypatch):
    """SCALE=paper asks no split for more images than the chosen classes have. Real counts:
    CIFAR-10 5,000 training images a class (the last tenth of the files is val: about 4,500 and
    500) and 1,000 test; CIFAR-100 500 (450 and 50) and 100."""
    per_class = {"cifar10": (4500, 500, 1000), "cifar100": (450, 50, 100)}

    def counts(name, root, classes):
        return dict(zip(("train", "val", "test"), (len(classes) * n for n in per_class[name])))

    for name in per_class:
        (tmp_path / cifar.CIFAR[name][0]).mkdir()
    monkeypatch.setattr(cifar, "cifar_counts", counts)
    runs, points = experiments.e1("paper", "R", tmp_path)
    checked = 0
    for r in runs:
        dataset = r.argv[r.argv.index("--dataset") + 1] if "--dataset" in r.argv else "t2d"
        if dataset == "t2d":
            continue
        have = counts(dataset, None, parse_classes(r.argv[r.argv.index("--classes") + 1]))
        n = {flag: int(r.argv[r.argv.index(flag) + 1]) for flag in ("--train-samples", "--test-samples",
                                                                     "--val-samples") if flag in r.argv}
        assert n["--train-samples"] <= have["train"] and n["--test-samples"] <= have["test"], r.out
        assert n.get("--val-samples", 0) <= have["val"], r.out
        checked += 1
    subset = [p for p in points if p.dataset == "cifar10" and p.value == "subset"]
    assert checked > 200 and subset  # CIFAR-10's 2-class subset pretrainings are planned, not dropped
