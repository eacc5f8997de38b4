"""original.py, the per-sample re-rendering of the original pipeline, against numbers written from
the original's behaviour (not from its own helpers): the object canvas's two resizes and box, scale's
resize, the colour wrapper's darkening, the composite, positions and probabilities."""
import numpy as np
import pytest
import torch
from PIL import Image

import original

S = 32
pytestmark = pytest.mark.usefixtures("one_thread")  # per-sample work: torch's threads only contend


def rgba(arr):
    return Image.fromarray(np.asarray(arr, dtype=np.uint8), "RGBA")


def patterned_canvas():
    """A 22 x 22 opaque box at (5, 5) of colourful, asymmetric texture on a transparent canvas, with
    a hard edge (alpha 0 or 255), so that the colour wrapper alone changes nothing."""
    y, x = np.mgrid[:22, :22]
    box = np.stack([40 + 9 * x, 230 - 7 * y, (37 * x * y) % 200 + 20, np.full_like(x, 255)], -1)
    canvas = np.zeros((S, S, 4))
    canvas[5:27, 5:27] = box
    return rgba(canvas)


def test_transformations_are_the_eighteen_in_order():
    assert list(original.TRANSFORMS) == [
        "translate", "rotate", "scale", "v_flip", "h_flip", "shear",
        "hue", "brightness", "grayscale", "posterize", "invert", "sharpen",
        "blur", "noise", "pixelate", "elastic", "erasing", "contrast"]


def test_canvas_rings_at_a_sharp_edge():
    # a flat 220 object (an opaque 30-pixel stripe in a 101-pixel-wide photo, hard edges): bilinear to
    # 32, then bicubic to 22 rings next to the edges: 224, 221, 223 (overshoot) and 216 appear
    raw = np.zeros((8, 101, 4))
    raw[:, 16:46] = (220, 220, 220, 255)
    canvas = np.asarray(original.object_canvas(rgba(raw)))
    row = canvas[16]
    assert {216, 221, 223, 224} <= set(row[row[:, 3] > 0, 0].tolist()), row[:, 0]
    assert (row[row[:, 3] == 255, 0] > 220).any()  # overshoot on opaque pixels: not a blend with the transparent side


def test_canvas_puts_the_object_in_a_22_pixel_box_at_5_5():
    raw = np.zeros((50, 70, 4))  # not square: squashed to 32 x 32 first
    raw[...] = (30, 60, 90, 255)
    canvas = np.asarray(original.object_canvas(rgba(raw)))
    expected = np.zeros((S, S, 4))
    expected[5:27, 5:27] = (30, 60, 90, 255)  # a flat object has no edge inside its box to ring at
    assert np.array_equal(canvas, expected)


def test_background_is_the_top_left_square():
    photo = np.zeros((30, 40, 3))
    photo[:, :30] = (10, 20, 30)
    photo[:, 30:] = (250, 0, 0)  # outside the largest top-left square: dropped
    bg = original.background(Image.fromarray(photo.astype(np.uint8)))
    assert bg.mode == "RGB" and bg.size == (S, S) and (np.asarray(bg) == (10, 20, 30)).all()


def test_scale_resizes_the_whole_canvas_unless_it_rounds_to_its_size():
    canvas = original.object_canvas(patterned_canvas())
    for f in (31.5 / 32, 0.99, 1.0):  # round(32 f) == 32
        assert np.array_equal(np.asarray(original.scale_to(canvas, f)), np.asarray(canvas)), f
    for f in np.linspace(0.955, 0.984, 8):  # round(32 f) == 31; an affine map with nearest sampling: no change
        assert not np.array_equal(np.asarray(original.scale_to(canvas, f)), np.asarray(canvas)), f
    opaque = rgba(np.full((S, S, 4), 255))
    for f, side in ((0.5, 16), (0.4, 13), (0.7, 22)):  # pasted at ((32 - side) // 2, same)
        lo = (S - side) // 2
        assert original.scale_to(opaque, f).getchannel("A").getbbox() == (lo, lo, lo + side, lo + side)


def soft_canvas():
    """Three pixels: a soft edge (200, 100, 50) at alpha 128, the same colour opaque, transparent black."""
    canvas = np.zeros((S, S, 4))
    canvas[0, 0] = (200, 100, 50, 128)
    canvas[0, 1] = (200, 100, 50, 255)
    return rgba(canvas)


def test_the_wrapper_darkens_soft_edges_even_when_it_changes_nothing():
    out = np.asarray(original.wrap(lambda im: im)(soft_canvas())).astype(int)
    assert (abs(out[0, 0] - (100, 50, 25, 128)) <= 1).all(), out[0, 0]  # colour * 128 / 255, alpha kept
    assert (out[0, 1] == (200, 100, 50, 255)).all() and (out[1:] == 0).all()
    # its coin is inside the wrapper: a soft pixel never comes out untouched, inverted or not
    original.seed_all(0)
    seen = {tuple(np.asarray(original.TRANSFORMS["invert"](soft_canvas()))[0, 0]) for _ in range(50)}
    darkened, inverted = (100, 50, 25, 128), (28, 78, 103, 128)  # (255 - colour) * 128 / 255
    assert all(any(abs(np.subtract(px, want)).max() <= 1 for want in (darkened, inverted)) for px in seen), seen
    assert len(seen) == 2


