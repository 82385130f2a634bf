"""The progress store: versioned schema, WAL, every rep committed, levels that carry over."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from coachkit import Script, make_rep, play, start
from hingecoach.coach.coach import Coach
from hingecoach.errors import ConfigError, InputError, StorageError
from hingecoach.store.db import (
    MIGRATIONS,
    SCHEMA_VERSION,
    AmbiguousUser,
    FileLock,
    Store,
    decode_series,
    locked_by_anyone,
    parse_locks,
    quick_check,
    side_files,
    tidy_side_files,
)
from hingecoach.store.recorder import StoreRecorder
from storekit import another_programs_database, write_lock


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "hc.db") as s:
        yield s


def test_a_new_database_is_in_wal_mode_at_the_current_schema_version(store: Store) -> None:
    assert store.journal_mode == "wal"
    assert store.version == SCHEMA_VERSION == len(MIGRATIONS)
    tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "progress", "sessions", "sets", "reps", "rep_faults"} <= tables


def test_reopening_does_not_migrate_twice(tmp_path: Path) -> None:
    Store(tmp_path / "hc.db").close()
    with Store(tmp_path / "hc.db") as s:
        assert s.version == SCHEMA_VERSION


def test_a_database_from_a_newer_hingecoach_is_refused_with_advice(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "hc.db")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ConfigError, match="upgrade hingecoach"):
        Store(tmp_path / "hc.db")


def test_a_file_that_is_not_a_database_is_refused_with_advice(tmp_path: Path) -> None:
    (tmp_path / "hc.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="not a Hinge Coach database.*move it aside") as err:
        Store(tmp_path / "hc.db")
    assert err.value.reason == "damaged"
    assert (tmp_path / "hc.db").read_bytes() == b"this is not sqlite" * 100


@pytest.mark.parametrize("user_version, tables", [
    (0, ("photos", "albums")),
    (3, ("photos", "albums")),       # it uses user_version too: not "a newer hingecoach"
    (0, ("users", "sessions")),      # names like ours, at no schema version of ours
    (1, ("users", "sessions")),      # names like ours, other columns, at our version
    (3, ("users", "sessions")),      # ... at a version newer than ours
], ids=["plain", "user_version 3", "tables named like ours", "named like ours at version 1",
        "named like ours at version 3"])
def test_another_programs_sqlite_file_is_refused_and_never_changed(
        user_version: int, tables: tuple[str, ...], tmp_path: Path) -> None:
    """Store switched it to WAL and added its tables next to the other program's (or, with
    a user_version of its own, refused it as 'newer: upgrade hingecoach'); tables merely
    named like ours (users, sessions) at user_version 1 counted as ours: WAL, then `no
    such column: name`."""
    path = tmp_path / "hingecoach.db"
    another_programs_database(path, user_version, tables)
    before = path.read_bytes()
    with pytest.raises(StorageError) as err:
        Store(path)
    assert err.value.reason == "not_ours"
    msg = str(err.value)
    assert f"{path} is not a Hinge Coach database (another program's SQLite database: tables " in msg
    assert "--data-dir" in msg and "nothing in it was changed" in msg and "damaged" not in msg
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["hingecoach.db"]


def _a_newer_hingecoachs_database(path: Path, extra_column: bool = True) -> None:
    """Ours at the current version, then as a newer hingecoach leaves it: a column added,
    the version raised; a rollback journal (so a switch to WAL would show)."""
    Store(path).close()
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode = DELETE")
    if extra_column:
        c.execute("ALTER TABLE users ADD COLUMN avatar TEXT")
    c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    c.close()


def test_a_newer_hingecoachs_database_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    """It was switched to WAL before the version was read: changed, then refused."""
    path = tmp_path / "hingecoach.db"
    _a_newer_hingecoachs_database(path)
    before = path.read_bytes()
    with pytest.raises(StorageError) as err:
        Store(path)
    assert err.value.reason == "newer" and isinstance(err.value, ConfigError)
    assert "upgrade hingecoach" in str(err.value) and "not a Hinge Coach" not in str(err.value)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["hingecoach.db"]


def test_our_schema_is_told_by_its_tables_and_columns_at_the_files_version(tmp_path: Path) -> None:
    from hingecoach.store.db import not_ours, our_schema, tables_of

    ours = our_schema(SCHEMA_VERSION)
    with Store(tmp_path / "hc.db") as st:
        assert tables_of(st.db) == ours
    assert not_ours(SCHEMA_VERSION, ours) is None
    assert not_ours(SCHEMA_VERSION, {**ours, "notes": ("id", "text")}) is None  # a table of the user's
    assert not_ours(SCHEMA_VERSION + 1, {**ours, "users": (*ours["users"], "avatar")}) is None
    assert not_ours(0, {}) is None and not_ours(7, {}) is None            # blank: made ours
    missing = {t: c for t, c in ours.items() if t != "rep_faults"}
    renamed = {**ours, "users": ("id", "email", "units", "created_at")}
    for version, schema in [(0, ours), (SCHEMA_VERSION, missing), (SCHEMA_VERSION, renamed),
                            (SCHEMA_VERSION + 1, missing), (SCHEMA_VERSION + 1, renamed)]:
        assert not_ours(version, schema) is not None, (version, schema)


def test_an_sqlite_file_without_tables_is_made_a_progress_database(tmp_path: Path) -> None:
    path = tmp_path / "hingecoach.db"
    c = sqlite3.connect(path)
    c.execute("CREATE TABLE t (x)")
    c.execute("DROP TABLE t")   # a real SQLite file, with nothing in it
    c.commit()
    c.close()
    with Store(path) as st:
        assert st.version == SCHEMA_VERSION


def _a_store_with_a_session(path: Path) -> None:
    with Store(path) as st:
        user = st.user("sam")
        sid = st.start_session(user.id, "sim", "2026-11-21T18:00:00+00:00")
        set_id = st.start_set(sid, 1, "hinge", "hinge", 0, None, "in", 1.0)
        series = [(0.1 * i, 1.0, 2.0, 3.0, 4.0) for i in range(60)]
        for n in range(1, 30):
            st.add_rep(set_id, n, make_rep(n, 2.0 * n, 1.8, ("knees_forward",)), ["knees_forward"], [], series)


def test_a_damaged_database_is_refused_before_anything_is_written_to_it(tmp_path: Path) -> None:
    """It opened, switched the journal mode and migrated, and the first read raised
    sqlite3.DatabaseError out of `run` (Bug A). Now SQLite's quick_check runs first."""
    import random

    path = tmp_path / "hc.db"
    _a_store_with_a_session(path)
    assert path.stat().st_size > 3 * 4096
    with open(path, "r+b") as fh:  # 4 KB of noise over the third page, as `dd` would
        fh.seek(8192)
        fh.write(random.Random(5).randbytes(4096))
    before = path.read_bytes()
    with pytest.raises(StorageError) as err:
        Store(path)
    assert err.value.reason == "damaged"
    msg = str(err.value)
    assert "damaged" in msg and "move it aside" in msg and "starts a new one" in msg
    assert "\n" not in msg
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hc.db"]


