"""``hingecoach config show|init``: print the effective configuration, or write a default file."""

from __future__ import annotations

import argparse
import json
import sys

from hingecoach.config import (
    add_config_arguments,
    config_from_args,
    default_file_text,
    default_path,
)
from hingecoach.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "config",
        help="show the effective configuration or write a default config file",
        description="Settings come from defaults < config.toml < HINGECOACH_<SECTION>_<KEY> "
        "environment variables < flags.",
    )
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION")
    show = sub.add_parser("show", help="print the effective configuration and where each value came from")
    add_config_arguments(show)
    show.add_argument("--json", action="store_true", help="print JSON instead of annotated TOML")
    show.set_defaults(func=_show)
    init = sub.add_parser("init", help="write a commented default config file (never overwrites)")
    init.add_argument("--config", metavar="PATH", default=None,
                      help="where to write it (default: $XDG_CONFIG_HOME/hingecoach/config.toml)")
    init.set_defaults(func=_init)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _show(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    if args.json:
        print(json.dumps({"path": str(cfg.path) if cfg.path else None, "values": cfg.values,
                          "origins": cfg.origins}, indent=2))
    else:
        print(f"# file: {cfg.path if cfg.path else f'{default_path()} (absent: defaults apply)'}")
        print(cfg.to_toml(), end="")
    return 0


def _init(args: argparse.Namespace) -> int:
    from pathlib import Path

    path = Path(args.config) if args.config else default_path()
    if path.exists():
        print(f"{path} already exists; left unchanged", file=sys.stderr)
        return 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(default_file_text(), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path} ({exc.strerror}): check the directory's "
                          f"permissions or pass --config PATH") from None
    print(f"wrote {path}", file=sys.stderr)
    return 0
