"""``hingecoach doctor [--json] [--data-dir DIR]``: check camera, audio, models, disk,
the progress database and temperature."""

from __future__ import annotations

import argparse
import json

from hingecoach.config import add_config_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check that the coach can run here, and say how to fix what is missing",
        description="Checks config, camera, pose models, microphone, speaker, speech "
        "synthesis, the recogniser in use, disk space, CPU temperature and throttling. "
        "Exit code 0 when the coach can run, 1 when a required check fails.",
    )
    parser.add_argument("--json", action="store_true",
                        help='print {"ok": bool, "checks": [{"name", "ok", "problem", "fix", '
                        '"detail", "required"}]}')
    parser.add_argument("--data-dir", default=None,
                        help="the data directory to check, as run, history, report and export take "
                        "it (default: $HINGECOACH_DATA_DIR, else paths.data_dir from the config, "
                        "else $XDG_DATA_HOME/hingecoach, else ~/.local/share/hingecoach)")
    add_config_arguments(parser)
    parser.set_defaults(func=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hingecoach import doctor
    from hingecoach.config import config_from_args

    data_dir = Path(args.data_dir).expanduser() if args.data_dir else None
    checks = doctor.run_checks(lambda: config_from_args(args), data_dir=data_dir)
    if args.json:
        print(json.dumps(doctor.report(checks), indent=2))
    else:
        print(doctor.format_text(checks))
    return 0 if doctor.can_run(checks) else 1
