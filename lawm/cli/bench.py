"""``lawm bench`` runs a benchmark grid; ``lawm report`` rebuilds its tables and figures from the result files."""
from __future__ import annotations


def register(commands, train_commands) -> None:
    bench = commands.add_parser("bench", help="run a grid of tasks x datasets x methods x seeds",
                                description="Run every unfinished cell of a benchmark grid, each in its own run "
                                "folder under --out; finished cells are skipped, unfinished ones resume.")
    bench.add_argument("--grid", required=True, help="tiny, reduced, paper, or a JSON file of grid fields")
    bench.add_argument("--out", required=True, help="the benchmark folder (datasets, runs, report)")
    bench.add_argument("--backend", default="local", help="local (a process pool, default) or ray")
    bench.add_argument("--workers", type=int, help="parallel cells (default: the number of cores)")
    bench.set_defaults(handler=_bench)

    report = commands.add_parser("report", help="Table 1, IQMs and figures from a benchmark folder",
                                 description="Rebuild report.md and its PNG figures from a benchmark folder's "
                                 "result files alone.")
    report.add_argument("out", help="a folder made by 'lawm bench'")
    report.set_defaults(handler=_report)


def _bench(args) -> None:
    from lawm.bench.grids import load_grid
    from lawm.bench.runner import run_grid

    run_grid(load_grid(args.grid), args.out, args.backend, args.workers)
    print(f"done; 'lawm report {args.out}' writes the tables and figures")


def _report(args) -> None:
    from lawm.bench.report import write_report

    for path in write_report(args.out):
        print(f"wrote {path}")
