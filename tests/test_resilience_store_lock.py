"""Another program keeps the progress database locked (an open ``sqlite3`` shell with a
write transaction, a second hingecoach): saving waits, it is said once, coaching goes on,
and nothing the user did is lost. The lock is real, held by another process
(``storekit.write_lock``); the busy timeout is a fraction of a second instead of 10 s."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from coachkit import make_rep
from hingecoach.coach.drills import Level
from hingecoach.errors import StorageBusy, StorageError
from hingecoach.resilience import NOTICES, RecordingGuard, storage_trouble
from hingecoach.store.db import Store, User
from hingecoach.store.recorder import IDLE_RETRY_S, RETRY_AFTER_S, StoreRecorder
from storekit import write_lock

WAIT_S = 0.2
"""The busy timeout in these tests (the product waits 10 s)."""


class Clock:
    """The recorder's monotonic clock, moved on by the test: after a write met the lock,
    nothing is tried again until RETRY_AFTER_S later."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t

    def later(self, seconds: float = RETRY_AFTER_S) -> None:
        self.t += seconds


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A progress database with the user sam in it, closed."""
    path = tmp_path / "hingecoach.db"
    with Store(path) as st:
        st.user("sam")
    return path


def guarded(path: Path, heard: list) -> RecordingGuard:
    """The store as `hingecoach run` opens it, with a short busy timeout."""
    return RecordingGuard.open(lambda: Store(path, busy_timeout_s=WAIT_S), on_event=heard.append,
                               where=path, passthrough=("levels", "close"))


def reps_in(path: Path) -> list[tuple[int, int]]:
    """(set number, rep number) of every rep in the database, in the order written."""
    c = sqlite3.connect(path)
    try:
        return c.execute("SELECT sets.number, reps.number FROM reps JOIN sets ON sets.id = "
                         "reps.set_id ORDER BY reps.id").fetchall()
    finally:
        c.close()


def rep(recorder: StoreRecorder, n: int, series: list | None = None) -> None:
    recorder.rep_done(2.0 * n, n, make_rep(n, 2.0 * n, 1.8), (), (), series or [(0.1 * n, 1.0, 2.0, 3.0, 4.0)])


def test_sqlites_busy_error_is_a_lock_not_damage(db: Path) -> None:
    with write_lock(db), pytest.raises(sqlite3.OperationalError) as err:
        c = sqlite3.connect(db, isolation_level=None, timeout=WAIT_S)
        try:
            c.execute("BEGIN IMMEDIATE")
        finally:
            c.close()
    assert storage_trouble(err.value) == "locked"


@pytest.mark.parametrize("how", ["IMMEDIATE", "EXCLUSIVE"])
def test_a_lock_delays_the_reps_which_are_written_in_order_once_it_clears(how: str, db: Path) -> None:
    """`run` ended in `sqlite3.OperationalError: database is locked` with a traceback after
    waiting 10 s, and the reps were lost."""
    heard: list = []
    store = guarded(db, heard)
    clock = Clock()
    recorder = StoreRecorder(store, store.user("sam"), "sim", clock=clock)
    recorder.set_started(1.0, 1, Level("hinge", 1))
    rep(recorder, 1)
    with write_lock(db, how):
        rep(recorder, 2)                  # waits briefly, then is kept
        clock.later()
        rep(recorder, 3)                  # tried again (briefly), kept behind rep 2
        assert recorder.unsaved() == "reps 2-3 of set 1"
        assert not recorder.saving        # the summary must not say "is saved"
        assert store.recording            # a lock stops nothing
    assert [(e.kind, e.reason) for e in heard] == [("recording_delayed", "locked")]
    assert heard[0].notice == NOTICES["recording_delayed"]
    assert "database is locked" in heard[0].detail
    assert reps_in(db) == [(1, 1)]
    clock.later()
    rep(recorder, 4)                      # the lock has cleared: 2, 3 and 4 go in, in order
    assert reps_in(db) == [(1, 1), (1, 2), (1, 3), (1, 4)]
    assert recorder.unsaved() == "" and recorder.saving
    recorder.set_ended(9.0, 4, 4, [(0.1, 1.0, 2.0, 3.0, 4.0)])
    recorder.close()
    store.close()
    c = sqlite3.connect(db)
    assert c.execute("SELECT reps, end_s FROM sets").fetchall() == [(4, 9.0)]
    assert c.execute("SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL").fetchone() == (1,)
    c.close()


def test_the_notice_is_given_once_however_often_the_lock_comes_back(db: Path) -> None:
    heard: list = []
    store = guarded(db, heard)
    clock = Clock()
    recorder = StoreRecorder(store, store.user("sam"), "sim", clock=clock)
    recorder.set_started(1.0, 1, Level("hinge", 1))
    for n in (1, 3):
        with write_lock(db):
            rep(recorder, n)
        clock.later()
        rep(recorder, n + 1)
    assert reps_in(db) == [(1, 1), (1, 2), (1, 3), (1, 4)]
    assert [e.kind for e in heard] == ["recording_delayed"] and store.delayed == 2
    store.close()


def test_a_waiting_rep_keeps_the_angle_series_it_had_when_it_was_done(db: Path) -> None:
    """The coach keeps appending to the set's series after a rep: a rep written late must
    not take the later samples with it."""
    store = guarded(db, [])
    recorder = StoreRecorder(store, store.user("sam"), "sim")
    recorder.set_started(1.0, 1, Level("hinge", 1))
    series = [(0.1, 1.0, 2.0, 3.0, 4.0)]
    with write_lock(db):
        rep(recorder, 1, series)
        series.append((0.2, 5.0, 6.0, 7.0, 8.0))
    assert recorder.flush()
    c = sqlite3.connect(db)
    assert json.loads(c.execute("SELECT series FROM sets").fetchone()[0])["rows"] == [[0.1, 1.0, 2.0, 3.0, 4.0]]
    c.close()
    store.close()


def test_a_lock_that_never_clears_leaves_a_list_of_exactly_what_was_not_saved(db: Path) -> None:
    heard: list = []
    store = guarded(db, heard)
    recorder = StoreRecorder(store, store.user("sam"), "sim")
    recorder.set_started(1.0, 1, Level("hinge", 1))
    rep(recorder, 1)
    with write_lock(db):
        rep(recorder, 2)
        rep(recorder, 3)
        recorder.set_ended(9.0, 3, 3, [])
        recorder.level_changed(Level("wall", 2, "cm"))
        recorder.set_started(10.0, 2, Level("wall", 2, "cm"))
        rep(recorder, 1)
        recorder.close()                  # the last try waits the whole busy timeout
        assert recorder.unsaved() == ("reps 2-3 and the end of set 1; the level reached "
                                      "(wall at 25 centimetres); set 2 so far (rep 1); the end "
                                      "of the session")
    assert reps_in(db) == [(1, 1)]        # what was saved before the lock stays saved
    assert [e.kind for e in heard] == ["recording_delayed"]
    store.close()


def test_a_session_that_starts_while_locked_is_written_whole_when_the_lock_clears(db: Path) -> None:
    heard: list = []
    store = guarded(db, heard)
    clock = Clock()
    with write_lock(db):
        with pytest.raises(StorageBusy):  # a new user's row cannot be written yet
            store.user("kim", "cm")
        recorder = StoreRecorder(store, User(0, "kim", "cm"), "sim", clock=clock)  # as `run` does then
        recorder.save_user("cm")
        recorder.set_started(1.0, 1, Level("hinge", 1))
        clock.later()
        rep(recorder, 1)
        assert recorder.unsaved() == "the user kim; the session; set 1 so far (rep 1)"
        assert recorder.session_ids == []
    clock.later()
    rep(recorder, 2)
    assert reps_in(db) == [(1, 1), (1, 2)] and len(recorder.session_ids) == 1
    c = sqlite3.connect(db)
    assert c.execute("SELECT users.name, users.units FROM sessions JOIN users ON users.id = "
                     "sessions.user_id").fetchall() == [("kim", "cm")]
    c.close()
    assert [e.at_start for e in heard] == [True]   # nothing had been written through it yet
    store.close()


def test_a_lock_while_the_database_is_being_set_up_is_called_a_lock_not_damage(tmp_path: Path) -> None:
    """A new (empty) file locked by an open `sqlite3` shell: making it a WAL database failed
    with "database is locked", reported as "damaged ... move it aside"."""
    path = tmp_path / "hingecoach.db"
    path.touch()
    with write_lock(path, "EXCLUSIVE"):
        with pytest.raises(StorageError) as err:
            Store(path, busy_timeout_s=WAIT_S)
        heard: list = []
        guard = guarded(path, heard)
    assert err.value.reason == "locked"
    assert "locked by another program" in str(err.value) and "damaged" not in str(err.value)
    assert not guard.recording
    assert [(e.kind, e.reason, e.at_start) for e in heard] == [("recording_stopped", "locked", True)]
    assert heard[0].notice == NOTICES["recording_stopped_locked"]
    assert path.read_bytes() == b""


def test_no_write_during_a_session_holds_the_frame_loop_for_the_busy_timeout(db: Path) -> None:
    """The first write that met the lock waited the store's whole busy timeout (10 s in the
    product) on the frame loop: pose and cues stalled mid-set. Only the last try at the
    session's end may wait that long."""
    import time

    store = RecordingGuard.open(lambda: Store(db, busy_timeout_s=5.0), where=db,
                                passthrough=("levels", "close"))
    clock = Clock()
    recorder = StoreRecorder(store, store.user("sam"), "sim", clock=clock)
    recorder.set_started(1.0, 1, Level("hinge", 1))
    rep(recorder, 1)
    took: dict[str, float] = {}

    def timed(what: str, write: object) -> None:
        start = time.monotonic()
        write()  # type: ignore[operator]
        took[what] = time.monotonic() - start

    with write_lock(db):
        timed("rep", lambda: rep(recorder, 2))
        clock.later()   # each of these is tried again (briefly), a frame or more apart
        timed("set end", lambda: recorder.set_ended(5.0, 2, 2, [(0.1, 1.0, 2.0, 3.0, 4.0)]))
        clock.later()
        timed("level", lambda: recorder.level_changed(Level("hinge", 2)))
        clock.later()
        timed("set", lambda: recorder.set_started(6.0, 2, Level("hinge", 2)))
        clock.later()
        timed("rep of set 2", lambda: rep(recorder, 1))
        assert recorder.unsaved().startswith("rep 2 and the end of set 1; the level reached")
    assert max(took.values()) < 1.5, took   # 5 s each before (the first one, at least)
    assert reps_in(db) == [(1, 1)]
    clock.later()
    rep(recorder, 2)                          # the lock has cleared: everything goes in, in order
    assert reps_in(db) == [(1, 1), (1, 2), (2, 1), (2, 2)] and recorder.unsaved() == ""
    recorder.close()
    store.close()


