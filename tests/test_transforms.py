"""Each transformation against the torchvision/PIL operation of the same name (PROTOCOL.md section 2)
given the same parameters, plus the probabilities, the random streams and what each touches.
tests/test_fidelity.py compares the whole pipeline with the original's (original.py)."""
import colorsys

import numpy as np
import pytest
import torch
import torchvision.transforms.functional as TF
from PIL import Image, ImageDraw

import paper
import sources
import transforms as tr

S = 32


def canvases(n=8):
    """Object canvases (n, 4, S, S): real RGBA content with soft edges and patterns."""
    return sources.object_canvases("procedural", S, torch.device("cpu"))[:n].clone()


def rgb(n=8):
    return torch.rand(n, 3, S, S, generator=torch.Generator().manual_seed(0))


def rand(n, salt=1):
    return tr.Rand(tr.hash32(torch.arange(n) ^ salt))


def per_sample(fn, x, *params):
    return torch.stack([fn(x[i], *(p[i].item() for p in params)) for i in range(len(x))])


def to_pil(x):
    """A float canvas (4, S, S) in [0, 1], whose values are multiples of 1/255, as PIL RGBA."""
    return Image.fromarray((x * 255).round().byte().permute(1, 2, 0).numpy())


def from_pil(im):
    return torch.from_numpy(np.array(im, dtype=np.float32)).permute(2, 0, 1) / 255


def box_canvases(n):
    """Canvases whose alpha is the object box itself: opaque 22 x 22 at (5, 5), as the original's canvas."""
    x = torch.zeros(n, 4, S, S)
    x[:, :, 5:27, 5:27] = 1
    return x


def top_left(mask):
    """(row, column) of the first True row and column of each (B, S, S) mask."""
    return mask.any(2).float().argmax(1), mask.any(1).float().argmax(1)


def test_the_papers_18_are_registered_in_its_order():
    # a fork may register more after them (tests/test_forks.py); the paper's draws use these 18
    assert tr.TRANSFORMS[:18] == paper.ALL_TRANSFORMS == [
        "translate", "rotate", "scale", "v_flip", "h_flip", "shear",
        "hue", "brightness", "grayscale", "posterize", "invert", "sharpen",
        "blur", "noise", "pixelate", "elastic", "erasing", "contrast"]
    for category, names in paper.TRANSFORMS.items():
        assert tr.CATEGORIES[category][:6] == names and {tr.REGISTRY[n].category for n in names} == {category}
    assert tr.parse_transforms("geometric,hue") == tr.TRANSFORMS[:6] + ["hue"]
    assert tr.parse_transforms("none") == []


@pytest.mark.parametrize("name", ["rotate", "shear"])  # scale is a resize: tests/test_fidelity.py
def test_affine_matches_torchvision(name):
    x, r = canvases(), rand(8)
    out = getattr(tr, name)(x, r)
    if name == "rotate":
        angle = r.uniform(0, 0, 360)
        ref = per_sample(TF.rotate, x, angle)
    else:
        sx, sy = r.uniform(0, -50, 50), r.uniform(1, -50, 50)
        ref = per_sample(lambda im, a, b: TF.affine(im, 0.0, [0, 0], 1.0, [a, b]), x, sx, sy)
    assert not torch.equal(out, x)
    # nearest sampling: only pixels whose source lies on a rounding boundary may differ
    assert (out == ref).all(1).float().mean() > 0.995


