"""``lawm report``: Table 1, IQMs and figures rebuilt from a benchmark folder's result files alone; ``lawm plot``:
one run folder's learning curve.

Every finished cell leaves ``cell.json`` (what it is) and ``eval.json`` (its normalized score) in its run
folder. The report gives, per label fraction, Table 1's layout (mean +- sample standard deviation over seeds,
the best method without oracle in bold, and the average row); per task and dataset, LAWM's score (and its
learned-prior variant's) minus C-LAP's and minus C-LAP (Oracle)'s with a 95 % stratified-bootstrap confidence
interval over seeds (each method's seeds resampled on their own); each method's interquartile mean (IQM) over
tasks and datasets with a 95 % stratified-bootstrap confidence interval (Agarwal et al., 2021: runs are
resampled within each task and dataset); a figure of scores per method and dataset; learning curves per task
and dataset (``eval_score`` in ``metrics.jsonl``); and, for every task and dataset with several label fractions, each
method's mean score against the label fraction with bootstrap intervals. Every interval is a percentile
interval of ``BOOTSTRAP_SAMPLES`` resamples from a fixed generator seed, so a report is the same on every rebuild.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np

from lawm.bench.cells import DATASET_KINDS, LABELS
from lawm.common.files import atomic_path
from lawm.common.run import final_evaluation, is_finished, saved_config
from lawm.errors import LawmError

BOOTSTRAP_SAMPLES = 2000
COMPARED = ("clap", "clap-oracle")  # the methods LAWM's score is set against, cell by cell
LAWM_VARIANTS = ("lawm", "lawm-prior")  # the methods set against them
COLORS = dict(zip(LABELS, ("tab:gray", "tab:purple", "tab:blue", "tab:orange", "tab:green", "tab:red", "tab:brown")))


def _finished_cells(out: str | Path) -> list[tuple[Path, dict]]:
    """(run folder, its task, kind, label_fraction, method and seed) of every finished cell under ``out``."""
    cells = []
    for cell in sorted(Path(out).glob("runs/**/cell.json")):
        if is_finished(cell.parent):
            fields = json.loads(cell.read_text())
            cells.append((cell.parent, {k: fields[k] for k in ("task", "kind", "label_fraction", "method", "seed")}))
    return cells


def load_results(out: str | Path) -> list[dict]:
    """One row (task, kind, label_fraction, method, seed, score) per finished cell under ``out``."""
    return [dict(fields, score=final_evaluation(folder)["normalized_score"])
            for folder, fields in _finished_cells(out)]


def eval_curve(run_dir: str | Path) -> tuple[tuple, tuple]:
    """(steps, scores) of the normalized scores a run folder's ``metrics.jsonl`` logs during training
    (``eval_score``; every method logs it); two empty tuples where it logs none."""
    path = Path(run_dir) / "metrics.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    points = [(m["step"], m["eval_score"]) for m in map(json.loads, lines) if m.get("eval_score") is not None]
    return tuple(zip(*points)) or ((), ())


def load_curves(out: str | Path) -> list[dict]:
    """One row (task, kind, label_fraction, method, seed, steps, scores) per finished cell whose
    ``metrics.jsonl`` logs ``eval_score`` during training."""
    curves = []
    for folder, fields in _finished_cells(out):
        steps, scores = eval_curve(folder)
        if steps:
            curves.append(dict(fields, steps=steps, scores=scores))
    return curves


def iqm(scores: np.ndarray) -> np.ndarray:
    """Interquartile mean along the last axis: the mean of the middle half (25 % trimmed from each end)."""
    scores = np.sort(scores, axis=-1)
    cut = int(0.25 * scores.shape[-1])
    return scores[..., cut:scores.shape[-1] - cut].mean(-1)


def stratified_bootstrap(strata: list[np.ndarray], statistic: Callable[[list[np.ndarray]], np.ndarray],
                         samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> tuple[float, float, float]:
    """``statistic`` of the strata and its 95 % percentile interval over ``samples`` resamples, each of which
    draws every stratum's runs with replacement, independently of the other strata (deterministic for a
    ``seed``). ``statistic`` maps one array of runs per stratum, resamples along the leading axes, to a value."""
    rng = np.random.default_rng(seed)
    resampled = [runs[rng.integers(0, len(runs), (samples, len(runs)))] for runs in strata]
    low, high = np.percentile(statistic(resampled), [2.5, 97.5])
    return float(statistic(strata)), float(low), float(high)


def stratified_bootstrap_iqm(strata: list[np.ndarray], samples: int = BOOTSTRAP_SAMPLES,
                             seed: int = 0) -> tuple[float, float, float]:
    """The IQM over all runs and its 95 % interval, resampling runs within each stratum (task and dataset)."""
    return stratified_bootstrap(strata, lambda runs: iqm(np.concatenate(runs, -1)), samples, seed)


def bootstrap_difference(first: np.ndarray, second: np.ndarray, samples: int = BOOTSTRAP_SAMPLES,
                         seed: int = 0) -> tuple[float, float, float]:
    """mean(first) - mean(second) over seeds and its 95 % interval, each method's seeds resampled on their own."""
    return stratified_bootstrap([first, second], lambda runs: runs[0].mean(-1) - runs[1].mean(-1), samples, seed)


