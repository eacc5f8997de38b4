"""Tables of the paper and the one-page report, drawn from result files only (never trains).

    python tables.py table-invariance --scale small # `make table-invariance`: E3's table and heatmap
    python tables.py table-irrelevant --scale small # `make table-irrelevant` (E4), after its runs
    python tables.py figures --scale small          # `make figures`: re-plot everything present
    python tables.py report --scale small           # `make report`: results/small/REPORT.md

table-invariance is the paper's "how transferable" table (E3): Same / Other / None invariance
per test distribution, for models trained on objects and on random data, as Markdown, LaTeX
and JSON, and the 18 x 18 heatmap behind it. table-irrelevant is the "invariance can hurt"
table (E4), with the paper's numbers and claims beside ours. figures re-draws every figure
(plots.py) and table whose results are present; report puts them on one page with their
claims checks, their scale and the paper's numbers.
"""
import cli  # first, and light: then a Ctrl-C while torch loads is one line, not a traceback

cli.quiet_start(__name__)

import json
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

import cifar
import claims
import experiments
import paper
import plots
import runfolder
import runner
from claims import mean_ci, pm
from cli import Parser
from paper import REFERENCE
from runfolder import BrokenResult, finite, git_revision, read_records, write_json, write_text

# ----------------------------------------------------------------------------------------
# E3: the "how transferable is invariance" table and its appendix heatmap

E3_ROWS = {"same": "Same", "other": "Other", "none": "None"}
E3_REFERENCE = REFERENCE["e3"]  # the paper's resnet18, trained on objects (lower = more invariant)


def e3_values(scale, root="runs", cifar_dir=None):
    """{(kind, seed, distribution, trained, measured): L2 invariance} from every E3 measurement;
    a ValueError names what is missing, as the table needs every model."""
    runs, cells = experiments.e3(scale, root, cifar_dir)
    missing = [c for c in cells if not (Path(c.measure) / "invariance.json").exists()]
    check = claims.planned(runs)
    if missing:
        raise ValueError(f"{len(missing)} of {len(cells)} E3 measurements under {root}/{scale} are missing "
                         f"(first: {missing[0].measure}): run `make table-invariance SCALE={scale}` first")
    values, n = {}, len(paper.ALL_TRANSFORMS) * (3 + len(cifar.found(cifar_dir)))
    for c in cells:
        for r in read_records(Path(c.measure) / "invariance.json", "l2", n=n, fields=("distribution", "transforms"),
                              low=0):
            values[c.kind, c.seed, r["distribution"], c.trained, r["transforms"]] = r["l2"]
        check(c.measure)
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
                  key=lambda k: (list(plots.E3_KINDS).index(k[0]), k[1], list(plots.E3_COLUMNS).index(k[2])))
    names = [t for t in paper.ALL_TRANSFORMS if any(k[4] == t for k in values)]
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
        head = [plots.E3_COLUMNS[d] + (" (paper)" if ref else "") for d in dists]
        out += [f"| {plots.E3_KINDS[kind]} | " + " | ".join(head) + " |", "|---|" + "---:|" * len(dists)]
        for row, label in E3_ROWS.items():
            cells = [pm(rows[row][d]["mean"], rows[row][d]["ci"]) +
                     (f" ({E3_REFERENCE[row][d]:.2f})" if ref else "") for d in dists]
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        out += ["| Same is the lowest | " + " | ".join("yes" if claims[kind][d] else "NO" for d in dists) + " |", ""]
    return "\n".join(out)


def invariance_latex(table, claims):
    out = []
    for kind, rows in table.items():
        dists = list(rows["same"])
        out += [r"\begin{tabular}{l" + "r" * len(dists) + "}", r"\toprule",
                f"{plots.E3_KINDS[kind]} & " + " & ".join(plots.E3_COLUMNS[d] for d in dists) + r" \\", r"\midrule"]
        for row, label in E3_ROWS.items():
            out.append(f"{label} & " + " & ".join(f"{rows[row][d]['mean']:.2f}" for d in dists) + r" \\")
        if kind == "objects":
            for row, label in E3_ROWS.items():
                out.append(f"{label} (paper) & " + " & ".join(f"{E3_REFERENCE[row][d]:.2f}" for d in dists) + r" \\")
        out += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(out)


