"""Figures of the paper, drawn from data and result files only (this script never trains).

    python plots.py fig1 --out figures/fig1.png    # `make fig1`: Transforms-2D examples
    python plots.py fig2 --scale small             # `make fig2`, after the runs exist
    python plots.py fig3 --scale small             # `make fig3`, from the same runs
    python plots.py table-invariance --scale small # `make table-invariance`: E3's table, heatmap

fig1 is the paper's Figure 1: one row per transformation (and one with none), several
samples of one object per row (about ten seconds on a laptop CPU). fig2 is Figure 2: per
factor, transfer and pretraining accuracy against the factor's values for models pretrained
with the target's transformations (same) or others (different), mean and 95% interval over
seeds; it also writes figures/fig2.json and prints the claims table. fig3 is Figure 3: per
factor, the same-minus-different gap against the span each factor causes. table-invariance
is the paper's "how transferable" table (experiment E3): Same / Other / None invariance per
test distribution, for models trained on objects and on random data, as markdown, LaTeX and
JSON, and the 18 x 18 heatmap behind it. Every figure is written as PNG and PDF, atomically.
"""
import argparse
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


def _to_hwc(img):
    return img.permute(1, 2, 0).numpy()  # (3, H, W) uint8 -> (H, W, 3)


def save_figure(fig, out, pdf=False):
    """Write fig atomically (temporary file, then rename), plus a PDF twin if asked."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for path in [out] + ([out.with_suffix(".pdf")] if pdf else []):
        tmp = path.with_name(f".{path.name}.tmp")
        fig.savefig(tmp, format=path.suffix[1:], bbox_inches="tight", dpi=150)
        os.replace(tmp, path)
    plt.close(fig)


def image_grid(images, titles, out, title=None, cols=8):
    """A grid of uint8 (N, 3, H, W) images with a small title above each one."""
    rows = -(-len(images) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.1 * cols, 1.25 * rows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, img, t in zip(axes.flat, images, titles):
        ax.imshow(_to_hwc(img), interpolation="nearest")
        ax.set_title(t, fontsize=7, pad=2)
    if title:
        fig.suptitle(title, fontsize=9)
    save_figure(fig, out)


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
LABELS = {"class_relationship": "class relationship", "architecture": "architecture",
          "pretraining_samples": "pretraining samples", "target_samples": "target samples (probe)"}
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


def _value_order(factor, value):
    return FACTOR_ORDER[factor].index(value) if factor in FACTOR_ORDER else value


FACTOR_ORDER = {f: v for f, v in experiments.FACTORS.items() if isinstance(v, list)}


def e1_results(scale, root="runs", cifar_dir=None):
    """{dataset: {factor: [record per (value, invariance)]}} from the E1 runs present, with
    every seed's transfer (probe test) and pretraining test accuracy, means and 95% intervals."""
    _, points = experiments.e1(scale, root, cifar_dir)
    found = {}
    for p in points:
        probe, pre = Path(p.probe) / "results.json", Path(p.pretrain) / "results.json"
        if probe.exists() and pre.exists():
            found.setdefault((p.dataset, p.factor, p.value, p.invariance), []).append(
                (json.loads(probe.read_text())["test_acc"], json.loads(pre.read_text())["test_acc"]))
    if not found:
        raise ValueError(f"no E1 results under {root}/{scale}: run `make fig2 SCALE={scale}` first")
    n_found = sum(len(v) for v in found.values())
    if n_found < len(points):
        print(f"plots.py: {len(points) - n_found} of {len(points)} E1 points have no results yet; "
              "plotting the others", file=sys.stderr)
    out = {}
    for (dataset, factor, value, invariance), accs in sorted(
            found.items(), key=lambda kv: (data.DATASETS.index(kv[0][0]), list(LABELS).index(kv[0][1]),
                                           _value_order(kv[0][1], kv[0][2]), kv[0][3] != "same")):
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
    fig.suptitle(f"Invariance versus other factors ({experiments.describe(scale)})", fontsize=9)
    fig.tight_layout()
    save_figure(fig, out, pdf=True)
    keys = ("dataset", "value", "invariance", "transfer_acc", "transfer_acc_seeds", "pretrain_acc")
    json_out = {}
    for factors in results.values():
        for factor, recs in factors.items():
            json_out.setdefault(factor, []).extend({k: r[k] for k in keys} for r in recs)
    import train  # its atomic JSON writer

    train.write_json(Path(out).with_suffix(".json"), json_out)
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
    ax.set_title(f"Invariance against other factors\n({experiments.describe(scale)})", fontsize=8)
    save_figure(fig, out, pdf=True)


# ----------------------------------------------------------------------------------------
# E3: the "how transferable is invariance" table and its appendix heatmap

E3_COLUMNS = {"train": "train", "objects": "other objects", "random": "random", "cifar10": "CIFAR-10",
              "cifar100": "CIFAR-100"}
