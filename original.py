"""The original Transforms-2D pipeline, one sample at a time, re-rendered with PIL and torchvision.

What it is: the authors' data pipeline written out as plainly as possible. A sample is made from
the RAW object image (squashed to the canvas size, shrunk into its box, pasted on a transparent
canvas), then each transformation in the list runs on that PIL RGBA canvas with its own random
parameters, and the canvas is pasted onto a background through its alpha.

Why it exists: data.py makes the same samples as batched tensor code. This module is the
independent reference that tests and benchmarks compare it against, so it shares no code with the
project (it imports only numpy, PIL, torch and torchvision) and starts from the raw object image:
a reference built on the project's own canvases would inherit their errors. It reproduces the
original's quirks on purpose, each marked where it happens: the bicubic ringing of the object
canvas, the colour wrapper's darkening of soft edges, and translate's +4 for a whole image. It is
as slow as the original's loop: bench.py times it as the per-sample baseline.

How to use it:

    import original
    original.seed_all(0)  # python's random, numpy and torch: torchvision draws from torch
    bg = original.background(photo)  # any PIL photo -> 32 x 32 RGB
    image = original.render(raw, bg, ["rotate", "hue"])  # raw: a PIL RGBA object image, any size
    images = original.generate(["rotate", "hue"], 100, raws, [bg])  # uint8 (100, 3, 32, 32)

On one CPU core it makes about 5,000 untransformed samples a second, 2,600 with
translate,invert,pixelate and 200 with all 18 (blur and elastic dominate), measured on a busy 2-core
machine. Use one torch thread (torch.set_num_threads(1)): on 32 x 32 images torchvision's tensor
work only slows down with more, 8 times with 2 contended threads for all 18.
"""
import random

import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image

BOX = 0.7  # the object's box: 0.7 of the canvas side, centred (22 x 22 at (5, 5) on 32 x 32)
WHOLE = 0.3  # translate's range, as a fraction of the side, for an image with no transparent pixel
PIXELS = 0.3  # pixelate's side, as a fraction of the canvas side (9 pixels at 32)
ERASED = 14  # erasing's square, in pixels (at 32 x 32)


