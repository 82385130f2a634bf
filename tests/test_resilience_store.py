"""The disk fills: recording stops, it is said once, and coaching goes on."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from pathlib import Path

import pytest

from hingecoach.errors import ConfigError, StorageError
from hingecoach.resilience import NOTICES, RecordingGuard, is_storage_full, storage_trouble
from pi_fakes import FakeClock, FakeStore


def test_a_full_disk_stops_recording_and_is_reported_once():
    store = FakeStore(capacity=2)
    heard = []
    guard = RecordingGuard(store, clock=FakeClock(7.0), on_event=heard.append,
                           passthrough={"load_level", "close"})
    assert guard.add_rep("rep 1") == 1
    assert guard.add_rep("rep 2") == 2
    assert guard.add_rep("rep 3") is None          # ENOSPC: swallowed
    assert guard.add_rep("rep 4") is None          # skipped without touching the disk
    assert guard.add_rep("rep 5") is None
    assert not guard.recording
    assert [(e.t, e.kind, e.device) for e in heard] == [(7.0, "recording_stopped", "store")]
    assert "No space left on device" in heard[0].detail
    assert heard[0].notice == NOTICES["recording_stopped"]
    assert store.calls.count("add_rep") == 3
    assert guard.skipped == 2
    assert store.reps == ["rep 1", "rep 2"]        # what was saved stays saved


def test_reads_named_as_passthrough_still_work_after_the_disk_filled():
    store = FakeStore(capacity=0)
    guard = RecordingGuard(store, passthrough={"load_level", "close"})
    guard.add_rep("x")
    assert guard.load_level() == 3
    guard.close()
    assert store.calls == ["add_rep", "load_level", "close"]


def test_other_errors_are_bugs_and_propagate():
    guard = RecordingGuard(FakeStore())
    with pytest.raises(ValueError, match="a real bug"):
        guard.buggy()
    assert guard.recording


def test_a_store_that_cannot_even_be_opened_on_a_full_disk_gives_a_silent_guard():
    def open_store():
        raise sqlite3.OperationalError("database or disk is full")

    heard = []
    guard = RecordingGuard.open(open_store, on_event=heard.append)
    assert guard.store is None and not guard.recording
    assert guard.add_rep("x") is None
    assert [e.kind for e in heard] == ["recording_stopped"]


def test_opening_errors_that_are_not_storage_trouble_propagate():
    def open_store():
        raise ConfigError("hingecoach.db has schema version 9, newer than this hingecoach understands")

    with pytest.raises(ConfigError):
        RecordingGuard.open(open_store)


def test_a_folder_this_user_may_not_write_gives_a_silent_guard_that_says_why():
    """A PermissionError at opening used to propagate: `run` stopped instead of coaching."""
    def open_store():
        raise PermissionError(errno.EACCES, "Permission denied")

    heard = []
    guard = RecordingGuard.open(open_store, on_event=heard.append)
    assert guard.store is None and guard.reason == "no_permission"
    assert [(e.kind, e.reason, e.at_start) for e in heard] == [("recording_stopped", "no_permission", True)]
    assert heard[0].notice == NOTICES["recording_stopped_no_permission"]


@pytest.mark.parametrize("reason", ["read_only", "damaged"])
def test_a_store_that_reports_its_trouble_at_opening_gives_a_silent_guard(reason):
    def open_store():
        raise StorageError(f"the progress database is {reason} (test): the fix", reason, "SQLite's words")

    heard = []
    guard = RecordingGuard.open(open_store, on_event=heard.append)
    assert not guard.recording and guard.add_rep("x") is None
    assert [(e.reason, e.at_start) for e in heard] == [(reason, True)]
    assert heard[0].detail == "StorageError: SQLite's words"
    assert heard[0].notice == NOTICES[f"recording_stopped_{reason}"]


@pytest.mark.parametrize("exc, full, trouble", [
    (OSError(errno.ENOSPC, "No space left on device"), True, "full"),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), True, "full"),
    (OSError(errno.EROFS, "Read-only file system"), True, "read_only"),
    (OSError(errno.EACCES, "Permission denied"), False, "no_permission"),
    (sqlite3.OperationalError("database or disk is full"), True, "full"),
    (sqlite3.OperationalError("disk I/O error"), True, "full"),
    (sqlite3.OperationalError("attempt to write a readonly database"), False, "no_permission"),
    (sqlite3.OperationalError("unable to open database file"), False, "no_permission"),
    (sqlite3.DatabaseError("database disk image is malformed"), False, "damaged"),
    (sqlite3.DatabaseError("file is not a database"), False, "damaged"),
    (StorageError("... is damaged ...: move it aside", "damaged"), False, "damaged"),
    (sqlite3.OperationalError("no such table: reps"), False, None),
    (ValueError("nope"), False, None),
])
def test_storage_trouble_is_recognised_by_errno_and_sqlite_code(exc, full, trouble):
    assert is_storage_full(exc) is full
    assert storage_trouble(exc) == trouble


def real_sqlite_error(path: Path, damage: bytes) -> sqlite3.DatabaseError:
    """What SQLite itself raises for a database whose second page is ``damage``."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE reps (id INTEGER PRIMARY KEY, data TEXT)")
    db.executemany("INSERT INTO reps (data) VALUES (?)", [("x" * 500,)] * 40)
    db.commit()
    db.close()
    with open(path, "r+b") as fh:
        fh.seek(4096)
        fh.write(damage)
    db = sqlite3.connect(path)
    try:
        db.execute("SELECT count(*), max(length(data)) FROM reps").fetchall()
    except sqlite3.DatabaseError as exc:
        return exc
    finally:
        db.close()
    raise AssertionError("the damage went unnoticed")