def test_once_a_write_met_the_lock_the_writes_of_the_same_moment_are_kept_without_waiting(db: Path) -> None:
    """An earned wall step is a rep, a set's end, a level and a set's start in one frame:
    each waited WRITE_WAIT_S for the lock, a 1 s stall where 0.25 s was promised."""
    import time

    store = guarded(db, [])
    recorder = StoreRecorder(store, store.user("sam"), "sim")  # the real clock
    recorder.set_started(1.0, 1, Level("wall", 0))
    rep(recorder, 1)
    with write_lock(db):
        start = time.monotonic()
        rep(recorder, 2)                                   # meets the lock: waits 0.25 s
        recorder.set_ended(5.0, 2, 2, [(0.1, 1.0, 2.0, 3.0, 4.0)])
        recorder.level_changed(Level("wall", 1))
        recorder.set_started(6.0, 2, Level("wall", 1))
        took = time.monotonic() - start
        assert recorder.unsaved() == ("rep 2 and the end of set 1; the level reached "
                                      "(wall at 8 inches); the start of set 2")
    assert took < 0.7, took          # one wait of 0.25 s (four before: 1 s)
    time.sleep(RETRY_AFTER_S)
    rep(recorder, 1)                 # a moment later the lock has cleared: all of it goes in
    assert reps_in(db) == [(1, 1), (1, 2), (2, 1)] and recorder.unsaved() == ""
    store.close()


