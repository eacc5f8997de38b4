"""Figures of the paper, drawn from data and result files only (this script never trains).

    python plots.py fig2 --scale small      # `make fig2`, once experiments.py has made the runs

fig1: each transformation on one object (Figure 1). fig2: per factor, transfer and pretraining
accuracy of the same and different models against the factor's values, every seed a dot, and
under it the paired same-minus-different gap with its 95% interval (Figure 2). fig3: per factor,
that gap against the span of accuracy the factor causes (Figure 3). fig4: per architecture, the
probe accuracy on t_j of the models pretrained on t_k (Figure 4). fig2-finetune: fig2's factors
with full fine-tuning on 200 and 2,000 target samples (the appendix). Each figure is written as
PNG and PDF with a JSON of its numbers, and prints its claims table (claims.py) beside the
paper's numbers. invariance_heatmap draws E3's appendix heatmap; the tables (E3, E4) and the
report are tables.py's.
"""
import cli  # first, and light: then a Ctrl-C while torch loads is one line, not a traceback

cli.quiet_start(__name__)

import os
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402

import claims  # noqa: E402
import data  # noqa: E402
import experiments  # noqa: E402
import runfolder  # noqa: E402
from cli import Parser
from runfolder import finite, write_json  # noqa: E402


def _to_hwc(img):
    return img.permute(1, 2, 0).numpy()  # (3, H, W) uint8 -> (H, W, 3)


def save_figure(fig, out, pdf=False):
    """Write fig as out (PNG), plus a PDF twin if asked; without a creation date, so that the same
    results give the same bytes (results/ is under version control)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for path in [out] + ([out.with_suffix(".pdf")] if pdf else []):
        fig.savefig(path, format=path.suffix[1:], bbox_inches="tight", dpi=150,
                    metadata={"CreationDate": None} if path.suffix == ".pdf" else None)
    plt.close(fig)


def _overrides(s, key, fmt):
    found = [f"{arch} {format(o[key], fmt)}" for arch, o in s.get("arch", {}).items() if key in o]
    return f" ({', '.join(found)})" if found else ""


def caption(scale, s):
    """What a scale reduces, for figure captions; s: an experiment's settings at that scale."""
    seeds = f"{s['seeds']} seed{'s' * (s['seeds'] != 1)}"
    if scale == "paper":
        return f"paper scale: {seeds}"
    text = (f"{scale} scale: {seeds}, networks {s['width']:g} x as wide{_overrides(s, 'width', 'g')}, "
            f"{s['train_samples']:,} pretraining samples, {s['image_budget']:,} images per pretraining"
            f"{_overrides(s, 'image_budget', ',')} at batch {s['batch_size']}")
    if "classes" in s:
        text += f", {s['classes']} classes"
    if "probe_samples" in s:
        text += f", probes on {s['probe_samples']:,} samples"
    if "finetune_samples" in s:
        text += f", fine-tuned on {' and '.join(f'{n:,}' for n in s['finetune_samples'])} target samples"
    if "invariance_samples" in s:
        text += f", invariance on {s['invariance_samples']:,} pairs"
    return text


def finetune_settings(scale):
    """E1-FT's settings for its caption: E1's pretrainings, fine-tuned instead of probed."""
    s = {k: v for k, v in experiments.E1[scale].items() if k != "probe_samples"}
    return {**s, "finetune_samples": experiments.E1_FT[scale]["target_values"]}


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
# E1: Figures 2 and 3, and the appendix's fine-tuning version

COLORS = {"same": "tab:blue", "different": "tab:orange"}


def _values(recs):
    return list(dict.fromkeys(r["value"] for r in recs))


def _ticks(ax, values):
    ax.set_xticks(range(len(values)), [str(v) for v in values], rotation=30 if isinstance(values[0], str) else 0,
                  fontsize=8)
    ax.set_xlim(-0.5, len(values) - 0.5)
    ax.grid(alpha=0.3)


