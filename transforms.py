"""The 18 transformations of Transforms-2D (PROTOCOL.md section 2) as batched tensor operations.

Each transformation is a function f(x, r) of a float batch x (B, C, S, S) in [0, 1] and a
Rand r of per-sample random numbers, registered with its probability and category in
REGISTRY. Adding one is a function plus a line in REGISTRY, e.g. for a solarize:

    def solarize(x, r):
        return torch.where(x >= r.uniform(0, 0.3, 0.7)[:, None, None, None], 1 - x, x)

    "solarize": Transform(solarize, 0.5, "photometric", rgb=True),

It is then a valid name everywhere (data.generate, --transforms, the figures, bench.py); nothing
else needs to change (tests/test_forks.py makes one in a scratch copy). The experiments draw from
the paper's 18 only (paper.py). The tests compare every transformation with the torchvision/PIL
function of the same name, and the images, in distribution and pixel for pixel, with the original's
per-sample pipeline (original.py).
"""
import math
import zlib
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

import torch
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------
# Counter-based randomness: every number is a hash of (key, sample index, stream), so a
# sample never depends on its batch, the worker count or what was generated before it.

M32 = 0xFFFFFFFF


def hash32(x):
    # lowbias32 (C. Wellons): a good 32-bit integer hash, on ints and on int64 tensors holding
    # 32-bit values. The second product can pass 2^63 and wrap; its low 32 bits stay exact
    # (tests compare against Python's unbounded ints).
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & M32
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & M32
    return x ^ (x >> 16)


def hash_key(*parts):
    """Fold ints and strings into one 32-bit key (crc32 for strings: stable across runs)."""
    h = 0x9E3779B9
    for p in parts:
        p = zlib.crc32(p.encode()) if isinstance(p, str) else p
        h = hash32(h ^ (p & M32))
    return h


class Rand:
    """Per-sample random numbers: `keys` holds one 32-bit key per sample (an int64 tensor)."""

    def __init__(self, keys):
        self.keys = keys

    def __getitem__(self, mask):
        return Rand(self.keys[mask])

    def _bits(self, stream):
        return hash32(self.keys ^ hash_key(*stream if isinstance(stream, tuple) else (stream,)))

    def uniform(self, stream, low=0.0, high=1.0):
        u = (self._bits(stream) >> 8).float() * 2.0**-24  # 24 bits: exact in float32, [0, 1)
        return low + (high - low) * u

    def integers(self, stream, high):
        """Uniform integers in [0, high); high may be a per-sample tensor."""
        return (self.uniform(stream) * high).long()

    def pixels(self, stream, *shape):
        """(B, *shape) uniform [0, 1) numbers, one per element."""
        per_sample = self._bits(stream).view(-1, *[1] * len(shape))
        bits = hash32(per_sample ^ _position_hash(shape, self.keys.device))
        return (bits >> 8).float() * 2.0**-24

    def normal(self, stream, *shape):
        return math.sqrt(2) * torch.erfinv(2 * self.pixels(stream, *shape) - 1)  # inverse CDF


@lru_cache(maxsize=16)
def _position_hash(shape, device):
    return hash32(torch.arange(math.prod(shape), device=device).view(1, *shape) + 0x5BD1E995)


# ----------------------------------------------------------------------------------------
# The 18 transformations. Each takes x, a float (B, C, S, S) batch in [0, 1], and r, a Rand,
# and returns the transformed batch. Most get the RGBA canvas (straight colour, transparent pixels
# black), so the alpha moves with the object; the "rgb" ones get the RGB channels and run inside the
# original's wrapper (apply_). rotate and shear sample nearest, torchvision's default.