def test_translate_moves_the_object_box_to_a_uniform_position_where_it_fits():
    # the original: the 22-pixel box at (5, 5) gets its top-left corner at a uniform
    # integer position in 0..9 (32 - 22 = 10 places) on each axis, wherever the object is inside it
    n = 1000
    r = rand(n)
    moved = tr.translate(box_canvases(n), r)[:, 3] > 0
    assert (moved.sum((1, 2)) == 22 * 22).all()  # the box never leaves the canvas
    for pos in top_left(moved):
        counts = torch.bincount(pos, minlength=10)
        assert len(counts) == 10 and counts.min() > 60 and counts.max() < 140  # 100 each, sd 9.5
    # an object moves with its box: the canvas pasted by PIL at the same offset
    x = canvases(8).repeat(4, 1, 1, 1)
    top, left = (p[:32].tolist() for p in top_left(moved))
    ref = []
    for im, dy, dx in zip(x, top, left):
        out = Image.new("RGBA", (S, S), (0, 0, 0, 0))
        out.paste(to_pil(im), (dx - 5, dy - 5))
        ref.append(from_pil(out))
    assert torch.equal(tr.translate((x * 255).round() / 255, r[:32]), torch.stack(ref))


def test_translate_moves_whole_images_as_the_original_does():
    # data.cifar's canvases are opaque: no object box. The original moves such an image right and
    # down by int(u * 0.3 * 32) + 4 pixels: 4..12 with probability 1 / 9.6 each, 13 with 0.6 / 9.6
    n = 2000
    g = torch.Generator().manual_seed(1)
    x = torch.cat([torch.randint(1, 256, (n, 3, S, S), generator=g) / 255, torch.ones(n, 1, S, S)], 1)
    out = tr.translate(x, rand(n))
    uncovered = out[:, 3] == 0
    down, right = uncovered.all(2).sum(1), uncovered.all(1).sum(1)
    expected = torch.tensor([1 / 9.6] * 9 + [0.6 / 9.6])
    for shift in (down, right):
        freq = torch.bincount(shift, minlength=14).float() / n
        assert freq[:4].sum() == 0 and len(freq) == 14
        assert (freq[4:] - expected).abs().max() < 0.03  # sd 0.007
    for i in range(16):  # the image itself, pasted by PIL at that offset; what it uncovers is transparent
        ref = Image.new("RGBA", (S, S), (0, 0, 0, 0))
        ref.paste(to_pil(x[i]), (right[i].item(), down[i].item()))
        assert torch.equal(out[i], from_pil(ref))


def test_flips_and_pixelwise_ops_match_torchvision():
    x, c = rgb(), canvases()
    r = rand(8)
    assert torch.equal(tr.v_flip(c, r), TF.vflip(c))
    assert torch.equal(tr.h_flip(c, r), TF.hflip(c))
    assert torch.equal(tr.invert(x, r), TF.invert(x))
    assert torch.allclose(tr.grayscale(x, r), TF.rgb_to_grayscale(x, 3), atol=1e-6)
    q = (x * 255).round()
    assert torch.equal(tr.posterize(q / 255, r) * 255, TF.posterize(q.byte(), 1).float())


@pytest.mark.parametrize("name,low,high,ref", [
    ("hue", -0.5, 0.5, TF.adjust_hue),
    ("brightness", 0, 2, TF.adjust_brightness),
    ("contrast", 0, 2, TF.adjust_contrast),
])
def test_color_jitter_matches_torchvision(name, low, high, ref):
    x, r = rgb(), rand(8)
    factor = r.uniform(0, low, high)
    out = getattr(tr, name)(x, r)
    assert torch.allclose(out, per_sample(ref, x, factor), atol=1e-5)


def uniform_on(values, low, high, bins=10):
    """values lie in [low, high] and fill its tenths evenly (within 4.5 sd)."""
    n = len(values)
    hist = torch.histc(values, bins, low, high)
    return values.min() >= low and values.max() <= high and (hist - n / bins).abs().max() < 4.5 * (n / bins) ** 0.5


