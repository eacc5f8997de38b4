"""Figures of the paper, drawn from data and result files only (this script never trains).

    python plots.py fig1 --out figures/fig1.png    # `make fig1`: Transforms-2D examples
    python plots.py fig2 --scale small             # `make fig2`, after the runs exist
    python plots.py fig3 --scale small             # `make fig3`, from the same runs
    python plots.py fig4 --scale small             # `make fig4`: experiment E2

fig1 is the paper's Figure 1: one row per transformation (and one with none), several
samples of one object per row (about ten seconds on a laptop CPU). fig2 is Figure 2: per
factor, transfer and pretraining accuracy against the factor's values for models pretrained
with the target's transformations (same) or others (different), mean and 95% interval over
seeds; it also writes figures/fig2.json and prints the claims table. fig3 is Figure 3: per
factor, the same-minus-different gap against the span each factor causes. fig4 is Figure 4:
per architecture, the linear-probe accuracy on t_j (the first j of the seed's 8
transformations) of the models pretrained on t_k, one line per k, with figures/fig4.json and
a claims table (accuracy high for j <= k, falling past k). Every figure is written as PNG and
PDF. The tables (E3, E4) and the report are tables.py's.
"""
import json
import math
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402

import data  # noqa: E402
import experiments  # noqa: E402
from runfolder import Parser, read_records  # noqa: E402


def _to_hwc(img):
    return img.permute(1, 2, 0).numpy()  # (3, H, W) uint8 -> (H, W, 3)


def save_figure(fig, out, pdf=False):
    """Write fig as out (PNG), plus a PDF twin if asked."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for path in [out] + ([out.with_suffix(".pdf")] if pdf else []):
        fig.savefig(path, format=path.suffix[1:], bbox_inches="tight", dpi=150)
    plt.close(fig)


def write_json(path, obj):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(obj, indent=2) + "\n")


def fig1(out, obj=0, samples=8, seed=0, objects="procedural", backgrounds="procedural"):
    """Paper Figure 1: each transformation applied to one object."""
    rows = ["none"] + data.TRANSFORMS
    fig, axes = plt.subplots(len(rows), samples, figsize=(0.75 * samples + 1.2, 0.75 * len(rows)),
                             squeeze=False, gridspec_kw=dict(wspace=0.05, hspace=0.05))
    for row, name in zip(axes, rows):
        images, _ = data.generate([] if name == "none" else [name], samples, classes=[obj],
                                  seed=seed, objects=objects, backgrounds=backgrounds)
        for ax, img in zip(row, images):
            ax.imshow(_to_hwc(img), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    save_figure(fig, out, pdf=True)


# ----------------------------------------------------------------------------------------
# E1: Figures 2 and 3

T_975 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}
LABELS = {name: f.label for name, f in experiments.FACTORS.items()}
COLORS = {"same": "tab:blue", "different": "tab:orange"}


def mean_ci(values):
    """Mean and the half-width of its 95% t-interval (0 for a single value)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return mean, T_975.get(n - 1, 1.96) * sd / math.sqrt(n)


DATASET_LABELS = {"t2d": "Transforms-2D", "cifar10": "CIFAR-10", "cifar100": "CIFAR-100"}


def e1_results(scale, root="runs", cifar_dir=None):
    """{dataset: {factor: [record per (value, invariance)]}} from the E1 runs present, with
    every seed's transfer (probe test) and pretraining test accuracy, means and 95% intervals."""
    _, points = experiments.e1(scale, root, cifar_dir)
    found = {}
    for p in points:
        probe, pre = Path(p.probe) / "results.json", Path(p.pretrain) / "results.json"
        if probe.exists() and pre.exists():
            found.setdefault((p.dataset, p.factor, p.value, p.kind), []).append(
                (read_records(probe, "test_acc", n=1)[0]["test_acc"], read_records(pre, "test_acc")[0]["test_acc"]))
    if not found:
        raise ValueError(f"no E1 results under {root}/{scale}: run `make fig2 SCALE={scale}` first")
    n_found = sum(len(v) for v in found.values())
    if n_found < len(points):
        print(f"plots.py: {len(points) - n_found} of {len(points)} E1 points have no results yet; "
              "plotting the others", file=sys.stderr)
    out = {}
    for (dataset, factor, value, invariance), accs in sorted(
            found.items(), key=lambda kv: (data.DATASETS.index(kv[0][0]), list(LABELS).index(kv[0][1]),
                                           experiments.factor_values(kv[0][1], scale, kv[0][0]).index(kv[0][2]),
                                           kv[0][3] != "same")):
        transfer, pretrain = [a for a, _ in accs], [b for _, b in accs]
        t_mean, t_ci = mean_ci(transfer)
        p_mean, p_ci = mean_ci(pretrain)
        out.setdefault(dataset, {}).setdefault(factor, []).append(dict(
            dataset=dataset, value=value, invariance=invariance, transfer_acc=t_mean, transfer_ci=t_ci,
            transfer_acc_seeds=transfer, pretrain_acc=p_mean, pretrain_ci=p_ci, pretrain_acc_seeds=pretrain))
    return out


