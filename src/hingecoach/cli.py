"""The ``hingecoach`` command line: a thin shell that discovers ``hingecoach.commands.*``."""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
