"""Transforms-2D: seeded synthetic images of objects under transformations (SPEC sections 1, 2).

A sample is one class's object prototype, transformed by every transformation in a list
(each with its own random parameters and probability), alpha-composited onto a background.
Everything is batched tensor code, on CPU or CUDA, and sample i is a pure function of
(seed, split, i): the same arguments give the same images on any machine and batch size.

    python data.py --transforms rotate,hue --n 64 --out grid.png

writes a labelled 8 x 8 grid in about two seconds on a laptop CPU. Objects and backgrounds
are procedural by default; `--objects DIR --backgrounds DIR` (or SI_SCORE_DIR) reads SI-Score
images instead. The transformations themselves live in transforms.py.
"""
import argparse
import math
import os
import sys
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F

from transforms import (
    CATEGORIES,
    REGISTRY,
    TRANSFORMS,
    Rand,
    apply_,
    hash32,
    hash_key,
    hsv_to_rgb,
    parse_transforms,
)

__all__ = ["CATEGORIES", "REGISTRY", "TRANSFORMS", "generate", "parse_transforms"]

N_OBJECTS = 61  # procedural and random objects, as many as SI-Score has
N_BACKGROUNDS = 867

# ----------------------------------------------------------------------------------------
# Objects and backgrounds (SPEC section 1). Objects are RGBA canvases (N, 4, S, S): the
# prototype fitted into a 0.7 S box at the centre of a transparent S x S canvas.


def _fit(rgba, box):
    """Resize an RGBA image (4, H, W) to (4, box, box) with premultiplied alpha, so that
    transparent pixels do not bleed their colour into the edge."""
    x = torch.cat([rgba[:3] * rgba[3:], rgba[3:]])[None]
    x = F.interpolate(x, size=(box, box), mode="bilinear", antialias=True, align_corners=False)[0]
    a = x[3:].clamp(0, 1)
    return torch.cat([(x[:3] / a.clamp(min=1e-6)).clamp(0, 1) * (a > 0), a])


def _procedural_object(k, res=64):
    """Object k: an asymmetric blob with a soft edge, painted with a three-colour pattern."""
    g = torch.Generator().manual_seed(hash_key("object", k))

    def rnd(*shape):
        return torch.rand(shape, generator=g)

    t = (torch.arange(res) + 0.5) / res * 2 - 1
    v, u = torch.meshgrid(t, t, indexing="ij")
    rho, theta = torch.hypot(u, v), torch.atan2(v, u)
    # silhouette: radius with random harmonics and phases, so no flip or rotation maps it
    # onto itself
    m = torch.arange(1, 7)[:, None, None]
    amp = (rnd(6) * 0.5 / m[:, 0, 0] ** 0.7)[:, None, None]
    radius = 1 + (amp * torch.cos(m * theta + 2 * math.pi * rnd(6)[:, None, None])).sum(0)
    radius = 0.97 * radius.clamp(min=0.35) / radius.max()
    alpha = ((radius - rho) * res / 6 + 0.5).clamp(0, 1)
    # pattern: stripes, rings, checks, sectors or spots, picked by k, in three colours
    ang, freq = 2 * math.pi * rnd(1), 2 + 3 * rnd(1)
    cu, cv = u * torch.cos(ang) + v * torch.sin(ang), -u * torch.sin(ang) + v * torch.cos(ang)
    ox, oy = rnd(2) - 0.5
    kind = k % 5
    if kind == 0:
        idx = torch.floor(cu * freq)
    elif kind == 1:
        idx = torch.floor(torch.hypot(u - ox, v - oy) * freq * 1.5)
    elif kind == 2:
        idx = torch.floor(cu * freq) + 2 * torch.floor(cv * freq)
    elif kind == 3:
        idx = torch.floor((torch.atan2(v - oy, u - ox) / (2 * math.pi) + 0.5) * (3 + k % 4))
    else:
        spots = rnd(5, 3)
        idx = torch.zeros(res, res)
        for i, (sx, sy, sr) in enumerate(spots):
            idx[torch.hypot(u - (sx * 1.4 - 0.7), v - (sy * 1.4 - 0.7)) < 0.15 + 0.2 * sr] = 1 + i % 2
    h0 = rnd(1)
    hues = torch.cat([h0, h0 + 0.25 + 0.25 * rnd(1), h0 + 0.6 + 0.15 * rnd(1)]) % 1
    palette = hsv_to_rgb(hues[:, None, None], 0.45 + 0.55 * rnd(3, 1, 1), 0.3 + 0.7 * rnd(3, 1, 1))
    rgb = palette[:, :, 0, 0][idx.long() % 3].permute(2, 0, 1)  # (3, res, res)
    return torch.cat([rgb, alpha[None]])


