"""Pretrain a backbone on a dataset (PROTOCOL.md section 4.1): cross-entropy, Adam, last-epoch weights.

    python train.py --arch resnet18 --transforms rotate --classes 30-59 --out runs/pretrain/r18-rotate

The train, val and test splits are generated once onto the device as uint8 and batches are
indexed from them (no DataLoader). Adam lr 1e-3, no weight decay and no schedule, except where
the architecture's recipe (models.MODELS) says otherwise: the ViT's weight decay 5e-5, 5 warm-up
epochs, then cosine decay to 1e-5. The last epoch's weights are kept; nothing is selected on
validation or test accuracy. The run folder (runfolder.py) gets args.json, metrics.jsonl (a line
per epoch), checkpoint.pt (the unwrapped weights and the arguments that rebuild the model) and
results.json (train, val and held-out test accuracy, and the settings). A run that diverges (a
loss or a weight not finite or exploding) is stopped with one line and writes neither a
checkpoint nor results.
"""
import cli  # first, and light: then a Ctrl-C while torch loads is one line, not a traceback

cli.quiet_start(__name__)

import contextlib
import json
import math
import os
import random
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

import data
import models
import runfolder

WARMUP_EPOCHS, MIN_LR = 5, 1e-5  # the warm-up and cosine schedule of the ViT's recipe
# Past these a run has diverged, even while its numbers stay finite: a mean cross-entropy of 100
# gives the right class a probability of e^-100 (a network that is learning starts near ln(classes)
# and goes down), and no weight of a healthy network grows to a million
LOSS_LIMIT, WEIGHT_LIMIT = 100.0, 1e6


def diverged(module):
    """The name of module's first weight past WEIGHT_LIMIT or not finite, or None."""
    return next((k for k, v in module.named_parameters()
                 if not (v.isfinite().all() and v.abs().max() <= WEIGHT_LIMIT)), None)


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


@contextlib.contextmanager
def one_thread(pin):
    """With pin, the run on one CPU thread, and the thread count as it was afterwards. oneDNN's
    convolutions, MKL's matrix products and the BatchNorm sums split their work by thread and
    add in another order: 1 and 2 threads gave other weights (102 of resnet18's 122 tensors,
    issue 15), and no switch of PyTorch's makes every kernel independent of the thread count."""
    threads = torch.get_num_threads()
    if pin:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@torch.no_grad()
def evaluate(model, images, labels, batch_size, amp=False):
    """Top-1 accuracy of model on uint8 images, in eval mode (BatchNorm running statistics)."""
    was_training = model.training
    model.eval()
    correct = 0
    for i in range(0, len(images), batch_size):
        with models.autocast(amp):
            logits = model(models.to_input(images[i:i + batch_size], amp))
        correct += (logits.argmax(1) == labels[i:i + batch_size]).sum().item()
    model.train(was_training)
    return correct / len(images)


def batches(n, batch_size, generator, device):
    """Index tensors of a fresh permutation of range(n) in batches; the last one may be smaller
    (kept, as the original's DataLoader kept it: 1,000 samples at batch 512 are 2 steps, not 1)."""
    perm = torch.randperm(n, generator=generator).to(device)  # drawn on CPU: same on any device
    return list(perm.split(batch_size))


