"""Transfer a pretrained backbone to a target task (PROTOCOL.md sections 4.2, 4.3): linear probe or full fine-tuning.

    python transfer.py --checkpoint runs/pretrain/r18-rotate/checkpoint.pt --transforms rotate \\
        --classes 0-29 --out runs/probe/r18-rotate

The linear probe (the default) loads the checkpoint strictly, freezes the backbone with
requires_grad_(False) in eval() (BatchNorm statistics frozen), extracts the train and test
features once and fits a fresh linear head on them with Adam lr 1e-3 for 200 epochs; the code
asserts that only the head is optimised and that the backbone is unchanged. --probe-hidden N
makes the head a two-layer MLP instead (make_head builds it). --mode full then
trains every weight (the appendix's full fine-tuning), the learning rate decaying linearly to 0.
Several sets (--transforms rotate rotate,hue ...) probe the one backbone on each in turn, as E2
does with t_1 ... t_8: each set gets its own data and a fresh head, reseeded, so its record equals
a run with that set alone. results.json: {"mode", "records": [{"transforms", "train_acc",
"test_acc"}, ...], "settings"}, held-out test accuracy of the last epoch; the settings include the
checkpoint's SHA-256, so a probe of a checkpoint trained again since is not done (runfolder.py).
"""
import cli  # first, and light: then a Ctrl-C while torch loads is one line, not a traceback

cli.quiet_start(__name__)

import copy
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

import data
import models
import runfolder
import train


def make_head(feature_dim, num_classes, hidden=0):
    """The probe's head on features (B, feature_dim) -> logits (B, num_classes): one linear layer,
    the paper's, or with hidden > 0 a two-layer MLP (an ablation, --probe-hidden). The one place to
    change for another head; fine-tuning trains whatever this returns along with the backbone."""
    if hidden == 0:
        return nn.Linear(feature_dim, num_classes)
    return nn.Sequential(nn.Linear(feature_dim, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))


def fit_head(head, features, labels, *, epochs, batch_size, lr, seed, cuda_graph=None):
    """Fit head with Adam and cross-entropy on cached features; the last epoch's weights are kept.

    200 epochs of 50,000 samples are 19,600 tiny steps, bound by kernel launches and Python,
    not arithmetic. On CUDA (cuda_graph=None) a step on a full batch is captured as a CUDA graph
    and replayed: the same arithmetic, several times faster; an epoch's last, smaller batch runs
    eagerly."""
    head = head.to(features.device)
    cuda_graph = features.is_cuda if cuda_graph is None else cuda_graph
    optimizer = torch.optim.Adam(head.parameters(), lr=lr, fused=features.is_cuda, capturable=cuda_graph)
    # the protocol, as code: the optimiser holds the head's parameters and nothing else
    assert {id(p) for g in optimizer.param_groups for p in g["params"]} == {id(p) for p in head.parameters()}

    def step(idx):
        loss = F.cross_entropy(head(features[idx]), labels[idx])
        optimizer.zero_grad(set_to_none=False)  # the graph's gradients stay where it captured them
        loss.backward()
        optimizer.step()

    full = torch.zeros(min(batch_size, len(features)), dtype=torch.long, device=features.device)
    replay = train.capture(lambda: step(full), head, optimizer) if cuda_graph else None
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for batch in train.batches(len(features), batch_size, g, features.device):
            if replay is not None and len(batch) == len(full):
                full.copy_(batch)
                replay()
            else:
                step(batch)
    return head


@torch.no_grad()
def accuracy(head, features, labels):
    return (head(features).argmax(1) == labels).float().mean().item()


def probe(backbone, train_set, test_set, num_classes, *, epochs, batch_size, lr, seed, hidden=0, amp=False):
    """Frozen backbone, cached features, a fresh head (make_head): returns (head, train_acc, test_acc)."""
    backbone.requires_grad_(False).eval()
    before = copy.deepcopy(backbone.state_dict())
    train_f = models.extract_features(backbone, train_set[0], amp=amp)
    test_f = models.extract_features(backbone, test_set[0], amp=amp)
    if not (train_f.isfinite().all() and test_f.isfinite().all()):
        raise ValueError("the backbone's features are not finite: the probe would fit NaN")
    head = fit_head(make_head(train_f.shape[1], num_classes, hidden), train_f, train_set[1], epochs=epochs,
                    batch_size=batch_size, lr=lr, seed=seed)
    if name := train.diverged(head):
        raise ValueError(f"the probe diverged: its head's weight {name} is not finite or above "
                         f"{train.WEIGHT_LIMIT:g} (a lower --lr?)")
    after = backbone.state_dict()
    assert not backbone.training, "the backbone must stay in eval mode (frozen BatchNorm statistics)"
    assert all(torch.equal(before[k], after[k]) for k in before), "the probe changed the backbone"
    return head, accuracy(head, train_f, train_set[1]), accuracy(head, test_f, test_set[1])