def _random_object(k, box):
    noise = Rand(torch.tensor([hash_key("random object", k)])).pixels(0, 3, box, box)[0]
    return torch.cat([(noise * 256).floor() / 255, torch.ones(1, box, box)])


def _read_objects(root):
    from PIL import Image

    fg = Path(root) / "foregrounds"
    if not Path(root).is_dir():
        raise ValueError(f"objects folder {root} does not exist")
    classes = sorted(p for p in fg.iterdir() if p.is_dir()) if fg.is_dir() else []
    if not classes:
        raise ValueError(f"{root} is not in SI-Score layout: expected {fg}/<class>/*.png")
    images = []
    for c in classes:
        files = sorted(c.glob("*.png"))
        if not files:
            raise ValueError(f"class folder {c} has no .png images")
        img = Image.open(files[0])  # the first file of a class is its prototype (SPEC 1)
        if "A" not in img.getbands() and "transparency" not in img.info:
            raise ValueError(f"{files[0]} has no alpha channel (mode {img.mode}); "
                             "foregrounds must be RGBA")
        rgba = torch.frombuffer(bytearray(img.convert("RGBA").tobytes()), dtype=torch.uint8)
        images.append(rgba.view(img.height, img.width, 4).permute(2, 0, 1).float() / 255)
    return images


@lru_cache(maxsize=8)
def _object_canvases(objects, size, device):
    box = round(0.7 * size)
    if objects == "procedural":
        protos = [_fit(_procedural_object(k), box) for k in range(N_OBJECTS)]
    elif objects == "random":
        protos = [_random_object(k, box) for k in range(N_OBJECTS)]
    else:
        protos = [_fit(img, box) for img in _read_objects(objects)]
    canvas = torch.zeros(len(protos), 4, size, size)
    lo = (size - box) // 2
    canvas[:, :, lo:lo + box, lo:lo + box] = torch.stack(protos)
    return canvas.to(device)


def _procedural_backgrounds(n, size, device):
    """n nature-like scenes: a sky gradient with clouds over hilly, textured ground."""
    r = Rand(hash32(torch.arange(n, device=device) ^ hash_key("background")))

    def fractal(stream):  # multi-octave value noise, (n, S, S), roughly in [-1, 1]
        octaves = [F.interpolate(r.pixels((stream, g), 1, g + 1, g + 1) * 2 - 1, size=(size, size),
                                 mode="bilinear", align_corners=True) * 0.6 ** i
                   for i, g in enumerate((2, 4, 8, 16))]
        return sum(octaves)[:, 0]

    y = ((torch.arange(size, device=device) + 0.5) / size)[None, :, None]
    horizon = r.uniform(0, 0.3, 0.7)[:, None, None] + 0.15 * fractal("hills")[:, :1, :]
    ground = torch.sigmoid((y - horizon) * size * 1.5)  # (n, S, S)
    dusk = r.uniform(1) < 0.25
    sky_h = torch.where(dusk, r.uniform(2, -0.05, 0.1), r.uniform(2, 0.53, 0.65)) % 1
    sky_v = (r.uniform(3, 0.6, 1.0)[:, None, None] * (0.7 + 0.4 * y)).clamp(0, 1)
    sky_s = r.uniform(4, 0.2, 0.7)[:, None, None] * (1.2 - y) * (1 - fractal("clouds").clamp(0, 1))
    sky = hsv_to_rgb(sky_h[:, None, None].expand(-1, size, size), sky_s.clamp(0, 1), sky_v)
    grass = hsv_to_rgb(r.uniform(5, 0.06, 0.35)[:, None, None].expand(-1, size, size),
                        r.uniform(6, 0.3, 0.85)[:, None, None].expand(-1, size, size),
                        (r.uniform(7, 0.25, 0.7)[:, None, None] * (1 + 0.4 * fractal("ground"))).clamp(0, 1))
    scene = sky * (1 - ground[:, None]) + grass * ground[:, None]
    return (scene * 255).round().to(torch.uint8)