def test_the_session_end_is_never_held_up_and_close_waits_once(db: Path) -> None:
    """The session's end ('stop') waited the whole busy timeout on the frame loop, so the
    summary came 10 s late, and then close waited it all again."""
    import time

    store = RecordingGuard.open(lambda: Store(db, busy_timeout_s=2.0), where=db,
                                passthrough=("levels", "close"))
    recorder = StoreRecorder(store, store.user("sam"), "sim")
    recorder.set_started(1.0, 1, Level("hinge", 1))
    took: dict[str, float] = {}
    with write_lock(db):
        rep(recorder, 1)
        recorder.set_ended(5.0, 1, 1, [(0.1, 1.0, 2.0, 3.0, 4.0)])
        start = time.monotonic()
        recorder.session_ended(5.0)
        took["session end"] = time.monotonic() - start
        start = time.monotonic()
        recorder.close()
        took["close"] = time.monotonic() - start
        assert recorder.unsaved() == "rep 1 and the end of set 1; the end of the session"
    assert took["session end"] < 0.7, took          # 2 s (the busy timeout) before
    assert 1.5 < took["close"] < 3.5, took          # the busy timeout, once
    store.close()


def test_close_waits_no_longer_than_it_is_allowed(db: Path) -> None:
    """After SIGTERM the writes waiting for a lock get what is left before systemd kills."""
    import time

    store = RecordingGuard.open(lambda: Store(db, busy_timeout_s=5.0), where=db,
                                passthrough=("levels", "close"))
    recorder = StoreRecorder(store, store.user("sam"), "sim")
    recorder.set_started(1.0, 1, Level("hinge", 1))
    with write_lock(db):
        rep(recorder, 1)
        start = time.monotonic()
        recorder.close(wait_s=0.5)
        took = time.monotonic() - start
    assert took < 1.5, took
    assert recorder.unsaved().endswith("the end of the session")
    store.close()