def _affine(x, angle=0.0, shear_x=0.0, shear_y=0.0):
    """Batched torchvision F.affine: inverse matrix about the centre, nearest sampling, zero
    (transparent) fill. Angles in degrees; each argument a number or a (B,) tensor."""
    B, C, S, _ = x.shape
    rot, sx, sy = (torch.deg2rad(torch.as_tensor(t, dtype=torch.float64, device=x.device))
                   for t in (angle, shear_x, shear_y))
    a = torch.cos(rot - sy) / torch.cos(sy)
    b = -torch.cos(rot - sy) * torch.tan(sx) / torch.cos(sy) - torch.sin(rot)
    c = torch.sin(rot - sy) / torch.cos(sy)
    d = -torch.sin(rot - sy) * torch.tan(sx) / torch.cos(sy) + torch.cos(rot)
    inv = torch.stack(torch.broadcast_tensors(d, -b, -c, a), -1).expand(B, 4)
    inv = (inv / (S / 2)).float()
    pos = torch.arange(S, device=x.device) - S / 2 + 0.5  # pixel centres about the centre
    px, py = pos[None, None, :], pos[None, :, None]
    gx = inv[:, 0, None, None] * px + inv[:, 1, None, None] * py
    gy = inv[:, 2, None, None] * px + inv[:, 3, None, None] * py
    grid = torch.stack([gx, gy], -1)  # (B, S, S, 2) in grid_sample's [-1, 1] coordinates
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


OBJECT_BOX = 0.7  # the object's box: 0.7 of the canvas side, centred (sources.canvas)
WHOLE_RANGE = 0.3  # the original's translation range for an image without an object box


def _shift(u, whole, S):
    """translate's shift along one axis from a uniform u in [0, 1) (see translate)."""
    box = round(OBJECT_BOX * S)
    of_box = (u * (S - box)).floor() - (S - box) // 2  # box top-left uniform in 0..S-box-1: -5..+4
    of_image = (u * WHOLE_RANGE * S).floor() + int(WHOLE_RANGE * S / 2)  # 4..13
    return torch.where(whole, of_image, of_box)


def translate(x, r):
    """The object box moved to a uniform integer position where it fits, as the original
    computes it. The box is the prototype's, 0.7 of the side at the centre (22 pixels at (5, 5) on
    a 32-pixel canvas), whatever the object became inside it; its top-left corner goes to
    int(u * (32 - 22)) on each axis: a shift of -5..+4 pixels.

    The box is fixed because a transformation sees only its canvas: a scale earlier in the list
    shrinks the object, not this box (the original shrinks its box too, so a scaled object
    travels further there, -14..+8 pixels at 0.4; no experiment puts scale before
    translate). A rotated or sheared object may stick out of the box and be cut off at the
    canvas edge, as in the original.

    A whole image (no transparent pixel: data.cifar's canvases) has no box, and the rule above would
    leave it in place. It moves as the original moves a plain image: right and down by
    int(u * 0.3 * 32) + 4 = 4..13 pixels (0.3 is the original's range for it, the +4 a quirk of
    its box arithmetic), uncovering black.
    """
    whole = (x[:, 3] > 0).flatten(1).all(1)
    B, C, S, _ = x.shape
    # an integer shift: the pixel each output pixel comes from (one gather over the flattened
    # image, the fastest way on a CPU), transparent where none
    ar = torch.arange(S, device=x.device)
    rows = ar - _shift(r.uniform(0), whole, S).long()[:, None]  # (B, S)
    cols = ar - _shift(r.uniform(1), whole, S).long()[:, None]
    inside = ((rows >= 0) & (rows < S))[:, :, None] & ((cols >= 0) & (cols < S))[:, None, :]  # (B, S, S)
    source = (rows.clamp(0, S - 1)[:, :, None] * S + cols.clamp(0, S - 1)[:, None, :]).view(B, 1, S * S)
    x = x.flatten(2).gather(2, source.expand(B, C, S * S)).view(B, C, S, S)
    return x * inside[:, None]


def rotate(x, r):
    return _affine(x, angle=-r.uniform(0, 0, 360))  # F.rotate(img, angle) turns the other way


def _cubic(t, a=-0.5):
    """PIL's bicubic kernel (a = -0.5)."""
    t = abs(t)
    return ((a + 2) * t - (a + 3)) * t * t + 1 if t < 1 else ((((t - 5) * t + 8) * t - 4) * a if t < 2 else 0.0)


