"""``hingecoach doctor [--json]``: check camera, audio, models, disk and temperature."""

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
    add_config_arguments(parser)
    parser.set_defaults(func=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    from hingecoach import doctor
    from hingecoach.config import config_from_args

    checks = doctor.run_checks(lambda: config_from_args(args))
    if args.json:
        print(json.dumps(doctor.report(checks), indent=2))
    else:
        print(doctor.format_text(checks))
    return 0 if doctor.can_run(checks) else 1
