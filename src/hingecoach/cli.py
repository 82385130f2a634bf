"""The ``hingecoach`` command line: a thin shell that discovers ``hingecoach.commands.*``."""

from __future__ import annotations

import argparse
import difflib
import importlib
import pkgutil
import sys

from hingecoach import __version__, commands
from hingecoach.errors import HingeError


class HelpFormatter(argparse.HelpFormatter):
    """Shows a flag's default only when it says something and the help does not already."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if ("default" in text.lower() or default in (None, False, "", argparse.SUPPRESS)
                or action.required or not action.option_strings):
            return text
        return f"{text} (default: %(default)s)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hingecoach",
        description="Offline, hands-free hip-hinge coach.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hingecoach {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    for child in sub.choices.values():  # one help style for every sub-command
        child.formatter_class = HelpFormatter
    return parser


def unknown_option(parser: argparse.ArgumentParser, command: str | None, extras: list[str]) -> None:
    """Exit (2) with the sub-command's usage and a close known option, for a mistyped one."""
    sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    child = sub.choices.get(command) if sub is not None and command else None
    if child is None:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    known = [o for a in child._actions for o in a.option_strings]
    hint = ""
    for word in extras:
        close = difflib.get_close_matches(word.partition("=")[0], known, n=1, cutoff=0.6)
        if word.startswith("-") and close:
            hint = f" (did you mean {close[0]}?)"
            break
    child.error(f"unrecognized arguments: {' '.join(extras)}{hint}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:  # argparse would blame the top-level parser and print its usage
        unknown_option(parser, getattr(args, "command", None), extras)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except HingeError as exc:
        print(f"hingecoach {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"hingecoach {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
