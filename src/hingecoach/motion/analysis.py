"""Analyse a whole pose stream into the object of DESIGN 3.2 (``hingecoach analyze --json``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from hingecoach.motion.kinematics import SIDE_RATIO_MAX
from hingecoach.motion.thresholds import DEFAULT, Thresholds
from hingecoach.motion.tracker import MotionTracker
from hingecoach.motion.types import FAULTS, FLAGS, MotionUpdate, Rep
from hingecoach.pose.landmarks import FrameInfo, Pose


def view_verdict(ratios: list[float], sides: Counter[str]) -> str:
    """The session's view: side-on when the median left/right spread is side-like.

    ``ratios`` are per-frame :func:`~hingecoach.motion.kinematics.shoulder_ratio` values;
    ``sides`` counts which side of the body faced the camera on side-on frames.
    """
    if not ratios:
        return "unknown"
    ordered = sorted(ratios)
    median = ordered[len(ordered) // 2]
    if median < SIDE_RATIO_MAX:
        return "side-left" if sides["left"] >= sides["right"] else "side-right"
    return "front"


def analyze_stream(info: FrameInfo, poses: Iterable[Pose], *, input_name: str = "",
                   thresholds: Thresholds = DEFAULT,
                   on_update: Callable[[Pose, MotionUpdate], None] | None = None) -> dict[str, Any]:
    """Run the motion core over a stream and build the DESIGN 3.2 result.

    Reps are judged for faults only when the stream is side-on: angles measured from the
    front or at an angle are not the side-view angles the fault rules are written for.
    """
    tracker = MotionTracker(info, thresholds)
    frames = pose_frames = 0
    ratios: list[float] = []
    sides: Counter[str] = Counter()
    last_framing = None
    reps: list[Rep] = []
    for pose in poses:
        frames += 1
        upd = tracker.update(pose)
        if pose.landmarks is not None:
            pose_frames += 1
        fr = upd.features.framing
        if fr is not None and fr is not last_framing and upd.features.present:
            last_framing = fr  # framing is refreshed ~10 times a second
            ratios.append(fr.side_ratio)
            if upd.features.side:
                sides[upd.features.side] += 1
        if upd.rep is not None:
            reps.append(upd.rep)
        if on_update is not None:
            on_update(pose, upd)
    last = tracker.finish()
    if last is not None:
        reps.append(last)
    view = view_verdict(ratios, sides)
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