def test_users_are_created_once_and_keep_their_units(store: Store) -> None:
    a = store.user("sam", "cm")
    assert store.user("sam") == a
    assert store.user("sam").units == "cm"


def _names(store: Store) -> list[str]:
    return [r[0] for r in store.db.execute("SELECT name FROM users ORDER BY id")]


def test_a_user_name_matches_whatever_its_case_and_the_spaces_around_it(store: Store) -> None:
    """A trainer types names by hand: "Alice" one day and "alice " the next were two users,
    the second starting again at level 1 with a history of its own."""
    alice = store.user("Alice", "cm")
    store.save_level(alice.id, "wall", 2, "wall", 25.4)
    for typed in ("alice", "alice ", "  ALICE", "aLiCe\t"):
        assert store.user(typed) == alice, typed  # the name as first written, her units
        assert store.levels(store.user(typed).id) == {"wall": 2}
    # Unicode case, which SQLite's ASCII-only NOCASE does not fold
    elodie = store.user("Élodie")
    assert store.user("ÉLODIE") == elodie and store.user("e\u0301lodie") == elodie
    assert store.user("STRASSE").id == store.user("Straße").id
    assert _names(store) == ["Alice", "Élodie", "STRASSE"]


def test_a_new_user_is_saved_without_the_spaces_around_the_name(store: Store) -> None:
    bo = store.user("  Bo ")
    assert bo.name == "Bo" and _names(store) == ["Bo"]