def accuracy_panel(ax, recs, metrics=("transfer", "pretrain")):
    """Mean accuracy against the factor's values, a line per kind and metric, a dot per seed."""
    values = _values(recs)
    for kind in experiments.KINDS:
        rs = {r["value"]: r for r in recs if r["invariance"] == kind}
        xs = [i for i, v in enumerate(values) if v in rs]
        for metric, style in zip(metrics, ("-o", "--s")):
            ax.plot(xs, [rs[values[i]][f"{metric}_acc"] for i in xs], style, color=COLORS[kind], ms=4,
                    label=f"{kind}, {metric}")
        for i in xs:
            seeds = list(rs[values[i]]["transfer_acc_by_seed"].values())
            ax.plot([i] * len(seeds), seeds, ".", color=COLORS[kind], ms=3, alpha=0.6)
    _ticks(ax, values)
    ax.set_ylim(0, 1.02)


def gap_panel(ax, recs):
    """The paired same-minus-different gap at each value, its 95% interval as an error bar (none
    with one seed: claims.paired gives no interval)."""
    values = _values(recs)
    same, diff = claims.by_value(recs, "same"), claims.by_value(recs, "different")
    xs = [i for i, v in enumerate(values) if v in same and v in diff]
    gaps = [claims.paired(same[values[i]], diff[values[i]]) for i in xs]
    ax.errorbar(xs, [g for g, _ in gaps], [c for _, c in gaps], fmt="o", color="tab:green", ms=4, capsize=3)
    ax.axhline(0, color="black", lw=0.8)
    _ticks(ax, values)


def e1_grid(rows, factors, title, ylabel, metrics):
    """A figure of E1's factors, two rows per entry of rows ({label: {factor: records}}): the
    accuracies against the factor's values, and under them the paired gap, labelled alike."""
    fig, axes = plt.subplots(2 * len(rows), len(factors), figsize=(4 * len(factors), 4.6 * len(rows) + 0.5),
                             squeeze=False, gridspec_kw=dict(height_ratios=[3, 1.2] * len(rows)))
    for row, (label, found) in enumerate(rows.items()):
        for col, name in enumerate(factors):
            top, bottom = axes[2 * row][col], axes[2 * row + 1][col]
            if name not in found:
                top.axis("off")
                bottom.axis("off")
                continue
            accuracy_panel(top, found[name], metrics)
            top.set_title(f"{label}: {experiments.FACTORS[name].label}", fontsize=10)
            gap_panel(bottom, found[name])
        axes[2 * row][0].set_ylabel(ylabel)
        axes[2 * row + 1][0].set_ylabel("same - different\n(95% CI, paired)", fontsize=8)
    axes[0][0].legend(fontsize=8, loc="lower left")
    fig.suptitle(f"{title}; dots: seeds", fontsize=9)
    fig.tight_layout()
    return fig


def fig2(scale, out, root="runs", cifar_dir=None, seeds=None):
    """Paper Figure 2 (two rows per dataset: accuracies, then the paired gap) and fig2.json;
    prints the claims tables."""
    results = claims.e1_results(scale, root, cifar_dir, seeds)
    fig = e1_grid({claims.DATASET_LABELS[d]: found for d, found in results.items()}, list(experiments.FACTORS),
                  f"Invariance versus other factors ({caption(scale, experiments.E1[scale])})", "accuracy",
                  ("transfer", "pretrain"))
    save_figure(fig, out, pdf=True)
    write_json(Path(out).with_suffix(".json"), finite({"records": results, "claims": claims.e1_claims(results)}))
    table = claims.e1_tables(results)
    print(table)
    return table


