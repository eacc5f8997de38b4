"""The sources of a Transforms-2D sample: its object and its background (PROTOCOL.md section 1).

An object is an RGBA canvas (4, S, S), made once per class from its raw image as the original
made it: squashed to S x S (bilinear), resized by 0.7 (PIL's bicubic, which rings at sharp
edges) and pasted at the centre of a transparent S x S canvas. Raw images are procedural by
default (61 asymmetric shapes with three-colour patterns and soft edges), the paper's "random"
variant (a fixed uniform-noise square per class), or read from an SI-Score folder
(foregrounds/<class>/*.png, the first file of a class its prototype). Backgrounds are 867
procedural nature-like scenes by default, or SI-Score's backgrounds/*.jpg (largest top-left
square, resized to S x S). Extensions are read in any case; a file that cannot be read, or an
object that is fully transparent, is refused with a line naming it.

    python -c "import sources; print(sources.object_canvases('procedural', 32, 'cpu').shape)"
"""
import math
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F

from transforms import OBJECT_BOX, Rand, hash32, hash_key, hsv_to_rgb

N_OBJECTS = 61  # procedural and random objects, as many as SI-Score has
N_BACKGROUNDS = 867


def to_pil(x):
    """A float RGBA image (4, H, W) in [0, 1] as a PIL RGBA image (rounded to uint8)."""
    from PIL import Image

    return Image.fromarray((x * 255).round().byte().permute(1, 2, 0).numpy(), "RGBA")


def from_pil(im):
    """A PIL RGBA image as a float tensor (4, H, W) in [0, 1]."""
    return torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).view(im.height, im.width, 4) \
        .permute(2, 0, 1).float() / 255


def canvas(raw, size):
    """The original's object canvas from a raw PIL RGBA image: squashed to size x size (bilinear),
    resized to round(0.7 size) (PIL's default filter, bicubic: at sharp edges it rings, a flat 220
    becoming 224, 221, 223, 216, as the paper's images did) and pasted, pixels and alpha copied, at
    the centre of a transparent canvas. PIL resizes RGBA with premultiplied alpha, so the colour of
    transparent pixels does not bleed into the edge, and leaves them black."""
    from PIL import Image

    box = round(OBJECT_BOX * size)
    obj = raw.resize((size, size), Image.Resampling.BILINEAR).resize((box, box), Image.Resampling.BICUBIC)
    out = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    out.paste(obj, ((size - box) // 2,) * 2)
    return from_pil(out)


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


def _random_object(k, size=32):
    """The raw image of random object k: an opaque square of uniform uint8 noise, which the canvas
    then shrinks by 0.7 like any object (so its noise is smoothed by the bicubic resize)."""
    noise = Rand(torch.tensor([hash_key("random object", k)])).pixels(0, 3, size, size)[0]
    return torch.cat([(noise * 256).floor() / 255, torch.ones(1, size, size)])


def _read_image(path):
    """The PIL image at path, decoded whole (a truncated file fails here, not later); a ValueError
    naming the file if it cannot be read: corrupt, truncated, a broken link, a folder, no access."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.load()
            return img.copy() if "transparency" not in img.info else img.convert("RGBA")
    except Exception as e:  # PIL raises OSError, SyntaxError, ValueError, DecompressionBombError, ...
        raise ValueError(f"{path} is not a readable image ({type(e).__name__}: {' '.join(str(e).split())})") from None


def _images(folder, suffixes):
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes) if folder.is_dir() else []


def _read_objects(root):
    fg = Path(root) / "foregrounds"
    if not Path(root).is_dir():
        raise ValueError(f"objects folder {root} does not exist")
    classes = sorted(p for p in fg.iterdir() if p.is_dir()) if fg.is_dir() else []
    if not classes:
        raise ValueError(f"{root} is not in SI-Score layout: expected {fg}/<class>/*.png")
    images = []
    for c in classes:
        files = _images(c, (".png",))
        if not files:
            raise ValueError(f"class folder {c} has no .png images")
        img = _read_image(files[0])  # the first file of a class is its prototype
        if "A" not in img.getbands():
            raise ValueError(f"{files[0]} has no alpha channel (mode {img.mode}); "
                             "foregrounds must be RGBA")
        rgba = torch.frombuffer(bytearray(img.convert("RGBA").tobytes()), dtype=torch.uint8)
        rgba = rgba.view(img.height, img.width, 4).permute(2, 0, 1).float() / 255
        if rgba[3].max() == 0:
            raise ValueError(f"{files[0]} is fully transparent: its object would not show")
        images.append(rgba)
    return images


def on_device(device):
    """device as a torch.device; ValueError if it is CUDA on a machine without it."""
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' asked for, but CUDA is not available")
    return device


def raw_objects(objects):
    """The raw object images, one per class, as PIL RGBA images of their own size: what the canvas is
    made from (procedural: drawn at 64 x 64; random: a 32 x 32 noise square; else SI-Score's files)."""
    if objects == "procedural":
        images = [_procedural_object(k) for k in range(N_OBJECTS)]
    elif objects == "random":
        images = [_random_object(k) for k in range(N_OBJECTS)]
    else:
        images = _read_objects(objects)
    return [to_pil(x) for x in images]


@lru_cache(maxsize=8)
def object_canvases(objects, size, device):
    """Every class's canvas (N, 4, size, size), float RGBA in [0, 1] with straight (not
    premultiplied) colour, made once with PIL as the original made it (canvas())."""
    return torch.stack([canvas(raw, size) for raw in raw_objects(objects)]).to(device)


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
    files = _images(bg, (".jpg", ".jpeg", ".png"))
    if not files:
        raise ValueError(f"{root} has no background images: expected {bg}/*.jpg")
    out = []
    for f in files:
        img = _read_image(f).convert("RGB")
        side = min(img.size)  # the largest top-left square, resized to S x S, as the original
        img = img.crop((0, 0, side, side)).resize((size, size), Image.BILINEAR)
        out.append(torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).view(size, size, 3))
    return torch.stack(out).permute(0, 3, 1, 2).contiguous()


@lru_cache(maxsize=8)
def background_pool(backgrounds, size, device):
    if backgrounds == "procedural":
        return _procedural_backgrounds(N_BACKGROUNDS, size, device)
    return _read_backgrounds(backgrounds, size).to(device)
