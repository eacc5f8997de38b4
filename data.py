"""Transforms-2D: seeded synthetic images of objects under transformations (SPEC sections 1, 2).

A sample is one class's object prototype, transformed by every transformation in a list
(each with its own random parameters and probability), alpha-composited onto a background.
Everything is batched tensor code, on CPU or CUDA, and sample i is a pure function of
(seed, split, i): the same arguments give the same images on any machine and batch size.

    python data.py --transforms rotate,hue --n 64 --out grid.png

writes a labelled 8 x 8 grid in about two seconds on a laptop CPU. Objects and backgrounds
(sources.py) are procedural by default; `--objects DIR --backgrounds DIR` (or SI_SCORE_DIR)
reads SI-Score images instead. The transformations live in transforms.py. Besides
Transforms-2D, a Dataset can be CIFAR with the transformations on whole images, or one of E4's
composites (objects pasted onto CIFAR-10 or onto black); load() makes any of them.
"""
import argparse
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F

import runfolder
import sources
from transforms import CATEGORIES, REGISTRY, TRANSFORMS, Rand, apply_, hash32, hash_key, parse_transforms

__all__ = ["CATEGORIES", "REGISTRY", "TRANSFORMS", "generate", "parse_transforms"]


def _device(device):
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' asked for, but CUDA is not available")
    return device


IMAGE_BYTES = 3 * 32 * 32 + 8  # a uint8 image and its int64 label


def ensure_fits(n, device):
    """Refuse n images that cannot fit in the device's free memory, before making any."""
    runfolder.ensure_fits(n * IMAGE_BYTES, device, f"{n:,} images of 32 x 32")


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
    protos = sources.object_canvases(str(objects), size, device)
    bad = [c for c in classes if not 0 <= c < len(protos)]
    if bad:
        raise ValueError(f"class {bad[0]} is out of range: {len(protos)} objects in {objects}")
    pool = None if backgrounds == "random" else sources.background_pool(str(backgrounds), size, device)
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


def cifar_counts(name, root, classes):
    """How many images of `classes` each split of a CIFAR version has: {split: count}."""
    splits = _read_cifar(name, str(root))
    wanted = torch.zeros(CIFAR[name][4], dtype=torch.bool)
    wanted[list(classes)] = True
    return {split: int(wanted[labels].sum()) for split, (_, labels) in splits.items()}


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
    device = _device(device)
    batch_size = batch_size or (16384 if device.type == "cuda" else 1024)
    transform_key = hash_key(seed if transform_seed is None else transform_seed, split)
    out = torch.empty(n, 3, 32, 32, dtype=torch.uint8, device=device)
    augment_key = hash_key(seed, split, "augment") if augment and split == "train" else None
    for start in range(0, n, batch_size):
        idx = torch.arange(start, min(n, start + batch_size), device=device)
        x = crop_flip(images[order[idx.cpu()]].to(device).float() / 255, idx, augment_key)
        x = torch.cat([x, torch.ones_like(x[:, :1])], 1)  # an opaque canvas: the whole image moves
        x = _transform(x, names, idx, transform_key)
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
# E4, irrelevant features (SPEC E4): 10 objects shrunk to 0.55 and pasted onto CIFAR-10 images
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
    """The objects' boxes (N, 4, B, B), B = 0.55 x the 22-pixel box of a 32-pixel canvas."""
    canvas = sources.object_canvases(objects, 32, "cpu")
    box, lo = round(0.7 * 32), (32 - round(0.7 * 32)) // 2
    small = round(E4_SCALE * box)
    return torch.stack([sources.fit(c[:, lo:lo + box, lo:lo + box], small) for c in canvas]).to(device)


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
    device = _device(device)
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


@dataclass(frozen=True)
class Dataset:
    """What a dataset is, as one value: built once from the command line (from_args) and passed
    whole to load(), which makes its images."""
    name: str = "t2d"  # one of DATASETS
    transforms: tuple = ()  # transformation names, applied in order (SPEC 2)
    classes: tuple = tuple(range(30))  # object indices, or CIFAR classes; labels are positions in it
    objects: str = "procedural"  # procedural, random, or an SI-Score folder
    backgrounds: str = "procedural"
    data_dir: str = None  # CIFAR's folder (default $CIFAR_DIR)
    label: str = "object"  # E4's composites: the class is the object or the CIFAR image
    placement: str = "fixed"  # E4's composites: the object at the fixed spot or anywhere
    pasted: tuple = tuple(range(10))  # E4's composites labelled by CIFAR: the objects pasted
    augment: bool = False  # CIFAR's training split randomly cropped and flipped (E4)

    @classmethod
    def from_args(cls, args, transforms="none"):
        """The dataset that add_data_args' flags describe, under `transforms`."""
        return cls(args.dataset, tuple(parse_transforms(transforms)), tuple(parse_classes(args.classes)),
                   str(args.objects), str(args.backgrounds), args.data_dir, args.label, args.placement,
                   tuple(parse_classes(args.pasted)), args.augment)


