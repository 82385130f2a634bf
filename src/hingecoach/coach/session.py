"""The coaching session as a table of states (python-statemachine style, hand-written).

Read :data:`TRANSITIONS` top to bottom: it is the whole session. ``*`` matches every
state except ``idle`` and ``summary``; ``<back>`` returns to the state that was paused.
The machine only changes state and logs the transition; what to *say* on entering a state
is the :class:`~hingecoach.coach.coach.Coach`'s job (it listens, it does not live inside).

Events come from two places only: timestamped motion updates (``framing_ok``,
``calibrated``, ``rep``, ``target_reached``, ``set_idle``, ``rest_over``, ...) and intents
(``start_drill``, ``pause``, ``resume``, ``stop``); ``end_of_input`` when the source ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class State(StrEnum):
    IDLE = "idle"  # waiting for "start hinge drill" / "start wall drill"
    SETUP = "setup"  # getting the picture right (framing loop)
    CALIBRATE = "calibrate"  # stand tall and still ~2 s
    SET = "set"  # a drill set: reps counted and coached
    REST = "rest"  # between sets
    SUMMARY = "summary"  # saying the session summary (transient)
    PAUSED = "paused"  # on hold; resume returns to where it was


ANY = "*"
BACK = "<back>"

TRANSITIONS: tuple[tuple[str, str, str], ...] = (
    # source        event               target
    ("idle",        "start_drill",      "setup"),
    ("setup",       "framing_ok",       "calibrate"),   # first time: take the baseline
    ("setup",       "framing_ok_known", "set"),         # already calibrated: straight on
    ("setup",       "early_rep",        "set"),         # exercising already: coach it
    ("setup",       "start_drill",      "setup"),       # changed their mind
    ("calibrate",   "calibrated",       "set"),
    ("calibrate",   "early_rep",        "set"),
    ("calibrate",   "calibration_skipped", "set"),  # never still for long: coach anyway
    ("calibrate",   "framing_lost",     "setup"),
    ("calibrate",   "start_drill",      "setup"),
    ("set",         "target_reached",   "rest"),
    ("set",         "set_idle",         "rest"),
    ("set",         "start_drill",      "setup"),       # switch drill mid-set
    ("rest",        "rest_over",        "setup"),
    ("rest",        "rep",              "set"),         # got going before the call
    ("rest",        "start_drill",      "setup"),
    ("paused",      "resume",           BACK),
    ("paused",      "start_drill",      "setup"),
    (ANY,           "pause",            "paused"),
    (ANY,           "stop",             "summary"),
    (ANY,           "end_of_input",     "summary"),
    ("summary",     "done",             "idle"),
)  # fmt: skip
"""(source state, event, target state). The first matching row wins."""


@dataclass
class SessionMachine:
    """Table-driven session state with a transition log ``[(t, source, event, target)]``."""

    state: State = State.IDLE
    paused_from: State | None = None
    log: list[tuple[float, str, str, str]] = field(default_factory=list)

    def target(self, event: str) -> State | None:
        """Where ``event`` would lead from the current state, or None if it is not allowed."""
        s = self.state.value
        for src, ev, dst in TRANSITIONS:
            if ev != event:
                continue
            if src == s or (src == ANY and s not in ("idle", "summary", "paused")):
                if dst == BACK:
                    return self.paused_from or State.IDLE
                return State(dst)
            if src == ANY and s == "paused" and event in ("stop", "end_of_input"):
                return State(dst)
        return None

    def fire(self, t: float, event: str) -> State | None:
        """Take the transition for ``event`` if the table allows it; returns the new state."""
        dst = self.target(event)
        if dst is None:
            return None
        src = self.state
        if dst is State.PAUSED:
            self.paused_from = src
        elif src is State.PAUSED:
            self.paused_from = None
        self.state = dst
        self.log.append((t, src.value, event, dst.value))
        return dst

    def can(self, event: str) -> bool:
        return self.target(event) is not None
