"""Figures of the paper, drawn from data and result files only (this script never trains).

    python plots.py fig1 --out figures/fig1.png    # `make fig1`: Transforms-2D examples

fig1 is the paper's Figure 1: one row per transformation (and one with none), several
samples of one object per row. It takes about ten seconds on a laptop CPU and also writes
the same figure as PDF beside the PNG.
"""
import argparse
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402

import data  # noqa: E402


def _to_hwc(img):
    return img.permute(1, 2, 0).numpy()  # (3, H, W) uint8 -> (H, W, 3)


def save_figure(fig, out, pdf=False):
    """Write fig atomically (temporary file, then rename), plus a PDF twin if asked."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for path in [out] + ([out.with_suffix(".pdf")] if pdf else []):
        tmp = path.with_name(f".{path.name}.tmp")
        fig.savefig(tmp, format=path.suffix[1:], bbox_inches="tight", dpi=150)
        os.replace(tmp, path)
    plt.close(fig)


def image_grid(images, titles, out, title=None, cols=8):
    """A grid of uint8 (N, 3, H, W) images with a small title above each one."""
    rows = -(-len(images) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.1 * cols, 1.25 * rows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, img, t in zip(axes.flat, images, titles):
        ax.imshow(_to_hwc(img), interpolation="nearest")
        ax.set_title(t, fontsize=7, pad=2)
    if title:
        fig.suptitle(title, fontsize=9)
    save_figure(fig, out)


def fig1(out, obj=0, samples=8, seed=0, objects="procedural", backgrounds="procedural"):
    """Paper Figure 1: each transformation applied to one object."""
    rows = ["none"] + data.TRANSFORMS
    fig, axes = plt.subplots(len(rows), samples, figsize=(0.75 * samples + 1.2, 0.75 * len(rows)),
                             squeeze=False, gridspec_kw=dict(wspace=0.05, hspace=0.05))
    for row, name in zip(axes, rows):
        images, _ = data.generate([] if name == "none" else [name], samples, classes=[obj],
                                  seed=seed, objects=objects, backgrounds=backgrounds)
        for ax, img in zip(row, images):
            ax.imshow(_to_hwc(img), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    save_figure(fig, out, pdf=True)


def get_args_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="figure", required=True)
    f1 = sub.add_parser("fig1", help="Transforms-2D examples, one row per transformation")
    f1.add_argument("--out", default="figures/fig1.png", help="PNG to write, PDF beside it "
                    "(default: %(default)s)")
    f1.add_argument("--object", type=int, default=0, help="object index (default: %(default)s)")
    f1.add_argument("--samples", type=int, default=8, help="samples per row (default: %(default)s)")
    f1.add_argument("--seed", type=int, default=0, help="dataset seed (default: %(default)s)")
    default_dir = os.environ.get("SI_SCORE_DIR", "procedural")
    f1.add_argument("--objects", default=default_dir, help="as in data.py (default: %(default)s)")
    f1.add_argument("--backgrounds", default=default_dir, help="as in data.py (default: %(default)s)")
    return p


def main(args):
    try:
        fig1(args.out, args.object, args.samples, args.seed, args.objects, args.backgrounds)
    except ValueError as e:
        sys.exit(f"plots.py: error: {e}")
    print(f"wrote {args.out} and {Path(args.out).with_suffix('.pdf')}")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