def claims(results):
    """Per dataset and factor: the mean same-minus-different transfer gap (and the smallest),
    the span of transfer accuracy across the factor's values for each kind, and whether same
    beats different at every value."""
    rows = []
    for dataset, factors in results.items():
        for factor, recs in factors.items():
            acc = {(r["value"], r["invariance"]): r["transfer_acc"] for r in recs}
            values = list(dict.fromkeys(r["value"] for r in recs))
            paired = [v for v in values if (v, "same") in acc and (v, "different") in acc]
            gaps = [acc[v, "same"] - acc[v, "different"] for v in paired]
            span = {}
            for kind in ("same", "different"):
                kind_acc = [acc[v, kind] for v in values if (v, kind) in acc]
                span[kind] = max(kind_acc) - min(kind_acc) if kind_acc else float("nan")
            rows.append(dict(dataset=dataset, factor=factor, gap=sum(gaps) / len(gaps) if gaps else float("nan"),
                             min_gap=min(gaps, default=float("nan")), span_same=span["same"],
                             span_different=span["different"], same_beats_different=bool(gaps) and min(gaps) > 0))
    return rows


def claims_table(rows):
    lines = ["| dataset | factor | gap same - different | smallest gap | span (same) | span (different) | "
             "same > different at every value |", "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {DATASET_LABELS[r['dataset']]} | {LABELS[r['factor']]} | {r['gap']:.3f} | "
                     f"{r['min_gap']:.3f} | {r['span_same']:.3f} | {r['span_different']:.3f} | "
                     f"{'yes' if r['same_beats_different'] else 'NO'} |")
    return "\n".join(lines)


def fig2(scale, out, root="runs", cifar_dir=None):
    """Paper Figure 2 (a row per dataset) and figures/fig2.json; prints the claims table."""
    results = e1_results(scale, root, cifar_dir)
    fig, axes = plt.subplots(len(results), len(LABELS), figsize=(4 * len(LABELS), 3.3 * len(results) + 0.5),
                             squeeze=False)
    for row, (dataset, factors) in zip(axes, results.items()):
        for ax, factor in zip(row, LABELS):
            if factor not in factors:
                ax.axis("off")
                continue
            recs = factors[factor]
            values = list(dict.fromkeys(r["value"] for r in recs))
            for kind in ("same", "different"):
                rs = {r["value"]: r for r in recs if r["invariance"] == kind}
                xs = [i for i, v in enumerate(values) if v in rs]
                for metric, style in (("transfer", "-o"), ("pretrain", "--s")):
                    mean = [rs[values[i]][f"{metric}_acc"] for i in xs]
                    ax.plot(xs, mean, style, color=COLORS[kind], ms=4, label=f"{kind}, {metric}")
                # 95% interval of the transfer accuracy (clipped to [0, 1]) and every seed's value
                mean = [rs[values[i]]["transfer_acc"] for i in xs]
                ci = [rs[values[i]]["transfer_ci"] for i in xs]
                ax.fill_between(xs, [max(0, m - c) for m, c in zip(mean, ci)],
                                [min(1, m + c) for m, c in zip(mean, ci)], color=COLORS[kind], alpha=0.12, lw=0)
                for i in xs:
                    seeds = rs[values[i]]["transfer_acc_seeds"]
                    ax.plot([i] * len(seeds), seeds, ".", color=COLORS[kind], ms=3, alpha=0.6)
            ax.set_xticks(range(len(values)), [str(v) for v in values],
                          rotation=30 if factor == "architecture" else 0)
            ax.set_title(f"{DATASET_LABELS[dataset]}: {LABELS[factor]}", fontsize=10)
            ax.set_ylim(0, 1.02)
            ax.grid(alpha=0.3)
        row[0].set_ylabel("accuracy")
    axes[0][0].legend(fontsize=8, loc="lower left")
    fig.suptitle(f"Invariance versus other factors ({experiments.caption(scale, experiments.E1[scale])})",
                 fontsize=9)
    fig.tight_layout()
    save_figure(fig, out, pdf=True)
    keys = ("dataset", "value", "invariance", "transfer_acc", "transfer_acc_seeds", "pretrain_acc")
    json_out = {}
    for factors in results.values():
        for factor, recs in factors.items():
            json_out.setdefault(factor, []).extend({k: r[k] for k in keys} for r in recs)
    write_json(Path(out).with_suffix(".json"), json_out)
    table = claims_table(claims(results))
    print(table)
    return table


