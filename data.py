"""Transforms-2D: seeded synthetic images of objects under transformations (SPEC sections 1, 2).

A sample is one class's object prototype, transformed by every transformation in a list
(each with its own random parameters and probability), alpha-composited onto a background.
Everything is batched tensor code, on CPU or CUDA, and sample i is a pure function of
(seed, split, i): the same arguments give the same images on any machine and batch size.

    python data.py --transforms rotate,hue --n 64 --out grid.png

writes a labelled 8 x 8 grid in about two seconds on a laptop CPU. Objects and backgrounds
are procedural by default; `--objects DIR --backgrounds DIR` (or SI_SCORE_DIR) reads SI-Score
images instead. Adding a transformation is one function plus one line in REGISTRY.
"""
import argparse
import math
import os
import sys
import zlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F

N_OBJECTS = 61  # procedural and random objects, as many as SI-Score has
N_BACKGROUNDS = 867
SPLITS = ("train", "val", "test")

# ----------------------------------------------------------------------------------------
# Counter-based randomness: every number is a hash of (key, sample index, stream), so a
# sample never depends on its batch, the worker count or what was generated before it.

M32 = 0xFFFFFFFF


def _mul32(x, c):
    # x * c mod 2^32 in 16-bit halves, so int64 tensors never overflow
    return (x * (c & 0xFFFF) + (((x * (c >> 16)) & 0xFFFF) << 16)) & M32


def _mix(x):
    # lowbias32 (C. Wellons): a good 32-bit integer hash; works on ints and int64 tensors
    x = x ^ (x >> 16)
    x = _mul32(x, 0x7FEB352D)
    x = x ^ (x >> 15)
    x = _mul32(x, 0x846CA68B)
    return x ^ (x >> 16)


def _key(*parts):
    """Fold ints and strings into one 32-bit key (crc32 for strings: stable across runs)."""
    h = 0x9E3779B9
    for p in parts:
        p = zlib.crc32(p.encode()) if isinstance(p, str) else p
        h = _mix(h ^ (p & M32))
    return h


class Rand:
    """Per-sample random numbers: `keys` holds one 32-bit key per sample (an int64 tensor)."""

    def __init__(self, keys):
        self.keys = keys

    def __getitem__(self, mask):
        return Rand(self.keys[mask])

    def _bits(self, stream):
        return _mix(self.keys ^ _key(*stream if isinstance(stream, tuple) else (stream,)))

    def uniform(self, stream, low=0.0, high=1.0):
        u = (self._bits(stream) >> 8).float() * 2.0**-24  # 24 bits: exact in float32, [0, 1)
        return low + (high - low) * u

    def integers(self, stream, high):
        """Uniform integers in [0, high); high may be a per-sample tensor."""
        return (self.uniform(stream) * high).long()

    def pixels(self, stream, *shape):
        """(B, *shape) uniform [0, 1) numbers, one per element."""
        pos = torch.arange(math.prod(shape), device=self.keys.device).view(1, *shape)
        bits = _mix(self._bits(stream).view(-1, *[1] * len(shape)) ^ _mix(pos))
        return (bits >> 8).float() * 2.0**-24

    def normal(self, stream, *shape):
        u1, u2 = self.pixels((stream, 1), *shape), self.pixels((stream, 2), *shape)
        return torch.sqrt(-2 * torch.log1p(-u1)) * torch.cos(2 * math.pi * u2)  # Box-Muller


# ----------------------------------------------------------------------------------------
# The 18 transformations. Each takes x, a float (B, C, S, S) batch in [0, 1], and r, a Rand,
# and returns the transformed batch. "obj" ones get the RGBA canvas, so alpha moves with the
# object; "rgb" ones get the RGB channels (transparent pixels are black) and alpha is kept.
# Geometric ones use nearest interpolation, torchvision's default for RandomRotation/Affine.


def _shift(x, dx, dy):
    """Move each image by integer (dx, dy) pixels, filling with zeros (transparent)."""
    B, C, S, _ = x.shape
    ar = torch.arange(S, device=x.device)
    ys, xs = ar - dy[:, None], ar - dx[:, None]  # source row/column of each output pixel
    inside = ((ys >= 0) & (ys < S))[:, :, None] & ((xs >= 0) & (xs < S))[:, None, :]
    src = ys.clamp(0, S - 1)[:, :, None] * S + xs.clamp(0, S - 1)[:, None, :]  # (B, S, S)
    out = x.flatten(2).gather(2, src.view(B, 1, -1).expand(B, C, -1)).view_as(x)
    return out * inside[:, None]