def bootstrap_mean(scores: np.ndarray, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> tuple[float, float, float]:
    """The mean over seeds and its 95 % interval, resampling the seeds."""
    return stratified_bootstrap([scores], lambda runs: runs[0].mean(-1), samples, seed)


def _table_rows(entries: list[dict]) -> list[tuple[str, str]]:
    """The distinct (task, kind) pairs of ``entries``, in Table 1's order."""
    return sorted({(e["task"], e["kind"]) for e in entries}, key=lambda tk: (tk[0], DATASET_KINDS.index(tk[1])))


def _rows_of(results: list[dict], fraction: float) -> tuple[list[tuple[str, str]], list[str]]:
    """The (task, kind) rows and the methods, in Table 1's order, at one label fraction."""
    here = [r for r in results if r["label_fraction"] == fraction]
    return _table_rows(here), [m for m in LABELS if any(r["method"] == m for r in here)]


def _scores(results: list[dict], fraction: float, method: str, task: str | None = None,
            kind: str | None = None) -> np.ndarray:
    return np.array([r["score"] for r in results if r["label_fraction"] == fraction and r["method"] == method
                     and task in (None, r["task"]) and kind in (None, r["kind"])])


def _std(scores: np.ndarray) -> float:
    """Sample standard deviation over seeds (0 for a single seed)."""
    return float(scores.std(ddof=1)) if len(scores) > 1 else 0.0


def table1(results: list[dict], fraction: float) -> str:
    """Table 1's layout at one label fraction: mean +- std over seeds, best non-oracle mean in bold, averages."""
    rows, methods = _rows_of(results, fraction)
    counts = {len(_scores(results, fraction, m, t, k)) for t, k in rows for m in methods} - {0}
    lines = ["| task | dataset | " + " | ".join(LABELS[m] for m in methods) + " |",
             "|---|---|" + "---:|" * len(methods)]
    means = {m: [] for m in methods}
    for i, (task, kind) in enumerate(rows):
        cells = {m: _scores(results, fraction, m, task, kind) for m in methods}
        best = max((s.mean() for m, s in cells.items() if len(s) and not _is_oracle(m)), default=None)
        texts = []
        for m, s in cells.items():
            if not len(s):
                texts.append("–")
                continue
            means[m].append(s.mean())
            text = f"{s.mean():.1f}" + (f" ± {_std(s):.1f}" if len(s) > 1 else "")
            text = f"**{text}**" if s.mean() == best and not _is_oracle(m) else text
            texts.append(text + (f" (n={len(s)})" if len(counts) > 1 else ""))
        shown = task if i == 0 or rows[i - 1][0] != task else ""
        lines.append(f"| {shown} | {kind} | " + " | ".join(texts) + " |")
    partial = {m for m in methods if len(means[m]) < len(rows)}
    lines.append("| **average** | | " + " | ".join(
        f"{np.mean(means[m]):.1f}" + ("*" if m in partial else "") for m in methods) + " |")
    seeds = "/".join(map(str, sorted(counts))) + (" seed" if counts == {1} else " seeds")
    notes = [f"Normalized score (return / 10) of the final policy; mean ± sample std over {seeds}; "
             "bold: the best method without oracle."]
    if partial:
        notes.append("*: averaged over the rows that method has.")
    return "\n".join(lines + [""] + notes)


def iqm_rows(results: list[dict], fraction: float) -> dict[str, tuple[float, float, float, int]]:
    """Per method: IQM, its 95 % CI and the number of runs, stratified by task and dataset."""
    rows, methods = _rows_of(results, fraction)
    table = {}
    for m in methods:
        strata = [s for t, k in rows if len(s := _scores(results, fraction, m, t, k))]
        table[m] = (*stratified_bootstrap_iqm(strata), sum(map(len, strata)))
    return table


def iqm_table(results: list[dict], fraction: float) -> str:
    lines = ["| method | IQM | 95 % CI | runs |", "|---|---:|---:|---:|"]
    for m, (value, low, high, runs) in iqm_rows(results, fraction).items():
        lines.append(f"| {LABELS[m]} | {value:.1f} | [{low:.1f}, {high:.1f}] | {runs} |")
    return "\n".join(lines)


def difference_table(results: list[dict], fraction: float) -> str | None:
    """Per task and dataset, the mean score of LAWM (and of each variant of it) minus C-LAP's and minus C-LAP
    (Oracle)'s, each with its 95 % stratified-bootstrap interval over seeds; None where no row has LAWM and one
    of them."""
    rows, methods = _rows_of(results, fraction)
    others = [m for m in COMPARED if m in methods]
    variants = [m for m in LAWM_VARIANTS if m in methods]
    if not variants or not others:
        return None
    lines = ["| task | dataset | method | " + " | ".join(f"− {LABELS[m]} | 95 % CI" for m in others) + " | seeds |",
             "|---|---|---|" + "---:|---:|" * len(others) + "---:|"]
    for task, kind in rows:
        scores = [_scores(results, fraction, m, task, kind) for m in others]
        for variant in variants:
            lawm = _scores(results, fraction, variant, task, kind)
            if not len(lawm):
                continue
            texts = []
            for other in scores:
                if len(other):
                    value, low, high = bootstrap_difference(lawm, other)
                    texts.append(f"{value:+.1f} | [{low:+.1f}, {high:+.1f}]")
                else:
                    texts.append("– | –")
            seeds = "/".join(str(len(s)) for s in (lawm, *scores))
            lines.append(f"| {task} | {kind} | {LABELS[variant]} | " + " | ".join(texts) + f" | {seeds} |")
    compared = "/".join(LABELS[m] for m in others)
    note = (f"Difference of mean normalized scores over seeds (seeds: the method/{compared}); "
            f"95 % stratified-bootstrap percentile interval from {BOOTSTRAP_SAMPLES} resamples, each method's seeds "
            "resampled with replacement independently of the other's (generator seed 0). An interval above 0: "
            "the method is better in this cell at these seeds; one that holds 0: the seeds do not tell them apart.")
    return "\n".join(lines + ["", note])


def fraction_table(results: list[dict], task: str, kind: str) -> str:
    """Per label fraction, each method's mean score on one task and dataset with its 95 % bootstrap interval; the
    oracles, which see every action whatever the fraction, in a last row of their own, pooled over fractions."""
    fractions = _fractions(results, task, kind)
    methods = [m for m in LABELS if any(len(_scores(results, f, m, task, kind)) for f in fractions)]
    lines = ["| label fraction | " + " | ".join(LABELS[m] for m in methods) + " |",
             "|---:|" + "---:|" * len(methods)]
    for f in fractions:
        texts = ["–" if _is_oracle(m) else _interval_text(_scores(results, f, m, task, kind)) for m in methods]
        lines.append(f"| {f:g} | " + " | ".join(texts) + " |")
    if any(_is_oracle(m) for m in methods):
        texts = [_interval_text(_oracle_scores(results, m, task, kind)) if _is_oracle(m) else "–" for m in methods]
        lines.append("| every label (oracles) | " + " | ".join(texts) + " |")
    return "\n".join(lines)


def _interval_text(scores: np.ndarray) -> str:
    """Seeds' mean score with its 95 % bootstrap interval and their count, or a dash for no seeds."""
    if not len(scores):
        return "–"
    value, low, high = bootstrap_mean(scores)
    return f"{value:.1f} [{low:.1f}, {high:.1f}] (n={len(scores)})"


def _is_oracle(method: str) -> bool:
    """Whether a method sees every action of its file, so that its score does not depend on the label fraction."""
    return method.endswith("oracle")


def _oracle_scores(results: list[dict], method: str, task: str, kind: str) -> np.ndarray:
    """An oracle's scores on one task and dataset at every label fraction: the same data, so one sample."""
    return np.concatenate([_scores(results, f, method, task, kind) for f in _fractions(results, task, kind)])


def _fractions(results: list[dict], task: str, kind: str) -> list[float]:
    """The label fractions of one task and dataset's results, in order."""
    return sorted({r["label_fraction"] for r in results if (r["task"], r["kind"]) == (task, kind)})


def _fraction_rows(results: list[dict]) -> list[tuple[str, str]]:
    """The (task, kind) pairs that have results at more than one label fraction."""
    return [(t, k) for t, k in _table_rows(results) if len(_fractions(results, t, k)) > 1]


def _panels(count: int, width: float, height: float):
    """A figure of ``count`` panels, at most four to a row; the axes flat, unused ones hidden."""
    import matplotlib.pyplot as plt

    columns = min(count, 4)
    rows = -(-count // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows), squeeze=False)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, axes.flat[:count]


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def plot_scores(results: list[dict], fraction: float, path: Path) -> None:
    """Per task, bars of each method's mean score per dataset (std as error bars, seeds as dots); then IQMs."""
    import matplotlib.pyplot as plt

    rows, methods = _rows_of(results, fraction)
    tasks = sorted({t for t, _ in rows})
    fig, axes = plt.subplots(1, len(tasks) + 1, figsize=(4.2 * (len(tasks) + 1), 3.6), squeeze=False)
    width = 0.8 / len(methods)
    for ax, task in zip(axes[0], tasks):
        kinds = [k for t, k in rows if t == task]
        for j, m in enumerate(methods):
            for x, kind in enumerate(kinds):
                s = _scores(results, fraction, m, task, kind)
                if len(s):
                    where = x - 0.4 + width * (j + 0.5)
                    ax.bar(where, s.mean(), width, yerr=_std(s), color=COLORS[m], label=LABELS[m] if x == 0 else None)
                    ax.scatter(np.full(len(s), where), s, s=6, color="black", zorder=3)
        ax.set_xticks(range(len(kinds)), kinds)
        ax.set(title=task, ylabel="normalized score", ylim=(0, 100))
    ax = axes[0][-1]
    for j, (m, (value, low, high, _)) in enumerate(iqm_rows(results, fraction).items()):
        ax.errorbar(value, j, xerr=[[value - low], [high - value]], fmt="o", color=COLORS[m], capsize=3)
    ax.set_yticks(range(len(methods)), [LABELS[m] for m in methods])
    ax.set(title="IQM, 95 % stratified-bootstrap CI", xlabel="normalized score", xlim=(0, 100))
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"label fraction {fraction:g}", fontsize=9)
    _save(fig, path)


def plot_fractions(results: list[dict], path: Path) -> None:
    """Per task and dataset with several label fractions, each method's mean score (95 % bootstrap interval
    over seeds as a band) against the share of labeled trajectories, on a log axis."""
    rows = _fraction_rows(results)
    fig, axes = _panels(len(rows), 5, 3.6)
    for ax, (task, kind) in zip(axes, rows):
        fractions = _fractions(results, task, kind)
        for m in LABELS:
            _draw_fraction_line(ax, results, m, task, kind)
        ax.set(title=f"{task} {kind}", xscale="log", xlabel="label fraction", ylabel="normalized score",
               ylim=(0, 100))
        ax.set_xticks(fractions, [f"{f:g}" for f in fractions], minor=False)
        ax.minorticks_off()
        ax.legend(fontsize=7)
    fig.suptitle("mean over seeds, 95 % bootstrap interval", fontsize=9)
    _save(fig, path)


def _draw_fraction_line(ax, results: list[dict], method: str, task: str, kind: str) -> None:
    """One method's mean score against the label fraction with its interval as a band; an oracle's, which does not
    depend on the fraction, as a dashed level."""
    if _is_oracle(method):
        scores = _oracle_scores(results, method, task, kind)
        if len(scores):
            value, low, high = bootstrap_mean(scores)
            ax.axhline(value, ls="--", color=COLORS[method], label=f"{LABELS[method]}, every label")
            ax.axhspan(low, high, color=COLORS[method], alpha=0.1)
        return
    points = [(f, *bootstrap_mean(s)) for f in _fractions(results, task, kind)
              if len(s := _scores(results, f, method, task, kind))]
    if points:
        f, value, low, high = map(np.array, zip(*points))
        ax.plot(f, value, "o-", color=COLORS[method], label=LABELS[method])
        ax.fill_between(f, low, high, color=COLORS[method], alpha=0.2)


def plot_curves(curves: list[dict], fraction: float, path: Path) -> None:
    """Per task and dataset, each seed's evaluation score against training steps, coloured by method."""
    here = sorted((c for c in curves if c["label_fraction"] == fraction),
                  key=lambda c: (list(LABELS).index(c["method"]), c["seed"]))
    rows = _table_rows(here)
    fig, axes = _panels(len(rows), 4.2, 3.4)
    for ax, (task, kind) in zip(axes, rows):
        _draw_curves(ax, [c for c in here if (c["task"], c["kind"]) == (task, kind)], f"{task} {kind}")
    fig.suptitle(f"label fraction {fraction:g}: evaluation during training, one line per seed", fontsize=9)
    _save(fig, path)


def _draw_curves(ax, curves: list[dict], title: str) -> None:
    """One panel of learning curves, in the given order: score against training step, one colour and one
    legend entry per method."""
    labelled = set()
    for c in curves:
        label = None if c["method"] in labelled else LABELS.get(c["method"], c["method"])
        ax.plot(c["steps"], c["scores"], "o-", ms=2, lw=1, color=COLORS.get(c["method"]), alpha=0.8, label=label)
        labelled.add(c["method"])
    ax.set(title=title, xlabel="training step", ylabel="normalized score", ylim=(0, 100))
    ax.legend(fontsize=7)


def plot_run(run_dir: str | Path, path: str | Path) -> None:
    """One run folder's learning curve, the scores its training logged (``lawm plot``), as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    config = saved_config(run_dir)
    steps, scores = eval_curve(run_dir)
    if not steps:
        raise LawmError(f"{run_dir} has logged no normalized evaluation score yet (eval_score in metrics.jsonl)")
    method = config["algorithm"] + ("-oracle" if config.get("oracle") else "")
    fig, ax = plt.subplots(figsize=(5, 3.4))
    _draw_curves(ax, [dict(method=method, steps=steps, scores=scores)], f"{Path(run_dir).name}: {config['task']}")
    _save(fig, Path(path))


def write_report(out: str | Path) -> list[Path]:
    """report.md, scores and learning-curve PNGs per label fraction and, where a task and dataset has several
    label fractions, label_fractions.png in ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out)
    results = load_results(out)
    if not results:
        raise LawmError(f"{out} holds no finished benchmark cells (no runs/**/cell.json with an eval.json)")
    curves = load_curves(out)
    written, sections = [], [f"# Benchmark report\n\nRebuilt from the {len(results)} finished cells under `{out}`."]
    for fraction in sorted({r["label_fraction"] for r in results}):
        figure = out / f"scores_lf{fraction:g}.png"
        plot_scores(results, fraction, figure)
        written.append(figure)
        sections.append(f"## Label fraction {fraction:g}\n\n{table1(results, fraction)}")
        differences = difference_table(results, fraction)
        if differences:
            sections.append(f"### LAWM against C-LAP, per task and dataset\n\n{differences}")
        sections.append(f"### IQM over tasks and datasets\n\n{iqm_table(results, fraction)}\n\n"
                        f"95 % stratified-bootstrap interval from {BOOTSTRAP_SAMPLES} resamples (runs resampled "
                        f"within each task and dataset).\n\n![scores]({figure.name})")
        if any(c["label_fraction"] == fraction for c in curves):
            figure = out / f"curves_lf{fraction:g}.png"
            plot_curves(curves, fraction, figure)
            written.append(figure)
            sections.append(f"### Learning curves, per task and dataset\n\n![curves]({figure.name})")
    rows = _fraction_rows(results)
    if rows:
        plot_fractions(results, out / "label_fractions.png")
        written.append(out / "label_fractions.png")
        tables = [f"### {task} {kind}\n\n{fraction_table(results, task, kind)}" for task, kind in rows]
        sections.append("## Score against label fraction\n\nMean normalized score over seeds and its 95 % "
                        f"bootstrap interval ({BOOTSTRAP_SAMPLES} resamples of the seeds, generator seed 0).\n\n"
                        + "\n\n".join(tables) + "\n\n![label fractions](label_fractions.png)")
    with atomic_path(out / "report.md") as tmp:
        tmp.write_text("\n\n".join(sections) + "\n")
    return [out / "report.md", *written]
