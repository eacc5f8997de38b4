"""Speed benchmarks, as ratios against a baseline measured in the same run.

    python bench.py data [--device cuda] [--json PATH]    # `make bench`: about 2 min on 2 CPU cores
    python bench.py train [--arch resnet18|all] [--device cuda] [--compile-mode MODE] [--json PATH]

`data` times data.generate against what the original code does, one sample at a time in one
process (a PIL RGBA object canvas -> torchvision transforms with the same parameter ranges ->
Image.alpha_composite onto a PIL background -> a uint8 tensor), for each of the 18
transformations and for translate,invert,pixelate, and prints images/s of both and the ratio.
The baseline always runs on the CPU. `train` times pretraining steps of train.Trainer as
train.py runs them (bf16 autocast, channels_last and fused Adam on CUDA) against a plain fp32
eager loop over the same model, replayed as a CUDA graph (CUDA only) and, optionally,
torch.compile'd, plus the feature-extraction rate and
the time of a 200-epoch linear probe on 50,000 cached 512-d features. The README has the
numbers measured on a 2-core CPU and on one H100.
"""
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image, ImageDraw

import data
import models
import runfolder
import sources
import train
import transfer

SETS = [[name] for name in data.TRANSFORMS] + [["translate", "invert", "pixelate"]]

# ----------------------------------------------------------------------------------------
# Baseline: per-sample torchvision/PIL transforms of a PIL RGBA canvas.


def _rgb_only(t):
    """Apply t to the RGB channels (transparent pixels are black there) and put the alpha
    back, as data.py does for its "rgb" transformations. (The original pastes the result onto a
    transparent canvas through the alpha, which also multiplies the colour of soft-edged pixels
    by their alpha, even where t changes nothing; neither data.py nor this baseline does.)"""
    def f(im):
        out = t(im.convert("RGB"))
        out.putalpha(im.getchannel("A"))
        return out
    return f


def _with_p(fn, p=0.5):
    return lambda im: fn(im) if random.random() < p else im