def _read_backgrounds(root, size):
    from PIL import Image

    bg = Path(root) / "backgrounds"
    files = sorted(p for p in bg.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png")) \
        if bg.is_dir() else []
    if not files:
        raise ValueError(f"{root} has no background images: expected {bg}/*.jpg")
    out = []
    for f in files:
        img = Image.open(f).convert("RGB")
        side = min(img.size)  # the largest top-left square, resized to S x S (SPEC 1)
        img = img.crop((0, 0, side, side)).resize((size, size), Image.BILINEAR)
        out.append(torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).view(size, size, 3))
    return torch.stack(out).permute(0, 3, 1, 2).contiguous()


@lru_cache(maxsize=8)
def _background_pool(backgrounds, size, device):
    if backgrounds == "procedural":
        return _procedural_backgrounds(N_BACKGROUNDS, size, device)
    return _read_backgrounds(backgrounds, size).to(device)


def _device(device):
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' asked for, but CUDA is not available")
    return device


# ----------------------------------------------------------------------------------------


def _transform(x, names, idx, transform_key):
    """The transformations `names`, in order, on the canvases x of samples idx."""
    per_sample = hash32(hash32(idx) ^ transform_key)
    for k, name in enumerate(names):
        x = apply_(name, x, Rand(hash32(per_sample ^ hash_key(k))))
    return x


def generate(transforms, n, *, classes=range(30), seed=0, split="train", size=32,
             objects="procedural", backgrounds="procedural", device="cpu", batch_size=None,
             transform_seed=None):
    """n Transforms-2D samples: (images uint8 (n, 3, size, size), labels int64 (n,)), both
    on `device`. Labels are positions in `classes` (object indices); sample i has label
    i % len(classes), so classes are balanced. Its background is a hash of (seed, split, i)
    and its transformation parameters a hash of (transform_seed, split, i): two calls that
    differ only in transform_seed show the same objects on the same backgrounds.
    batch_size only trades memory for speed; the default suits the device (1024 on a CPU,
    where larger batches spill the caches and page-fault; 16384 on a GPU)."""
    names = parse_transforms(transforms)
    if n < 1:
        raise ValueError(f"the number of samples must be at least 1, got {n}")
    classes = list(classes)
    if not classes:
        raise ValueError("no classes given")
    device = _device(device)
    batch_size = batch_size or (16384 if device.type == "cuda" else 1024)
    protos = _object_canvases(str(objects), size, device)
    bad = [c for c in classes if not 0 <= c < len(protos)]
    if bad:
        raise ValueError(f"class {bad[0]} is out of range: {len(protos)} objects in {objects}")
    pool = None if backgrounds == "random" else _background_pool(str(backgrounds), size, device)
    sample_key = hash_key(seed, split)
    transform_key = hash_key(seed if transform_seed is None else transform_seed, split)
    class_ids = torch.tensor(classes, device=device)
    labels = torch.arange(n, device=device) % len(classes)
    images = torch.empty(n, 3, size, size, dtype=torch.uint8, device=device)
    for start in range(0, n, batch_size):
        idx = torch.arange(start, min(n, start + batch_size), device=device)
        x = _transform(protos[class_ids[labels[idx]]], names, idx, transform_key)  # (B, 4, S, S)
        r = Rand(hash32(hash32(idx) ^ sample_key))
        if pool is None:  # "random": fresh uniform noise per sample
            bg = (r.pixels("background", 3, size, size) * 256).floor()
        else:
            bg = pool[r.integers("background", len(pool))].float()
        # alpha-composite in [0, 255]: bg + alpha * (object - bg)
        images[start:start + len(idx)] = bg.lerp_(x[:, :3] * 255, x[:, 3:]).round_()
    return images, labels


