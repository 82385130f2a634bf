"""StoreRecorder: the coach's :class:`~hingecoach.coach.coach.Recorder` backed by SQLite.

Maps the coach's events onto rows: one session per workout (from the first set after a
drill was started out of idle to the spoken summary; an always-on service records many in
one run), a set row when a set opens, one committed transaction per completed rep, the
level saved whenever it changes.
"""

from __future__ import annotations

from collections.abc import Callable

from hingecoach.coach.drills import Level
from hingecoach.coach.setup import Calibration
from hingecoach.motion.types import Rep
from hingecoach.store.db import Store, User, utc_now


class StoreRecorder:
    """Writes the coaching sessions (workouts) of ``user`` to ``store`` as they happen.

    Attributes:
        session_id: the session being written, or the last one written (None before the
            first set).
        session_ids: every session this recorder started, oldest first.
    """

    def __init__(self, store: Store, user: User, source: str | None,
                 now: Callable[[], str] = utc_now) -> None:
        self.store = store
        self.user = user
        self.now = now
        self.source = source
        # A session row is written when its first set starts: a workout in which no set was
        # ever started (or a run that failed on start-up) leaves no empty session behind.
        self.session_id: int | None = None
        self.session_ids: list[int] = []
        self._open = False  # session_id is still being written
        # The calibration in force: a later workout of the same run is not calibrated
        # again (the coach keeps its baseline), so its session carries this one.
        self._calibration: dict[str, object] | None = None
        self.set_id: int | None = None

    @property
    def saving(self) -> bool:
        """Whether progress is still being written (storage trouble stops it: RecordingGuard)."""
        return bool(getattr(self.store, "recording", True))

    def _session(self) -> int | None:
        if not self._open:
            self.session_id = self.store.start_session(self.user.id, self.source, self.now())
            self._open = True
            if self.session_id is not None:  # None: recording stopped (full disk)
                self.session_ids.append(self.session_id)
                if self._calibration is not None:
                    self.store.set_calibration(self.session_id, self._calibration)
        return self.session_id

    def calibrated(self, cal: Calibration) -> None:
        self._calibration = cal.to_json()
        if self._open and self.session_id is not None:
            self.store.set_calibration(self.session_id, self._calibration)

    def set_started(self, t: float, set_no: int, level: Level) -> None:
        self.set_id = self.store.start_set(self._session(), set_no, level.family, level.drill,
                                           level.index, level.wall_cm, level.units, t)

    def rep_done(self, t: float, rep_no: int, rep: Rep, faults: tuple[str, ...],
                 flags: tuple[str, ...], series: list[tuple[float, ...]]) -> None:
        if self.set_id is not None:
            self.store.add_rep(self.set_id, rep_no, rep, faults, flags, series)

    def set_ended(self, t: float, reps: int, clean: int, series: list[tuple[float, ...]]) -> None:
        if self.set_id is None:
            return
        if reps == 0:
            self.store.delete_set(self.set_id)
        else:
            self.store.end_set(self.set_id, t, series)
        self.set_id = None

    def level_changed(self, level: Level) -> None:
        self.store.save_level(self.user.id, level.family, level.index, level.drill,
                              level.wall_cm, self.now())

    def session_ended(self, t: float) -> None:
        """The workout's summary was said: its session is complete; the next set opens a new one."""
        if self._open and self.session_id is not None:
            self.store.end_session(self.session_id, self.now())
        self._open = False

    def close(self) -> None:
        """The run is over: end a session still open (the coach normally ended it)."""
        self.session_ended(0.0)
