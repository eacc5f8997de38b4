"""Transfer a pretrained backbone to a Transforms-2D task, or measure its invariance (SPEC section 4).

Linear probe (the default): the backbone from train.py's checkpoint is loaded strictly, frozen
with requires_grad_(False) and kept in eval() (BatchNorm statistics frozen); the features of
the train and test sets are extracted once, and a fresh linear head is fitted on the cached
features with Adam lr 1e-3 for 200 epochs. The code asserts that only the head is optimised
and that the backbone's weights and buffers are unchanged afterwards. The last epoch's head is
kept and its held-out test accuracy reported.

    python transfer.py --checkpoint runs/pretrain/resnet18-rotate-s0/checkpoint.pt \\
        --transforms rotate --classes 30-59 --out runs/transfer/resnet18-rotate-to-rotate-s0

writes args.json and results.json (test_acc, train_acc, mode, wall time) atomically, and
skips a folder that has results.json unless --force. On one H100 a resnet18 probe with the
defaults (50,000 + 10,000 images, 200 epochs) takes 3.4 s in all: the 19,600 small Adam steps
of the head run as a replayed CUDA graph (1.3 s), and the features are extracted once.

--probe-sets T1 T2 ... probes the one backbone on several transformation sets in one process
(experiment E2 probes each model on t_1 ... t_8): each set gets its own data, features and
fresh head, reseeded so that its record equals a run with --transforms of that set alone;
results.json then holds {"mode", "probes": [{"transforms", "train_acc", "test_acc"}, ...],
"wall_time_s"}.

--mode full (SPEC appendix) fits the probe as above, then fine-tunes backbone and head together
with Adam 1e-3 for --finetune-epochs epochs, the learning rate decaying linearly to 0 over the
whole run (the original stopped the decay at epoch 5 of 50, SPEC section 6).

--invariance writes invariance.json instead: for --test-samples pairs of test images that
differ only in their sampled transformation parameters (or, with --vary object|background on
the E4 composites, only in the pasted object or only in the CIFAR image), the mean feature
distance within a pair divided by the mean distance between random pairs (0 = invariant,
about 1 = not), with both the L2 and the cosine distance. --invariance --each --distributions
train,objects,random measures the invariance to each of --transforms on its own on each named
test distribution in one process (SPEC E3), and writes invariance.json with one record per
(distribution, transformation):

    python transfer.py --checkpoint runs/pretrain/resnet18-rotate-s0/checkpoint.pt --invariance \\
        --each --transforms geometric,photometric,corruption,none --distributions train,objects,random \\
        --classes 30-59 --out runs/invariance/resnet18-rotate-s0
"""
import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

import data
import train as pretrain


@torch.no_grad()
def extract_features(model, images, batch_size=None, amp=False):
    """Penultimate features (N, feature_dim) in float32 of uint8 images, model in eval mode.
    Inference only: the batch size just has to fill the GPU (default 2048) or, on a CPU, keep
    within the caches (default 256, twice as fast there as 2048); results do not depend on it."""
    model.eval()
    batch_size = batch_size or (2048 if images.is_cuda else 256)
    out = []
    for i in range(0, len(images), batch_size):
        with pretrain.autocast(amp):
            out.append(model.features(pretrain.to_input(images[i:i + batch_size], amp)).float())
    return torch.cat(out)


