"""``lawm train lawm`` and ``lawm train clap``: the latent-action world model and C-LAP (issue 4)."""
from __future__ import annotations

from lawm.cli import add_run_options, set_threads


def register(commands, train_commands) -> None:
    for method, help_text in (("lawm", "latent-action world model on all trajectories, then its policy"),
                              ("clap", "C-LAP: world model with a learned latent action prior on labeled "
                                       "trajectories, then its policy")):
        parser = train_commands.add_parser(method, help=help_text, description=f"Train {help_text}; "
                                           "rerunning the same command resumes the run folder.")
        parser.add_argument("--dataset", required=True, help="a dataset file (.h5)")
        parser.add_argument("--preset", default="small", help="tiny, small (the CPU default) or paper")
        parser.add_argument("--run", required=True, help="the run folder to create or resume")
        parser.add_argument("--seed", type=int, help="seed of the run (the config field 'seed')")
        parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                            help="override a config field; repeatable")
        add_run_options(parser, threads=None)
        if method == "clap":
            parser.add_argument("--oracle", action="store_true",
                                help="train on every trajectory with its true actions (the oracle)")
        parser.set_defaults(handler=_train)


def _train(args) -> None:
    import json
    from pathlib import Path

    from lawm.common.config import build
    from lawm.data import Dataset
    from lawm.latent_policy import CLAP, LAWM
    from lawm.world_model import PRESETS, Config

    set_threads(args)
    overrides = args.set + ([f"seed={args.seed}"] if args.seed is not None else [])
    config = build(Config, PRESETS, args.preset, overrides)
    dataset = Dataset.load(args.dataset)
    agent = CLAP(config, oracle=args.oracle) if args.method == "clap" else LAWM(config)
    agent.fit(dataset, args.run, dataset_path=args.dataset, progress=not args.no_progress)
    result = json.loads((Path(args.run) / "eval.json").read_text())
    print(f"{args.run}: {result['task']} mean return {result['mean_return']:.1f} (normalized score "
          f"{result['normalized_score']:.1f}) over {result['episodes']} episodes")