def test_new_units_keep_the_name_as_first_written(store: Store) -> None:
    """It gave back the name as typed with the new units."""
    store.user("Alice")
    assert store.user(" alice", "cm") == store.user("Alice")
    assert store.user("Alice").name == "Alice" and store.user("Alice").units == "cm"


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_a_blank_user_name_is_refused_in_one_line_and_adds_no_one(store: Store, blank: str) -> None:
    with pytest.raises(InputError) as err:
        store.user(blank)
    msg = str(err.value)
    assert "\n" not in msg and "blank" in msg and "--user sam" in msg
    assert _names(store) == []


def _legacy(store: Store, *names: str) -> None:
    """Users as an older hingecoach stored them, whose names matched only exactly."""
    for n in names:
        store.db.execute("INSERT INTO users (name, units, created_at) VALUES (?, 'in', '2026-01-01')",
                         (n,))


def test_an_older_databases_users_differing_only_in_case_are_never_merged(store: Store) -> None:
    """The exact name wins; else the one that matches; several that match ignoring case:
    a one-line error that lists them, and nothing written."""
    _legacy(store, "Alice", "ALICE", "bo ", "cy ", " cy")
    ids = dict(store.db.execute("SELECT name, id FROM users").fetchall())
    assert store.user("Alice").id == ids["Alice"] and store.user("ALICE").id == ids["ALICE"]
    assert store.user("Alice ").id == ids["Alice"]  # spaces around aside, still exact
    for typed in ("alice", "aLICE "):
        with pytest.raises(AmbiguousUser) as err:
            store.user(typed, "cm")
        msg = str(err.value)
        assert "\n" not in msg and "'Alice', 'ALICE'" in msg
        assert "--user Alice or --user ALICE" in msg
    assert store.user("BO").id == store.user("bo").id == ids["bo "]  # one match: that one
    # equally close once the spaces around are dropped: each is picked when typed exactly
    for typed in ("cy", "CY"):
        with pytest.raises(AmbiguousUser, match="'cy ', ' cy'.*--user 'cy ' or --user ' cy'"):
            store.user(typed)
    assert store.user(" cy").id == ids[" cy"] and store.user("cy ").id == ids["cy "]
    assert _names(store) == ["Alice", "ALICE", "bo ", "cy ", " cy"]  # none added, none merged
    assert {u for (u,) in store.db.execute("SELECT units FROM users")} == {"in"}


def test_saved_progress_is_read_whatever_the_names_case(tmp_path: Path) -> None:
    """With history off `run` only reads the saved levels: "alice" found none of Alice's."""
    from hingecoach.store.queries import load_saved_progress, saved_progress

    path = tmp_path / "hc.db"
    with Store(path) as st:
        alice = st.user("Alice", "cm")
        st.save_level(alice.id, "hinge", 2, "dowel", None)
        _legacy(st, "Kim", "KIM")
    assert load_saved_progress(path, " ALICE") == ("cm", {"hinge": 2})
    assert load_saved_progress(path, "KIM ") == ("in", {})  # exact, spaces around aside
    with pytest.raises(AmbiguousUser):
        load_saved_progress(path, "kim")
    assert saved_progress(path, "kim") == (None, {})  # config show's note: no level to name


def test_a_rep_is_stored_with_its_metrics_faults_and_the_set_series(store: Store) -> None:
    u = store.user("sam")
    sess = store.start_session(u.id, "trace.jsonl")
    set_id = store.start_set(sess, 1, "wall", "wall", 0, 15.2, "in", 3.0)
    rep = make_rep(1, 3.0, 2.4, ("knees_forward",), hip_travel_m=0.2, knee_lead=18.0)
    store.add_rep(set_id, 1, rep, ("knees_forward",), (), [(3.0, 2.0, 7.0, 8.0, 3.2)])
    (row,) = store.reps(sess)
    assert row["faults"] == ["knees_forward"] and row["knee_flexion_deg"] == 60.0
    assert row["hip_travel_m"] == 0.2 and row["knee_lead_deg"] == 18.0
    (s,) = store.sets(sess)
    assert s["reps"] == 1 and s["clean"] == 0 and s["wall_cm"] == 15.2
    series = decode_series(s["series"])
    assert series["columns"] == ["t", "torso_lean", "hip_flexion", "knee_flexion", "shin_angle"]
    assert series["rows"] == [[3.0, 2.0, 7.0, 8.0, 3.2]]
    faults = store.db.execute("SELECT fault FROM rep_faults").fetchall()
    assert [f[0] for f in faults] == ["knees_forward"]