E3_KINDS = {"objects": "trained on objects", "random": "trained on random data"}
E3_ROWS = {"same": "Same", "other": "Other", "none": "None"}
# SPEC E3: the paper's resnet18, trained on objects (L2 invariance, lower = more invariant)
E3_REFERENCE = {row: dict(zip(E3_COLUMNS, values)) for row, values in (
    ("same", [0.12, 0.21, 0.56, 0.37, 0.35]), ("other", [0.40, 0.41, 0.69, 0.51, 0.50]),
    ("none", [0.39, 0.42, 0.69, 0.48, 0.48]))}


def e3_values(scale, root="runs", cifar_dir=None):
    """{(kind, seed, distribution, trained, measured): L2 invariance} from every E3 measurement;
    a ValueError names what is missing, as the table needs every model."""
    _, cells = experiments.e3(scale, root, cifar_dir)
    missing = [c for c in cells if not (Path(c.measure) / "invariance.json").exists()]
    if missing:
        raise ValueError(f"{len(missing)} of {len(cells)} E3 measurements under {root}/{scale} are missing "
                         f"(first: {missing[0].measure}): run `make table-invariance SCALE={scale}` first")
    values = {}
    for c in cells:
        for r in json.loads((Path(c.measure) / "invariance.json").read_text())["records"]:
            values[c.kind, c.seed, r["distribution"], c.trained, r["transforms"]] = r["l2"]
    return values


def _mean(xs):
    return sum(xs) / len(xs)


def _same_other_none(m, names):
    """Same, Other and None of one model family ({(trained, measured): invariance}), each
    averaged over the transformations t in names."""
    return {"same": _mean([m[t, t] for t in names]),
            "other": _mean([_mean([m[o, t] for o in names if o != t]) for t in names]),
            "none": _mean([m["none", t] for t in names])}


def invariance_table(values):
    """Per kind of training data, row (Same / Other / None) and distribution: the invariance
    averaged over the 18 transformations t for each seed (Same: the model trained on t, measured
    on t; Other: the mean over the models trained on each other transformation, measured on t;
    None: the model trained without transformation), then mean and 95% interval over seeds.
    Also per kind and distribution the (trained x measured) matrix of seed means."""
    keys = sorted({k[:3] for k in values},
                  key=lambda k: (list(E3_KINDS).index(k[0]), k[1], list(E3_COLUMNS).index(k[2])))
    names = [t for t in data.TRANSFORMS if any(k[4] == t for k in values)]
    per_seed = {}
    for kind, seed, dist in keys:
        m = {(trained, t): x for (k, s, d, trained, t), x in values.items() if (k, s, d) == (kind, seed, dist)}
        for row, x in _same_other_none(m, names).items():
            per_seed.setdefault((kind, row, dist), []).append(x)
    table, matrices = {}, {}
    for (kind, row, dist), xs in per_seed.items():
        m, ci = mean_ci(xs)
        table.setdefault(kind, {}).setdefault(row, {})[dist] = dict(mean=m, ci=ci, seeds=xs)
    for kind, seed, dist in keys:
        for trained in ["none", *names]:
            for t in names:
                matrices.setdefault(kind, {}).setdefault(dist, {}).setdefault(trained, {}).setdefault(t, []).append(
                    values[kind, seed, dist, trained, t])
    matrices = {kind: {dist: {tr: {t: _mean(xs) for t, xs in row.items()} for tr, row in m.items()}
                       for dist, m in d.items()} for kind, d in matrices.items()}
    claims = {kind: {dist: rows["same"][dist]["mean"] < min(rows["other"][dist]["mean"], rows["none"][dist]["mean"])
                     for dist in rows["same"]} for kind, rows in table.items()}
    return table, matrices, claims


def invariance_markdown(table, claims):
    """One markdown table per kind of training data; the paper's numbers beside ours for the
    models trained on objects, and the claim check as the last row."""
    out = []
    for kind, rows in table.items():
        dists = list(rows["same"])
        ref = kind == "objects"
        head = [E3_COLUMNS[d] + (" (paper)" if ref else "") for d in dists]
        out += [f"| {E3_KINDS[kind]} | " + " | ".join(head) + " |", "|---|" + "---:|" * len(dists)]
        for row, label in E3_ROWS.items():
            cells = [f"{rows[row][d]['mean']:.3f} ± {rows[row][d]['ci']:.3f}" +
                     (f" ({E3_REFERENCE[row][d]:.2f})" if ref else "") for d in dists]
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        out += ["| Same is the lowest | " + " | ".join("yes" if claims[kind][d] else "NO" for d in dists) + " |", ""]
    return "\n".join(out)


