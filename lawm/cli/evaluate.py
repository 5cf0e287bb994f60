"""``lawm eval``: evaluate the final policy of a finished run folder again, in its environment, optionally
filming it; ``lawm plot``: a run folder's learning curve."""
from __future__ import annotations

from lawm.cli import add_threads_option, set_threads


def register(commands, train_commands) -> None:
    parser = commands.add_parser("eval", help="evaluate a finished run's final policy again",
                                 description="Evaluate the final policy of a finished run folder and write "
                                 "eval_seed<SEED>_episodes<N>.json there; the training's own eval.json is kept.")
    parser.add_argument("run_dir", help="a run folder made by 'lawm train'")
    parser.add_argument("--episodes", type=int, help="evaluation episodes (default: the run's eval_episodes)")
    parser.add_argument("--seed", type=int, help="seed of the evaluation episodes (default: the run's seed)")
    parser.add_argument("--video", metavar="FILE.mp4",
                        help="also film evaluation episodes into this MP4, rendered headless (MUJOCO_GL=egl, "
                             "the default, or osmesa)")
    parser.add_argument("--video-episodes", type=int, default=1,
                        help="how many of the episodes the video shows, side by side (default 1)")
    parser.add_argument("--video-every", type=int, default=1,
                        help="film one step in this many (default 1: every step)")
    parser.add_argument("--video-size", type=int, default=128, help="pixels a side of each episode (default 128)")
    add_threads_option(parser)  # one thread: a second one's waiting slows the software renderer several times
    parser.set_defaults(handler=_eval)

    plot = commands.add_parser("plot", help="a run's learning curve as a PNG",
                               description="Plot the normalized scores a run folder logged during training "
                               "(eval_score in metrics.jsonl) against training steps; the run may be unfinished.")
    plot.add_argument("run_dir", help="a run folder made by 'lawm train'")
    plot.add_argument("--out", required=True, help="the PNG file to write")
    plot.set_defaults(handler=_plot)


def _eval(args) -> None:
    from pathlib import Path

    from lawm.envs import enable_rendering

    video = None
    if args.video:
        enable_rendering()  # before anything imports MuJoCo
        from lawm.video import Video

        video = Video(args.video, args.video_episodes, args.video_every, args.video_size)

    from lawm.common.files import write_json
    from lawm.evaluation import describe, evaluate, load_policy

    set_threads(args)
    policy, config = load_policy(args.run_dir)
    seed = config["seed"] if args.seed is None else args.seed
    episodes = config["eval_episodes"] if args.episodes is None else args.episodes
    reference = config.get("reference_scores")
    if video is None:
        result = evaluate(policy, config["task"], episodes, seed, reference=reference)
    else:
        with video:
            result = evaluate(policy, config["task"], episodes, seed, reference=reference, video=video)
    path = Path(args.run_dir) / f"eval_seed{seed}_episodes{episodes}.json"
    write_json(path, result)
    print(f"{describe(args.run_dir, result)}; written to {path}")
    if video is not None:
        print(f"wrote {video.path}: {video.frames} frames of {min(video.episodes, episodes)} episode(s)")


def _plot(args) -> None:
    from lawm.bench.report import plot_run

    plot_run(args.run_dir, args.out)
    print(f"wrote {args.out}")