def _affine(x, angle, scale, shear_x, shear_y):
    """Batched torchvision F.affine (inverse matrix about the centre, nearest, zero fill);
    angles in degrees, per-sample (B,) tensors."""
    B, C, S, _ = x.shape
    rot, sx, sy = (torch.deg2rad(t.double()) for t in (angle, shear_x, shear_y))
    a = torch.cos(rot - sy) / torch.cos(sy)
    b = -torch.cos(rot - sy) * torch.tan(sx) / torch.cos(sy) - torch.sin(rot)
    c = torch.sin(rot - sy) / torch.cos(sy)
    d = -torch.sin(rot - sy) * torch.tan(sx) / torch.cos(sy) + torch.cos(rot)
    inv = torch.stack([d, -b, -c, a], 1) / (scale.double()[:, None] * 0.5 * S)  # (B, 4)
    inv = inv.float()
    pos = torch.arange(S, device=x.device) - S / 2 + 0.5  # pixel centres about the centre
    gx = inv[:, 0, None, None] * pos[None, None, :] + inv[:, 1, None, None] * pos[None, :, None]
    gy = inv[:, 2, None, None] * pos[None, None, :] + inv[:, 3, None, None] * pos[None, :, None]
    grid = torch.stack([gx, gy], -1)  # (B, S, S, 2) in grid_sample's [-1, 1] coordinates
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def _bbox_shift(present, r, stream):
    """Random shift moving the occupied span of `present` (B, S) anywhere inside [0, S)."""
    S = present.shape[1]
    first = present.float().argmax(1)
    last = S - 1 - present.flip(1).float().argmax(1)
    span = (last - first + 1).clamp(min=1)
    return r.integers(stream, S - span + 1) - first


def translate(x, r):
    occupied = x[:, 3] > 0  # (B, S, S)
    dy = _bbox_shift(occupied.any(2), r, 0)
    dx = _bbox_shift(occupied.any(1), r, 1)
    return _shift(x, dx, dy)


def rotate(x, r):
    zero = torch.zeros(len(x), device=x.device)
    return _affine(x, -r.uniform(0, 0, 360), zero + 1, zero, zero)  # F.rotate(img, angle)


def scale(x, r):
    zero = torch.zeros(len(x), device=x.device)
    return _affine(x, zero, r.uniform(0, 0.4, 1.0), zero, zero)


def shear(x, r):
    zero = torch.zeros(len(x), device=x.device)
    return _affine(x, zero, zero + 1, r.uniform(0, -50, 50), r.uniform(1, -50, 50))


def v_flip(x, r):
    return x.flip(-2)


def h_flip(x, r):
    return x.flip(-1)


def _gray(rgb):
    return (0.2989 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]).unsqueeze(1)


def _hsv_to_rgb(h, s, v):
    """(B, H, W) hue in turns, saturation, value -> (B, 3, H, W) RGB."""
    n = torch.tensor([5.0, 3.0, 1.0], device=h.device)[None, :, None, None]
    k = (n + 6 * h[:, None]) % 6
    return v[:, None] - (v * s)[:, None] * torch.minimum(k, 4 - k).clamp(0, 1)


def hue(x, r):
    # RGB -> HSV, hue shifted, -> RGB, as torchvision's adjust_hue
    v, _ = x.max(1)
    chroma = v - x.min(1)[0]
    c = torch.where(chroma > 0, chroma, 1)
    red, green, blue = x.unbind(1)
    h = torch.where(v == red, (green - blue) / c,
                    torch.where(v == green, 2 + (blue - red) / c, 4 + (red - green) / c))
    h = torch.where(chroma > 0, h / 6, 0) + r.uniform(0, -0.5, 0.5)[:, None, None]
    return _hsv_to_rgb(h, chroma / torch.where(v > 0, v, 1), v)


def brightness(x, r):
    return (x * r.uniform(0, 0, 2)[:, None, None, None]).clamp(0, 1)