class Trainer:
    """Cross-entropy training of net on uint8 images held on the device, batch by batch: forward
    (bf16 autocast on CUDA), backward, the optimizer's step, then the scheduler's. The loss, the
    correct predictions and the first step whose loss is not finite or past LOSS_LIMIT are kept on
    the device, so an epoch waits for the GPU only when the progress bar reads them (every 25
    steps): a diverged run stops there with its epoch and step, and at the end of an epoch whose
    weights grew past WEIGHT_LIMIT.

    cuda_graph: the step on a full batch is captured once as a CUDA graph and replayed
    (PyTorch's whole-network capture: the optimizer must be capturable, and a scheduled lr a
    tensor, which the scheduler fills between replays); an epoch's smaller last batch runs
    eagerly. The warm-up steps that capturing needs are undone, so training starts as if eager."""

    def __init__(self, net, optimizer, scheduler, images, labels, batch_size, amp=False, cuda_graph=False):
        self.net, self.optimizer, self.scheduler = net, optimizer, scheduler
        self.images, self.labels, self.batch_size, self.amp = images, labels, batch_size, amp
        zeros = lambda dtype: torch.zeros((), dtype=dtype, device=images.device)
        self.loss_sum, self.correct = zeros(torch.float32), zeros(torch.long)
        self.steps, self.first_bad = zeros(torch.long), zeros(torch.long)  # first_bad 0: none yet
        self.graph_input, self.replay = None, None
        if cuda_graph:
            self.net.train()
            self.graph_input = torch.zeros(min(batch_size, len(images)), dtype=torch.long, device=images.device)
            self.replay = capture(lambda: self._step(self.graph_input), self.net, optimizer)

    def _step(self, idx):
        with models.autocast(self.amp, cache=self.graph_input is None):  # off in and around a graph
            logits = self.net(models.to_input(self.images[idx], self.amp))
            loss = F.cross_entropy(logits.float(), self.labels[idx])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.loss_sum += loss.detach() * len(idx)
        self.correct += (logits.argmax(1) == self.labels[idx]).sum()
        self.steps += 1
        sound = torch.isfinite(loss) & (loss.detach() <= LOSS_LIMIT)
        self.first_bad.copy_(torch.where(sound | (self.first_bad > 0), self.first_bad, self.steps))

    def _check(self, desc, weights=False):
        if step := int(self.first_bad):
            raise ValueError(f"{desc}, step {step}: the loss is not finite or above {LOSS_LIMIT:g}: training "
                             "diverged (a lower --lr?); no results are written")
        if weights and (name := diverged(self.net)):
            raise ValueError(f"{desc}: the weight {name} is not finite or above {WEIGHT_LIMIT:g}: training diverged "
                             "(a lower --lr?); no results are written")

    def epoch(self, generator, desc=""):
        """One pass over the images in a fresh order; returns (mean loss, running accuracy, seconds)."""
        self.net.train()
        for total in (self.loss_sum, self.correct, self.steps, self.first_bad):
            total.zero_()
        start, seen = time.time(), 0
        bar = tqdm(batches(len(self.images), self.batch_size, generator, self.images.device), desc=desc,
                   leave=False, disable=not sys.stderr.isatty())
        for step, idx in enumerate(bar):
            if self.replay is not None and len(idx) == len(self.graph_input):
                self.graph_input.copy_(idx)
                self.replay()
            else:
                self._step(idx)
            if self.scheduler is not None:
                self.scheduler.step()
            seen += len(idx)
            if step % 25 == 0:  # reading from the device waits for the GPU: only now and then
                self._check(desc)
                bar.set_postfix(loss=f"{self.loss_sum.item() / seen:.3f}",
                                img_s=f"{seen / (time.time() - start):.0f}")
        self._check(desc, weights=True)
        return self.loss_sum.item() / seen, self.correct.item() / seen, time.time() - start


def capture(step, module, optimizer):
    """step() captured as a CUDA graph (PyTorch's whole-network capture recipe); returns its replay.
    Capturing needs a few warm-up steps on a side stream (cudnn's choices, the optimizer's state):
    they are undone afterwards, in place, the module's weights and buffers put back and Adam's state
    zeroed, so that training goes on as if eager. The optimizer must be capturable."""
    saved = {k: v.clone() for k, v in module.state_dict().items()}
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    with torch.no_grad():
        for k, v in module.state_dict().items():
            v.copy_(saved[k])
        for state in optimizer.state.values():
            for v in state.values():
                if torch.is_tensor(v):
                    v.zero_()  # exp_avg, exp_avg_sq and the step count
    return graph.replay


