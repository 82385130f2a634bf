"""The Coach: motion updates and intents in, cues (and progress records) out.

Pure and deterministic: no I/O, no clock, no threads. Time is the frame timestamp of
each :class:`~hingecoach.motion.types.MotionUpdate` (intents carry the time they were
heard). The session's shape is the table in :mod:`hingecoach.coach.session`; this class
listens to its transitions and decides what to say, asks :class:`RepFeedback` what each
rep deserves and lets :class:`CueScheduler` drop what cannot be said in time.
Progress goes to a :class:`Recorder` (the store in the app, a list in tests).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from hingecoach.coach.cues import (
    FOCUS,
    HELP_LINES,
    UNEARNED,
    UNEARNED_AGAIN,
    Cue,
    Phrasebook,
    count_of,
    problem_order,
)
from hingecoach.coach.drills import (
    DEFAULT_LEVEL,
    DRILL_NAMES,
    FAMILIES,
    Level,
    WallProgress,
    judge_rep,
)
from hingecoach.coach.feedback import Candidate, RepFeedback
from hingecoach.coach.scheduler import CueScheduler
from hingecoach.coach.session import SessionMachine, State
from hingecoach.coach.settings import DEFAULT, CoachSettings
from hingecoach.coach.setup import Calibration, Calibrator, SetupLoop
from hingecoach.coach.squat import SquatWatch
from hingecoach.motion.types import FLAGS, Features, MotionUpdate, Phase, Rep
from hingecoach.pose.landmarks import Pose

INTENTS: tuple[str, ...] = (
    "start_drill", "stop", "pause", "resume", "next_level", "previous_level", "count",
    "repeat", "help", "louder", "quieter",
)  # fmt: skip
"""The intents the coach understands (issue 4 "Intents in"). ``start_drill`` takes the slot
``drill`` = ``hinge`` | ``wall``."""

SERIES_STEP_S = 0.1
"""The per-set angle series keeps one sample every 0.1 s (10 Hz): plenty for plots of
0.3-1 Hz reps, ~20 numbers a second to store."""


class Recorder(Protocol):
    """Where the coach reports progress (the SQLite store implements it).

    One workout (from a drill started out of idle to its spoken summary) is one session:
    ``session_ended`` closes it, and the next ``set_started`` belongs to a new one.
    """

    def calibrated(self, cal: Calibration) -> None: ...
    def set_started(self, t: float, set_no: int, level: Level) -> None: ...
    def rep_done(self, t: float, rep_no: int, rep: Rep, faults: tuple[str, ...],
                 flags: tuple[str, ...], series: list[tuple[float, ...]]) -> None: ...
    def set_ended(self, t: float, reps: int, clean: int,
                  series: list[tuple[float, ...]]) -> None: ...
    def level_changed(self, level: Level) -> None: ...
    def session_ended(self, t: float) -> None: ...


class NullRecorder:
    """Records nothing (a coach without a store)."""

    saving = False  # the summary does not say "is saved" (a recorder without it: it does)

    def calibrated(self, cal: Calibration) -> None:
        pass

    def set_started(self, t: float, set_no: int, level: Level) -> None:
        pass

    def rep_done(self, t: float, rep_no: int, rep: Rep, faults: tuple[str, ...],
                 flags: tuple[str, ...], series: list[tuple[float, ...]]) -> None:
        pass

    def set_ended(self, t: float, reps: int, clean: int, series: list[tuple[float, ...]]) -> None:
        pass

    def level_changed(self, level: Level) -> None:
        pass

    def session_ended(self, t: float) -> None:
        pass


@dataclass
class SetState:
    """The set in progress."""

    number: int
    level: Level
    started: float
    reps: int = 0
    clean: int = 0
    unjudged: int = 0  # counted, but filmed from the front or at an angle
    last_rep_t: float = 0.0
    problems: dict[str, int] = field(default_factory=dict)
    series: list[tuple[float, ...]] = field(default_factory=list)
    recorded: bool = True  # set_started sent (a set opened while one is held waits: Held)
    named: bool = False  # its number has been said ("Set 2.")


@dataclass
class Held:
    """A rep under way when the level or the drill changed (at ``since``).

    It was begun under what came before, so it is judged and recorded with ``set``, the set
    it was begun in, which stays open for it (that set's series runs to the rep's end; the
    set opened at the change is recorded once this one is closed), and is not said anything
    about: the coach has moved on. With no set being counted at the change (rest, setup,
    pause), the rep belongs to no set and is not counted: it neither opens the new level's
    set nor starts the new drill early. The hold ends with that rep, or when the tracker
    drops it (back to standing without a rep). "Under way" goes by when the rep began (the
    tracker's ``rep_from``), not by when the tracker saw it: it sees a descent only once the
    torso is past ~20 deg, so a rep begun a moment before the change is held too, and one
    reported as begun after it is the new set's.
    """

    set: SetState | None
    since: float


#: The set.number phrasings that fit a set already under way ("Set 3." and "Here's set 3.",
#: not "Set 3, when you're ready.").
SET_NUMBER_UNDER_WAY = (0, 1)
#: What a level change (or a drill start) announces: news that a newer change makes stale
#: (the drill's own instructions, ``drill.*``, too, and "That's the top level already.").
LEVEL_NEWS = frozenset({"level.up", "level.down", "wall.further", "wall.closer", "wall.none",
                        "wall.return", "level.top", "level.bottom"})
#: Level news that tells the user, on its own, the level they are at (and the drill's own
#: lines, ``drill.*``): not "Level up: dowel hinge.", which the drill's instructions follow.
SAYS_THE_LEVEL = frozenset({"wall.further", "wall.closer", "wall.none", "wall.return",
                            "level.top", "level.bottom"})
#: Frames remembered for telling whether a rep was filmed side-on (30 s at 30 fps).
VIEW_MEMORY = 900
#: The flag stored on a rep filmed from the front or at an angle: counted, never judged
#: (so the database does not call it clean either).
NOT_SIDE_ON = "not_side_on"
#: Rep tracker phases of a rep under way: the athlete is exercising already, so the setup
#: loop does not start the calibration ("stand tall and still") and the calibration does
#: not ask them to hold still; the rep, once reported, starts the set (``early_rep``).
IN_A_REP = frozenset({Phase.DESCENDING, Phase.BOTTOM, Phase.ASCENDING, Phase.LOCKOUT})


@dataclass(frozen=True)
class Told:
    """A level announcement planned: the level it tells the user about, and its phrasing."""

    cue: Cue
    level: Level
    cue_id: str
    only: tuple[int, ...] | None


def _begun_before(phase: Phase, rep_from: float | None, t: float) -> bool:
    """Whether a rep begun before ``t`` may be under way: by the rep tracker's ``rep_from``
    (the rep under way began before ``t``, or between reps one it begins from here would be
    dated before ``t``: the athlete was already leaning in), else by its phase."""
    if rep_from is not None:
        return rep_from < t
    return phase in IN_A_REP


def _is_level_news(cue: Cue) -> bool:
    return cue.cue_id in LEVEL_NEWS or cue.cue_id.startswith("drill.")


def _unchecked(n: int, of: int) -> str:
    """What a summary says about reps filmed from the front or at an angle."""
    which = "any of them" if n == of else f"{n} of them"
    return f" From this angle I couldn't check {which}: side-on next time, please."


class Coach:
    """One athlete's coaching, one workout after another.

    A workout runs from a drill started out of idle to its summary (``stop``, "end
    session", the end of the input); the service then waits in idle for the next one. The
    totals the summary speaks (sets, reps, clean, unchecked, squat dips) and the wall
    drill's run of clean reps start again with each workout; the levels per drill family,
    the units and the calibration carry over.

    Args:
        settings: timing and progression numbers (:mod:`hingecoach.coach.settings`).
        units: ``in`` or ``cm`` for the wall distances.
        levels: saved level index per family (``{"hinge": 1, "wall": 2}``); defaults apply
            to missing families.
        aspect: image width / height (calibration measures segments in height units).
        recorder: progress sink.
    """

    def __init__(self, settings: CoachSettings = DEFAULT, *, units: str = "in",
                 levels: dict[str, int] | None = None, aspect: float = 1.0,
                 recorder: Recorder | None = None) -> None:
        self.s = settings
        self.units = units
        lv = dict(DEFAULT_LEVEL)
        lv.update(levels or {})
        self.levels = {f: Level(f, lv[f], units, settings).moved(0) for f in FAMILIES}
        self.family = "hinge"
        self.machine = SessionMachine()
        self.phrases = Phrasebook()
        self.scheduler = CueScheduler(settings)
        self.setup = SetupLoop(settings)
        self.calibrator = Calibrator(settings, aspect=aspect)
        self.calibration: Calibration | None = None
        self.recorder: Recorder = recorder or NullRecorder()
        self.feedback = RepFeedback(settings)
        self.wall = WallProgress(settings)
        self.squats = SquatWatch()
        self.current: SetState | None = None
        # this workout's totals (reset by _new_workout)
        self.sets_done = 0
        self.squat_dips = 0
        self.last_set_reps = 0
        self.total_reps = 0
        self.total_clean = 0
        self.total_unjudged = 0  # reps filmed from the front or at an angle
        self._numbers_said: dict[int, str] = {}  # set number -> how it was said, this workout
        self.reps_coached = 0  # every workout of this coach (the run's tally)
        self.state_since = 0.0
        self.last_seen = 0.0
        self.away_said: float | None = None
        self.moving_said: float | None = None
        self._moved_at: float | None = None  # when calibration last saw the athlete move
        # (t, facing the camera?) of recent frames, to tell whether a rep was filmed side-on
        self._views: deque[tuple[float, bool]] = deque(maxlen=VIEW_MEMORY)
        self.facing_said: float | None = None
        self._held: Held | None = None  # a rep under way at a level or drill change
        self._phase = Phase.UNKNOWN  # the rep tracker's phase on the last frame
        self._rep_from: float | None = None  # and its rep_from (MotionUpdate)
        self.t = 0.0
        self._pending: list[Cue] = []  # planned by the scheduler, not yet returned (said)
        # The level per family the user has been told of, by announcements begun (``_told``,
        # and the last of them: ``_told_last``), and those planned but not begun yet,
        # which a newer change may still withdraw (``_telling``): what the next announcement
        # is worded against ("back to the wall" only after "no wall" was heard).
        self._told: dict[str, Level] = dict(self.levels)
        self._told_last: dict[str, Told] = {}
        self._telling: list[Told] = []
        # repeats of level news (news too), by id; the cue is kept so that its id cannot be
        # reused by another cue once it is gone
        self._news_repeats: dict[int, Cue] = {}
        self._deferred: list[tuple[str, frozenset[State], float, dict[str, object]]] = []
        self._in_a_rep = False  # a rep under way, or reported, on the last frame

    # -- public API ---------------------------------------------------------------------
    @property
    def state(self) -> State:
        return self.machine.state

    @property
    def level(self) -> Level:
        return self.levels[self.family]

    def on_update(self, u: MotionUpdate, pose: Pose | None = None) -> list[Cue]:
        """Feed one frame's motion update; returns the cues to say now."""
        f = u.features
        self.t = t = f.t
        self._in_a_rep = u.phase in IN_A_REP or u.rep is not None
        self._phase, self._rep_from = u.phase, u.rep_from
        if f.present:
            self.last_seen = t
            if f.framing is not None:
                self._views.append((t, f.framing.view == "front"))
        if u.rep is not None:
            self.squats.rep_seen()
        if self._held is not None:
            held = self._held
            if held.set is not None:
                self._sample(held.set, f)
            if u.rep is not None and u.rep.start_s < held.since:
                self._release(t, u.rep)
                u = u._replace(rep=None)  # it was the held rep: nothing for the new state
            elif u.rep is not None or not _begun_before(u.phase, u.rep_from, held.since):
                # none was under way after all (the rep reported began after the change: the
                # new state's), or the tracker dropped it
                self._release(t, None)
        self._say_deferred(t)
        st = self.state
        if st is State.SETUP:
            self._setup_frame(u)
        elif st is State.CALIBRATE:
            self._calibrate_frame(u, pose)
        elif st is State.SET:
            self._set_frame(u)
        elif st is State.REST:
            self._rest_frame(u)
        return self._flush()

    def on_intent(self, t: float, name: str, slots: dict[str, str] | None = None) -> list[Cue]:
        """Feed an intent heard at time ``t`` (the voice issue's ``Intent.name``/``slots``)."""
        self.t = t = max(t, self.t)
        slots = slots or {}
        if name == "start_drill":
            family = slots.get("drill", "hinge")
            family = family if family in FAMILIES else "hinge"
            if self.machine.can("start_drill"):
                self._withdraw_level_news()
                self._set_aside(t)
                self.family = family
                self._fire(t, "start_drill")
        elif name == "pause":
            if self._fire(t, "pause"):
                self._say("ack.hold", urgent=True)
        elif name == "resume":
            if self.machine.can("resume"):
                # the answer first: the state resumed may speak at once ("Stand tall...")
                self._say("ack.back", urgent=True)
                self._fire(t, "resume")
                if self.current is not None:
                    self.current.last_rep_t = t
                self.state_since = t
        elif name == "stop":
            if self.machine.can("stop"):
                self._say("ack.end", urgent=True)
                self._fire(t, "stop")
        elif name in ("next_level", "previous_level"):
            self._change_level(t, +1 if name == "next_level" else -1, by_user=True)
        elif name == "count":
            cur = self.current
            n = cur.reps if cur is not None else self.last_set_reps
            # "{n} reps in this set." is a grammar decoy as written, "1 rep in this set." is not
            # (it was heard as "what can I say"): for one rep, the other two phrasings
            self._say("count.reply" if n else "count.none", urgent=True, n=n,
                      only=(0, 1) if n == 1 else None)
        elif name == "repeat":
            self._repeat(t)
        elif name == "help":
            for line in HELP_LINES:
                self._emit(Cue(t, line, "info", "help", urgent=True))
        elif name == "louder":
            self._say("ack.up", urgent=True)
        elif name == "quieter":
            self._say("ack.down", urgent=True)
        return self._flush()

    def notice(self, t: float, text: str) -> list[Cue]:
        """Say a device notice from the shell (camera lost, storage full...), in turn."""
        self.t = t = max(t, self.t)
        self._emit(Cue(t, text, "info", "notice", urgent=True))
        return self._flush()

    def hear(self, t: float, intent: object) -> list[Cue]:
        """Feed an :class:`hingecoach.audio.intents.Intent` (anything with name and slots)."""
        return self.on_intent(t, str(getattr(intent, "name", "")),
                              dict(getattr(intent, "slots", None) or {}))

    def finish(self, t: float) -> list[Cue]:
        """The input ended: close the set, say the session summary (and everything planned)."""
        self.t = t = max(t, self.t)
        self._fire(t, "end_of_input")
        return self.drain()

    def drain(self) -> list[Cue]:
        """Every cue planned, including level announcements held back until they begin (see
        :meth:`_flush`): for when no frame time will come to release them (the input ended,
        or a live camera is away)."""
        out, self._pending = self._pending, []
        return out

    @property
    def transitions(self) -> list[tuple[float, str, str, str]]:
        return self.machine.log

    # -- state machine listeners --------------------------------------------------------
    def _fire(self, t: float, event: str) -> bool:
        src = self.state
        dst = self.machine.fire(t, event)
        if dst is None:
            return False
        self.state_since = t
        if src is State.IDLE and event == "start_drill":
            self._new_workout()
        if dst is State.SETUP:
            self.setup.reset(t)
            if event == "start_drill":
                self._announce_drill()
        elif dst is State.CALIBRATE:
            self.calibrator.reset()
            self._moved_at = None
            self._setup_say("calibrate.hold")
        elif dst is State.SET and src is not State.PAUSED:
            self._open_set(t)
        elif dst is State.REST:
            self._close_set(t, quiet=False)
        elif dst is State.SUMMARY:
            self._close_set(t, quiet=True)
            if self._held is not None:  # the workout ends before the rep under way
                self._release(t, None)
            self._session_summary()
            self.recorder.session_ended(t)
            self.machine.fire(t, "done")
        return True

    def _new_workout(self) -> None:
        """A drill started out of idle: a new workout, counted and summarised on its own."""
        self.sets_done = 0
        self.squat_dips = 0
        self.last_set_reps = 0
        self.total_reps = 0
        self.total_clean = 0
        self.total_unjudged = 0
        self._numbers_said = {}
        self.wall.reset()  # "five clean reps in a row" does not span two workouts

    def _announce_drill(self) -> None:
        lv = self.level
        self._tell(f"drill.{lv.drill}", lv, target=lv.target_reps, distance=lv.spoken_distance())

    def _tell(self, cue_id: str, level: Level, *, only: tuple[int, ...] | None = None,
              kind: str | None = None, **values: object) -> None:
        """Announce ``level`` (an answer: said whenever the voice is free), remembered until
        it begins, for :meth:`_withdraw_level_news` and the wording of the next one."""
        text = self.phrases.text(cue_id, only=only, **values)
        cue = self._emit(Cue(self.t, text, kind or self.phrases.kind(cue_id), cue_id, None,
                             urgent=True))
        if cue is not None:
            self._telling.append(Told(cue, level, cue_id, only))

    def _told_level(self, family: str) -> Level:
        """The level of ``family`` the user was last told of (or will be, as planned)."""
        for told in reversed(self._telling):
            if told.level.family == family:
                return told.level
        return self._told[family]

    def _last_told(self, family: str) -> Told | None:
        """The last announcement of ``family`` told (or planned), if any."""
        for told in reversed(self._telling):
            if told.level.family == family:
                return told
        return self._told_last.get(family)

    def _told_phrasing(self, family: str) -> tuple[str, tuple[int, ...] | None] | None:
        """(cue id, ``only``) of the last announcement of ``family`` told (or planned)."""
        told = self._last_told(family)
        return (told.cue_id, told.only) if told is not None else None

    def _saying_already(self, level: Level) -> bool:
        """Whether the last line planned is the announcement of ``level`` the user was last
        told of, one that says the level on its own (:data:`SAYS_THE_LEVEL`), or a repeat of
        it. Called once stale level news is withdrawn: everything planned then will be said,
        so that line is playing, or is the last one the user will have heard before anything
        said now. Saying the level again would say it twice in a row."""
        told = self._last_told(level.family)
        if told is None or told.level.index != level.index or not self.scheduler.spoken:
            return False
        if told.cue_id not in SAYS_THE_LEVEL and not told.cue_id.startswith("drill."):
            return False
        last = self.scheduler.spoken[-1].cue
        return last is told.cue or (last.cue_id == "repeat" and last.text == told.cue.text)

    # -- per-state frame handling -------------------------------------------------------
    def _setup_frame(self, u: MotionUpdate) -> None:
        if u.rep is not None:
            self._fire(u.features.t, "early_rep")
            self._rep(u.rep, u.features.t)
            return
        if self.squats.update(u.features):
            self._fire(u.features.t, "early_rep")
            self._squat(u.features.t)
            return
        problem, ready = self.setup.update(u.features)
        if problem is not None and self._speaker_free() and (
                cue := self._setup_say(f"setup.{problem}")):
            self.setup.said(problem, cue.t)
        if ready and u.phase not in IN_A_REP:
            mentioned = self.setup.mentioned_any
            event = "framing_ok_known" if self.calibration else "framing_ok"
            if mentioned:  # said first; still worth saying once the set is under way
                self._deferred.insert(0, ("setup.good", frozenset({State.CALIBRATE, State.SET}),
                                          self.t, {}))
            self._fire(u.features.t, event)

    def _calibrate_frame(self, u: MotionUpdate, pose: Pose | None) -> None:
        t = u.features.t
        if u.rep is not None:
            self._fire(t, "early_rep")
            self._rep(u.rep, t)
            return
        if self.squats.update(u.features):
            self._fire(t, "early_rep")
            self._squat(t)
            return
        if t - self.state_since >= self.s.calibrate_give_up_s:
            self._fire(t, "calibration_skipped")  # busy athlete: coach now, no baseline
            return
        problem, _ = self.setup.update(u.features)
        if problem is not None and problem != "too_dark":
            self._fire(t, "framing_lost")
            if cue := self._setup_say(f"setup.{problem}"):
                self.setup.said(problem, cue.t)
            return
        if not self._speaker_free() or self._deferred:
            self.calibrator.reset()  # measure once the instructions have been heard
            self.state_since = t
            return
        if u.phase in IN_A_REP:  # hinging already: not fidgeting; the rep will start the set
            self.calibrator.reset()
            self._moved_at = None
            return
        status, cal = self.calibrator.update(u.features, pose)
        if status == "moving" and self._moved_at is None:
            self._moved_at = t
        # "hold still" only once the movement has gone on a moment without turning into a
        # rep (the tracker sees a descent only ~0.3 s after the athlete starts to fold)
        if self._moved_at is not None and t - self._moved_at >= self.s.setup_debounce_s:
            self._moved_at = None
            if t - self.state_since > self.s.setup_debounce_s and (
                self.moving_said is None or t - self.moving_said >= self.s.setup_repeat_s
            ):
                self.moving_said = t
                self._setup_say("calibrate.moving")
        if status == "done" and cal is not None:
            self.calibration = cal
            self.recorder.calibrated(cal)
            self._setup_say("calibrate.done")
            self._fire(t, "calibrated")

    def _set_frame(self, u: MotionUpdate) -> None:
        f = u.features
        t = f.t
        cur = self.current
        assert cur is not None
        self._sample(cur, f)
        if u.rep is not None:
            self._rep(u.rep, t)
            return
        if self.squats.update(f):
            self._squat(t)
            return
        away = not f.present and t - self.last_seen >= self.s.away_s
        if away and (self.away_said is None or t - self.away_said >= self.s.setup_repeat_s):
            self.away_said = t
            self._setup_say("setup.come_back")
        if f.present:
            self.away_said = None
        if cur.reps and t - cur.last_rep_t >= self.s.set_idle_end_s and u.phase in (
            Phase.STANDING, Phase.UNKNOWN
        ):
            self._fire(t, "set_idle")

    def _rest_frame(self, u: MotionUpdate) -> None:
        t = u.features.t
        if u.rep is not None:
            self._fire(t, "rep")
            self._rep(u.rep, t)
            return
        if t - self.state_since >= self.s.rest_s:
            self._fire(t, "rest_over")

    # -- sets and reps ------------------------------------------------------------------
    @staticmethod
    def _sample(cur: SetState, f: Features) -> None:
        """Add the frame to the set's 10 Hz angle series."""
        a, t = f.smooth, f.t
        if a is not None and (not cur.series or t - cur.series[-1][0] >= SERIES_STEP_S - 1e-9):
            cur.series.append((round(t, 3), round(a.torso_lean, 1), round(a.hip_flexion, 1),
                               round(a.knee_flexion, 1), round(a.shin_angle, 1)))

    def _open_set(self, t: float) -> None:
        self.sets_done += 1
        lv = self.level
        # while a set is held open for a rep under way, this one is recorded after it closes
        waits = self._held is not None and self._held.set is not None
        self.current = SetState(self.sets_done, lv, t, last_rep_t=t, recorded=not waits)
        self.feedback = RepFeedback(self.s)
        if not waits:
            self.recorder.set_started(t, self.sets_done, lv)
        # Said when the voice is free (after what is queued before it), or at the latest just
        # before the first thing said about one of its reps (:meth:`_offer`); the number is
        # the set's when it is said (a set held open for its last rep may hand its own back).
        self._deferred.append(("set.number", frozenset({State.SET}), t, {}))

    def _close_set(self, t: float, *, quiet: bool) -> None:
        cur = self.current
        if cur is None:
            return
        self.current = None
        self._end_set(cur, t, quiet=quiet)

    def _end_set(self, cur: SetState, t: float, *, quiet: bool) -> None:
        if cur.reps == 0:
            self.sets_done -= 1
            if cur.recorded:
                self.recorder.set_ended(t, 0, 0, cur.series)
            return
        self.recorder.set_ended(t, cur.reps, cur.clean, cur.series)
        self.last_set_reps = cur.reps
        if quiet:
            return
        focus = ""
        if cur.unjudged * 2 >= cur.reps:
            focus = _unchecked(cur.unjudged, cur.reps)
        elif cur.problems:
            # the most frequent; a tie goes to the safer fix (as history does), not the first seen
            top = min(cur.problems.items(), key=lambda kv: (-kv[1], problem_order(kv[0])))
            if top[1] >= 2:
                focus = f" Work on {FOCUS.get(top[0], top[0].replace('_', ' '))}."
        else:
            focus = " All clean, great work."
        self._say("summary.set", urgent=True, reps=cur.reps, clean=cur.clean, focus=focus)

    def _set_aside(self, t: float) -> None:
        """A level or drill change ends the set in progress. A rep under way (begun at the
        old wall, or in the old drill) is kept with the set it was begun in (:class:`Held`)."""
        if self.state is State.IDLE:
            return  # no workout yet: a rep under way is the athlete starting early
        if self._held is None and _begun_before(self._phase, self._rep_from, t):
            keep = self.current if self.state is State.SET else None
            if keep is not None:
                self.current = None
            self._held = Held(keep, t)
        self._close_set(t, quiet=True)  # the set in progress, unless kept for its last rep

    def _release(self, t: float, rep: Rep | None) -> None:
        """The rep under way at a change ended (``rep``) or was dropped (None)."""
        held, self._held = self._held, None
        if held is None or held.set is None:
            return  # no set was being counted at the change: the rep is nobody's
        kept = held.set
        counted = rep is not None and self.state is not State.PAUSED  # reps on hold are not
        if counted:
            self._count(kept, rep, t)  # type: ignore[arg-type]
        # with no rep of its own after the change, the kept set ended, and the next began, then
        end = t if counted else held.since
        self._end_set(kept, end, quiet=True)  # its summary was dropped at the change, as before
        cur = self.current
        if cur is not None and not cur.recorded:  # the set opened at the change starts now
            if kept.reps == 0:  # the kept set was dropped (no reps): this one takes its number
                cur.number = self.sets_done
            if counted:
                cur.started = cur.last_rep_t = t
                cur.series = []
            cur.recorded = True
            self.recorder.set_started(cur.started, cur.number, cur.level)

    def _count(self, cur: SetState, rep: Rep, t: float) -> tuple[tuple[str, ...], bool]:
        """Judge ``rep`` at ``cur``'s level, count it and record it: (problems, side-on)."""
        side_on = self._side_on(rep)
        # Filmed from the front or at an angle, the side-view angles mean something else (a
        # "rounded back" that is not there): the rep is counted, never judged (as `analyze`).
        problems = judge_rep(rep, cur.level, self.s) if side_on else ()
        faults = tuple(p for p in problems if p not in FLAGS)
        flags = tuple(p for p in problems if p in FLAGS) if side_on else (NOT_SIDE_ON,)
        cur.reps += 1
        cur.last_rep_t = t
        self.total_reps += 1
        self.reps_coached += 1
        clean = side_on and not problems
        if clean:
            cur.clean += 1
            self.total_clean += 1
        if not side_on:
            cur.unjudged += 1
            self.total_unjudged += 1
        for p in problems:
            cur.problems[p] = cur.problems.get(p, 0) + 1
        self.recorder.rep_done(t, cur.reps, rep, faults, flags, cur.series)
        return problems, side_on

    def _rep(self, rep: Rep, t: float) -> None:
        cur = self.current
        if cur is None:
            return
        lv = cur.level
        problems, side_on = self._count(cur, rep, t)
        clean = side_on and not problems
        # nothing judged, nothing to correct or praise: a reminder to turn, as often as a correction
        cands = self.feedback.candidates(t, problems, lv.target_reps) if side_on else []
        if not side_on:
            if self.facing_said is None or t - self.facing_said >= self.s.correction_repeat_s:
                self.facing_said = t
                self._setup_say("setup.facing")
        elif lv.family == "wall" and lv.drill == "wall":
            step = self.wall.update(clean)
            if step:
                # earned by this set's reps: the set is named first, even when this rep, begun
                # in the rest, is its only one (it was closed unnamed and the next one skipped it)
                self._name_first(t, urgent=True)
                self._change_level(t, step, by_user=False)
                return
        if cur.reps >= lv.target_reps:
            self._fire(t, "target_reached")
            return
        self._offer(t, cands)
        self.feedback.expire()

    def _side_on(self, rep: Rep) -> bool:
        """Most of the rep's frames were filmed side-on (no framing seen: assume so)."""
        during = [front for t, front in self._views if rep.start_s - 1e-6 <= t <= rep.end_s + 1e-6]
        return not during or sum(during) * 2 < len(during)

    def _squat(self, t: float) -> None:
        """A knee-dominant dip that never became a rep: the hinge turned into a squat."""
        self.squat_dips += 1
        if self.current is not None:
            self._offer(t, self.feedback.squat_candidates(t))

    def _offer(self, t: float, cands: list[Candidate]) -> None:
        if not cands:
            return
        best = cands[0]
        # Nothing about a set's reps before its number: a set begun by a rep whose first rep
        # earns a correction hears "Set 2." and then the correction (which may begin that much
        # later). Its number used to be dropped instead, so the numbers heard jumped (1, then 5).
        number = self._name_first(t)
        max_delay = None
        if number is not None:
            max_delay = self.s.max_cue_delay_s + self.scheduler.duration(number.text)
        values = dict(best.values)
        text = self.phrases.text(self._variant(best.cue_id), **values)
        cue = Cue(t, text, self.phrases.kind(best.cue_id), best.cue_id, best.fault,
                  best.priority, max_delay_s=max_delay)
        said = self.scheduler.offer([cue])
        if said:
            self.feedback.said(t, best)
            self._pending.extend(said)

    def _variant(self, cue_id: str) -> str:
        """A drill-specific phrasing of a correction when the catalogue has one."""
        drill = self.level.drill
        special = f"{cue_id}:{drill}"
        return special if self.phrases.has(special) else cue_id

    def _change_level(self, t: float, step: int, *, by_user: bool) -> None:
        old = self.level
        new = old.moved(step)
        if new.index == old.index:
            if by_user:
                self._tell("level.top" if step > 0 else "level.bottom", new)
            return
        self._withdraw_level_news()
        # a set in progress, or paused, ends: the reps after it are at the new level (a paused
        # set used to go on at the old one after 'resume')
        in_set = self.current is not None
        back = self._back_to_held(t, new)
        if not back:
            self._set_aside(t)  # a rep under way stays with the set, and the level, it was begun in
        self.levels[self.family] = new
        self.wall.reset()
        self.recorder.level_changed(new)
        self._announce_level(new, by_user=by_user)
        if in_set and not back:
            self._open_set(t)

    def _back_to_held(self, t: float, new: Level) -> bool:
        """Back at the level of the set held open for the rep under way (next level and
        previous level while it goes on): that set goes on, and the sets opened in between,
        which can have no rep (the hold closes them first), are dropped. The rep and the set
        were said nothing about yet: "Set 1.", "8 inches", "12 inches" was followed by "Set 3."
        (a set 2 at 12 inches, unnamed, holding that one rep), and history had it too."""
        held = self._held
        if (held is None or held.set is None or self.state is not State.SET
                or (held.set.level.family, held.set.level.index) != (new.family, new.index)):
            return False
        self._close_set(t, quiet=True)  # no rep: dropped, and its number given back
        self.current, self._held = held.set, None
        return True

    def _announce_level(self, new: Level, *, by_user: bool) -> None:
        """Say the new level, worded against the one the user was last told of: an
        announcement withdrawn was never heard ("8 inches", then 'next level' three times and
        'previous level' before the voice was free: "12 inches" is further, not "back to the
        wall" from a "no wall" never said).

        Back at the level the user was last told of (up and straight back down, before the
        voice was free to say the step), no move is announced: the drill's line says which
        level that is, unless the line telling it is the one playing, or the last one queued
        (:meth:`_saying_already`): then nothing more is said. 'previous level' and 'next
        level' while "Dowel hinge. Stick on your head..." played said the dowel hinge's line
        again right after it, and the same during a step ("Time for a bigger reach. Heels 8
        inches...", then "Wall drill. Heels 8 inches from the wall...")."""
        told = self._told_level(new.family)
        values = {"distance": new.spoken_distance(), "target": new.target_reps}
        if new.index == told.index:  # back where they were told they are: say what that is
            if not self._saying_already(new):
                self._tell(f"drill.{new.drill}", new, kind="progression", **values)
            return
        up = new.index > told.index
        if new.family == "wall":
            if new.drill == "no_wall":
                cue = "wall.none"
            elif told.drill == "no_wall":
                cue = "wall.return"
            else:
                cue = "wall.further" if up else "wall.closer"
            only = UNEARNED.get(cue) if by_user else None
            again = UNEARNED_AGAIN.get(cue) if by_user else None
            if again is not None and self._told_phrasing(new.family) == (cue, only):
                self._tell(again, new, kind=self.phrases.kind(cue), **values)  # not the same opener twice
            else:
                self._tell(cue, new, only=only, **values)
        else:
            self._tell("level.up" if up else "level.down", new, drill=DRILL_NAMES[new.drill])
            self._announce_drill()

    def _session_summary(self) -> None:
        if self.total_reps == 0:
            self._say("summary.squats" if self.squat_dips else "summary.empty", urgent=True)
            return
        lv = self.level
        if lv.family == "wall":
            if lv.drill != "wall":
                saved = " You're hinging without the wall now."
            elif getattr(self.recorder, "saving", True):
                saved = f" Your wall distance, {lv.spoken_distance()}, is saved."
            else:  # history off, or storage trouble: nothing is kept for next time
                saved = f" Your wall distance is {lv.spoken_distance()}."
        else:
            saved = f" You're on the {DRILL_NAMES[lv.drill]}."
        if self.total_unjudged * 2 >= self.total_reps:  # e.g. a clip that ends mid-set
            saved = _unchecked(self.total_unjudged, self.total_reps) + saved
        self._say("summary.session", urgent=True, sets=count_of(self.sets_done, "set"), reps=self.total_reps,
                  clean=self.total_clean, saved=saved)

    # -- saying things ------------------------------------------------------------------
    def _say(self, cue_id: str, *, urgent: bool = False, priority: int = 50,
             max_delay_s: float | None = None, only: tuple[int, ...] | None = None,
             **values: object) -> Cue | None:
        text = self.phrases.text(cue_id, only=only, **values)
        return self._emit(Cue(self.t, text, self.phrases.kind(cue_id), cue_id, None, priority,
                              urgent, max_delay_s))

    def _setup_say(self, cue_id: str, **values: object) -> Cue | None:
        """Setup-flow instructions. When the speaker is busy the instruction waits, in order,
        and is said once the speaker is free, if the session is still in the same state and
        the instruction is not older than ``setup_cue_delay_s``; otherwise it is dropped."""
        if self._speaker_free() and not self._deferred:
            return self._say(cue_id, priority=80, **values)
        self._deferred = [d for d in self._deferred if d[0] != cue_id]
        self._deferred.append((cue_id, frozenset({self.state}), self.t, values))
        return None

    def _speaker_free(self) -> bool:
        return self.scheduler.busy_until <= self.t

    def _say_deferred(self, t: float) -> None:
        while self._deferred and self._speaker_free():
            cue_id, states, since, values = self._deferred[0]
            due = self.state in states and t - since <= self.s.setup_cue_delay_s
            if due and cue_id.startswith("calibrate.") and self._in_a_rep:
                break  # not "stand tall and still" mid-rep: wait; a counted rep starts the set
            if cue_id == "set.number":
                # The current set's number, however long the voice was busy: it goes stale only
                # when the set is over or named already (a set never named made the numbers
                # heard jump). Paused, it waits for 'resume'.
                cur = self.current
                if cur is not None and not cur.named and self.state is State.PAUSED:
                    break
                if self._held is not None and self._held.set is not None:
                    break  # its number is only sure once the set held for its last rep is closed
                self._deferred.pop(0)
                if cur is not None and not cur.named and self.state is State.SET:
                    self._name_set(cur)
                continue
            self._deferred.pop(0)
            if due:
                self._say(cue_id, priority=80, **values)

    def _repeat(self, t: float) -> None:
        """A repeat request ("say that again"): the last line the user heard, i.e. the last one
        begun by ``t`` (:meth:`CueScheduler.heard`), said again as an answer once the voice is
        free. Not the last one planned: that may be queued behind the line playing, unheard, or
        be a level announcement held back that a newer change withdraws (a 'repeat' said "Heels
        8 inches" before "8 inches" was ever heard, and after 'previous level' had withdrawn
        it). A line still playing is said again after it ends: whoever asks while it plays has
        talked over it. With nothing heard yet there is nothing to say again and the coach
        stays quiet (what is planned will be heard anyway; the help line would answer a
        question not asked). A line begun is never withdrawn: what is repeated stays said.

        A level or drill announcement said again is level news itself: a newer change withdraws
        it, as it would the announcement, if it has not begun. With a newer one planned
        already, it is not said again at all: it would come after that one, about a level
        given up ("Step in to 6 inches.", "That's the first level already.", then the repeat
        of "Wall drill. Heels 10 inches...", heard before them)."""
        heard = self.scheduler.heard(t)
        if heard is None:
            return
        news = self._is_news(heard)
        if news and any(told.cue.t > t for told in self._telling):
            return
        cue = self._emit(Cue(t, heard.text, "info", "repeat", urgent=True))
        if news and cue is not None:
            self._news_repeats[id(cue)] = cue

    def _is_news(self, cue: Cue) -> bool:
        """A level or drill announcement, or a repeat of one (what a newer change makes stale)."""
        return _is_level_news(cue) or id(cue) in self._news_repeats

    def _name_first(self, t: float, *, urgent: bool = False) -> Cue | None:
        """Before something is said about the set's reps: its number, if it has not been said.
        Before an ``urgent`` cue (said whenever the voice is free) it goes just ahead of it;
        before another, only if the voice is free within ``max_cue_delay_s`` (else both wait
        their turn: the number is said when the voice is free)."""
        cur = self.current
        if (cur is not None and not cur.named and self.state is State.SET
                and (self._held is None or self._held.set is None)
                and (urgent or self.scheduler.busy_until - t <= self.s.max_cue_delay_s)):
            return self._name_set(cur, urgent=urgent)
        return None

    def _name_set(self, cur: SetState, *, urgent: bool = False) -> Cue | None:
        """Say the set's number: "Set 3, when you're ready." before its first rep, "Set 3." or
        "Here's set 3." once it is under way. A set named and given up before its first rep
        (a drill or level change) was no set: the next one takes its number and is named
        again, as the set the user does, but not with the same words (it sounded like a
        repeat: "Here's set 3." twice, for a wall set never done and then the free hinges)."""
        only = SET_NUMBER_UNDER_WAY if cur.reps else None
        before = self._numbers_said.get(cur.number)
        if before is not None:
            said = self.phrases.phrasings("set.number")
            pool = only if only is not None else tuple(range(len(said)))
            only = tuple(i for i in pool if said[i].format(n=cur.number) != before) or only
        cue = self._say("set.number", priority=80, only=only, urgent=urgent, n=cur.number)
        if cue is not None:
            cur.named = True
            self._numbers_said[cur.number] = cue.text
        return cue

    def _emit(self, cue: Cue) -> Cue | None:
        said = self.scheduler.offer([cue])
        self._pending.extend(said)
        return said[0] if said else None

    def _flush(self) -> list[Cue]:
        """The cues planned to begin by now, in order. A level or drill announcement planned
        for later is held back until it begins, and with it whatever is planned after it (the
        order of the voice): a newer change can still take it back (:meth:`_withdraw_level_news`),
        so it is never handed to the speaker, or written to the transcript, unsaid."""
        for i, cue in enumerate(self._pending):
            if cue.t > self.t and self._is_news(cue):
                out, self._pending = self._pending[:i], self._pending[i:]
                return out
        return self.drain()

    def _withdraw_level_news(self) -> None:
        """A level or drill change makes the level and drill announcements not yet begun stale
        ("next level" three times in two seconds: the two levels passed are not announced, and
        the last is heard as soon as the line playing ends, never cut off), and a "that's the
        top level" waiting behind them. What the user was told is what was not withdrawn, and
        the phrasings withdrawn go back into rotation."""
        for told in self._telling:
            if told.cue.t <= self.t:  # begun: heard
                self._told[told.level.family] = told.level
                self._told_last[told.level.family] = told
        self._telling = [told for told in self._telling if told.cue.t > self.t]
        stale = [c for c in self._pending if c.t > self.t and self._is_news(c)]
        if stale:
            first = next(i for i, c in enumerate(self._pending) if c is stale[0])
            self._pending = self._pending[:first] + self.scheduler.withdraw(stale, self.t)
            gone = {id(c) for c in stale}
            for told in reversed(self._telling):
                if id(told.cue) in gone:
                    self.phrases.untake(told.cue_id, only=told.only)
            self._telling = [told for told in self._telling if id(told.cue) not in gone]
