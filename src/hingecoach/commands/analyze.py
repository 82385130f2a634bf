"""``hingecoach analyze INPUT [--json]``: reps and faults of a pose trace or a video."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="count hinge reps and find faults in a pose trace or a video",
        description="Analyse a pose trace (.jsonl, DESIGN 3.1) or a video file. With --json, "
        "prints the DESIGN 3.2 object; otherwise a readable table.",
    )
    p.add_argument("input", help="a pose trace (.jsonl) or a video file")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--overlay", metavar="OUT.mp4",
                   help="(videos) also write the video with skeleton, angles and rep labels")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hingecoach.commands._common import (
        open_pose_input,
        refuse_overwriting_default_database,
        refuse_overwriting_input,
    )
    from hingecoach.motion.analysis import analyze_stream

    if args.overlay:
        refuse_overwriting_input(args.overlay, args.input, "--overlay", suffix=".mp4")
        refuse_overwriting_default_database(args.overlay, "--overlay", suffix=".mp4")
    info, poses = open_pose_input(args.input, progress=sys.stderr.isatty())
    on_update = None
    overlay = None
    if args.overlay:
        from hingecoach.pose import overlay as overlay_mod  # needs OpenCV

        overlay = overlay_mod.OverlayWriter(args.overlay, args.input, info)
        on_update = overlay.on_update
    try:
        result = analyze_stream(info, poses, input_name=args.input, on_update=on_update)
    finally:
        if overlay is not None:
            overlay.close()
    if overlay is not None:
        print(f"hingecoach analyze: overlay written to {args.overlay}", file=sys.stderr)
    if args.json:
        sys.stdout.write(orjson.dumps(result).decode() + "\n")
    else:
        sys.stdout.write(format_table(result))
    return 0


def format_table(result: dict[str, Any]) -> str:
    from hingecoach.coach.cues import count_of

    lines = [
        f"{result['input']}: {result['frames']} frames ({result['pose_frames']} with a person) "
        f"at {result['fps']:g} fps, view {result['view']}",
    ]
    if result["pose_frames"] == 0:
        lines.append("  nobody was found in any frame: check that the whole body is in the picture "
                     "and lit, and that this is the right file")
    elif not result["view"].startswith("side"):
        lines.append("  not a side view: faults are not judged (film side-on for form checks)")
    reps = result["reps"]
    if not reps:
        lines.append("  no hinge reps found")
        return "\n".join(lines) + "\n"
    head = (f"{'rep':>3}  {'start':>6}  {'bottom':>6}  {'end':>6}  {'lean':>5}  {'hip':>5}  "
            f"{'knee':>5}  {'shin':>5}  {'down':>5}  {'up':>5}  faults")
    lines += ["", head, "-" * len(head)]
    judged = result["view"].startswith("side")
    for r in reps:
        marks = ", ".join(r["faults"] + [f"({f})" for f in r.get("flags", [])]) or "clean"
        if not judged:
            marks = "not judged"
        lines.append(
            f"{r['index']:>3}  {r['start_s']:>6.2f}  {r['bottom_s']:>6.2f}  {r['end_s']:>6.2f}  "
            f"{r['torso_lean_deg']:>5.0f}  {r['hip_flexion_deg']:>5.0f}  {r['knee_flexion_deg']:>5.0f}  "
            f"{r['shin_angle_deg']:>5.0f}  {r['descent_s']:>5.2f}  {r['ascent_s']:>5.2f}  {marks}")
    s = result["summary"]
    faults = ", ".join(f"{k} x{v}" for k, v in s["faults"].items()) or "none"
    if not judged:
        faults = "not judged (not a side view)"
    lines += ["", f"{count_of(s['reps'], 'rep')}; faults: {faults}"]
    if s.get("flags"):
        lines.append("flags: " + ", ".join(f"{k} x{v}" for k, v in s["flags"].items()))
    lines.append("(angles in degrees, times in seconds)")
    return "\n".join(lines) + "\n"