@lru_cache(maxsize=8)
def _resize_matrices(S, device):
    """(S + 1, S, S): for each side d, the matrix that resizes an S-pixel line to d pixels as PIL's
    bicubic resize does (its kernel widened by S / d when shrinking, every row normalised) and
    puts the result at rows (S - d) // 2 .. + d of an S-pixel line, zero elsewhere."""
    out = torch.zeros(S + 1, S, S, dtype=torch.float64)
    out[S] = torch.eye(S)  # PIL returns an image resized to its own size unchanged
    for d in range(1, S):
        step = S / d
        support, lo = 2 * step, (S - d) // 2
        for i in range(d):
            centre = (i + 0.5) * step
            first, last = max(int(centre - support + 0.5), 0), min(int(centre + support + 0.5), S)
            w = torch.tensor([_cubic((j - centre + 0.5) / step) for j in range(first, last)], dtype=torch.float64)
            out[d, lo + i, first:last] = w / w.sum()
    return out.float().to(device)


def scale(x, r):
    """The original's RandomScale: the whole canvas resized to side = round(S f) pixels with PIL's
    bicubic filter and pasted at ((S - side) // 2, same) on a transparent canvas, f uniform in
    [0.4, 1]. A resample, not an affine map: only side == S leaves the image as it was. Like PIL,
    it resizes premultiplied colour, rows first, and clips after each pass."""
    S = x.shape[-1]
    side = torch.round(r.uniform(0, 0.4, 1.0) * S).long()  # half to even, as Python's round()
    m = _resize_matrices(S, x.device)[side][:, None]  # (B, 1, S, S)
    alpha = x[:, 3:]
    premultiplied = torch.cat([x[:, :3] * alpha, alpha], 1)
    out = (m @ (premultiplied @ m.transpose(-1, -2)).clamp_(0, 1)).clamp_(0, 1)  # (B, 4, S, S)
    a = out[:, 3:]
    return torch.cat([(out[:, :3] / torch.where(a > 0, a, 1)).clamp_(0, 1), a], 1)


def shear(x, r):
    return _affine(x, shear_x=r.uniform(0, -50, 50), shear_y=r.uniform(1, -50, 50))


def v_flip(x, r):
    return x.flip(-2)


def h_flip(x, r):
    return x.flip(-1)


def _gray(rgb):
    return (0.2989 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]).unsqueeze(1)


def hsv_to_rgb(h, s, v):
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
    return hsv_to_rgb(h, chroma / torch.where(v > 0, v, 1), v)


def brightness(x, r):
    return (x * r.uniform(0, 0, 2)[:, None, None, None]).clamp(0, 1)


def contrast(x, r):
    # PIL's ImageEnhance.Contrast: towards the grey mean of the whole RGB image, transparent
    # (black) pixels included
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
    # PIL's Sharpness, as the original applied it to the RGBA canvas: the colour (straight, the
    # transparent pixels black) blended with its 3x3 smoothing (centre weight 5, border pixels
    # kept) and clipped; the alpha is kept
    rgb = x[:, :3]
    rows = rgb[..., :, :-2] + rgb[..., :, 1:-1] + rgb[..., :, 2:]  # 3x3 box sum, separably
    box = rows[..., :-2, :] + rows[..., 1:-1, :] + rows[..., 2:, :]  # (B, 3, S - 2, S - 2)
    smooth = rgb.clone()
    smooth[..., 1:-1, 1:-1] = (box + 4 * rgb[..., 1:-1, 1:-1]) / 13
    return torch.cat([(factor * rgb + (1 - factor) * smooth).clamp(0, 1), x[:, 3:]], 1)


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


@lru_cache(maxsize=16)
def _box_matrix(S, d, device):
    """(d, S) averaging matrix of PIL's BOX filter from S to d pixels: input j goes to the
    output i whose window (i S/d, (i+1) S/d] holds its centre j + 0.5."""
    group = torch.tensor([math.ceil((j + 0.5) * d / S) - 1 for j in range(S)])
    onehot = (group[None] == torch.arange(d)[:, None]).float()
    return (onehot / onehot.sum(1, keepdim=True)).to(device)


