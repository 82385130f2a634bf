"""Squat watch: dips that bend the knees a lot but never fold at the hips.

The rep tracker only counts a rep when the torso leans past ~40 deg (DESIGN 3.4), so
somebody squatting instead of hinging produces no reps at all - and, without this, no
coaching. Seed 004: "the hinge is HIP dominant and the squat is KNEE dominant"; seed 002:
"If your knees are drifting forward or your hips are dropping straight down, you've turned
a hinge into a squat". A dip here = knee flexion rising past ``enter`` and falling back
under ``leave`` (hysteresis); it is a squat when the knees passed ``min_knee`` while the
torso stayed under ``max_lean``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hingecoach.motion.types import Features


@dataclass
class SquatWatch:
    enter_deg: float = 30.0
    """Knee flexion that starts a dip (a soft-kneed stance is 5-20 deg; seed 001 "<20")."""
    leave_deg: float = 18.0
    """Knee flexion under which the dip is over."""
    min_knee_deg: float = 50.0
    """Peak knee flexion of a squat-like dip (well past the motion core's 35 deg fault)."""
    max_lean_deg: float = 40.0
    """Peak torso lean below the rep depth (DESIGN 3.4 ~40 deg): the hips never folded."""
    grace_s: float = 1.2
    """A finished dip waits this long for the rep tracker: if it counts the dip as a rep
    (the motion core flags squat-pattern reps itself), the watch stays quiet."""
    in_dip: bool = False
    peak_knee: float = 0.0
    peak_lean: float = 0.0
    pending_since: float | None = None

    def rep_seen(self) -> None:
        """The rep tracker completed a rep: the dip in progress or pending was a rep."""
        self.pending_since = None
        self.in_dip = False

    def update(self, f: Features) -> bool:
        """Feed a frame; True when a squat-like dip finished and no rep claimed it."""
        if self.pending_since is not None and f.t - self.pending_since >= self.grace_s:
            self.pending_since = None
            return True
        a = f.smooth
        if a is None or not f.present:
            return False
        if not self.in_dip:
            if a.knee_flexion > self.enter_deg:
                self.in_dip = True
                self.peak_knee, self.peak_lean = a.knee_flexion, a.torso_lean
            return False
        self.peak_knee = max(self.peak_knee, a.knee_flexion)
        self.peak_lean = max(self.peak_lean, a.torso_lean)
        if a.knee_flexion < self.leave_deg:
            self.in_dip = False
            if self.peak_knee >= self.min_knee_deg and self.peak_lean < self.max_lean_deg:
                self.pending_since = f.t
        return False

    def reset(self) -> None:
        self.in_dip = False
        self.pending_since = None