def test_each_rep_is_visible_to_another_connection_as_soon_as_it_is_added(store: Store) -> None:
    u = store.user("sam")
    set_id = store.start_set(store.start_session(u.id, None), 1, "hinge", "hinge", 1, None, "in", 0)
    other = sqlite3.connect(store.path)
    for n in range(1, 4):
        store.add_rep(set_id, n, make_rep(n, n * 3.0, 2.4), (), ())
        assert other.execute("SELECT count(*) FROM reps").fetchone()[0] == n
    other.close()


def test_a_coached_session_is_recorded_and_the_next_one_resumes_at_the_saved_level(
        tmp_path: Path) -> None:
    path = tmp_path / "hc.db"
    with Store(path) as st:
        user = st.user("sam")
        rec = StoreRecorder(st, user, "sim", now=lambda: "2026-11-21T18:00:00+00:00")
        coach = Coach(levels=st.levels(user.id), recorder=rec)
        play(coach, Script().stand(12.0).reps_of(7).updates, start("wall"))
        rec.close()
        reps = st.reps(rec.session_id)
        assert [r["number"] for r in reps] == [1, 2, 3, 4, 5, 1, 2]
        assert [s["wall_cm"] for s in st.sets(rec.session_id)] == [15.2, 20.3]
        assert st.sessions()[0]["calibration"] is not None
        assert st.sessions()[0]["ended_at"] == "2026-11-21T18:00:00+00:00"
    with Store(path) as st:
        user = st.user("sam")
        assert st.levels(user.id) == {"wall": 1}
        cues = play(Coach(levels=st.levels(user.id)), Script().stand(1.0).updates, start("wall"))
        assert "8 inches" in cues[0].text


def test_each_workout_of_a_run_is_its_own_session_and_every_rep_is_committed_at_once(
        tmp_path: Path) -> None:
    """An always-on service: wall workout, 'end session', another wall workout. Before, both
    went into one session row (the recorder kept one per process)."""
    path = tmp_path / "hc.db"
    clock = iter(f"2026-11-21T18:{m:02d}:00+00:00" for m in range(60))
    with Store(path) as st:
        user = st.user("sam")
        seen: list[tuple[int, int]] = []
        other = sqlite3.connect(path)

        class Watch(StoreRecorder):  # after each rep: is it in the database, in which session?
            def rep_done(self, *a: object, **k: object) -> None:
                super().rep_done(*a, **k)  # type: ignore[arg-type]
                seen.append(other.execute(
                    "SELECT count(*), max(sets.session_id) FROM reps JOIN sets ON sets.id = reps.set_id"
                ).fetchone())

        rec = Watch(st, user, "camera:0", now=lambda: next(clock))
        s = Script().stand(12.0).reps_of(6).stand(2.0)  # 5 clean: a step from 6 to 8 in
        stop_1 = s.t - 1.0
        start_2 = s.t + 1.0
        s.stand(5.0).reps_of(3).stand(2.0)
        coach = Coach(levels=st.levels(user.id), recorder=rec)
        cues = play(coach, s.updates, [*start("wall"), (stop_1, "stop", {}),
                                       (start_2, "start_drill", {"drill": "wall"})])
        rec.close()
        other.close()
        sessions = st.sessions()
        assert [x["id"] for x in sessions] == [1, 2]
        assert rec.session_ids == [1, 2]
        assert all(x["ended_at"] for x in sessions)
        assert sessions[0]["ended_at"] < sessions[1]["started_at"]  # ended at its summary
        # the second workout was not calibrated again: its session carries the baseline in force
        assert sessions[0]["calibration"] is not None
        assert sessions[1]["calibration"] == sessions[0]["calibration"]
        assert [(x["number"], x["wall_cm"], x["reps"]) for x in st.sets(1)] == [(1, 15.2, 5), (2, 20.3, 1)]
        assert [(x["number"], x["wall_cm"], x["reps"]) for x in st.sets(2)] == [(1, 20.3, 3)]
        assert [r["number"] for r in st.reps(2)] == [1, 2, 3]
        assert seen == [(n, 1) for n in range(1, 7)] + [(n, 2) for n in range(7, 10)]
        assert any("8 inches" in c.text for c in cues if c.t >= start_2)  # the level carried over


