"""Build MotionUpdate streams by hand for the coach tests (no tracker, no poses needed).

``Script`` strings together standing, reps with chosen faults, absences and framing
problems at a fixed frame rate, and ``play`` feeds them (plus timed intents) to a
:class:`~hingecoach.coach.coach.Coach`, returning every cue said.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hingecoach.coach.coach import Coach
from hingecoach.coach.cues import Cue
from hingecoach.motion.types import Angles, Features, Framing, MotionUpdate, Phase, Rep

GOOD = Framing(bbox=(0.4, 0.15, 0.6, 0.9), head_visible=True, feet_visible=True,
               height_frac=0.72, quality=0.9, view="side-left")

BAD_FRAMING: dict[str, Framing | None] = {
    "not_in_frame": None,
    "too_dark": Framing(bbox=(0.4, 0.15, 0.6, 0.9), head_visible=True, feet_visible=True,
                        height_frac=0.72, quality=0.3, view="side-left"),
    "facing": Framing(bbox=(0.35, 0.15, 0.65, 0.9), head_visible=True, feet_visible=True,
                      height_frac=0.72, quality=0.9, view="front"),
    "too_close": Framing(bbox=(0.3, 0.0, 0.7, 1.0), head_visible=True, feet_visible=True,
                         height_frac=0.97, quality=0.9, view="side-left"),
    "feet_cut": Framing(bbox=(0.4, 0.3, 0.6, 1.0), head_visible=True, feet_visible=False,
                        height_frac=0.8, quality=0.9, view="side-left"),
    "head_cut": Framing(bbox=(0.4, 0.0, 0.6, 0.8), head_visible=False, feet_visible=True,
                        height_frac=0.8, quality=0.9, view="side-left"),
    "too_far": Framing(bbox=(0.45, 0.4, 0.55, 0.7), head_visible=True, feet_visible=True,
                       height_frac=0.3, quality=0.9, view="side-left"),
}


def angles(lean: float, knee: float = 8.0) -> Angles:
    return Angles(torso_lean=lean, hip_flexion=lean + 5, knee_flexion=knee,
                  shin_angle=knee * 0.4, head_angle=2.0, hip_travel_m=0.004 * lean)


def feat(t: float, lean: float = 2.0, framing: Framing | None = GOOD, knee: float = 8.0) -> Features:
    if framing is None:
        return Features(t=t, present=False)
    present = framing.quality >= 0.55
    a = angles(lean, knee) if present else None
    return Features(t=t, present=present, side="left", facing=1, raw=a, smooth=a, framing=framing)


def make_rep(index: int, t0: float, dur: float, faults: tuple[str, ...] = (),
             flags: tuple[str, ...] = (), hip_travel_m: float | None = 0.3,
             knee_lead: float = 0.0) -> Rep:
    return Rep(index=index, start_s=t0, bottom_s=t0 + dur * 0.45, end_s=t0 + dur,
               torso_lean_deg=70.0, hip_flexion_deg=78.0,
               knee_flexion_deg=60.0 if "knees_forward" in faults else 15.0,
               shin_angle_deg=25.0 if "knees_forward" in faults else 5.0,
               descent_s=dur * 0.45, ascent_s=dur * 0.55, faults=faults, flags=flags,
               hip_travel_m=hip_travel_m, knee_lead=knee_lead)


@dataclass
class Script:
    """A hand-made motion stream: call the builder methods in order, then ``updates``."""

    fps: float = 30.0
    t: float = 0.0
    updates: list[MotionUpdate] = field(default_factory=list)
    reps: int = 0

    def _step(self) -> float:
        return 1.0 / self.fps

    def stand(self, seconds: float, framing: Framing | None = GOOD) -> Script:
        end = self.t + seconds
        while self.t < end - 1e-9:
            f = feat(self.t, 2.0, framing)
            phase = Phase.STANDING if f.present else Phase.UNKNOWN
            # standing still: a rep begun now would be dated from now (the tracker's rep_from)
            self.updates.append(MotionUpdate(f, phase, rep_from=self.t if f.present else None))
            self.t = round(self.t + self._step(), 6)
        return self

    def sway(self, seconds: float, amplitude: float = 12.0) -> Script:
        """Stand but rock the torso back and forth (not still enough to calibrate)."""
        end = self.t + seconds
        i = 0
        while self.t < end - 1e-9:
            lean = 2.0 + (amplitude if i % 20 < 10 else 0.0)
            self.updates.append(MotionUpdate(feat(self.t, lean), Phase.STANDING))
            self.t = round(self.t + self._step(), 6)
            i += 1
        return self

    def absent(self, seconds: float) -> Script:
        return self.stand(seconds, None)

    def problem(self, name: str, seconds: float) -> Script:
        return self.stand(seconds, BAD_FRAMING[name])

    def rep(self, faults: tuple[str, ...] = (), flags: tuple[str, ...] = (), dur: float = 2.4,
            rest: float = 1.0, hip_travel_m: float | None = 0.3, knee_lead: float = 0.0,
            depth: float = 70.0, framing: Framing = GOOD, seen_after: float = 0.0) -> Script:
        """A rep; ``seen_after``: the tracker sees the descent that long after it began (it is
        STANDING until then, as the real one is until the torso passes ~20 deg)."""
        t0 = self.t
        n = max(2, int(round(dur * self.fps)))
        for i in range(n):
            x = i / (n - 1)
            lean = 2.0 + (depth - 2.0) * math.sin(math.pi * x)
            phase = Phase.DESCENDING if x < 0.45 else Phase.ASCENDING
            if self.t - t0 < seen_after - 1e-9:
                phase = Phase.STANDING
            rep = None
            if i == n - 1:
                self.reps += 1
                phase = Phase.STANDING
                rep = make_rep(self.reps, t0, self.t - t0, faults, flags, hip_travel_m, knee_lead)
            from_ = self.t if rep is not None else t0  # the rep under way began at t0
            self.updates.append(MotionUpdate(feat(self.t, lean, framing), phase, rep, rep_from=from_))
            self.t = round(self.t + self._step(), 6)
        if rest:
            self.stand(rest)
        return self

    def squat(self, dur: float = 2.4, rest: float = 1.0, knee: float = 70.0,
              lean: float = 22.0, counted: bool = False) -> Script:
        """A knee-dominant dip: the knees bend a lot, the torso never folds. ``counted``: the
        rep tracker counts it anyway (a squat-pattern rep flagged knees_forward), 0.5 s after."""
        t0 = self.t
        n = max(2, int(round(dur * self.fps)))
        for i in range(n):
            x = math.sin(math.pi * i / (n - 1))
            f = feat(self.t, 2.0 + (lean - 2.0) * x, knee=8.0 + (knee - 8.0) * x)
            self.updates.append(MotionUpdate(f, Phase.STANDING))
            self.t = round(self.t + self._step(), 6)
        if counted:
            self.stand(0.5)
            self.reps += 1
            rep = make_rep(self.reps, t0, self.t - t0, ("knees_forward",))
            self.updates.append(MotionUpdate(feat(self.t), Phase.STANDING, rep))
            self.t = round(self.t + self._step(), 6)
        if rest:
            self.stand(rest)
        return self

    def reps_of(self, n: int, faults: tuple[str, ...] = (), **kw: object) -> Script:
        for _ in range(n):
            self.rep(faults, **kw)  # type: ignore[arg-type]
        return self


def play(coach: Coach, updates: list[MotionUpdate],
         intents: list[tuple[float, str, dict[str, str]]] | None = None,
         finish: bool = True) -> list[Cue]:
    """Feed updates (and intents at their times) to the coach; returns all cues said, including
    those planned to begin after the last update."""
    pending = sorted(intents or [], key=lambda x: x[0])
    out: list[Cue] = []
    for u in updates:
        while pending and pending[0][0] <= u.features.t:
            t, name, slots = pending.pop(0)
            out += coach.on_intent(t, name, slots)
        out += coach.on_update(u)
    for t, name, slots in pending:
        out += coach.on_intent(t, name, slots)
    if finish and updates:
        out += coach.finish(updates[-1].features.t)
    else:  # what is planned after the last frame is said all the same
        out += coach.drain()
    return out


def start(drill: str = "hinge", t: float = 0.5) -> list[tuple[float, str, dict[str, str]]]:
    return [(t, "start_drill", {"drill": drill})]


def kinds(cues: list[Cue], *wanted: str) -> list[Cue]:
    return [c for c in cues if c.kind in wanted]


def corrections(cues: list[Cue]) -> list[Cue]:
    return kinds(cues, "correction")


def said_in_run(info: object, poses: object, coach: Coach, commands: str) -> list[Cue]:
    """Every cue the app's session loop (``run_session``) says over a rendered stream, in
    order, with the scripted ``commands`` ("0.3:start hinge drill")."""
    from hingecoach.app import parse_commands, run_session

    said: list[Cue] = []

    class Collect:
        def write(self, cue: Cue) -> None:
            said.append(cue)

    run_session(info, poses, coach, transcript=Collect(), commands=parse_commands(commands))  # type: ignore[arg-type]
    return said


class ListRecorder:
    """A recorder fake: keeps every event in ``events`` as (name, details...), and the
    start time of each set and the time and problems of each rep in ``set_times`` and
    ``rep_times``."""

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []
        self.set_times: list[float] = []
        self.rep_times: list[tuple[float, set[str]]] = []

    def calibrated(self, cal: object) -> None:
        self.events.append(("calibrated",))

    def set_started(self, t: float, set_no: int, level: object) -> None:
        self.events.append(("set_started", set_no, getattr(level, "drill", None)))
        self.set_times.append(t)

    def rep_done(self, t: float, rep_no: int, rep: Rep, faults: tuple[str, ...],
                 flags: tuple[str, ...], series: list[tuple[float, ...]]) -> None:
        self.events.append(("rep", rep_no, faults, flags))
        self.rep_times.append((t, set(faults) | set(flags)))

    def set_ended(self, t: float, reps: int, clean: int, series: list[tuple[float, ...]]) -> None:
        self.events.append(("set_ended", reps, clean))

    def level_changed(self, level: object) -> None:
        self.events.append(("level", getattr(level, "family", None), getattr(level, "index", None)))

    def session_ended(self, t: float) -> None:
        self.events.append(("session_ended",))