def test_colour_factors_are_uniform_over_the_spec_ranges():
    # the factor each output implies, read off images built for it: the original's brightness and
    # contrast factors are uniform in [0, 2], the hue shift covers the colour circle evenly
    n = 2000
    r = rand(n)
    grey = torch.full((n, 3, S, S), 0.25)
    assert uniform_on(tr.brightness(grey, r)[:, 0, 0, 0] / 0.25, 0, 2)
    halves = torch.full((n, 3, S, S), 0.25)
    halves[..., S // 2:] = 0.75  # grey mean 0.5: out = 0.5 + f (x - 0.5)
    out = tr.contrast(halves, r)
    assert uniform_on((out[:, 0, 0, -1] - out[:, 0, 0, 0]) / 0.5, 0, 2)
    red = torch.zeros(n, 3, 1, 1)
    red[:, 0] = 1
    hues = torch.tensor([colorsys.rgb_to_hsv(*px)[0] for px in tr.hue(red, r)[:, :, 0, 0].tolist()])
    assert uniform_on(hues, 0, 1)


def test_sharpen_and_contrast_match_pil_on_the_canvas():
    # the original: ImageEnhance.Sharpness of the RGBA canvas (RGB smoothed with transparent
    # pixels black, straight colour, border pixels kept, alpha kept); ImageEnhance.Contrast of
    # its RGB image, whose grey mean counts the transparent (black) pixels
    x = torch.cat([canvases(8), torch.cat([rgb(8), torch.ones(8, 1, S, S)], 1)])  # whole images: the border
    x = (x * 255).round() / 255
    ref = torch.stack([from_pil(TF.adjust_sharpness(to_pil(im), 7)) for im in x])
    sharpened = tr.sharpen(x.clone(), rand(16))
    assert torch.equal(ref[:, 3], x[:, 3]) and torch.equal(sharpened[:, 3], x[:, 3])  # PIL keeps the alpha
    assert not tr.REGISTRY["sharpen"].rgb  # on the canvas, as the original: no wrapper
    # PIL rounds the smoothed image to uint8, and the factor 7 blend multiplies that by 6
    assert (sharpened[:, :3] - ref[:, :3]).abs().max() < 3.5 / 255
    factor = rand(16).uniform(0, 0, 2)
    contrasted = tr.contrast(x[:, :3].clone(), rand(16))
    ref = torch.stack([from_pil(TF.adjust_contrast(to_pil(im).convert("RGB"), f)) for im, f in zip(x, factor.tolist())])
    assert (contrasted - ref).abs().max() < 1.5 / 255  # PIL rounds the grey mean and the result


def test_hash_is_exact_on_tensors():
    values = [0, 1, 12345, 2**31 - 1, 2**31, 2**32 - 1]
    assert tr.hash32(torch.tensor(values)).tolist() == [tr.hash32(v) for v in values]


def test_blur_matches_torchvision():
    x, r = canvases(), rand(8)
    sigma = r.uniform(0, 0.1, 1.5)
    ref = per_sample(lambda im, s: TF.gaussian_blur(im, [7, 7], [s, s]), x, sigma)
    assert torch.allclose(tr.blur(x, r), ref, atol=1e-5)


def test_pixelate_matches_pil_on_the_rgba_canvas():
    # PIL's BOX resize of an RGBA image weights colour by alpha, so the transparent (black)
    # pixels do not darken the object's edge; compared as premultiplied colour, what shows
    x = (canvases(61) * 255).round() / 255
    out = tr.pixelate(x, rand(61))
    ref = torch.stack([from_pil(to_pil(im).resize((9, 9), Image.BOX).resize((S, S), Image.NEAREST)) for im in x])
    assert (out[:, 3] - ref[:, 3]).abs().max() < 1 / 255
    assert (out[:, :3] * out[:, 3:] - ref[:, :3] * ref[:, 3:]).abs().max() < 2 / 255


def test_elastic_matches_torchvision_given_the_same_field():
    x, r = canvases(4), rand(4)
    field = r.pixels(0, 2, S, S) * 2 - 1  # the uniform [-1, 1) field the transform draws
    ref = []
    for im, f in zip(x, field):
        disp = TF.gaussian_blur(f[:, None], [41, 41], [5.0, 5.0]) * 150 / S  # (2, 1, S, S)
        ref.append(TF.elastic_transform(im, disp.permute(1, 2, 3, 0)))
    assert torch.allclose(tr.elastic(x, r), torch.stack(ref), atol=1e-4)


def test_erasing_makes_a_square_transparent_at_a_uniform_position():
    # the original: a 14 x 14 square, its top-left int(u * (32 - 14)): 0..17 on each axis
    n = 1800
    r = rand(n)
    hole = tr.erasing(torch.ones(n, 4, S, S), r)[:, 3] == 0
    assert (hole.sum((1, 2)) == 14 * 14).all()
    for pos in top_left(hole):
        counts = torch.bincount(pos, minlength=18)
        assert len(counts) == 18 and counts.min() > 55 and counts.max() < 145  # 100 each, sd 9.7
    x = (canvases(8).repeat(4, 1, 1, 1) * 255).round() / 255
    top, left = (p[:32].tolist() for p in top_left(hole))
    ref = []
    for im, y0, x0 in zip(x, top, left):
        im = to_pil(im)
        ImageDraw.Draw(im).rectangle((x0, y0, x0 + 13, y0 + 13), fill=(0, 0, 0, 0))
        ref.append(from_pil(im))
    assert torch.equal(tr.erasing(x, r[:32]), torch.stack(ref))


def test_noise_adds_clipped_standard_normal():
    x = torch.zeros(64, 3, S, S)
    added = tr.noise(x, rand(64))
    # E[clip(N(0, 1), 0, 1)] = phi(0) - phi(1) + P(Z > 1) = 0.3156; half the values stay 0
    assert abs(added.mean().item() - 0.3156) < 0.01
    assert abs((added == 0).float().mean().item() - 0.5) < 0.01
    assert tr.noise(torch.ones(4, 3, S, S), rand(4)).max() == 1


def changed_samples(out, x, wrapped):
    """Which samples a transformation changed. The wrapper darkens every sample's soft edges (its
    paste multiplies colour by alpha), so for a wrapped one only the opaque pixels tell."""
    where = (x[:, 3:] == 1).expand_as(x) if wrapped else torch.ones_like(x, dtype=torch.bool)
    return ((out != x) & where).flatten(1).any(1)


@pytest.mark.parametrize("name", tr.TRANSFORMS)
def test_probability_and_what_each_transformation_touches(name):
    t = tr.REGISTRY[name]
    x = canvases(8).repeat(100, 1, 1, 1)
    out = tr.apply_(name, x.clone(), rand(len(x), salt=7))
    changed = changed_samples(out, x, t.rgb)
    # a few draws are an identity at 32 x 32 (scale's side rounding to 32, a zero shift)
    assert t.p - 0.1 < changed.float().mean() < t.p + 0.07, f"{name}: changed {changed.float().mean():.2f}, p {t.p}"
    if t.rgb:  # the wrapper keeps the alpha and multiplies the colour by it, also where its coin says no
        assert torch.equal(out[:, 3], x[:, 3])
        assert torch.equal(out[~changed, :3], x[~changed, :3] * x[~changed, 3:])
    assert out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("name", tr.TRANSFORMS)
def test_a_sample_is_the_same_alone_and_in_a_batch(name):
    # alone, a sample is either untouched (not chosen: the transformation runs on an empty
    # batch) or transformed exactly as inside a batch of 64
    x, r = canvases(8).repeat(8, 1, 1, 1), rand(64, salt=3)
    batch = tr.apply_(name, x.clone(), r)
    alone = torch.cat([tr.apply_(name, x[i:i + 1].clone(), r[i:i + 1]) for i in range(64)])
    assert torch.allclose(alone, batch, atol=1e-6)
    untouched = (~changed_samples(alone, x, tr.REGISTRY[name].rgb)).float().mean()
    assert (untouched < 0.1) if tr.REGISTRY[name].p == 1 else (0.25 < untouched < 0.75)
