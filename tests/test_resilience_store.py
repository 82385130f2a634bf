"""The disk fills: recording stops, it is said once, and coaching goes on."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from pathlib import Path

import pytest

from hingecoach.resilience import NOTICES, RecordingGuard, is_storage_full
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


def test_opening_errors_that_are_not_about_space_propagate():
    def open_store():
        raise PermissionError(errno.EACCES, "Permission denied")

    with pytest.raises(PermissionError):
        RecordingGuard.open(open_store)


@pytest.mark.parametrize("exc, full", [
    (OSError(errno.ENOSPC, "No space left on device"), True),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
    (OSError(errno.EROFS, "Read-only file system"), True),
    (OSError(errno.EACCES, "Permission denied"), False),
    (sqlite3.OperationalError("database or disk is full"), True),
    (sqlite3.OperationalError("disk I/O error"), True),
    (sqlite3.OperationalError("no such table: reps"), False),
    (ValueError("nope"), False),
])
def test_storage_full_is_recognised_by_errno_and_sqlite_code(exc, full):
    assert is_storage_full(exc) is full


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
