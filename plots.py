"""Figures and tables of the paper, drawn from data and result files only (this script never trains).

    python plots.py fig1 --out figures/fig1.png    # `make fig1`: Transforms-2D examples
    python plots.py fig2 --scale small             # `make fig2`, after the runs exist
    python plots.py fig3 --scale small             # `make fig3`, from the same runs
    python plots.py fig4 --scale small             # `make fig4`: experiment E2
    python plots.py table-invariance --scale small # `make table-invariance`: E3's table, heatmap
    python plots.py table-irrelevant --scale small # `make table-irrelevant` (E4), after its runs
    python plots.py report --scale small           # `make report`: figures/REPORT.md

fig1 is the paper's Figure 1: one row per transformation (and one with none), several
samples of one object per row (about ten seconds on a laptop CPU). fig2 is Figure 2: per
factor, transfer and pretraining accuracy against the factor's values for models pretrained
with the target's transformations (same) or others (different), mean and 95% interval over
seeds; it also writes figures/fig2.json and prints the claims table. fig3 is Figure 3: per
factor, the same-minus-different gap against the span each factor causes. fig4 is Figure 4:
per architecture, the linear-probe accuracy on t_j (the first j of the seed's 8
transformations) of the models pretrained on t_k, one line per k, with figures/fig4.json and
a claims table (accuracy high for j <= k, falling past k). table-invariance is the paper's
"how transferable" table (E3): Same / Other / None invariance per test distribution, for
models trained on objects and on random data, as Markdown, LaTeX and JSON, and the 18 x 18
heatmap behind it. table-irrelevant is the "invariance can hurt" table (E4), with SPEC's
numbers and claims beside ours. Every figure is written as PNG and PDF, every file atomically.
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
import train  # noqa: E402  (its atomic writers)


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
            pre_acc = json.loads(pre.read_text())["test_acc"]
            for j, rec in enumerate(json.loads(probe.read_text())["probes"], 1):
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
    fig.suptitle(f"Invariance mismatch: nested transformation sets ({experiments.describe_e2(scale)})",
                 fontsize=9)
    fig.tight_layout()
    save_figure(fig, out, pdf=True)
    keys = ("k", "j", "test_acc", "test_acc_seeds", "pretrain_acc")
    train.write_json(Path(out).with_suffix(".json"),
                     {arch: [{key: r[key] for key in keys} for r in recs] for arch, recs in results.items()})
    table = e2_claims_table(e2_claims(results))
    print(table)
    return table
# E4: the "invariance can hurt" table

COLUMNS = [*experiments.E4_TASKS, *experiments.INVARIANCES]
COLUMN_LABELS = {**{t: t for t in experiments.E4_TASKS}, "object": "inv. object changes",
                 "background": "inv. background changes"}
# SPEC E4's reference numbers: (placement, pretraining task, column, value). "The object task" is
# the composite with the object label (C+O&O), "CIFAR" the composite with the CIFAR label (C+O&C).
E4_REFERENCE = [("fixed", "C+O&C", "C+O&O", 0.53), ("fixed", "C&C", "C+O&O", 0.80),
                ("translated", "C+O&C", "C+O&O", 0.15), ("translated", "C&C", "C+O&O", 0.56),
                ("fixed", "C+O&O", "C+O&C", 0.31), ("fixed", "C+O&C", "object", 0.08),
                ("fixed", "C&C", "object", 0.21)]
# the paper's claims, each "pretraining A's entry in a column is below C&C's": (what, column, A)
E4_CLAIMS = [("C+O&C probes the object task worse than C&C", "C+O&O", "C+O&C"),
             ("C+O&C is more invariant to object changes than C&C", "object", "C+O&C"),
             ("C+O&O probes CIFAR worse than C&C", "C+O&C", "C+O&O")]


def e4_results(scale, root="runs"):
    """{placement: {pretraining task: {column: record}}} from the E4 runs present: each record
    has the mean over seeds, the half-width of its 95% interval and every seed's value (probe
    test accuracy, or the L2 invariance of SPEC section 4)."""
    _, cells = experiments.e4(scale, root)
    found = {}
    for c in cells:
        path = Path(c.run.out) / c.run.result
        if path.exists():
            value = json.loads(path.read_text())["l2" if c.run.result == "invariance.json" else "test_acc"]
            found.setdefault((c.placement, c.pretrain, c.column), []).append((c.seed, value))
    if not found:
        raise ValueError(f"no E4 results under {root}/{scale}/e4: run `make table-irrelevant SCALE={scale}` "
                         "first (it needs CIFAR_DIR)")
    n_found = sum(len(v) for v in found.values())
    if n_found < len(cells):
        print(f"plots.py: {len(cells) - n_found} of {len(cells)} E4 entries have no results yet; "
              "tabulating the others", file=sys.stderr)
    out = {}
    for placement in experiments.PLACEMENTS:
        for pre in experiments.E4_TASKS:
            for col in COLUMNS:
                if (placement, pre, col) in found:
                    seeds, values = zip(*sorted(found[placement, pre, col]))
                    mean, ci = mean_ci(values)
                    out.setdefault(placement, {}).setdefault(pre, {})[col] = dict(
                        mean=mean, ci=ci, seeds=list(seeds), values=list(values))
    return out


def e4_claims(results):
    """Each claim of E4 per placement with both its entries: ours, and whether it holds."""
    rows = []
    for what, col, pre in E4_CLAIMS:
        for placement, table in results.items():
            a, b = table.get(pre, {}).get(col), table.get("C&C", {}).get(col)
            if a and b:
                rows.append(dict(claim=what, placement=placement, ours=a["mean"], cc=b["mean"],
                                 holds=a["mean"] < b["mean"]))
    return rows


def _entry(r):
    return "-" if r is None else f"{r['mean']:.2f} ± {r['ci']:.2f}"


def table_irrelevant(scale, out, root="runs"):
    """The E4 table as Markdown (with reference numbers and claims), LaTeX and JSON; prints the
    Markdown and returns it."""
    results = e4_results(scale, root)
    md = [f"E4, irrelevant features ({experiments.describe(scale)}). Rows: pretraining task; columns: "
          "linear-probe test accuracy on each task, and invariance (normalised L2, 0 = invariant) of the "
          "features to changes of the object or of the CIFAR background; mean ± 95% interval over seeds.", "",
          "| placement | pretraining | " + " | ".join(COLUMN_LABELS[c] for c in COLUMNS) + " |",
          "|---|---|" + "---:|" * len(COLUMNS)]
    tex = [r"\begin{tabular}{ll" + "r" * len(COLUMNS) + "}", r"\toprule",
           "placement & pretraining & " + " & ".join(COLUMN_LABELS[c].replace("&", r"\&") for c in COLUMNS)
           + r" \\", r"\midrule"]
    for placement, table in results.items():
        for pre, row in table.items():
            entries = [_entry(row.get(c)) for c in COLUMNS]
            md.append(f"| {placement} | {pre} | " + " | ".join(entries) + " |")
            tex.append(f"{placement} & " + pre.replace("&", r"\&") + " & "
                       + " & ".join(e.replace("±", r"$\pm$") for e in entries) + r" \\")
    tex += [r"\bottomrule", r"\end{tabular}", ""]
    md += ["", "| placement | pretraining | column | ours | paper |", "|---|---|---|---:|---:|"]
    for placement, pre, col, ref in E4_REFERENCE:
        md.append(f"| {placement} | {pre} | {COLUMN_LABELS[col]} | "
                  f"{_entry(results.get(placement, {}).get(pre, {}).get(col))} | {ref:.2f} |")
    claims = e4_claims(results)
    md += ["", "| claim | placement | that one | C&C | holds |", "|---|---|---:|---:|---|"]
    md += [f"| {c['claim']} | {c['placement']} | {c['ours']:.3f} | {c['cc']:.3f} | "
           f"{'yes' if c['holds'] else 'NO'} |" for c in claims]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(md) + "\n"
    train.write_atomic(out.with_suffix(".md"), lambda f: f.write(text.encode()))
    train.write_atomic(out.with_suffix(".tex"), lambda f: f.write("\n".join(tex).encode()))
    train.write_json(out.with_suffix(".json"), dict(
        scale=scale, results=results, claims=claims,
        reference=[dict(placement=p, pretrain=t, column=c, paper=v) for p, t, c, v in E4_REFERENCE]))
    print(text, end="")
    return text
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


# ----------------------------------------------------------------------------------------
# make figures / make report: everything the results present allow

# SPEC's reference numbers for the experiments whose tables do not already print them
PAPER = {
    "fig2": "Transforms-2D, linear probe: same 0.97-0.99 vs different 0.83-0.87; gap same - different 0.12 / "
            "0.12 / 0.15 for class relationship / architecture / pretraining samples, while the different "
            "models' spans are 0.15 / 0.07 / 0.03. CIFAR-10 same 0.91 vs different 0.67; CIFAR-100 0.81 vs 0.40.",
    "fig4": "About 1.0 whenever j <= k, falling with every unseen transformation; resnet18 k = 1 probed on "
            "j = 8: 0.28, k = 8 on j = 8: 0.98; the ViT falls furthest (0.20).",
}


def figures(scale, root="runs", cifar_dir=None):
    """Re-plots every figure and table whose results are present; returns {target: (claims or
    table text, or None if the target has no results, the reason)}."""
    steps = {
        "fig1": lambda: fig1("figures/fig1.png") or "",
        "fig2": lambda: fig2(scale, "figures/fig2.png", root, cifar_dir),
        "fig3": lambda: fig3(scale, "figures/fig3.png", root, cifar_dir) or "",
        "fig4": lambda: fig4(scale, "figures/fig4.png", root),
        "table-invariance": lambda: table_invariance(scale, "figures/table_invariance.md", root, cifar_dir),
        "table-irrelevant": lambda: table_irrelevant(scale, "figures/table_irrelevant.md", root),
    }
    done = {}
    for target, step in steps.items():
        try:
            done[target] = (step(), None)
        except ValueError as e:  # no results for this target yet
            print(f"plots.py: {target}: {e}", file=sys.stderr)
            done[target] = (None, str(e))
    return done


def report(scale, out="figures/REPORT.md", root="runs", cifar_dir=None):
    """figures/REPORT.md: every figure, table and claims check of the results present, the scale
    they came from, and the paper's numbers beside ours."""
    done = figures(scale, root, cifar_dir)
    sections = [
        ("fig1", "Figure 1: the Transforms-2D dataset", ["fig1.png"], None),
        ("fig2", "Figure 2: invariance versus other factors (E1)", ["fig2.png"], experiments.describe(scale)),
        ("fig3", "Figure 3: the invariance gap against each factor's span (E1)", ["fig3.png"], None),
        ("fig4", "Figure 4: nested transformation sets (E2)", ["fig4.png"], experiments.describe_e2(scale)),
        # the table's own text names its scale
        ("table-invariance", "How transferable is invariance (E3)", ["invariance_heatmap.png"], None),
        ("table-irrelevant", "Invariance can hurt: irrelevant features (E4)", [], None),
    ]
    md = [f"# Report: {scale} scale", "",
          f"Every figure, table and claims check of the results under `{root}/{scale}` (made by `make report`, "
          f"git revision {(train.git_revision() or 'unknown')[:12]}); each section says what its scale reduces.", ""]
    for target, title, images, scale_text in sections:
        text, missing = done[target]
        md += [f"## {title}", ""]
        if missing:
            md += [f"Not run: {missing}", ""]
            continue
        md += [f"![{target}]({image})" for image in images] + ([""] if images else [])
        if scale_text:
            md += [f"{scale_text[0].upper()}{scale_text[1:]}.", ""]
        if text:
            md += [text.rstrip("\n"), ""]
        if target in PAPER:
            md += [f"Paper (SPEC): {PAPER[target]}", ""]
    text = "\n".join(md)
    train.write_atomic(Path(out), lambda f: f.write(text.encode()))
    return text