def test_between_workouts_the_waiting_writes_are_tried_again_now_and_then(db: Path) -> None:
    """With no patient wait at the session's end, what a lock kept is tried again by the
    frame loop's tick while the service waits for the next workout."""
    store = guarded(db, [])
    clock = Clock()
    recorder = StoreRecorder(store, store.user("sam"), "sim", clock=clock)
    recorder.set_started(1.0, 1, Level("hinge", 1))
    with write_lock(db):
        rep(recorder, 1)
        recorder.set_ended(5.0, 1, 1, [])
        recorder.session_ended(5.0)
        clock.later(IDLE_RETRY_S)
        recorder.tick()                      # still locked: kept
    assert reps_in(db) == [] and recorder.unsaved()
    clock.later(IDLE_RETRY_S / 2)
    recorder.tick()                          # too soon after the last try
    assert reps_in(db) == []
    clock.later(IDLE_RETRY_S / 2)
    recorder.tick()
    assert reps_in(db) == [(1, 1)] and recorder.unsaved() == ""
    store.close()


def sets_in(path: Path) -> list[tuple[int, str, int, float | None]]:
    """(number, drill, reps, end_s) of every set in the database, in the order written."""
    c = sqlite3.connect(path)
    try:
        return c.execute("SELECT number, drill, reps, end_s FROM sets ORDER BY id").fetchall()
    finally:
        c.close()


def test_an_empty_set_kept_by_a_lock_cancels_out_and_the_list_is_told_set_by_set(db: Path) -> None:
    """The closing line said "..., set 3, the end of set 3, set 3, reps 1-9 of set 3, the end of
    set 3 and the end of the session": the first set 3 got no rep (the drill changed), so it
    would have been deleted anyway, and the list could not be read set by set."""
    store = guarded(db, [])
    clock = Clock()
    recorder = StoreRecorder(store, store.user("sam"), "sim", clock=clock)
    with write_lock(db):
        recorder.set_started(1.0, 1, Level("wall", 0))
        for n in (1, 2):
            rep(recorder, n)
        recorder.set_ended(5.0, 2, 2, [(0.1, 1.0, 2.0, 3.0, 4.0)])
        recorder.level_changed(Level("wall", 1))
        recorder.set_started(6.0, 2, Level("wall", 1))
        recorder.set_ended(7.0, 0, 0, [])           # "start hinge drill" before a rep: dropped
        recorder.set_started(8.0, 2, Level("hinge", 1))
        for n in (1, 2, 3):
            rep(recorder, n)
        recorder.set_ended(15.0, 3, 3, [(0.1, 1.0, 2.0, 3.0, 4.0)])
        recorder.session_ended(15.0)
        assert recorder.unsaved() == ("the session; all of set 1 (reps 1-2); the level reached "
                                      "(wall at 8 inches); all of set 2 (reps 1-3); the end of "
                                      "the session")
    clock.later()
    recorder.close()
    assert recorder.unsaved() == ""
    assert sets_in(db) == [(1, "wall", 2, 5.0), (2, "hinge", 3, 15.0)]  # no empty set row
    store.close()