def test_composite_multiplies_by_alpha():
    fg = soft_canvas()
    on_black = np.asarray(original.composite(fg, Image.new("RGB", (S, S)))).astype(int)
    on_white = np.asarray(original.composite(fg, Image.new("RGB", (S, S), (255, 255, 255)))).astype(int)
    assert (abs(on_black[0, 0] - (100, 50, 25)) <= 1).all() and (on_black[0, 1] == (200, 100, 50)).all()
    assert (abs(on_white[0, 0] - (227, 177, 152)) <= 1).all()  # colour * a + 255 * (1 - a), a = 128 / 255
    assert (on_black[1:] == 0).all() and (on_white[1:] == 255).all()
    # through the wrapper and the composite, a soft pixel's colour is multiplied by alpha twice
    twice = np.asarray(original.composite(original.wrap(lambda im: im)(fg), Image.new("RGB", (S, S)))).astype(int)
    assert (abs(twice[0, 0] - (50, 25, 13)) <= 1).all(), twice[0, 0]  # colour * (128 / 255)^2


def top_left(mask):
    return mask.any(1).argmax(), mask.any(0).argmax()  # (row, column)


def test_translate_and_erasing_positions():
    original.seed_all(0)
    box = np.zeros((S, S, 4))
    box[5:27, 5:27] = 255
    corners = np.array([top_left(np.asarray(original.translate(rgba(box)))[..., 3] > 0) for _ in range(2000)])
    for axis in corners.T:  # the box's top-left: uniform over 0..9, 200 each (sd 13)
        counts = np.bincount(axis, minlength=10)
        assert len(counts) == 10 and counts.min() > 140 and counts.max() < 260, counts
    # a whole image (no transparent pixel) moves right and down by 4..13: int(u * 9.6) + 4
    whole = rgba(np.full((S, S, 4), 255))
    shifts = np.array([top_left(np.asarray(original.translate(whole))[..., 3] > 0) for _ in range(2000)])
    assert shifts.min() == 4 and shifts.max() == 13
    holes = np.array([top_left(np.asarray(original.erase(whole))[..., 3] == 0) for _ in range(1800)])
    for axis in holes.T:  # the 14 x 14 square's top-left: uniform over 0..17, 100 each (sd 10)
        counts = np.bincount(axis, minlength=18)
        assert len(counts) == 18 and counts.min() > 55 and counts.max() < 145, counts
    assert (np.asarray(original.erase(whole))[..., 3] == 0).sum() == 14 * 14


P = {"v_flip": 0.5, "h_flip": 0.5, "grayscale": 0.5, "posterize": 0.5, "invert": 0.5, "sharpen": 0.5,
     "noise": 0.5, "pixelate": 0.5, "elastic": 0.5, "erasing": 0.5}  # the others: 1


@pytest.mark.parametrize("name", list(original.TRANSFORMS))
def test_probability(name):
    # on a hard-edged canvas every coin that says yes changes the image, but for a few draws that are
    # an identity at 32 x 32 (a zero shift, scale >= 31.5 / 32, a small angle, blur's sigma near 0.1)
    n = 400
    canvas = patterned_canvas()
    before = np.asarray(canvas)
    original.seed_all(1)
    changed = np.mean([not np.array_equal(np.asarray(original.TRANSFORMS[name](canvas)), before) for _ in range(n)])
    p = P.get(name, 1.0)
    if p == 1:  # blur with sigma below 0.27 (12% of draws) leaves this canvas as it is
        assert changed > (0.8 if name == "blur" else 0.95), f"{name}: changed {changed:.3f} of images, p = 1"
    else:
        assert abs(changed - p) < 4 * (p * (1 - p) / n) ** 0.5, f"{name}: changed {changed:.3f} of images, p = {p}"


def test_generate_shows_object_i_mod_classes_and_is_seeded():
    raws = [rgba(np.full((40, 40, 4), (c, 255 - c, 50, 255))) for c in (0, 100, 200)]
    bgs = [Image.new("RGB", (S, S), (9, 9, 9)), Image.new("RGB", (S, S), (7, 7, 7))]
    original.seed_all(0)
    plain = original.generate([], 7, raws, bgs, n_classes=3)
    assert plain.shape == (7, 3, S, S) and plain.dtype == torch.uint8
    assert [plain[i, 0, 16, 16].item() for i in range(7)] == [0, 100, 200, 0, 100, 200, 0]
    assert set(plain[:, 0, 0, 0].tolist()) == {7, 9}  # backgrounds drawn from the list
    original.seed_all(3)
    a = original.generate(["rotate", "hue", "noise"], 8, raws, bgs, n_classes=3)
    original.seed_all(3)
    assert torch.equal(a, original.generate(["rotate", "hue", "noise"], 8, raws, bgs, n_classes=3))


def test_render_is_canvas_transformations_composite():
    raw = rgba(np.full((40, 40, 4), (120, 30, 200, 255)))
    bg = Image.new("RGB", (S, S), (0, 90, 0))
    out = np.asarray(original.render(raw, bg, ["invert"]))
    assert out.shape == (S, S, 3) and (out[0, 0] == (0, 90, 0)).all()
    assert tuple(out[16, 16]) in {(120, 30, 200), (135, 225, 55)}  # the object, inverted or not
    assert np.array_equal(np.asarray(original.render(raw, bg, [])),
                          np.asarray(original.composite(original.object_canvas(raw), bg)))
