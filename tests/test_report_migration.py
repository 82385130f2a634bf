"""Old progress databases open: the previous schema version, and any older one with
sessions in it, are migrated in place by history / report / export and keep their data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import hingecoach.store.db as store_db
import hingecoach.store.queries as queries
from hingecoach.store.db import MIGRATIONS, SCHEMA_VERSION, _statements
from reportkit import cli, copy_data, demo_data, digest, one_line_error

__all__ = ["demo_data"]


def build(path: Path, migrations: tuple[str, ...]) -> None:
    """A database made by an older hingecoach: only ``migrations`` applied."""
    db = sqlite3.connect(path)
    for n, script in enumerate(migrations):
        for stmt in _statements(script):
            db.execute(stmt)
        db.execute(f"PRAGMA user_version = {n + 1}")
    db.commit()
    db.close()


def add_v1_session(path: Path) -> None:
    """One session with a set and two reps, using only version-1 columns (every later
    version keeps them: migrations are append-only)."""
    db = sqlite3.connect(path)
    db.execute("INSERT INTO users (id, name, units, created_at) VALUES (1, 'ana', 'cm', "
               "'2026-01-05T09:00:00+00:00')")
    db.execute("INSERT INTO sessions (id, user_id, source, started_at, ended_at) VALUES "
               "(1, 1, 'camera:0', '2026-01-05T09:00:00+00:00', '2026-01-05T09:10:00+00:00')")
    db.execute("INSERT INTO sets (id, session_id, number, family, drill, level, wall_cm, units, "
               "start_s, end_s, reps, clean, series) VALUES (1, 1, 1, 'wall', 'wall', 1, 20.0, "
               "'cm', 1.0, 9.0, 2, 1, ?)", (store_db.encode_series(
                   [(1.0 + i / 10, 10.0 * (i % 20), 12.0 * (i % 20), 2.0 * (i % 20), 1.0)
                    for i in range(80)]),))
    for n, faults in ((1, "[]"), (2, '["knees_forward"]')):
        db.execute("INSERT INTO reps (set_id, number, start_s, bottom_s, end_s, torso_lean_deg, "
                   "hip_flexion_deg, knee_flexion_deg, shin_angle_deg, descent_s, ascent_s, "
                   "faults, flags) VALUES (1, ?, ?, ?, ?, 60, 80, 20, 3, 1.2, 1.1, ?, '[]')",
                   (n, 1.0 + 4 * (n - 1), 2.2 + 4 * (n - 1), 3.3 + 4 * (n - 1), faults))
    db.execute("INSERT INTO rep_faults (rep_id, fault) VALUES (2, 'knees_forward')")
    db.commit()
    db.close()


def version_of(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()


def test_a_database_at_the_previous_schema_version_opens_and_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "hingecoach.db"
    build(db, MIGRATIONS[:-1])
    if SCHEMA_VERSION - 1 == 0:
        # Version 0 is a database nothing was ever written to: reported as empty, untouched.
        before = digest(db)
        msg = one_line_error(cli("history", "--data-dir", str(tmp_path)), "history")
        assert "no sessions recorded yet" in msg
        assert digest(db) == before
        return
    add_v1_session(db)
    r = cli("history", "--json", "--data-dir", str(tmp_path))
    assert r.code == 0, r.err
    assert f"from schema version {SCHEMA_VERSION - 1} to {SCHEMA_VERSION}" in r.err
    assert version_of(db) == SCHEMA_VERSION


@pytest.mark.parametrize("old", range(1, SCHEMA_VERSION + 1))
def test_an_older_database_with_sessions_is_upgraded_in_place_and_keeps_them(
        old: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pretend this hingecoach is one schema version ahead of the newest real one, so the
    # upgrade path runs for every real version (including the current one).
    extra = "ALTER TABLE sessions ADD COLUMN note TEXT; CREATE INDEX sessions_by_start ON sessions(started_at)"
    migrations = (*MIGRATIONS, extra)
    monkeypatch.setattr(store_db, "MIGRATIONS", migrations)
    monkeypatch.setattr(store_db, "SCHEMA_VERSION", len(migrations))
    monkeypatch.setattr(queries, "SCHEMA_VERSION", len(migrations))
    db = tmp_path / "hingecoach.db"
    build(db, MIGRATIONS[:old])
    add_v1_session(db)
    r = cli("history", "--json", "--data-dir", str(tmp_path))
    assert r.code == 0, r.err
    assert f"upgraded {db} from schema version {old} to {len(migrations)}" in r.err
    assert version_of(db) == len(migrations)
    import json

    (s,) = json.loads(r.out)
    assert (s["user"], s["reps"], s["clean"], s["top_fault"], s["wall_cm"]) == \
        ("ana", 2, 1, "knees_forward", 20.0)
    r = cli("report", "1", "--out", str(tmp_path / "r.html"), "--data-dir", str(tmp_path))
    assert r.code == 0, r.err
    assert "upgraded" not in r.err  # once only
    assert "20 cm" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_a_current_database_is_read_without_being_written(demo_data: Path, tmp_path: Path) -> None:
    data = copy_data(demo_data, tmp_path / "data")
    before = digest(data / "hingecoach.db")
    for argv in (("history",), ("export",), ("report", "--out", str(tmp_path / "r.html"))):
        assert cli(*argv, "--data-dir", str(data)).code == 0
    assert digest(data / "hingecoach.db") == before
    assert sorted(p.name for p in data.iterdir()) == ["hingecoach.db"]


def _an_older_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, journal: str) -> tuple[Path, tuple]:
    """A database one migration behind the code (its migrations patched in), with a v1
    session, in journal mode ``journal``; returns (its path, the code's migrations)."""
    migrations = (*MIGRATIONS, "ALTER TABLE sessions ADD COLUMN note TEXT")
    monkeypatch.setattr(store_db, "MIGRATIONS", migrations)
    monkeypatch.setattr(store_db, "SCHEMA_VERSION", len(migrations))
    monkeypatch.setattr(queries, "SCHEMA_VERSION", len(migrations))
    db = tmp_path / "hingecoach.db"
    build(db, MIGRATIONS)
    add_v1_session(db)
    c = sqlite3.connect(db)
    assert c.execute(f"PRAGMA journal_mode = {journal}").fetchone() == (journal,)
    c.close()
    return db, migrations


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_an_older_database_locked_by_another_program_is_not_waited_on_for_the_busy_timeout(
        journal: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """history / report / export of a database that needed migrating while another program
    held its write lock (an open `sqlite3` shell's BEGIN) waited the store's whole busy
    timeout (10 s) for it and said so in the store's words; now they give up as soon as a
    read does (READ_WAIT_S) with the one "locked ... cannot be read now" line of a read,
    the file untouched, and migrate it once the lock has cleared. ``wal``: as hingecoach
    leaves its databases; ``delete``: a rollback journal (a copy made by another tool),
    whose switch to WAL fails at once."""
    import time

    from storekit import write_lock

    db, migrations = _an_older_database(tmp_path, monkeypatch, journal)
    before = digest(db)
    took: dict[str, float] = {}
    with write_lock(db):
        for argv in (("history",), ("export",), ("report", "--out", str(tmp_path / "r.html"))):
            start = time.monotonic()
            r = cli(*argv, "--data-dir", str(tmp_path))
            took[argv[0]] = time.monotonic() - start
            msg = one_line_error(r, argv[0])
            assert f"the progress database {db} is locked by another program, so it cannot be " \
                   "read now (it was left untouched)" in msg, msg
            assert "damaged" not in msg and "upgraded" not in r.err
    assert max(took.values()) < queries.READ_WAIT_S + 2.0, took   # 10 s each before
    assert digest(db) == before and version_of(db) == SCHEMA_VERSION
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hingecoach.db"]
    r = cli("history", "--data-dir", str(tmp_path))               # the lock has cleared
    assert r.code == 0 and f"upgraded {db} from schema version {SCHEMA_VERSION}" in r.err, r.err
    assert version_of(db) == len(migrations)


def test_run_with_history_off_reads_an_older_locked_database_within_its_own_wait(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`run` with privacy.record_history off reads the saved levels (START_WAIT_S, 1.5 s):
    an older database it had to migrate first held its start for the busy timeout (10 s)."""
    import time

    from storekit import write_lock

    db, migrations = _an_older_database(tmp_path, monkeypatch, "wal")
    with write_lock(db):
        start = time.monotonic()
        with pytest.raises(queries.DatabaseLocked):
            queries.load_saved_progress(db, "ana", 0.5)
        took = time.monotonic() - start
    assert took < 2.0, took
    assert queries.load_saved_progress(db, "ana", 0.5) == ("cm", {})
    assert version_of(db) == len(migrations)