def test_an_empty_set_written_before_the_lock_is_still_removed_but_goes_unsaid(db: Path) -> None:
    store = guarded(db, [])
    clock = Clock()
    recorder = StoreRecorder(store, store.user("sam"), "sim", clock=clock)
    recorder.set_started(1.0, 1, Level("hinge", 1))
    with write_lock(db):
        recorder.set_ended(2.0, 0, 0, [])          # its removal waits for the lock
        recorder.set_started(3.0, 1, Level("hinge", 2))
        rep(recorder, 1)
        assert recorder.unsaved() == "set 1 so far (rep 1)"
    clock.later()
    recorder.set_ended(4.0, 1, 1, [])
    recorder.close()
    assert sets_in(db) == [(1, "dowel", 1, 4.0)]            # the empty one is gone
    store.close()


def test_a_lock_already_met_costs_the_frame_loop_no_wait_between_workouts_or_during_one(db: Path) -> None:
    """While another program held the lock between workouts, every IDLE_RETRY_S the frame
    loop's tick stalled WRITE_WAIT_S (0.25 s) trying the waiting writes again, and so did each
    retry during a workout: pose tracking and cues froze a quarter of a second at a time. A
    lock already met is now tried without waiting (0.25 s each before, well under 1 ms now)."""
    import time

    store = RecordingGuard.open(lambda: Store(db), where=db, passthrough=("levels", "close"))
    clock = Clock()
    recorder = StoreRecorder(store, store.user("sam"), "sim", clock=clock)
    took: dict[str, list[float]] = {"workout": [], "idle": []}
    with write_lock(db):
        recorder.set_started(1.0, 1, Level("hinge", 1))
        rep(recorder, 1)                      # the first to meet the lock: waits WRITE_WAIT_S
        tries = store.delayed
        for n in (2, 3, 4):
            clock.later()
            start = time.monotonic()
            rep(recorder, n)                  # tried again, without waiting
            took["workout"].append(time.monotonic() - start)
        recorder.set_ended(9.0, 4, 4, [])
        recorder.session_ended(9.0)
        for _ in range(4):
            clock.later(IDLE_RETRY_S)
            start = time.monotonic()
            recorder.tick()                   # between workouts: tried again, without waiting
            took["idle"].append(time.monotonic() - start)
        assert store.delayed - tries >= 7     # each of them did try (and met the lock)
        assert reps_in(db) == [] and recorder.unsaved().startswith("the session; all of set 1")
    assert max(took["workout"] + took["idle"]) < 0.1, took
    clock.later(IDLE_RETRY_S)
    recorder.tick()                           # the lock has cleared: all of it, in order
    assert reps_in(db) == [(1, 1), (1, 2), (1, 3), (1, 4)] and recorder.unsaved() == ""
    recorder.close()
    store.close()


def test_a_session_whose_calibration_met_the_lock_is_not_written_twice(db: Path) -> None:
    """The session's row and its calibration are one waiting write: when the lock was taken
    between the two, trying the write again inserted a second session row."""
    from hingecoach.coach.setup import Calibration

    class CalibrationMeetsTheLockOnce:
        def __init__(self, store: RecordingGuard) -> None:
            self.store, self.locked = store, True

        def set_calibration(self, *args: object) -> None:
            if self.locked:
                self.locked = False
                raise StorageBusy("locked")
            self.store.set_calibration(*args)

        def __getattr__(self, name: str) -> object:
            return getattr(self.store, name)

    guard = guarded(db, [])
    clock = Clock()
    recorder = StoreRecorder(CalibrationMeetsTheLockOnce(guard), guard.user("sam"), "sim", clock=clock)
    recorder.calibrated(Calibration(1.0, 5.0, 170.0, 5.0, 0.0, 0.0, 0.8, {}, 0.0, "side-left"))
    recorder.set_started(1.0, 1, Level("hinge", 1))   # the session meets the lock half-way
    assert recorder.unsaved() == "the session; the start of set 1"
    clock.later()
    rep(recorder, 1)
    recorder.set_ended(3.0, 1, 1, [])
    recorder.close()
    guard.close()
    c = sqlite3.connect(db)
    rows = c.execute("SELECT id, calibration FROM sessions").fetchall()
    c.close()
    assert len(rows) == 1 and json.loads(rows[0][1])["view"] == "side-left", rows
    assert reps_in(db) == [(1, 1)]