def table_invariance(scale, out, root="runs", cifar_dir=None):
    """The E3 table as markdown, LaTeX and JSON (all numbers) and the heatmap beside it;
    prints the tables and the claim check."""
    table, matrices, claims = invariance_table(e3_values(scale, root, cifar_dir))
    out = Path(out)
    md = invariance_markdown(table, claims)
    write_text(out.with_suffix(".md"), md)
    write_text(out.with_suffix(".tex"), invariance_latex(table, claims))
    caption = plots.caption(scale, experiments.E3[scale])
    write_json(out.with_suffix(".json"), finite(dict(
        scale=scale, description=caption, metric="l2", lower_is_more_invariant=True,
        table=table, claim_same_is_lowest=claims, reference_resnet18_trained_on_objects=E3_REFERENCE,
        matrices=matrices)))
    plots.invariance_heatmap(matrices, out.with_name("invariance_heatmap.png"), scale, experiments.E3[scale])
    print(md)
    print(f"{caption}; in parentheses: the paper's resnet18; lower = more invariant")
    return md


# ----------------------------------------------------------------------------------------
# E4: the "invariance can hurt" table

COLUMNS = [*experiments.E4_TASKS, *experiments.INVARIANCES]
COLUMN_LABELS = {**{t: t for t in experiments.E4_TASKS}, "object": "inv. object changes",
                 "background": "inv. background changes"}
E4_REFERENCE = REFERENCE["e4"]  # (placement, pretraining task, column, value)


