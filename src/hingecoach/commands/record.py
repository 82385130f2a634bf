"""``hingecoach record SOURCE --out trace.jsonl``: run the pose model and save a trace."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from hingecoach.config import VIDEO_SUFFIXES


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "record",
        help="record a pose trace (DESIGN 3.1) from a camera or a video file",
        description="Run the pose model on SOURCE and write the pose trace (JSON Lines, "
        "DESIGN 3.1). SOURCE is picamera2, camera:N (an OpenCV device) or a video file. "
        "Camera frames are never written to disk, only the landmarks.",
    )
    p.add_argument("source", metavar="SOURCE", help="picamera2, camera:N, or a video file")
    p.add_argument("--out", "-o", required=True, type=Path, help="trace file to write (.jsonl)")
    p.add_argument("--seconds", type=float, default=None,
                   help="stop after this many seconds of frames (default: the whole file; "
                   "live sources run until Ctrl-C)")
    p.add_argument("--model", default=None,
                   help="pose model: manifest name or .task path (default pose_landmarker_full)")
    p.add_argument("--workers", type=int, default=None,
                   help="pose landmarkers run side by side (default: min(2, cores))")
    p.set_defaults(func=run)




def run(args: argparse.Namespace) -> int:
    from hingecoach.commands._common import (
        refuse_overwriting_default_database,
        refuse_overwriting_input,
    )
    from hingecoach.errors import InputError
    from hingecoach.pose.sources import open_source
    from hingecoach.pose.trace import TraceWriter, looks_like_trace

    src_path = Path(args.source)
    if src_path.is_file() and src_path.stat().st_size > 0 and looks_like_trace(src_path):
        raise InputError(f"{args.source} is already a pose trace: record takes a camera or a video")
    if args.seconds is not None and (not math.isfinite(args.seconds) or args.seconds <= 0):
        raise InputError(f"--seconds must be a positive number, got {args.seconds}")
    if args.out.suffix.lower() in VIDEO_SUFFIXES:
        raise InputError(f"--out {args.out}: record writes a pose trace (JSON Lines), not a video: "
                         f"name a .jsonl file, e.g. --out {args.out.with_suffix('.jsonl')}")
    refuse_overwriting_input(args.out, args.source, "--out")
    refuse_overwriting_default_database(args.out, "--out", suffix=".jsonl")
    if args.out.parent and not args.out.parent.exists():
        raise InputError(f"cannot write {args.out}: the folder {args.out.parent} does not exist")

    source = open_source(args.source, model=args.model, progress=True, workers=args.workers)
    frames = people = 0
    t0: float | None = None
    try:
        with TraceWriter(args.out, source.info) as writer:
            for pose in source:
                if t0 is None:
                    t0 = pose.t
                if args.seconds is not None and pose.t - t0 >= args.seconds:
                    break
                writer.write(pose)
                frames += 1
                people += pose.landmarks is not None
    except KeyboardInterrupt:
        pass
    finally:
        source.close()
    print(f"recorded {frames} frames ({people} with a person) to {args.out}", file=sys.stderr)
    return 0
