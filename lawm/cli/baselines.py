"""``lawm train td3bc`` and ``lawm train idm-td3bc``: the model-free baselines of Table 1."""
from __future__ import annotations

from lawm.cli import add_config_options, add_run_options, config_overrides, set_threads


def register(commands, train_commands) -> None:
    td3bc = train_commands.add_parser("td3bc", help="TD3+BC on the labeled trajectories (--oracle: on all)",
                                      description="TD3+BC on the labeled trajectories only, or with --oracle on "
                                      "every trajectory with its true actions; evaluates the final policy.")
    _common(td3bc)
    td3bc.add_argument("--oracle", action="store_true", default=None,
                       help="train on every trajectory with its true actions")
    td3bc.set_defaults(handler=_td3bc)

    idm = train_commands.add_parser("idm-td3bc", help="TD3+BC on trajectories labeled by an inverse dynamics model",
                                    description="Train an inverse dynamics model on the labeled trajectories, "
                                    "label the action-free ones with it, train TD3+BC on the union and evaluate.")
    _common(idm)
    idm.set_defaults(handler=_idm_td3bc)


def _common(parser) -> None:
    parser.add_argument("--dataset", required=True, help="a dataset file")
    parser.add_argument("--run", dest="run_dir", required=True,
                        help="the run folder (rerunning with the same folder resumes)")
    add_config_options(parser, "tiny, small or paper")
    add_run_options(parser)


def _td3bc(args) -> None:
    from lawm.baselines import td3bc
    from lawm.evaluation import describe

    set_threads(args)
    config = td3bc.make_config(args.preset, config_overrides(args, dataset=args.dataset, seed=args.seed,
                                                             oracle=args.oracle))
    print(describe(args.run_dir, td3bc.run(config, args.run_dir, progress=not args.no_progress)))


def _idm_td3bc(args) -> None:
    from lawm.baselines import idm
    from lawm.evaluation import describe

    set_threads(args)
    config = idm.make_config(args.preset, config_overrides(args, dataset=args.dataset, seed=args.seed))
    print(describe(args.run_dir, idm.run(config, args.run_dir, progress=not args.no_progress)))
