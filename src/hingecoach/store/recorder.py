"""StoreRecorder: the coach's :class:`~hingecoach.coach.coach.Recorder` backed by SQLite.

Maps the coach's events onto rows: one session per workout (from the first set after a
drill was started out of idle to the spoken summary; an always-on service records many in
one run), a set row when a set opens, one committed transaction per completed rep, the
level saved whenever it changes.

A write that finds the database locked by another program (the store's guard raises
:class:`~hingecoach.errors.StorageBusy`; nothing was written) is kept, in order, with every
write after it. For :data:`RETRY_AFTER_S` after that, new writes are only kept (the rep, set
end, level and set start of one frame cost one wait, not four); then the next event (a rep,
a set's end, a level, the session's end) tries them all again, and between workouts
:meth:`StoreRecorder.tick` does every :data:`IDLE_RETRY_S`. Those tries are made without
waiting for the lock (SQLite's busy timeout 0: a lock still held costs the frame loop a
fraction of a millisecond, where waiting :data:`WRITE_WAIT_S` stalled pose tracking and cues
a quarter of a second at every try); only the first write to meet a lock waits for it, and
:meth:`StoreRecorder.close` gives them one last, bounded, wait.
:meth:`StoreRecorder.unsaved` says what is still waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from hingecoach.coach.drills import Level
from hingecoach.coach.setup import Calibration
from hingecoach.errors import StorageBusy
from hingecoach.motion.types import Rep
from hingecoach.store.db import BUSY_TIMEOUT_S, Store, User, utc_now

WRITE_WAIT_S = 0.25
"""How long a write made during a session (the user's row at the start, a session, a set,
a rep, a set's end, a level, the session's end) waits for another program's lock before it
is kept for later, when no write has met a lock since the last one got through. Those writes
are made on the frame loop, so this is the longest that pose tracking and cues can stall for
a lock, once per lock: the writes tried again while it is known to be held do not wait for
it at all. Only :meth:`StoreRecorder.close` waits longer (the store's ``busy_timeout_s``,
10 s, or what the caller allows), once, when the run is over."""

RETRY_AFTER_S = 1.0
"""After a write met the lock, the writes asked for within this many seconds are kept
without trying (one stall per burst of writes, however many the frame makes)."""

IDLE_RETRY_S = 5.0
"""Between workouts (no session open), :meth:`StoreRecorder.tick` tries the waiting writes
again this long after the last try met the lock."""


@dataclass(frozen=True)
class _Write:
    """One write the coach asked for, made when it can be."""

    what: str  # "set", "rep", "set_end", "level", "calibration", "session", "session_end", "user"
    run: Callable[[], object]
    set_no: int = 0
    rep_no: int = 0
    label: str = ""
    set_key: int = 0  # which set: a number is given again after an empty set is dropped


class StoreRecorder:
    """Writes the coaching sessions (workouts) of ``user`` to ``store`` as they happen.

    The coach's frame loop makes these writes, so from the start each waits at most
    :data:`WRITE_WAIT_S` for another program's lock (the store's lock wait is set to it),
    none is tried for :data:`RETRY_AFTER_S` after one met it, and the tries after that do
    not wait at all until the lock has cleared; only :meth:`close` waits longer, once.
    ``clock``: monotonic seconds (tests inject one).

    Attributes:
        session_id: the session being written, or the last one written (None before the
            first set).
        session_ids: every session this recorder started, oldest first.
    """

    def __init__(self, store: Store, user: User, source: str | None,
                 now: Callable[[], str] = utc_now, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.user = user
        self.now = now
        self.clock = clock
        self._met_lock_at: float | None = None  # when a write last found the database locked
        self._sets = 0  # sets started, for _Write.set_key
        self.source = source
        # A session row is written when its first set starts: a workout in which no set was
        # ever started (or a run that failed on start-up) leaves no empty session behind.
        self.session_id: int | None = None
        self.session_ids: list[int] = []
        self._open = False  # a session has been started and not ended (written or waiting)
        # The calibration in force: a later workout of the same run is not calibrated
        # again (the coach keeps its baseline), so its session carries this one.
        self._calibration: dict[str, object] | None = None
        self.set_id: int | None = None
        self._set_no: int | None = None  # the set the coach has open (written or waiting)
        self._pending: list[_Write] = []  # writes a lock kept out of the database, oldest first
        store.wait_for_locks(WRITE_WAIT_S)  # from here on the frame loop makes the writes

    @property
    def saving(self) -> bool:
        """Whether progress is still being written (storage trouble stops it: RecordingGuard)
        and nothing is waiting for a lock to clear."""
        return bool(getattr(self.store, "recording", True)) and not self._pending

    # -- writing, or keeping for later -----------------------------------------------------
    def _write(self, write: _Write) -> None:
        self._pending.append(write)
        if self._met_lock_at is None:
            self.flush()
        elif self.clock() - self._met_lock_at >= RETRY_AFTER_S:
            self.flush(wait_s=0.0)  # the lock is known: try, but do not wait for it

    def flush(self, *, wait_s: float | None = None) -> bool:
        """Make the waiting writes, oldest first, until one finds the database still locked
        (it and the ones after it keep waiting). The one that meets the lock waits
        :data:`WRITE_WAIT_S` for it, or, given ``wait_s``, what is left of ``wait_s`` (the
        whole flush waits no longer than that; 0: not at all). True when nothing waits."""
        deadline = None if wait_s is None else self.clock() + wait_s
        try:
            while self._pending:
                if deadline is not None:
                    self.store.wait_for_locks(max(0.0, deadline - self.clock()))
                try:
                    self._pending[0].run()
                except StorageBusy:
                    self._met_lock_at = self.clock()
                    return False
                self._pending.pop(0)
        finally:
            if deadline is not None:
                self.store.wait_for_locks(WRITE_WAIT_S)
        self._met_lock_at = None
        return True

    def tick(self) -> None:
        """Called once a frame by the run loop: between workouts, writes still waiting for a
        lock are tried again every :data:`IDLE_RETRY_S`, without waiting for the lock (the
        frame loop goes on at once when it is still held), so they do not wait for the next
        workout; during one, its own writes try them."""
        if (self._pending and not self._open and self._met_lock_at is not None
                and self.clock() - self._met_lock_at >= IDLE_RETRY_S):
            self.flush(wait_s=0.0)

    def unsaved(self) -> str:
        """What is still waiting for the lock, in words, one part per set or other write,
        oldest first, parts apart by semicolons ("the session; all of set 1 (reps 1-6);
        reps 4-6 and the end of set 2; the level reached (wall at 8 inches); the end of the
        session"), or "" when everything was written. The removal of an empty set (the
        coach drops a set that got no rep) is no progress and goes unsaid."""
        parts: list[str | dict[str, object]] = []
        sets: dict[int, dict[str, object]] = {}
        for w in self._pending:
            if w.what not in ("set", "rep", "set_end"):
                parts.append(w.label)
                continue
            if w.what == "set_end" and not w.label:
                continue
            if w.set_key not in sets:
                sets[w.set_key] = {"no": w.set_no, "start": False, "reps": [], "end": False}
                parts.append(sets[w.set_key])
            group = sets[w.set_key]
            if w.what == "rep":
                group["reps"].append(w.rep_no)  # type: ignore[attr-defined]
            else:
                group["start" if w.what == "set" else "end"] = True
        return "; ".join(p if isinstance(p, str) else _set_in_words(**p) for p in parts)

    def save_user(self, units: str | None) -> None:
        """Write the user's row (created on first use; ``units`` saved) with the first write
        that gets through: for when it could not be written at start (a lock)."""
        def run() -> None:
            user = self.store.user(self.user.name, units)
            if user is not None:
                self.user = user

        # it has just met the lock: kept, not tried again in the same breath
        self._met_lock_at = self.clock()
        self._write(_Write("user", run, label=f"the user {self.user.name}"))

    # -- the coach's events ----------------------------------------------------------------
    def _session(self) -> None:
        if self._open:
            return
        self._open = True
        at, calibration = self.now(), self._calibration

        started = False

        def run() -> None:
            nonlocal started
            if not started:  # tried again after its calibration met the lock: not twice
                self.session_id = self.store.start_session(self.user.id, self.source, at)
                started = True
                if self.session_id is not None:  # None: recording stopped (full disk)
                    self.session_ids.append(self.session_id)
            if self.session_id is not None and calibration is not None:
                self.store.set_calibration(self.session_id, calibration)

        # made with the set that opens it (one wait for a lock, not two, in that frame)
        self._pending.append(_Write("session", run, label="the session"))

    def calibrated(self, cal: Calibration) -> None:
        self._calibration = calibration = cal.to_json()
        if self._open:
            def run() -> None:
                if self.session_id is not None:
                    self.store.set_calibration(self.session_id, calibration)

            self._write(_Write("calibration", run, label="the calibration"))

    def set_started(self, t: float, set_no: int, level: Level) -> None:
        self._session()
        self._set_no = set_no
        self._sets += 1

        def run() -> None:
            self.set_id = self.store.start_set(self.session_id, set_no, level.family, level.drill,
                                               level.index, level.wall_cm, level.units, t)

        self._write(_Write("set", run, set_no, label=f"set {set_no}", set_key=self._sets))

    def rep_done(self, t: float, rep_no: int, rep: Rep, faults: tuple[str, ...],
                 flags: tuple[str, ...], series: list[tuple[float, ...]]) -> None:
        if self._set_no is None:
            return
        rows = list(series)  # the coach's list grows after this rep: keep it as it is now

        def run() -> None:
            if self.set_id is not None:
                self.store.add_rep(self.set_id, rep_no, rep, faults, flags, rows)

        self._write(_Write("rep", run, self._set_no, rep_no, set_key=self._sets))

    def set_ended(self, t: float, reps: int, clean: int, series: list[tuple[float, ...]]) -> None:
        if self._set_no is None:
            return
        set_no, rows = self._set_no, list(series)
        self._set_no = None
        key = self._sets
        if reps == 0 and any(w.what == "set" and w.set_key == key for w in self._pending):
            # an empty set never written: it and its removal cancel out
            self._pending = [w for w in self._pending if w.set_key != key]
            return

        def run() -> None:
            if self.set_id is None:
                return
            if reps == 0:
                self.store.delete_set(self.set_id)
            else:
                self.store.end_set(self.set_id, t, rows)
            self.set_id = None

        # (the removal of an empty set is no progress: unsaid in unsaved())
        self._write(_Write("set_end", run, set_no, label=f"the end of set {set_no}" if reps else "",
                           set_key=key))

    def level_changed(self, level: Level) -> None:
        at = self.now()
        where = f" at {level.spoken_distance()}" if level.wall_distance is not None else ""
        self._write(_Write("level", lambda: self.store.save_level(
            self.user.id, level.family, level.index, level.drill, level.wall_cm, at),
            label=f"the level reached ({level.drill.replace('_', ' ')}{where})"))

    def session_ended(self, t: float) -> None:
        """The workout's summary is being said: its session is complete; the next set opens
        a new one. Written like any other write (the summary is never held up by a lock:
        what waits is tried again by :meth:`tick` and :meth:`close`)."""
        if self._open:
            self._write(self._session_end())

    def _session_end(self) -> _Write:
        self._open = False
        at = self.now()

        def run() -> None:
            if self.session_id is not None:
                self.store.end_session(self.session_id, at)

        return _Write("session_end", run, label="the end of the session")

    def close(self, wait_s: float | None = None) -> None:
        """The run is over: end a session still open (the coach normally ended it) and make
        the writes still waiting for a lock, waiting for it ``wait_s`` in all (default: the
        store's ``busy_timeout_s``), once (:meth:`unsaved` says what was not written)."""
        if self._open:
            self._pending.append(self._session_end())
        if self._pending:
            if wait_s is None:
                wait_s = getattr(self.store, "busy_timeout_s", None)
            self.flush(wait_s=wait_s if isinstance(wait_s, (int, float)) else BUSY_TIMEOUT_S)


def _reps_in_words(reps: list[int]) -> str:
    """"rep 4", "reps 4-6" (runs apart by commas, should there be gaps)."""
    runs: list[list[int]] = []
    for n in reps:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    spans = [str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs]
    return ("rep " if len(reps) == 1 else "reps ") + ", ".join(spans)


def _set_in_words(no: int, start: bool, reps: list[int], end: bool) -> str:
    """One set's waiting writes: "all of set 3 (reps 1-9)", "set 3 so far (reps 1-4)", "the
    start of set 3", "reps 4-9 and the end of set 3", "reps 4-6 of set 3", "the end of set 3"."""
    done = f" ({_reps_in_words(reps)})" if reps else ""
    if start:
        if end:
            return f"all of set {no}{done}"
        return f"set {no} so far{done}" if reps else f"the start of set {no}"
    what = [_reps_in_words(reps)] if reps else []
    if end:
        what.append("the end")
    return f"{' and '.join(what)} of set {no}"
