"""MotionTracker: pose in, features + phase + completed reps out. One object per athlete.

Usage::

    tracker = MotionTracker(info)            # info: hingecoach.pose.landmarks.FrameInfo
    for pose in poses:
        update = tracker.update(pose)        # -> MotionUpdate
        if update.rep: ...                   # a completed Rep with faults

Deterministic, no I/O, no wall clock: time comes from ``pose.t``.
"""

from __future__ import annotations

from hingecoach.motion.faults import judge
from hingecoach.motion.kinematics import Kinematics
from hingecoach.motion.reps import RepMetrics, RepTracker
from hingecoach.motion.thresholds import DEFAULT, Thresholds
from hingecoach.motion.types import MotionUpdate, Rep
from hingecoach.pose.landmarks import FrameInfo, Pose


def make_rep(index: int, m: RepMetrics, th: Thresholds = DEFAULT) -> Rep:
    faults, flags = judge(m, th)
    return Rep(
        index=index,
        start_s=m.start_s,
        bottom_s=m.bottom_s,
        end_s=m.end_s,
        torso_lean_deg=m.peak_lean,
        hip_flexion_deg=m.peak_hip,
        knee_flexion_deg=m.peak_knee,
        shin_angle_deg=m.peak_shin,
        descent_s=m.bottom_s - m.start_s,
        ascent_s=m.end_s - m.bottom_s,
        faults=faults,
        flags=flags,
        hip_travel_m=m.peak_travel,
        head_angle_deg=m.head_bottom,
        lockout_lean_deg=m.lockout_lean,
        knee_lead=m.knee_lead(),
    )


class MotionTracker:
    """Kinematics + rep tracker + fault rules for one athlete."""

    def __init__(self, info: FrameInfo, thresholds: Thresholds = DEFAULT, *,
                 record: bool = False) -> None:
        self.info = info
        self.th = thresholds
        self.kinematics = Kinematics(info, thresholds)
        self.reps = RepTracker(thresholds, record=record)
        self.count = 0

    def finish(self) -> Rep | None:
        """Call at the end of a stream: returns a rep that was finishing its lockout, if any."""
        rep = None
        for m in self.reps.finish():
            self.count += 1
            rep = make_rep(self.count, m, self.th)
        return rep

    def update(self, pose: Pose) -> MotionUpdate:
        feats = self.kinematics.update(pose)
        before = self.reps.phase
        if feats.present and feats.smooth is not None:
            done = self.reps.update(feats.t, feats.smooth, feats.raw)
        else:
            done = self.reps.lost(feats.t)
        rep = None
        for m in done:  # at most one in practice
            self.count += 1
            rep = make_rep(self.count, m, self.th)
        after = self.reps.phase
        return MotionUpdate(features=feats, phase=after, rep=rep,
                            transitions=((before, after),) if before is not after else (),
                            rep_from=self.reps.rep_from)
