"""``lawm eval``: evaluate the policy of any run folder in its environment."""
from __future__ import annotations


def register(commands, train_commands) -> None:
    parser = commands.add_parser("eval", help="evaluate a trained run in the real environment",
                                 description="Evaluate the final policy of a run folder; writes eval.json there.")
    parser.add_argument("run_dir", help="a run folder made by 'lawm train'")
    parser.add_argument("--episodes", type=int, default=10, help="evaluation episodes (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the evaluation episodes")
    parser.set_defaults(handler=_eval)


def _eval(args) -> None:
    from pathlib import Path

    from lawm.common.files import write_json
    from lawm.evaluation import evaluate, load_policy

    policy, config = load_policy(args.run_dir)
    result = evaluate(policy, config["task"], args.episodes, args.seed)
    write_json(Path(args.run_dir) / "eval.json", result)
    print(f"{args.run_dir}: {config['task']} mean return {result['mean_return']:.1f} "
          f"(normalized score {result['normalized_score']:.1f}) over {args.episodes} episodes")
