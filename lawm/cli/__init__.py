"""The ``lawm`` command line. Each module in ``COMMAND_MODULES`` adds its commands through
``register(commands, train_commands)``; implementations import their heavy modules lazily."""
from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from lawm.errors import LawmError, LawmWarning

COMMAND_MODULES = ["lawm.cli.data", "lawm.cli.behaviour", "lawm.cli.world_model", "lawm.cli.evaluate",
                   "lawm.cli.baselines", "lawm.cli.bench"]


def add_run_options(parser: argparse.ArgumentParser, threads: int | None = 1) -> None:
    """The options every training command shares: torch threads and the progress bar."""
    add_threads_option(parser, threads)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def add_threads_option(parser: argparse.ArgumentParser, threads: int | None = 1) -> None:
    """``--threads``, read by ``set_threads``."""
    parser.add_argument("--threads", type=int, default=threads,
                        help="torch threads (small networks: 1 is best)" if threads else "torch threads (default: all)")


def add_config_options(parser: argparse.ArgumentParser, presets: str, default: str = "small") -> None:
    """``--preset``, ``--seed`` and ``--set``, shared by every training command."""
    parser.add_argument("--preset", default=default, help=f"{presets} (default {default})")
    parser.add_argument("--seed", type=int, help="seed of the run (the config field 'seed', default 0)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a config field; repeatable")


def config_overrides(args, **flags) -> list[str]:
    """The ``--set`` pairs, then the command's own flags that were given: a flag is shorthand for ``--set``
    and, when both name a field, the flag wins."""
    return [*args.set, *(f"{name}={value}" for name, value in flags.items() if value is not None)]


def set_threads(args) -> None:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lawm", description="Latent-action world models for offline RL "
                                     "from trajectories that mostly carry no actions.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = commands.add_parser("train", help="train a method on a dataset into a run folder",
                                description="Train a method on a dataset; rerunning with the same --run resumes.")
    train_commands = train.add_subparsers(dest="method", required=True, metavar="METHOD")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands, train_commands)
    return parser


def _show_warning(message, category, *args, _default=warnings.showwarning, **kwargs) -> None:
    """A ``LawmWarning`` as one ``lawm: note:`` line on standard error; any other warning as Python shows it."""
    if issubclass(category, LawmWarning):
        print(f"lawm: note: {message}", file=sys.stderr)
    else:
        _default(message, category, *args, **kwargs)


def main(argv: list[str] | None = None) -> int:
    warnings.showwarning = _show_warning
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except LawmError as error:
        print(f"lawm: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lawm: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
