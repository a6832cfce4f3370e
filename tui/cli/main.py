"""The ``losswatch`` command line: watch (TUI or --plain), check, replay, export, demo."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import re
import shlex
import shutil
import sys
import textwrap
from typing import NoReturn

from tui import __version__
from tui.cli.exits import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, WRITE_FAILURES, UsageError
from tui.cli.export import ExportError
from tui.cli.given_roots import config_folder, given_roots, local_roots, remote
from tui.cli.signals import stopped_by_signals, stops_end_with
from tui.judging.kinds import ATTENTION
from tui.judging.thresholds import CONFIG_NAME, ConfigError, load_thresholds
from tui.patterns import PatternError, compile_pattern
from tui.sources.roots.parse import RootError
from tui.text import printable, quoted

COMMANDS = ("watch", "check", "replay", "export", "demo")
ONE_SHOT = ("check", "replay", "export")
"""Commands that end by themselves: stopped early, their output is incomplete (exit 130, not 0)."""
NOTIFY_HELP = (
    "with each bell, also send a desktop notification through the terminal (OSC 777, or OSC 9 with "
    "--notify-osc 9); inside tmux it is wrapped for passthrough, which needs `set -g allow-passthrough on`"
)


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None


def _positive(value: str) -> float:
    number = _number(value)
    if not number > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return number


MIN_POLL_SECONDS = 0.1
"""Polling more often reads nothing sooner that matters and keeps a core busy (--poll 1e-9 took 80 % of one)."""


MAX_POLL_SECONDS = 86_400.0
"""A day: a wait longer than the platform's timer allows (``threading.TIMEOUT_MAX``) stops the watcher's thread."""


def _poll_seconds(value: str) -> float:
    number = _number(value)
    if not MIN_POLL_SECONDS <= number <= MAX_POLL_SECONDS:  # also refuses nan
        raise argparse.ArgumentTypeError(
            f"{value} is not a number of seconds from {MIN_POLL_SECONDS} to {MAX_POLL_SECONDS:,.0f} (a day)"
        )
    return number


def _command_line(value: str) -> str:
    """A command split as a shell would split it (``shlex``); an unclosed quote, or a program that is not there
    to run, is a usage error (said once at the start, not once per alert)."""
    try:
        words = shlex.split(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{value!r}: {error}") from None
    if not words:
        raise argparse.ArgumentTypeError("the command is empty")
    if shutil.which(words[0]) is None:
        where = "no such file, or not one that can be run" if os.sep in words[0] else "not found on PATH"
        raise argparse.ArgumentTypeError(f"{quoted(words[0])}: {where}")
    return value


MAX_GRACE_SECONDS = 600.0
"""Ten minutes: a stop that waits longer on a command is no stop (1e300 was taken, and the exit never came)."""


def _grace_seconds(value: str) -> float:
    number = _number(value)
    if not 0 <= number <= MAX_GRACE_SECONDS:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{value} is not a number of seconds from 0 to 600 (ten minutes)")
    return number


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "logdir",
        nargs="+",
        help="where the runs are (logs of TensorBoard, W&B, MLflow, trackio, Lightning or Keras CSV, Hugging Face, "
        "MMEngine, JSON lines): folders, "
        "s3://bucket/prefix, gs://, az://, [user@]host:path; several at once",
    )
    parser.add_argument("--train-tag", metavar="REGEX", help="use the tag matching REGEX as the training loss")
    parser.add_argument("--val-tag", metavar="REGEX", help="use the tag matching REGEX as the validation loss")
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a verdict threshold (see the README and docs/verdicts.md), e.g. --set noise_window=48",
    )
    parser.add_argument(
        "--sweep",
        metavar="REGEX",
        help="the runs matching REGEX form the sweeps (one per value of its first group), not those found by name",
    )


def _notify_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--notify", action="store_true", help=NOTIFY_HELP)
    parser.add_argument(
        "--notify-osc", choices=("777", "9"), help="the notification's escape sequence (implies --notify)"
    )


def _wrapped(text: str, indent: str, width: int = 79) -> str:
    """``text`` in lines of at most ``width`` columns under ``indent`` (the epilog is printed as written)."""
    return "\n".join(textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent))


def _exit_codes() -> str:
    return (
        "exit codes:\n"
        "  0    every run is fine\n"
        "  1    a run needs attention or cannot be read, or one of several roots\n"
        "       cannot be (unreachable, refused, not there, not a folder) or holds no\n"
        "       runs; needing attention:\n"
        f"{_wrapped(', '.join(sorted(ATTENTION)), '       ')}\n"
        "  2    usage error, no such folder, no runs, nothing could be read, or the\n"
        "       output could not be written (a full disk)\n"
        "  130  stopped early (Ctrl-C, SIGTERM, SIGHUP)"
    )


class _IntermixedParser(argparse.ArgumentParser):
    """A command's parser that takes options between its folders (``check a --json b``), as users type them:
    argparse's plain parse stops the folders at the first option and refuses the rest."""

    _parsing = False

    def error(self, message: str) -> NoReturn:
        """argparse takes a value that starts with ``-`` (a regex ``-(7)$``, a negative number) for an option and
        says only "expected one argument": say how such a value is written."""
        if (option := re.fullmatch(r"argument (--[\w-]+): expected one argument", message)) is not None:
            message += f" (a value that starts with '-' is written {option.group(1)}=VALUE)"
        super().error(message)

    def parse_known_args(self, args=None, namespace=None):
        if self._parsing:  # the intermixed parse calls this method itself
            return super().parse_known_args(args, namespace)
        self._parsing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._parsing = False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="losswatch",
        description="Live monitor for deep-learning training runs. `losswatch LOGDIR` opens the live view.",
    )
    parser.add_argument("--version", action="version", version=f"losswatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_IntermixedParser)

    watch = sub.add_parser(
        "watch", help="live view of LOGDIR (the default command); a LOGDIR not made yet is waited for"
    )
    _common(watch)
    watch.add_argument(
        "--plain",
        action="store_true",
        help="no TUI: print one line per new run, per run that cannot be read or is gone, and per alert",
    )
    watch.add_argument("--json", action="store_true", help="with --plain: JSON lines")
    watch.add_argument("--bell", action="store_true", help="with --plain: ring the bell on overfitting/diverging")
    watch.add_argument("--no-bell", action="store_true", help="TUI: do not ring the terminal bell")
    _notify_options(watch)
    watch.add_argument(
        "--on-alert",
        type=_command_line,
        metavar="CMD",
        help="run CMD once per alert, with LOSSWATCH_RUN, LOSSWATCH_KIND, LOSSWATCH_STEP, LOSSWATCH_REASON and "
        "LOSSWATCH_TAG in its environment (CMD is split like a shell would, but never run by one)",
    )
    watch.add_argument(
        "--on-alert-grace",
        type=_grace_seconds,
        metavar="SECONDS",
        help="on exit, how long --on-alert commands still running may finish before they are stopped "
        "(0 to 600, default 2)",
    )
    watch.add_argument(
        "--poll",
        type=_poll_seconds,
        metavar="SECONDS",
        help="poll every SECONDS (0.1 to a day) instead of inotify (network file systems); remote roots: default 5",
    )

    check = sub.add_parser(
        "check",
        help="one-shot table of every run and its verdict",
        epilog=_exit_codes(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(check)
    check.add_argument("--json", action="store_true", help="print JSON instead of a table (keys: see README)")

    replay = sub.add_parser(
        "replay", help="feed recorded runs through the live engine; print alerts as they would fire"
    )
    _common(replay)
    replay.add_argument("--json", action="store_true", help="JSON lines: run, step, kind, tag, reason")
    replay.add_argument(
        "--by-run", action="store_true", help="group the alerts run by run (default: every run's, in step order)"
    )

    export = sub.add_parser("export", help="write every scalar point as a long table (.csv or .parquet)")
    export.add_argument("logdir", nargs="+", help="where the runs are (as for check); several at once")
    export.add_argument("-o", "--output", required=True, metavar="FILE", help="FILE.csv or FILE.parquet")

    demo = sub.add_parser("demo", help="simulated training jobs writing real event files, shown live")
    demo.add_argument(
        "--speed", type=_positive, default=1.0, help="how many times faster than the default pace (above 0)"
    )
    demo.add_argument("--dir", metavar="DIR", help="write the runs here instead of a temporary folder")
    demo.add_argument("--plain", action="store_true", help="no TUI: print alerts as lines")
    demo.add_argument("--no-bell", action="store_true", help="do not ring the terminal bell")
    _notify_options(demo)
    return parser


def _normalize(argv: list[str]) -> list[str]:
    """``losswatch LOGDIR`` means ``losswatch watch LOGDIR``, options first too (``losswatch --no-bell runs/``)."""
    if "--" in argv:  # after it, folders (argparse's subcommands lose '--'): './-x' reads as '-x' would, a folder
        end = argv.index("--")
        argv = argv[:end] + [f"./{arg}" if arg.startswith("-") or arg in COMMANDS else arg for arg in argv[end + 1 :]]
    if not argv or argv[0] in COMMANDS or argv[0] in ("-h", "--help", "--version"):
        return argv
    first = next((arg for arg in argv if not arg.startswith("-")), None)  # a folder may be named like a command
    if first is None:  # options alone (``losswatch --versoin``): the top parser names what it does not know
        return argv
    return argv if first in COMMANDS else ["watch", *argv]


def _mistyped_command(argv: list[str]) -> str | None:
    """'unknown command' for ``losswatch chek runs/``, which would otherwise watch a folder called 'chek'."""
    if not argv or argv[0] in COMMANDS or argv[0].startswith("-") or os.path.exists(argv[0]) or remote(argv[0]):
        return None
    if "/" in argv[0] or os.sep in argv[0]:
        return None  # a path (`losswatch /runs/new other/`): no command is spelt with a slash
    close = difflib.get_close_matches(argv[0], COMMANDS, n=1, cutoff=0.6)
    another_argument = len(argv) > 1 and not argv[1].startswith("-")
    if not close and not another_argument:
        return None  # a LOGDIR that does not exist yet: `watch` waits for it
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"unknown command {argv[0]!r}{hint}; the commands are {', '.join(COMMANDS)} "
        f"(to watch a folder of that name: losswatch watch {argv[0]})"
    )


def _patterns(args) -> None:
    """A bad --train-tag/--val-tag regex, or the same for both, is one line and exit 2, before anything is read."""
    # An empty one was read as none at all: the sweeps found by name, the tags chosen as without it, not a word.
    if args.sweep == "":
        raise UsageError("--sweep '' is empty: give a REGEX whose matches form the sweeps, or leave --sweep out")
    for option, pattern in (("--train-tag", args.train_tag), ("--val-tag", args.val_tag)):
        if pattern == "":
            raise UsageError(f"{option} '' is empty: give a REGEX matching the curve's tag, or leave {option} out")
    for option, pattern in (("--train-tag", args.train_tag), ("--val-tag", args.val_tag), ("--sweep", args.sweep)):
        if pattern is None:
            continue
        try:
            compile_pattern(pattern)
        except PatternError as error:
            raise UsageError(f"{option} {quoted(pattern, 80)} is not a valid regular expression: {error}") from None
    if args.train_tag is not None and args.train_tag == args.val_tag:
        raise UsageError(
            f"--train-tag and --val-tag are both {quoted(args.train_tag, 80)}: one curve would be judged as both"
        )


def _thresholds(args):
    """The verdicts' settings; which file and flags changed them is said on stderr (the defaults go unsaid)."""
    thresholds, path = load_thresholds(config_folder(args.logdir), args.settings)
    if path or args.settings:
        flags = f" with --set {', '.join(args.settings)}" if args.settings else ""
        print(f"losswatch: settings from {path or 'the defaults'}{flags}", file=sys.stderr)
    for folder in local_roots(args.logdir):  # one set of settings for every root: another root's file is not read
        other = os.path.join(folder, CONFIG_NAME)
        if os.path.isfile(other) and (path is None or not os.path.samefile(other, path)):
            used = printable(path) if path else "the defaults"
            print(f"losswatch: {printable(other)} is not used: every root is judged with {used}", file=sys.stderr)
    return thresholds


def _unset_zero_width() -> None:
    """``COLUMNS`` that is no positive whole number (``0``, as some shells export it) is unset, as Python's
    ``shutil`` reads it: rich took ``0`` for a width of 0 and printed nothing at all."""
    columns = os.environ.get("COLUMNS")
    if columns is not None and not (columns.strip().isdigit() and int(columns) > 0):
        del os.environ["COLUMNS"]


def main(argv: list[str] | None = None) -> int:
    """The ``losswatch`` command (``argv`` None: this process's command line, which ends with it)."""
    if sys.stderr is None:  # started with it closed (`2>&-`): ``print(file=None)`` would write notes into stdout
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (the process's stderr for its life)
    code = _command(argv)
    if argv is None:
        stops_end_with(code)
    return code


def _command(argv: list[str] | None) -> int:
    _unset_zero_width()
    raw = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not raw:
        parser.print_help()
        return EXIT_USAGE
    if (mistake := _mistyped_command(raw)) is not None:
        print(f"losswatch: {mistake}", file=sys.stderr)
        return EXIT_USAGE
    args = parser.parse_args(_normalize(raw))
    if sys.stdout is None and args.command != "export":  # started with it closed (`>&-`): the interpreter gives None
        print("losswatch: cannot write the output: standard output is closed", file=sys.stderr)
        return EXIT_USAGE
    try:
        with stopped_by_signals(restore=argv is not None):  # the command line's process ends with main
            return _dispatch(args)
    except (UsageError, ConfigError, ExportError, RootError) as error:
        # Paths and patterns as typed: a folder named with an escape sequence must not reach the terminal as one.
        said = "\n".join(printable(line) for line in str(error).split("\n"))
        print(f"losswatch: {said}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        if args.command in ONE_SHOT:
            print("losswatch: stopped before the end", file=sys.stderr)
            return EXIT_INTERRUPTED
        return EXIT_OK
    except BrokenPipeError:
        # `losswatch check | head`: the reader went away; that is fine.
        _drop_stdout()
        return EXIT_OK
    except OSError as error:
        if error.errno not in WRITE_FAILURES:
            raise
        # `losswatch check > /dev/full`, a full disk or quota: say so in one line.
        _drop_stdout()
        print(f"losswatch: cannot write the output: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE  # not 1: a script must tell a full disk from a run that needs attention


def _drop_stdout() -> None:
    """Output can no longer be written: send the rest to /dev/null, so the interpreter's final flush is silent."""
    with contextlib.suppress(OSError):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - open until the interpreter exits


def _notify(args) -> str | None:
    """The OSC form to send with each bell ('777' or '9'), or None."""
    return args.notify_osc or ("777" if args.notify else None)


def _import_numpy_with_one_blas_thread() -> None:
    """losswatch multiplies no big matrices, and OpenBLAS would start a thread per core at import: with
    one, the process has a single thread until it starts its own, so the first read's worker processes
    fork cleanly (forking copies other threads' locks; Python 3.12+ warns). Child processes get the
    environment as it was."""
    if "numpy" in sys.modules:
        return
    before = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        import numpy  # noqa: F401
    finally:
        if before is None:
            del os.environ["OPENBLAS_NUM_THREADS"]
        else:
            os.environ["OPENBLAS_NUM_THREADS"] = before


def _dispatch(args) -> int:
    _import_numpy_with_one_blas_thread()
    from tui.cli import commands, plain_watch

    if args.command in ("check", "replay", "watch"):
        _patterns(args)
    if args.command == "check":
        return commands.check(
            given_roots(args.logdir), _thresholds(args), args.train_tag, args.val_tag, args.json, sweep=args.sweep
        )
    if args.command == "replay":
        return commands.replay(
            given_roots(args.logdir),
            _thresholds(args),
            args.train_tag,
            args.val_tag,
            args.json,
            args.by_run,
            args.sweep,
        )
    if args.command == "export":
        return commands.export(given_roots(args.logdir), args.output)
    if args.command == "demo":
        from tui.cli.demo import demo

        return demo(args.dir, args.speed, args.plain, not args.no_bell, _notify(args))
    if args.command == "watch":
        logdir = given_roots(args.logdir, may_be_missing=True)
        thresholds = _thresholds(args)
        ignored = [
            option
            for option, given in (("--json", args.json), ("--bell", args.bell), ("--on-alert", args.on_alert))
            if given
        ]
        if ignored and not args.plain:  # the live view would have gone on without them, unsaid
            raise UsageError(f"{', '.join(ignored)}: with --plain only (add --plain for lines, not the live view)")
        if args.on_alert_grace is not None and args.on_alert is None:  # it would have done nothing, unsaid
            raise UsageError("--on-alert-grace: with --on-alert only (how long its commands may finish at exit)")
        if args.plain:
            return plain_watch.watch_plain(
                logdir,
                thresholds,
                args.train_tag,
                args.val_tag,
                args.json,
                args.bell,
                args.on_alert,
                args.poll,
                _notify(args),
                args.sweep,
                args.on_alert_grace,
            )
        return commands.watch_tui(
            logdir, thresholds, args.train_tag, args.val_tag, not args.no_bell, args.poll, _notify(args), args.sweep
        )
    raise UsageError(f"unknown command {args.command!r}")
