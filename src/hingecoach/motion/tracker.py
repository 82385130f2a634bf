"""MotionTracker: pose in, features + phase + completed reps out. One object per athlete.

Usage::

    tracker = MotionTracker(info)            # info: hingecoach.pose.landmarks.FrameInfo
    for pose in poses:
        update = tracker.update(pose)        # -> MotionUpdate
        if update.rep: ...                   # a completed Rep with faults

Deterministic, no I/O, no wall clock: time comes from ``pose.t``.
(Implementation lands with the motion-core issue.)
"""