# ----------------------------------------------------------------------------------------
# CIFAR (SPEC E1's CIFAR version): the transformations applied to whole images, read from the
# folder that torchvision's own download writes. Nothing is downloaded here.

CIFAR = {  # name: (folder, training files, test files, label key, number of classes)
    "cifar10": ("cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)], ["test_batch"], b"labels", 10),
    "cifar100": ("cifar-100-python", ["train"], ["test"], b"fine_labels", 100),
}
DATASETS = ["t2d", *CIFAR, "cifar10+objects", "black+objects"]  # the last two: E4, below


@lru_cache(maxsize=4)
def _read_cifar(name, root):
    """{split: (uint8 images (N, 3, 32, 32), labels)}; val is the last tenth of CIFAR's
    training images, train the rest, test CIFAR's test set."""
    import pickle

    import numpy as np

    folder, train_files, test_files, key, _ = CIFAR[name]
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
                images.append(torch.from_numpy(np.ascontiguousarray(batch[b"data"], dtype=np.uint8)))
                labels.append(torch.as_tensor(batch[key]))
            except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError) as e:
                raise ValueError(f"{path / f} is not a readable {name} batch ({type(e).__name__})") from None
        return torch.cat(images).view(-1, 3, 32, 32), torch.cat(labels)

    images, labels = read(train_files)
    val = len(images) // 10
    return {"train": (images[:-val], labels[:-val]), "val": (images[-val:], labels[-val:]),
            "test": read(test_files)}


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
          transform_seed=None):
    """n images of `classes` from a CIFAR split, in an order seeded by (seed, split), each with
    the transformations applied to the whole image (regions they uncover are black); labels
    are positions in `classes`. root defaults to $CIFAR_DIR."""
    names = parse_transforms(transforms)
    if n < 1:
        raise ValueError(f"the number of samples must be at least 1, got {n}")
    images, _, positions = _cifar_split(name, root, split, classes)
    order = _cifar_order(name, positions, n, split, hash_key(seed, split))
    device = _device(device)
    batch_size = batch_size or (16384 if device.type == "cuda" else 1024)
    transform_key = hash_key(seed if transform_seed is None else transform_seed, split)
    out = torch.empty(n, 3, 32, 32, dtype=torch.uint8, device=device)
    for start in range(0, n, batch_size):
        x = images[order[start:start + batch_size]].to(device).float() / 255
        x = torch.cat([x, torch.ones_like(x[:, :1])], 1)  # an opaque canvas: the whole image moves
        x = _transform(x, names, torch.arange(start, start + len(x), device=device), transform_key)
        out[start:start + len(x)] = (x[:, :3] * x[:, 3:] * 255).round_()
    return out, positions[order].to(device)


# ----------------------------------------------------------------------------------------
# E4, irrelevant features (SPEC E4): 10 objects shrunk to 0.55 and pasted onto CIFAR-10 images
# (cifar10+objects) or onto black (black+objects), the object and the CIFAR image drawn
# independently, labelled by one of the two. Sample i's object (which one, and where with
# placement "translated") is a hash of (object_seed, split, i); its CIFAR image is the i-th of
# the permutation that cifar() draws with image_seed. Both default to seed, so the CIFAR images
# of cifar10+objects are those of cifar10 with the same seed and classes. Giving x' another
# object_seed (image_seed) makes pairs that share the CIFAR image (the object): transfer.py's
# invariance to object (background) changes.

COMPOSITES = ("cifar10+objects", "black+objects")
E4_OBJECTS = range(10)  # the objects of a CIFAR-labelled composite
E4_SCALE, E4_CORNER = 0.55, (21, 2)  # the object's box: 0.55 of its usual size, top-left corner (x, y)