def fig3(scale, out, root="runs", cifar_dir=None, seeds=None):
    """Paper Figure 3: per dataset and factor, the paired invariance gap (95% interval) next to the
    span of transfer accuracy across the factor's values for each kind."""
    found = claims.e1_claims(claims.e1_results(scale, root, cifar_dir, seeds))
    rows = [(dataset, r) for dataset, (factor_rows, _) in found.items() for r in factor_rows]
    fig, ax = plt.subplots(figsize=(1.5 * len(rows) + 2, 3.6))
    width, xs = 0.26, range(len(rows))
    ax.bar([x - width for x in xs], [r["gap"] for _, r in rows], width, yerr=[r["gap_ci"] for _, r in rows],
           capsize=3, label="same - different (invariance), 95% CI", color="tab:green")
    for i, kind in enumerate(experiments.KINDS):
        ax.bar([x + i * width for x in xs], [r[f"span_{kind}"] for _, r in rows], width,
               label=f"span across values, {kind}", color=COLORS[kind])
    several = len({d for d, _ in rows}) > 1
    ax.set_xticks(xs, [(f"{claims.DATASET_LABELS[d]}\n" if several else "") + experiments.FACTORS[r["factor"]].label
                       for d, r in rows], fontsize=8)
    ax.set_ylabel("difference in transfer accuracy")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    text = textwrap.fill(f"({caption(scale, experiments.E1[scale])})", 110)  # as wide as the axes
    ax.set_title(f"Invariance against other factors\n{text}", fontsize=8)
    save_figure(fig, out, pdf=True)


def fig2_finetune(scale, out, root="runs", seeds=None):
    """The appendix's Figure: fig2's factors with full fine-tuning, two rows per target-sample count
    (accuracies, the paired gap); writes its JSON and prints its claims tables."""
    results = claims.ft_results(scale, root, seeds)
    fig = e1_grid({f"{n:,} target samples": found for n, found in results.items()}, experiments.FT_FACTORS,
                  f"Full fine-tuning ({caption(scale, finetune_settings(scale))})", "fine-tuned test accuracy",
                  ("transfer",))
    save_figure(fig, out, pdf=True)
    write_json(Path(out).with_suffix(".json"), finite({"records": results}))
    table = claims.ft_tables(results)
    print(table)
    return table


# ----------------------------------------------------------------------------------------
# E2: Figure 4


def fig4(scale, out, root="runs", seeds=None):
    """Paper Figure 4 (a panel per architecture: probe accuracy on t_j, a line per k, a dot per
    seed) and fig4.json; prints the claims table."""
    results = claims.e2_results(scale, root, seeds)
    depth = experiments.E2_DEPTH
    colors = plt.cm.viridis([i / (depth - 1) for i in range(depth)])  # k = 1 dark ... k = 8 light
    fig, axes = plt.subplots(1, len(results), figsize=(3.6 * len(results), 3.4), squeeze=False, sharey=True)
    for ax, (arch, recs) in zip(axes[0], results.items()):
        for k in range(1, depth + 1):
            rs = sorted((r for r in recs if r["k"] == k), key=lambda r: r["j"])
            if not rs:
                continue
            ax.plot([r["j"] for r in rs], [r["test_acc"] for r in rs], "-o", color=colors[k - 1], ms=3, lw=1.5,
                    label=f"k = {k}")
            for r in rs:
                seeds = list(r["test_acc_by_seed"].values())
                ax.plot([r["j"] + (k - 4.5) * 0.03] * len(seeds), seeds, ".", color=colors[k - 1], ms=2, alpha=0.5)
        ax.set_title(arch, fontsize=10)
        ax.set_xticks(range(1, depth + 1))
        ax.set_xlabel("probed on t_j (j transformations)")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("linear-probe test accuracy")
    axes[0][-1].legend(title="pretrained on t_k", fontsize=7, title_fontsize=7, loc="center left",
                       bbox_to_anchor=(1.02, 0.5))
    fig.suptitle(f"Invariance mismatch: nested transformation sets ({caption(scale, experiments.E2[scale])}); "
                 "dots: seeds", fontsize=9)
    fig.tight_layout()
    save_figure(fig, out, pdf=True)
    rows = claims.e2_claims(results)
    write_json(Path(out).with_suffix(".json"), finite({"records": results, "claims": rows}))
    table = claims.e2_table(rows)
    print(table)
    return table


