"""Analyse a whole pose stream into the object of DESIGN 3.2 (``hingecoach analyze --json``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from hingecoach.motion.thresholds import DEFAULT, Thresholds
from hingecoach.motion.tracker import MotionTracker
from hingecoach.motion.types import FAULTS, FLAGS, MotionUpdate, Rep
from hingecoach.pose.landmarks import FrameInfo, Pose

SIDE_SHARE = 0.6
"""A stream is side-on when at least this share of its classified frames look side-on."""
FRONT_SHARE = 0.4
"""...and front/oblique when at least this share look front-on (otherwise unknown)."""


def view_verdict(views: Counter[str]) -> str:
    """The session's view from per-frame view estimates (see kinematics.classify_view)."""
    side = views["side-left"] + views["side-right"]
    front = views["front"]
    total = side + front + views["unknown"]
    if total == 0:
        return "unknown"
    if side >= SIDE_SHARE * total:
        return "side-left" if views["side-left"] >= views["side-right"] else "side-right"
    if front >= FRONT_SHARE * total:
        return "front"
    return "unknown"


def analyze_stream(info: FrameInfo, poses: Iterable[Pose], *, input_name: str = "",
                   thresholds: Thresholds = DEFAULT,
                   on_update: Callable[[Pose, MotionUpdate], None] | None = None) -> dict[str, Any]:
    """Run the motion core over a stream and build the DESIGN 3.2 result.

    Reps are judged for faults only when the stream is side-on: angles measured from the
    front or at an angle are not the side-view angles the fault rules are written for.
    """
    tracker = MotionTracker(info, thresholds)
    frames = pose_frames = 0
    views: Counter[str] = Counter()
    reps: list[Rep] = []
    for pose in poses:
        frames += 1
        upd = tracker.update(pose)
        if pose.landmarks is not None:
            pose_frames += 1
        fr = upd.features.framing
        if fr is not None and upd.features.present:
            views[fr.view] += 1
        if upd.rep is not None:
            reps.append(upd.rep)
        if on_update is not None:
            on_update(pose, upd)
    last = tracker.finish()
    if last is not None:
        reps.append(last)
    view = view_verdict(views)
    if not view.startswith("side"):
        reps = [replace(r, faults=(), flags=()) for r in reps]
    fault_counts = {f: n for f in FAULTS if (n := sum(f in r.faults for r in reps))}
    flag_counts = {f: n for f in FLAGS if (n := sum(f in r.flags for r in reps))}
    return {
        "input": input_name,
        "frames": frames,
        "pose_frames": pose_frames,
        "fps": round(info.fps, 3),
        "view": view,
        "reps": [r.to_json() for r in reps],
        "summary": {"reps": len(reps), "faults": fault_counts, "flags": flag_counts},
    }
