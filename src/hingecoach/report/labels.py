"""Words for fault and flag ids in reports: a name, a short plot tag, and what it means.

Meanings follow DESIGN 3.4 (and the seeds it cites); written for a person reading their
own report, not copied from the seeds.
"""

from __future__ import annotations

from typing import Final

from hingecoach.coach.drills import DRILL_NAMES

NAMES: Final[dict[str, str]] = {
    "back_rounding": "Back rounding",
    "knees_forward": "Knees forward",
    "neck_extension": "Neck cranked up",
    "too_deep": "Past parallel",
    "hyperextension": "Leaning back at the top",
    "wall_not_reached": "Hips short of the wall",
    "incomplete_lockout": "Not standing tall",
    "too_fast": "Too fast down",
    "not_side_on": "Not filmed side-on",
}

TAGS: Final[dict[str, str]] = {
    "back_rounding": "back",
    "knees_forward": "knees",
    "neck_extension": "neck",
    "too_deep": "deep",
    "hyperextension": "lean",
    "wall_not_reached": "wall",
    "incomplete_lockout": "lock",
    "too_fast": "fast",
    "not_side_on": "view",
}
"""Four- or five-letter tags drawn above each rep on the angle plots."""

MEANINGS: Final[dict[str, str]] = {
    "back_rounding": "the chest and head dropped below the hip-shoulder line: the back "
                     "lost its long, straight shape",
    "knees_forward": "the knees bent a lot or the shins tipped forward: the hinge turned "
                     "into a squat",
    "neck_extension": "the head tipped up against the line of the back",
    "too_deep": "the torso went past parallel to the floor; a hinge does not need to",
    "hyperextension": "leaned back past upright when standing up",
    "wall_not_reached": "the hips did not travel back as far as the wall distance",
    "incomplete_lockout": "stopped short of standing fully upright between reps",
    "too_fast": "the way down took under about half a second: not controlled",
    "not_side_on": "filmed from the front or at an angle: the rep was counted but not checked "
                   "for faults (the angles only mean what they should from the side)",
}

FLAGS: Final[frozenset[str]] = frozenset({"too_deep", "not_side_on"})
"""Observations that are not faults: a cue (DESIGN 3.4), or a rep the coach could not judge."""


def name(problem: str) -> str:
    return NAMES.get(problem, problem.replace("_", " ").capitalize())


def tag(problem: str) -> str:
    return TAGS.get(problem, problem.split("_", 1)[0][:5])


def meaning(problem: str) -> str:
    return MEANINGS.get(problem, "")


def drill(d: str) -> str:
    return DRILL_NAMES.get(d, d.replace("_", " "))
