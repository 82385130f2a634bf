"""``hingecoach simulate``: write a synthetic athlete's session as a pose trace + its truth."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

DEFAULT_FAULT_RATE = 0.4


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="write a synthetic session (pose trace) with known reps and faults",
        description="Render a random (or a demo) synthetic session to a DESIGN 3.1 trace. "
        "The truth (reps with their scripted faults) goes to --truth as JSON.",
    )
    p.add_argument("--seed", type=int, default=None, help="random session seed (default 0)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--demo", action="store_true",
                       help="the synthetic athlete of `run --source synthetic` (11 reps) instead of a random one")
    which.add_argument("--coached-demo", action="store_true",
                       help="the story `hingecoach demo` coaches (turning side-on, two wall-drill sets)")
    p.add_argument("--reps", type=int, help="number of reps (default: drawn from the seed)")
    p.add_argument("--fault-rate", type=float, default=DEFAULT_FAULT_RATE, help="share of reps with a fault")
    p.add_argument("--out", required=True, help="trace file to write (.jsonl)")
    p.add_argument("--truth", help="also write the truth as JSON here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hingecoach.coach.cues import count_of
    from hingecoach.commands._common import (
        refuse_overwriting_default_database,
        refuse_overwriting_input,
    )
    from hingecoach.errors import InputError
    from hingecoach.pose.trace import TraceWriter
    from hingecoach.sim import demo_session, random_session, render

    if not 0.0 <= args.fault_rate <= 1.0:
        raise InputError(f"--fault-rate {args.fault_rate} is outside 0..1: give a share such as 0.4")
    if args.reps is not None and not 1 <= args.reps <= 500:
        raise InputError(f"--reps {args.reps} is out of range: give 1 to 500 reps")
    for flag, path in (("--out", args.out), ("--truth", args.truth)):
        if path is not None and Path(path).is_dir():
            raise InputError(f"{flag} {path} is a directory: give a file name")
        if path is not None and not Path(path).resolve().parent.is_dir():
            raise InputError(f"{flag} {path}: the folder does not exist: create it first")
    refuse_overwriting_default_database(args.out, "--out", suffix=".jsonl")
    refuse_overwriting_default_database(args.truth, "--truth", suffix=".json")
    if args.truth is not None:
        # the truth written after the trace replaced it (`--out X --truth X`)
        refuse_overwriting_input(args.truth, args.out, "--truth", suffix=".json",
                                 what="the --out file too", loses="the trace")
    if (args.demo or args.coached_demo) and (args.seed is not None or args.reps is not None
                                             or args.fault_rate != DEFAULT_FAULT_RATE):
        raise InputError("--seed, --reps and --fault-rate shape a random session: the demos are fixed "
                         "stories, so leave them out (or drop --demo / --coached-demo)")
    seed = 0 if args.seed is None else args.seed
    if args.coached_demo:
        from hingecoach.commands.demo import coached_demo_session

        session = coached_demo_session()
    else:
        session = demo_session() if args.demo else random_session(
            seed, reps=args.reps, fault_rate=args.fault_rate)
    info, poses, truth = render(session)
    try:
        with TraceWriter(args.out, info) as w:
            for pose in poses:
                w.write(pose)
    except OSError as exc:
        raise InputError(f"{args.out}: cannot write ({exc.strerror}): check the folder") from exc
    if args.truth:
        try:
            truth_fh = open(args.truth, "wb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputError(f"--truth {args.truth}: cannot write ({exc.strerror}): "
                             "check the folder exists") from exc
        doc = {"seed": seed, "width": info.width, "height": info.height, "fps": info.fps,
               "facing": session.camera.facing, "reps": [t.to_json() for t in truth]}
        with truth_fh:
            truth_fh.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    print(f"wrote {args.out}: {count_of(len(truth), 'rep')}, {info.width}x{info.height} at {info.fps:g} fps",
          file=sys.stderr)
    return 0