# ----------------------------------------------------------------------------------------
# E3: the appendix heatmap (tables.py writes E3's table)

E3_COLUMNS = {"train": "train", "objects": "other objects", "random": "random", "cifar10": "CIFAR-10",
              "cifar100": "CIFAR-100"}
E3_KINDS = {"objects": "trained on objects", "random": "trained on random data"}


def invariance_heatmap(matrices, out, scale, s):
    """The appendix heatmap: per kind (row) and distribution (column), invariance of the model
    trained on each transformation (and none) to each transformation; lower = more invariant."""
    kinds = list(matrices)
    dists = list(matrices[kinds[0]])
    fig, axes = plt.subplots(len(kinds), len(dists), figsize=(4.6 * len(dists) + 1, 4.4 * len(kinds) + 0.4),
                             squeeze=False)
    vmax = max(x for d in matrices.values() for m in d.values() for row in m.values() for x in row.values())
    for ax_row, kind in zip(axes, kinds):
        for ax, dist in zip(ax_row, dists):
            m = matrices[kind][dist]
            trained, measured = list(m), list(m["none"])
            image = ax.imshow([[m[tr][t] for t in measured] for tr in trained], vmin=0, vmax=max(1, vmax),
                              cmap="viridis")
            ax.set_xticks(range(len(measured)), measured, rotation=90, fontsize=6)
            ax.set_yticks(range(len(trained)), trained, fontsize=6)
            ax.set_xlabel("measured on (transformation)", fontsize=7)
            ax.set_title(f"{E3_KINDS[kind]}, measured on {E3_COLUMNS[dist]}", fontsize=8)
        ax_row[0].set_ylabel("trained on (transformation)", fontsize=7)
    fig.colorbar(image, ax=axes, shrink=0.6, label="invariance (L2 ratio; lower = more invariant)")
    fig.suptitle(f"Invariance transfer, every (trained, measured) pair ({caption(scale, s)})", fontsize=9)
    save_figure(fig, out, pdf=True)


FIGURES = {"fig2": ("invariance versus other factors (experiment E1)", fig2),
           "fig3": ("gap against spans (experiment E1)", fig3),
           "fig2-finetune": ("full fine-tuning of E1's models (the appendix)", fig2_finetune),
           "fig4": ("nested transformation sets (experiment E2)", fig4)}


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
    for name, (what, _) in FIGURES.items():
        f = sub.add_parser(name, help=f"{what}, from the runs present")
        f.add_argument("--scale", choices=list(experiments.E1), default="small",
                       help="(default: %(default)s)")
        f.add_argument("--root", default="runs", help="folder of all runs (default: %(default)s)")
        cli.add_seeds_arg(f)
        if name in ("fig2", "fig3"):
            f.add_argument("--cifar-dir", default=os.environ.get("CIFAR_DIR"),
                           help="adds the CIFAR rows, as experiments.py (default: $CIFAR_DIR: %(default)s)")
        f.add_argument("--out", default=f"figures/{name.replace('-', '_')}.png",
                       help="PNG to write, PDF and JSON beside it (default: %(default)s)")
    return p


def draw(args):
    runfolder.check_out(Path(args.out).parent)  # a file, or a folder not writable: before any work
    if args.figure == "fig1":
        fig1(args.out, args.object, args.samples, args.seed, args.objects, args.backgrounds)
    else:
        cifar = {"cifar_dir": args.cifar_dir} if args.figure in ("fig2", "fig3") else {}
        FIGURES[args.figure][1](args.scale, args.out, args.root, seeds=args.seeds, **cifar)
    print(f"wrote {args.out} and {Path(args.out).with_suffix('.pdf')}")


def main(args):
    cli.run_main("plots.py", draw, args)


if __name__ == "__main__":
    main(get_args_parser().parse_args())
