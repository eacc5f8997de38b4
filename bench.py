"""Speed benchmarks, as ratios against a baseline measured in the same run.

    python bench.py data [--device cuda] [--json PATH]    # `make bench`: about 2 min on 2 CPU cores
    python bench.py train [--arch resnet18|all] [--device cuda] [--compile-mode MODE] [--json PATH]

`data` times data.generate against what the original code does, one sample at a time in one
process (original.py: the raw object image squashed and shrunk into its canvas, the torchvision
and PIL transformations, the composite onto a background, a uint8 tensor), for each registered
transformation and for translate,invert,pixelate (E1's seed 8 draws it), and prints images/s of
both and the ratio; a transformation the original did not have gets no baseline. The baseline
always runs on the CPU. `train` times pretraining steps of train.Trainer as
train.py runs them (bf16 autocast, channels_last and fused Adam on CUDA) against a plain fp32
eager loop over the same model, replayed as a CUDA graph (CUDA only) and, optionally,
torch.compile'd, plus the feature-extraction rate and
the time of a 200-epoch linear probe on 50,000 cached 512-d features. `make bench` keeps the data
numbers of a 2-core CPU in results/bench_data_cpu.json, `make gpu-check` the training numbers of
a GPU in results/gpu/bench_train.json.
"""
import cli  # first, and light: then a Ctrl-C while torch loads is one line, not a traceback

cli.quiet_start(__name__)

import sys
import time
from pathlib import Path

import torch
from PIL import Image

import data
import models
import original
import runfolder
import runner
import sources
import train
import transfer

SETS = [[name] for name in data.TRANSFORMS] + [["translate", "invert", "pixelate"]]

# ----------------------------------------------------------------------------------------
# Generation: data.generate against original.generate, the original's per-sample pipeline


def pil_sources():
    """The procedural objects' raw images and the backgrounds, as PIL images for the baseline."""
    backgrounds = sources.background_pool("procedural", 32, torch.device("cpu"))
    return sources.raw_objects("procedural"), [Image.fromarray(b.permute(1, 2, 0).numpy()) for b in backgrounds]


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


def rates(names, device, n, baseline_n, batch_size, repeats, raws, backgrounds):
    """Images per second of data.generate and of the original's per-sample pipeline for one list of
    transformations; the baseline's None for a transformation the original did not have."""
    gen = lambda m: data.generate(names, m, device=device, batch_size=batch_size)
    gen(min(n, 256))  # warm-up: caches of canvases and backgrounds, CUDA kernels
    ours = n / _best_time(lambda: gen(n), device, repeats)
    if not all(name in original.TRANSFORMS for name in names):
        return ours, None
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the baseline's best: torch's threads only contend on one 32 x 32 image
    try:
        base = baseline_n / _best_time(lambda: original.generate(names, baseline_n, raws, backgrounds),
                                       torch.device("cpu"), 1)
    finally:
        torch.set_num_threads(threads)
    return ours, base


def bench_data(device, n, baseline_n, batch_size, repeats=3, names=SETS):
    """One record per list of transformations in names: images per second of data.generate and
    of the baseline."""
    raws, backgrounds = pil_sources()
    records = []
    print(f"{'transforms':<26} {'ours img/s':>12} {'baseline img/s':>15} {'ratio':>8}", flush=True)
    for chain in names:
        ours, base = rates(chain, device, n, baseline_n, batch_size, repeats, raws, backgrounds)
        records.append(dict(name=",".join(chain), ours_per_s=ours, baseline_per_s=base))
        ratio = f"{ours / base:>7.1f}x" if base else "   none (not in the original)"
        print(f"{records[-1]['name']:<26} {ours:>12,.0f} {base or 0:>15,.0f} {ratio}", flush=True)
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
    seconds = _timed(lambda: transfer.fit_head(transfer.make_head(512, 30), features, labels, epochs=probe_epochs,
                                               batch_size=512, lr=1e-3, seed=0), device)
    print(f"linear probe: {probe_epochs} epochs on 50,000 cached 512-d features, batch 512: {seconds:.1f} s")
    records.append(dict(arch="probe", epochs=probe_epochs, seconds=seconds))
    return records


def measured(device):
    """Where and with what a benchmark ran, for its JSON: a number without its machine means little."""
    return dict(device=runner.device_name(device), torch=torch.__version__, threads=torch.get_num_threads(),
                git_revision=runfolder.git_revision(), finished=time.strftime("%Y-%m-%d %H:%M %Z"))


def get_args_parser():
    p = cli.Parser(prog="bench.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="bench", required=True)
    d = sub.add_parser("data", help="data.generate against a per-sample torchvision/PIL pipeline")
    d.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                   help="where data.generate runs; the baseline always runs on CPU (default: %(default)s)")
    d.add_argument("--n", type=cli.count, default=None,
                   help="images per data.generate timing (default: 20000 on cpu, 200000 on cuda)")
    d.add_argument("--baseline-n", type=cli.count, default=2000,
                   help="images per baseline timing (default: %(default)s)")
    d.add_argument("--batch-size", type=cli.count, default=None,
                   help="data.generate batch size (default: data.generate's for the device)")
    d.add_argument("--repeats", type=cli.count, default=3,
                   help="data.generate timings per row, the best one is kept (default: %(default)s)")
    d.add_argument("--seed", type=int, default=0, help="seed of the baseline's draws (default: %(default)s)")
    d.add_argument("--json", default=None, help="also write the rows to this JSON file (default: none)")
    t = sub.add_parser("train", help="pretraining, feature extraction and probe speed")
    t.add_argument("--arch", default="resnet18",
                   help=f"comma-separated names or all: {', '.join(models.MODELS)} (default: %(default)s)")
    t.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="(default: %(default)s)")
    t.add_argument("--batch-size", type=cli.count, default=512, help="(default: %(default)s, the protocol's)")
    t.add_argument("--steps", type=cli.count, default=None,
                   help="timed training steps per row (default: 50 on cuda, 3 on cpu)")
    t.add_argument("--compile-mode", default=None, choices=["default", "reduce-overhead", "max-autotune"],
                   help="also time torch.compile in this mode (slow to start) (default: not timed)")
    t.add_argument("--probe-epochs", type=cli.count, default=200, help="(default: %(default)s)")
    t.add_argument("--json", default=None, help="also write the rows to this JSON file (default: none)")
    return p


def main(args):
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("bench.py: error: --device cuda asked for, but CUDA is not available")
    if args.json:
        try:  # before the benchmark, not after it
            runfolder.check_out(Path(args.json).parent)
        except ValueError as e:
            sys.exit(f"bench.py: error: --json {args.json}: {cli.one_line(e)}")
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
            runfolder.write_json(args.json, dict(measured(args.device), batch_size=args.batch_size, steps=steps,
                                                 rows=records))
        return
    cuda = args.device == "cuda"
    n = args.n if args.n is not None else 200_000 if cuda else 20_000
    batch_size = args.batch_size  # None: data.generate's default for the device
    original.seed_all(args.seed)  # the baseline draws from python, numpy and torch, as torchvision does
    name = torch.cuda.get_device_name() if cuda else "cpu"
    print(f"device {name}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"ours n={n} batch {batch_size or 'default'} best of {args.repeats}, baseline n={args.baseline_n}")
    records = bench_data(torch.device(args.device), n, args.baseline_n, batch_size, args.repeats)
    if args.json:
        runfolder.write_json(args.json, dict(measured(args.device), n=n, baseline_n=args.baseline_n,
                                             baseline="one process, one thread", rows=records))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
