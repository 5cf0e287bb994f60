"""``lawm train lawm`` and ``lawm train clap``: the latent-action world model and C-LAP (issue 4)."""
from __future__ import annotations

from lawm.cli import add_config_options, add_run_options, config_overrides, set_threads


def register(commands, train_commands) -> None:
    for method, help_text in (("lawm", "latent-action world model on all trajectories, then its policy"),
                              ("clap", "C-LAP: world model with a learned latent action prior on labeled "
                                       "trajectories, then its policy")):
        parser = train_commands.add_parser(method, help=help_text, description=f"Train {help_text}; "
                                           "rerunning the same command resumes the run folder, and with a larger "
                                           "--set policy_steps=N trains its policy on.")
        parser.add_argument("--dataset", required=True, help="a dataset file (.h5)")
        parser.add_argument("--run", required=True, help="the run folder to create or resume")
        add_config_options(parser, "tiny, demo (make demo), small (the CPU default) or paper")
        parser.add_argument("--device", default="cpu", help="torch device of the model and the policy: cpu "
                            "(default) or cuda; the run folder can resume on another device")
        add_run_options(parser, threads=None)
        if method == "clap":
            parser.add_argument("--oracle", action="store_true",
                                help="train on every trajectory with its true actions (the oracle)")
        parser.set_defaults(handler=_train)


def _train(args) -> None:
    from lawm.common.config import build
    from lawm.common.run import final_evaluation
    from lawm.data import Dataset
    from lawm.evaluation import describe
    from lawm.latent_policy import CLAP, LAWM
    from lawm.world_model import PRESETS, Config

    set_threads(args)
    config = build(Config, PRESETS, args.preset, config_overrides(args, seed=args.seed))
    dataset = Dataset.load(args.dataset)
    agent = CLAP(config, args.oracle, args.device) if args.method == "clap" else LAWM(config, args.device)
    agent.fit(dataset, args.run, dataset_path=args.dataset, progress=not args.no_progress)
    print(describe(args.run, final_evaluation(args.run)))