@lru_cache(maxsize=4)
def _small_objects(objects, device):
    """The objects' boxes (N, 4, B, B), B = 0.55 x the 22-pixel box of a 32-pixel canvas."""
    canvas = _object_canvases(objects, 32, "cpu")
    box, lo = round(0.7 * 32), (32 - round(0.7 * 32)) // 2
    small = round(E4_SCALE * box)
    return torch.stack([_fit(c[:, lo:lo + box, lo:lo + box], small) for c in canvas]).to(device)


def _paste(sprites, x, y, size=32):
    """RGBA canvases (B, 4, size, size) with sprite b's top-left corner at (x[b], y[b]); what
    falls outside the canvas is cut off (the fixed spot's last column does: 21 + 12 > 32)."""
    b, _, box, _ = sprites.shape
    canvas = sprites.new_zeros(b, size + box, size + box, 4)  # room for a sprite at any corner
    ar = torch.arange(box, device=sprites.device)
    rows, cols = (y[:, None] + ar)[:, :, None], (x[:, None] + ar)[:, None, :]  # (B, box, 1), (B, 1, box)
    canvas[torch.arange(b, device=sprites.device)[:, None, None], rows, cols] = sprites.permute(0, 2, 3, 1)
    return canvas[:, :size, :size].permute(0, 3, 1, 2)  # (B, S+box, S+box, 4) -> (B, 4, S, S)


def composite(name, n, *, classes, label, placement="fixed", seed=0, split="train", root=None,
              objects="procedural", device="cpu", object_seed=None, image_seed=None, batch_size=None):
    """n E4 samples (uint8 images, labels). label "cifar": classes are CIFAR-10 classes and the
    object is any of E4_OBJECTS; label "object": classes are object indices and the CIFAR image
    is of any class. placement "fixed" puts every object's box at E4_CORNER, "translated" at a
    uniform position inside the image. black+objects takes no CIFAR image (and no label cifar)."""
    if name not in COMPOSITES:
        raise ValueError(f"unknown composite {name!r}; choose from {', '.join(COMPOSITES)}")
    if label not in ("cifar", "object") or (name == "black+objects" and label == "cifar"):
        raise ValueError(f"label must be object{' or cifar' if name == 'cifar10+objects' else ''} for {name}, "
                         f"got {label!r}")
    if placement not in ("fixed", "translated"):
        raise ValueError(f"placement must be fixed or translated, got {placement!r}")
    if n < 1:
        raise ValueError(f"the number of samples must be at least 1, got {n}")
    device = _device(device)
    batch_size = batch_size or (16384 if device.type == "cuda" else 1024)
    sprites = _small_objects(str(objects), device)
    object_ids = list(classes) if label == "object" else list(E4_OBJECTS)
    bad = [c for c in object_ids if not 0 <= c < len(sprites)]
    if not object_ids or bad:
        raise ValueError(f"object {bad[:1] or 'none'} is out of range: {len(sprites)} objects in {objects}")
    object_ids = torch.tensor(object_ids, device=device)
    if name == "cifar10+objects":
        images, _, positions = _cifar_split("cifar10", root, split, classes if label == "cifar" else range(10))
        order = _cifar_order("cifar10", positions, n, split, hash_key(seed if image_seed is None else image_seed,
                                                                      split))
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
            bg = images[order[idx.cpu()]].to(device).float()
            labels[idx] = which if label == "object" else positions[order[idx.cpu()]].to(device)
        else:
            bg = torch.zeros(len(idx), 3, 32, 32, device=device)
            labels[idx] = which
        out[idx] = bg.lerp_(obj[:, :3] * 255, obj[:, 3:]).round_().to(torch.uint8)
    return out, labels


