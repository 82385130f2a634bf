"""``hingecoach config show|init``: print the effective configuration, or write a default file."""

from __future__ import annotations

import argparse
import json
import os
import sys

from hingecoach.config import (
    Config,
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
    remembered = _remembered(cfg)
    # the folders the commands use: $HINGECOACH_DATA_DIR comes before paths.data_dir (a review
    # found `config show` printing a data_dir no command used), and empty means a default
    in_use = {"paths.data_dir": str(cfg.data_dir()), "paths.models_dir": str(cfg.models_dir())}
    if args.json:
        print(json.dumps({"path": str(cfg.path) if cfg.path else None, "values": cfg.values,
                          "origins": cfg.origins, "remembered": remembered, "in_use": in_use}, indent=2))
    else:
        print(f"# file: {cfg.path if cfg.path else f'{default_path()} (absent: defaults apply)'}")
        user = json.dumps(str(cfg.get("user.name")))
        notes = {k: f"user {user} last used {json.dumps(v)}: `run` uses that unless it is set"
                 for k, v in remembered.items()}
        for k, folder in in_use.items():
            if folder != cfg.get(k):
                env = "HINGECOACH_DATA_DIR" if k == "paths.data_dir" else "HINGECOACH_MODELS"
                why = f"{env} is set" if os.environ.get(env) and (
                    k == "paths.data_dir" or not cfg.get(k)) else "the default"
                notes[k] = f"in use: {json.dumps(folder)} ({why})"
        print(cfg.to_toml(notes=notes), end="")
    return 0


def _remembered(cfg: Config) -> dict[str, str]:
    """Settings the coach remembers per user and uses where the config leaves them unset
    (``user.units``: what this user used last), when they differ from the default; read
    from the progress database without writing anything."""
    from hingecoach.store.paths import DB_NAME
    from hingecoach.store.queries import saved_progress

    if cfg.origin("user.units") != "default":
        return {}
    units, _ = saved_progress(cfg.data_dir() / DB_NAME, str(cfg.get("user.name")))
    return {"user.units": units} if units and units != cfg.get("user.units") else {}


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
