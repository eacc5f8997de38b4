"""Pretrain a backbone on Transforms-2D (SPEC section 4): cross-entropy, Adam, last-epoch weights.

The whole dataset is generated once, straight onto the device as uint8 (data.py), and batches
are indexed from it and normalised on the fly; there is no DataLoader. Each run owns a folder:

    python train.py --arch resnet18 --transforms rotate --out runs/pretrain/resnet18-rotate-s0

writes args.json (with the git revision), metrics.jsonl (one line per epoch), checkpoint.pt
(the unwrapped weights plus the arguments that rebuild the model) and results.json (train,
val and held-out test accuracy, wall time). Every file is written atomically, and a folder
that already has results.json is skipped unless --force. Expect one line per epoch, e.g.
`epoch 2/50  loss 0.000  train 100.0%  val 100.0%  1.2s`. On one H100 (bf16, channels_last)
resnet18 with the defaults (50,000 training images, 30 classes) took 8.5 s for its first
epoch (cudnn autotuning) and 1.2 s for the next, so about a minute and a half for 50 epochs
(measured over 2); generating the 70,000 images takes a few seconds. Add --compile for
torch.compile. A tiny CPU smoke run (about 15 s on two cores):

    python train.py --arch vgg11 --classes 0-2 --train-samples 600 --epochs 3 --batch-size 32 \\
        --val-samples 300 --test-samples 300 --device cpu --out /tmp/smoke

Protocol (SPEC section 4): Adam lr 1e-3, no weight decay and no schedule, except for vit,
which gets weight decay 5e-5, 5 linear warm-up epochs and then cosine decay to 1e-5 (applied
automatically when --arch vit). The last epoch's weights are kept; nothing is selected on
validation or test accuracy. Each epoch drops its last partial batch (as airbench does), so
every step sees a full batch; a fresh permutation each epoch means no image is left out
for good. Very short runs (a few dozen steps) can show 100% train but chance val accuracy:
evaluation uses BatchNorm's running statistics, which (momentum 0.1) still lag the weights.
"""
import argparse
import contextlib
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

import data
import models

VIT_WARMUP_EPOCHS, VIT_MIN_LR, VIT_WEIGHT_DECAY = 5, 1e-5, 5e-5


def seed_everything(seed, deterministic=False):
    """The one place that seeds: Python, torch (CPU and CUDA), and cudnn's algorithm choice."""
    random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.backends.cudnn.benchmark = not deterministic
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # needed by deterministic cuBLAS
    # set both ways, so an earlier deterministic call in the same process does not leak into this
    # one; warn_only: a few backward kernels (e.g. adaptive avg-pool on CUDA) have no
    # deterministic version, and they warn instead of stopping the run
    torch.use_deterministic_algorithms(deterministic, warn_only=True)


_GPU_LOCKS = []  # held open for the life of the process


def pick_device(device):
    """`cuda` on a machine with several GPUs: the GPU running the fewest of our runs, counted
    by lock files, so that `make -j N` spreads its runs over the GPUs (each lock is released
    when its process ends, however it ends). Anything else is returned as it is."""
    if device != "cuda" or torch.cuda.device_count() < 2:
        return torch.device(device)
    import fcntl

    for slot in range(1000):  # fill slot 0 of every GPU, then slot 1, ...
        for gpu in range(torch.cuda.device_count()):
            f = open(Path(tempfile.gettempdir()) / f"invariance-gpu{gpu}-slot{slot}.lock", "w")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                continue
            _GPU_LOCKS.append(f)
            return torch.device(f"cuda:{gpu}")
    raise RuntimeError("no free GPU slot")


def autocast(amp):
    return torch.autocast("cuda", dtype=torch.bfloat16) if amp else contextlib.nullcontext()


def channels_last(device, amp):
    """Whether to run in channels_last: alongside bf16 on CUDA, and on a CPU, where oneDNN's
    convolutions are 1.2-1.5x faster in it for SCALE=small's narrow networks. --no-amp on CUDA
    keeps plain fp32 NCHW, the baseline of bench.py."""
    return amp or torch.device(device).type == "cpu"


