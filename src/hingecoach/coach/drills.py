"""Drills, levels and the wall-drill progression (DESIGN 3.5).

Two ladders, each a "family" the voice command picks (``start_drill`` with drill
``hinge`` or ``wall``):

- ``hinge``: hip-crease drill (seed 004: hands in the hip crease, push them back) ->
  free hinge (DESIGN 3.5: sets of 8-15) -> dowel hinge (seed 002: head, upper back and
  tailbone stay on the stick).
- ``wall``: heels 6, 8, 10, 12 in (15, 20, 25, 30 cm) from a wall, then no wall
  (seed 002 "about six inches ... step an inch or two further ... until you can perform a
  full hinge without the wall"; seed 004 "a foot or so"). After a run of clean reps the
  athlete steps further; after repeated faults, back in.

The camera cannot see the wall. It compares the hips' travel behind the ankle with the
announced distance (``wall_not_reached``) and watches for the knees bending before the
hips are halfway back (seed 001: "torso breaking or knees shifting excessively forward
before making contact"), which is reported as ``knees_forward``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from hingecoach.coach.cues import problem_order
from hingecoach.coach.settings import DEFAULT, CoachSettings
from hingecoach.motion.types import Rep

FAMILIES: tuple[str, ...] = ("hinge", "wall")
HINGE_LADDER: tuple[str, ...] = ("hip_crease", "hinge", "dowel")
"""The hinge family's drills, easiest first."""
DRILL_NAMES: dict[str, str] = {
    "hip_crease": "hip crease drill", "hinge": "free hinge", "dowel": "dowel hinge",
    "wall": "wall drill", "no_wall": "hinge without the wall",
}
DEFAULT_LEVEL: dict[str, int] = {"hinge": 1, "wall": 0}
"""Where a new user begins: free hinges, and the wall at the nearest rung."""

UNITS: tuple[str, ...] = ("in", "cm")
CM_PER_IN = 2.54


@dataclass(frozen=True, slots=True)
class Level:
    """A place on a ladder. ``index`` counts from 0 (easiest)."""

    family: str
    index: int
    units: str = "in"
    settings: CoachSettings = DEFAULT

    @property
    def top(self) -> int:
        if self.family == "wall":
            return len(self._ladder)  # one past the last rung = no wall
        return len(HINGE_LADDER) - 1

    @property
    def _ladder(self) -> tuple[float, ...]:
        s = self.settings
        return s.wall_ladder_in if self.units == "in" else s.wall_ladder_cm

    @property
    def drill(self) -> str:
        """The drill id: hip_crease / hinge / dowel / wall / no_wall."""
        if self.family == "wall":
            return "no_wall" if self.index >= len(self._ladder) else "wall"
        return HINGE_LADDER[self.index]

    @property
    def wall_distance(self) -> float | None:
        """Heel-to-wall distance in the level's units, or None (no wall / not a wall drill)."""
        if self.family != "wall" or self.index >= len(self._ladder):
            return None
        return self._ladder[self.index]

    @property
    def wall_cm(self) -> float | None:
        d = self.wall_distance
        if d is None:
            return None
        return round(d * CM_PER_IN, 1) if self.units == "in" else d

    def spoken_distance(self) -> str:
        d = self.wall_distance
        if d is None:
            return "no wall"
        unit = "inches" if self.units == "in" else "centimetres"
        return f"{d:g} {unit}"

    def moved(self, step: int) -> Level:
        """The level ``step`` rungs up (or down), clamped to the ladder."""
        i = max(0, min(self.top, self.index + step))
        return Level(self.family, i, self.units, self.settings)

    @property
    def target_reps(self) -> int:
        s = self.settings
        return s.hinge_target_reps if self.drill in ("hinge", "no_wall") else s.drill_target_reps


def judge_rep(rep: Rep, level: Level, s: CoachSettings = DEFAULT) -> tuple[str, ...]:
    """Every problem of a rep the coach may talk about, most important first.

    The motion core's faults and flags, plus the wall drill's own checks: the hips did not
    travel as far as the wall (``wall_not_reached``) and the knees bent before the hips
    were halfway there (reported as ``knees_forward``).
    """
    found = set(rep.faults) | set(rep.flags)
    if level.drill == "wall":
        if rep.knee_lead > s.knee_lead_max_deg:
            found.add("knees_forward")
        cm = level.wall_cm
        if rep.hip_travel_m is not None and cm is not None:
            need = cm / 100.0 - s.wall_contact_allowance_m - s.wall_reach_tolerance_m
            if rep.hip_travel_m < need:
                found.add("wall_not_reached")
    return tuple(sorted(found, key=problem_order))


@dataclass
class WallProgress:
    """Decides when to step further from the wall or back in (per rung, reset on a move)."""

    settings: CoachSettings = DEFAULT
    clean_run: int = 0
    recent: deque[bool] = field(default_factory=deque)

    def reset(self) -> None:
        self.clean_run = 0
        self.recent.clear()

    def update(self, clean: bool) -> int:
        """Feed one rep's verdict; returns +1 (step further), -1 (step in) or 0."""
        s = self.settings
        self.clean_run = self.clean_run + 1 if clean else 0
        self.recent.append(not clean)
        while len(self.recent) > s.wall_demote_window:
            self.recent.popleft()
        if self.clean_run >= s.wall_promote_clean:
            self.reset()
            return 1
        if sum(self.recent) >= s.wall_demote_faulty:
            self.reset()
            return -1
        return 0
