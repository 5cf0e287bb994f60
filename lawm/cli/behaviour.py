"""``lawm behaviour``: train the behaviour agents whose snapshots the dataset recipes roll out."""
from __future__ import annotations

from lawm.cli import add_config_options, add_run_options, config_overrides, set_threads


def register(commands, train_commands) -> None:
    parser = commands.add_parser("behaviour", help="train behaviour agents (SAC, explorer) online",
                                 description="Train a behaviour agent online; rerunning with the same --run "
                                             "resumes from its last checkpoint.")
    sub = parser.add_subparsers(dest="algorithm", required=True, metavar="AGENT")
    for name, text in (("sac", "soft actor-critic on the task reward"),
                       ("explore", "SAC on the ensemble-disagreement reward alone")):
        agent = sub.add_parser(name, help=text, description=text)
        agent.add_argument("task", help="a dm_control task such as walker-walk")
        agent.add_argument("--run", required=True, help="run folder (created, or resumed if it exists)")
        add_config_options(agent, "default or tiny", default="default")
        add_run_options(agent)
        agent.set_defaults(handler=_train)
    export = sub.add_parser("export", help="copy the snapshots the recipes use out of a run folder",
                            description="Copy the snapshots the dataset recipes use (half-precision actors) and "
                                        "their manifest from a behaviour run folder into a policies folder.")
    export.add_argument("run_dir", help="a folder made by 'lawm behaviour sac' or 'lawm behaviour explore'")
    export.add_argument("--out", required=True, help="e.g. lawm/assets/policies/walker-walk/sac")
    export.add_argument("--replay", action="store_true",
                        help="the run is one of the task's medium-replay runs: add its snapshots up to the medium "
                             "level of the SAC folder beside --out (e.g. --out lawm/assets/policies/walker-walk/replay)")
    export.set_defaults(handler=_export)


def _train(args) -> None:
    from lawm.behaviour.online import PRESETS, BehaviourConfig, train_behaviour
    from lawm.common.config import build

    set_threads(args)
    overrides = config_overrides(args, task=args.task, algorithm=args.algorithm, seed=args.seed)
    config = build(BehaviourConfig, PRESETS, args.preset, overrides)
    snapshots = train_behaviour(config, args.run, progress=not args.no_progress)
    print(f"snapshots and their returns: {snapshots / 'manifest.json'}")


def _export(args) -> None:
    from lawm.data.recipes import export_snapshots

    files = export_snapshots(args.run_dir, args.out, args.replay)
    print(f"copied {len(files)} snapshots to {args.out}")