def test_a_full_disk_stops_recording_but_not_the_coaching(tmp_path: Path) -> None:
    from hingecoach.app import Transcript, parse_commands, run_session
    from hingecoach.resilience import RecordingGuard
    from hingecoach.sim import random_session, render

    events: list = []
    store = Store(tmp_path / "hc.db")
    guard = RecordingGuard(store, on_event=events.append, passthrough=("levels", "close"))
    user = guard.user("sam")
    rec = StoreRecorder(guard, user, "sim")  # type: ignore[arg-type]
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages + 2}")  # room for a rep or two
    info, poses, truth = render(random_session(77, fault_rate=1.0, faults=("knees_forward",), reps=8))
    tr = Transcript()
    coach = Coach(recorder=rec)

    def notices() -> list[str]:
        out = [e.notice for e in events if e.notice]
        events.clear()
        return out

    run_session(info, poses, coach, transcript=tr, commands=parse_commands("0.5:start hinge drill"),
                notices=notices)
    texts = [json.loads(x)["text"] for x in tr.lines]
    assert any("Storage is full" in t for t in texts)
    assert coach.total_reps == len(truth)  # the coaching went on to the end
    assert not guard.recording
    saved = store.reps()
    assert 0 < len(saved) < len(truth)
    assert [r["number"] for r in saved] == list(range(1, len(saved) + 1))
    store.close()


def test_a_data_dir_that_is_a_file_is_named_as_such(tmp_path, capsys) -> None:  # noqa: ANN001
    """It said "[Errno 17] File exists ... check the directory is writable"."""
    from hingecoach.cli import main
    from hingecoach.errors import DeviceError

    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    for db in (blocker / "hingecoach.db", blocker / "sub" / "hingecoach.db"):
        with pytest.raises(DeviceError, match="data is a file, not a folder: pass --data-dir a folder"):
            Store(db)
    for cmd in (["history"], ["report", "--out", str(tmp_path / "r.html")], ["export"]):
        # they said "no progress database ... record a session first"
        assert main([*cmd, "--data-dir", str(blocker)]) == 2, cmd
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "is a file, not a folder" in err[0], (cmd, err)


def test_side_files_a_live_connection_uses_are_never_tidied_away(tmp_path: Path) -> None:
    """A read-only look at a database whose side files appeared while it looked (another
    process opened it meanwhile) removed that process's -wal and -shm from under it."""
    path = tmp_path / "hc.db"
    Store(path).close()
    with write_lock(path) as holder:  # another process has it open (and its write lock)
        wal, shm = side_files(path)
        assert wal.exists() and shm.exists() and locked_by_anyone(shm)
        tidy_side_files(path, existed=set())  # as if they were new
        assert wal.exists() and shm.exists()
        assert holder.poll() is None
    assert not locked_by_anyone(shm)
    quick_check(path)  # leaves nothing behind now that nobody has it open
    assert [p.name for p in tmp_path.iterdir()] == ["hc.db"]


def test_proc_locks_is_read_one_way_for_both_of_its_readers(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """locked_by_anyone and write_locked each split /proc/locks by hand; they share
    parse_locks now (each keeping its own answer when it cannot be read)."""
    from hingecoach.store import db as store_db

    table = ("1: POSIX  ADVISORY  WRITE 4242 08:01:77 1073741824 1073742335\n"
             "1: -> POSIX  ADVISORY  WRITE 4343 08:01:77 1073741824 1073742335\n"
             "2: OFDLCK ADVISORY  READ  -1 00:2e:12 128 128\n"
             "3: FLOCK  ADVISORY  WRITE 99 fd:00:5 0 EOF\n"
             "garbage\n")
    assert parse_locks(table) == [
        FileLock("WRITE", "4242", "08:01:77", 1073741824, 1073742335),
        FileLock("WRITE", "4343", "08:01:77", 1073741824, 1073742335, waiting=True),
        FileLock("READ", "-1", "00:2e:12", 128, 128),
        FileLock("WRITE", "99", "fd:00:5", 0, 1 << 62),
    ]
    assert parse_locks(table)[0].on(77) and not parse_locks(table)[0].on(7)
    path = tmp_path / "hc.db"
    Store(path).close()
    shm = side_files(path)[1]
    shm.touch()
    with monkeypatch.context() as m:
        m.setattr(store_db, "_file_locks", lambda: None)  # no /proc/locks: each errs on its side
        assert locked_by_anyone(shm) is True
        assert store_db.write_locked(path) is False
    with write_lock(path):
        assert locked_by_anyone(shm) and store_db.write_locked(path)
    assert not locked_by_anyone(shm) and not store_db.write_locked(path)