def fig3(scale, out, root="runs", cifar_dir=None):
    """Paper Figure 3: per dataset and factor, the invariance gap next to each kind's span."""
    rows = claims(e1_results(scale, root, cifar_dir))
    fig, ax = plt.subplots(figsize=(1.5 * len(rows) + 2, 3.6))
    width = 0.26
    for i, (key, label, color) in enumerate([("gap", "same - different (invariance)", "tab:green"),
                                             ("span_same", "span across values, same", COLORS["same"]),
                                             ("span_different", "span across values, different",
                                              COLORS["different"])]):
        ax.bar([j + (i - 1) * width for j in range(len(rows))], [r[key] for r in rows], width,
               label=label, color=color)
    several = len({r["dataset"] for r in rows}) > 1
    ax.set_xticks(range(len(rows)), [(f"{DATASET_LABELS[r['dataset']]}\n" if several else "") +
                                     LABELS[r["factor"]] for r in rows], fontsize=8)
    ax.set_ylabel("difference in transfer accuracy")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(f"Invariance against other factors\n({experiments.caption(scale, experiments.E1[scale])})",
                 fontsize=8)
    save_figure(fig, out, pdf=True)


# ----------------------------------------------------------------------------------------
# E2: Figure 4


def e2_results(scale, root="runs"):
    """{arch: [record per (k, j)]} from the E2 runs present: probe test accuracy on t_j of the
    model pretrained on t_k, every seed's value, mean and 95% interval, and the pretraining's
    test accuracy (on t_k)."""
    _, points = experiments.e2(scale, root)
    found, n_found = {}, 0
    for p in points:
        probe, pre = Path(p.probe) / "results.json", Path(p.pretrain) / "results.json"
        if probe.exists() and pre.exists():
            n_found += 1
            pre_acc = read_records(pre, "test_acc")[0]["test_acc"]
            for j, rec in enumerate(read_records(probe, "test_acc", n=experiments.E2_DEPTH), 1):
                found.setdefault((p.arch, p.k, j), []).append((rec["test_acc"], pre_acc))
    if not found:
        raise ValueError(f"no E2 results under {root}/{scale}: run `make fig4 SCALE={scale}` first")
    if n_found < len(points):
        print(f"plots.py: {len(points) - n_found} of {len(points)} E2 models have no results yet; "
              "plotting the others", file=sys.stderr)
    out = {}
    for (arch, k, j), accs in sorted(found.items(), key=lambda kv: (experiments.E2_ARCHS.index(kv[0][0]),
                                                                    kv[0][1:])):
        seeds = [a for a, _ in accs]
        mean, ci = mean_ci(seeds)
        out.setdefault(arch, []).append(dict(k=k, j=j, test_acc=mean, test_ci=ci, test_acc_seeds=seeds,
                                             pretrain_acc=mean_ci([b for _, b in accs])[0]))
    return out


def e2_claims(results):
    """Per architecture (SPEC E2: high whenever j <= k, falling with every unseen transformation):
    mean probe accuracy on j <= k and on j > k, for how many k < 8 the accuracy at j = 8 is below
    the one at j = k, and the accuracy at j = 8 of the k = 1 and k = 8 models."""
    rows = []
    for arch, recs in results.items():
        acc = {(r["k"], r["j"]): r["test_acc"] for r in recs}
        seen = [a for (k, j), a in acc.items() if j <= k]
        unseen = [a for (k, j), a in acc.items() if j > k]
        last = experiments.E2_DEPTH
        ks = [k for k in range(1, last) if (k, k) in acc and (k, last) in acc]
        rows.append(dict(arch=arch, seen=sum(seen) / len(seen) if seen else float("nan"),
                         unseen=sum(unseen) / len(unseen) if unseen else float("nan"),
                         falls=sum(acc[k, last] < acc[k, k] for k in ks), of=len(ks),
                         first_on_last=acc.get((1, last), float("nan")),
                         last_on_last=acc.get((last, last), float("nan"))))
    return rows


def e2_claims_table(rows):
    last = experiments.E2_DEPTH
    lines = [f"| architecture | mean acc, j <= k | mean acc, j > k | acc(k, j={last}) < acc(k, j=k) | "
             f"k=1 on j={last} | k={last} on j={last} |", "|---|---:|---:|---|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['arch']} | {r['seen']:.3f} | {r['unseen']:.3f} | {r['falls']} of {r['of']} k | "
                     f"{r['first_on_last']:.3f} | {r['last_on_last']:.3f} |")
    return "\n".join(lines)