def load(ds, n, *, seed=0, split="train", device="cpu", transform_seed=None, object_seed=None, image_seed=None):
    """n samples of dataset ds: (uint8 images (n, 3, 32, 32), labels), as generate() for
    Transforms-2D, cifar() for CIFAR and composite() for E4. transform_seed redraws only the
    transformations' parameters; object_seed and image_seed redraw only a composite's object or
    its CIFAR image (the invariance pairs of SPEC 4 and E4)."""
    ensure_fits(n, device)
    if ds.name in COMPOSITES:
        if ds.transforms:
            raise ValueError(f"{ds.name} takes no transformations, got {','.join(ds.transforms)!r}")
        return composite(ds.name, n, classes=ds.classes, label=ds.label, placement=ds.placement, pasted=ds.pasted,
                         seed=seed, split=split, root=ds.data_dir, objects=ds.objects, device=device,
                         object_seed=object_seed, image_seed=image_seed, augment=ds.augment)
    if (object_seed, image_seed) != (None, None):
        raise ValueError(f"object and image seeds are for {' and '.join(COMPOSITES)}, not {ds.name}")
    if ds.name == "t2d":
        return generate(ds.transforms, n, classes=ds.classes, seed=seed, split=split, objects=ds.objects,
                        backgrounds=ds.backgrounds, device=device, transform_seed=transform_seed)
    if ds.name in CIFAR:
        return cifar(ds.name, ds.transforms, n, classes=ds.classes, seed=seed, split=split, root=ds.data_dir,
                     device=device, transform_seed=transform_seed, augment=ds.augment)
    raise ValueError(f"unknown dataset {ds.name!r}; choose from {', '.join(DATASETS)}")


def parse_classes(spec):
    """'0-29' or '0,3,7' or '0-4,10-14' -> list of object indices, each once (a class listed twice
    would be one object with two labels)."""
    out = []
    for part in str(spec).split(","):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part.strip(), re.ASCII)
        if not m:
            raise ValueError(f"bad class list {spec!r}: {part.strip()!r} is neither a class nor a range lo-hi "
                             "(use e.g. 0-29 or 0,3,7)")
        lo, hi = int(m[1]), int(m[2] or m[1])
        if hi < lo:
            raise ValueError(f"bad class list {spec!r}: the range {lo}-{hi} is empty")
        out += range(lo, hi + 1)
    seen = set()
    for c in out:
        if c in seen:
            raise ValueError(f"bad class list {spec!r}: class {c} is listed twice")
        seen.add(c)
    return out


def check_classifier(ds):
    """Refuse a classification task of fewer than two classes: it is 100% accurate whatever it learns."""
    if len(ds.classes) < 2:
        raise ValueError(f"--classes names {len(ds.classes)} class: a classifier needs at least two")


def add_data_args(p):
    """The flags that describe a Dataset (but its transformations): what to read and where."""
    default_dir = os.environ.get("SI_SCORE_DIR", "procedural")
    p.add_argument("--dataset", choices=DATASETS, default="t2d",
                   help="Transforms-2D, CIFAR with the transformations on whole images, or E4's objects pasted "
                        "on CIFAR-10 or on black (default: %(default)s)")
    p.add_argument("--classes", default="0-29",
                   help="object indices (CIFAR: class indices), e.g. 0-29 or 0,3,7 (default: %(default)s)")
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
    p.add_argument("--pasted", default="0-9",
                   help="for the E4 composites labelled by CIFAR: the objects pasted (default: %(default)s)")
    p.add_argument("--augment", action="store_true",
                   help="CIFAR: random crops (padding 4) and horizontal flips of the training split, as the "
                        "original's E4 (default: off)")
    p.add_argument("--data-dir", default=os.environ.get("CIFAR_DIR"),
                   help="for CIFAR: the folder holding cifar-10-batches-py/ or cifar-100-python/ "
                        "(default: $CIFAR_DIR: %(default)s)")


def save_grid(images, titles, out, cols=8, zoom=4):
    """A PNG grid of uint8 images (N, 3, H, W), each enlarged zoom times under its title."""
    from PIL import Image, ImageDraw

    size, title_h = images.shape[-1] * zoom, 12
    rows = -(-len(images) // cols)
    grid = Image.new("RGB", (cols * (size + 4), rows * (size + title_h + 4)), "white")
    draw = ImageDraw.Draw(grid)
    for i, (img, title) in enumerate(zip(images, titles)):
        x, y = i % cols * (size + 4), i // cols * (size + title_h + 4)
        tile = Image.fromarray(img.permute(1, 2, 0).numpy()).resize((size, size), Image.NEAREST)
        grid.paste(tile, (x, y + title_h))
        draw.text((x + 1, y), title, fill="black")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    grid.save(tmp, format="PNG")
    os.replace(tmp, out)


def get_args_parser():
    p = runfolder.Parser(prog="data.py", description=__doc__.split("\n\n")[0],
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--transforms", default="none",
                   help="comma-separated transformation or category names, or none "
                        f"(default: %(default)s); names: {', '.join(TRANSFORMS)}; "
                        f"categories: {', '.join(CATEGORIES)}")
    p.add_argument("--n", type=runfolder.count, default=64, help="number of samples (default: %(default)s)")
    p.add_argument("--seed", type=runfolder.seed, default=0, help="dataset seed, 0 to 2^32 - 1 (default: %(default)s)")
    p.add_argument("--split", default="train", help="split name (default: %(default)s)")
    add_data_args(p)
    p.add_argument("--device", type=runfolder.device, default="cpu", help="cpu or cuda (default: %(default)s)")
    p.add_argument("--out", default="figures/grid.png", help="image to write (default: %(default)s)")
    return p


def grid(args):
    if Path(args.out).is_dir():
        raise ValueError(f"--out {args.out} is a folder: give the image file to write")
    ds = Dataset.from_args(args, args.transforms)
    images, labels = load(ds, args.n, seed=args.seed, split=args.split, device=args.device)
    save_grid(images.cpu(), [str(ds.classes[i]) for i in labels.tolist()], args.out)
    print(f"wrote {args.out}: {args.n} samples, transforms {args.transforms}")


def main(args):
    runfolder.run_main("data.py", grid, args)


if __name__ == "__main__":
    main(get_args_parser().parse_args())