def seed_all(seed):
    """Seed every generator the pipeline draws from."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ----------------------------------------------------------------------------------------
# Sources: the object canvas and the background


def object_canvas(raw, size=32):
    """The object's RGBA canvas: raw (a PIL image of any size) squashed to size x size, shrunk to
    round(0.7 size) pixels and pasted centred on a transparent size x size canvas."""
    square = raw.convert("RGBA").resize((size, size), Image.Resampling.BILINEAR)
    side = round(BOX * size)
    # the second resize uses PIL's default filter, bicubic, as the original left it: it rings at
    # sharp edges (a flat 220 reads 216..224 next to them). A quirk of the original, kept. PIL
    # resizes RGBA premultiplied, so the colour of transparent pixels does not bleed into the edge
    obj = square.resize((side, side), Image.Resampling.BICUBIC)
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    canvas.paste(obj, ((size - side) // 2,) * 2)  # no mask: the pixels, alpha included, are copied
    return canvas


def background(img, size=32):
    """A background: the largest top-left square of img, resized to size x size, as RGB."""
    side = min(img.size)
    return img.convert("RGB").crop((0, 0, side, side)).resize((size, size), Image.Resampling.BILINEAR)


# ----------------------------------------------------------------------------------------
# The transformations that are not torchvision's (those are made directly in TRANSFORMS)


def translate(im):
    """The object box (round(0.7 S) pixels at the centre) moved so that its top-left corner lands at
    int(u * (S - box)) on each axis: a shift of -5..+4 at 32 x 32. The whole canvas moves, so a part
    of the object outside the box moves with it and is cut off at the canvas edge."""
    S = im.width
    if im.getchannel("A").getextrema()[0] > 0:  # no transparent pixel: a whole image, no object box
        # the original's arithmetic moves such an image right and down by int(u * 0.3 S) + 4 pixels
        # (4..13 at 32), never left or up. A quirk of the original, kept
        dx, dy = (int(random.random() * WHOLE * S) + int(WHOLE * S / 2) for _ in range(2))
    else:
        box = round(BOX * S)
        dx, dy = (int(random.random() * (S - box)) - (S - box) // 2 for _ in range(2))
    out = Image.new("RGBA", im.size, (0, 0, 0, 0))
    out.paste(im, (dx, dy))
    return out


def scale_to(im, f):
    """The whole canvas resized to round(S f) pixels and pasted centred on a transparent canvas.
    Only round(S f) == S leaves it unchanged (f >= 31.5 / 32 at 32): a resample, not an affine map."""
    S = im.width
    side = round(S * f)
    out = Image.new("RGBA", im.size, (0, 0, 0, 0))
    # PIL's default filter, bicubic, as the original left it; a plain paste, no mask
    out.paste(im.resize((side, side), Image.Resampling.BICUBIC), ((S - side) // 2,) * 2)
    return out


def scale(im):
    return scale_to(im, random.uniform(0.4, 1.0))


def noise(im):
    """Add clip(N(0, 1), 0, 1) to every value of an RGB image in [0, 1], then clip to [0, 1]. (The
    original's uint8 cast overflowed instead of clipping: a defect the project fixes, not kept.)"""
    a = np.asarray(im, dtype=np.float64) / 255
    a = np.clip(a + np.clip(np.random.normal(0, 1, a.shape), 0, 1), 0, 1)
    return Image.fromarray((a * 255).round().astype(np.uint8))


def pixelate(im):
    """Box-downsample to int(0.3 S) pixels and nearest-upsample back. PIL averages RGBA premultiplied,
    so the transparent pixels around an object do not darken its edge."""
    d = int(PIXELS * im.width)
    return im.resize((d, d), Image.Resampling.BOX).resize(im.size, Image.Resampling.NEAREST)


def erase(im):
    """A 14 x 14 square made transparent, its top-left corner at int(u * (S - 14)) on each axis."""
    x0, y0 = (int(random.random() * (im.width - ERASED)) for _ in range(2))
    out = im.copy()  # never change the caller's canvas
    out.paste((0, 0, 0, 0), (x0, y0, x0 + ERASED, y0 + ERASED))
    return out


def wrap(fn):
    """The original's wrapper for colour transformations: fn (its coin flip included) runs on the
    canvas as RGB (im.convert("RGB"), transparent pixels as stored, black on a fresh canvas), and
    the result is pasted through the canvas's alpha onto a new transparent canvas."""
    def wrapped(im):
        out = Image.new("RGBA", im.size, (0, 0, 0, 0))
        # pasting onto transparent black through the alpha mask multiplies the colour by alpha / 255
        # and keeps the alpha: soft-edged pixels darken on every pass through the wrapper, also when
        # fn's coin says no, and the composite multiplies by alpha again. A quirk of the original,
        # kept: the paper's data had it
        out.paste(fn(im.convert("RGB")), (0, 0), im.getchannel("A"))
        return out
    return wrapped


# The 18 transformations, in the original's order, each a callable PIL RGBA -> PIL RGBA that draws
# its own parameters and coin. torchvision's geometric ones sample nearest and fill with 0, which on
# an RGBA image is transparent; its other ones act on the four channels, alpha included, unless
# wrapped.
TRANSFORMS = {
    "translate": translate,
    "rotate": T.RandomRotation((0, 360)),
    "scale": scale,
    "v_flip": T.RandomVerticalFlip(0.5),
    "h_flip": T.RandomHorizontalFlip(0.5),
    "shear": T.RandomAffine(0, shear=(-50, 50, -50, 50)),
    "hue": wrap(T.ColorJitter(hue=0.5)),
    "brightness": wrap(T.ColorJitter(brightness=(0, 2))),
    "grayscale": wrap(T.RandomGrayscale(0.5)),
    "posterize": wrap(T.RandomPosterize(1, 0.5)),
    "invert": wrap(T.RandomInvert(0.5)),
    "sharpen": T.RandomAdjustSharpness(7, 0.5),  # PIL sharpens an RGBA image's colour and keeps its alpha
    "blur": T.GaussianBlur(7, (0.1, 1.5)),
    "noise": wrap(T.RandomApply([noise], p=0.5)),
    "pixelate": T.RandomApply([pixelate], p=0.5),
    "elastic": T.RandomApply([T.ElasticTransform(150.0, 5.0)], p=0.5),
    "erasing": T.RandomApply([erase], p=0.5),
    "contrast": wrap(T.ColorJitter(contrast=(0, 2))),
}


# ----------------------------------------------------------------------------------------
# Samples


def composite(fg, bg):
    """The transformed RGBA canvas fg pasted onto the RGB background bg through its own alpha."""
    out = bg.copy()
    out.paste(fg, (0, 0), fg)
    return out


def render(raw, bg, names):
    """One sample, the original's way: the raw object image's canvas (both resizes), each
    transformation of `names` in order, composited onto bg, a size x size RGB background (see
    background()). Returns a PIL RGB image."""
    im = object_canvas(raw, bg.width)
    for name in names:
        im = TRANSFORMS[name](im)
    return composite(im, bg)


def generate(names, n, raws, backgrounds, n_classes=30):
    """n samples as a uint8 tensor (n, 3, S, S), made one at a time as the original made them, the
    two resizes of the raw object image included. Sample i shows object raws[i % n_classes] (so
    classes are balanced, as in data.generate) on a background drawn with random.choice from
    `backgrounds` (PIL RGB images, already S x S: see background())."""
    S = backgrounds[0].width
    images = torch.empty(n, 3, S, S, dtype=torch.uint8)
    for i in range(n):
        out = render(raws[i % n_classes], random.choice(backgrounds), names)
        images[i] = torch.from_numpy(np.array(out)).permute(2, 0, 1)  # np.array copies: PIL's buffer is read-only
    return images
