"""Transforms-2D: seeded synthetic images of objects under transformations (PROTOCOL.md sections 1, 2).

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
import cli  # first, and light: then a Ctrl-C while torch loads is one line, not a traceback

cli.quiet_start(__name__)

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

import torch

import cifar
import sources
from transforms import CATEGORIES, REGISTRY, TRANSFORMS, Rand, apply_all, hash32, hash_key, parse_transforms

__all__ = ["CATEGORIES", "REGISTRY", "TRANSFORMS", "generate", "parse_transforms"]
DATASETS = ["t2d", *cifar.CIFAR, *cifar.COMPOSITES]


IMAGE_BYTES = 3 * 32 * 32 + 8  # a uint8 image and its int64 label


def ensure_fits(n, device):
    """Refuse n images that cannot fit in the device's free memory, before making any."""
    cli.ensure_fits(n * IMAGE_BYTES, device, f"{n:,} images of 32 x 32")


# ----------------------------------------------------------------------------------------


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
    device = sources.on_device(device)
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
        # index_select, not x[ids]: on a CPU it copies a batch of images 3-8 times faster
        x = apply_all(protos.index_select(0, class_ids[labels[idx]]), names, idx, transform_key)  # (B, 4, S, S)
        r = Rand(hash32(hash32(idx) ^ sample_key))
        if pool is None:  # "random": fresh uniform noise per sample
            bg = (r.pixels("background", 3, size, size) * 256).floor()
        else:
            bg = pool.index_select(0, r.integers("background", len(pool))).float()
        # alpha-composite in [0, 255]: bg + alpha * (object - bg)
        images[start:start + len(idx)] = bg.lerp_(x[:, :3] * 255, x[:, 3:]).round_()
    return images, labels


@dataclass(frozen=True)
class Dataset:
    """What a dataset is, as one value: built once from the command line (from_args) and passed
    whole to load(), which makes its images."""
    name: str = "t2d"  # one of DATASETS
    transforms: tuple = ()  # transformation names, applied in order (PROTOCOL.md section 2)
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
        return cls(args.dataset, tuple(parse_transforms(transforms)), tuple(cli.parse_classes(args.classes)),
                   str(args.objects), str(args.backgrounds), args.data_dir, args.label, args.placement,
                   tuple(cli.parse_classes(args.pasted)), args.augment)


def load(ds, n, *, seed=0, split="train", device="cpu", transform_seed=None, object_seed=None, image_seed=None):
    """n samples of dataset ds: (uint8 images (n, 3, 32, 32), labels), as generate() for
    Transforms-2D, cifar() for CIFAR and composite() for E4. transform_seed redraws only the
    transformations' parameters; object_seed and image_seed redraw only a composite's object or
    its CIFAR image (the invariance pairs of PROTOCOL.md section 4.4 and E4)."""
    ensure_fits(n, device)
    if ds.name in cifar.COMPOSITES:
        if ds.transforms:
            raise ValueError(f"{ds.name} takes no transformations, got {','.join(ds.transforms)!r}")
        return cifar.composite(ds.name, n, classes=ds.classes, label=ds.label, placement=ds.placement, pasted=ds.pasted,
                         seed=seed, split=split, root=ds.data_dir, objects=ds.objects, device=device,
                         object_seed=object_seed, image_seed=image_seed, augment=ds.augment)
    if (object_seed, image_seed) != (None, None):
        raise ValueError(f"object and image seeds are for {' and '.join(cifar.COMPOSITES)}, not {ds.name}")
    if ds.name == "t2d":
        return generate(ds.transforms, n, classes=ds.classes, seed=seed, split=split, objects=ds.objects,
                        backgrounds=ds.backgrounds, device=device, transform_seed=transform_seed)
    if ds.name in cifar.CIFAR:
        return cifar.cifar(ds.name, ds.transforms, n, classes=ds.classes, seed=seed, split=split, root=ds.data_dir,
                     device=device, transform_seed=transform_seed, augment=ds.augment)
    raise ValueError(f"unknown dataset {ds.name!r}; choose from {', '.join(DATASETS)}")


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
    p = cli.Parser(prog="data.py", description=__doc__.split("\n\n")[0],
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--transforms", default="none",
                   help="comma-separated transformation or category names, or none "
                        f"(default: %(default)s); names: {', '.join(TRANSFORMS)}; "
                        f"categories: {', '.join(CATEGORIES)}")
    p.add_argument("--n", type=cli.count, default=64, help="number of samples (default: %(default)s)")
    p.add_argument("--seed", type=cli.seed, default=0, help="dataset seed, 0 to 2^32 - 1 (default: %(default)s)")
    p.add_argument("--split", default="train", choices=["train", "val", "test"], help="(default: %(default)s)")
    add_data_args(p)
    p.add_argument("--device", type=cli.device, default="cpu", help="cpu or cuda (default: %(default)s)")
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
    cli.run_main("data.py", grid, args)


if __name__ == "__main__":
    main(get_args_parser().parse_args())