def fit_linear(features, labels, num_classes, *, epochs, batch_size, lr, seed, cuda_graph=None):
    """A fresh nn.Linear fitted with Adam and cross-entropy on cached features; last epoch kept.

    200 epochs of 50,000 samples are 19,600 tiny steps, bound by kernel launches and Python,
    not arithmetic. On CUDA (cuda_graph=None) one step is captured as a CUDA graph and
    replayed: the same arithmetic, several times faster."""
    head = nn.Linear(features.shape[1], num_classes).to(features.device)
    cuda_graph = features.is_cuda if cuda_graph is None else cuda_graph
    optimizer = torch.optim.Adam(head.parameters(), lr=lr, fused=features.is_cuda, capturable=cuda_graph)
    # the protocol, as code: the optimiser holds the head's parameters and nothing else
    assert {id(p) for g in optimizer.param_groups for p in g["params"]} == {id(p) for p in head.parameters()}
    # every batch has this size: pretrain.batches drops partial ones
    idx = torch.zeros(min(batch_size, len(features)), dtype=torch.long, device=features.device)

    def step():
        loss = F.cross_entropy(head(features[idx]), labels[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    if cuda_graph:
        step = _cuda_graph(step, head, optimizer)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for batch in pretrain.batches(len(features), batch_size, g, features.device):
            idx.copy_(batch)
            step()
    return head


def _cuda_graph(step, head, optimizer):
    """Capture step() as a CUDA graph (PyTorch's whole-network capture recipe) and return its
    replay. The warm-up steps that capturing needs are undone afterwards: the head's initial
    weights are restored and Adam's state is zeroed, in place, so the run is as if eager."""
    initial = [p.detach().clone() for p in head.parameters()]
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    optimizer.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        step()
    with torch.no_grad():
        for p, p0 in zip(head.parameters(), initial):
            p.copy_(p0)
        for state in optimizer.state.values():
            for v in state.values():
                v.zero_()  # exp_avg, exp_avg_sq and the step count
    return graph.replay


@torch.no_grad()
def accuracy(head, features, labels):
    return (head(features).argmax(1) == labels).float().mean().item()


def linear_probe(backbone, train_set, test_set, num_classes, *, epochs, batch_size, lr, seed, amp=False):
    """Frozen backbone, cached features, fresh head: returns (head, train_acc, test_acc)."""
    backbone.requires_grad_(False).eval()
    before = copy.deepcopy(backbone.state_dict())
    train_f = extract_features(backbone, train_set[0], amp=amp)
    test_f = extract_features(backbone, test_set[0], amp=amp)
    head = fit_linear(train_f, train_set[1], num_classes, epochs=epochs, batch_size=batch_size, lr=lr,
                      seed=seed)
    after = backbone.state_dict()
    assert not backbone.training, "the backbone must stay in eval mode (frozen BatchNorm statistics)"
    assert all(torch.equal(before[k], after[k]) for k in before), "the probe changed the backbone"
    return head, accuracy(head, train_f, train_set[1]), accuracy(head, test_f, test_set[1])


def fine_tune(model, train_set, *, epochs, batch_size, lr, seed, amp=False):
    """Train every weight of model (backbone + probe head) with Adam and a learning rate that
    decays linearly to 0 over the whole run."""
    model.requires_grad_(True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, fused=next(model.parameters()).is_cuda)
    total = epochs * len(pretrain.batches(len(train_set[0]), batch_size, torch.Generator(), "cpu"))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / total)
    for epoch in range(1, epochs + 1):
        g = torch.Generator().manual_seed(seed * 100_003 + epoch)
        loss, acc, seconds = pretrain.run_epoch(model, optimizer, scheduler, *train_set, batch_size, g, amp,
                                                desc=f"fine-tune {epoch}/{epochs}")
        print(f"fine-tune {epoch}/{epochs}  loss {loss:.3f}  train {100 * acc:.1f}%  {seconds:.1f}s")
    return model


VARY = {"transforms": "transform_seed", "object": "object_seed", "background": "image_seed"}


@torch.no_grad()
def invariance(model, transforms, n, *, classes, seed=0, device="cpu", metric="l2", dataset="t2d",
               objects="procedural", backgrounds="procedural", data_dir=None, amp=False, vary="transforms",
               label="object", placement="fixed"):
    """SPEC section 4: mean ||f(x_i) - f(x'_i)|| / mean ||f(x_i) - f(x_pi(i))|| over n test images,
    where x and x' differ only in what `vary` names: the transformation parameters (x' drawn with
    another transform_seed, same object and background), or, for the E4 composites, the object
    (another object_seed: same CIFAR image, the object and its position drawn anew) or the
    background (another image_seed: same object at the same spot, another CIFAR image); pi is a
    seeded random cyclic permutation, so no image is paired with itself. metric="cosine" uses
    1 - cosine similarity instead of the L2 distance."""
    if metric not in ("l2", "cosine"):
        raise ValueError(f"unknown metric {metric!r}: use l2 or cosine")
    f, f2 = pair_features(model, transforms, n, classes=classes, seed=seed, device=device, dataset=dataset,
                          objects=objects, backgrounds=backgrounds, data_dir=data_dir, amp=amp, vary=vary,
                          label=label, placement=placement)
    return invariance_ratio(f, f2, seed, metric)


@torch.no_grad()
def pair_features(model, transforms, n, *, classes, seed=0, device="cpu", dataset="t2d", objects="procedural",
                  backgrounds="procedural", data_dir=None, amp=False, vary="transforms", label="object",
                  placement="fixed"):
    """Features of n test images and of the same images with what `vary` names drawn anew."""
    if vary not in VARY:
        raise ValueError(f"unknown --vary {vary!r}: use {', '.join(VARY)}")
    if n < 2:
        raise ValueError(f"invariance needs at least 2 samples, got {n}")
    kw = dict(classes=classes, seed=seed, split="test", objects=objects, backgrounds=backgrounds, data_dir=data_dir,
              device=device, label=label, placement=placement)
    x, _ = data.load(dataset, transforms, n, **kw)
    x2, _ = data.load(dataset, transforms, n, **{VARY[vary]: seed + 1_000_003}, **kw)
    return extract_features(model, x, amp=amp), extract_features(model, x2, amp=amp)


def invariance_ratio(f, f2, seed, metric="l2"):
    """Mean distance within the pairs (f_i, f2_i) over the mean distance between f_i and f_pi(i)."""
    n = len(f)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    perm = torch.empty_like(order)
    perm[order] = order.roll(-1)  # each image is paired with the next one in a random order
    if metric == "l2":
        dist = lambda a, b: (a - b).norm(dim=1)
    else:
        dist = lambda a, b: 1 - F.cosine_similarity(a, b, dim=1)
    return (dist(f, f2).mean() / dist(f, f[perm.to(f.device)]).mean()).item()


def probe(model, transforms, classes, args, device, amp):
    """Linear probe on the target task under transforms: (splits, head, train_acc, test_acc)."""
    splits = {split: data.load(args.dataset, transforms, n, classes=classes, seed=args.seed, split=split,
                               objects=args.objects, backgrounds=args.backgrounds, data_dir=args.data_dir,
                               label=args.label, placement=args.placement, device=device)
              for split, n in (("train", args.train_samples), ("test", args.test_samples))}
    return splits, *linear_probe(model, splits["train"], splits["test"], len(classes), epochs=args.epochs,
                                 batch_size=args.batch_size, lr=args.lr, seed=args.seed, amp=amp)
DISTRIBUTIONS = ["train", "objects", "random", *data.CIFAR]


def distributions(names, args, ckpt_args):
    """data.load keyword arguments of each named test distribution (SPEC E3): `train` is the
    checkpoint's own training data (its dataset, classes, objects and backgrounds; test split),
    `objects` the Transforms-2D objects of --classes with --objects and --backgrounds, `random`
    random foregrounds of --classes on random backgrounds, and a CIFAR name all of its classes,
    the transformation on the whole image (from --data-dir)."""
    bad = [d for d in names if d not in DISTRIBUTIONS]
    if bad or not names:
        raise ValueError(f"unknown distribution {bad[0] if bad else ''!r}; choose from {', '.join(DISTRIBUTIONS)}")
    classes = data.parse_classes(args.classes)
    out = {}
    for name in names:
        if name == "train":
            out[name] = dict(dataset=ckpt_args.get("dataset", "t2d"), classes=data.parse_classes(ckpt_args["classes"]),
                             objects=ckpt_args.get("objects", "procedural"),
                             backgrounds=ckpt_args.get("backgrounds", "procedural"),
                             data_dir=ckpt_args.get("data_dir") or args.data_dir)
        elif name in data.CIFAR:
            out[name] = dict(dataset=name, classes=range(data.CIFAR[name][4]), data_dir=args.data_dir)
        else:
            random = name == "random"
            out[name] = dict(dataset="t2d", classes=classes, objects="random" if random else args.objects,
                             backgrounds="random" if random else args.backgrounds)
    return out


@torch.no_grad()
def invariance_each(model, names, n, dists, *, seed=0, device="cpu", amp=False):
    """Invariance (L2 and cosine) to each transformation in names alone ("none": the identity) on
    each distribution of dists ({name: data.load keyword arguments}): one record per pair."""
    records = []
    for dist, kw in dists.items():
        for name in names:
            f, f2 = pair_features(model, [] if name == "none" else [name], n, seed=seed, device=device, amp=amp, **kw)
            records.append(dict(distribution=dist, transforms=name, l2=invariance_ratio(f, f2, seed, "l2"),
                                cosine=invariance_ratio(f, f2, seed, "cosine")))
    return records


def each_transform(spec):
    """--each's list: every transformation of --transforms on its own (a category gives each of
    its members), "none" kept as the identity."""
    names = []
    for item in spec.split(","):
        names += ["none"] if item.strip() == "none" else data.parse_transforms(item)
    return list(dict.fromkeys(names))


def default_out(args):
    if args.probe_sets:
        return str(Path(args.checkpoint).parent / "transfer" / f"linear-{len(args.probe_sets)}sets-s{args.seed}")
    transforms = "+".join(data.parse_transforms(args.transforms)) or "none"
    what = "invariance" if args.invariance else args.mode
    return str(Path(args.checkpoint).parent / "transfer" / f"{what}-{transforms}-s{args.seed}")


def transfer(args):
    """Probe, fine-tune or measure invariance as args says; returns the dict written to the run
    folder (results.json, or invariance.json with --invariance)."""
    device = pretrain.pick_device(args.device)
    model, ckpt_args = pretrain.load_checkpoint(args.checkpoint, device)  # first: a bad checkpoint never skips
    out = Path(args.out or default_out(args))
    result_file = out / ("invariance.json" if args.invariance else "results.json")
    if result_file.exists() and not args.force:
        print(f"transfer.py: {out} already has {result_file.name}, skipping (use --force to rerun)")
        return json.loads(result_file.read_text())
    if min(args.train_samples, args.test_samples, args.epochs, args.batch_size) < 1:
        raise ValueError("--train-samples, --test-samples, --epochs and --batch-size must be at least 1")
    if args.probe_sets and (args.invariance or args.mode != "linear"):
        raise ValueError("--probe-sets is for linear probes only (not --invariance or --mode full)")
    pretrain.seed_everything(args.seed)
    amp = device.type == "cuda" and not args.no_amp
    classes = data.parse_classes(args.classes)
    transforms = data.parse_transforms(args.transforms)
    probe_sets = [data.parse_transforms(t) for t in args.probe_sets or []]  # all names checked first
    model = pretrain.to_device(model, device, amp)
    start = time.time()
    if args.each or args.distributions:
        if not (args.invariance and args.each and args.distributions):
            raise ValueError("--each and --distributions go together, with --invariance")
        names = each_transform(args.transforms)
        dists = distributions(args.distributions.split(","), args, ckpt_args)
        result = {"samples": args.test_samples,
                  "records": invariance_each(model, names, args.test_samples, dists, seed=args.seed, device=device,
                                             amp=amp),
                  "wall_time_s": time.time() - start}
    elif args.invariance:
        kw = dict(classes=classes, seed=args.seed, device=device, dataset=args.dataset, objects=args.objects,
                  backgrounds=args.backgrounds, data_dir=args.data_dir, amp=amp, vary=args.vary,
                  label=args.label, placement=args.placement)
        result = {metric: invariance(model, transforms, args.test_samples, metric=metric, **kw)
                  for metric in ("l2", "cosine")}
        result.update(transforms=transforms, vary=args.vary)
    elif probe_sets:
        probes = []
        for names in probe_sets:
            pretrain.seed_everything(args.seed)  # each set exactly as if probed alone
            _, _, train_acc, test_acc = probe(model, names, classes, args, device, amp)
            probes.append({"transforms": names, "train_acc": train_acc, "test_acc": test_acc})
            print(f"probe on {','.join(names) or 'none'}: train {train_acc:.4f}, test {test_acc:.4f}")
        result = {"mode": args.mode, "probes": probes, "wall_time_s": time.time() - start}
    else:
        splits, head, train_acc, test_acc = probe(model, transforms, classes, args, device, amp)
        result = {"mode": args.mode}
        if args.mode == "full":
            result["probe_test_acc"] = test_acc
            model.head = head
            fine_tune(model, splits["train"], epochs=args.finetune_epochs, batch_size=args.batch_size,
                      lr=args.lr, seed=args.seed, amp=amp)
            train_acc = pretrain.evaluate(model, *splits["train"], args.batch_size, amp)
            test_acc = pretrain.evaluate(model, *splits["test"], args.batch_size, amp)
        result.update(train_acc=train_acc, test_acc=test_acc, wall_time_s=time.time() - start)
    # everything is computed: only now does the run folder appear
    out.mkdir(parents=True, exist_ok=True)
    pretrain.write_json(out / "args.json",
                        {**vars(args), "out": str(out), "git_revision": pretrain.git_revision()})
    pretrain.write_json(result_file, result)
    numbers = ", ".join(f"{k} {v:.4f}" for k, v in result.items() if isinstance(v, float))
    print(f"{out / result_file.name}: {numbers}")
    return result


def get_args_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt written by train.py")
    p.add_argument("--mode", choices=("linear", "full"), default="linear",
                   help="linear probe on frozen features, or full fine-tuning (default: %(default)s)")
    p.add_argument("--invariance", action="store_true",
                   help="measure the invariance of the features to --transforms instead of transferring")
    sets = p.add_mutually_exclusive_group()
    sets.add_argument("--transforms", default="none",
                      help="comma-separated transformation or category names, or none (default: %(default)s)")
    sets.add_argument("--probe-sets", nargs="+", metavar="TRANSFORMS",
                      help="linear-probe on each of these transformation sets in turn (one run, one "
                           "results.json with a record per set under 'probes'), e.g. rotate rotate,hue")
    p.add_argument("--vary", choices=list(VARY), default="transforms",
                   help="with --invariance: what differs within a pair; object or background for the E4 "
                        "composites (default: %(default)s)")
    p.add_argument("--each", action="store_true",
                   help="with --invariance and --distributions: the invariance to each of --transforms alone "
                        "(a category: each member; none: the identity), one record each in invariance.json")
    p.add_argument("--distributions", default=None,
                   help=f"with --each: comma-separated test distributions from {', '.join(DISTRIBUTIONS)} "
                        "(train: the checkpoint's training data; objects: --classes with --objects and "
                        "--backgrounds; random: random foregrounds and backgrounds; CIFAR: every class, "
                        "from --data-dir) (default: %(default)s)")
    p.add_argument("--classes", default="0-29",
                   help="object indices of the target task (default: %(default)s)")
    p.add_argument("--train-samples", type=int, default=50_000, help="(default: %(default)s)")
    p.add_argument("--test-samples", type=int, default=10_000,
                   help="test images, also the pairs for --invariance (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=200, help="linear-probe epochs (default: %(default)s)")
    p.add_argument("--finetune-epochs", type=int, default=50,
                   help="full fine-tuning epochs after the probe, --mode full (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=512, help="(default: %(default)s)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0,
                   help="data, head init and shuffling seed (default: %(default)s)")
    pretrain.add_run_args(p, "run folder (default: <checkpoint folder>/transfer/<mode>-<transforms>-s<seed>)")
    return p


def main(args):
    try:
        transfer(args)
    except ValueError as e:
        sys.exit(f"transfer.py: error: {e}")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