def to_device(model, device, amp):
    """model on device, in the layout channels_last() picks."""
    return model.to(device, memory_format=torch.channels_last if channels_last(device, amp) else torch.preserve_format)


def to_input(x, amp=False):
    """uint8 images (B, 3, S, S) -> float in [-1, 1], in the layout channels_last() picks."""
    x = (x.float() / 255 - 0.5) / 0.5
    return x.contiguous(memory_format=torch.channels_last) if channels_last(x.device, amp) else x


@torch.no_grad()
def evaluate(model, images, labels, batch_size, amp=False):
    """Top-1 accuracy of model on uint8 images, in eval mode (BatchNorm running statistics)."""
    was_training = model.training
    model.eval()
    correct = 0
    for i in range(0, len(images), batch_size):
        with autocast(amp):
            logits = model(to_input(images[i:i + batch_size], amp))
        correct += (logits.argmax(1) == labels[i:i + batch_size]).sum().item()
    model.train(was_training)
    return correct / len(images)


def batches(n, batch_size, generator, device):
    """Index tensors of a fresh permutation of range(n); the last partial batch is dropped
    unless it is the only one."""
    perm = torch.randperm(n, generator=generator).to(device)  # drawn on CPU: same on any device
    steps = max(1, n // batch_size)
    return [perm[i * batch_size:(i + 1) * batch_size] for i in range(steps)]


def run_epoch(net, optimizer, scheduler, images, labels, batch_size, generator, amp=False, desc=""):
    """One pass of cross-entropy training; returns (mean loss, running accuracy, seconds).
    The scheduler, if any, steps every batch. transfer.py's full fine-tuning reuses this."""
    net.train()
    start, seen = time.time(), 0
    total_loss = torch.zeros((), device=images.device)  # summed on the device: no sync per step
    correct = torch.zeros((), dtype=torch.long, device=images.device)
    bar = tqdm(batches(len(images), batch_size, generator, images.device), desc=desc, leave=False,
               disable=not sys.stderr.isatty())
    for step, idx in enumerate(bar):
        with autocast(amp):
            logits = net(to_input(images[idx], amp))
            loss = F.cross_entropy(logits.float(), labels[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total_loss += loss.detach() * len(idx)
        correct += (logits.argmax(1) == labels[idx]).sum()
        seen += len(idx)
        if step % 25 == 0:  # reading the loss waits for the GPU: only now and then
            bar.set_postfix(loss=f"{loss.item():.3f}", img_s=f"{seen / (time.time() - start):.0f}")
    mean_loss, acc = total_loss.item() / seen, correct.item() / seen
    return mean_loss, acc, time.time() - start


def vit_schedule(optimizer, steps_per_epoch, epochs, lr):
    """SPEC section 4's ViT schedule, per step: linear warm-up over 5 epochs (a tenth of runs
    shorter than 50 epochs), then cosine decay from lr to 1e-5 at the end of the run."""
    warmup = min(VIT_WARMUP_EPOCHS, max(1, epochs // 10)) * steps_per_epoch
    total = epochs * steps_per_epoch

    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        t = (step - warmup) / max(1, total - warmup)
        return (VIT_MIN_LR + (lr - VIT_MIN_LR) * 0.5 * (1 + math.cos(math.pi * t))) / lr

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


# ----------------------------------------------------------------------------------------
# Run folders: every file goes to a temporary file in the same folder, then os.replace, so a
# crash never leaves a half-written file behind.


def write_atomic(path, write):
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        umask = os.umask(0o022)  # reading the umask means setting it: put it straight back
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_json(path, obj):
    write_atomic(path, lambda f: f.write((json.dumps(obj, indent=2) + "\n").encode()))


def write_jsonl(path, rows):
    write_atomic(path, lambda f: f.write("".join(json.dumps(r) + "\n" for r in rows).encode()))


def git_revision():
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def load_checkpoint(path, device="cpu"):
    """Rebuild the model from a train.py checkpoint's arguments and load its weights strictly.
    Returns (model, ckpt_args); raises ValueError with a one-line reason otherwise."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"checkpoint {path} does not exist")
    try:
        ckpt = torch.load(path, map_location=device, weights_only=True)
    except Exception as e:  # torch raises many types for a file that is not a checkpoint
        raise ValueError(f"{path} is not a readable checkpoint ({type(e).__name__})") from None
    if not (isinstance(ckpt, dict) and {"model", "args"} <= ckpt.keys() and "arch" in ckpt["args"]):
        raise ValueError(f"{path} is not a train.py checkpoint (expected 'model' and 'args' with an arch)")
    args = ckpt["args"]
    model = models.build(args["arch"], len(data.parse_classes(args["classes"])), args.get("width", 1.0))
    try:
        model.load_state_dict(ckpt["model"])  # strict: never fall back to random weights
    except RuntimeError as e:
        reason = str(e).strip().splitlines()[0]
        raise ValueError(f"{path} does not match a {args['arch']}: {reason}") from None
    return model.to(device), args


# the arguments a run's results depend on (not where or how fast it ran)
RESULT_ARGS = ["arch", "width", "transforms", "classes", "train_samples", "val_samples", "test_samples", "epochs",
               "batch_size", "lr", "weight_decay", "seed", "dataset", "objects", "backgrounds", "label", "placement"]


def default_out(args):
    transforms = "+".join(data.parse_transforms(args.transforms)) or "none"
    return str(Path("runs") / "pretrain" / f"{args.arch}-{transforms}-s{args.seed}")


def train(args):
    """Pretrain as args says and write the run folder; returns (model, metrics), where metrics
    is results.json plus "history", the per-epoch rows of metrics.jsonl. If the folder already
    has results.json (and not --force) nothing is trained: the stored model and results return."""
    out = Path(args.out or default_out(args))
    if (out / "results.json").exists() and not args.force:
        # a folder is named by its configuration, not by every setting: refuse to pass off a run
        # made with other settings as this one
        stored = json.loads((out / "args.json").read_text())
        changed = [k for k in RESULT_ARGS if k in stored and stored[k] != getattr(args, k)]
        if changed:
            diff = ", ".join(f"{k}: {stored[k]} != {getattr(args, k)}" for k in changed)
            raise ValueError(f"{out} holds a run with other settings ({diff}): delete it or use --force")
        print(f"train.py: {out} already has results.json, skipping (use --force to rerun)")
        model, _ = load_checkpoint(out / "checkpoint.pt", args.device)
        return model, json.loads((out / "results.json").read_text())
    if min(args.train_samples, args.val_samples, args.test_samples, args.epochs, args.batch_size) < 1:
        raise ValueError("--train-samples, --val-samples, --test-samples, --epochs and --batch-size "
                         "must be at least 1")
    seed_everything(args.seed, args.deterministic)
    device = pick_device(args.device)
    amp = device.type == "cuda" and not args.no_amp
    classes = data.parse_classes(args.classes)
    model = models.build(args.arch, len(classes), args.width)  # validates --arch before data or folder
    splits = {}
    for split, n in (("train", args.train_samples), ("val", args.val_samples), ("test", args.test_samples)):
        splits[split] = data.load(args.dataset, args.transforms, n, classes=classes, seed=args.seed, split=split,
                                  objects=args.objects, backgrounds=args.backgrounds, data_dir=args.data_dir,
                                  label=args.label, placement=args.placement, device=device)
    # everything is validated: only now does the run folder appear
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "args.json", {**vars(args), "out": str(out), "git_revision": git_revision()})

    model = to_device(model, device, amp)
    net = torch.compile(model) if args.compile else model
    vit = args.arch == "vit"
    weight_decay = args.weight_decay if args.weight_decay is not None else (VIT_WEIGHT_DECAY if vit else 0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=weight_decay,
                                 fused=device.type == "cuda")  # one kernel for the whole update
    steps = len(batches(args.train_samples, args.batch_size, torch.Generator(), "cpu"))
    scheduler = vit_schedule(optimizer, steps, args.epochs, args.lr) if vit else None

    images, labels = splits["train"]
    history, start = [], time.time()
    for epoch in range(1, args.epochs + 1):
        g = torch.Generator().manual_seed(args.seed * 100_003 + epoch)  # shuffling: (seed, epoch)
        loss, train_acc, seconds = run_epoch(net, optimizer, scheduler, images, labels, args.batch_size, g,
                                             amp, desc=f"epoch {epoch}/{args.epochs}")
        val_acc = evaluate(net, *splits["val"], args.batch_size, amp)
        history.append({"epoch": epoch, "train_loss": loss, "train_acc": train_acc, "val_acc": val_acc,
                        "lr": optimizer.param_groups[0]["lr"], "seconds": seconds})
        write_jsonl(out / "metrics.jsonl", history)
        print(f"epoch {epoch}/{args.epochs}  loss {loss:.3f}  train {100 * train_acc:.1f}%  "
              f"val {100 * val_acc:.1f}%  {seconds:.1f}s")

    # last-epoch weights; the unwrapped module, so no _orig_mod. prefix under --compile
    ckpt = {"model": model.state_dict(), "args": vars(args)}
    write_atomic(out / "checkpoint.pt", lambda f: torch.save(ckpt, f))
    results = {"train_acc": evaluate(net, *splits["train"], args.batch_size, amp),
               "val_acc": history[-1]["val_acc"],
               "test_acc": evaluate(net, *splits["test"], args.batch_size, amp),
               "wall_time_s": time.time() - start}
    write_json(out / "results.json", results)
    print(f"test accuracy {100 * results['test_acc']:.2f}%  ({out / 'results.json'})")
    return model, {**results, "history": history}


def add_run_args(p, out_help):
    """The flags train.py and transfer.py share: device, data, run folder, precision."""
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                   help="cpu or cuda; with several GPUs, the least busy one (default: %(default)s)")
    data.add_data_args(p)
    p.add_argument("--out", default=None, help=out_help)
    p.add_argument("--force", action="store_true", help="rerun even if the run's result file exists")
    p.add_argument("--no-amp", action="store_true",
                   help="on CUDA, fp32 and NCHW instead of bf16 autocast and channels_last")


def get_args_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--arch", default="resnet18",
                   help=f"one of {', '.join(models.MODELS)} (default: %(default)s)")
    p.add_argument("--width", type=float, default=1.0,
                   help="channel multiplier; 1 is the paper's network (default: %(default)s)")
    p.add_argument("--transforms", default="none",
                   help="comma-separated transformation or category names, or none (default: %(default)s)")
    p.add_argument("--classes", default="0-29",
                   help="object indices, e.g. 0-29 or 0,3,7 (default: %(default)s)")
    p.add_argument("--train-samples", type=int, default=50_000, help="(default: %(default)s)")
    p.add_argument("--val-samples", type=int, default=10_000, help="(default: %(default)s)")
    p.add_argument("--test-samples", type=int, default=10_000, help="(default: %(default)s)")
    p.add_argument("--epochs", type=int, default=50, help="(default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=512, help="(default: %(default)s)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: %(default)s)")
    p.add_argument("--weight-decay", type=float, default=None,
                   help=f"Adam weight decay (default: 0, or {VIT_WEIGHT_DECAY} for vit)")
    p.add_argument("--seed", type=int, default=0, help="data, init and shuffling seed (default: %(default)s)")
    add_run_args(p, "run folder (default: runs/pretrain/<arch>-<transforms>-s<seed>)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--deterministic", action="store_true",
                   help="deterministic algorithms and no cudnn benchmarking (slower)")
    return p


def main(args):
    try:
        train(args)
    except ValueError as e:
        sys.exit(f"train.py: error: {e}")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
