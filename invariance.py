"""How invariant a backbone's features are to transformations (PROTOCOL.md section 4.4; E3, E4).

    python invariance.py --checkpoint runs/pretrain/r18-rotate/checkpoint.pt --transforms rotate \\
        --classes 30-59 --out runs/invariance/r18-rotate

For n test images x_i and copies x'_i that differ only in what --vary names (the sampled
transformation parameters; for E4's composites the pasted object, or the CIFAR image behind it):
invariance = mean ||f(x_i) - f(x'_i)|| / mean ||f(x_i) - f(x_pi(i))||, pi a seeded random cyclic
permutation; 0 = invariant, about 1 = not. Also with the cosine distance. One measurement is the
sweep with one name: several sets (--transforms rotate hue none) on several test distributions
(--distributions train,objects,random,cifar10, E3's columns) are measured in one process.
invariance.json: {"samples", "records": [{"distribution", "transforms", "vary", "l2", "cosine"}],
"settings"}. Features that are not finite, or that do not vary between images (0 / 0), are refused.
"""
import cli  # first, and light: then a Ctrl-C while torch loads is one line, not a traceback

cli.quiet_start(__name__)

import dataclasses
from pathlib import Path

import torch
import torch.nn.functional as F

import cifar
import data
import models
import runfolder
import train

VARY = {"transforms": "transform_seed", "object": "object_seed", "background": "image_seed"}
DISTRIBUTIONS = ["data", "train", "objects", "random", *cifar.CIFAR]


@torch.no_grad()
def pair_features(model, ds, n, *, seed=0, vary="transforms", device="cpu", amp=False):
    """Features of n test images of ds and of the same images with what `vary` names drawn anew."""
    if vary not in VARY:
        raise ValueError(f"unknown --vary {vary!r}: use {', '.join(VARY)}")
    if n < 2:
        raise ValueError(f"invariance needs at least 2 samples, got {n}")
    x, _ = data.load(ds, n, seed=seed, split="test", device=device)
    x2, _ = data.load(ds, n, seed=seed, split="test", device=device, **{VARY[vary]: seed + 1_000_003})
    f, f2 = models.extract_features(model, x, amp=amp), models.extract_features(model, x2, amp=amp)
    if not (f.isfinite().all() and f2.isfinite().all()):
        raise ValueError("the backbone's features are not finite: no invariance can be measured")
    return f, f2


def ratio(f, f2, seed, metric="l2"):
    """Mean distance within the pairs (f_i, f2_i) over the mean distance between f_i and f_pi(i)."""
    order = torch.randperm(len(f), generator=torch.Generator().manual_seed(seed))
    perm = torch.empty_like(order)
    perm[order] = order.roll(-1)  # each image is paired with the next one in a random order
    if metric == "l2":
        dist = lambda a, b: (a - b).norm(dim=1)
    else:
        dist = lambda a, b: 1 - F.cosine_similarity(a, b, dim=1)
    between = dist(f, f[perm.to(f.device)]).mean()
    if not between > 0:
        raise ValueError(f"the features do not vary between images ({metric} distance 0): their invariance is "
                         "0 / 0, undefined")
    return (dist(f, f2).mean() / between).item()


def invariance(model, ds, n, *, seed=0, vary="transforms", device="cpu", amp=False):
    """The invariance (PROTOCOL.md section 4.4) of model's features to ds's transformations (or, with vary,
    to a composite's object or background): {"l2": ..., "cosine": ...}."""
    f, f2 = pair_features(model, ds, n, seed=seed, vary=vary, device=device, amp=amp)
    return {metric: ratio(f, f2, seed, metric) for metric in ("l2", "cosine")}