def invariance_latex(table, claims):
    out = []
    for kind, rows in table.items():
        dists = list(rows["same"])
        out += [r"\begin{tabular}{l" + "r" * len(dists) + "}", r"\toprule",
                f"{E3_KINDS[kind]} & " + " & ".join(E3_COLUMNS[d] for d in dists) + r" \\", r"\midrule"]
        for row, label in E3_ROWS.items():
            out.append(f"{label} & " + " & ".join(f"{rows[row][d]['mean']:.2f}" for d in dists) + r" \\")
        if kind == "objects":
            for row, label in E3_ROWS.items():
                out.append(f"{label} (paper) & " + " & ".join(f"{E3_REFERENCE[row][d]:.2f}" for d in dists) + r" \\")
        out += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(out)


def invariance_heatmap(matrices, out, scale):
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
    fig.suptitle(f"Invariance transfer, every (trained, measured) pair ({experiments.describe_e3(scale)})", fontsize=9)
    save_figure(fig, out, pdf=True)


def table_invariance(scale, out, root="runs", cifar_dir=None):
    """The E3 table as markdown, LaTeX and JSON (all numbers) and the heatmap beside it;
    prints the tables and the claim check."""
    import train  # its atomic writers

    table, matrices, claims = invariance_table(e3_values(scale, root, cifar_dir))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    md = invariance_markdown(table, claims)
    train.write_atomic(out.with_suffix(".md"), lambda f: f.write(md.encode()))
    tex = invariance_latex(table, claims)
    train.write_atomic(out.with_suffix(".tex"), lambda f: f.write(tex.encode()))
    train.write_json(out.with_suffix(".json"), dict(
        scale=scale, description=experiments.describe_e3(scale), metric="l2", lower_is_more_invariant=True,
        table=table, claim_same_is_lowest=claims, reference_resnet18_trained_on_objects=E3_REFERENCE,
        matrices=matrices))
    invariance_heatmap(matrices, out.with_name("invariance_heatmap.png"), scale)
    print(md)
    print(f"{experiments.describe_e3(scale)}; in parentheses: the paper's resnet18 (SPEC E3); "
          "lower = more invariant")
    return md


def get_args_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="figure", required=True)
    for name, what in (("fig2", "invariance versus other factors"), ("fig3", "gap against spans")):
        f = sub.add_parser(name, help=f"{what} (experiment E1), from the runs present")
        f.add_argument("--scale", choices=list(experiments.SCALES), default="small",
                       help="(default: %(default)s)")
        f.add_argument("--root", default="runs", help="folder of all runs (default: %(default)s)")
        f.add_argument("--cifar-dir", default=os.environ.get("CIFAR_DIR"),
                       help="adds the CIFAR rows, as experiments.py (default: $CIFAR_DIR: %(default)s)")
        f.add_argument("--out", default=f"figures/{name}.png", help="PNG to write, PDF (and for fig2 "
                       "JSON) beside it (default: %(default)s)")
    t = sub.add_parser("table-invariance", help="invariance transfer across distribution shift (experiment "
                       "E3): tables and heatmap, from the runs")
    t.add_argument("--scale", choices=list(experiments.SCALES), default="small", help="(default: %(default)s)")
    t.add_argument("--root", default="runs", help="folder of all runs (default: %(default)s)")
    t.add_argument("--cifar-dir", default=os.environ.get("CIFAR_DIR"),
                   help="adds the CIFAR columns, as experiments.py (default: $CIFAR_DIR: %(default)s)")
    t.add_argument("--out", default="figures/table_invariance.md", help="markdown table to write; .tex, "
                   ".json and invariance_heatmap.png (+ .pdf) beside it (default: %(default)s)")
    f1 = sub.add_parser("fig1", help="Transforms-2D examples, one row per transformation")
    f1.add_argument("--out", default="figures/fig1.png", help="PNG to write, PDF beside it "
                    "(default: %(default)s)")
    f1.add_argument("--object", type=int, default=0, help="object index (default: %(default)s)")
    f1.add_argument("--samples", type=int, default=8, help="samples per row (default: %(default)s)")
    f1.add_argument("--seed", type=int, default=0, help="dataset seed (default: %(default)s)")
    default_dir = os.environ.get("SI_SCORE_DIR", "procedural")
    f1.add_argument("--objects", default=default_dir, help="as in data.py (default: %(default)s)")
    f1.add_argument("--backgrounds", default=default_dir, help="as in data.py (default: %(default)s)")
    return p


def main(args):
    try:
        if args.figure == "fig1":
            fig1(args.out, args.object, args.samples, args.seed, args.objects, args.backgrounds)
        elif args.figure == "table-invariance":
            table_invariance(args.scale, args.out, args.root, args.cifar_dir)
            out = Path(args.out)
            print(f"wrote {out.with_suffix('.md')}, .tex, .json and {out.with_name('invariance_heatmap.png')} (+ .pdf)")
            return
        elif args.figure == "fig2":
            fig2(args.scale, args.out, args.root, args.cifar_dir)
        else:
            fig3(args.scale, args.out, args.root, args.cifar_dir)
    except ValueError as e:
        sys.exit(f"plots.py: error: {e}")
    print(f"wrote {args.out} and {Path(args.out).with_suffix('.pdf')}")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