def warmup_cosine(optimizer, steps_per_epoch, epochs, lr):
    """The ViT's schedule (PROTOCOL.md section 4.1), per step: linear warm-up over 5 epochs
    (epochs // 10 for runs shorter than 50 epochs, at least one: a one-epoch run is all warm-up),
    then cosine decay from lr to 1e-5 at the end of the run."""
    warmup = min(WARMUP_EPOCHS, max(1, epochs // 10)) * steps_per_epoch
    total = epochs * steps_per_epoch

    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        t = (step - warmup) / max(1, total - warmup)
        return (MIN_LR + (lr - MIN_LR) * 0.5 * (1 + math.cos(math.pi * t))) / lr

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def load_checkpoint(path, device="cpu"):
    """Rebuild the model from a train.py checkpoint's arguments and load its weights strictly.
    Returns (model, ckpt_args); raises ValueError with a one-line reason otherwise, among them
    weights that are not finite (a diverged run)."""
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
    try:
        model = models.build(args["arch"], len(cli.parse_classes(args["classes"])), args.get("width", 1.0))
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{path}: its arguments do not rebuild a model ({type(e).__name__}: "
                         f"{cli.one_line(e)})") from None
    weights = ckpt["model"]
    if not isinstance(weights, dict):
        raise ValueError(f"{path} is not a train.py checkpoint: its 'model' is not a state_dict")
    missing, unexpected = model.state_dict().keys() - weights.keys(), weights.keys() - model.state_dict().keys()
    if missing or unexpected:  # strict: never fall back to random weights
        what = ", ".join([f"no {k}" for k in sorted(missing)[:2]] +
                         [f"an unexpected {k}" for k in sorted(unexpected)[:2]])
        raise ValueError(f"{path} does not match a {args['arch']} of width {args.get('width', 1.0)}: it has {what} "
                         f"({len(missing)} missing, {len(unexpected)} unexpected)")
    try:
        model.load_state_dict(weights)
    except (RuntimeError, TypeError, AttributeError) as e:  # a shape: "size mismatch for body.conv1.weight: ..."
        reason = next((line.strip() for line in str(e).splitlines()[1:] if line.strip()), cli.one_line(e))
        raise ValueError(f"{path} does not match a {args['arch']}: {reason}") from None
    if name := diverged(model):
        raise ValueError(f"{path} holds a weight that is not finite or above {WEIGHT_LIMIT:g} ({name}): its "
                         "training diverged")
    return model.to(device), args


def default_out(args):
    transforms = "+".join(data.parse_transforms(args.transforms)) or "none"
    return str(Path("runs") / "pretrain" / runfolder.default_name(args, f"{args.arch}-{transforms}-s{args.seed}"))


def train(args):
    """Pretrain as args says and write the run folder; returns (model, metrics), where metrics
    is results.json plus "history", the per-epoch rows of metrics.jsonl. If the folder already
    holds this run (and not --force) nothing is trained: the stored model and results return."""
    out = Path(args.out or default_out(args))
    runfolder.check_out(out)
    if runfolder.is_done(out, "results.json", args, get_args_parser()):
        print(f"train.py: {out} already has results.json, skipping (use --force to rerun)")
        model, _ = load_checkpoint(out / "checkpoint.pt", args.device)
        return model, json.loads((out / "results.json").read_text())
    device = torch.device(args.device)
    ds = data.Dataset.from_args(args, args.transforms)
    data.check_classifier(ds)
    params = models.parameter_count(args.arch, len(ds.classes), args.width)  # validates --arch and --width
    cli.ensure_fits(16 * params, device, f"a {args.arch} of width {args.width:g} ({params:,} parameters), "
                                               "its gradients and Adam's two moments")
    data.ensure_fits(args.train_samples + args.val_samples + args.test_samples, device)
    with runfolder.claim(out), one_thread(args.deterministic and device.type == "cpu"):
        return _train(args, out, ds, device)


def _train(args, out, ds, device):
    """train() in the run folder it holds: the data, then the training, then the results."""
    seed_everything(args.seed, args.deterministic)
    amp = device.type == "cuda" and not args.no_amp
    model = models.build(args.arch, len(ds.classes), args.width)
    splits = {split: data.load(ds, n, seed=args.seed, split=split, device=device)
              for split, n in (("train", args.train_samples), ("val", args.val_samples), ("test", args.test_samples))}
    runfolder.create(out, args)  # the data are made: only now is anything of an earlier run removed

    model = models.to_device(model, device, amp)
    net = torch.compile(model) if args.compile else model
    recipe = models.MODELS[args.arch]
    weight_decay = recipe.weight_decay if args.weight_decay is None else args.weight_decay
    graph = args.cuda_graph and device.type == "cuda"  # on a CPU: eager, the same arithmetic
    scheduled = recipe.warmup_cosine
    lr = torch.tensor(args.lr, device=device) if graph and scheduled else args.lr  # a graph reads lr from memory
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay, capturable=graph,
                                 fused=device.type == "cuda")  # one kernel for the whole update
    steps = len(batches(args.train_samples, args.batch_size, torch.Generator(), "cpu"))
    scheduler = warmup_cosine(optimizer, steps, args.epochs, args.lr) if scheduled else None
    trainer = Trainer(net, optimizer, scheduler, *splits["train"], args.batch_size, amp, graph)

    history, start = [], time.time()
    for epoch in range(1, args.epochs + 1):
        g = torch.Generator().manual_seed(args.seed * 100_003 + epoch)  # shuffling: (seed, epoch)
        loss, train_acc, seconds = trainer.epoch(g, desc=f"epoch {epoch}/{args.epochs}")
        val_acc = evaluate(net, *splits["val"], args.batch_size, amp)
        history.append({"epoch": epoch, "train_loss": loss, "train_acc": train_acc, "val_acc": val_acc,
                        "lr": float(optimizer.param_groups[0]["lr"]), "seconds": seconds})
        runfolder.write_jsonl(out / "metrics.jsonl", history)
        print(f"epoch {epoch}/{args.epochs}  loss {loss:.3f}  train {100 * train_acc:.1f}%  "
              f"val {100 * val_acc:.1f}%  {seconds:.1f}s")

    # last-epoch weights; the unwrapped module, so no _orig_mod. prefix under --compile
    ckpt = {"model": model.state_dict(), "args": vars(args)}
    runfolder.write_atomic(out / "checkpoint.pt", lambda f: torch.save(ckpt, f))
    # train_acc is the last epoch's running accuracy: another pass over the training set would
    # cost a quarter of a one-epoch run
    results = {"train_acc": history[-1]["train_acc"], "val_acc": history[-1]["val_acc"],
               "test_acc": evaluate(net, *splits["test"], args.batch_size, amp), "script": "train.py",
               "settings": runfolder.settings(args)}
    runfolder.write_json(out / "results.json", results)
    print(f"test accuracy {100 * results['test_acc']:.2f}%  ({out / 'results.json'}; {time.time() - start:.1f} s)")
    return model, {**results, "history": history}


def get_args_parser():
    p = cli.Parser(prog="train.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--arch", default="resnet18",
                   help=f"one of {', '.join(models.MODELS)} (default: %(default)s)")
    p.add_argument("--width", type=cli.positive, default=1.0,
                   help="channel multiplier; 1 is the paper's network (default: %(default)s)")
    p.add_argument("--transforms", default="none",
                   help="comma-separated transformation or category names, or none (default: %(default)s)")
    p.add_argument("--train-samples", type=cli.count, default=50_000, help="(default: %(default)s)")
    p.add_argument("--val-samples", type=cli.count, default=10_000, help="(default: %(default)s)")
    p.add_argument("--test-samples", type=cli.count, default=10_000, help="(default: %(default)s)")
    p.add_argument("--epochs", type=cli.count, default=50, help="(default: %(default)s)")
    p.add_argument("--batch-size", type=cli.count, default=512, help="(default: %(default)s)")
    p.add_argument("--lr", type=cli.positive, default=1e-3, help="Adam learning rate (default: %(default)s)")
    p.add_argument("--weight-decay", type=cli.non_negative, default=None,
                   help="Adam weight decay (default: the architecture's recipe in models.MODELS: 0, or "
                        f"{models.MODELS['vit'].weight_decay} for vit)")
    data.add_data_args(p)
    cli.add_run_args(p, "runs/pretrain/<arch>-<transforms>-s<seed>")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--cuda-graph", action="store_true",
                   help="on CUDA, replay the training step as a captured CUDA graph (ignored on a CPU)")
    p.add_argument("--deterministic", action="store_true",
                   help="deterministic algorithms, no cudnn benchmarking, and on a CPU one thread, so that the "
                        "same command gives the same weights whatever the machine's core count (slower)")
    return p


def main(args):
    cli.run_main("train.py", train, args)


if __name__ == "__main__":
    main(get_args_parser().parse_args())