def pixelate(x, r, factor=0.3):
    # PIL's BOX resize of an RGBA image averages premultiplied colour, so the transparent black
    # around an object does not darken its edge
    S = x.shape[-1]
    d = max(1, int(factor * S))
    box = _box_matrix(S, d, x.device)
    alpha = x[:, 3:]
    a = box @ alpha @ box.T  # (B, 1, S, S) -> (B, 1, d, d)
    rgb = (box @ (x[:, :3] * alpha) @ box.T / torch.where(a > 0, a, 1)).clamp_(0, 1)
    return F.interpolate(torch.cat([rgb, a], 1), size=(S, S), mode="nearest-exact")  # PIL's NEAREST


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
    y0, x0 = r.integers(0, S - k), r.integers(1, S - k)  # the original's int(u * (32 - 14)): 0..17
    ar = torch.arange(S, device=x.device)
    rows = (ar >= y0[:, None]) & (ar < y0[:, None] + k)
    cols = (ar >= x0[:, None]) & (ar < x0[:, None] + k)
    return x * ~(rows[:, :, None] & cols[:, None, :])[:, None]


class Transform(NamedTuple):
    fn: Callable
    p: float  # probability of applying it to a sample
    category: str
    rgb: bool = False  # runs on the RGB image inside the original's wrapper (apply_), not on the canvas


REGISTRY = {  # PROTOCOL.md section 2; the order is the API
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
    "sharpen": Transform(sharpen, 0.5, "photometric"),  # on the canvas, as the original; PIL keeps its alpha
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
    """A list (or comma-separated string) of transformation or category names -> names, each at
    most once (a transformation twice in a chain is not the paper's), none for nothing."""
    if isinstance(names, str):
        names = [] if names.strip() == "none" else names.split(",")
    out = []
    for n in (n.strip() for n in names):
        if not n:
            raise ValueError(f"an empty transformation name in {','.join(names)!r} (two commas, or one at an end?)")
        if n not in REGISTRY and n not in CATEGORIES:
            raise ValueError(f"unknown transformation {n!r}; valid names: "
                             f"{', '.join(TRANSFORMS)}; categories: {', '.join(CATEGORIES)}")
        for name in CATEGORIES.get(n, [n]):
            if name in out:
                raise ValueError(f"the transformation {name!r} is listed twice in {','.join(names)!r}")
            out.append(name)
    return out


def apply_all(x, names, idx, key):
    """The transformations `names`, in order, on the canvases x (B, 4, S, S) of samples idx:
    each sample's parameters are a hash of (key, its index, the transformation's position)."""
    per_sample = hash32(hash32(idx) ^ key)
    for k, name in enumerate(names):
        x = apply_(name, x, Rand(hash32(per_sample ^ hash_key(k))))
    return x


def apply_(name, x, r):
    """Apply one registered transformation to RGBA canvases x (B, 4, S, S), each sample with the
    transformation's probability; only the chosen samples are computed. Overwrites x (it saves a
    copy per transformation) and returns the result.

    An "rgb" transformation runs as the original ran it, inside its wrapper (PROTOCOL.md section
    2.1): on the canvas's RGB image (transparent pixels black), the coin flip inside, the result
    pasted through the canvas's alpha onto a transparent canvas. That paste multiplies the colour by
    alpha, so soft edges darken on every sample, chosen or not, and again at the composite: the
    paper's images had it, so these do too."""
    t = REGISTRY[name]
    if t.p == 1:
        x = t.fn(x, r) if not t.rgb else torch.cat([t.fn(x[:, :3], r), x[:, 3:]], 1)
    else:  # index_select and index_copy_: on a CPU several times faster than x[chosen]
        chosen = (r.uniform("p") < t.p).nonzero()[:, 0]
        part = x.index_select(0, chosen)
        x.index_copy_(0, chosen, t.fn(part, r[chosen]) if not t.rgb else
                      torch.cat([t.fn(part[:, :3], r[chosen]), part[:, 3:]], 1))
    if t.rgb:
        x[:, :3] *= x[:, 3:]  # the wrapper's paste
    return x