def fig4(scale, out, root="runs"):
    """Paper Figure 4 (a panel per architecture: probe accuracy on t_j, a line per k) and
    figures/fig4.json; prints the claims table."""
    results = e2_results(scale, root)
    depth = experiments.E2_DEPTH
    colors = plt.cm.viridis([i / (depth - 1) for i in range(depth)])  # k = 1 dark ... k = 8 light
    fig, axes = plt.subplots(1, len(results), figsize=(3.6 * len(results), 3.4), squeeze=False, sharey=True)
    for ax, (arch, recs) in zip(axes[0], results.items()):
        for k in range(1, depth + 1):
            rs = sorted((r for r in recs if r["k"] == k), key=lambda r: r["j"])
            if not rs:
                continue
            js, mean = [r["j"] for r in rs], [r["test_acc"] for r in rs]
            ax.plot(js, mean, "-o", color=colors[k - 1], ms=3, lw=1.5, label=f"k = {k}")
            ax.fill_between(js, [max(0, m - r["test_ci"]) for m, r in zip(mean, rs)],
                            [min(1, m + r["test_ci"]) for m, r in zip(mean, rs)], color=colors[k - 1],
                            alpha=0.12, lw=0)
        ax.set_title(arch, fontsize=10)
        ax.set_xticks(range(1, depth + 1))
        ax.set_xlabel("probed on t_j (j transformations)")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("linear-probe test accuracy")
    axes[0][-1].legend(title="pretrained on t_k", fontsize=7, title_fontsize=7, loc="center left",
                       bbox_to_anchor=(1.02, 0.5))
    caption = experiments.caption(scale, experiments.E2[scale])
    fig.suptitle(f"Invariance mismatch: nested transformation sets ({caption})", fontsize=9)
    fig.tight_layout()
    save_figure(fig, out, pdf=True)
    keys = ("k", "j", "test_acc", "test_acc_seeds", "pretrain_acc")
    write_json(Path(out).with_suffix(".json"),
               {arch: [{key: r[key] for key in keys} for r in recs] for arch, recs in results.items()})
    table = e2_claims_table(e2_claims(results))
    print(table)
    return table


def get_args_parser():
    p = Parser(prog="plots.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="figure", required=True)
    f1 = sub.add_parser("fig1", help="Transforms-2D examples, one row per transformation")
    f1.add_argument("--out", default="figures/fig1.png", help="PNG to write, PDF beside it "
                    "(default: %(default)s)")
    f1.add_argument("--object", type=int, default=0, help="object index (default: %(default)s)")
    f1.add_argument("--samples", type=int, default=8, help="samples per row (default: %(default)s)")
    f1.add_argument("--seed", type=int, default=0, help="dataset seed (default: %(default)s)")
    default_dir = os.environ.get("SI_SCORE_DIR", "procedural")
    f1.add_argument("--objects", default=default_dir, help="as in data.py (default: %(default)s)")
    f1.add_argument("--backgrounds", default=default_dir, help="as in data.py (default: %(default)s)")
    for name, what in (("fig2", "invariance versus other factors (experiment E1)"),
                       ("fig3", "gap against spans (experiment E1)"),
                       ("fig4", "nested transformation sets (experiment E2)")):
        f = sub.add_parser(name, help=f"{what}, from the runs present")
        f.add_argument("--scale", choices=list(experiments.E1), default="small",
                       help="(default: %(default)s)")
        f.add_argument("--root", default="runs", help="folder of all runs (default: %(default)s)")
        if name != "fig4":
            f.add_argument("--cifar-dir", default=os.environ.get("CIFAR_DIR"),
                           help="adds the CIFAR rows, as experiments.py (default: $CIFAR_DIR: %(default)s)")
        f.add_argument("--out", default=f"figures/{name}.png", help="PNG to write, PDF (and for fig2 "
                       "and fig4 JSON) beside it (default: %(default)s)")
    return p


def main(args):
    try:
        if args.figure == "fig1":
            fig1(args.out, args.object, args.samples, args.seed, args.objects, args.backgrounds)
        elif args.figure == "fig2":
            fig2(args.scale, args.out, args.root, args.cifar_dir)
        elif args.figure == "fig3":
            fig3(args.scale, args.out, args.root, args.cifar_dir)
        else:
            fig4(args.scale, args.out, args.root)
    except ValueError as e:
        sys.exit(f"plots.py: error: {e}")
    print(f"wrote {args.out} and {Path(args.out).with_suffix('.pdf')}")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