def test_sqlites_own_damage_errors_are_damage_by_their_codes(tmp_path):
    exc = real_sqlite_error(tmp_path / "h.db", b"\xff" * 4096)
    assert exc.sqlite_errorcode & 0xFF == 11, exc   # SQLITE_CORRUPT
    assert storage_trouble(exc) == "damaged" and not is_storage_full(exc)


def test_a_database_found_damaged_mid_session_stops_recording_once_and_coaching_goes_on(tmp_path):
    """A damaged page met by a write went through the guard as a traceback (Bug A)."""
    class DamagedStore:
        def __init__(self) -> None:
            self.path = tmp_path / "h.db"
            self.calls = 0

        def add_rep(self, rep: str) -> int:
            self.calls += 1
            if self.calls < 3:
                return self.calls
            raise real_sqlite_error(tmp_path / f"broken{self.calls}.db", b"\xff" * 4096)

    store = DamagedStore()
    heard = []
    guard = RecordingGuard(store, on_event=heard.append)
    assert [guard.add_rep(f"rep {i}") for i in range(1, 6)] == [1, 2, None, None, None]
    assert store.calls == 3 and not guard.recording and guard.reason == "damaged"
    assert [(e.kind, e.reason, e.at_start) for e in heard] == [("recording_stopped", "damaged", False)]
    assert "malformed" in heard[0].detail
    assert heard[0].notice == NOTICES["recording_stopped_damaged"]


def test_a_write_refused_on_a_read_only_file_system_is_called_read_only(tmp_path, monkeypatch):
    """SQLite cannot tell a read-only file system from a folder it may not write; the
    guard asks the file system about the store's path."""
    import hingecoach.resilience as resilience

    class Store:
        path = tmp_path / "h.db"

        def add_rep(self, rep: str) -> None:
            raise sqlite3.OperationalError("attempt to write a readonly database")

    heard = []
    RecordingGuard(Store(), on_event=heard.append).add_rep("x")
    assert [e.reason for e in heard] == ["no_permission"]
    assert not resilience.on_read_only_file_system(tmp_path)
    monkeypatch.setattr(resilience.os, "statvfs", lambda p: os.statvfs_result((0,) * 8 + (os.ST_RDONLY, 255)))
    assert resilience.on_read_only_file_system(tmp_path)
    RecordingGuard(Store(), on_event=heard.append).add_rep("x")
    assert heard[-1].reason == "read_only" and heard[-1].notice == NOTICES["recording_stopped_read_only"]


class SqliteStore:
    """A minimal real SQLite store, as the coach's would be (WAL, one commit per rep)."""

    def __init__(self, path: Path, max_pages: int | None = None) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS reps (id INTEGER PRIMARY KEY, data TEXT)")
        self.db.commit()
        if max_pages is not None:
            # The database may not grow past this many pages: SQLite then fails exactly as
            # on a full disk, with SQLITE_FULL ("database or disk is full").
            self.db.execute(f"PRAGMA max_page_count={max_pages}")

    def add_rep(self, data: str) -> None:
        with self.db:
            self.db.execute("INSERT INTO reps (data) VALUES (?)", (data,))

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM reps").fetchone()[0]

    def close(self) -> None:
        self.db.close()


def test_a_real_sqlite_database_that_fills_up_stops_recording_and_keeps_what_it_had(tmp_path):
    store = SqliteStore(tmp_path / "h.db", max_pages=4)
    heard = []
    guard = RecordingGuard(store, on_event=heard.append, passthrough={"count", "close"})
    saved = 0
    for i in range(200):                 # a long session of reps with 1 KB of metrics each
        guard.add_rep(json.dumps({"rep": i, "pad": "x" * 1000}))
        if guard.recording:
            saved += 1
    assert [e.kind for e in heard] == ["recording_stopped"]
    assert "full" in heard[0].detail
    assert 0 < saved < 200
    assert guard.count() == saved        # every rep before the disk filled is there
    guard.close()


def test_a_file_store_writing_to_dev_full_gets_a_real_enospc_from_the_kernel():
    """/dev/full is a device every Linux has: every write fails with ENOSPC."""
    assert os.path.exists("/dev/full")

    class FileStore:
        def add_rep(self, line: str) -> None:
            with open("/dev/full", "w") as fh:
                fh.write(line + "\n")

    heard = []
    guard = RecordingGuard(FileStore(), on_event=heard.append)
    guard.add_rep("rep 1")
    guard.add_rep("rep 2")
    assert not guard.recording
    assert len(heard) == 1 and "No space left on device" in heard[0].detail