def distributions(names, ds, ckpt_args):
    """The test distribution of each name (E3, PROTOCOL.md section 5.4): data, the dataset the data flags describe;
    train, the checkpoint's own training data (test split); objects, Transforms-2D objects of
    --classes; random, random foregrounds of --classes on random backgrounds; a CIFAR name, all
    of its classes, the transformations on the whole image."""
    bad = [d for d in names if d not in DISTRIBUTIONS]
    if bad or not names:
        raise ValueError(f"unknown distribution {bad[0] if bad else ''!r}; choose from {', '.join(DISTRIBUTIONS)}")
    out = {}
    for name in names:
        if name == "data":
            out[name] = ds
        elif name == "train":
            c = ckpt_args
            if "dataset" not in c or "objects" not in c:
                raise ValueError("the checkpoint does not say what data it was trained on (no dataset or objects "
                                 "in its arguments): give the distribution as data and the data flags instead of train")
            out[name] = data.Dataset(c.get("dataset", "t2d"), (), tuple(cli.parse_classes(c["classes"])),
                                     c.get("objects", "procedural"), c.get("backgrounds", "procedural"),
                                     c.get("data_dir") or ds.data_dir, c.get("label", "object"),
                                     c.get("placement", "fixed"))
        elif name in cifar.CIFAR:
            out[name] = data.Dataset(name, classes=tuple(range(cifar.CIFAR[name][4])), data_dir=ds.data_dir)
        elif name == "random":
            out[name] = data.Dataset(classes=ds.classes, objects="random", backgrounds="random")
        else:
            out[name] = data.Dataset(classes=ds.classes, objects=ds.objects, backgrounds=ds.backgrounds)
    return out


def default_out(args):
    what = "+".join(data.parse_transforms(args.transforms[0])) or "none" if len(args.transforms) == 1 \
        else f"{len(args.transforms)}sets"
    name = runfolder.default_name(args, f"{args.vary}-{what}-s{args.seed}")
    return str(Path(args.checkpoint).parent / "invariance" / name)


def measure(args):
    """The invariance of the checkpoint to each transformation set on each distribution; writes
    and returns invariance.json."""
    args.out = args.out or default_out(args)

    def compute(loaded):
        model, ckpt_args = loaded
        ds = data.Dataset.from_args(args)
        dists = distributions(args.distributions.split(","), ds, ckpt_args)
        sets = [data.parse_transforms(t) for t in args.transforms]  # every name checked first
        device = torch.device(args.device)
        data.ensure_fits(2 * args.samples, device)
        amp = device.type == "cuda" and not args.no_amp
        model, records = models.to_device(model, device, amp), []
        for dist, dist_ds in dists.items():
            for names in sets:
                result = invariance(model, dataclasses.replace(dist_ds, transforms=tuple(names)), args.samples,
                                    seed=args.seed, vary=args.vary, device=device, amp=amp)
                records.append({"distribution": dist, "transforms": ",".join(names) or "none", "vary": args.vary,
                                **result})
                print(f"{dist}, {records[-1]['transforms']}: l2 {result['l2']:.4f}, cosine {result['cosine']:.4f}")
        return {"samples": args.samples, "records": records}

    return runfolder.checkpoint_run(args, get_args_parser(), "invariance.json", train.load_checkpoint, compute)


def get_args_parser():
    p = cli.Parser(prog="invariance.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt written by train.py")
    p.add_argument("--vary", choices=list(VARY), default="transforms",
                   help="what differs within a pair: the transformations' parameters, or, for E4's composites, "
                        "the object or the background (default: %(default)s)")
    p.add_argument("--transforms", nargs="+", default=["none"], metavar="SET",
                   help="transformations to measure the invariance to: comma-separated names or categories, "
                        "or none; several sets are measured in turn, one record each (default: none)")
    data.add_data_args(p)
    p.add_argument("--distributions", default="data",
                   help=f"comma-separated test distributions from {', '.join(DISTRIBUTIONS)}: data, the dataset of "
                        "the data flags; train, the checkpoint's training data; objects, Transforms-2D objects of "
                        "--classes; random, random foregrounds and backgrounds; CIFAR, every class, from --data-dir "
                        "(default: %(default)s)")
    p.add_argument("--samples", type=cli.count, default=10_000,
                   help="pairs of test images, at least 2 (default: %(default)s)")
    return cli.add_run_args(p, "<checkpoint folder>/invariance/<vary>-<transforms>-s<seed>")


def main(args):
    cli.run_main("invariance.py", measure, args)


if __name__ == "__main__":
    main(get_args_parser().parse_args())
