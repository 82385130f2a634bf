"""Keep following the person who started, when others walk through the frame.

Pure functions over :class:`~hingecoach.pose.landmarks.Pose` (no I/O, no clock: time is
``pose.t``). The pose estimator may return several people per frame (MediaPipe's
``num_poses``) or, with one pose per frame, sometimes the wrong one (a passer-by nearer the
camera). Either way :func:`follow` picks, frame by frame, the pose that continues the
tracked person and reports "nobody" (``Pose(t, None)``) when only strangers are visible.

Identity is judged by two quantities that a hip hinge barely changes in a side view:

* the hip midpoint (the hinge moves the hips back by a fraction of body length, over
  about a second), and
* the body length along the chain shoulder-hip-knee-ankle, in image units: it is the sum of
  segment lengths, so it survives the torso tilting forward (a bounding box would not).

A candidate's distance to the track is ``shift / length + 2 |ln(length / last length)|``
(hip shift in body lengths, plus twice the relative size change: the same person's chain
length barely changes from frame to frame, while a stranger at another depth differs in
size, so size weighs double). The closest candidate under
:data:`MAX_DISTANCE` continues the track. After :data:`REACQUIRE_S` seconds with no match,
the track is dropped and the biggest person in view (the one nearest the camera) is taken:
the user walked away and came back, or a new user stepped up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from hingecoach.pose.landmarks import (
    LEFT_ANKLE,
    LEFT_HIP,
    LEFT_KNEE,
    LEFT_SHOULDER,
    RIGHT_ANKLE,
    RIGHT_HIP,
    RIGHT_KNEE,
    RIGHT_SHOULDER,
    Pose,
)

MIN_VISIBILITY: Final[float] = 0.5
"""Landmarks below this visibility are ignored (MediaPipe's own default threshold)."""
MAX_DISTANCE: Final[float] = 0.6
"""Largest track distance still judged the same person. A hinge rep moves the hips about
0.2-0.3 body lengths over a second; between frames (or across a short dropout) the same
person is well under 0.6; a stranger 35 % bigger or smaller is over it on size alone."""
SIZE_WEIGHT: Final[float] = 2.0
"""Weight of the log size ratio against the hip shift (see the module docstring)."""
REACQUIRE_S: Final[float] = 2.0
"""Seconds without the tracked person before taking whoever is in view."""

_CHAINS: Final = (
    (LEFT_SHOULDER, LEFT_HIP, LEFT_KNEE, LEFT_ANKLE),
    (RIGHT_SHOULDER, RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE),
)


@dataclass(frozen=True)
class Body:
    """Where a person is and how big, in normalised image units.

    Attributes:
        hip: the hip midpoint (x, y), or the one visible hip.
        length: shoulder-hip-knee-ankle chain length (the longer visible side).
        t: the pose's timestamp in seconds.
    """

    hip: tuple[float, float]
    length: float
    t: float


def body_of(pose: Pose, min_visibility: float = MIN_VISIBILITY) -> Body | None:
    """Measure a pose, or ``None`` when there is no person or too little of one is visible."""
    lms = pose.landmarks
    if lms is None:
        return None

    def seen(i: int) -> bool:
        return lms[i][3] >= min_visibility

    hips = [lms[i] for i in (LEFT_HIP, RIGHT_HIP) if seen(i)]
    if not hips:
        return None
    hip = (sum(h[0] for h in hips) / len(hips), sum(h[1] for h in hips) / len(hips))
    length = 0.0
    for chain in _CHAINS:
        if all(seen(i) for i in chain):
            side = sum(math.dist(lms[a][:2], lms[b][:2]) for a, b in zip(chain, chain[1:], strict=False))
            length = max(length, side)
    if length <= 1e-6:
        return None
    return Body(hip, length, pose.t)


def distance(track: Body, body: Body) -> float:
    """Track distance: hip shift in body lengths plus twice the log of the size ratio."""
    shift = math.dist(track.hip, body.hip) / track.length
    return shift + SIZE_WEIGHT * abs(math.log(body.length / track.length))


def pick(track: Body | None, candidates: Sequence[Pose], t: float,
         max_distance: float = MAX_DISTANCE, reacquire_s: float = REACQUIRE_S) -> int | None:
    """Index of the candidate that continues ``track``, or ``None`` for "not seen".

    Args:
        track: the tracked person's last measured body, or ``None`` before anyone is tracked.
        candidates: the poses detected in this frame (any order).
        t: this frame's time in seconds.
        max_distance: see :data:`MAX_DISTANCE`.
        reacquire_s: see :data:`REACQUIRE_S`.
    """
    bodies = [(i, body_of(p)) for i, p in enumerate(candidates)]
    measured = [(i, b) for i, b in bodies if b is not None]
    if not measured:
        return None
    if track is None or t - track.t > reacquire_s:
        return max(measured, key=lambda ib: ib[1].length)[0]
    best_i, best_d = None, math.inf
    for i, body in measured:
        d = distance(track, body)
        if d < best_d:
            best_i, best_d = i, d
    return best_i if best_d <= max_distance else None


def follow(frames: Iterable[Sequence[Pose]], max_distance: float = MAX_DISTANCE,
           reacquire_s: float = REACQUIRE_S) -> Iterator[Pose]:
    """One pose per frame: the person who started, or ``Pose(t, None)`` when not in view.

    Args:
        frames: per frame, the poses detected (possibly empty; all share the frame's ``t``;
            an empty frame carries no time, so pass ``[Pose(t, None)]`` to keep it).
        max_distance, reacquire_s: see :func:`pick`.
    """
    track: Body | None = None
    for candidates in frames:
        if not candidates:
            continue
        t = candidates[0].t
        i = pick(track, candidates, t, max_distance, reacquire_s)
        if i is None:
            yield Pose(t, None)
            continue
        chosen = candidates[i]
        track = body_of(chosen)
        yield chosen


class Follower:
    """The streaming form of :func:`follow` for the live loop: ``choose(candidates) -> Pose``."""

    def __init__(self, max_distance: float = MAX_DISTANCE, reacquire_s: float = REACQUIRE_S) -> None:
        self.max_distance = max_distance
        self.reacquire_s = reacquire_s
        self.track: Body | None = None

    def choose(self, candidates: Sequence[Pose], t: float | None = None) -> Pose:
        """The tracked person's pose in this frame, or ``Pose(t, None)``."""
        if t is None:
            if not candidates:
                raise ValueError("choose() needs t when there are no candidates")
            t = candidates[0].t
        i = pick(self.track, candidates, t, self.max_distance, self.reacquire_s)
        if i is None:
            return Pose(t, None)
        self.track = body_of(candidates[i])
        return candidates[i]

    def reset(self) -> None:
        """Forget the tracked person (a new session)."""
        self.track = None