def _translate(im, box=0.7, whole=0.3):
    """The original's RandomTranslate. An object canvas: its box (0.7 of the side, centred:
    22 px at (5, 5)) is pasted with its top-left at int(u * (32 - 22)), a shift of -5..+4.
    A whole image (no transparent pixel) has no box: the original moves it right and down by
    int(u * 0.3 * 32) + 4 = 4..13 pixels (its box arithmetic for a plain image)."""
    S = im.width
    if im.getchannel("A").getextrema()[0] > 0:
        dx, dy = (int(random.random() * whole * S) - int(-whole * S / 2) for _ in range(2))
    else:
        side = round(box * S)
        dx, dy = (int(random.random() * (S - side)) - (S - side) // 2 for _ in range(2))
    out = Image.new("RGBA", im.size, (0, 0, 0, 0))
    out.paste(im, (dx, dy))
    return out


def _scale(im, low=0.4):
    """The original's RandomScale: the whole canvas resized (PIL's default, bicubic) and pasted
    at the centre of a transparent one."""
    side = round(im.width * random.uniform(low, 1))
    out = Image.new("RGBA", im.size, (0, 0, 0, 0))
    out.paste(im.resize((side, side)), ((im.width - side) // 2,) * 2)
    return out


def _noise(im):
    a = np.asarray(im, dtype=np.float32) / 255
    a = np.clip(a + np.clip(np.random.normal(0, 1, a.shape), 0, 1), 0, 1)
    return Image.fromarray((a * 255).round().astype(np.uint8))


def _pixelate(im, d=9):
    return im.resize((d, d), Image.BOX).resize(im.size, Image.NEAREST)  # RGBA: PIL premultiplies


def _erase(im, side=14):
    im = im.copy()  # the canvas is shared by every sample of its class
    x0, y0 = int(random.random() * (im.width - side)), int(random.random() * (im.height - side))  # 0..17
    ImageDraw.Draw(im).rectangle((x0, y0, x0 + side - 1, y0 + side - 1), fill=(0, 0, 0, 0))
    return im


# name -> (transform of a PIL image, acts on RGB only): the original's operations and ranges
# (SPEC 2), except noise, clipped as SPEC 6 decides. tests/test_transforms.py compares data.py's
# transformations with these in distribution.
BASELINE = {
    "translate": (_translate, False),
    "rotate": (T.RandomRotation((0, 360)), False),
    "scale": (_scale, False),
    "v_flip": (T.RandomVerticalFlip(0.5), False),
    "h_flip": (T.RandomHorizontalFlip(0.5), False),
    "shear": (T.RandomAffine(0, shear=(-50, 50, -50, 50)), False),
    "hue": (T.ColorJitter(hue=0.5), True),
    "brightness": (T.ColorJitter(brightness=(0, 2)), True),
    "grayscale": (T.RandomGrayscale(0.5), True),
    "posterize": (T.RandomPosterize(1, 0.5), True),
    "invert": (T.RandomInvert(0.5), True),
    "sharpen": (T.RandomAdjustSharpness(7, 0.5), False),
    "blur": (T.GaussianBlur(7, (0.1, 1.5)), False),
    "noise": (_with_p(_noise), True),
    "pixelate": (_with_p(_pixelate), False),
    "elastic": (T.RandomApply([T.ElasticTransform(150.0, 5.0)], p=0.5), False),
    "erasing": (_with_p(_erase), False),
    "contrast": (T.ColorJitter(contrast=(0, 2)), True),
}
assert list(BASELINE) == data.TRANSFORMS


def baseline_transform(name):
    """The original's per-sample transformation `name` of a PIL RGBA canvas."""
    t, rgb = BASELINE[name]
    return _rgb_only(t) if rgb else t


def pil_inputs(size=32):
    """data.py's procedural object canvases (PIL RGBA) and backgrounds (PIL RGB as RGBA,
    which alpha_composite needs), so both pipelines draw the same pictures."""
    cpu = torch.device("cpu")
    canvases = (sources.object_canvases("procedural", size, cpu) * 255).round().to(torch.uint8)
    pool = sources.background_pool("procedural", size, cpu)
    objects = [Image.fromarray(c.numpy()) for c in canvases.permute(0, 2, 3, 1).contiguous()]
    backgrounds = [Image.fromarray(b.numpy()).convert("RGBA") for b in pool.permute(0, 2, 3, 1).contiguous()]
    return objects, backgrounds


def baseline_generate(names, n, objects, backgrounds, n_classes=30):
    """n images (n, 3, S, S) uint8, made one at a time as the original code does."""
    pipeline = T.Compose([baseline_transform(k) for k in names])
    S = objects[0].width
    images = torch.empty(n, 3, S, S, dtype=torch.uint8)
    for i in range(n):
        im = pipeline(objects[random.randrange(n_classes)])
        out = Image.alpha_composite(random.choice(backgrounds), im).convert("RGB")
        images[i] = torch.from_numpy(np.array(out)).permute(2, 0, 1)  # copy: PIL's buffer is read-only
    return images


# ----------------------------------------------------------------------------------------


def _best_time(fn, device, repeats):
    best = float("inf")
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()  # generate returns before the GPU is done
        best = min(best, time.perf_counter() - t0)
    return best


def rates(names, device, n, baseline_n, batch_size, repeats, objects, backgrounds):
    """Images per second of data.generate and of the baseline for one list of transformations."""
    gen = lambda m: data.generate(names, m, device=device, batch_size=batch_size)
    gen(min(n, 256))  # warm-up: caches of canvases and backgrounds, CUDA kernels
    ours = n / _best_time(lambda: gen(n), device, repeats)
    base = baseline_n / _best_time(lambda: baseline_generate(names, baseline_n, objects, backgrounds),
                                   torch.device("cpu"), 1)
    return ours, base


def bench_data(device, n, baseline_n, batch_size, repeats=3):
    """One record per entry of SETS: images per second of data.generate and of the baseline."""
    objects, backgrounds = pil_inputs()
    records = []
    print(f"{'transforms':<26} {'ours img/s':>12} {'baseline img/s':>15} {'ratio':>8}", flush=True)
    for names in SETS:
        ours, base = rates(names, device, n, baseline_n, batch_size, repeats, objects, backgrounds)
        records.append(dict(name=",".join(names), ours_per_s=ours, baseline_per_s=base))
        print(f"{records[-1]['name']:<26} {ours:>12,.0f} {base:>15,.0f} {ours / base:>7.1f}x", flush=True)
    return records


# ----------------------------------------------------------------------------------------
# Training: train.Trainer as train.py runs it, against a plain fp32 eager loop.


def _timed(fn, device):
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def train_rate(arch, device, batch_size, steps, amp, compile_mode=None, fused=False, cuda_graph=False):
    """Pretraining images/s of train.Trainer over random uint8 images, after a warm-up epoch (its
    cudnn choices, compilation and graph capture are not timed)."""
    model = models.to_device(models.build(arch, 30), device, amp)
    net = torch.compile(model, mode=compile_mode) if compile_mode else model
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused, capturable=cuda_graph)
    images = torch.randint(0, 256, (steps * batch_size, 3, 32, 32), dtype=torch.uint8, device=device)
    labels = torch.randint(0, 30, (len(images),), device=device)
    trainer = train.Trainer(net, opt, None, images, labels, batch_size, amp, cuda_graph)
    g = torch.Generator().manual_seed(0)
    trainer.epoch(g)
    return len(images) / _timed(lambda: trainer.epoch(g), device)


def feature_rate(arch, device, batch_size, n):
    """Images/s of models.extract_features, as the probe extracts them (its own batch size)."""
    amp = device.type == "cuda"
    model = models.to_device(models.build(arch, 30), device, amp)
    images = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, device=device)
    models.extract_features(model, images[:batch_size], amp=amp)  # warm-up
    return n / _timed(lambda: models.extract_features(model, images, amp=amp), device)


def bench_train(archs, device, batch_size, steps, compile_mode, probe_epochs):
    """Per architecture: images/s of a plain fp32 eager step, of train.py's step (bf16 and
    channels_last on CUDA), of it replayed as a CUDA graph (train.py --cuda-graph, CUDA only) and
    compiled (--compile-mode), and of feature extraction."""
    cuda = device.type == "cuda"
    nan, records = float("nan"), []
    print(f"{'arch':<12} {'fp32 eager':>11} {'ours':>9} {'ratio':>6} {'graphed':>9} {'compiled':>9} "
          f"{'features':>10}  (images/s)", flush=True)
    for arch in archs:
        base = train_rate(arch, device, batch_size, steps, amp=False)
        ours = train_rate(arch, device, batch_size, steps, amp=cuda, fused=cuda)
        graphed = train_rate(arch, device, batch_size, steps, amp=cuda, fused=cuda, cuda_graph=True) if cuda else nan
        compiled = train_rate(arch, device, batch_size, steps, amp=cuda, fused=cuda, compile_mode=compile_mode) \
            if compile_mode else nan
        feats = feature_rate(arch, device, batch_size, 4 * steps * batch_size)
        records.append(dict(arch=arch, fp32_eager_per_s=base, ours_per_s=ours, graphed_per_s=graphed,
                            compiled_per_s=compiled, features_per_s=feats))
        print(f"{arch:<12} {base:>11,.0f} {ours:>9,.0f} {ours / base:>5.1f}x {graphed:>9,.0f} {compiled:>9,.0f} "
              f"{feats:>10,.0f}", flush=True)
    features = torch.randn(50_000, 512, device=device)
    labels = torch.randint(0, 30, (50_000,), device=device)
    seconds = _timed(lambda: transfer.fit_linear(features, labels, 30, epochs=probe_epochs, batch_size=512,
                                                 lr=1e-3, seed=0), device)
    print(f"linear probe: {probe_epochs} epochs on 50,000 cached 512-d features, batch 512: {seconds:.1f} s")
    records.append(dict(arch="probe", epochs=probe_epochs, seconds=seconds))
    return records


def write_json(records, path):
    """Write atomically: a temporary file beside path, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(records, indent=1) + "\n")
    os.replace(tmp, path)


def get_args_parser():
    p = runfolder.Parser(prog="bench.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="bench", required=True)
    d = sub.add_parser("data", help="data.generate against a per-sample torchvision/PIL pipeline")
    d.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                   help="where data.generate runs; the baseline always runs on CPU (default: %(default)s)")
    d.add_argument("--n", type=int, default=None,
                   help="images per data.generate timing (default: 20000 on cpu, 200000 on cuda)")
    d.add_argument("--baseline-n", type=int, default=2000,
                   help="images per baseline timing (default: %(default)s)")
    d.add_argument("--batch-size", type=int, default=None,
                   help="data.generate batch size (default: data.generate's for the device)")
    d.add_argument("--repeats", type=int, default=3,
                   help="data.generate timings per row, the best one is kept (default: %(default)s)")
    d.add_argument("--seed", type=int, default=0, help="seed of the baseline's draws (default: %(default)s)")
    d.add_argument("--json", default=None, help="also write the rows to this JSON file (default: none)")
    t = sub.add_parser("train", help="pretraining, feature extraction and probe speed")
    t.add_argument("--arch", default="resnet18",
                   help=f"comma-separated names or all: {', '.join(models.MODELS)} (default: %(default)s)")
    t.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="(default: %(default)s)")
    t.add_argument("--batch-size", type=int, default=512, help="(default: %(default)s, the protocol's)")
    t.add_argument("--steps", type=int, default=None,
                   help="timed training steps per row (default: 50 on cuda, 3 on cpu)")
    t.add_argument("--compile-mode", default=None, choices=["default", "reduce-overhead", "max-autotune"],
                   help="also time torch.compile in this mode (slow to start) (default: not timed)")
    t.add_argument("--probe-epochs", type=int, default=200, help="(default: %(default)s)")
    t.add_argument("--json", default=None, help="also write the rows to this JSON file (default: none)")
    return p


def main(args):
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("bench.py: error: --device cuda asked for, but CUDA is not available")
    if args.bench == "train":
        archs = list(models.MODELS) if args.arch == "all" else args.arch.split(",")
        if unknown := [a for a in archs if a not in models.MODELS]:
            sys.exit(f"bench.py: error: unknown architecture {unknown[0]!r}; "
                     f"choose from {', '.join(models.MODELS)}")
        steps = args.steps or (50 if args.device == "cuda" else 3)
        name = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
        print(f"device {name}, torch {torch.__version__}; batch {args.batch_size}, "
              f"{steps} timed steps per row")
        records = bench_train(archs, torch.device(args.device), args.batch_size, steps, args.compile_mode,
                              args.probe_epochs)
        if args.json:
            write_json(records, args.json)
        return
    cuda = args.device == "cuda"
    n = args.n if args.n is not None else 200_000 if cuda else 20_000
    batch_size = args.batch_size  # None: data.generate's default for the device
    if min(n, args.baseline_n, batch_size or 1, args.repeats) < 1:
        sys.exit("bench.py: error: --n, --baseline-n, --batch-size and --repeats must be at least 1")
    random.seed(args.seed)  # the baseline draws from python, numpy and torch, as torchvision does
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    name = torch.cuda.get_device_name() if cuda else "cpu"
    print(f"device {name}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"ours n={n} batch {batch_size or 'default'} best of {args.repeats}, baseline n={args.baseline_n}")
    records = bench_data(torch.device(args.device), n, args.baseline_n, batch_size, args.repeats)
    if args.json:
        write_json(records, args.json)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