def contrast(x, r):
    f = r.uniform(0, 0, 2)[:, None, None, None]
    mean = _gray(x).mean((1, 2, 3), keepdim=True)
    return (f * x + (1 - f) * mean).clamp(0, 1)


def grayscale(x, r):
    return _gray(x).expand_as(x)


def posterize(x, r):
    # keep 1 bit of the uint8 value: >= 128 -> 128, else 0
    return torch.where((x * 255).round() >= 128, 128 / 255, 0.0)


def invert(x, r):
    return 1 - x


def sharpen(x, r, factor=7.0):
    # PIL/torchvision: blend with a 3x3 smoothed image (centre weight 5); border pixels kept
    p = F.pad(x, (1, 1, 1, 1))
    S = x.shape[-1]
    smooth = sum(p[..., i:i + S, j:j + S] for i in range(3) for j in range(3)) + 4 * x
    smooth = smooth / 13
    smooth[..., [0, -1], :] = x[..., [0, -1], :]
    smooth[..., :, [0, -1]] = x[..., :, [0, -1]]
    return (factor * x + (1 - factor) * smooth).clamp(0, 1)


def _separable(x, kernel):
    """Convolve each image of x (B, C, S, S) with its own 1-D kernel (B, K) along both axes,
    reflect padding (torchvision's gaussian_blur). Shifted sums, not conv2d: the result of
    a sample does not depend on the batch it is computed in."""
    K, S = kernel.shape[1], x.shape[-1]
    w = kernel[:, :, None, None, None]
    x = F.pad(x, (0, 0, K // 2, K // 2), mode="reflect")
    x = sum(w[:, k] * x[..., k:k + S, :] for k in range(K))
    x = F.pad(x, (K // 2, K // 2, 0, 0), mode="reflect")
    return sum(w[:, k] * x[..., :, k:k + S] for k in range(K))


def _gaussian(sigma, size):
    t = torch.arange(size, device=sigma.device) - (size - 1) / 2
    pdf = torch.exp(-0.5 * (t[None] / sigma[:, None]) ** 2)
    return pdf / pdf.sum(1, keepdim=True)


def blur(x, r):
    return _separable(x, _gaussian(r.uniform(0, 0.1, 1.5), 7)).clamp(0, 1)  # rounding: 1 + 1e-7


def noise(x, r):
    return (x + r.normal(0, *x.shape[1:]).clamp(0, 1)).clamp(0, 1)


def _box_groups(S, d):
    """PIL's BOX filter from S to d pixels: input j goes to the output i whose window
    (i*S/d, (i+1)*S/d] holds its centre j + 0.5."""
    return [math.ceil((j + 0.5) * d / S) - 1 for j in range(S)]


def pixelate(x, r, factor=0.3):
    S = x.shape[-1]
    d = max(1, int(factor * S))
    groups = torch.tensor(_box_groups(S, d))
    spans = [(int((groups < i).sum()), int((groups <= i).sum())) for i in range(d)]
    x = torch.stack([x[..., a:b, :].mean(-2) for a, b in spans], -2)  # (B, C, d, S)
    x = torch.stack([x[..., a:b].mean(-1) for a, b in spans], -1)  # (B, C, d, d)
    up = ((torch.arange(S) + 0.5) * d / S).long().to(x.device)  # nearest upsampling
    return x[..., up, :][..., up]


def elastic(x, r, alpha=150.0, sigma=5.0):
    # torchvision ElasticTransform: uniform [-1, 1) field, Gaussian-blurred, scaled by
    # alpha / size, added to the identity grid, bilinear sampling
    B, C, S, _ = x.shape
    field = r.pixels(0, 2, S, S) * 2 - 1
    ksize = min(int(8 * sigma + 1) | 1, 2 * S - 1)  # reflect padding needs kernel < 2S
    kernel = _gaussian(torch.full((B,), sigma, device=x.device), ksize)
    disp = _separable(field, kernel).permute(0, 2, 3, 1) * alpha / S  # (B, S, S, 2)
    pos = (2 * torch.arange(S, device=x.device) + 1) / S - 1
    ident = torch.stack(torch.meshgrid(pos, pos, indexing="xy"), -1)  # (S, S, 2) as (x, y)
    return F.grid_sample(x, ident + disp, mode="bilinear", padding_mode="zeros",
                         align_corners=False)


def erasing(x, r, side=14 / 32):
    S = x.shape[-1]
    k = round(side * S)
    y0, x0 = r.integers(0, S - k + 1), r.integers(1, S - k + 1)
    ar = torch.arange(S, device=x.device)
    rows = (ar >= y0[:, None]) & (ar < y0[:, None] + k)
    cols = (ar >= x0[:, None]) & (ar < x0[:, None] + k)
    return x * ~(rows[:, :, None] & cols[:, None, :])[:, None]


class Transform(NamedTuple):
    fn: Callable
    p: float  # probability of applying it to a sample
    category: str
    rgb: bool = False  # acts on RGB only (alpha kept) instead of the RGBA canvas


REGISTRY = {  # SPEC section 2; the order is the API
    "translate": Transform(translate, 1.0, "geometric"),
    "rotate": Transform(rotate, 1.0, "geometric"),
    "scale": Transform(scale, 1.0, "geometric"),
    "v_flip": Transform(v_flip, 0.5, "geometric"),
    "h_flip": Transform(h_flip, 0.5, "geometric"),
    "shear": Transform(shear, 1.0, "geometric"),
    "hue": Transform(hue, 1.0, "photometric", rgb=True),
    "brightness": Transform(brightness, 1.0, "photometric", rgb=True),
    "grayscale": Transform(grayscale, 0.5, "photometric", rgb=True),
    "posterize": Transform(posterize, 0.5, "photometric", rgb=True),
    "invert": Transform(invert, 0.5, "photometric", rgb=True),
    "sharpen": Transform(sharpen, 0.5, "photometric"),
    "blur": Transform(blur, 1.0, "corruption"),
    "noise": Transform(noise, 0.5, "corruption", rgb=True),
    "pixelate": Transform(pixelate, 0.5, "corruption"),
    "elastic": Transform(elastic, 0.5, "corruption"),
    "erasing": Transform(erasing, 0.5, "corruption"),
    "contrast": Transform(contrast, 1.0, "corruption", rgb=True),
}
TRANSFORMS = list(REGISTRY)
CATEGORIES = {}
for _name, _t in REGISTRY.items():
    CATEGORIES.setdefault(_t.category, []).append(_name)


def parse_transforms(names):
    """A list (or comma-separated string) of transformation or category names -> names."""
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip() not in ("", "none")]
    out = []
    for n in (n.strip() for n in names):
        if n not in REGISTRY and n not in CATEGORIES:
            raise ValueError(f"unknown transformation {n!r}; valid names: "
                             f"{', '.join(TRANSFORMS)}; categories: {', '.join(CATEGORIES)}")
        out += CATEGORIES.get(n, [n])
    return out


def apply(name, x, r):
    """Apply one registered transformation to RGBA canvases x (B, 4, S, S), with its
    probability: the transformation runs on the chosen samples only."""
    t = REGISTRY[name]
    if t.p < 1:
        chosen = r.uniform("p") < t.p
        out = x.clone()
        out[chosen] = _apply_always(t, x[chosen], r[chosen])
        return out
    return _apply_always(t, x, r)


def _apply_always(t, x, r):
    if t.rgb:
        return torch.cat([t.fn(x[:, :3], r), x[:, 3:]], 1)
    return t.fn(x, r)


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
    g = torch.Generator().manual_seed(_key("object", k))

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
    palette = _hsv_to_rgb(hues[:, None, None], 0.45 + 0.55 * rnd(3, 1, 1), 0.3 + 0.7 * rnd(3, 1, 1))
    rgb = palette[:, :, 0, 0][idx.long() % 3].permute(2, 0, 1)  # (3, res, res)
    return torch.cat([rgb, alpha[None]])


def _random_object(k, box):
    noise = Rand(torch.tensor([_key("random object", k)])).pixels(0, 3, box, box)[0]
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
    r = Rand(_mix(torch.arange(n, device=device) ^ _key("background")))

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
    sky = _hsv_to_rgb(sky_h[:, None, None].expand(-1, size, size), sky_s.clamp(0, 1), sky_v)
    grass = _hsv_to_rgb(r.uniform(5, 0.06, 0.35)[:, None, None].expand(-1, size, size),
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


def generate(transforms, n, *, classes=range(30), seed=0, split="train", size=32,
             objects="procedural", backgrounds="procedural", device="cpu", batch_size=4096,
             transform_seed=None):
    """n Transforms-2D samples: (images uint8 (n, 3, size, size), labels int64 (n,)), both
    on `device`. Labels are positions in `classes` (object indices); sample i has label
    i % len(classes), so classes are balanced. Its background is a hash of (seed, split, i)
    and its transformation parameters a hash of (transform_seed, split, i): two calls that
    differ only in transform_seed show the same objects on the same backgrounds."""
    names = parse_transforms(transforms)
    if n < 1:
        raise ValueError(f"the number of samples must be at least 1, got {n}")
    classes = list(classes)
    if not classes:
        raise ValueError("no classes given")
    device = _device(device)
    protos = _object_canvases(str(objects), size, device)
    bad = [c for c in classes if not 0 <= c < len(protos)]
    if bad:
        raise ValueError(f"class {bad[0]} is out of range: {len(protos)} objects in {objects}")
    pool = None if backgrounds == "random" else _background_pool(str(backgrounds), size, device)
    sample_key = _key(seed, split)
    transform_key = _key(seed if transform_seed is None else transform_seed, split)
    class_ids = torch.tensor(classes, device=device)
    labels = torch.arange(n, device=device) % len(classes)
    images = torch.empty(n, 3, size, size, dtype=torch.uint8, device=device)
    for start in range(0, n, batch_size):
        idx = torch.arange(start, min(n, start + batch_size), device=device)
        x = protos[class_ids[labels[idx]]]  # (B, 4, S, S)
        per_sample = _mix(_mix(idx) ^ transform_key)
        for k, name in enumerate(names):
            x = apply(name, x, Rand(_mix(per_sample ^ _key(k))))
        r = Rand(_mix(_mix(idx) ^ sample_key))
        if pool is None:  # "random": fresh uniform noise per sample
            bg = (r.pixels("background", 3, size, size) * 256).floor() / 255
        else:
            bg = pool[r.integers("background", len(pool))].float() / 255
        rgb, alpha = x[:, :3], x[:, 3:]
        images[start:start + len(idx)] = (rgb * alpha + bg * (1 - alpha)).mul_(255).round_().to(torch.uint8)
    return images, labels


def parse_classes(spec):
    """'0-29' or '0,3,7' or '0-4,10-14' -> list of object indices."""
    out = []
    for part in str(spec).split(","):
        lo, _, hi = part.strip().partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise ValueError(f"bad class list {spec!r}: use e.g. 0-29 or 0,3,7")
        out += range(int(lo), int(hi or lo) + 1)
    return out


def get_args_parser():
    default_dir = os.environ.get("SI_SCORE_DIR", "procedural")
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
    p.add_argument("--size", type=int, default=32, help="image size (default: %(default)s)")
    p.add_argument("--objects", default=default_dir,
                   help="procedural, random, or an SI-Score folder with foregrounds/<class>/*.png "
                        "(default: $SI_SCORE_DIR or procedural: %(default)s)")
    p.add_argument("--backgrounds", default=default_dir,
                   help="procedural, random, or an SI-Score folder with backgrounds/*.jpg "
                        "(default: $SI_SCORE_DIR or procedural: %(default)s)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default: %(default)s)")
    p.add_argument("--out", default="figures/grid.png", help="image to write (default: %(default)s)")
    return p


def main(args):
    import plots  # matplotlib only for the picture, not for generating data

    try:
        classes = parse_classes(args.classes)
        images, labels = generate(args.transforms, args.n, classes=classes, seed=args.seed,
                                  split=args.split, size=args.size, objects=args.objects,
                                  backgrounds=args.backgrounds, device=args.device)
    except ValueError as e:
        sys.exit(f"data.py: error: {e}")
    titles = [str(classes[i]) for i in labels.tolist()]
    plots.image_grid(images.cpu(), titles, args.out, title=f"transforms: {args.transforms}")
    print(f"wrote {args.out}: {args.n} samples, transforms {args.transforms}")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
