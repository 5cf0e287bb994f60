"""``lawm eval``: evaluate the final policy of a finished run folder again, in its environment."""
from __future__ import annotations


def register(commands, train_commands) -> None:
    parser = commands.add_parser("eval", help="evaluate a finished run's final policy again",
                                 description="Evaluate the final policy of a finished run folder and write "
                                 "eval_seed<SEED>_episodes<N>.json there; the training's own eval.json is kept.")
    parser.add_argument("run_dir", help="a run folder made by 'lawm train'")
    parser.add_argument("--episodes", type=int, help="evaluation episodes (default: the run's eval_episodes)")
    parser.add_argument("--seed", type=int, help="seed of the evaluation episodes (default: the run's seed)")
    parser.set_defaults(handler=_eval)


def _eval(args) -> None:
    from pathlib import Path

    from lawm.common.files import write_json
    from lawm.evaluation import describe, evaluate, load_policy

    policy, config = load_policy(args.run_dir)
    seed = config["seed"] if args.seed is None else args.seed
    episodes = config["eval_episodes"] if args.episodes is None else args.episodes
    result = evaluate(policy, config["task"], episodes, seed)
    path = Path(args.run_dir) / f"eval_seed{seed}_episodes{episodes}.json"
    write_json(path, result)
    print(f"{describe(args.run_dir, result)}; written to {path}")