def get_args_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="figure", required=True)
    for name, what in (("fig2", "invariance versus other factors (experiment E1)"),
                       ("fig3", "gap against spans (experiment E1)"),
                       ("fig4", "nested transformation sets (experiment E2)")):
        f = sub.add_parser(name, help=f"{what}, from the runs present")
        f.add_argument("--scale", choices=list(experiments.SCALES), default="small",
                       help="(default: %(default)s)")
        f.add_argument("--root", default="runs", help="folder of all runs (default: %(default)s)")
        if name != "fig4":
            f.add_argument("--cifar-dir", default=os.environ.get("CIFAR_DIR"),
                           help="adds the CIFAR rows, as experiments.py (default: $CIFAR_DIR: %(default)s)")
        f.add_argument("--out", default=f"figures/{name}.png", help="PNG to write, PDF (and for fig2 "
                       "and fig4 JSON) beside it (default: %(default)s)")
    t = sub.add_parser("table-irrelevant", help="invariance can hurt (experiment E4), from the runs present")
    t.add_argument("--scale", choices=list(experiments.SCALES), default="small", help="(default: %(default)s)")
    t.add_argument("--root", default="runs", help="folder of all runs (default: %(default)s)")
    t.add_argument("--out", default="figures/table_irrelevant.md",
                   help="Markdown to write, .tex and .json beside it (default: %(default)s)")
    t3 = sub.add_parser("table-invariance", help="invariance transfer across distribution shift (experiment "
                       "E3): tables and heatmap, from the runs")
    t3.add_argument("--scale", choices=list(experiments.SCALES), default="small", help="(default: %(default)s)")
    t3.add_argument("--root", default="runs", help="folder of all runs (default: %(default)s)")
    t3.add_argument("--cifar-dir", default=os.environ.get("CIFAR_DIR"),
                   help="adds the CIFAR columns, as experiments.py (default: $CIFAR_DIR: %(default)s)")
    t3.add_argument("--out", default="figures/table_invariance.md", help="markdown table to write; .tex, "
                   ".json and invariance_heatmap.png (+ .pdf) beside it (default: %(default)s)")
    for name, what in (("figures", "re-plot every figure and table from the results present"),
                       ("report", "figures/REPORT.md: every figure, table and claims check of the results present")):
        r = sub.add_parser(name, help=what)
        r.add_argument("--scale", choices=list(experiments.SCALES), default="small", help="(default: %(default)s)")
        r.add_argument("--root", default="runs", help="folder of all runs (default: %(default)s)")
        r.add_argument("--cifar-dir", default=os.environ.get("CIFAR_DIR"),
                       help="adds the CIFAR parts, as experiments.py (default: $CIFAR_DIR: %(default)s)")
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
        if args.figure in ("figures", "report"):
            if args.figure == "report":
                report(args.scale, root=args.root, cifar_dir=args.cifar_dir)
                print("wrote figures/REPORT.md")
            else:
                figures(args.scale, args.root, args.cifar_dir)
            return
        if args.figure == "fig1":
            fig1(args.out, args.object, args.samples, args.seed, args.objects, args.backgrounds)
        elif args.figure == "table-invariance":
            table_invariance(args.scale, args.out, args.root, args.cifar_dir)
            out = Path(args.out)
            print(f"wrote {out.with_suffix('.md')}, .tex, .json and {out.with_name('invariance_heatmap.png')} (+ .pdf)")
            return
        elif args.figure == "fig2":
            fig2(args.scale, args.out, args.root, args.cifar_dir)
        elif args.figure == "fig4":
            fig4(args.scale, args.out, args.root)
        elif args.figure == "fig3":
            fig3(args.scale, args.out, args.root, args.cifar_dir)
        else:
            table_irrelevant(args.scale, args.out, args.root)
            print(f"wrote {Path(args.out).with_suffix('.md')}, .tex and .json")
            return
    except ValueError as e:
        sys.exit(f"plots.py: error: {e}")
    print(f"wrote {args.out} and {Path(args.out).with_suffix('.pdf')}")


if __name__ == "__main__":
    main(get_args_parser().parse_args())
