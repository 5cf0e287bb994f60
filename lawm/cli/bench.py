"""``lawm bench`` runs a benchmark grid; ``lawm report`` rebuilds its tables and figures from the result files."""
from __future__ import annotations

import argparse


def register(commands, train_commands) -> None:
    bench = commands.add_parser("bench", help="run a grid of tasks x datasets x methods x seeds",
                                description="Run every unfinished cell of a benchmark grid, each in its own run "
                                "folder under --out; finished cells are skipped, unfinished ones resume.")
    bench.add_argument("--grid", required=True,
                       help="tiny, reduced, claim, labels, prior, paper, or a JSON file of grid fields")
    bench.add_argument("--out", required=True, help="the benchmark folder (datasets, runs, report)")
    bench.add_argument("--backend", default="auto", help="local (a process pool), ray, or auto (default: ray "
                       "when RAY_ADDRESS names a cluster, else local)")
    bench.add_argument("--workers", type=int, help="parallel cells (default: the number of cores)")
    bench.add_argument("--methods", type=_names, help="run only these of the grid's methods, e.g. lawm,clap")
    bench.add_argument("--seeds", type=_seeds, help="run only these of the grid's seeds, e.g. 0,1")
    bench.add_argument("--datasets", type=_datasets, help="run only these of the grid's datasets, as task/kind, "
                       "e.g. walker-walk/explore,hopper-stand/medium-replay")
    bench.add_argument("--fractions", type=_fractions, help="run only these of the grid's label fractions, "
                       "e.g. 0.01,0.02")
    bench.set_defaults(handler=_bench)

    report = commands.add_parser("report", help="Table 1, IQMs and figures from a benchmark folder",
                                 description="Rebuild report.md and its PNG figures from a benchmark folder's "
                                 "result files alone.")
    report.add_argument("out", help="a folder made by 'lawm bench'")
    report.set_defaults(handler=_report)


def _bench(args) -> None:
    from lawm.bench.grids import load_grid
    from lawm.bench.runner import run_grid

    run_grid(load_grid(args.grid), args.out, args.backend, args.workers, args.methods, args.seeds,
             args.datasets, args.fractions)
    print(f"done; 'lawm report {args.out}' writes the tables and figures")


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _seeds(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(seed) for seed in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must be comma-separated integers, got '{text}'") from None


def _fractions(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(fraction) for fraction in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"label fractions must be comma-separated numbers, got '{text}'") from None


def _datasets(text: str) -> tuple[tuple[str, str], ...]:
    pairs = tuple(tuple(name.split("/")) for name in _names(text))
    if not pairs or any(len(pair) != 2 or not all(pair) for pair in pairs):
        raise argparse.ArgumentTypeError(f"datasets must be comma-separated task/kind pairs, e.g. walker-walk/explore, "
                                         f"got '{text}'")
    return pairs


def _report(args) -> None:
    from lawm.bench.report import write_report

    for path in write_report(args.out):
        print(f"wrote {path}")
