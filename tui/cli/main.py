"""The ``losswatch`` command line: watch (TUI or --plain), check, replay, export, demo."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from tui import __version__
from tui.cli.exits import EXIT_OK, EXIT_USAGE
from tui.cli.export import ExportError
from tui.judging.thresholds import ConfigError, load_thresholds

COMMANDS = ("watch", "check", "replay", "export", "demo")


class UsageError(Exception):
    """A problem with what the user asked for: one sentence on stderr, exit 2."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logdir", help="folder holding the runs (TensorBoard, W&B, MLflow, trackio, CSV or HF logs)")
    parser.add_argument("--train-tag", metavar="REGEX", help="use the tag matching REGEX as the training loss")
    parser.add_argument("--val-tag", metavar="REGEX", help="use the tag matching REGEX as the validation loss")
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a verdict threshold (see README), e.g. --set window=10",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="losswatch",
        description="Live monitor for deep-learning training runs. `losswatch LOGDIR` opens the live view.",
    )
    parser.add_argument("--version", action="version", version=f"losswatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    watch = sub.add_parser("watch", help="live view of LOGDIR (the default command)")
    _common(watch)
    watch.add_argument("--plain", action="store_true", help="no TUI: print one line per new run and per alert")
    watch.add_argument("--json", action="store_true", help="with --plain: JSON lines")
    watch.add_argument("--bell", action="store_true", help="with --plain: ring the bell on overfitting/diverging")
    watch.add_argument("--no-bell", action="store_true", help="TUI: do not ring the terminal bell")
    watch.add_argument(
        "--on-alert",
        metavar="CMD",
        help="run CMD once per alert, with LOSSWATCH_RUN/KIND/STEP/REASON in its environment",
    )
    watch.add_argument(
        "--poll",
        type=float,
        metavar="SECONDS",
        help="poll every SECONDS instead of using inotify (network file systems)",
    )

    check = sub.add_parser("check", help="one-shot table of every run and its verdict")
    _common(check)
    check.add_argument("--json", action="store_true", help="print JSON instead of a table")

    replay = sub.add_parser(
        "replay", help="feed recorded runs through the live engine; print alerts as they would fire"
    )
    _common(replay)
    replay.add_argument("--json", action="store_true", help="JSON lines: run, step, kind, tag, reason")

    export = sub.add_parser("export", help="write every scalar point as a long table (.csv or .parquet)")
    export.add_argument("logdir")
    export.add_argument("-o", "--output", required=True, metavar="FILE", help="FILE.csv or FILE.parquet")

    demo = sub.add_parser("demo", help="simulated training jobs writing real event files, shown live")
    demo.add_argument("--speed", type=float, default=1.0, help="how many times faster than the default pace")
    demo.add_argument("--dir", metavar="DIR", help="write the runs here instead of a temporary folder")
    demo.add_argument("--plain", action="store_true", help="no TUI: print alerts as lines")
    demo.add_argument("--no-bell", action="store_true", help="do not ring the terminal bell")
    return parser


def _normalize(argv: list[str]) -> list[str]:
    """``losswatch LOGDIR`` means ``losswatch watch LOGDIR``."""
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        return ["watch", *argv]
    return argv


def _logdir(path: str) -> str:
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such folder")
    if not os.path.isdir(path):
        raise UsageError(f"{path}: not a folder (give the folder that holds the runs)")
    if not os.access(path, os.R_OK | os.X_OK):
        raise UsageError(f"{path}: permission denied")
    return path


def _thresholds(args, out=sys.stderr):
    thresholds, path = load_thresholds(args.logdir, args.settings)
    print(f"losswatch: config {path or 'defaults (no losswatch.toml)'}", file=out)
    return thresholds


def main(argv: list[str] | None = None) -> int:
    argv = _normalize(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    if not argv:
        parser.print_help()
        return EXIT_USAGE
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except (UsageError, ConfigError, ExportError) as error:
        print(f"losswatch: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK
    except BrokenPipeError:
        # `losswatch check | head`: the reader went away; that is fine.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's final flush
        return EXIT_OK


def _dispatch(args) -> int:
    from tui.cli import commands

    if args.command == "check":
        return commands.check(_logdir(args.logdir), _thresholds(args), args.train_tag, args.val_tag, args.json)
    if args.command == "replay":
        return commands.replay(_logdir(args.logdir), _thresholds(args), args.train_tag, args.val_tag, args.json)
    if args.command == "export":
        return commands.export(_logdir(args.logdir), args.output)
    if args.command == "demo":
        return commands.demo(args.dir, args.speed, args.plain, not args.no_bell)
    if args.command == "watch":
        if args.poll is not None and args.poll <= 0:
            raise UsageError("--poll needs a positive number of seconds")
        thresholds = _thresholds(args)
        logdir = _logdir(args.logdir)
        if args.plain:
            return commands.watch_plain(
                logdir, thresholds, args.train_tag, args.val_tag, args.json, args.bell, args.on_alert, args.poll
            )
        return commands.watch_tui(logdir, thresholds, args.train_tag, args.val_tag, not args.no_bell, args.poll)
    raise UsageError(f"unknown command {args.command!r}")