def fine_tune(model, train_set, *, epochs, batch_size, lr, seed, amp=False):
    """Train every weight of model (backbone + probe head) with Adam and a learning rate that
    decays linearly to 0 over the whole run."""
    model.requires_grad_(True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, fused=next(model.parameters()).is_cuda)
    total = epochs * len(train.batches(len(train_set[0]), batch_size, torch.Generator(), "cpu"))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / total)
    trainer = train.Trainer(model, optimizer, scheduler, *train_set, batch_size, amp)
    for epoch in range(1, epochs + 1):
        g = torch.Generator().manual_seed(seed * 100_003 + epoch)
        loss, acc, seconds = trainer.epoch(g, desc=f"fine-tune {epoch}/{epochs}")
        print(f"fine-tune {epoch}/{epochs}  loss {loss:.3f}  train {100 * acc:.1f}%  {seconds:.1f}s")
    return model


def default_out(args):
    sets = args.transforms
    what = f"{len(sets)}sets" if len(sets) > 1 else "+".join(data.parse_transforms(sets[0])) or "none"
    name = runfolder.default_name(args, f"{args.mode}-{what}-s{args.seed}")
    return str(Path(args.checkpoint).parent / "transfer" / name)


def transfer_to(model, ds, args, device, amp):
    """One target task: the probe (and with --mode full, fine-tuning) of model on ds."""
    train.seed_everything(args.seed)  # each set exactly as if it were probed alone
    splits = {split: data.load(ds, n, seed=args.seed, split=split, device=device)
              for split, n in (("train", args.train_samples), ("test", args.test_samples))}
    head, train_acc, test_acc = probe(model, splits["train"], splits["test"], len(ds.classes), epochs=args.epochs,
                                      batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                                      hidden=args.probe_hidden, amp=amp)
    record = {"transforms": list(ds.transforms), "train_acc": train_acc, "test_acc": test_acc}
    if args.mode == "full":
        model = copy.deepcopy(model)  # the next set starts from the pretrained weights again
        model.head = head
        fine_tune(model, splits["train"], epochs=args.finetune_epochs, batch_size=args.batch_size, lr=args.lr,
                  seed=args.seed, amp=amp)
        record.update(probe_test_acc=test_acc,
                      train_acc=train.evaluate(model, *splits["train"], args.batch_size, amp),
                      test_acc=train.evaluate(model, *splits["test"], args.batch_size, amp))
    return record


def transfer(args):
    """Probe (or fine-tune) the checkpoint on each transformation set and write results.json;
    returns what it wrote."""
    args.out = args.out or default_out(args)

    def compute(loaded):
        sets = [data.Dataset.from_args(args, t) for t in args.transforms]  # every name checked first
        data.check_classifier(sets[0])
        device = torch.device(args.device)
        data.ensure_fits(args.train_samples + args.test_samples, device)
        amp = device.type == "cuda" and not args.no_amp
        model, records = models.to_device(loaded[0], device, amp), []
        for ds in sets:
            records.append(transfer_to(model, ds, args, device, amp))
            print(f"{','.join(ds.transforms) or 'none'}: train {records[-1]['train_acc']:.4f}, "
                  f"test {records[-1]['test_acc']:.4f}")
        return {"mode": args.mode, "records": records}

    return runfolder.checkpoint_run(args, get_args_parser(), "results.json", train.load_checkpoint, compute)


def get_args_parser():
    p = cli.Parser(prog="transfer.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt written by train.py")
    p.add_argument("--mode", choices=("linear", "full"), default="linear",
                   help="linear: the probe on frozen features; full: the probe, then fine-tuning of every weight "
                        "(default: %(default)s)")
    p.add_argument("--probe-hidden", type=cli.non_negative_int, default=0,
                   help="the probe's head: 0 for a linear layer (the paper's), N for a two-layer MLP with N "
                        "hidden units (default: %(default)s)")
    data.add_data_args(p)
    p.add_argument("--transforms", nargs="+", default=["none"], metavar="SET",
                   help="the target task's transformations: comma-separated names or categories, or none; "
                        "several sets are probed in turn, one record each (default: none)")
    p.add_argument("--train-samples", type=cli.count, default=50_000, help="(default: %(default)s)")
    p.add_argument("--test-samples", type=cli.count, default=10_000, help="(default: %(default)s)")
    p.add_argument("--epochs", type=cli.count, default=200, help="linear-probe epochs (default: %(default)s)")
    p.add_argument("--finetune-epochs", type=cli.count, default=50,
                   help="full fine-tuning epochs after the probe, --mode full (default: %(default)s)")
    p.add_argument("--batch-size", type=cli.count, default=512, help="(default: %(default)s)")
    p.add_argument("--lr", type=cli.positive, default=1e-3, help="Adam learning rate (default: %(default)s)")
    return cli.add_run_args(p, "<checkpoint folder>/transfer/<mode>-<transforms>-s<seed>")


def main(args):
    cli.run_main("transfer.py", transfer, args)


if __name__ == "__main__":
    main(get_args_parser().parse_args())
