"""``lawm train td3bc`` and ``lawm train idm-td3bc``: the model-free baselines of Table 1."""
from __future__ import annotations

from lawm.cli import add_run_options, set_threads


def register(commands, train_commands) -> None:
    td3bc = train_commands.add_parser("td3bc", help="TD3+BC on the labeled trajectories (--oracle: on all)",
                                      description="TD3+BC on the labeled trajectories only, or with --oracle on "
                                      "every trajectory with its true actions; evaluates the final policy.")
    _common(td3bc)
    td3bc.add_argument("--oracle", action="store_true", help="train on every trajectory with its true actions")
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
    parser.add_argument("--preset", default="small", help="tiny, small (default) or paper")
    parser.add_argument("--seed", type=int, default=0, help="seed of the networks, batches and evaluation")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="override a config field")
    add_run_options(parser)


def _report(run_dir: str, result: dict) -> None:
    print(f"{run_dir}: {result['task']} mean return {result['mean_return']:.1f} (normalized score "
          f"{result['normalized_score']:.1f}) over {result['episodes']} episodes")


def _td3bc(args) -> None:
    from lawm.baselines import td3bc

    set_threads(args)
    config = td3bc.make_config(args.preset, args.set, dataset=args.dataset, seed=args.seed, oracle=args.oracle)
    _report(args.run_dir, td3bc.run(config, args.run_dir, progress=not args.no_progress))


def _idm_td3bc(args) -> None:
    from lawm.baselines import idm

    set_threads(args)
    config = idm.make_config(args.preset, args.set, dataset=args.dataset, seed=args.seed)
    _report(args.run_dir, idm.run(config, args.run_dir, progress=not args.no_progress))
