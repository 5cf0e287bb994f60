"""Dataset statistics in the layout of the paper's Table 4, and return histograms like its Figure 3."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from lawm.common.files import atomic_path

TABLE4_COLUMNS = ("mean", "std", "min", "p25", "median", "p75", "max")


def stats_table(rows: list[tuple[str, str, dict]]) -> str:
    """A markdown table with one row per (task, recipe, stats)."""
    lines = ["| task | dataset | " + " | ".join(TABLE4_COLUMNS) + " | episodes | labeled | transitions |",
             "|---|---|" + "---:|" * (len(TABLE4_COLUMNS) + 3)]
    for task, recipe, stats in rows:
        lines.append(f"| {task} | {recipe} | " + " | ".join(f"{stats[c]:.1f}" for c in TABLE4_COLUMNS)
                     + f" | {stats['episodes']} | {stats['labeled']} | {stats['transitions']} |")
    return "\n".join(lines)


def plot_returns(returns: dict[tuple[str, str], np.ndarray], path: str | Path) -> None:
    """Histograms of episode returns on DMC's [0, 1000] range: one row per task, one column per recipe."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(task for task, _ in returns))
    recipes = list(dict.fromkeys(recipe for _, recipe in returns))
    fig, axes = plt.subplots(len(tasks), len(recipes), figsize=(3.2 * len(recipes), 2.4 * len(tasks)),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for (task, recipe), values in returns.items():
        ax = axes[tasks.index(task), recipes.index(recipe)]
        ax.axis("on")
        ax.hist(values, bins=np.linspace(0, 1000, 41), color="tab:blue")
        ax.set_title(f"{task} {recipe}", fontsize=9)
        ax.set_xlabel("episode return", fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
