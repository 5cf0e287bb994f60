"""``lawm data``: make, inspect, relabel, import and export dataset files."""
from __future__ import annotations

import json


def register(commands, train_commands) -> None:
    data = commands.add_parser("data", help="make, inspect and relabel datasets",
                               description="Make, inspect and relabel dataset files.")
    sub = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")

    random = sub.add_parser("random", help="a dataset from the uniform-random policy")
    random.add_argument("task", help="a dm_control task such as walker-walk, or a Gymnasium one such as gym:Hopper-v5")
    random.add_argument("--episodes", type=int, default=20, help="number of episodes (default 20)")
    random.add_argument("--seed", type=int, default=0, help="seed of the policy, the episodes and the label split")
    random.add_argument("--label-fraction", type=float, default=0.05,
                        help="share of episodes that keep their actions (default 0.05)")
    random.add_argument("--out", required=True, help="the .h5 file to write")
    random.add_argument("--workers", type=int, default=1, help="parallel rollout processes (default 1)")
    random.set_defaults(handler=_random)

    stats = sub.add_parser("stats", help="return statistics in the layout of the paper's Table 4")
    stats.add_argument("file", help="a dataset file")
    stats.add_argument("--plot", help="also write a histogram of episode returns to this PNG file")
    stats.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    stats.set_defaults(handler=_stats)

    make = sub.add_parser("make", help="a dataset recipe (expert, medium, medium-replay, explore)",
                          description="Roll out the committed behaviour snapshots as one of the paper's four "
                                      "dataset recipes; the same --seed gives the same file.")
    make.add_argument("task", help="cheetah-run, walker-walk or hopper-stand")
    make.add_argument("kind", help="expert, medium, medium-replay or explore")
    make.add_argument("--episodes", type=int, default=2000, help="number of 500-step episodes (default 2000)")
    make.add_argument("--label-fraction", type=float, default=0.05, help="share of labeled episodes (default 0.05)")
    make.add_argument("--seed", type=int, default=0, help="seed of the rollouts and the label split")
    make.add_argument("--workers", type=int, default=2, help="parallel rollout processes (default 2)")
    make.add_argument("--policies", help="folder of behaviour snapshots (default: the ones lawm ships)")
    make.add_argument("--out", required=True, help="the .h5 file to write")
    make.set_defaults(handler=_make)

    table = sub.add_parser("table", help="Table 4 and Figure 3 of several datasets",
                           description="Return statistics of several datasets as one markdown table (the "
                                       "paper's Table 4 layout) and a grid of histograms (its Figure 3).")
    table.add_argument("files", nargs="+", help="dataset files")
    table.add_argument("--markdown", help="also write the table to this .md file")
    table.add_argument("--plot", help="also write the histograms to this PNG file")
    table.set_defaults(handler=_table)

    relabel = sub.add_parser("relabel", help="a new split of labeled and action-free episodes")
    relabel.add_argument("file", help="a dataset file")
    relabel.add_argument("--label-fraction", type=float, required=True, help="share of labeled episodes")
    relabel.add_argument("--seed", type=int, default=0, help="seed of the split")
    relabel.add_argument("--out", required=True, help="the .h5 file to write")
    relabel.set_defaults(handler=_relabel)

    minari_in = sub.add_parser("import-minari", help="a dataset file from a local Minari dataset",
                               description="Read a local Minari dataset (MINARI_DATASETS_PATH honoured), keep the "
                               "actions of a share of its episodes and move the rest to the diagnostics copy.")
    minari_in.add_argument("dataset_id", help="a Minari dataset id such as mujoco/hopper/expert-v0")
    minari_in.add_argument("--label-fraction", type=float,
                           help="share of labeled episodes (default: a lawm-exported dataset's own split, else 0.05)")
    minari_in.add_argument("--seed", type=int, default=0, help="seed of the split (default 0)")
    minari_in.add_argument("--out", required=True, help="the .h5 file to write")
    minari_in.set_defaults(handler=_import_minari)

    minari_out = sub.add_parser("export-minari", help="a local Minari dataset from a dataset file",
                                description="Write a dataset file as a local Minari dataset that "
                                "minari.load_dataset opens; action-free episodes keep their diagnostics copy "
                                "of the actions, or NaN actions where they have none.")
    minari_out.add_argument("file", help="a dataset file")
    minari_out.add_argument("--dataset-id", required=True, help="the new Minari id, namespace/name-v0")
    minari_out.set_defaults(handler=_export_minari)


def _random(args) -> None:
    from lawm.data.recipes import random_dataset

    dataset = random_dataset(args.task, args.episodes, args.seed, args.label_fraction, args.workers)
    dataset.save(args.out)
    print(f"wrote {args.out}: {len(dataset.episodes)} episodes, {int(dataset.label_mask.sum())} labeled")


def _make(args) -> None:
    from lawm.data.recipes import POLICIES, make_dataset

    dataset = make_dataset(args.task, args.kind, args.episodes, args.seed, args.label_fraction, args.workers,
                           args.policies or POLICIES)
    dataset.save(args.out)
    print(f"wrote {args.out}: {len(dataset.episodes)} episodes, {int(dataset.label_mask.sum())} labeled, "
          f"mean return {dataset.stats()['mean']:.1f}")


def _stats(args) -> None:
    from lawm.data import Dataset
    from lawm.data.report import plot_returns, stats_table

    dataset = Dataset.load(args.file)
    stats = dataset.stats()
    print(json.dumps(stats) if args.json else f"{args.file}\n" + stats_table([(dataset.env_id, dataset.recipe, stats)]))
    if args.plot:
        plot_returns({(dataset.env_id, dataset.recipe): dataset.returns}, args.plot)
        if not args.json:
            print(f"wrote {args.plot}")


def _table(args) -> None:
    from lawm.common.files import atomic_path
    from lawm.data import Dataset
    from lawm.data.report import plot_returns, stats_table

    datasets = [Dataset.load(f) for f in args.files]
    table = stats_table([(d.env_id, d.recipe, d.stats()) for d in datasets])
    print(table)
    if args.markdown:
        with atomic_path(args.markdown) as tmp:
            tmp.write_text(table + "\n")
    if args.plot:
        plot_returns({(d.env_id, d.recipe): d.returns for d in datasets}, args.plot)


def _relabel(args) -> None:
    from lawm.data import Dataset

    dataset = Dataset.load(args.file).relabel(args.label_fraction, args.seed)
    dataset.save(args.out)
    print(f"wrote {args.out}: {len(dataset.episodes)} episodes, {int(dataset.label_mask.sum())} labeled")


def _import_minari(args) -> None:
    from lawm.data.minari_io import import_minari

    dataset = import_minari(args.dataset_id, args.label_fraction, args.seed)
    dataset.save(args.out)
    print(f"wrote {args.out}: {len(dataset.episodes)} episodes of {dataset.env_id}, "
          f"{int(dataset.label_mask.sum())} labeled, {int(dataset.terminated_mask.sum())} terminated")


def _export_minari(args) -> None:
    from lawm.data import Dataset
    from lawm.data.minari_io import export_minari

    dataset = Dataset.load(args.file)
    folder = export_minari(dataset, args.dataset_id)
    print(f"wrote Minari dataset {args.dataset_id} ({len(dataset.episodes)} episodes) to {folder}")
