"""history / report / export on bad input: one-line errors that say what to do, never a
traceback, and a damaged database is reported, never rewritten."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hingecoach.store.db import SCHEMA_VERSION, Store
from reportkit import cli, copy_data, demo_data, digest, one_line_error
from storekit import another_programs_database

__all__ = ["demo_data"]

COMMANDS = (
    ("history",),
    ("report", "latest", "--out", "{tmp}/r.html"),
    ("export", "--format", "json"),
)  # fmt: skip


def run(argv: tuple[str, ...], data: Path, tmp: Path):
    return cli(*(a.format(tmp=tmp) for a in argv), "--data-dir", str(data))


def assert_untouched(data: Path, before: str) -> None:
    assert digest(data / "hingecoach.db") == before
    assert sorted(p.name for p in data.iterdir()) == ["hingecoach.db"], "no side files left"


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_a_missing_database_is_explained_and_not_created(argv, tmp_path: Path) -> None:
    msg = one_line_error(run(argv, tmp_path / "none", tmp_path), argv[0])
    assert "no progress database" in msg and "hingecoach demo" in msg
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_a_database_without_sessions_says_to_record_one(argv, tmp_path: Path) -> None:
    Store(tmp_path / "hingecoach.db").close()
    before = digest(tmp_path / "hingecoach.db")
    msg = one_line_error(run(argv, tmp_path, tmp_path), argv[0])
    assert "no sessions recorded yet" in msg
    assert digest(tmp_path / "hingecoach.db") == before


def test_an_empty_file_is_an_empty_database_and_stays_empty(tmp_path: Path) -> None:
    (tmp_path / "hingecoach.db").write_bytes(b"")
    msg = one_line_error(cli("history", "--data-dir", str(tmp_path)), "history")
    assert "no sessions recorded yet" in msg
    assert (tmp_path / "hingecoach.db").read_bytes() == b""


def _garbage(db: Path) -> None:
    db.write_bytes(b"not a database at all\n" * 300)


def _truncated(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _scribbled_page(db: Path) -> None:
    with open(db, "r+b") as fh:  # page 2's b-tree header (4096-byte pages)
        fh.seek(4096)
        fh.write(b"\xff" * 64)


@pytest.mark.parametrize("damage", [_garbage, _truncated, _scribbled_page],
                         ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_a_damaged_database_is_reported_and_left_byte_for_byte(
        damage, argv, demo_data: Path, tmp_path: Path) -> None:
    data = copy_data(demo_data, tmp_path / "data")
    with Store(data / "hingecoach.db") as s:  # a good database, closed cleanly (no WAL left)
        assert s.version == SCHEMA_VERSION
    damage(data / "hingecoach.db")
    before = digest(data / "hingecoach.db")
    msg = one_line_error(run(argv, data, tmp_path), argv[0])
    assert "damaged or not a Hinge Coach database" in msg and "left untouched" in msg
    assert_untouched(data, before)


@pytest.mark.parametrize("user_version", [0, 3], ids=["plain", "user_version 3"])
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_another_programs_sqlite_file_is_named_so_and_left_byte_for_byte(
        user_version, argv, tmp_path: Path) -> None:
    """(Was the damage test's `other_app` case, which took "damaged or not a Hinge Coach
    database ... restore a backup" for an answer.) With a user_version of its own it was
    "newer than this hingecoach understands: upgrade hingecoach"."""
    data = tmp_path / "data"
    data.mkdir()
    another_programs_database(data / "hingecoach.db", user_version)
    before = digest(data / "hingecoach.db")
    msg = one_line_error(run(argv, data, tmp_path), argv[0])
    assert f"{data / 'hingecoach.db'} is not a Hinge Coach database (another program's SQLite " \
           "database: tables albums, photos" in msg
    assert "left untouched" in msg and "--data-dir" in msg and "move it aside" in msg
    assert "damaged" not in msg and "upgrade" not in msg
    assert_untouched(data, before)


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_rows_that_cannot_be_decoded_are_reported_not_a_traceback(
        argv, demo_data: Path, tmp_path: Path) -> None:
    data = copy_data(demo_data, tmp_path / "data")
    c = sqlite3.connect(data / "hingecoach.db")
    c.execute("UPDATE reps SET faults = '[\"knees_forw' WHERE id = 3")
    c.commit()
    c.close()
    msg = one_line_error(run(argv, data, tmp_path), argv[0])
    assert "unreadable rows" in msg


def test_a_database_from_a_newer_hingecoach_asks_for_an_upgrade(
        demo_data: Path, tmp_path: Path) -> None:
    data = copy_data(demo_data, tmp_path / "data")
    c = sqlite3.connect(data / "hingecoach.db")
    c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    c.commit()
    c.close()
    before = digest(data / "hingecoach.db")
    msg = one_line_error(cli("report", "--out", str(tmp_path / "r.html"), "--data-dir",
                             str(data)), "report")
    assert "upgrade hingecoach" in msg
    assert_untouched(data, before)


@pytest.mark.parametrize("spec, says", [("99", "no session 99: sessions are 1-2"),
                                        ("last week", "give a session number"),
                                        ("0", "no session 0")])
def test_an_unknown_session_names_the_ones_that_exist(
        spec: str, says: str, demo_data: Path, tmp_path: Path) -> None:
    msg = one_line_error(cli("report", spec, "--out", str(tmp_path / "r.html"),
                             "--data-dir", str(demo_data)), "report")
    assert says in msg
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_an_unknown_user_names_the_users_there_are(argv, demo_data: Path, tmp_path: Path) -> None:
    msg = one_line_error(run((*argv, "--user", "zoe"), demo_data, tmp_path), argv[0])
    assert "no user called 'zoe'" in msg and "demo" in msg


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_user_is_a_one_line_error(argv, blank: str, demo_data: Path, tmp_path: Path) -> None:
    """It said "no user called ''" (and for "  ", "no user called '  '")."""
    msg = one_line_error(run((*argv, "--user", blank), demo_data, tmp_path), argv[0])
    assert f"the user name {blank!r} is blank" in msg and "--user sam" in msg


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_users_differing_only_in_case_are_listed_not_merged(argv, demo_data: Path,
                                                             tmp_path: Path) -> None:
    """An older database may hold "Kim" and "KIM" (names matched only exactly): the exact
    name picks one; "kim" is a one-line error that lists both, and nothing is written."""
    data = copy_data(demo_data, tmp_path / "data")
    db = sqlite3.connect(data / "hingecoach.db")
    for sid, name in ((1, "Kim"), (2, "KIM")):
        db.execute("INSERT INTO users (name, units, created_at) VALUES (?, 'in', '2026-01-01')",
                   (name,))
        db.execute("UPDATE sessions SET user_id = (SELECT id FROM users WHERE name = ?) "
                   "WHERE id = ?", (name, sid))
    db.commit()
    db.close()
    before = digest(data / "hingecoach.db")
    msg = one_line_error(run((*argv, "--user", "kim"), data, tmp_path), argv[0])
    assert "'Kim', 'KIM'" in msg and "--user Kim or --user KIM" in msg
    assert_untouched(data, before)
    assert run((*argv, "--user", "KIM"), data, tmp_path).code == 0
    rows = json.loads(cli("history", "--json", "--user", "KIM", "--data-dir", str(data)).out)
    assert [(s["id"], s["user"]) for s in rows] == [(2, "KIM")]


def test_a_report_into_a_missing_directory_is_a_clear_error(demo_data: Path, tmp_path: Path) -> None:
    msg = one_line_error(cli("report", "--out", str(tmp_path / "no" / "r.html"), "--data-dir",
                             str(demo_data)), "report")
    assert "cannot write" in msg


def test_a_bad_since_date_is_a_clear_error(demo_data: Path) -> None:
    msg = one_line_error(cli("export", "--since", "yesterday", "--data-dir", str(demo_data)),
                         "export")
    assert "YYYY-MM-DD" in msg


def test_the_installed_command_prints_one_line_for_a_corrupt_database(tmp_path: Path) -> None:
    _garbage(tmp_path / "hingecoach.db")
    before = digest(tmp_path / "hingecoach.db")
    p = subprocess.run([sys.executable, "-m", "hingecoach", "report", "--out",
                        str(tmp_path / "r.html"), "--data-dir", str(tmp_path)],
                       capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
    assert_untouched(tmp_path, before)


@pytest.mark.parametrize("argv", [("report", "latest"), ("export",), ("export", "--format", "json")],
                         ids=lambda a: "-".join(a))
@pytest.mark.parametrize("target", ["hingecoach.db", "../d/hingecoach.db", "hingecoach.db-wal",
                                    "hingecoach.db-shm", "link.db"])
def test_an_out_file_that_is_the_progress_database_is_refused_before_writing(
        argv, target: str, demo_data: Path, tmp_path: Path) -> None:
    """`export --out DATA/hingecoach.db` replaced the database with CSV, `report latest --out
    DATA/hingecoach.db` with HTML: every saved session lost, exit 0."""
    data = copy_data(demo_data, tmp_path / "d")
    before = digest(data / "hingecoach.db")
    (data / "link.db").symlink_to(data / "hingecoach.db")
    msg = one_line_error(cli(*argv, "--out", str(data / target), "--data-dir", str(data)), argv[0])
    assert "is the progress database" in msg or "side file of the progress database" in msg, msg
    assert "name another file, e.g. --out" in msg
    assert digest(data / "hingecoach.db") == before
    assert sorted(p.name for p in data.iterdir()) == ["hingecoach.db", "link.db"], "nothing written"