def load(dataset, transforms, n, *, classes, seed=0, split="train", device="cpu", objects="procedural",
         backgrounds="procedural", data_dir=None, transform_seed=None, label="object", placement="fixed",
         object_seed=None, image_seed=None):
    """Transforms-2D (`t2d`), a CIFAR version or an E4 composite: (uint8 images, labels) as
    generate(). label, placement, object_seed and image_seed are the composites' (see composite())."""
    if dataset in COMPOSITES:
        if parse_transforms(transforms):
            raise ValueError(f"{dataset} takes no transformations, got {transforms!r}")
        return composite(dataset, n, classes=classes, label=label, placement=placement, seed=seed, split=split,
                         root=data_dir, objects=objects, device=device, object_seed=object_seed,
                         image_seed=image_seed)
    if (object_seed, image_seed) != (None, None):
        raise ValueError(f"object and image seeds are for {' and '.join(COMPOSITES)}, not {dataset}")
    if dataset == "t2d":
        return generate(transforms, n, classes=classes, seed=seed, split=split, objects=objects,
                        backgrounds=backgrounds, device=device, transform_seed=transform_seed)
    if dataset in CIFAR:
        return cifar(dataset, transforms, n, classes=classes, seed=seed, split=split, root=data_dir,
                     device=device, transform_seed=transform_seed)
    raise ValueError(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}")


def parse_classes(spec):
    """'0-29' or '0,3,7' or '0-4,10-14' -> list of object indices."""
    out = []
    for part in str(spec).split(","):
        lo, _, hi = part.strip().partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise ValueError(f"bad class list {spec!r}: use e.g. 0-29 or 0,3,7")
        out += range(int(lo), int(hi or lo) + 1)
    return out


def add_data_args(p):
    """The data flags of every script: the dataset and where its files are."""
    default_dir = os.environ.get("SI_SCORE_DIR", "procedural")
    p.add_argument("--dataset", choices=DATASETS, default="t2d",
                   help="Transforms-2D, CIFAR with the transformations on whole images, or E4's objects pasted "
                        "on CIFAR-10 or on black (default: %(default)s)")
    p.add_argument("--objects", default=default_dir,
                   help="procedural, random, or an SI-Score folder with foregrounds/<class>/*.png "
                        "(default: $SI_SCORE_DIR or procedural: %(default)s)")
    p.add_argument("--backgrounds", default=default_dir,
                   help="procedural, random, or an SI-Score folder with backgrounds/*.jpg "
                        "(default: $SI_SCORE_DIR or procedural: %(default)s)")
    p.add_argument("--label", choices=["object", "cifar"], default="object",
                   help="for the E4 composites: which of the two is the class (default: %(default)s)")
    p.add_argument("--placement", choices=["fixed", "translated"], default="fixed",
                   help="for the E4 composites: the object's box at the top right (x=21, y=2), or "
                        "anywhere (default: %(default)s)")
    p.add_argument("--data-dir", default=os.environ.get("CIFAR_DIR"),
                   help="for CIFAR: the folder holding cifar-10-batches-py/ or cifar-100-python/ "
                        "(default: $CIFAR_DIR: %(default)s)")


def get_args_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--transforms", default="none",
                   help="comma-separated transformation or category names, or none "
                        f"(default: %(default)s); names: {', '.join(TRANSFORMS)}; "
                        f"categories: {', '.join(CATEGORIES)}")
    p.add_argument("--n", type=int, default=64, help="number of samples (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="dataset seed (default: %(default)s)")
    p.add_argument("--split", default="train", help="split name (default: %(default)s)")
    p.add_argument("--classes", default="0-29", help="object indices (default: %(default)s)")
    add_data_args(p)
    p.add_argument("--device", default="cpu", help="cpu or cuda (default: %(default)s)")
    p.add_argument("--out", default="figures/grid.png", help="image to write (default: %(default)s)")
    return p


def main(args):
    import plots  # matplotlib only for the picture, not for generating data

    try:
        classes = parse_classes(args.classes)
        images, labels = load(args.dataset, args.transforms, args.n, classes=classes, seed=args.seed,
                              split=args.split, objects=args.objects, backgrounds=args.backgrounds,
                              data_dir=args.data_dir, device=args.device, label=args.label,
                              placement=args.placement)
    except ValueError as e:
        sys.exit(f"data.py: error: {e}")
    titles = [str(classes[i]) for i in labels.tolist()]
    plots.image_grid(images.cpu(), titles, args.out, title=f"transforms: {args.transforms}")
    print(f"wrote {args.out}: {args.n} samples, transforms {args.transforms}")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
