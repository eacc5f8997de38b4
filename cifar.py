"""CIFAR and E4's composites: real images for the CIFAR versions of E1 and E3 and for E4.

CIFAR-10/100 are read from the folder that torchvision's own download writes (cifar-10-batches-py/,
cifar-100-python/), never downloaded; the last tenth of the training files is the val split. A
transformation list acts on the whole image, as the paper's CIFAR version of E1 has it. E4's composites
paste one of 10 objects, shrunk to 0.55, onto a CIFAR-10 image or onto black.

    python data.py --dataset cifar10+objects --label object --data-dir cifar --out grid.png
"""
import os
import pickle
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import sources
from transforms import OBJECT_BOX, Rand, apply_all, hash32, hash_key, parse_transforms

# how to get CIFAR-10 where it is missing (its download is torchvision's; nothing here downloads)
GET_CIFAR10 = ("run python -c \"import torchvision as tv; tv.datasets.CIFAR10('cifar', download=True)\" and set "
               "CIFAR_DIR=$PWD/cifar")
CIFAR = {  # name: (folder, training files, test files, label key, number of classes)
    "cifar10": ("cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)], ["test_batch"], b"labels", 10),
    "cifar100": ("cifar-100-python", ["train"], ["test"], b"fine_labels", 100),
}


@lru_cache(maxsize=4)
def _read_cifar(name, root):
    """{split: (uint8 images (N, 3, 32, 32), labels)}; val is the last tenth of CIFAR's
    training images, train the rest, test CIFAR's test set."""


    folder, train_files, test_files, key, n_classes = CIFAR[name]
    path = Path(root) / folder
    if not path.is_dir():
        raise ValueError(f"{path} does not exist: {name} is read from the folder that torchvision's "
                         "download writes (see README)")

    def read(files):
        images, labels = [], []
        for f in files:
            try:
                with open(path / f, "rb") as fh:
                    batch = pickle.load(fh, encoding="bytes")
                x = torch.from_numpy(np.ascontiguousarray(batch[b"data"], dtype=np.uint8))
                y = torch.as_tensor(batch[key], dtype=torch.long)
            except Exception as e:  # a corrupt pickle raises nearly anything (UnicodeDecodeError, EOFError, ...)
                raise ValueError(f"{path / f} is not a readable {name} batch ({type(e).__name__})") from None
            if x.ndim != 2 or x.shape[1] != 3072 or not len(x):
                raise ValueError(f"{path / f} does not hold {name} images: rows of 3,072 bytes expected, "
                                 f"got an array of shape {tuple(x.shape)}")
            if y.shape != (len(x),) or y.min() < 0 or y.max() >= n_classes:
                raise ValueError(f"{path / f} does not hold a label in 0..{n_classes - 1} for each of its "
                                 f"{len(x):,} images")
            images.append(x)
            labels.append(y)
        return torch.cat(images).view(-1, 3, 32, 32), torch.cat(labels)

    images, labels = read(train_files)
    val = len(images) // 10
    return {"train": (images[:-val], labels[:-val]), "val": (images[-val:], labels[-val:]),
            "test": read(test_files)}


def found(folder):
    """The CIFAR versions whose folder (as torchvision's download writes it) is in folder."""
    if not folder:
        return []
    return [name for name, (sub, *_) in CIFAR.items() if (Path(folder) / sub).is_dir()]


def cifar_counts(name, root, classes):
    """How many images of `classes` each split of a CIFAR version has: {split: count}."""
    splits = _read_cifar(name, str(root))
    wanted = torch.zeros(CIFAR[name][4], dtype=torch.bool)
    wanted[list(classes)] = True
    return {split: int(wanted[labels].sum()) for split, (_, labels) in splits.items()}


def split_sizes(s, name, root, pretrain_classes, target_classes):
    """s (a scale's settings) with every split of a run on CIFAR version `name` capped by the
    images its classes have (CIFAR-10: 4,500 training images a class, CIFAR-100: 450)."""
    pre, target = (cifar_counts(name, root, c) for c in (pretrain_classes, target_classes))
    return {**s, "val_samples": min(s["val_samples"], pre["val"]), "test_samples": min(s["test_samples"], pre["test"]),
            "probe_test_samples": min(s["probe_test_samples"], target["test"]), "max_train": pre["train"],
            "max_probe": target["train"]}


def _cifar_split(name, root, split, classes):
    """(images, labels, positions) of a CIFAR split: positions[k] is the index in `classes` of
    image k's class, or -1 for an image of another class. root defaults to $CIFAR_DIR."""
    root = root or os.environ.get("CIFAR_DIR")
    if not root:
        raise ValueError(f"{name} needs its folder: set CIFAR_DIR or pass --data-dir (see README)")
    splits = _read_cifar(name, str(root))
    if split not in splits:
        raise ValueError(f"unknown split {split!r} for {name}; choose from {', '.join(splits)}")
    images, labels = splits[split]
    n_classes = CIFAR[name][4]
    classes = list(classes)
    bad = [c for c in classes if not 0 <= c < n_classes]
    if not classes or bad:
        raise ValueError(f"classes must be in 0..{n_classes - 1} for {name}, got {bad[:1] or 'none'}")
    position = torch.full((n_classes,), -1)
    position[classes] = torch.arange(len(classes))
    return images, labels, position[labels]


def _cifar_order(name, positions, n, split, key):
    """The first n of a permutation (seeded by key) of the split's images of the chosen classes."""
    pool = (positions >= 0).nonzero()[:, 0]
    if n > len(pool):
        raise ValueError(f"{name} {split} has {len(pool)} images of these classes, {n} asked for")
    return pool[torch.randperm(len(pool), generator=torch.Generator().manual_seed(key))[:n]]


def cifar(name, transforms, n, *, classes, seed=0, split="train", root=None, device="cpu", batch_size=None,
          transform_seed=None, augment=False):
    """n images of `classes` from a CIFAR split, in an order seeded by (seed, split), each with
    the transformations applied to the whole image (regions they uncover are black); labels
    are positions in `classes`. root defaults to $CIFAR_DIR. augment: the training split's images
    are randomly cropped and flipped first (crop_flip, E4)."""
    names = parse_transforms(transforms)
    if n < 1:
        raise ValueError(f"the number of samples must be at least 1, got {n}")
    images, _, positions = _cifar_split(name, root, split, classes)
    order = _cifar_order(name, positions, n, split, hash_key(seed, split))
    device = sources.on_device(device)
    batch_size = batch_size or (16384 if device.type == "cuda" else 1024)
    transform_key = hash_key(seed if transform_seed is None else transform_seed, split)
    out = torch.empty(n, 3, 32, 32, dtype=torch.uint8, device=device)
    augment_key = hash_key(seed, split, "augment") if augment and split == "train" else None
    for start in range(0, n, batch_size):
        idx = torch.arange(start, min(n, start + batch_size), device=device)
        x = crop_flip(images[order[idx.cpu()]].to(device).float() / 255, idx, augment_key)
        x = torch.cat([x, torch.ones_like(x[:, :1])], 1)  # an opaque canvas: the whole image moves
        x = apply_all(x, names, idx, transform_key)
        out[start:start + len(x)] = (x[:, :3] * x[:, 3:] * 255).round_()
    return out, positions[order].to(device)


def crop_flip(x, idx, key):
    """The original's CIFAR training augmentation, RandomCrop(32, padding=4) and
    RandomHorizontalFlip, batched: sample idx[b] gets a crop offset in [0, 8] x [0, 8] of its
    zero-padded image and a flip with probability 1/2, a hash of (key, idx[b]). key None: x as it is."""
    if key is None:
        return x
    r = Rand(hash32(hash32(idx) ^ key))
    b, c, s, _ = x.shape
    ar = torch.arange(s, device=x.device)
    rows = r.integers("crop y", 9)[:, None] + ar  # (B, S) rows of the padded image
    cols = r.integers("crop x", 9)[:, None] + ar
    cols = torch.where((r.uniform("flip") < 0.5)[:, None], cols.flip(1), cols)
    padded = F.pad(x, (4, 4, 4, 4))  # (B, C, S + 8, S + 8)
    x = padded.gather(2, rows[:, None, :, None].expand(b, c, s, s + 8))  # (B, C, S, S + 8)
    return x.gather(3, cols[:, None, None, :].expand(b, c, s, s))


# ----------------------------------------------------------------------------------------
# E4, irrelevant features (PROTOCOL.md section 5.5): 10 objects shrunk to 0.55 and pasted onto CIFAR-10 images
# (cifar10+objects) or onto black (black+objects), the object and the CIFAR image drawn
# independently, labelled by one of the two. Sample i's object (which one, and where with
# placement "translated") is a hash of (object_seed, split, i); its CIFAR image is the i-th of
# the permutation that cifar() draws with image_seed. Both default to seed, so the CIFAR images
# of cifar10+objects are those of cifar10 with the same seed and classes. Giving x' another
# object_seed (image_seed) makes pairs that share the CIFAR image (the object): invariance.py's
# invariance to object (background) changes.

COMPOSITES = ("cifar10+objects", "black+objects")
E4_SCALE, E4_CORNER = 0.55, (21, 2)  # the object's box: 0.55 of its usual size, top-left corner (x, y)


@lru_cache(maxsize=4)
def _small_objects(objects, device):
    """The objects' boxes (N, 4, B, B), B = 0.55 x the 22-pixel box of a 32-pixel canvas, shrunk with
    PIL's bicubic resize as the canvas itself was made."""
    canvas = sources.object_canvases(objects, 32, "cpu")
    box = round(OBJECT_BOX * 32)
    lo, small = (32 - box) // 2, round(E4_SCALE * box)
    return torch.stack([sources.from_pil(sources.to_pil(c[:, lo:lo + box, lo:lo + box]).resize((small, small)))
                        for c in canvas]).to(device)


def _paste(sprites, x, y, size=32):
    """RGBA canvases (B, 4, size, size) with sprite b's top-left corner at (x[b], y[b]); what
    falls outside the canvas is cut off (the fixed spot's last column does: 21 + 12 > 32)."""
    b, _, box, _ = sprites.shape
    canvas = sprites.new_zeros(b, size + box, size + box, 4)  # room for a sprite at any corner
    ar = torch.arange(box, device=sprites.device)
    rows, cols = (y[:, None] + ar)[:, :, None], (x[:, None] + ar)[:, None, :]  # (B, box, 1), (B, 1, box)
    canvas[torch.arange(b, device=sprites.device)[:, None, None], rows, cols] = sprites.permute(0, 2, 3, 1)
    return canvas[:, :size, :size].permute(0, 3, 1, 2)  # (B, S+box, S+box, 4) -> (B, 4, S, S)


def composite(name, n, *, classes, label, placement="fixed", pasted=range(10), seed=0, split="train", root=None,
              objects="procedural", device="cpu", object_seed=None, image_seed=None, batch_size=None, augment=False):
    """n E4 samples (uint8 images, labels). label "cifar": classes are CIFAR-10 classes and the
    object is any of `pasted`; label "object": classes are object indices and the CIFAR image is
    of any class. placement "fixed" puts every object's box at E4_CORNER, "translated" at a
    uniform position inside the image. black+objects takes no CIFAR image (and no label cifar).
    augment: crop_flip on the training split's CIFAR images, as the original did in every E4 task."""
    if name not in COMPOSITES:
        raise ValueError(f"unknown composite {name!r}; choose from {', '.join(COMPOSITES)}")
    if label not in ("cifar", "object") or (name == "black+objects" and label == "cifar"):
        raise ValueError(f"label must be object{' or cifar' if name == 'cifar10+objects' else ''} for {name}, "
                         f"got {label!r}")
    if placement not in ("fixed", "translated"):
        raise ValueError(f"placement must be fixed or translated, got {placement!r}")
    if n < 1:
        raise ValueError(f"the number of samples must be at least 1, got {n}")
    device = sources.on_device(device)
    batch_size = batch_size or (16384 if device.type == "cuda" else 1024)
    sprites = _small_objects(str(objects), device)
    object_ids = list(classes) if label == "object" else list(pasted)
    bad = [c for c in object_ids if not 0 <= c < len(sprites)]
    if not object_ids or bad:
        raise ValueError(f"object {bad[:1] or 'none'} is out of range: {len(sprites)} objects in {objects}")
    object_ids = torch.tensor(object_ids, device=device)
    if name == "cifar10+objects":
        images, _, positions = _cifar_split("cifar10", root, split, classes if label == "cifar" else range(10))
        image_key = seed if image_seed is None else image_seed
        order = _cifar_order("cifar10", positions, n, split, hash_key(image_key, split))
        augment_key = hash_key(image_key, split, "augment") if augment and split == "train" else None
    object_key = hash_key(seed if object_seed is None else object_seed, split, "object")
    out = torch.empty(n, 3, 32, 32, dtype=torch.uint8, device=device)
    labels = torch.empty(n, dtype=torch.long, device=device)
    room = 32 - sprites.shape[-1] + 1  # translated corners: 0 .. 32 - box
    for start in range(0, n, batch_size):
        idx = torch.arange(start, min(n, start + batch_size), device=device)
        r = Rand(hash32(hash32(idx) ^ object_key))
        which = r.integers("which", len(object_ids))
        if placement == "fixed":
            x, y = (torch.full_like(idx, c) for c in E4_CORNER)
        else:
            x, y = r.integers("x", room), r.integers("y", room)
        obj = _paste(sprites[object_ids[which]], x, y)
        if name == "cifar10+objects":
            bg = crop_flip(images[order[idx.cpu()]].to(device).float(), idx, augment_key)
            labels[idx] = which if label == "object" else positions[order[idx.cpu()]].to(device)
        else:
            bg = torch.zeros(len(idx), 3, 32, 32, device=device)
            labels[idx] = which
        out[idx] = bg.lerp_(obj[:, :3] * 255, obj[:, 3:]).round_().to(torch.uint8)
    return out, labels

