"""Dataset statistics as text (the paper's Table 4 columns) and return histograms (its Figure 3)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from lawm.common.files import atomic_path

TABLE4_COLUMNS = ("mean", "std", "min", "p25", "median", "p75", "max")


def format_stats(name: str, env_id: str, recipe: str, stats: dict) -> str:
    header = "| " + " | ".join(TABLE4_COLUMNS) + " | episodes | labeled | transitions |"
    rule = "|" + "---|" * (len(TABLE4_COLUMNS) + 3)
    row = ("| " + " | ".join(f"{stats[c]:.1f}" for c in TABLE4_COLUMNS)
           + f" | {stats['episodes']} | {stats['labeled']} | {stats['transitions']} |")
    return f"{name} ({env_id}, {recipe or 'no recipe'})\n{header}\n{rule}\n{row}"


def plot_returns(returns: dict[str, np.ndarray], path: str | Path, columns: int = 1) -> None:
    """One histogram of episode returns per entry, on the [0, 1000] range of DMC returns."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = -(-len(returns) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 2.4 * rows), squeeze=False)
    for ax, (title, values) in zip(axes.flat, returns.items()):
        ax.hist(values, bins=np.linspace(0, 1000, 41), color="tab:blue")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("episode return")
    for ax in list(axes.flat)[len(returns):]:
        ax.axis("off")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
