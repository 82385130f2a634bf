"""The records the motion core produces: per-frame features, phases and completed reps.

Per-frame records (Angles, Framing, Features, MotionUpdate) are NamedTuples: immutable and
several times cheaper to build than frozen dataclasses, which matters at 30-60 frames a
second. These are the contract between the motion core (``hingecoach.motion``) and everything
downstream (coach, store, reports, overlay). Angles are in degrees, times in seconds
(frame timestamps, never the wall clock), distances in metres. Angle definitions are
those of DESIGN 3.3.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple


class Phase(StrEnum):
    """Where the athlete is in a hinge (see :mod:`hingecoach.motion.reps` for the table)."""

    UNKNOWN = "unknown"  # no usable pose yet, or lost for too long
    STANDING = "standing"
    DESCENDING = "descending"
    BOTTOM = "bottom"
    ASCENDING = "ascending"
    LOCKOUT = "lockout"  # back up; the rep is being finished (hyperextension window)
    PAUSED = "paused"  # stopped short of standing after a rep (incomplete lockout)


class Angles(NamedTuple):
    """Side-view joint angles of one frame (DESIGN 3.3), degrees.

    Attributes:
        torso_lean: hip->shoulder from vertical; 0 upright, 90 parallel to the floor,
            negative = leaning back.
        hip_flexion: 180 - angle(shoulder, hip, knee).
        knee_flexion: 180 - angle(hip, knee, ankle).
        shin_angle: ankle->knee from vertical, positive when the knee is ahead of the ankle.
        head_angle: shoulder->ear relative to hip->shoulder; positive = head dropped towards
            the floor, negative = head cranked up.
        hip_travel_m: horizontal distance of the hip behind the ankle, metres (None when no
            scale is known).
    """

    torso_lean: float
    hip_flexion: float
    knee_flexion: float
    shin_angle: float
    head_angle: float
    hip_travel_m: float | None = None


class Framing(NamedTuple):
    """Where the person sits in the picture, for the setup checks (normalised units).

    Attributes:
        bbox: (x0, y0, x1, y1) of the confident landmarks, normalised to the image.
        head_visible: the head landmarks are confidently inside the frame.
        feet_visible: the ankle/heel/toe landmarks are confidently inside the frame.
        height_frac: standing body height (head to heel) as a fraction of the image height.
        quality: mean visibility of the side chain used for angles, 0..1.
        view: ``side-left`` / ``side-right`` (which side of the body faces the camera),
            ``front``, or ``unknown``; a per-frame estimate.
        side_ratio: how far apart the left and right shoulders/hips appear as a share of the
            torso length (0 side-on, ~0.4-0.9 filmed from the front or at an angle).
    """

    bbox: tuple[float, float, float, float]
    head_visible: bool
    feet_visible: bool
    height_frac: float
    quality: float
    view: str
    side_ratio: float = 0.0


class Features(NamedTuple):
    """Everything the kinematics layer knows about one frame.

    Attributes:
        t: frame timestamp, seconds.
        present: a person with usable key landmarks is in the frame.
        side: which side of the body faces the camera (``left``/``right``), or None.
        facing: +1 when the person faces image-right, -1 image-left, 0 unknown.
        raw: unsmoothed angles (None when not present).
        smooth: smoothed angles (None when not present).
        framing: framing and visibility facts for the setup loop (None when no person).
    """

    t: float
    present: bool
    side: str | None = None
    facing: int = 0
    raw: Angles | None = None
    smooth: Angles | None = None
    framing: Framing | None = None


FAULTS: tuple[str, ...] = (
    "back_rounding",
    "knees_forward",
    "neck_extension",
    "hyperextension",
    "incomplete_lockout",
    "too_fast",
)
"""Stable fault ids (DESIGN 3.4), most important first: safety faults before polish."""

FLAGS: tuple[str, ...] = ("too_deep",)
"""Cue-worthy observations that are not faults (DESIGN 3.4: too_deep is a cue)."""


@dataclass(frozen=True, slots=True)
class Rep:
    """One completed hinge rep with its metrics (DESIGN 3.2) and faults (DESIGN 3.4).

    Attributes:
        index: 1-based rep number within the analysis / set.
        start_s, bottom_s, end_s: when the hinge started, reached its deepest point, ended.
        torso_lean_deg: peak torso lean.
        hip_flexion_deg: peak hip flexion.
        knee_flexion_deg: peak knee flexion.
        shin_angle_deg: peak forward shin angle.
        descent_s: start to bottom; ascent_s: bottom to end.
        faults: fault ids in :data:`FAULTS` order.
        flags: non-fault observations (``too_deep``).
        hip_travel_m: peak hip travel behind the ankle, metres (None when unknown).
        head_angle_deg: the median head angle over the bottom of the rep (DESIGN 3.3).
        lockout_lean_deg: the torso lean at the end of the rep (min in the lockout window).
        knee_lead: knee flexion already reached before the hips had travelled halfway to
            their peak (degrees) - the wall drill's "knees before hips" check.
    """

    index: int
    start_s: float
    bottom_s: float
    end_s: float
    torso_lean_deg: float
    hip_flexion_deg: float
    knee_flexion_deg: float
    shin_angle_deg: float
    descent_s: float
    ascent_s: float
    faults: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    hip_travel_m: float | None = None
    head_angle_deg: float = 0.0
    lockout_lean_deg: float = 0.0
    knee_lead: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The rep object of DESIGN 3.2 (plus the additive ``flags`` key)."""
        r = round
        return {
            "index": self.index,
            "start_s": r(self.start_s, 3),
            "bottom_s": r(self.bottom_s, 3),
            "end_s": r(self.end_s, 3),
            "torso_lean_deg": r(self.torso_lean_deg, 1),
            "hip_flexion_deg": r(self.hip_flexion_deg, 1),
            "knee_flexion_deg": r(self.knee_flexion_deg, 1),
            "shin_angle_deg": r(self.shin_angle_deg, 1),
            "descent_s": r(self.descent_s, 3),
            "ascent_s": r(self.ascent_s, 3),
            "faults": list(self.faults),
            "flags": list(self.flags),
        }


class MotionUpdate(NamedTuple):
    """What :class:`hingecoach.motion.tracker.MotionTracker` returns for every frame.

    Attributes:
        features: the frame's kinematics.
        phase: the rep tracker's phase after this frame.
        rep: the rep completed on this frame, if any.
        transitions: phase changes that happened on this frame, as (from, to) pairs.
        rep_from: when the rep under way began (the ``start_s`` it will have); between reps,
            when a rep the tracker begins from here would be dated from (the last moment at
            the standing lean, or the pause it would leave): the tracker sees a descent only
            once the torso is past ~20 deg, some 0.3 s or more after it began. None: no such
            moment (no pose, or not tracked).
    """

    features: Features
    phase: Phase
    rep: Rep | None = None
    transitions: tuple[tuple[Phase, Phase], ...] = ()
    rep_from: float | None = None