def e4_results(scale, root="runs"):
    """{placement: {pretraining task: {column: record}}} from the E4 runs present: each record
    has the mean over seeds, the half-width of its 95% interval and every seed's value (probe
    test accuracy, or the L2 invariance of PROTOCOL.md section 4.4)."""
    _, cells = experiments.e4(scale, root)
    found = {}
    for c in cells:
        path = Path(c.run.out) / c.run.result
        if path.exists():
            key, high = ("l2", math.inf) if c.run.result == "invariance.json" else ("test_acc", 1)
            value = read_records(path, key, n=1, low=0, high=high)[0][key]
            runner.check_result(c.run)
            found.setdefault((c.placement, c.pretrain, c.column), []).append((c.seed, value))
    if not found:
        raise ValueError(f"no E4 results under {root}/{scale}/e4: run `make table-irrelevant SCALE={scale}` "
                         "first (it needs CIFAR_DIR)")
    n_found = sum(len(v) for v in found.values())
    if n_found < len(cells):
        print(f"tables.py: {len(cells) - n_found} of {len(cells)} E4 entries have no results yet; "
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


def _entry(r):
    return "-" if r is None else pm(r["mean"], r["ci"], 2)


def table_irrelevant(scale, out, root="runs"):
    """The E4 table as Markdown (with reference numbers and claims), LaTeX and JSON; prints the
    Markdown and returns it."""
    results = e4_results(scale, root)
    caption = plots.caption(scale, experiments.E4[scale])
    md = [f"E4, irrelevant features ({caption}). Rows: pretraining task; columns: "
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
    rows = claims.e4_claims(results)
    md += ["", "| claim | placement | that one | C&C | holds |", "|---|---|---:|---:|---|"]
    md += [f"| {c['claim']} | {c['placement']} | {c['ours']:.3f} | {c['cc']:.3f} | "
           f"{'yes' if c['holds'] else 'NO'} |" for c in rows]
    out = Path(out)
    text = "\n".join(md) + "\n"
    write_text(out.with_suffix(".md"), text)
    write_text(out.with_suffix(".tex"), "\n".join(tex))
    write_json(out.with_suffix(".json"), finite(dict(
        scale=scale, results=results, claims=rows,
        reference=[dict(placement=p, pretrain=t, column=c, paper=v) for p, t, c, v in E4_REFERENCE])))
    print(text, end="")
    return text


# ----------------------------------------------------------------------------------------
# make figures / make report: everything the results present allow

def figures(scale, folder="figures", root="runs", cifar_dir=None):
    """Re-plots every figure and table whose results are present into folder; returns {target:
    (claims or table text, or None if the target has no results, the reason)}."""
    f = Path(folder)
    steps = {
        "fig1": lambda: plots.fig1(f / "fig1.png") or "",
        "fig2": lambda: plots.fig2(scale, f / "fig2.png", root, cifar_dir),
        "fig3": lambda: plots.fig3(scale, f / "fig3.png", root, cifar_dir) or "",
        "fig2-finetune": lambda: plots.fig2_finetune(scale, f / "fig2_finetune.png", root),
        "fig4": lambda: plots.fig4(scale, f / "fig4.png", root),
        "table-invariance": lambda: table_invariance(scale, f / "table_invariance.md", root, cifar_dir),
        "table-irrelevant": lambda: table_irrelevant(scale, f / "table_irrelevant.md", root),
    }
    done = {}
    for target, step in steps.items():
        try:
            done[target] = (step(), None)
        except ValueError as e:  # no results for this target yet, or a broken result file (BrokenResult)
            print(f"tables.py: {target}: {e}", file=sys.stderr)
            done[target] = (None, e)
    return done


def sweeps(scale, root="runs"):
    """The sweep records of a scale (runner.write_record): what each target's last sweep made, in
    how long, on what, at which commit. A sweep that resumed a partial one made only the rest."""
    records = [json.loads(p.read_text()) | {"target": p.name.removesuffix(".sweep.json")}
               for p in sorted(Path(root, scale).glob("*.sweep.json"))]
    lines = ["| target | runs made / planned | time | machine | workers | commit | finished |",
             "|---|---:|---:|---|---|---|---|"]
    for r in records:
        lines.append(f"| {r['target']} | {r['made']} / {r['runs']} | {r['seconds'] / 60:.1f} min | {r['device']} | "
                     f"{r['jobs']} | {(r.get('git_revision') or 'unknown')[:12]} | {r.get('finished', 'unknown')} |")
    return records, "\n".join(lines)


REPORT = [  # target, title, images, the settings its caption states (a function of the scale)
    ("fig1", "Figure 1: the Transforms-2D dataset", ["fig1.png"], None),
    ("fig2", "Figure 2: invariance versus other factors (E1)", ["fig2.png"], experiments.E1.get),
    ("fig3", "Figure 3: the invariance gap against each factor's span (E1)", ["fig3.png"], None),
    ("fig2-finetune", "Full fine-tuning of E1's models (E1-FT, the appendix)", ["fig2_finetune.png"],
     plots.finetune_settings),
    ("fig4", "Figure 4: nested transformation sets (E2)", ["fig4.png"], experiments.E2.get),
    ("table-invariance", "How transferable is invariance (E3)", ["invariance_heatmap.png"], None),  # its text says
    ("table-irrelevant", "Invariance can hurt: irrelevant features (E4)", [], None),
]


def report(scale, out=None, root="runs", cifar_dir=None):
    """results/<scale>/: REPORT.md with every figure, table and claims check of the results present,
    the scale they came from, the paper's numbers beside ours and the sweeps that made them, plus
    the figures, tables and JSON it shows. Written whole into a new folder that then replaces the
    old one, so it never mixes files of two reports."""
    out = Path(out or f"results/{scale}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        done = figures(scale, tmp, root, cifar_dir)
        records, sweep_table = sweeps(scale, root)
        md = [f"# Report: {scale} scale", "",
              f"Every figure, table and claims check of the results under `{root}/{scale}`, written by `make report "
              f"SCALE={scale}` at git revision {(git_revision() or 'unknown')[:12]}; each section says what its "
              "scale reduces (PROTOCOL.md sections 5 and 6).", "", "## The sweeps that made them", "", sweep_table, ""]
        for target, title, images, settings in REPORT:
            text, missing = done[target]
            md += [f"## {title}", ""]
            if missing:
                md += [f"{'Broken results' if isinstance(missing, BrokenResult) else 'Not run'}: {missing}", ""]
                continue
            md += [f"![{target}]({image})" for image in images] + ([""] if images else [])
            if settings:
                caption = plots.caption(scale, settings(scale))
                md += [f"{caption[0].upper()}{caption[1:]}.", ""]
            if text:
                md += [text.rstrip("\n"), ""]
            if paper.summary(target):
                md += [f"Paper: {paper.summary(target)}", ""]
        write_text(tmp / "REPORT.md", "\n".join(md))
        write_json(tmp / "sweeps.json", records)
        if out.exists():
            old = out.rename(out.with_name(f".{out.name}.old.{os.getpid()}"))
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def paper_check(root="runs", out="figures/paper_check.md", scale="paper"):
    """figures/paper_check.md and .json: the paper-scale headline numbers beside the paper's, the
    objects they were made with, the time the sweep took and the GPU it ran on."""
    rows = claims.check_rows(scale, root)
    if not any(math.isfinite(ours) for _, ours, _, _ in rows):
        raise ValueError(f"no paper-check results under {root}/{scale}: run `make paper-check` first")
    sweep_path = Path(root, scale, "paper-check.sweep.json")
    sweep = json.loads(sweep_path.read_text()) if sweep_path.exists() else {}
    e1_args = Path(experiments.paper_check(scale, root)[1].e1[0].pretrain, "args.json")
    objects = json.loads(e1_args.read_text()).get("objects", "procedural") if e1_args.exists() else "unknown"
    made = (f"{sweep['seconds'] / 60:.1f} min to make {sweep['made']} of its {sweep['runs']} runs on "
            f"{sweep['device']}") if sweep else "time not recorded"
    text = (f"Paper-scale check ({scale} scale, seed 0; objects: {objects}; the paper used SI-Score's photographed "
            f"objects); {made}. Paper: the reference numbers of paper.py (E1's default point is the middle of its "
            f"ranges; E3's Same and None are the table's means over the 18 transformations).\n\n"
            f"{claims.check_table(rows)}\n")
    out = Path(out)
    write_text(out, text)
    write_json(out.with_suffix(".json"), finite(dict(scale=scale, objects=objects, sweep=sweep, rows=[
        dict(check=c, ours=o, paper=p, holds=h) for c, o, p, h in rows])))
    print(text, end="")
    return text


def get_args_parser():
    p = Parser(prog="tables.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="table", required=True)
    helps = {"table-invariance": "invariance transfer across distribution shift (experiment E3): tables and "
                                 "heatmap, from the runs present",
             "table-irrelevant": "invariance can hurt (experiment E4), from the runs present",
             "figures": "re-plot every figure and table from the results present",
             "report": "results/SCALE/REPORT.md: every figure, table and claims check of the results present, "
                       "and the sweeps that made them",
             "paper-check": "figures/paper_check.md: the paper-scale headline runs beside the paper's numbers"}
    for name, what in helps.items():
        s = sub.add_parser(name, help=what)
        s.add_argument("--scale", choices=list(experiments.E1), default="paper" if name == "paper-check" else "small",
                       help="(default: %(default)s)")
        s.add_argument("--root", default="runs", help="folder of all runs (default: %(default)s)")
        if name not in ("table-irrelevant", "paper-check"):
            s.add_argument("--cifar-dir", default=os.environ.get("CIFAR_DIR"),
                           help="adds the CIFAR parts, as experiments.py (default: $CIFAR_DIR: %(default)s)")
    sub.choices["table-invariance"].add_argument(
        "--out", default="figures/table_invariance.md", help="Markdown table to write; .tex, .json and "
        "invariance_heatmap.png (+ .pdf) beside it (default: %(default)s)")
    sub.choices["table-irrelevant"].add_argument(
        "--out", default="figures/table_irrelevant.md", help="Markdown to write, .tex and .json beside it "
        "(default: %(default)s)")
    sub.choices["report"].add_argument(
        "--out", default=None, help="the folder to write, replaced whole (default: results/SCALE)")
    sub.choices["paper-check"].add_argument(
        "--out", default="figures/paper_check.md", help="Markdown to write, .json beside it (default: %(default)s)")
    return p


def tabulate(args):
    folder = {"figures": "figures", "report": getattr(args, "out", None) or f"results/{args.scale}"}
    out = Path(args.out) if args.table not in folder else Path(folder[args.table]) / "REPORT.md"
    runfolder.check_out(out.parent)  # a file, or a folder not writable: refused before any work
    if args.table == "table-invariance":
        table_invariance(args.scale, args.out, args.root, args.cifar_dir)
        print(f"wrote {out.with_suffix('.md')}, .tex, .json and {out.with_name('invariance_heatmap.png')} (+ .pdf)")
    elif args.table == "table-irrelevant":
        table_irrelevant(args.scale, args.out, args.root)
        print(f"wrote {out.with_suffix('.md')}, .tex and .json")
    elif args.table == "figures":
        done = figures(args.scale, "figures", args.root, args.cifar_dir)
        broken = [target for target, (_, e) in done.items() if isinstance(e, BrokenResult)]
        if broken:
            raise ValueError(f"broken results for {', '.join(broken)} (each named above); the others are re-plotted")
    elif args.table == "paper-check":
        paper_check(args.root, args.out, args.scale)
        print(f"wrote {out} and .json")
    else:
        out = report(args.scale, args.out, args.root, args.cifar_dir)
        print(f"wrote {out}/REPORT.md and the figures, tables and JSON it shows")


def main(args):
    cli.run_main("tables.py", tabulate, args)


if __name__ == "__main__":
    main(get_args_parser().parse_args())
